"""OpenDP building blocks: the input domain, the privacy unit and query plans.

Nothing here touches private data. A plan is a Polars LazyFrame over an empty
frame with the cohort's schema; OpenDP checks it and turns it into a measurement.

The privacy unit is the patient: neighbouring cohorts differ in all admissions of
one patient. Each plan first keeps at most ``contribution_cap`` admissions per
patient (the first ones in time), which bounds every query's sensitivity.
"""

from __future__ import annotations

from dataclasses import dataclass

import opendp.prelude as dp
import polars as pl

from phibench.data.cohort import NON_NULL_COLUMNS
from phibench.errors import InputError
from phibench.structured.dp_analytics.queries import Query

dp.enable_features("contrib")

#: Column the private input is ordered by, so that truncation keeps the first
#: admissions of each patient in time (see `prepare_private_frame`).
ORDER_COLUMNS = ("admit_time", "admission_id")


@dataclass(frozen=True)
class PrivacyUnit:
    """Who is protected and the public assumptions that bound their influence."""

    identifier: str = "patient_id"
    contribution_cap: int = 5
    max_rows: int = 10_000_000

    def __post_init__(self) -> None:
        if self.contribution_cap < 1:
            raise InputError(
                f"contribution_cap={self.contribution_cap}: each patient must be "
                "allowed at least 1 admission; use an integer >= 1"
            )
        if self.max_rows < 1:
            raise InputError(f"max_rows={self.max_rows}: must be an integer >= 1")

    def metric(self) -> dp.Metric:
        return dp.frame_distance(
            dp.symmetric_id_distance(identifier=pl.col(self.identifier))
        )

    def d_in(self) -> list:
        """Distance between neighbouring cohorts: one patient's rows differ."""
        return [dp.polars.Bound(per_group=1)]

    def describe(self) -> dict[str, object]:
        return {
            "privacy_unit": "patient",
            "identifier": self.identifier,
            "contribution_cap": self.contribution_cap,
            "contribution_rule": "first admissions in time (admit_time, admission_id)",
            "max_rows": self.max_rows,
            "neighbouring": "add or remove all admissions of one patient",
        }


def needed_columns(queries: tuple[Query, ...], unit: PrivacyUnit) -> list[str]:
    """Columns the private frame must carry, identifier first."""
    columns = [unit.identifier]
    for query in queries:
        for name in (query.column, query.where):
            if name is not None and name not in columns:
                columns.append(name)
    return columns


def input_domain(schema: pl.Schema, unit: PrivacyUnit) -> dp.Domain:
    """The public description of the private frame, with the row-count bound."""
    series = [_series_domain(name, dtype) for name, dtype in schema.items()]
    domain = dp.lazyframe_domain(series)
    return dp.with_margin(domain, dp.polars.Margin(by=[], max_length=unit.max_rows))


def _series_domain(name: str, dtype: pl.DataType) -> dp.Domain:
    if dtype == pl.Float64:
        atom = dp.atom_domain(T=dp.f64, nan=False)
    elif dtype == pl.Int64:
        atom = dp.atom_domain(T=dp.i64)
    elif dtype == pl.Boolean:
        atom = dp.atom_domain(T=bool)
    elif dtype == pl.String:
        atom = dp.atom_domain(T=dp.String)
    else:
        raise InputError(
            f"column {name!r} has type {dtype}; DP queries take Float64, Int64, "
            "Boolean or String columns"
        )
    if name in NON_NULL_COLUMNS:
        return dp.series_domain(name, atom)
    return dp.series_domain(name, dp.option_domain(atom))


def prepare_private_frame(
    cohort: pl.DataFrame, queries: tuple[Query, ...], unit: PrivacyUnit
) -> pl.DataFrame:
    """Order, project and check the cohort for the DP measurements.

    Truncation keeps rows in input order (OpenDP's "first" rule), so ordering the
    input by admission time makes "the first admissions in time" the rows kept.
    OpenDP's own sort-key option did not keep the earliest rows in 0.16 (see
    tests/unit/structured/test_opendp_known_issues.py).
    """
    columns = needed_columns(queries, unit)
    missing = [name for name in (*columns, *ORDER_COLUMNS) if name not in cohort]
    if missing:
        raise InputError(
            f"cohort lacks column(s) {', '.join(missing)} needed by the queries"
        )

    frame = cohort.sort(list(ORDER_COLUMNS)).select(columns)
    for name in columns:
        if name in NON_NULL_COLUMNS and frame[name].null_count():
            raise InputError(
                f"column {name!r} has missing values but is non-null by the cohort "
                "schema; fix the loader or drop those rows before the benchmark"
            )
    if frame.height > unit.max_rows:
        raise InputError(
            f"cohort has more rows than the public bound max_rows={unit.max_rows}; "
            "raise --max-rows to a public upper bound on the number of admissions"
        )
    return frame


def truncated(schema: pl.Schema, unit: PrivacyUnit) -> pl.LazyFrame:
    """The plan's start: keep the first `contribution_cap` rows of each patient."""
    keep = pl.int_range(pl.len()).over(unit.identifier) < unit.contribution_cap
    return pl.LazyFrame(schema=schema).filter(keep)


def base_for(query: Query, schema: pl.Schema, unit: PrivacyUnit) -> pl.LazyFrame:
    """Truncated rows a query is computed on (its `where`, non-null values)."""
    base = truncated(schema, unit)
    where, nullable = filter_key(query)
    if where is not None:
        base = base.filter(pl.col(where))
    if nullable is not None:
        base = base.filter(pl.col(nullable).is_not_null())
    return base


def filter_key(query: Query) -> tuple[str | None, str | None]:
    """Row filters of a query; queries with equal keys share one select pass.

    Most queries need no filter, so they share the main pass: a count with a
    `where` is a bounded sum of that boolean column, and a sum or mean of a
    nullable column is a sum with missing values as 0 over a count of the
    non-missing values (both noisy). Only a quantile of a nullable column, or a
    sum or mean restricted by `where`, needs rows removed first.
    """
    where = query.where if query.kind != "count" else None
    nullable = None
    if query.kind == "quantile" and is_nullable(query.column):
        nullable = query.column
    return (where, nullable)


def is_nullable(column: str | None) -> bool:
    return column is not None and column not in NON_NULL_COLUMNS


def sum_bounds(query: Query) -> tuple[float, float]:
    """Clamping bounds of a query's sum.

    A nullable column's missing values enter the sum as 0, so its bounds are
    widened to include 0; when the lower bound is >= 0 (as for lab values) this
    leaves the sensitivity, cap * max(|lower|, |upper|), unchanged.
    """
    low, high = query.bounds
    if is_nullable(query.column):
        return (min(low, 0.0), max(high, 0.0))
    return (low, high)


def select_exprs(query: Query, scales: dict[str, float]) -> list[pl.Expr]:
    """DP expressions of a select-type query, one per component in `scales`.

    Components missing from `scales` are left out (used to probe one component's
    privacy loss alone).
    """
    exprs = {}
    col = pl.col(query.column) if query.column is not None else None
    if "n" in scales:
        exprs["n"] = _count_expr(query, scales["n"])
    if "sum" in scales:
        values = col.fill_null(0.0) if is_nullable(query.column) else col
        exprs["sum"] = values.dp.sum(sum_bounds(query), scale=scales["sum"])
    for level in query.levels if query.kind == "quantile" else ():
        if f"q{level}" in scales:
            exprs[f"q{level}"] = col.dp.quantile(
                level, query.candidates(), scale=scales[f"q{level}"]
            )
    return [expr.alias(f"{query.name}__{name}") for name, expr in exprs.items()]


def _count_expr(query: Query, scale: float) -> pl.Expr:
    if query.kind == "count" and query.where is not None:
        # one admission adds at most 1: a bounded sum of the 0/1 flag
        return pl.col(query.where).cast(pl.Int64).dp.sum((0, 1), scale=scale)
    if query.kind == "mean" and is_nullable(query.column):
        return pl.col(query.column).dp.count(scale=scale, signed=True)
    return dp.len(scale=scale, signed=True)


def grouped_plan(
    query: Query, schema: pl.Schema, unit: PrivacyUnit, scale: float
) -> pl.LazyFrame:
    """Plan of a per-category count (declared keys by a join, else thresholded)."""
    counts = (
        base_for(query, schema, unit)
        .group_by(query.column)
        .agg(dp.len(scale=scale, signed=True).alias("n"))
    )
    if query.kind == "histogram":
        return counts
    keys = pl.LazyFrame({query.column: list(query.keys)})
    return keys.join(counts, how="left", on=query.column, nulls_equal=True)


def components(query: Query) -> dict[str, float]:
    """How a query's share of epsilon is split among its noisy components.

    A mean is a noisy sum over a noisy count, each with half of the share (a
    stated, data-independent rule). Quantile levels share evenly.
    """
    if query.kind in {"count", "count_by", "histogram"}:
        return {"n": 1.0}
    if query.kind == "sum":
        return {"sum": 1.0}
    if query.kind == "mean":
        return {"sum": 0.5, "n": 0.5}
    return {f"q{level}": 1.0 / len(query.levels) for level in query.levels}
