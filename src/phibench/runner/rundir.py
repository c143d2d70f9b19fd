"""A run directory that appears whole or not at all.

Files are written into a hidden `.partial-*` folder beside the destination and
the folder is renamed into place at the end (an atomic rename on one file
system). On an error or Ctrl-C the partial folder is removed; a run killed with
SIGKILL leaves only a `.partial-*` folder, never a folder that looks complete.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from phibench.errors import InputError
from phibench.interrupts import check_not_stopped, interrupts_held


def run_name(benchmark: str, dataset: str) -> str:
    """`<benchmark>_<dataset>_<UTC time>`; a csv:PATH dataset becomes csv-<stem>."""
    if dataset.startswith("csv:"):
        dataset = "csv-" + Path(dataset[4:]).name.split(".")[0]
    dataset = re.sub(r"[^A-Za-z0-9.-]+", "-", dataset).strip("-") or "data"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{benchmark}_{dataset}_{stamp}"


def prepare_out_dir(out_dir: Path) -> Path:
    """Create `out_dir` if needed; InputError if it cannot hold results."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: exists and is not a folder; give a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"--out {out_dir}: cannot create the folder ({error.strerror}); "
            "give a writable folder"
        ) from None
    if not os.access(out_dir, os.W_OK):
        raise InputError(f"--out {out_dir}: folder is not writable; give another")
    return out_dir


@contextmanager
def out_dir_kept_only_on_success(out_dir: Path) -> Iterator[Path]:
    """Prepare `out_dir`; if this run created it and fails, remove it again."""
    existed = Path(out_dir).exists()
    out_dir = prepare_out_dir(out_dir)
    try:
        yield out_dir
    except BaseException:
        if not existed and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise


#: Run folders put in place since the command began (see `published`).
_published: list[Path] = []


def published() -> list[Path]:
    """Run folders renamed into place since `forget_published`: a command
    stopped after this point has complete results to point at."""
    return list(_published)


def forget_published() -> None:
    """A new command starts with no folder published."""
    _published.clear()


@contextmanager
def staged_run_dir(out_dir: Path, name: str) -> Iterator[Path]:
    """Yield a partial folder; on success it becomes `out_dir/name`."""
    final = out_dir / name
    if final.exists():
        raise InputError(f"run folder {final} already exists; not overwriting it")
    partial = Path(tempfile.mkdtemp(prefix=f".partial-{name}-", dir=out_dir))
    umask = os.umask(0)
    os.umask(umask)
    partial.chmod(0o777 & ~umask)  # mkdtemp makes it private; results are not
    try:
        yield partial
        with interrupts_held():  # a folder in place is always known as such
            check_not_stopped()  # a stop a library swallowed still stops the run
            os.replace(partial, final)
            _published.append(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


@contextmanager
def staged_run(
    out_dir: Path, name: str, *, loggers: tuple[str, ...] = ("phibench",)
) -> Iterator[tuple[Path, Path]]:
    """Yield (partial folder, final folder) with `run.log` recording `loggers`.

    The folder becomes final only if the block succeeds; a new `out_dir` that
    stays empty is removed again.
    """
    with (
        out_dir_kept_only_on_success(out_dir) as kept,
        staged_run_dir(kept, name) as partial,
    ):
        handler = _run_log(partial / "run.log")
        attached = [logging.getLogger(n) for n in loggers]
        for logger in attached:
            logger.addHandler(handler)
        logging.getLogger("phibench").setLevel(logging.INFO)
        try:
            yield partial, kept / name
        finally:
            for logger in attached:
                logger.removeHandler(handler)
            handler.close()


def _run_log(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setLevel(logging.INFO)
    return handler


def write_json(path: Path, data: Any) -> None:
    """Write JSON with non-finite numbers as null (strict JSON for any reader)."""
    text = json.dumps(_finite(data), indent=2, sort_keys=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
