"""The cohort table every structured-data benchmark reads.

One row per hospital admission. Loaders (MIMIC-IV, the embedded generator, later
eICU and Synthea) all return a Polars DataFrame with exactly these columns and
dtypes, so benchmarks never depend on where the data came from.

Missing values are nulls, never NaN: loaders turn NaN into null at the boundary,
so that a DP release can account for missingness explicitly (see
docs/glossary.md, "missing values").
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from phibench.errors import InputError

#: Column name -> Polars dtype, in output order.
COHORT_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.Int64(),
    "admission_id": pl.Int64(),
    "site": pl.String(),
    "admit_time": pl.Datetime("us"),
    "age": pl.Float64(),
    "sex": pl.String(),  # "F" / "M"
    "race": pl.String(),  # coarse groups, see RACE_GROUPS
    "admission_type": pl.String(),  # see ADMISSION_TYPES
    "los_days": pl.Float64(),  # hospital length of stay in days
    "icu_stay": pl.Boolean(),
    "died_in_hospital": pl.Boolean(),
    # first-day vitals: first value within 24 h after admission
    "heart_rate": pl.Float64(),  # beats per minute
    "sbp": pl.Float64(),  # systolic blood pressure, mmHg
    "resp_rate": pl.Float64(),  # breaths per minute
    "temperature": pl.Float64(),  # degrees Celsius
    "spo2": pl.Float64(),  # percent
    # first-day labs: first value within 24 h after admission
    "creatinine": pl.Float64(),  # mg/dL
    "lactate": pl.Float64(),  # mmol/L
    "hemoglobin": pl.Float64(),  # g/dL
    "wbc": pl.Float64(),  # white cells, 10^9/L (= K/uL)
    # comorbidity flags from diagnosis codes
    "diabetes": pl.Boolean(),
    "chf": pl.Boolean(),  # congestive heart failure
    "ckd": pl.Boolean(),  # chronic kidney disease
    "copd": pl.Boolean(),
    "cancer": pl.Boolean(),
}

#: Admission types, coarsened from the MIMIC-IV `admission_type` values.
ADMISSION_TYPES: tuple[str, ...] = (
    "EMERGENCY",
    "URGENT",
    "ELECTIVE",
    "OBSERVATION",
    "SURGICAL SAME DAY",
)

#: Coarse race/ethnicity groups used by every loader.
RACE_GROUPS: tuple[str, ...] = (
    "WHITE",
    "BLACK",
    "HISPANIC",
    "ASIAN",
    "OTHER",
    "UNKNOWN",
)

VITAL_COLUMNS = ("heart_rate", "sbp", "resp_rate", "temperature", "spo2")
LAB_COLUMNS = ("creatinine", "lactate", "hemoglobin", "wbc")
COMORBIDITY_COLUMNS = ("diabetes", "chf", "ckd", "copd", "cancer")


def empty_cohort() -> pl.DataFrame:
    """A cohort table with no rows and the full schema."""
    return pl.DataFrame(schema=COHORT_SCHEMA)


def conform(frame: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Check and cast `frame` to the cohort schema; NaN becomes null.

    `source` names where the frame came from, for error messages.
    """
    missing = [name for name in COHORT_SCHEMA if name not in frame.columns]
    if missing:
        raise InputError(
            f"{source}: cohort table lacks column(s) {', '.join(missing)}; "
            f"a loader must produce all of {', '.join(COHORT_SCHEMA)}"
        )

    frame = frame.select(list(COHORT_SCHEMA))
    casts = []
    for name, dtype in COHORT_SCHEMA.items():
        expr = pl.col(name).cast(dtype, strict=True)
        if dtype == pl.Float64():
            expr = expr.fill_nan(None)
        casts.append(expr)

    try:
        return frame.select(casts)
    except pl.exceptions.InvalidOperationError as error:
        raise InputError(
            f"{source}: a column has values that do not fit the cohort schema "
            f"({str(error).splitlines()[0]}); numeric columns must hold numbers"
        ) from error


#: Columns that are never null by construction in every supported source. This
#: is public, schema-level knowledge: a DP plan may rely on it without looking at
#: the data. Loaders check it at the boundary.
NON_NULL_COLUMNS = frozenset(
    {
        "patient_id",
        "admission_id",
        "site",
        "admit_time",
        "age",
        "admission_type",
        "los_days",
        "icu_stay",
        "died_in_hospital",
    }
)


def require_non_null(
    frame: pl.DataFrame,
    *,
    source: object,
    rows: str,
    causes: dict[str, str],
    columns: Iterable[str] = NON_NULL_COLUMNS,
    each: str = "row",
) -> None:
    """InputError naming the first of `columns` with nulls, counted, with its cause.

    `rows` names the rows in the message ("admissions"), `each` one of them, and
    `causes` says per column why the source leaves it empty.
    """
    for column in sorted(columns):
        n_null = frame[column].null_count()
        if n_null:
            cause = causes.get(column, "the source column is empty")
            raise InputError(
                f"{source}: {n_null} {rows} have no {column} ({cause}); the cohort "
                f"requires {column} for every {each}, so fix those rows"
            )
