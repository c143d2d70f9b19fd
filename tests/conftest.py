"""Shared test helpers: small cohorts built in memory, the shared data folder."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

import polars as pl
import pytest

from phibench.data.cohort import COHORT_SCHEMA, conform


def pytest_configure(config: pytest.Config) -> None:
    """Tests of Ctrl-C handling need SIGINT handled. A shell starts a background
    job (CI runners may too) with SIGINT ignored, and processes the tests start
    would inherit that; give the session Python's own handler back."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def shared_data_dir() -> Path:
    """`../shared/data` beside the repository, or $PHIBENCH_SHARED_DATA."""
    override = os.environ.get("PHIBENCH_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_shared(name: str) -> Path:
    path = shared_data_dir() / name
    if not path.is_dir():
        pytest.skip(f"open dataset folder {path} is absent (../shared not mounted)")
    return path


def cohort_from(rows: list[dict]) -> pl.DataFrame:
    """A cohort table from partial rows; unspecified columns get plain defaults."""
    defaults = {
        "site": "site-A",
        "age": 50.0,
        "sex": "F",
        "race": "WHITE",
        "admission_type": "EMERGENCY",
        "los_days": 3.0,
        "icu_stay": False,
        "died_in_hospital": False,
    }
    full = []
    for index, row in enumerate(rows):
        record = {name: None for name in COHORT_SCHEMA}
        record |= defaults
        record["admission_id"] = index + 1
        record["admit_time"] = dt.datetime(2020, 1, 1) + dt.timedelta(days=index)
        record |= row
        full.append(record)
    frame = pl.DataFrame(full, schema=COHORT_SCHEMA, strict=False)
    return conform(frame, source="test")


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """`phibench ARGV` in-process: exit code, stdout, stderr."""
    from phibench.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
