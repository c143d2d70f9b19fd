"""Record benchmark runs in MLflow: a local SQLite store by default, or a server.

MLflow is imported lazily, inside the functions, for two reasons: importing it
takes seconds, and its telemetry switch is read when the package is first
imported, so `_set_mlflow_env_defaults` must run before that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import re
import secrets
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from phibench.errors import InputError
from phibench.interrupts import check_not_stopped, interrupts_held
from phibench.tracking.guard import DataUseTerms, check_artifacts

logger = logging.getLogger(__name__)

MAX_PARAM_VALUE_LENGTH = 6000  # MLflow's limit on a parameter value.
MAX_TAG_VALUE_LENGTH = 8000  # MLflow's limit on a run tag value.
MAX_KEY_LENGTH = 250  # MLflow's limit on a metric, parameter or tag key.
TRUNCATION_MARKER = "...[truncated; full value in params.json]"
SKIPPED_METRICS_TAG = "phibench.skipped_metrics"

# MLflow accepts letters, digits, `_ - . /`, space and (off Windows) colon. Colons
# are replaced too, so that a store written here can be read on any system.
_DISALLOWED_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-. /]")

# Switches MLflow 3.17 reads from the environment, set unless the user chose:
# - no usage reporting (MLflow honours DO_NOT_TRACK only when it equals "true",
#   not "1", so its own switch is set);
# - no "View run at <url>" lines written straight to stdout by the client after
#   each run on a server, which would corrupt a `--format json` output;
# - a server that answers with errors is given up on after about 10 s, not
#   after MLflow's 7 retries with doubling waits (about 4 minutes, silent).
_MLFLOW_ENV_DEFAULTS = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
_NOISY_LOGGERS = ("mlflow", "alembic", "sqlalchemy", "huey")


class TrackingError(RuntimeError):
    """The MLflow tracking store or server could not record a run."""


def _set_mlflow_env_defaults() -> None:
    """Turn MLflow's usage reporting and stdout links off, unless the user chose."""
    telemetry_was_unset = "MLFLOW_DISABLE_TELEMETRY" not in os.environ
    for name, value in _MLFLOW_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)

    if telemetry_was_unset and "mlflow.telemetry" in sys.modules:
        # MLflow was imported before us, its reporting client built with the
        # setting unset: build it again, which now leaves none.
        from mlflow.telemetry import set_telemetry_client

        set_telemetry_client()


_set_mlflow_env_defaults()


#: URI schemes MLflow 3.17 can track to (its file store is refused).
_TRACKING_SCHEMES = ("sqlite", "http", "https", "postgresql", "mysql", "mssql")


def check_tracking_uri(tracking_uri: str) -> None:
    """Refuse a tracking URI that cannot work, before any work is done.

    A SQLite store's folder must exist (a typo must not create folders in odd
    places); an HTTP server must answer.
    """
    if not tracking_uri.strip():
        raise InputError("--tracking-uri is empty; give a URI or leave the flag out")
    if tracking_uri != tracking_uri.strip():
        raise InputError(
            f"--tracking-uri {_safe_uri(tracking_uri)!r} starts or ends with a "
            "space; remove it (quote a path that holds spaces)"
        )
    scheme = urllib.parse.urlsplit(tracking_uri).scheme.split("+")[0]
    if scheme not in _TRACKING_SCHEMES:
        raise InputError(
            f"--tracking-uri {_safe_uri(tracking_uri)!r}: scheme {scheme!r} is not "
            f"supported; use sqlite:///PATH/mlflow.db or http(s)://HOST:PORT"
        )
    if not tracking_uri.startswith(scheme):  # urlsplit lowers it; MLflow does not
        raise InputError(
            f"--tracking-uri {_safe_uri(tracking_uri)!r}: write the scheme in "
            f"lower case, {scheme}:"
        )
    if scheme == "sqlite":
        _check_sqlite_store(tracking_uri)
    try:
        _check_server_reachable(tracking_uri)
    except TrackingError as error:
        raise InputError(
            f"--tracking-uri: {error}; start the server or fix the URI"
        ) from None


#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def _sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a `sqlite[+driver]:` URI as SQLAlchemy reads it;
    None for an in-memory store. `sqlite:///x.db` is relative,
    `sqlite:////abs/x.db` absolute."""
    from sqlalchemy.engine import make_url

    database = make_url(tracking_uri).database
    return None if database in {None, "", ":memory:"} else Path(database)


#: The SQLite URIs phibench takes: SQLAlchemy's default driver, no host.
_SQLITE_FORMS = ("sqlite:///", "sqlite+pysqlite:///")


def _check_sqlite_form(tracking_uri: str) -> Path:
    """The file a SQLite URI names, when the URI is in the one plain form
    whose file MLflow, SQLAlchemy and phibench all agree on."""
    plain = tracking_uri.startswith(_SQLITE_FORMS)
    if tracking_uri in {"sqlite://", "sqlite+pysqlite://"} or (
        plain and _sqlite_path(tracking_uri) is None
    ):  # SQLAlchemy opens an empty file name in memory too
        raise InputError(
            f"--tracking-uri {tracking_uri!r} is an in-memory SQLite store, lost "
            "at exit; give a database file, e.g. sqlite:///runs/mlflow.db"
        )
    if not plain:
        raise InputError(
            f"--tracking-uri {tracking_uri!r} is not a SQLite URI phibench "
            "takes; write sqlite:///RELATIVE/PATH.db or sqlite:////ABSOLUTE/PATH.db"
        )
    marks = (("?", "a query"), ("#", "a fragment"), ("%", "percent-encoding"))
    for mark, what in marks:
        if mark in tracking_uri:
            raise InputError(
                f"--tracking-uri {tracking_uri!r} holds {what} ({mark!r}), which "
                "SQLite URIs here do not take; name the file plainly, e.g. "
                "sqlite:///runs/mlflow.db"
            )
    path = _sqlite_path(tracking_uri)
    assert path is not None  # the in-memory forms are refused above
    return path


def _check_sqlite_store(tracking_uri: str) -> None:
    """A SQLite store phibench can write to, or one it can make."""
    path = _check_sqlite_form(tracking_uri)
    if not path.parent.is_dir():
        raise InputError(
            f"--tracking-uri {tracking_uri!r}: folder {path.parent} does not "
            "exist; create it or choose another path"
        )
    if path.is_dir():
        raise InputError(
            f"--tracking-uri {tracking_uri!r}: {path} is a folder, not a "
            f"database file; use sqlite:///{path / 'mlflow.db'}"
        )
    if not path.exists():
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise InputError(
                f"--tracking-uri {tracking_uri!r}: folder {path.parent} is not "
                "writable; choose a folder you can write to"
            )
        return
    if not path.is_file():
        raise InputError(
            f"--tracking-uri {tracking_uri!r}: {path} is not a regular file; "
            "name a database file, e.g. sqlite:///runs/mlflow.db"
        )
    try:
        with path.open("rb") as store:
            header = store.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise InputError(
            f"--tracking-uri {tracking_uri!r}: {path} cannot be read "
            f"({error.strerror}); fix its permissions or choose another file"
        ) from None
    if header not in (_SQLITE_HEADER, b""):  # an empty file is an empty store
        raise InputError(
            f"--tracking-uri {tracking_uri!r}: {path} exists and is not a SQLite "
            "database; name a new file or an MLflow store"
        )
    if not os.access(path, os.W_OK):
        raise InputError(
            f"--tracking-uri {tracking_uri!r}: {path} is not writable; fix its "
            "permissions or choose another file"
        )


def default_tracking_uri(*, workdir: Path) -> str:
    """Return the SQLite store under `workdir/phibench-runs`, creating the folder."""
    runs_dir = Path(workdir).expanduser().resolve() / "phibench-runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{runs_dir / 'mlflow.db'}"


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested mappings to dotted keys; lists and scalars become strings."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, prefix=f"{name}."))
        else:
            flat[name] = _to_text(value)
    return flat


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def sanitize_key(key: str) -> str:
    """Map `key` to a name MLflow accepts (characters, path form and length)."""
    cleaned = _DISALLOWED_KEY_CHARS.sub("_", str(key))

    # MLflow refuses names that a path normalisation would change.
    parts = [part for part in cleaned.split("/") if part]
    parts = ["_" if part in {".", ".."} else part for part in parts]
    return ("/".join(parts) or "_")[:MAX_KEY_LENGTH]


def _truncate(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    return value[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


def _unique_keys(items: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Sanitise the keys of `items`, refusing two keys that become one."""
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in items.items():
        clean = sanitize_key(key)
        if clean in out:
            raise ValueError(
                f"{what} names {origin[clean]!r} and {key!r} both become {clean!r} "
                "in MLflow; rename one of them"
            )
        out[clean] = value
        origin[clean] = key
    return out


@dataclasses.dataclass(frozen=True)
class RunContent:
    """What `log_run` sends to MLflow, with keys and values MLflow accepts."""

    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    skipped_metrics: list[str]


def prepare_content(
    *,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
) -> RunContent:
    """Flatten, sanitise and truncate; set aside non-finite metrics in a tag."""
    flat = {
        key: _truncate(value, MAX_PARAM_VALUE_LENGTH)
        for key, value in _unique_keys(flatten_params(params), "parameter").items()
    }
    finite: dict[str, float] = {}
    skipped: list[str] = []
    for key, value in _unique_keys(metrics, "metric").items():
        number = float(value)
        if math.isfinite(number):
            finite[key] = number
        else:
            skipped.append(key)

    run_tags = {
        key: _truncate(str(value), MAX_TAG_VALUE_LENGTH)
        for key, value in _unique_keys(tags, "tag").items()
    }
    if skipped:
        names = ",".join(skipped)
        run_tags[SKIPPED_METRICS_TAG] = _truncate(names, MAX_TAG_VALUE_LENGTH)
    return RunContent(flat, finite, run_tags, skipped)


def _safe_uri(uri: str) -> str:
    """Drop any user name and password from `uri` before it goes in a message."""
    parts = urllib.parse.urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _tracking_error(uri: str, exc: BaseException) -> TrackingError:
    """One line naming the store and the first line of MLflow's message."""
    lines = str(exc).strip().splitlines()
    cause = lines[0] if lines else type(exc).__name__
    password = urllib.parse.urlsplit(uri).password
    if password:
        cause = cause.replace(password, "***")
    if len(cause) > 300:
        cause = cause[:297] + "..."
    return TrackingError(f"MLflow tracking at {_safe_uri(uri)} failed: {cause}")


@contextlib.contextmanager
def _quiet_mlflow_loggers() -> Iterator[None]:
    """Raise MLflow's, Alembic's and SQLAlchemy's loggers to WARNING for a while."""
    # Importing MLflow sets its loggers' levels: import first, so that the levels
    # restored afterwards are MLflow's own.
    import mlflow  # noqa: F401

    saved = {name: logging.getLogger(name).level for name in _NOISY_LOGGERS}
    for name in _NOISY_LOGGERS:
        noisy = logging.getLogger(name)
        if noisy.getEffectiveLevel() < logging.WARNING:
            noisy.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _sqlite_artifact_location(tracking_uri: str) -> str | None:
    """Return `<folder of the database>/artifacts` for a SQLite URI, else None."""
    if not tracking_uri.startswith("sqlite"):
        return None
    db_path = _sqlite_path(tracking_uri)
    if db_path is None:
        raise InputError(
            f"tracking_uri={tracking_uri!r} is an in-memory SQLite store; "
            "give a database file, e.g. sqlite:///runs/mlflow.db"
        )
    return (db_path.resolve().parent / "artifacts").as_uri()


def _make_sqlite_store(tracking_uri: str, artifact_location: str) -> None:
    """Make a SQLite store that does not exist yet, whole or not at all.

    MLflow builds a new store's schema in some forty migrations, not in one
    transaction: an interrupt among them leaves a store that no later run can
    use. So the store is built under a hidden name in the same folder and
    linked to its real name only when complete. Another process that made the
    store first wins, and this copy is dropped.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    target = _sqlite_path(tracking_uri)
    if target is None or (target.exists() and target.stat().st_size > 0):
        return
    empty = target.exists()  # made by the user (`touch`): replaced, not kept
    scheme = urllib.parse.urlsplit(tracking_uri).scheme
    # made by SQLite itself, so with the mode any new store gets
    building = target.parent / f".{target.name}.new-{secrets.token_hex(4)}"
    building_uri = f"{scheme}:///{building.resolve()}"
    try:
        store = SqlAlchemyStore(building_uri, artifact_location)
        store.engine.dispose()
        # MLflow keeps one engine per URI; this URI is never used again
        with contextlib.suppress(AttributeError):
            SqlAlchemyStore._engine_map.pop(building_uri, None)
        if empty:
            os.replace(building, target)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(building, target)
    finally:
        building.unlink(missing_ok=True)


def _check_server_reachable(tracking_uri: str, timeout_s: float = 5.0) -> None:
    """Fail fast when nothing answers at an HTTP tracking URI.

    MLflow's client retries a refused connection for minutes by default; one
    short request tells "nothing listening" apart from a slow server.
    """
    if not tracking_uri.startswith(("http://", "https://")):
        return
    # Credentials are left out: any HTTP answer, even 401, shows a server is there.
    safe = _safe_uri(tracking_uri)
    try:
        with urllib.request.urlopen(f"{safe.rstrip('/')}/health", timeout=timeout_s):
            pass
    except urllib.error.HTTPError:
        pass  # Something answers; MLflow's own calls will judge the reply.
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLError):
            return  # A TLS peer answered; MLflow applies its own TLS settings.
        raise TrackingError(
            f"MLflow tracking at {safe} is unreachable: {reason}"
        ) from None


def _experiment_id(
    client: Any, tracking_uri: str, experiment: str, location: str | None
) -> str:
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return client.create_experiment(experiment, artifact_location=location)

    if found.lifecycle_stage != "active":
        raise TrackingError(
            f"MLflow experiment {experiment!r} at {_safe_uri(tracking_uri)} is "
            "deleted; restore it in MLflow or choose another experiment name"
        )
    if location is not None and not found.artifact_location.startswith(location):
        logger.warning(
            "Experiment %r keeps its earlier artifact location %s",
            experiment,
            found.artifact_location,
        )
    return found.experiment_id


def log_run(
    *,
    tracking_uri: str,
    experiment: str,
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    artifacts_dir: Path,
    tags: Mapping[str, str],
    data_use: DataUseTerms | None = None,
    row_level_artifacts: Collection[str] = (),
) -> str:
    """Record one run (params, finite metrics, tags, files) and return its id.

    `row_level_artifacts` names files under `artifacts_dir` that hold rows or
    text of the data; for a dataset whose `data_use` terms restrict sharing they
    are refused before anything is recorded (`guard.check_artifacts`).

    Nested params are flattened to dotted keys; values over MLflow's limit are
    truncated, and the full params are stored as the artifact `params.json`
    unless `artifacts_dir` already holds one. Non-finite metrics are not logged:
    their names go in the tag `phibench.skipped_metrics`.

    Raises:
        TrackingError: the store or server could not be reached or refused a call.
    """
    artifacts_dir = Path(artifacts_dir)
    if not artifacts_dir.is_dir():
        raise InputError(
            f"artifacts_dir={str(artifacts_dir)!r} is not a folder; "
            "pass the folder holding the run's output files"
        )
    location = _sqlite_artifact_location(tracking_uri)
    content = prepare_content(params=params, metrics=metrics, tags=tags)
    if content.skipped_metrics:
        logger.warning(
            "Not logging %d non-finite metrics: %s",
            len(content.skipped_metrics),
            content.skipped_metrics,
        )

    with interrupts_held():
        # held: MLflow's import takes seconds, and a stop landing in one of
        # the garbage-collection callbacks it sets off would be dropped
        import mlflow  # noqa: F401
    check_not_stopped()  # a stop a library swallowed: record no run
    _check_server_reachable(tracking_uri)
    with _quiet_mlflow_loggers():
        try:
            run_id = _record(
                tracking_uri=tracking_uri,
                experiment=(experiment, location),
                run_name=run_name,
                content=content,
                full_params=params,
                artifacts_dir=artifacts_dir,
                guard=(data_use, row_level_artifacts),
            )
        except (TrackingError, InputError):
            raise
        except Exception as exc:
            raise _tracking_error(tracking_uri, exc) from exc

    logger.info(
        "Logged MLflow run %s (%d params, %d metrics) to %s",
        run_id,
        len(content.params),
        len(content.metrics),
        _safe_uri(tracking_uri),
    )
    return run_id


def _record(
    *,
    tracking_uri: str,
    experiment: tuple[str, str | None],
    run_name: str,
    content: RunContent,
    full_params: Mapping[str, Any],
    artifacts_dir: Path,
    guard: tuple[DataUseTerms | None, Collection[str]] = (None, ()),
) -> str:
    """Create the run and fill it; a run left half-written is marked FAILED."""
    import mlflow

    name, location = experiment
    client: Any = None
    run_id: str | None = None
    try:
        # Held, the whole recording: a Ctrl-C landing inside SQLAlchemy's
        # garbage-collection callbacks is printed as a traceback and dropped,
        # and one inside MLflow's set-up can surface as a database error or
        # leave a run RUNNING under an id phibench never learnt. Held, it
        # arrives after the step and the run is marked KILLED; a second
        # Ctrl-C still gets out at once (a slow server).
        with interrupts_held():
            if location is not None:
                _make_sqlite_store(tracking_uri, location)
            client = mlflow.MlflowClient(tracking_uri=tracking_uri)
            experiment_id = _experiment_id(client, tracking_uri, name, location)
            terms, row_level = guard
            if terms is not None:
                destination = client.get_experiment(experiment_id).artifact_location
                check_artifacts(terms, artifact_uri=destination, row_level=row_level)
            run_id = client.create_run(experiment_id, run_name=run_name).info.run_id
            _fill(client, run_id, content, full_params, artifacts_dir)
            check_not_stopped()  # one dropped before the hold: KILLED, not FINISHED
            client.set_terminated(run_id, "FINISHED")
    except BaseException as error:
        # an interrupt (Ctrl-C, SIGTERM) leaves the run KILLED, not RUNNING
        status = "FAILED" if isinstance(error, Exception) else "KILLED"
        if run_id is not None:
            with contextlib.suppress(Exception):
                client.set_terminated(run_id, status)
        raise
    return run_id


def _fill(
    client: Any,
    run_id: str,
    content: RunContent,
    full_params: Mapping[str, Any],
    artifacts_dir: Path,
) -> None:
    """Params, metrics, tags and files of a run just created."""
    from mlflow.entities import Metric, Param, RunTag

    now_ms = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, now_ms, 0) for k, v in content.metrics.items()],
        params=[Param(k, v) for k, v in content.params.items()],
        tags=[RunTag(k, v) for k, v in content.tags.items()],
    )
    client.log_artifacts(run_id, str(artifacts_dir))
    if not (artifacts_dir / "params.json").exists():
        text = json.dumps(full_params, indent=2, default=str)
        client.log_text(run_id, text, "params.json")
