"""Model inputs from the harmonised cohort table, scaled by public constants.

Standardising with statistics of the data would need them from somewhere: the
pooled data (which leaks across sites and is not available to a federation) or
each site's own (so the same value means different things at different sites).
Instead every numeric column is centred and scaled by fixed, public clinical
reference values (a typical adult value and a typical spread), the same at
every site and in every baseline. Missing vitals and labs become 0 (the
reference value) with a missing-indicator column, so that eICU's absent lab
table does not drop rows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from phibench.data.cohort import COMORBIDITY_COLUMNS, LAB_COLUMNS, VITAL_COLUMNS

LABEL = "died_in_hospital"

#: column -> (centre, scale): public adult reference values, not data statistics.
#: Sources: usual adult normal ranges (vitals, labs); ages of adult ICU cohorts.
REFERENCE_SCALING: dict[str, tuple[float, float]] = {
    "age": (60.0, 18.0),
    "heart_rate": (85.0, 20.0),
    "sbp": (120.0, 25.0),
    "resp_rate": (18.0, 6.0),
    "temperature": (37.0, 1.0),
    "spo2": (96.0, 4.0),
    "creatinine": (1.0, 1.0),
    "lactate": (1.5, 1.5),
    "hemoglobin": (12.0, 2.0),
    "wbc": (9.0, 5.0),
}

#: Scaled values are clipped to this many scales from the centre, so that a
#: unit error in one record cannot dominate a site's update.
CLIP_SCALES = 5.0

ADMISSION_GROUPS = ("EMERGENCY", "URGENT", "ELECTIVE")


def feature_names() -> list[str]:
    """Column names of the feature matrix, in order."""
    measured = [*VITAL_COLUMNS, *LAB_COLUMNS]
    return [
        "age",
        "sex_male",
        *measured,
        *[f"{name}_missing" for name in measured],
        *[f"admission_{group.lower()}" for group in ADMISSION_GROUPS],
        "icu_stay",
        *COMORBIDITY_COLUMNS,
    ]


def feature_matrix(cohort: pl.DataFrame) -> np.ndarray:
    """float32 matrix (rows = admissions) in `feature_names()` order.

    `los_days` is left out on purpose: a short stay often ends in death, so the
    length of stay would leak the outcome into a model meant for admission time.
    """
    measured = [*VITAL_COLUMNS, *LAB_COLUMNS]
    exprs = [_scaled("age").fill_null(0.0)]
    exprs.append((pl.col("sex") == "M").fill_null(False).cast(pl.Float32))
    exprs += [_scaled(name).fill_null(0.0) for name in measured]
    exprs += [pl.col(name).is_null().cast(pl.Float32) for name in measured]
    exprs += [
        (pl.col("admission_type") == group).fill_null(False).cast(pl.Float32)
        for group in ADMISSION_GROUPS
    ]
    exprs.append(pl.col("icu_stay").fill_null(False).cast(pl.Float32))
    exprs += [
        pl.col(name).fill_null(False).cast(pl.Float32) for name in COMORBIDITY_COLUMNS
    ]
    names = feature_names()
    frame = cohort.select(
        [expr.alias(name) for expr, name in zip(exprs, names, strict=True)]
    )
    return (
        frame.to_numpy()
        .astype(np.float32, copy=False)
        .reshape(cohort.height, len(names))
    )


def labels(cohort: pl.DataFrame) -> np.ndarray:
    """In-hospital death as float32 0/1."""
    return cohort[LABEL].cast(pl.Float32).to_numpy().astype(np.float32)


def _scaled(name: str) -> pl.Expr:
    centre, scale = REFERENCE_SCALING[name]
    return (
        ((pl.col(name) - centre) / scale)
        .clip(-CLIP_SCALES, CLIP_SCALES)
        .cast(pl.Float32)
    )
