"""A real `mlflow server` on 127.0.0.1: log a run through it, read it back, stop it."""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import pytest

from phibench.tracking import TrackingError, log_run, start_local_server

# MLflow 3.17's SQLite store declares a relationship with SQLAlchemy's `noload`
# strategy, which SQLAlchemy 2.1 deprecates; the warning is raised once, when the
# store's mappers are first configured, and is not ours to fix.
pytestmark = [
    pytest.mark.server,
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)"),
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy is deprecated"
        ":sqlalchemy.exc.SADeprecationWarning"
    ),
]


def _process_groups(port: int) -> set[int]:
    """Process groups of the live processes whose command line names `port`."""
    groups = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # The process ended while we looked.
        if b"--port" in args and str(port).encode() in args:
            # Fields after the command name: state, parent pid, process group.
            groups.add(int(stat.rsplit(")", 1)[1].split()[2]))
    return groups


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_log_run_through_local_server(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "results.json").write_text('{"mae": 0.25}')
    served = tmp_path / "served-artifacts"
    backend = f"sqlite:///{tmp_path / 'server' / 'mlflow.db'}"
    (tmp_path / "server").mkdir()

    with start_local_server(backend_store_uri=backend, artifacts_dir=served) as uri:
        port = int(uri.rsplit(":", 1)[1])
        groups = _process_groups(port)
        assert uri.startswith("http://127.0.0.1:")
        assert len(groups) == 1

        run_id = log_run(
            tracking_uri=uri,
            experiment="integration",
            run_name="via-server",
            params={"privacy": {"epsilon": 1.0}},
            metrics={"utility/mae": 0.25, "ci_high": float("inf")},
            artifacts_dir=outputs,
            tags={"phibench.dataset": "synthetic-demo"},
        )

        client = mlflow.MlflowClient(tracking_uri=uri)
        run = client.get_run(run_id)
        listed = {item.path for item in client.list_artifacts(run_id)}

    assert run.data.params == {"privacy.epsilon": "1.0"}
    assert run.data.metrics == {"utility/mae": 0.25}
    assert run.data.tags["phibench.skipped_metrics"] == "ci_high"
    assert listed == {"results.json", "params.json"}
    assert list(served.rglob("results.json"))  # The server wrote into our folder.

    (pgid,) = groups
    assert not _group_alive(pgid)
    assert _process_groups(port) == set()
    assert "View run" not in capfd.readouterr().out


def test_refused_backend_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MLflow 3.17 refuses the file store unless MLFLOW_ALLOW_FILE_STORE is set.
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    backend = (tmp_path / "file-store").as_uri()

    with (
        pytest.raises(TrackingError, match=r"did not start: server exited") as caught,
        start_local_server(backend_store_uri=backend, artifacts_dir=tmp_path / "a"),
    ):
        pass

    port = int(str(caught.value).split("127.0.0.1:", 1)[1].split()[0])
    assert _process_groups(port) == set()
    assert "\n" not in str(caught.value)
