"""One DP release: every query at one total epsilon, batched into few passes.

Select-type queries with the same row filters are merged into one Polars select
(one pass over the data); each per-category count is its own pass. The passes
are composed with OpenDP's basic composition to account the total loss, and
invoked one by one: invoking the composed measurement itself crashed the
interpreter in OpenDP 0.16 (docs/decisions/0002-opendp-for-dp-analytics.md).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import opendp.prelude as dp
import polars as pl

from phibench.structured.dp_analytics import calibrate, plans
from phibench.structured.dp_analytics.plans import PrivacyUnit
from phibench.structured.dp_analytics.queries import Query

logger = logging.getLogger(__name__)

#: Two-sided level of OpenDP's a-priori accuracy interval that is reported.
ACCURACY_ALPHA = 0.05


@dataclass
class Pass:
    """One OpenDP measurement: some queries' components, one pass over the data."""

    measurement: dp.Measurement
    queries: list[Query]
    grouped: bool
    accuracy: dict[str, float] = field(default_factory=dict)


@dataclass
class Release:
    """All calibrated queries at one total (epsilon, delta), ready to invoke."""

    epsilon: float
    delta: float
    calibrations: dict[str, calibrate.QueryCalibration]
    passes: list[Pass]
    epsilon_spent: float
    delta_spent: float

    def invoke(self, private: pl.LazyFrame) -> dict[str, Any]:
        """Run every pass once on the private data; values keyed by query name."""
        values: dict[str, Any] = {}
        for one_pass in self.passes:
            frame = one_pass.measurement(private).collect()
            for query in one_pass.queries:
                values[query.name] = decode(query, frame, grouped=one_pass.grouped)
        return values


def build_release(
    queries: tuple[Query, ...],
    schema: pl.Schema,
    unit: PrivacyUnit,
    *,
    epsilon: float,
    delta: float,
    weights: dict[str, float] | None = None,
) -> Release:
    """Calibrate every query to its share and batch them into passes."""
    shares = calibrate.split_budget(
        queries, epsilon=epsilon, delta=delta, weights=weights
    )
    calibrations = {
        query.name: calibrate.calibrate_query(
            query,
            schema,
            unit,
            epsilon=shares[query.name][0],
            delta=shares[query.name][1],
        )
        for query in queries
    }
    released = [q for q in queries if calibrations[q.name].not_released is None]
    passes = _batch(released, calibrations, schema, unit)

    composed = _compose([p.measurement for p in passes])
    eps_spent, delta_spent = composed.map(unit.d_in()) if composed else (0.0, 0.0)
    if eps_spent > epsilon or delta_spent > delta:  # pragma: no cover - guarded
        raise RuntimeError(
            f"composed release spends ({eps_spent}, {delta_spent}) over the budget "
            f"({epsilon}, {delta}); refusing to run it"
        )
    logger.info(
        "release at epsilon %s: %d queries in %d passes, spent epsilon %.6g delta %.3g",
        epsilon,
        len(released),
        len(passes),
        eps_spent,
        delta_spent,
    )
    return Release(epsilon, delta, calibrations, passes, eps_spent, delta_spent)


def _batch(
    queries: list[Query],
    calibrations: dict[str, calibrate.QueryCalibration],
    schema: pl.Schema,
    unit: PrivacyUnit,
) -> list[Pass]:
    groups: dict[tuple, list[Query]] = defaultdict(list)
    passes = []
    for query in queries:
        calibration = calibrations[query.name]
        if query.kind in {"count_by", "histogram"}:
            measurement = calibrate.measurement_for(
                query, schema, unit, calibration.scales, calibration.threshold
            )
            passes.append(Pass(measurement, [query], grouped=True))
        else:
            groups[plans.filter_key(query)].append(query)

    for members in groups.values():
        exprs = []
        for query in members:
            exprs += plans.select_exprs(query, calibrations[query.name].scales)
        plan = plans.base_for(members[0], schema, unit).select(exprs)
        measurement = dp.m.make_private_lazyframe(
            plans.input_domain(schema, unit), unit.metric(), dp.max_divergence(), plan
        )
        passes.append(Pass(measurement, members, grouped=False))

    for one_pass in passes:
        one_pass.accuracy = _accuracy(one_pass.measurement)
    return passes


def _compose(measurements: list[dp.Measurement]) -> dp.Measurement | None:
    if not measurements:
        return None
    approximate = [
        m if "Approximate" in str(m.output_measure) else dp.c.make_approximate(m)
        for m in measurements
    ]
    return dp.c.make_composition(approximate)


def _accuracy(measurement: dp.Measurement) -> dict[str, float]:
    """OpenDP's a-priori accuracy per output column (noise only), where given."""
    summary = dp.summarize_polars_measurement(measurement, alpha=ACCURACY_ALPHA)
    accuracy = {}
    for row in summary.iter_rows(named=True):
        if row.get("accuracy") is not None:
            accuracy[row["column"]] = float(row["accuracy"])
    return accuracy


def decode(query: Query, frame: pl.DataFrame, *, grouped: bool) -> Any:
    """The released value of `query` from its pass's output (post-processing)."""
    if grouped:
        return {
            str(key): float(count)
            for key, count in zip(frame[query.column], frame["n"], strict=True)
            if count is not None
        }
    row = frame.row(0, named=True)
    prefix = f"{query.name}__"
    if query.kind == "count":
        return float(row[prefix + "n"])
    if query.kind == "sum":
        return float(row[prefix + "sum"])
    if query.kind == "mean":
        return noisy_mean(row[prefix + "sum"], row[prefix + "n"], query.bounds)
    quantiles = {level: float(row[f"{prefix}q{level}"]) for level in query.levels}
    if len(quantiles) == 1:
        return next(iter(quantiles.values()))
    return quantiles


def noisy_mean(total: float, count: float, bounds: tuple[float, float]) -> float:
    """Noisy sum over noisy count, clamped to the bounds (post-processing).

    A noisy count below 1 gives no usable denominator; the midpoint of the
    bounds is returned then, so that the release is still a value in range.
    """
    low, high = bounds
    if count < 1 or not math.isfinite(total):
        return (low + high) / 2
    return min(max(total / count, low), high)
