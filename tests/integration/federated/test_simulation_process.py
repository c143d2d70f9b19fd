"""The simulation's child process: no call beyond loopback, errors keep their
type, and an interrupted or killed run leaves no rows and no Ray process.

Every test gives the processes it starts a TMPDIR of its own, so what a run
leaves behind is visible and nothing races with other runs on the machine.
"""

from __future__ import annotations

import ast
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from phibench.data.embedded import generate_cohort
from phibench.federated.model import TrainSettings
from phibench.federated.server_loop import TrainingJob
from phibench.federated.sites import split_by_site
from phibench.federated.strategies import AggregationError, StrategyConfig

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings(
        "ignore:unclosed file <_io.*name='/dev/null'.*:ResourceWarning"
    ),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <function Popen.__del__:"
        "pytest.PytestUnraisableExceptionWarning"
    ),
]

#: Loaded by every Python process that inherits PYTHONPATH (the simulation
#: process, Ray's workers and its dashboard process): records each address a
#: socket connects or sends to and each name it resolves, one file a process.
AUDIT_HOOK = """
import os, sys
_folder = os.environ["PHIBENCH_TEST_NET_LOG"]
with open(os.path.join(_folder, f"{os.getpid()}.started"), "w") as _started:
    _started.write(" ".join(sys.argv))
def _record(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.getaddrinfo"):
        target = args[0] if event == "socket.getaddrinfo" else args[1]
        with open(os.path.join(_folder, f"{os.getpid()}.log"), "a") as log:
            log.write(f"{event}\\t{target!r}\\n")
    elif event == "socket.bind":
        with open(os.path.join(_folder, f"{os.getpid()}.log"), "a") as log:
            log.write(f"socket.bind\\t{args[1]!r}\\n")
sys.addaudithook(_record)
"""


def two_sites() -> pl.DataFrame:
    cohort = generate_cohort(n_admissions=600, seed=2)
    chosen = cohort.filter(pl.col("site").is_in(["site-A", "site-B"]))
    return split_by_site(chosen, seed=1)


def fedavg(rounds: int = 1, learning_rate: float = 0.2) -> TrainingJob:
    return TrainingJob(
        key="fedavg#1",
        strategy=StrategyConfig("fedavg", 2, federated_evaluation=False),
        kind="logreg",
        settings=TrainSettings(learning_rate=learning_rate, batch_size=32),
        rounds=rounds,
        seed=3,
    )


def is_loopback(target: object) -> bool:
    host = target[0] if isinstance(target, tuple) else target
    if not isinstance(host, str) or host.startswith("/"):
        return True  # a Unix socket path
    if host == "localhost":
        return True
    return ipaddress.ip_address(host.split("%")[0]).is_loopback


def test_simulation_calls_no_address_beyond_loopback(tmp_path, short_tmp, monkeypatch):
    """Ray's usage module would ask the cloud metadata address (169.254.169.254)
    and resolve metadata.google.internal; the child's home holds a local
    cluster config so it does neither."""
    from phibench.federated.simulation import simulate

    hooks, log = tmp_path / "hooks", tmp_path / "net"
    hooks.mkdir()
    log.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT_HOOK)
    # first on the simulation process's sys.path, which Flower hands to Ray's
    # processes ahead of PYTHONPATH: a system Python's own sitecustomize
    # (Debian has one) must not win there
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), *sys.path]))
    monkeypatch.setenv("PHIBENCH_TEST_NET_LOG", str(log))
    monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))
    monkeypatch.setenv("TMPDIR", str(short_tmp))

    (outcome,) = simulate(two_sites(), [fedavg()], evaluate=None)
    assert [number for number, _ in outcome.round_arrays] == [0, 1]

    started = [path.read_text() for path in log.glob("*.started")]
    # the hook ran in Ray's dashboard process, where the probe was made
    assert any("dashboard.py" in argv for argv in started), started
    events = [
        line.split("\t")
        for path in log.glob("*.log")
        for line in path.read_text().splitlines()
    ]
    outside = [
        (kind, target)
        for kind, target in events
        if kind != "socket.bind" and not is_loopback(ast.literal_eval(target))
    ]
    assert outside == []
    left = [p.name for p in short_tmp.iterdir()]
    assert not [n for n in left if n.startswith(("phibench-fl-", "torchinductor"))]


def test_an_error_in_the_simulation_keeps_its_type(capfd):
    """A learning rate PyTorch cannot hold makes every site's training fail.
    The failure is phibench's one line: Ray's tracebacks from the sites (Flower
    logs them as errors, hundreds of lines) stay off the console."""
    from phibench.federated.simulation import simulate

    with pytest.raises(
        AggregationError,
        match=r"round 1: 2 of 2 sites failed to train \(value cannot be converted "
        r"to type float without overflow\); check the strategy's settings",
    ):
        simulate(two_sites(), [fedavg(rounds=2, learning_rate=1e308)], evaluate=None)
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err
    assert "ERROR" not in printed.err


def run_processes(tmp: Path) -> dict[int, bytes]:
    """Live processes started with our TMPDIR, with their command lines:
    phibench, its simulation process and Ray's processes, which all inherit
    the environment."""
    marker = f"TMPDIR={tmp}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in environment and state != "Z":
            found[int(entry.name)] = command
    return found


def ray_processes(tmp: Path) -> set[int]:
    return set(run_processes(tmp))


def simulation_process(tmp: Path) -> int | None:
    """The child that runs Flower's simulation, once it exists."""
    children = [
        p
        for p, c in run_processes(tmp).items()
        if b"phibench.federated.simulation import child_main" in c
    ]
    return children[0] if children else None


@pytest.fixture
def short_tmp():
    """A TMPDIR of this test's own, short enough for Ray's socket paths to
    stay inside it (pytest's tmp_path is not)."""
    folder = Path(tempfile.mkdtemp(prefix="pbt-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


#: phibench processes a test started; killed and reaped after it, pass or fail.
STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_process_outlives_the_test() -> Iterator[None]:
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
        process.wait()


def start_long_run(
    tmp_path: Path, tmp: Path, *, until: str = "training"
) -> subprocess.Popen:
    """`phibench run federated` with a long simulation, in a session of its own
    as if typed at a terminal, returned once Ray's workers train
    (`until="training"`) or as soon as the simulation process exists, still
    importing (`until="spawned"`)."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    command = [
        str(Path(sys.executable).parent / "phibench"), "run", "federated",
        "--n-admissions", "2400", "--min-site-size", "50", "--rounds", "200",
        "--repeats", "1", "--strategy", "fedavg", "--out", str(tmp_path / "runs"),
        "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}",
    ]  # fmt: skip
    with (tmp_path / "stderr").open("w") as stderr:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its process group is the "terminal's"
        )
    STARTED.append(process)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if until == "spawned" and simulation_process(tmp):
            return process
        if (
            until == "training"
            and list(tmp.glob("phibench-fl-*/ray/session_*"))
            and len(ray_processes(tmp)) > 3
        ):
            time.sleep(3)  # Ray's workers are training
            return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(f"the simulation did not start: {(tmp_path / 'stderr').read_text()}")


def wait_until_gone(tmp: Path, seconds: float = 20) -> tuple[set[int], list[Path]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = ray_processes(tmp), list(tmp.glob("phibench-fl-*"))
        if not any(left):
            break
        time.sleep(0.5)
    return left


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_stops_ray_and_removes_the_sites_rows(
    tmp_path, short_tmp, signum
):
    process = start_long_run(tmp_path, short_tmp)
    process.send_signal(signum)
    assert process.wait(timeout=60) == 130
    stderr = (tmp_path / "stderr").read_text()
    assert "phibench: interrupted; no result was written" in stderr
    assert wait_until_gone(short_tmp) == (set(), [])
    runs = tmp_path / "runs"
    assert not runs.exists() or not any(runs.iterdir())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_a_killed_run_leaves_no_rows_and_no_ray_process(tmp_path, short_tmp):
    """SIGKILL cannot be handled by phibench: the simulation process notices
    its parent is gone and cleans up itself."""
    process = start_long_run(tmp_path, short_tmp)
    process.kill()
    process.wait(timeout=30)
    assert wait_until_gone(short_tmp) == (set(), [])


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    ("signum", "to_group", "delay"),
    [
        (signal.SIGINT, False, 0.0),
        (signal.SIGTERM, False, 0.0),
        # Ctrl-C at a terminal goes to the whole foreground process group
        (signal.SIGINT, True, 0.0),
        (signal.SIGINT, True, 1.0),
    ],
)
def test_an_interrupt_while_the_simulation_process_starts(
    tmp_path, short_tmp, signum, to_group, delay
):
    """The simulation process is still importing and has not taken its work:
    phibench must stop it and must not wait for it."""
    process = start_long_run(tmp_path, short_tmp, until="spawned")
    time.sleep(delay)
    if to_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    assert process.wait(timeout=60) == 130
    stderr = (tmp_path / "stderr").read_text()
    assert stderr.strip().splitlines()[-1] == (
        "phibench: interrupted; no result was written"
    )
    assert "Traceback" not in stderr
    assert wait_until_gone(short_tmp) == (set(), [])


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_a_simulation_process_killed_while_it_starts(tmp_path, short_tmp):
    """phibench hands the cohort over only once the child listens; a child
    killed before that ends the run with one line, not a hang."""
    process = start_long_run(tmp_path, short_tmp, until="spawned")
    os.kill(simulation_process(short_tmp), signal.SIGKILL)
    assert process.wait(timeout=60) == 3
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stderr
    assert re.fullmatch(
        r"phibench: error: Flower's simulation process ended before (it took its "
        r"work \((BrokenPipeError|ConnectionResetError)\)|finishing \(killed by "
        r"signal 9\)); no result was written",
        stderr.strip().splitlines()[-1],
    )
    assert wait_until_gone(short_tmp) == (set(), [])


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_a_simulation_process_killed_from_outside_is_one_line_and_exit_3(
    tmp_path, short_tmp
):
    process = start_long_run(tmp_path, short_tmp)
    os.kill(simulation_process(short_tmp), signal.SIGKILL)
    assert process.wait(timeout=60) == 3
    last = (tmp_path / "stderr").read_text().strip().splitlines()[-1]
    assert last == (
        "phibench: error: Flower's simulation process ended before finishing "
        "(killed by signal 9); no result was written"
    )
    assert wait_until_gone(short_tmp) == (set(), [])
    runs = tmp_path / "runs"
    assert not runs.exists() or not any(runs.iterdir())
