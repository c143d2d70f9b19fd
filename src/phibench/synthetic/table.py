"""The modelling table: which cohort columns a generator sees, and their types.

One row per admission, at most `contribution_cap` admissions per patient (the
first in time), so that a patient-level privacy unit bounds how many rows one
person adds. Identifiers are dropped before any generator sees the data; they
serve only to split patients into training and holdout parts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from phibench.errors import InputError

logger = logging.getLogger(__name__)

OUTCOME = "died_in_hospital"
ID_COLUMNS = ("patient_id", "admission_id")

#: Column kinds: "categorical" (strings), "boolean", "numeric", "datetime".
COLUMN_KINDS: dict[str, str] = {
    "site": "categorical",
    "admit_time": "datetime",
    "age": "numeric",
    "sex": "categorical",
    "race": "categorical",
    "admission_type": "categorical",
    "los_days": "numeric",
    "icu_stay": "boolean",
    OUTCOME: "boolean",
    "heart_rate": "numeric",
    "sbp": "numeric",
    "resp_rate": "numeric",
    "temperature": "numeric",
    "spo2": "numeric",
    "creatinine": "numeric",
    "lactate": "numeric",
    "hemoglobin": "numeric",
    "wbc": "numeric",
    "diabetes": "boolean",
    "chf": "boolean",
    "ckd": "boolean",
    "copd": "boolean",
    "cancer": "boolean",
}

#: The columns every generator models (12, as in the benchmark's performance
#: target): demographics, admission, outcome and the strongest risk factors of
#: in-hospital death. Marginal DP methods slow down and OpenDP's MST budget
#: split fails more often as columns are added (docs/decisions/0010).
MODEL_COLUMNS = (
    "site",
    "admit_time",
    "age",
    "sex",
    "race",
    "admission_type",
    "los_days",
    "icu_stay",
    OUTCOME,
    "creatinine",
    "lactate",
    "cancer",
)

#: Public age bands for subgroup utility (years).
AGE_BANDS = ((0.0, 50.0, "<50"), (50.0, 70.0, "50-69"), (70.0, np.inf, ">=70"))


@dataclass(frozen=True)
class Split:
    """Training rows (what a generator sees) and holdout rows (never seen)."""

    train: pl.DataFrame
    holdout: pl.DataFrame
    all_null: tuple[str, ...]  # columns null in every real row: not modelled

    @property
    def columns(self) -> list[str]:
        return list(self.train.columns)


def modelling_table(cohort: pl.DataFrame, *, contribution_cap: int) -> pl.DataFrame:
    """First `contribution_cap` admissions of each patient, ids kept for the split."""
    if contribution_cap < 1:
        raise InputError(
            f"--contribution-cap {contribution_cap}: must be an integer >= 1 "
            "(admissions kept per patient, the first in time)"
        )
    kept = (
        cohort.sort(["patient_id", "admit_time", "admission_id"])
        .with_columns(_rank=pl.int_range(pl.len()).over("patient_id"))
        .filter(pl.col("_rank") < contribution_cap)
        .drop("_rank")
    )
    logger.info(
        "modelling table: %d of %d admissions kept (cap %d per patient)",
        kept.height,
        cohort.height,
        contribution_cap,
    )
    return kept.select([*ID_COLUMNS, *MODEL_COLUMNS])


def check_columns(cohort: pl.DataFrame) -> None:
    """A cohort must carry modelling columns besides its identifiers."""
    usable = [c for c in MODEL_COLUMNS if c in cohort.columns]
    if not usable or cohort.select(usable).null_count().row(0) == tuple(
        [cohort.height] * len(usable)
    ):
        raise InputError(
            "the cohort has only identifier columns (no values to synthesise); "
            f"give a table with some of {', '.join(MODEL_COLUMNS)}"
        )
    if OUTCOME not in cohort.columns or cohort[OUTCOME].null_count() == cohort.height:
        raise InputError(f"the cohort has no {OUTCOME} values; the outcome is required")


def split_by_patient(
    table: pl.DataFrame, *, holdout_share: float, rng: np.random.Generator
) -> Split:
    """Seeded split of patients; deaths are split evenly so both parts have some.

    Patients are stratified by whether any of their kept admissions ended in
    death, so that a small cohort (15 deaths) still has deaths on both sides.
    """
    check_columns(table)
    patients = table.group_by("patient_id").agg(pl.col(OUTCOME).any().alias("dead"))
    patients = patients.sort("patient_id")
    holdout_ids: list[int] = []
    for dead in (True, False):
        ids = patients.filter(pl.col("dead") == dead)["patient_id"].to_numpy()
        n_hold = round(len(ids) * holdout_share)
        holdout_ids.extend(rng.permutation(ids)[:n_hold].tolist())
    in_holdout = pl.col("patient_id").is_in(holdout_ids)
    columns = list(MODEL_COLUMNS)
    train = table.filter(~in_holdout).select(columns)
    holdout = table.filter(in_holdout).select(columns)
    real = pl.concat([train, holdout])
    all_null = tuple(c for c in columns if real[c].null_count() == real.height)
    if all_null:
        logger.info(
            "%d column(s) are null in every real row: %s", len(all_null), all_null
        )
    return Split(train=train, holdout=holdout, all_null=all_null)


def age_band(age: float | None) -> str:
    if age is None or not np.isfinite(age):
        return "unknown"
    return next(label for low, high, label in AGE_BANDS if low <= age < high)
