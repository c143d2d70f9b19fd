"""A run stopped half way leaves nothing that looks like a result."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopped_run_leaves_no_run_folder(tmp_path, signum):
    out = tmp_path / "runs"
    command = [
        sys.executable, "-m", "phibench.cli", "run", "dp-analytics",
        "--n-admissions", "200000", "--out", str(out),
        "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}",
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(out.glob(".partial-*")) and time.monotonic() < deadline:
        time.sleep(0.2)  # wait until the run has started writing
    assert process.poll() is None, "the run ended before it could be stopped"

    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted; no result was written" in err
    assert not out.exists()  # made by this run, so removed with the partial folder


def test_a_finished_command_ignores_ctrl_c_while_python_shuts_down(monkeypatch):
    """After the command's last line, a Ctrl-C could only interrupt exit
    handlers (PyTorch's) and print their traceback."""
    from phibench import cli

    monkeypatch.setattr(sys, "argv", ["phibench", "benchmarks", "list"])
    previous = signal.getsignal(signal.SIGINT)
    try:
        assert cli.main() == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_main_called_by_a_program_keeps_its_ctrl_c():
    from phibench import cli

    assert cli.main(["benchmarks", "list"]) == 0
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
