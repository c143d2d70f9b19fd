"""One method's repeats summarised: means with intervals, per site, subgroups."""

from __future__ import annotations

from typing import Any

import numpy as np

from phibench.federated import evaluation as ev


def summarise_method(
    name: str,
    runs: list[dict[str, Any]],
    pooled: list[dict[str, Any]],
    test: Any,
    settings: Any,
    privacy: dict[str, Any] | None,
) -> dict[str, Any]:
    """Scores of `runs` (one per repeat) against the pooled runs of the same seeds."""
    finals = [ev.scores(test.y, run["p"]) for run in runs]
    pooled_auroc = {run["seed"]: ev.auroc(test.y, run["p"]) for run in pooled}
    gaps = [
        _gap(pooled_auroc.get(run["seed"]), final["auroc"])
        for run, final in zip(runs, finals, strict=True)
    ]
    per_site = _per_site(runs, test)
    site_means = {site: entry["mean"] for site, entry in per_site.items()}
    out: dict[str, Any] = {
        "kind": _kind(name),
        "n_repeats": len(runs),
        "seeds": [run["seed"] for run in runs],
        "global_auroc": ev.mean_interval(
            [f["auroc"] for f in finals], bounds=ev.SCORE_RANGE
        ),
        "global_auprc": ev.mean_interval(
            [f["auprc"] for f in finals], bounds=ev.SCORE_RANGE
        ),
        "gap_to_pooled": ev.mean_interval(gaps, bounds=ev.GAP_RANGE),
        "per_site_auroc": per_site,
        "worst_site": ev.worst_site(site_means),
        "rounds_to_target": [
            ev.rounds_to_reach(run["curve"], settings.target_auroc) for run in runs
        ],
        "target_auroc": settings.target_auroc,
        "bytes_communicated": runs[0]["bytes"],
        "curve": _mean_curve(runs),
        "subgroups": _subgroups(runs, test),
        "repeats": [
            {"seed": run["seed"], **final, "gap_to_pooled": gap}
            for run, final, gap in zip(runs, finals, gaps, strict=True)
        ],
    }
    if privacy is not None:
        spent = [run.get("epsilon_spent") for run in runs]
        out["privacy"] = privacy | {"epsilon_spent": max(spent)}
    if "federated_evaluation" in runs[0]:
        out["federated_evaluation_first_repeat"] = runs[0]["federated_evaluation"]
    return out


def _kind(name: str) -> str:
    if name in ("pooled", "local-only"):
        return name
    return "federated"


def _gap(pooled: float | None, value: float | None) -> float | None:
    if pooled is None or value is None:
        return None
    return pooled - value


def _per_site(runs: list[dict[str, Any]], test: Any) -> dict[str, dict]:
    out = {}
    for site in sorted(set(test.site.tolist())):
        mask = test.site == site
        values = [ev.auroc(test.y[mask], run["p"][mask]) for run in runs]
        out[site] = ev.mean_interval(values, bounds=ev.SCORE_RANGE) | {
            "n_test": int(mask.sum()),
            "n_test_deaths": int(test.y[mask].sum()),
        }
    return out


def _subgroups(runs: list[dict[str, Any]], test: Any) -> dict[str, dict]:
    per_run = [
        ev.subgroup_scores(test.y, run["p"], sex=test.sex, age=test.age) for run in runs
    ]
    out = {}
    for group in per_run[0]:
        out[group] = ev.mean_interval(
            [r[group]["auroc"] for r in per_run], bounds=ev.SCORE_RANGE
        ) | {
            "n": per_run[0][group]["n"],
            "n_deaths": per_run[0][group]["n_deaths"],
        }
    return out


def _mean_curve(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rounds = [r for r, _ in runs[0]["curve"]]
    curve = []
    for index, server_round in enumerate(rounds):
        values = [run["curve"][index][1] for run in runs]
        kept = [v for v in values if v is not None]
        curve.append(
            {"round": server_round, "auroc": float(np.mean(kept)) if kept else None}
        )
    return curve
