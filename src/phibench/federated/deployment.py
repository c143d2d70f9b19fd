"""A consortium on one machine: Flower's deployment runtime on 127.0.0.1.

One SuperLink (the coordinating server), one SuperNode per hospital (each
given only its own data folder in its node config) and a run submitted with
`flwr run`. Used by the integration test and the speed benchmark; a real
consortium runs the same commands on separate machines (docs/federated/
deployment.md). Every process gets its own session, and `stop` kills each
whole process group, so that the ServerApp and ClientApp subprocesses the
runtime starts go with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from phibench.federated.env import FLOWER_ENV_DEFAULTS

HOST = "127.0.0.1"
APP_MODULE_SERVER = "phibench.federated.deploy_app:server_app"
APP_MODULE_CLIENT = "phibench.federated.apps:client_app"


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Consortium:
    """A SuperLink and SuperNodes as separate processes on 127.0.0.1."""

    workdir: Path
    site_dirs: list[Path]
    processes: list[subprocess.Popen] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    port: int = 0  # Flower 1.42 serves the Fleet, Control and Runtime APIs here

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(FLOWER_ENV_DEFAULTS)
        env["FLWR_HOME"] = str(self.workdir / "flwr-home")
        bin_dir = str(Path(sys.executable).parent)  # flwr-serverapp, flwr-clientapp
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        return env

    def start(self) -> None:
        self.port = free_port()
        self._spawn(
            "superlink",
            [
                "flower-superlink",
                "--insecure",
                "--disable-runtime-dependency-installation",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--health-server-address",
                f"{HOST}:{free_port()}",
            ],
        )
        for index, folder in enumerate(self.site_dirs):
            self._spawn(
                f"supernode-{index}",
                [
                    "flower-supernode",
                    "--insecure",
                    "--superlink",
                    f"{HOST}:{self.port}",
                    "--host",
                    HOST,
                    "--port",
                    str(free_port()),
                    "--health-server-address",
                    f"{HOST}:{free_port()}",
                    "--node-config",
                    f"data-dir='{folder}'",
                ],
            )
        self._write_flower_config()

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115
        bin_dir = Path(sys.executable).parent
        process = subprocess.Popen(
            [str(bin_dir / argv[0]), *argv[1:]],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            cwd=self.workdir,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        self.names.append(name)

    def _write_flower_config(self) -> None:
        home = self.workdir / "flwr-home"
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(
            '[superlink]\ndefault = "consortium"\n\n[superlink.consortium]\n'
            f'address = "{HOST}:{self.port}"\ninsecure = true\n',
            encoding="utf-8",
        )

    def run(self, run_config: dict[str, object], *, timeout: float = 300) -> dict:
        """Submit the app with `flwr run`, wait for the ServerApp's result file."""
        result = self.workdir / "result.json"
        config = dict(run_config) | {"result-path": str(result)}
        app_dir = write_app_project(self.workdir / "app", config)
        overrides = " ".join(f"{k}={_toml(v)}" for k, v in config.items())
        deadline = time.monotonic() + timeout
        while True:  # the SuperLink needs a moment before it accepts runs
            submitted = subprocess.run(
                [
                    str(Path(sys.executable).parent / "flwr"),
                    "run",
                    str(app_dir),
                    "consortium",
                    "--run-config",
                    overrides,
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                env=self.environment(),
                cwd=self.workdir,
                timeout=120,
            )
            (self.workdir / "flwr-run.log").write_text(
                submitted.stdout + submitted.stderr, encoding="utf-8"
            )
            if _submitted(submitted) or time.monotonic() > deadline:
                break
            time.sleep(1)
        if not _submitted(submitted):
            raise RuntimeError(
                f"flwr run failed: {submitted.stdout[-500:]}{submitted.stderr[-500:]}"
            )
        while not result.exists():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"no result after {timeout:.0f} s; see {self.workdir}/*.log"
                )
            time.sleep(0.5)
        return json.loads(result.read_text(encoding="utf-8"))

    def _check_alive(self) -> None:
        for name, process in zip(self.names, self.processes, strict=True):
            if process.poll() is not None:
                log = (self.workdir / f"{name}.log").read_text(errors="replace")
                tail = " | ".join(log.strip().splitlines()[-3:])
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; its log ends: {tail}"
                )

    def stop(self) -> None:
        """SIGTERM each process group, then SIGKILL what is left after 10 s."""
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        end = time.monotonic() + 10
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, end - time.monotonic()))
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _submitted(completed: subprocess.CompletedProcess) -> bool:
    """`flwr run --format json` succeeded: exit 0 and a JSON reply with a run id."""
    if completed.returncode != 0:
        return False
    try:
        reply = json.loads(completed.stdout)
    except json.JSONDecodeError:
        return False
    return bool(reply.get("success")) and "run-id" in reply


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(process.pid, sig)


def _toml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return str(value).lower() if isinstance(value, bool) else repr(value)


def write_app_project(folder: Path, config: dict[str, object]) -> Path:
    """A minimal Flower app project: its code is phibench, already installed."""
    folder.mkdir(parents=True, exist_ok=True)
    defaults = "\n".join(f"{key} = {_toml(value)}" for key, value in config.items())
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\n'
        'build-backend = "hatchling.build"\n\n'
        '[project]\nname = "phibench-federated-app"\nversion = "1.0.0"\n'
        "dependencies = []\n\n"
        '[tool.hatch.build.targets.wheel]\npackages = ["."]\n\n'
        '[tool.flwr.app]\npublisher = "phibench"\n\n'
        "[tool.flwr.app.components]\n"
        f'serverapp = "{APP_MODULE_SERVER}"\nclientapp = "{APP_MODULE_CLIENT}"\n\n'
        f"[tool.flwr.app.config]\n{defaults}\n",
        encoding="utf-8",
    )
    return folder
