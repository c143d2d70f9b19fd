"""Start a real `mlflow server` on 127.0.0.1 for tests and benchmarks.

The server runs in its own process group so that stopping it ends every process
it started (MLflow's server spawns workers).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from phibench.tracking.mlflow_log import _MLFLOW_ENV_DEFAULTS, TrackingError

logger = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S = 180.0  # a busy 2-core machine took over 60 s


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    for name, value in _MLFLOW_ENV_DEFAULTS.items():
        env.setdefault(name, value)
    # The job runner serves GenAI evaluation jobs, which phibench does not use;
    # without it the server is one process fewer and writes nothing to /dev/shm.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return env


def _drain(stream: Any, tail: collections.deque[str]) -> None:
    """Keep the last lines the server writes, so a failed start can say why."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        tail.append(line)
        logger.debug("mlflow server: %s", line)
    stream.close()


def _wait_healthy(proc: subprocess.Popen[bytes], uri: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"no answer from /health within {timeout_s:.0f} s")


def _stop_group(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL."""
    pgid = proc.pid  # start_new_session made the server its group's leader.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        logger.warning("MLflow server ignored SIGTERM for %.0f s; killing it", grace_s)
    # Workers may outlive the leader: whatever remains in the group is killed.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait()


@contextlib.contextmanager
def start_local_server(
    *,
    backend_store_uri: str,
    artifacts_dir: Path,
    port: int | None = None,
    timeout_s: float = SERVER_START_TIMEOUT_S,
) -> Iterator[str]:
    """Run `mlflow server` on 127.0.0.1 for the duration of a `with` block.

    Yields the server's URI. The server proxies artifacts into `artifacts_dir`.
    On exit its whole process group is stopped. Starting takes 8-25 s on two
    busy cores, most of it importing MLflow in two processes.

    Raises:
        TrackingError: the server exited, or did not answer on /health within
            `timeout_s` seconds.
    """
    port = _free_port() if port is None else port
    uri = f"http://127.0.0.1:{port}"
    artifacts_dir = Path(artifacts_dir).resolve()
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
        "--backend-store-uri", backend_store_uri,
        "--serve-artifacts",
        "--artifacts-destination", str(artifacts_dir),
    ]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_server_env(),
        start_new_session=True,
    )
    tail: collections.deque[str] = collections.deque(maxlen=20)
    drainer = threading.Thread(target=_drain, args=(proc.stdout, tail), daemon=True)
    drainer.start()
    try:
        _wait_healthy(proc, uri, timeout_s)
    except RuntimeError as exc:
        _stop_group(proc)
        last = next((line for line in reversed(tail) if line.strip()), "")
        raise TrackingError(
            f"MLflow server at {uri} did not start: {exc}; last output: {last!r}"
        ) from None
    except BaseException:  # e.g. Ctrl-C while waiting: leave no server behind.
        _stop_group(proc)
        raise

    logger.info(
        "MLflow server up at %s (pid %d) after %.1f s",
        uri,
        proc.pid,
        time.monotonic() - started,
    )
    try:
        yield uri
    finally:
        _stop_group(proc)
        drainer.join(timeout=5)
        logger.info("MLflow server at %s stopped", uri)
