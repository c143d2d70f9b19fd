"""The statistics the DP analytics benchmark releases, described as data.

A `Query` names one statistic of the cohort table together with every public
assumption it needs (bounds, declared categories, quantile levels). Validation
happens here, once, so that later layers can trust a query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from phibench.data.cohort import ADMISSION_TYPES
from phibench.errors import InputError

QueryKind = Literal["count", "count_by", "sum", "mean", "histogram", "quantile"]


@dataclass(frozen=True)
class Query:
    """One statistic to release.

    - ``count``: number of rows (``where``: only rows where a boolean column is
      true).
    - ``count_by``: number of rows per category of ``column``, over the declared
      ``keys`` (public; a key absent from the data is released as a noisy 0).
    - ``histogram``: like ``count_by`` but the categories are *not* declared:
      a category is released only if its noisy count passes a threshold set by
      delta (stability-based histogram).
    - ``sum`` / ``mean``: of ``column`` clamped to ``bounds``; a mean is a noisy
      sum over a noisy count of the non-null rows (post-processing).
    - ``quantile``: the ``levels`` of ``column`` (e.g. 0.25, 0.75), chosen from a
      public grid of candidates spaced ``grid_step`` apart within ``bounds``.
    """

    name: str
    kind: QueryKind
    column: str | None = None
    bounds: tuple[float, float] | None = None
    keys: tuple[str, ...] | None = None
    where: str | None = None
    levels: tuple[float, ...] = ()
    grid_step: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        validate_query(self)

    def candidates(self) -> list[float]:
        """The public candidate grid of a quantile query."""
        low, high = _require_bounds(self)
        n_steps = math.floor((high - low) / self.grid_step + 1e-9)
        return [low + i * self.grid_step for i in range(n_steps + 1)]

    def public_assumptions(self) -> dict[str, object]:
        """Everything about this query that is assumed public, for params.json."""
        record: dict[str, object] = {"kind": self.kind}
        if self.column is not None:
            record["column"] = self.column
        if self.bounds is not None:
            record["bounds"] = list(self.bounds)
        if self.keys is not None:
            record["declared_categories"] = list(self.keys)
        if self.where is not None:
            record["where"] = self.where
        if self.kind == "quantile":
            record["levels"] = list(self.levels)
            record["candidate_grid"] = {
                "start": self.bounds[0] if self.bounds else None,
                "step": self.grid_step,
                "n_candidates": len(self.candidates()),
            }
        return record


def _require_bounds(query: Query) -> tuple[float, float]:
    if query.bounds is None:
        raise InputError(
            f"query {query.name!r} ({query.kind} of {query.column!r}) has no bounds; "
            "a DP sum, mean or quantile needs public bounds, e.g. bounds=(0, 120)"
        )
    return query.bounds


def validate_query(query: Query) -> None:
    """Raise InputError if `query` is incomplete or inconsistent."""
    needs_column = query.kind != "count"
    if needs_column and not query.column:
        raise InputError(f"query {query.name!r}: kind {query.kind!r} needs a column")

    if query.kind in {"sum", "mean", "quantile"}:
        low, high = _require_bounds(query)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise InputError(
                f"query {query.name!r}: bounds {query.bounds} must be finite numbers"
            )
        if low >= high:
            raise InputError(
                f"query {query.name!r}: lower bound {low} must be below upper "
                f"bound {high}; swap them or widen the range"
            )

    if query.kind == "count_by" and not query.keys:
        raise InputError(
            f"query {query.name!r}: count_by needs declared categories (keys); "
            "use kind 'histogram' for categories not declared in advance"
        )

    if query.kind == "quantile":
        if not query.levels or any(not 0.0 < a < 1.0 for a in query.levels):
            raise InputError(
                f"query {query.name!r}: quantile levels {list(query.levels)} must "
                "each lie strictly between 0 and 1, e.g. 0.5 for the median"
            )
        if not query.grid_step > 0:
            raise InputError(
                f"query {query.name!r}: grid_step {query.grid_step} must be > 0"
            )


def default_queries() -> tuple[Query, ...]:
    """The hello benchmark's release: ten queries over the cohort table."""
    return (
        Query("n_admissions", "count", description="admissions in the cohort"),
        Query(
            "n_by_admission_type",
            "count_by",
            column="admission_type",
            keys=ADMISSION_TYPES,
            description="admissions per admission type (declared categories)",
        ),
        Query(
            "n_deaths",
            "count",
            where="died_in_hospital",
            description="in-hospital deaths",
        ),
        Query(
            "sum_los_days",
            "sum",
            column="los_days",
            bounds=(0.0, 60.0),
            description="total hospital days",
        ),
        Query("mean_age", "mean", column="age", bounds=(18.0, 91.0)),
        Query("mean_los_days", "mean", column="los_days", bounds=(0.0, 60.0)),
        Query(
            "mean_creatinine",
            "mean",
            column="creatinine",
            bounds=(0.0, 15.0),
            description="mean first-day creatinine over admissions that have one",
        ),
        Query(
            "race_histogram",
            "histogram",
            column="race",
            description="admissions per race/ethnicity (categories not declared)",
        ),
        Query(
            "median_age", "quantile", column="age", bounds=(18.0, 91.0), levels=(0.5,)
        ),
        Query(
            "iqr_age",
            "quantile",
            column="age",
            bounds=(18.0, 91.0),
            levels=(0.25, 0.75),
            description="age quartiles; the IQR is q75 - q25 (post-processing)",
        ),
    )
