"""Run a plan of training jobs in Flower's simulation runtime (Ray backend).

Flower 1.42 marks `flwr.simulation.run_simulation` deprecated in favour of
`flwr run` with a packaged app. `flwr run` would start a detached local server
on fixed ports, package the app and run it in subprocesses, which on a shared
two-core machine made benchmark runs slow and fragile, and it cannot hand the
results back in memory. So the benchmark uses the in-process entry point, which
starts the same simulation engine (ADR 0011), and filters exactly its
deprecation notice. The deployment runtime is exercised separately
(phibench.federated.deployment).

The simulation runs in a child process of its own session (set before any of
its Python runs), and phibench keeps control of it (ADR 0012):
- Ray replaces the SIGTERM handler of the process that starts it and can
  swallow Ctrl-C. The child has its own session, so the terminal's Ctrl-C and a
  SIGTERM reach phibench only, which then kills the child's whole process group
  (Ray's processes included) and removes the work folder.
- The sites' rows (Parquet), Flower's home and Ray's temporary folder all live
  in one private work folder that phibench removes in every case. If phibench
  itself is killed outright, the child notices its parent is gone, stops its
  process group and removes the folder.
- Ray's usage module looks for a cloud by calling the link-local metadata
  address unless it finds a cluster config in the home folder. The child's
  home is a folder of the work folder holding a config that names Ray's
  "local" provider, so Ray makes no such call.
- Each round's global model is sent back and scored here, by `evaluate`, after
  the child has ended.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import polars as pl

from phibench.errors import InputError, RunFailure
from phibench.federated.server_loop import (
    Evaluate,
    JobOutcome,
    TrainingJob,
    score_rounds,
)
from phibench.federated.site_store import write_site_folders
from phibench.federated.strategies import AggregationError, SiteLost
from phibench.interrupts import interrupts_held

logger = logging.getLogger(__name__)

#: Ray's share of the shared machine: one CPU per client actor, at most 2
#: actors, a small object store (Ray's minimum is about 75 MB).
RAY_NUM_CPUS = 2
RAY_OBJECT_STORE_BYTES = 100 * 1024**2

#: Longest Ray temporary folder whose socket paths fit in 107 bytes.
RAY_FOLDER_MAX_BYTES = 43

#: What Ray's usage module reads instead of asking a cloud metadata service.
RAY_LOCAL_CLUSTER_CONFIG = "provider:\n  type: local\n"

#: Loggers whose records the child sends to phibench's handlers (run.log).
FORWARDED_LOGGERS = ("flwr", "phibench")

#: Set (to anything) to let the simulation process print the traceback of an
#: unexpected error, e.g. Ray's own start-up failing; one line otherwise.
TRACEBACK_ENV = "PHIBENCH_TRACEBACK"

#: Errors the child may report that keep their type in phibench.
_KNOWN_ERRORS: dict[str, type[Exception]] = {
    "AggregationError": AggregationError,
    "SiteLost": SiteLost,
    "InputError": InputError,
}


def simulate(
    cohort: pl.DataFrame,
    plan: list[TrainingJob],
    *,
    evaluate: Evaluate | None,
) -> list[JobOutcome]:
    """Every job of `plan`, one virtual client per site of `cohort`."""
    # Named here, made by the child (after its watchdog started): phibench
    # removes them whatever happened, even if the child made them a moment
    # before it was stopped.
    token = secrets.token_hex(4)  # as long as mkdtemp's: Ray's sockets fit
    work = Path(tempfile.gettempdir()) / f"phibench-fl-{token}"
    ray_outside = Path("/tmp") / f"phibench-ray-{token}"
    try:
        with quiet_flower() as errors:
            outcomes = _run_child(cohort, plan, (work, ray_outside))
    finally:
        # the sites' rows go before phibench may stop: held, a Ctrl-C (even a
        # repeated one) arrives once they are gone
        with interrupts_held(repeatable=False):
            for folder in (work, ray_outside):
                shutil.rmtree(folder, ignore_errors=True)
    if len(outcomes) != len(plan):
        raise RunFailure(
            f"Flower's simulation finished {len(outcomes)} of {len(plan)} training "
            f"jobs; {errors.summary()}"
        )
    return [score_rounds(outcome, evaluate) for outcome in outcomes]


# ---- phibench's side --------------------------------------------------------


def ray_folder(work: Path, outside: Path) -> Path:
    """Ray's temporary folder: inside `work`, unless that path is too long for
    the Unix sockets Ray makes in it (107 bytes on Linux, with up to 64 taken
    by Ray's session and socket names); then the private folder `outside`, in
    /tmp, made here, which holds Ray's logs and sockets but no rows."""
    inside = work / "ray"
    if len(os.fsencode(inside)) <= RAY_FOLDER_MAX_BYTES:
        return inside
    outside.mkdir(mode=0o700)
    logger.info(
        "TMPDIR is %d bytes long, too long for Ray's sockets; Ray's folder is %s",
        len(os.fsencode(work.parent)),
        outside,
    )
    return outside


def _run_child(
    cohort: pl.DataFrame, plan: list[TrainingJob], folders: tuple[Path, Path]
) -> list[JobOutcome]:
    ours, theirs = multiprocessing.Pipe(duplex=True)
    child: subprocess.Popen | None = None
    reported = False
    try:
        # Held: a Popen cut between its fork and its return would lose the
        # child's process id, and with it the means to stop the child.
        with theirs, interrupts_held():
            child = subprocess.Popen(
                [sys.executable, "-P", "-c", CHILD_COMMAND,
                 str(theirs.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,  # setsid() before Python even starts
            )  # fmt: skip
        # Blocks until the child reads it; fails at once if the child is gone.
        _hand_over(ours, cohort, plan, folders)
        outcomes = _receive(ours, child)
        reported = True
        return outcomes
    finally:
        ours.close()
        if child is not None:
            _stop(child, wait=10 if reported else 0)


#: What the simulation process runs. It gets only two numbers on its command
#: line (its end of the pipe, phibench's process id); the cohort and the plan
#: come through the pipe once it listens.
CHILD_COMMAND = "from phibench.federated.simulation import child_main; child_main()"


def _hand_over(
    connection: Connection, cohort: pl.DataFrame, plan, folders: tuple[Path, Path]
) -> None:
    try:
        connection.send(("work", cohort, plan, tuple(map(str, folders))))
    except OSError as error:  # BrokenPipeError, ConnectionResetError
        raise RunFailure(
            "Flower's simulation process ended before it took its work "
            f"({type(error).__name__})"
        ) from None


def _receive(connection: Connection, child: subprocess.Popen) -> list[JobOutcome]:
    while True:
        if not connection.poll(0.5):
            if _exit_code(child) is None:
                continue
            if not connection.poll(0):
                break
        try:
            kind, payload = connection.recv()
        except (EOFError, OSError):
            break
        if kind == "log":
            logging.getLogger(payload.name).handle(payload)
        elif kind == "done":
            return payload
        elif kind == "error":
            name, message = payload
            if name in _KNOWN_ERRORS:
                raise _KNOWN_ERRORS[name](message)
            hint = (
                "its traceback is above"
                if os.environ.get(TRACEBACK_ENV)
                else f"for its traceback, run again with {TRACEBACK_ENV}=1"
            )
            raise RunFailure(f"Flower's simulation failed: {name}: {message}; {hint}")
    raise RunFailure(
        "Flower's simulation process ended before finishing "
        f"({_how_it_ended(child, wait=5)})"
    )


def _exit_code(child: subprocess.Popen) -> int | None:
    """The child's exit code (minus the signal that killed it), None while it
    runs. The child is not reaped: until it is, its process id (its process
    group's id) cannot be given to another process."""
    if child.returncode is not None:
        return child.returncode
    if not hasattr(os, "waitid"):  # macOS: only a wait that reaps
        return child.poll()
    try:
        status = os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped elsewhere
        return child.poll()
    if status is None:
        return None
    return status.si_status if status.si_code == os.CLD_EXITED else -status.si_status


def _await_exit(child: subprocess.Popen, seconds: float) -> int | None:
    """The child's exit code once it has ended, within `seconds`; not reaped."""
    deadline = time.monotonic() + seconds
    while (code := _exit_code(child)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return code


def _how_it_ended(child: subprocess.Popen, *, wait: float) -> str:
    code = _await_exit(child, wait)
    if code is None:
        return "it closed its pipe but did not exit"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def _stop(child: subprocess.Popen, *, wait: float) -> None:
    """Give a child that has reported `wait` seconds to end, then end its
    process group: Ray's processes belong to it and must not outlive the run.
    The child is reaped only after the group is killed, so the group's id
    still names it."""
    try:
        _await_exit(child, wait)
    finally:
        # held: the group must die before phibench removes the folders
        with interrupts_held(repeatable=False):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)  # none left: nothing to kill
            child.wait()


# ---- the child's side -------------------------------------------------------


class _PipeHandler(logging.Handler):
    """Sends log records to phibench through the pipe, one writer at a time."""

    def __init__(self, send) -> None:
        super().__init__(logging.INFO)
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.msg, record.args = record.getMessage(), None
            record.exc_info, record.exc_text = None, None
            self._send(("log", record))
        except OSError:
            pass  # phibench has stopped listening: it is ending this process
        except Exception:
            self.handleError(record)


def child_main() -> None:
    """The simulation process: `python -c CHILD_COMMAND FD PARENT_PID`."""
    connection = Connection(int(sys.argv[1]))
    folders: list[Path] = []  # made below, after the watchdog started
    _watch_parent(int(sys.argv[2]), folders)
    try:
        _, cohort, plan, named = connection.recv()
    except (EOFError, OSError):
        return  # phibench stopped before it handed over the work
    lock = threading.Lock()

    def send(message: Any) -> None:
        with lock:
            connection.send(message)

    _forward_logs(send)
    try:
        # Named by phibench, made here after the watchdog started: a folder
        # outlives neither process.
        root, outside = map(Path, named)
        folders.extend((root, outside))
        root.mkdir(mode=0o700)  # private: it holds the sites' rows
        ray_dir = ray_folder(root, outside)
        sites = write_site_folders(cohort, root / "sites")
        outcomes = _simulate_here(
            root, str(ray_dir), tuple(map(str, sites)), plan, send
        )
        send(("done", outcomes))
    except BaseException as error:  # reported, not re-raised: phibench decides
        message = str(error)
        if type(error).__name__ not in _KNOWN_ERRORS:  # a fault, not an input
            if os.environ.get(TRACEBACK_ENV):
                traceback.print_exc()
            message = fault_summary(error)
        with contextlib.suppress(OSError):
            send(("error", (type(error).__name__, message)))
    finally:
        connection.close()


def fault_summary(error: BaseException, limit: int = 300) -> str:
    """One line for an unexpected exception: its message and, when it was
    raised from another, the first cause (Flower wraps Ray's errors twice)."""
    root = error
    while (cause := root.__cause__ or root.__context__) is not None:
        root = cause
    lines = str(error).strip().splitlines() or [""]
    text = lines[0]
    if root is not error:
        cause_lines = str(root).strip().splitlines() or [""]
        text += f" (first cause: {type(root).__name__}: {cause_lines[0]})"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _forward_logs(send) -> None:
    handler = _PipeHandler(send)
    for name in FORWARDED_LOGGERS:
        named = logging.getLogger(name)
        named.handlers = [handler]
        named.setLevel(logging.INFO)
        named.propagate = False


def _private_environment(root: Path) -> None:
    """Flower's and Ray's switches, and home and cache folders inside the work
    folder."""
    home = root / "home"
    home.mkdir(mode=0o700)
    (home / "ray_bootstrap_config.yaml").write_text(RAY_LOCAL_CLUSTER_CONFIG)
    os.environ["HOME"] = str(home)
    # PyTorch's compile cache (an empty folder, made while training) stays in
    # the work folder instead of $TMPDIR/torchinductor_USER.
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(root / "torchinductor"))
    from phibench.federated.env import configure_flower

    configure_flower(root / "flwr")


def _simulate_here(
    root: Path, ray_dir: str, folders: tuple[str, ...], plan: list[TrainingJob], send
) -> list[JobOutcome]:
    _private_environment(root)
    from flwr.simulation import run_simulation

    from phibench.federated.apps import make_client_app
    from phibench.federated.env import one_torch_thread
    from phibench.federated.server_loop import make_server_app

    one_torch_thread()
    _forward_logs(send)  # again: importing Flower added its console handler
    sink: list[JobOutcome] = []
    failures: list[BaseException] = []
    run_simulation(
        server_app=make_server_app(plan, sink, failures),
        client_app=make_client_app(folders),
        num_supernodes=len(folders),
        backend_config=_backend_config(ray_dir),
    )
    if failures:
        raise failures[0]
    return sink


def _backend_config(ray_dir: str) -> dict:
    return {
        "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
        "init_args": {
            # a new local instance, even if RAY_ADDRESS names a cluster: the
            # sites' rows never go to a Ray cluster phibench did not start
            "address": "local",
            "num_cpus": RAY_NUM_CPUS,
            "num_gpus": 0,
            "object_store_memory": RAY_OBJECT_STORE_BYTES,
            "_temp_dir": ray_dir,
            "_node_ip_address": "127.0.0.1",  # nothing listens beyond loopback
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
        },
    }


def _watch_parent(parent_pid: int, folders: list[Path]) -> None:
    """If phibench dies without stopping this process (SIGKILL, a crash), stop
    the process group and remove the folders: no rows stay behind."""

    def remove_folders() -> None:
        for folder in list(folders):
            shutil.rmtree(folder, ignore_errors=True)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        group, me = os.getpgrp(), os.getpid()
        if _group_members(group) is None:  # no /proc (macOS): the whole group
            remove_folders()
            os.killpg(group, signal.SIGKILL)
        for pid in _group_members(group) - {me}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5  # until Ray stops writing its logs
        while time.monotonic() < deadline and _group_members(group) - {me}:
            time.sleep(0.1)
        remove_folders()
        os._exit(1)

    threading.Thread(target=watch, name="phibench-parent-watch", daemon=True).start()


def _group_members(group: int) -> set[int] | None:
    """Live (not zombie) processes of process group `group`, from /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    members = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            members.add(int(entry.name))
    return members


class _DropRunSimulationNotice(logging.Filter):
    """Drops only Flower's notice that `run_simulation` is deprecated."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("DEPRECATED FEATURE" in text and "run_simulation" in text)


class _FlowerErrors(logging.Handler):
    """Keeps the last line of Flower's first ERROR record, for a one-line
    message when Flower ends a simulation without finishing it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.first is None:
            lines = [line.strip() for line in record.getMessage().splitlines()]
            self.first = next((line for line in reversed(lines) if line), "")

    def summary(self) -> str:
        if self.first is None:
            return "Flower reported no error"
        return f"Flower's first error: {self.first[:300]}"


@contextlib.contextmanager
def quiet_flower() -> Iterator[_FlowerErrors]:
    """Flower off the console while a run lasts. Its records still reach
    run.log through phibench's file handler, which the runner attaches to the
    `flwr` logger. Flower's ERROR records are Ray's tracebacks from the sites
    (hundreds of lines for one failed round): phibench reports what failed in
    one line of its own, so they are kept out of the console too, and the
    first one's last line is kept for that message."""
    flower = logging.getLogger("flwr")
    notice = _DropRunSimulationNotice()
    errors = _FlowerErrors()
    flower.addFilter(notice)
    flower.addHandler(errors)
    consoles = [
        h
        for h in flower.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
    ]
    levels = [h.level for h in consoles]
    for handler in consoles:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield errors
    finally:
        flower.removeFilter(notice)
        flower.removeHandler(errors)
        for handler, level in zip(consoles, levels, strict=True):
            handler.setLevel(level)
