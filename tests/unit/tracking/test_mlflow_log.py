"""Logging runs to a local SQLite MLflow store, and failing cleanly on a server."""

from __future__ import annotations

import http.server
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from phibench.errors import InputError
from phibench.tracking import TrackingError, default_tracking_uri, log_run, mlflow_log
from phibench.tracking.mlflow_log import (
    MAX_PARAM_VALUE_LENGTH,
    SKIPPED_METRICS_TAG,
    TRUNCATION_MARKER,
    flatten_params,
    sanitize_key,
)

# MLflow 3.17's SQLite store declares a relationship with SQLAlchemy's `noload`
# strategy, which SQLAlchemy 2.1 deprecates; the warning is raised once, when the
# store's mappers are first configured, and is not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The ``noload`` loader strategy is deprecated"
    ":sqlalchemy.exc.SADeprecationWarning"
)

PARAMS = {
    "method": "laplace",
    "privacy": {"epsilons": [0.5, 1.0], "delta": 1e-6, "unit": {"kind": "patient"}},
    "seed": 7,
    "notes": "x" * (MAX_PARAM_VALUE_LENGTH + 50),
}
METRICS = {"utility/mae": 0.25, "n rows (kept)": 100, "ci_low": float("nan")}


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    (folder / "figures").mkdir(parents=True)
    (folder / "results.json").write_text('{"mae": 0.25}')
    (folder / "figures" / "curve.svg").write_text("<svg/>")
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: nothing may be written to it."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def _log(uri: str, artifacts_dir: Path, **overrides: object) -> str:
    kwargs: dict = {
        "tracking_uri": uri,
        "experiment": "unit",
        "run_name": "run-1",
        "params": PARAMS,
        "metrics": METRICS,
        "artifacts_dir": artifacts_dir,
        "tags": {"phibench.dataset": "synthetic-demo"},
    }
    kwargs.update(overrides)
    return log_run(**kwargs)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"a": 1}, {"a": "1"}),
        ({"a": {"b": {"c": "x"}}}, {"a.b.c": "x"}),
        ({"eps": [0.5, 1.0]}, {"eps": "[0.5, 1.0]"}),
        ({"flag": True, "none": None}, {"flag": "true", "none": "null"}),
        ({"empty": {}}, {"empty": "{}"}),
        ({"p": Path("/a/b")}, {"p": '"/a/b"'}),
    ],
)
def test_flatten_params(params: dict, expected: dict) -> None:
    assert flatten_params(params) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("utility/mae", "utility/mae"),
        ("n rows (kept)", "n rows _kept_"),
        ("ratio:a", "ratio_a"),
        ("/lead//double/", "lead/double"),
        ("a/../b", "a/_/b"),
        ("ε", "_"),
        ("", "_"),
        ("k" * 300, "k" * 250),
    ],
)
def test_sanitize_key(key: str, expected: str) -> None:
    assert sanitize_key(key) == expected


def test_default_tracking_uri_creates_folder(tmp_path: Path) -> None:
    uri = default_tracking_uri(workdir=tmp_path / "work")

    assert uri == f"sqlite:///{tmp_path.resolve()}/work/phibench-runs/mlflow.db"
    assert (tmp_path / "work" / "phibench-runs").is_dir()


def test_log_run_to_sqlite(tmp_path: Path, artifacts: Path, elsewhere: Path) -> None:
    uri = default_tracking_uri(workdir=tmp_path)

    run_id = _log(uri, artifacts)

    run = mlflow.MlflowClient(tracking_uri=uri).get_run(run_id)
    params = run.data.params
    assert params["privacy.epsilons"] == "[0.5, 1.0]"
    assert params["privacy.unit.kind"] == "patient"
    assert params["seed"] == "7"
    assert len(params["notes"]) == MAX_PARAM_VALUE_LENGTH
    assert params["notes"].endswith(TRUNCATION_MARKER)
    assert run.data.metrics == {"utility/mae": 0.25, "n rows _kept_": 100.0}
    assert run.data.tags[SKIPPED_METRICS_TAG] == "ci_low"
    assert run.data.tags["phibench.dataset"] == "synthetic-demo"
    assert run.info.run_name == "run-1"
    assert run.info.status == "FINISHED"

    stored = tmp_path / "phibench-runs" / "artifacts" / run_id / "artifacts"
    assert (stored / "results.json").read_text() == '{"mae": 0.25}'
    assert (stored / "figures" / "curve.svg").is_file()
    assert json.loads((stored / "params.json").read_text())["notes"] == PARAMS["notes"]
    assert list(elsewhere.iterdir()) == []


def test_log_run_keeps_callers_params_json(tmp_path: Path, artifacts: Path) -> None:
    (artifacts / "params.json").write_text('{"from": "runner"}')
    uri = default_tracking_uri(workdir=tmp_path)

    run_id = _log(uri, artifacts)

    stored = tmp_path / "phibench-runs" / "artifacts" / run_id / "artifacts"
    assert json.loads((stored / "params.json").read_text()) == {"from": "runner"}


def test_log_run_reuses_experiment(tmp_path: Path, artifacts: Path) -> None:
    uri = default_tracking_uri(workdir=tmp_path)

    first = _log(uri, artifacts)
    second = _log(uri, artifacts, run_name="run-2", metrics={}, params={})

    client = mlflow.MlflowClient(tracking_uri=uri)
    assert client.get_run(first).info.experiment_id == (
        client.get_run(second).info.experiment_id
    )
    assert SKIPPED_METRICS_TAG not in client.get_run(second).data.tags


def test_log_run_keeps_console_clean(
    tmp_path: Path, artifacts: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    before = {name: logging.getLogger(name).level for name in ("mlflow", "alembic")}

    _log(default_tracking_uri(workdir=tmp_path), artifacts)

    after = {name: logging.getLogger(name).level for name in ("mlflow", "alembic")}
    assert after == before
    out, err = capfd.readouterr()
    assert out == ""
    assert "INFO" not in err  # e.g. MLflow's "Creating initial database tables"


def test_colliding_metric_names_are_refused(tmp_path: Path, artifacts: Path) -> None:
    uri = default_tracking_uri(workdir=tmp_path)

    with pytest.raises(ValueError, match=r"'a:b' and 'a_b' both become 'a_b'"):
        _log(uri, artifacts, metrics={"a:b": 1.0, "a_b": 2.0})


def test_missing_artifacts_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"artifacts_dir=.*is not a folder"):
        _log(default_tracking_uri(workdir=tmp_path), tmp_path / "missing")


def test_in_memory_sqlite_is_refused(artifacts: Path) -> None:
    with pytest.raises(InputError, match="in-memory SQLite store"):
        _log("sqlite://", artifacts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # MLflow's client otherwise retries a failed request for minutes.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")


@pytest.mark.usefixtures("no_retries")
def test_unreachable_server_raises_quickly(artifacts: Path) -> None:
    uri = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()

    with pytest.raises(TrackingError) as caught:
        _log(uri, artifacts)

    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert message.startswith(f"MLflow tracking at {uri} is unreachable:")
    assert "\n" not in message


class _NotMlflow(http.server.BaseHTTPRequestHandler):
    """A web server that answers every request with 404."""

    def do_GET(self) -> None:
        self.send_error(404)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_mlflow_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotMlflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.usefixtures("no_retries")
def test_server_error_raises_tracking_error(
    not_mlflow_server: str, artifacts: Path
) -> None:
    with pytest.raises(TrackingError) as caught:
        _log(not_mlflow_server, artifacts)

    message = str(caught.value)
    assert message.startswith(f"MLflow tracking at {not_mlflow_server} failed:")
    assert "\n" not in message


class _Failing(http.server.BaseHTTPRequestHandler):
    """A server that answers every request with 500, counting them."""

    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        self.send_error(500)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_failing_server_is_given_up_on_after_three_retries(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """phibench's default: MLflow's own (7 retries, doubling waits) kept the
    command silent for about 4 minutes before it said anything."""
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "3"
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")  # no waits here
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(TrackingError, match="too many 500 error responses"):
            _log(f"http://127.0.0.1:{server.server_address[1]}", artifacts)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    # the reachability probe, then MLflow's first call and its 3 retries
    assert _Failing.requests == 1 + 4


def test_credentials_are_not_echoed(artifacts: Path) -> None:
    uri = f"http://user:secret@127.0.0.1:{_free_port()}"

    with pytest.raises(TrackingError) as caught:
        _log(uri, artifacts)

    assert "secret" not in str(caught.value)


def test_telemetry_default_respects_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")
    monkeypatch.delenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", raising=False)

    mlflow_log._set_mlflow_env_defaults()

    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "false"
    assert os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] == "true"


def test_telemetry_off_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_DISABLE_TELEMETRY", raising=False)

    mlflow_log._set_mlflow_env_defaults()

    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert mlflow.telemetry.get_telemetry_client() is None


def test_a_sqlite_uri_naming_a_folder_is_refused_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"is a folder, not a database file; use sqlite"
    ):
        mlflow_log.check_tracking_uri(f"sqlite:///{tmp_path}")


def test_an_interrupt_while_logging_leaves_the_run_killed_not_running(
    tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(mlflow.MlflowClient, "log_artifacts", interrupted)
    uri = default_tracking_uri(workdir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _log(uri, artifacts)
    (run,) = mlflow.MlflowClient(tracking_uri=uri).search_runs(
        [
            mlflow.MlflowClient(tracking_uri=uri)
            .get_experiment_by_name("unit")
            .experiment_id
        ]
    )
    assert run.info.status == "KILLED"
    assert run.info.end_time is not None


def test_an_interrupt_while_the_store_is_made_leaves_no_half_made_store(
    tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow makes the first tables, then runs its migrations one by one; a
    Ctrl-C among them used to leave a store no later run could use."""
    import mlflow.store.db.utils as db_utils

    def interrupted(engine: object) -> None:
        raise KeyboardInterrupt

    store = tmp_path / "runs"
    store.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    with monkeypatch.context() as patch:
        patch.setattr(db_utils, "_upgrade_db", interrupted)
        with pytest.raises(KeyboardInterrupt):
            _log(uri, artifacts)
    assert list(store.iterdir()) == []  # no store, and no hidden copy

    run_id = _log(uri, artifacts)
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).info.status == (
        "FINISHED"
    )
    assert sorted(p.name for p in store.iterdir()) == ["artifacts", "mlflow.db"]
    umask = os.umask(0)
    os.umask(umask)
    assert (store / "mlflow.db").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_store_another_run_made_first_is_kept(
    tmp_path: Path, artifacts: Path
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = _log(uri, artifacts)
    mlflow_log._make_sqlite_store(uri, (tmp_path / "artifacts").as_uri())
    second = _log(uri, artifacts, run_name="run-2")
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("unit").experiment_id
    assert {run.info.run_id for run in client.search_runs([experiment])} == {
        first,
        second,
    }
    assert not list(tmp_path.glob(".mlflow.db.new-*"))


@pytest.mark.parametrize("method", ["create_run", "log_batch"])
def test_an_interrupt_while_recording_arrives_after_it_and_kills_the_run(
    tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """Cut inside create_run, a run would stay RUNNING under an id phibench
    never learnt; inside SQLAlchemy, a Ctrl-C can land in a garbage-collection
    callback, where Python prints and drops it. The recording holds it to its
    end, then marks the run KILLED."""
    import signal
    import sys

    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    original = getattr(mlflow.MlflowClient, method)

    def interrupted(self, *args: object, **kwargs: object) -> object:
        result = original(self, *args, **kwargs)
        signal.raise_signal(signal.SIGINT)
        return result

    monkeypatch.setattr(mlflow.MlflowClient, method, interrupted)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(KeyboardInterrupt):
        _log(uri, artifacts)
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("unit").experiment_id])
    assert run.info.status == "KILLED"
    # everything after the Ctrl-C was still recorded, then the run was killed
    assert {f.path for f in client.list_artifacts(run.info.run_id)} >= {"params.json"}
    assert unraisable == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize(
    ("make", "suffix", "message"),
    [
        (None, "?mode=ro", r"holds a query \('\?'\)"),
        (None, "?immutable=1", r"holds a query \('\?'\)"),
        ("text", "", "exists and is not a SQLite database"),
    ],
)
def test_a_sqlite_store_phibench_cannot_write_is_refused_before_the_run(
    tmp_path: Path, make: str | None, suffix: str, message: str
) -> None:
    target = tmp_path / "mlflow.db"
    if make == "text":
        target.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(InputError, match=message):
        mlflow_log.check_tracking_uri(f"sqlite:///{target}{suffix}")
    if make == "text":
        assert target.read_text().startswith("root:x")  # left as it was


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("SQLITE:///{db}", "write the scheme in lower case, sqlite:"),
        ("HTTP://127.0.0.1:1", "write the scheme in lower case, http:"),
        ("sqlite+foo:///{db}", "is not a SQLite URI phibench takes"),
        ("sqlite:/{db}", "is not a SQLite URI phibench takes"),
        ("sqlite:{db}", "is not a SQLite URI phibench takes"),
        ("sqlite://host/{db}", "is not a SQLite URI phibench takes"),
        ("sqlite:///{db}%2Fx", r"holds percent-encoding \('%'\)"),
        ("sqlite:///{db}#frag", r"holds a fragment \('#'\)"),
        ("sqlite:///{db}?mode=rwc", r"holds a query \('\?'\)"),
        ("sqlite:///:memory:", "is an in-memory SQLite store"),
        ("sqlite+pysqlite://", "is an in-memory SQLite store"),
        ("sqlite:///", "is an in-memory SQLite store"),
        ("sqlite+pysqlite:///", "is an in-memory SQLite store"),
        (" sqlite:///{db}", "starts or ends with a space; remove it"),
        ("sqlite:///{db} ", "starts or ends with a space; remove it"),
    ],
)
def test_a_sqlite_uri_sqlalchemy_would_read_otherwise_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uri: str, message: str
) -> None:
    """Only the plain form names the same file for phibench, SQLAlchemy and
    MLflow; every other form is refused before anything is made."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        mlflow_log.check_tracking_uri(uri.format(db="mlflow.db"))
    assert list(tmp_path.iterdir()) == []


def test_three_slashes_is_relative_and_four_absolute() -> None:
    assert mlflow_log._sqlite_path("sqlite:///runs/m.db") == Path("runs/m.db")
    assert mlflow_log._sqlite_path("sqlite:////srv/m.db") == Path("/srv/m.db")
    assert mlflow_log._sqlite_path("sqlite://") is None


def test_a_device_is_not_a_store() -> None:
    with pytest.raises(InputError, match="/dev/null is not a regular file"):
        mlflow_log.check_tracking_uri("sqlite:////dev/null")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_a_folder_phibench_cannot_write_to_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(InputError, match="is not writable"):
        mlflow_log.check_tracking_uri(f"sqlite:///{locked / 'mlflow.db'}")


def test_a_sqlite_uri_with_a_driver_is_accepted(
    tmp_path: Path, artifacts: Path
) -> None:
    uri = f"sqlite+pysqlite:///{tmp_path / 'mlflow.db'}"
    mlflow_log.check_tracking_uri(uri)
    run_id = _log(uri, artifacts)
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).info.status == (
        "FINISHED"
    )


def test_an_empty_file_is_an_empty_store(tmp_path: Path, artifacts: Path) -> None:
    target = tmp_path / "mlflow.db"
    target.touch()
    uri = f"sqlite:///{target}"
    mlflow_log.check_tracking_uri(uri)
    run_id = _log(uri, artifacts)
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).info.status == (
        "FINISHED"
    )
