"""A run stopped half way leaves nothing that looks like a result."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phibench.interrupts import STOP_SIGNALS


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
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
    assert process.returncode == 130, err
    assert "interrupted; no result was written" in err
    assert not out.exists()  # made by this run, so removed with the partial folder


def test_a_finished_command_ignores_stops_while_python_shuts_down(monkeypatch):
    """After the command's last line, a stop could only interrupt exit
    handlers (PyTorch's): a traceback, or a signal's exit status for a
    complete run."""
    from phibench import cli

    monkeypatch.setattr(sys, "argv", ["phibench", "benchmarks", "list"])
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        assert cli.main() == 0
        assert all(signal.getsignal(s) is signal.SIG_IGN for s in STOP_SIGNALS)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_main_called_by_a_program_keeps_its_ctrl_c():
    from phibench import cli

    assert cli.main(["benchmarks", "list"]) == 0
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_under_nohup_the_terminal_closing_does_not_stop_a_run():
    from phibench import cli

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        assert cli.main(["benchmarks", "list"]) == 0
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_stop_a_library_swallowed_still_stops_the_run(tmp_path, capsys, monkeypatch):
    """Polars drops a KeyboardInterrupt that lands inside its conversion of a
    NumPy array: the run must still end interrupted, with nothing written."""
    from phibench.data import datasets

    load = datasets.load

    def load_then_swallow(*args, **kwargs):
        loaded = load(*args, **kwargs)
        with contextlib.suppress(KeyboardInterrupt):  # what the library does
            signal.raise_signal(signal.SIGTERM)
        return loaded

    monkeypatch.setattr(datasets, "load", load_then_swallow)
    before = signal.getsignal(signal.SIGTERM)
    code, err, out, store = _small_run(tmp_path, capsys)
    assert (code, err) == (130, "phibench: interrupted; no result was written\n")
    assert not out.exists()
    assert not store.exists()  # no MLflow run either
    assert signal.getsignal(signal.SIGTERM) is before  # given back to the caller


@pytest.mark.parametrize("when", ["mlflow", "table"])
def test_a_stop_after_the_folder_is_published_says_where_the_results_are(
    tmp_path, capsys, monkeypatch, when
):
    """The folder is put in place before MLflow records it and before the
    table is printed: a stop there keeps it, says where it is, and leaves the
    MLflow run KILLED, not FINISHED."""
    import mlflow

    from phibench.report import summary

    if when == "mlflow":
        log_batch = mlflow.MlflowClient.log_batch

        def interrupted(self, *args, **kwargs):
            log_batch(self, *args, **kwargs)
            signal.raise_signal(signal.SIGINT)

        monkeypatch.setattr(mlflow.MlflowClient, "log_batch", interrupted)
    else:

        def stalled(*args, **kwargs):
            raise KeyboardInterrupt  # output piped into a stalled reader

        monkeypatch.setattr(summary, "print_result", stalled)
    code, err, out, store = _small_run(tmp_path, capsys)
    (run_dir,) = out.iterdir()
    assert (code, err) == (
        130,
        "phibench: interrupted after the results were written, complete, to "
        f"{run_dir}; if MLflow was still recording them, its run is marked KILLED\n",
    )
    assert {p.name for p in run_dir.iterdir()} >= {"metrics.json", "params.json"}
    assert _mlflow_status(store) == ("KILLED" if when == "mlflow" else "FINISHED")


def test_a_stop_dropped_while_mlflow_records_still_ends_the_run_killed(
    tmp_path, capsys, monkeypatch
):
    """A stop raised inside a garbage-collection callback is printed as
    "Exception ignored" and dropped by Python (seen during MLflow's import):
    the command still ends interrupted, quietly, and the run is KILLED."""

    from phibench import interrupts
    from phibench.tracking import mlflow_log

    quiet_loggers = mlflow_log._quiet_mlflow_loggers

    @contextlib.contextmanager
    def dropped_in_a_callback():
        class Finalised:
            def __del__(self):
                interrupts.stop(signal.SIGTERM, None)

        Finalised()  # Python reports and drops the KeyboardInterrupt
        with quiet_loggers():
            yield

    monkeypatch.setattr(mlflow_log, "_quiet_mlflow_loggers", dropped_in_a_callback)
    code, err, _, store = _small_run(tmp_path, capsys)
    assert code == 130
    assert err.startswith("phibench: interrupted after the results were written")
    assert len(err.splitlines()) == 1  # no "Exception ignored" traceback
    assert _mlflow_status(store) == "KILLED"


def _small_run(tmp_path, capsys) -> tuple[int, str, Path, Path]:
    """`run dp-analytics` on 2,000 admissions in-process: exit code, stderr,
    the --out folder and the SQLite store."""
    from tests.conftest import run_cli

    out, store = tmp_path / "runs", tmp_path / "m.db"
    code, _, err = run_cli(
        ["run", "dp-analytics", "--n-admissions", "2000", "--out", str(out),
         "--tracking-uri", f"sqlite:///{store}"],
        capsys,
    )  # fmt: skip
    return code, err, out, store


def _mlflow_status(store: Path) -> str:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{store}")
    (run,) = client.search_runs(
        [client.get_experiment_by_name("phibench-dp-analytics").experiment_id]
    )
    return run.info.status
