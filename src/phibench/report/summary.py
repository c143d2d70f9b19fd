"""What `phibench run` prints: a short table for people, or JSON for machines."""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def print_result(result: Any, *, fmt: str) -> None:
    """dp-analytics: error table, criteria, where the results are."""
    if fmt == "json":
        print_json(result)
        return
    print(result_table(result.metrics))
    print_footer(result)


def print_json(result: Any, **extra: Any) -> None:
    """The machine-readable outcome of any `phibench run`."""
    payload = {
        "run_dir": str(result.run_dir),
        "passed": result.passed,
        **extra,
        "criteria": [
            {k: c.get(k) for k in ("id", "outcome", "observed", "threshold")}
            for c in result.criteria
        ],
        "tracking_uri": result.tracking_uri,
        "mlflow_run_id": result.mlflow_run_id,
        "tracking_error": result.tracking_error,
    }
    print(json.dumps(payload, indent=2))


def print_footer(result: Any) -> None:
    """Each criterion's outcome, the run folder and the MLflow run."""
    for c in result.criteria:
        observed = c.get("observed")
        shown = f" (observed {observed:.4g})" if isinstance(observed, float) else ""
        reason = f": {c['reason']}" if c.get("reason") else ""
        print(f"  [{c['outcome']}] {c['id']}{shown}{reason}")
    print(f"results: {result.run_dir}")
    if result.mlflow_run_id:
        print(f"mlflow:  run {result.mlflow_run_id} at {result.tracking_uri}")
    sys.stdout.flush()


def result_table(metrics: dict[str, Any]) -> str:
    """Markdown table: median relative error per query (rows) and epsilon.

    The truncation bias column is the error that remains without any noise,
    from capping each patient's admissions and clamping values.
    """
    queries = metrics["queries"]
    epsilons = list(next(iter(queries.values()))["by_epsilon"])
    header = "| query | truncation bias | " + " | ".join(f"ε={e}" for e in epsilons)
    lines = [
        "median relative error over trials (n/r = not released):",
        header + " |",
        "|---" * (len(epsilons) + 2) + "|",
    ]
    for name, entry in queries.items():
        cells = [_bias(entry)]
        for eps in epsilons:
            scores = entry["by_epsilon"][eps]
            value = scores.get("rel_error_median")
            cells.append("n/r" if not scores["released"] else _fmt(value))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _bias(entry: dict[str, Any]) -> str:
    if not _finite(entry.get("true")):
        return "no data"
    if "truncation_bias_relative" in entry:
        return f"{entry['truncation_bias_relative']:+.1%}"
    if "truncation_bias_l1" in entry:
        return f"L1 {entry['truncation_bias_l1']:.0f}"
    return "-"


def _finite(value: Any) -> bool:
    """False for a missing or NaN number (None once written to JSON)."""
    if value is None:
        return False
    return not isinstance(value, float) or math.isfinite(value)


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.2%}" if value == 0 or value >= 0.001 else f"{value:.2e}"
