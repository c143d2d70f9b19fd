"""Turn a total privacy budget into calibrated OpenDP measurements.

Each query receives a share of the total epsilon by a stated rule (even by
default) and the delta-consuming queries share delta evenly. Every noise scale
is found from OpenDP's own privacy maps: a pure-DP loss is proportional to
1/scale (Laplace and exponential mechanisms), so one map evaluated at scale 1
gives the scale for any target, and the result is checked against the target
with the real map before it is used. Building a measurement with an explicit
scale takes milliseconds; OpenDP's generic search takes seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import opendp.prelude as dp
import polars as pl
from opendp.mod import OpenDPException

from phibench.structured.dp_analytics import plans
from phibench.structured.dp_analytics.plans import PrivacyUnit
from phibench.structured.dp_analytics.queries import Query

logger = logging.getLogger(__name__)

#: Calibrate each query slightly under its share so that the float sum of the
#: shares can never exceed the total (checked again on the composed map).
_SHARE_MARGIN = 1.0 - 1e-9
_MAX_THRESHOLD = 2**32 - 1


@dataclass
class QueryCalibration:
    """The calibrated release of one query, or why it cannot be made."""

    query: Query
    epsilon_share: float
    delta_share: float
    scales: dict[str, float] = field(default_factory=dict)
    threshold: int | None = None
    epsilon_spent: float = 0.0
    delta_spent: float = 0.0
    not_released: str | None = None

    def record(self) -> dict[str, Any]:
        return {
            "epsilon_share": self.epsilon_share,
            "delta_share": self.delta_share,
            "epsilon_spent": self.epsilon_spent,
            "delta_spent": self.delta_spent,
            "noise_scales": self.scales,
            "threshold": self.threshold,
            "released": self.not_released is None,
            "not_released_reason": self.not_released,
        }


def split_budget(
    queries: tuple[Query, ...],
    *,
    epsilon: float,
    delta: float,
    weights: dict[str, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """Each query's (epsilon, delta) share: by `weights` (even if None)."""
    weights = weights or {query.name: 1.0 for query in queries}
    total = sum(weights[query.name] for query in queries)
    needs_delta = [query.name for query in queries if query.kind == "histogram"]
    shares = {}
    for query in queries:
        eps = epsilon * weights[query.name] / total
        dlt = delta / len(needs_delta) if query.name in needs_delta else 0.0
        shares[query.name] = (eps, dlt)
    return shares


def measurement_for(
    query: Query,
    schema: pl.Schema,
    unit: PrivacyUnit,
    scales: dict[str, float],
    threshold: int | None = None,
) -> dp.Measurement:
    """One query alone as an OpenDP measurement with the given noise scales."""
    domain = plans.input_domain(schema, unit)
    if query.kind in {"count_by", "histogram"}:
        plan = plans.grouped_plan(query, schema, unit, scales["n"])
    else:
        plan = plans.base_for(query, schema, unit).select(
            plans.select_exprs(query, scales)
        )
    measure = dp.max_divergence()
    if query.kind == "histogram":
        measure = dp.approximate(dp.max_divergence())
    return dp.m.make_private_lazyframe(
        domain, unit.metric(), measure, plan, threshold=threshold
    )


def _epsilon_of(measurement: dp.Measurement, unit: PrivacyUnit) -> float:
    loss = measurement.map(unit.d_in())
    return loss[0] if isinstance(loss, tuple) else loss


def calibrate_query(
    query: Query,
    schema: pl.Schema,
    unit: PrivacyUnit,
    *,
    epsilon: float,
    delta: float,
) -> QueryCalibration:
    """Find noise scales (and a threshold) so the query spends <= its share."""
    result = QueryCalibration(query, epsilon_share=epsilon, delta_share=delta)
    if query.kind == "histogram" and delta <= 0:
        result.not_released = (
            "categories not declared in advance need delta > 0 to set a threshold"
        )
        return result
    try:
        _calibrate(result, schema, unit)
    except OpenDPException as error:
        result.not_released = f"OpenDP refused the setting: {_first_line(error)}"
        logger.warning("query %s not released: %s", query.name, result.not_released)
    return result


def _calibrate(result: QueryCalibration, schema: pl.Schema, unit: PrivacyUnit) -> None:
    query = result.query
    target = result.epsilon_share * _SHARE_MARGIN
    probe_threshold = _MAX_THRESHOLD if query.kind == "histogram" else None

    scales = {}
    for component, weight in plans.components(query).items():
        probe = measurement_for(query, schema, unit, {component: 1.0}, probe_threshold)
        scales[component] = _epsilon_of(probe, unit) / (weight * target)

    # OpenDP rounds losses up; nudge the scales up by doubling steps from 1e-12
    # until the real map is within the target.
    step = 1e-12
    for _ in range(60):
        measurement = measurement_for(query, schema, unit, scales, probe_threshold)
        if _epsilon_of(measurement, unit) <= target:
            break
        scales = {name: scale * (1 + step) for name, scale in scales.items()}
        step *= 2
    else:  # pragma: no cover - would mean the loss is not ~1/scale
        raise RuntimeError(f"could not calibrate {query.name} to epsilon {target}")

    result.scales = scales
    if query.kind == "histogram":
        result.threshold = _threshold_for(
            query, schema, unit, scales, result.delta_share
        )
        measurement = measurement_for(query, schema, unit, scales, result.threshold)
        result.epsilon_spent, result.delta_spent = measurement.map(unit.d_in())
    else:
        result.epsilon_spent = _epsilon_of(measurement, unit)
    logger.info(
        "calibrated %s: its epsilon share %.4g, noise scales %s, threshold %s",
        query.name,
        result.epsilon_spent,
        {name: round(scale, 6) for name, scale in scales.items()},
        result.threshold,
    )


def _threshold_for(
    query: Query,
    schema: pl.Schema,
    unit: PrivacyUnit,
    scales: dict[str, float],
    delta: float,
) -> int:
    """Smallest count threshold at which the histogram spends <= delta."""

    def small_enough(threshold: int) -> bool:
        m = measurement_for(query, schema, unit, scales, int(threshold))
        return m.map(unit.d_in())[1] <= delta

    low, high = 0, _MAX_THRESHOLD  # delta falls as the threshold rises
    if not small_enough(high):
        raise OpenDPException("FailedMap", f"no threshold reaches delta {delta}")
    while low < high:
        middle = (low + high) // 2
        if small_enough(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _first_line(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
