"""Non-private reference values of each query, computed with plain Polars.

Two references per query:
- ``true``: on the full, untruncated cohort. Errors are measured against it, so
  they include the bias from bounding contributions and clamping.
- ``bounded``: on the rows the DP plan actually sees (first admissions per
  patient, values clamped to the bounds). OpenDP's noise-only accuracy interval
  is centred here, and ``bounded - true`` is the truncation bias.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from phibench.structured.dp_analytics.plans import PrivacyUnit, sum_bounds
from phibench.structured.dp_analytics.queries import Query


def reference_values(
    frame: pl.DataFrame, queries: tuple[Query, ...], unit: PrivacyUnit, *, bounded: bool
) -> dict[str, Any]:
    """Each query's exact value on `frame` (already ordered by admission time)."""
    if bounded:
        keep = pl.int_range(pl.len()).over(unit.identifier) < unit.contribution_cap
        frame = frame.filter(keep)
    return {query.name: _value(frame, query, bounded=bounded) for query in queries}


def _value(frame: pl.DataFrame, query: Query, *, bounded: bool) -> Any:
    if query.where is not None:
        frame = frame.filter(pl.col(query.where))
    if query.kind == "count":
        return float(frame.height)
    if query.kind in {"count_by", "histogram"}:
        counts = frame.group_by(query.column).len()
        values = {
            str(key): float(n)
            for key, n in zip(counts[query.column], counts["len"], strict=True)
            if key is not None
        }
        if query.kind == "count_by":
            return {key: values.get(key, 0.0) for key in query.keys}
        return values

    column = frame[query.column].drop_nulls()
    if bounded:
        limits = query.bounds if query.kind == "quantile" else sum_bounds(query)
        column = column.clip(*limits)
    if column.len() == 0:
        return float("nan")
    if query.kind == "sum":
        return float(column.sum())
    if query.kind == "mean":
        return float(column.mean())
    quantiles = {
        level: float(column.quantile(level, interpolation="linear"))
        for level in query.levels
    }
    return next(iter(quantiles.values())) if len(quantiles) == 1 else quantiles


def primary(query: Query, value: Any) -> Any:
    """The number errors are computed on: a quantile pair becomes its range.

    For the default ``iqr_age`` query (levels 0.25 and 0.75) this is the IQR.
    Per-category queries keep their dict of counts.
    """
    if isinstance(value, dict) and query.kind == "quantile":
        return value[max(query.levels)] - value[min(query.levels)]
    return value
