"""Judge a federated run by its spec's criteria.

A criterion's `query` names a method ("fedavg", "dp-fedavg") and `metric` a
summary of it; for DP methods `at_epsilon` picks the target epsilon.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from phibench.spec.schema import BenchmarkSpec, Criterion

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def evaluate(spec: BenchmarkSpec, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [evaluate_one(criterion, metrics) for criterion in spec.criteria]


def evaluate_one(criterion: Criterion, metrics: dict[str, Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = criterion.model_dump()
    n_patients = metrics["cohort"]["n_patients"]
    if n_patients < criterion.min_patients:
        return outcome | _not_applicable(
            f"cohort has {n_patients} patients, the criterion applies from "
            f"{criterion.min_patients}"
        )
    method = criterion.query
    if criterion.at_epsilon is not None:
        method = f"{criterion.query} eps={criterion.at_epsilon:g}"
    entry = metrics["methods"].get(method)
    if entry is None:
        return outcome | _not_applicable(
            f"the run has no {method!r} result; include it with --strategy/--epsilons"
        )
    if entry["n_repeats"] < criterion.min_trials:
        return outcome | _not_applicable(
            f"the run has {entry['n_repeats']} repeats, the criterion needs "
            f"{criterion.min_trials}"
        )
    observed = _observed(entry, criterion.metric)
    if observed is None or not math.isfinite(observed):
        return outcome | {
            "outcome": "fail",
            "observed": None,
            "reason": f"{criterion.metric} is undefined in this run",
        }
    passed = _OPS[criterion.op](observed, criterion.threshold)
    return outcome | {"outcome": "pass" if passed else "fail", "observed": observed}


def _observed(entry: dict[str, Any], metric: str) -> float | None:
    if metric == "epsilon_spent":
        return entry.get("privacy", {}).get("epsilon_spent")
    if metric == "worst_site_auroc":
        return entry["worst_site"]["auroc"]
    value = entry.get(metric)
    return value.get("mean") if isinstance(value, dict) else value


def _not_applicable(reason: str) -> dict[str, Any]:
    return {"outcome": "not_applicable", "reason": reason}
