"""Evaluate a specification's pass/fail criteria against a run's metrics."""

from __future__ import annotations

import math
import operator
from typing import Any

from phibench.spec.schema import BenchmarkSpec, Criterion

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def evaluate(spec: BenchmarkSpec, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One outcome per criterion: pass, fail or not_applicable, with the reason."""
    return [evaluate_one(criterion, metrics) for criterion in spec.criteria]


def evaluate_one(criterion: Criterion, metrics: dict[str, Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = criterion.model_dump()
    n_patients = metrics["cohort"]["n_patients"]
    if n_patients < criterion.min_patients:
        return outcome | {
            "outcome": "not_applicable",
            "reason": f"cohort has {n_patients} patients, the criterion applies "
            f"from {criterion.min_patients}",
        }

    n_trials = metrics.get("trials", criterion.min_trials)
    if n_trials < criterion.min_trials:
        return outcome | {
            "outcome": "not_applicable",
            "reason": f"the run has {n_trials} trials, the criterion needs "
            f"{criterion.min_trials} to judge a rate",
        }

    query = metrics["queries"].get(criterion.query)
    scores = (query or {}).get("by_epsilon", {}).get(f"{criterion.at_epsilon:g}")
    if scores is None:
        return outcome | {
            "outcome": "not_applicable",
            "reason": f"the run has no {criterion.query!r} result at epsilon "
            f"{criterion.at_epsilon:g}; include it in --epsilons",
        }

    observed = scores.get(criterion.metric)
    if observed is None or not math.isfinite(observed):
        return outcome | {
            "outcome": "fail",
            "observed": None,
            "reason": f"{criterion.metric} was not measured (release not made: "
            f"{scores.get('not_released_reason', 'no value')})",
        }
    passed = _OPS[criterion.op](observed, criterion.threshold)
    return outcome | {"outcome": "pass" if passed else "fail", "observed": observed}
