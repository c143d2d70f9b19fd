"""Scores of a trained model: pure functions, no I/O.

AUROC and AUPRC (average precision) come from scikit-learn. A score that is
undefined (a test set with one class only) is None with the reason, never a
made-up 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

AGE_BANDS = ((0, 50, "<50"), (50, 70, "50-69"), (70, 200, ">=70"))


def auroc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve; None unless both classes are present."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, p))


def auprc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Average precision; None without a positive example."""
    from sklearn.metrics import average_precision_score

    if y.sum() == 0:
        return None
    return float(average_precision_score(y, p))


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """AUROC, AUPRC and the counts behind them."""
    return {
        "auroc": auroc(y, p),
        "auprc": auprc(y, p),
        "n": int(y.size),
        "n_deaths": int(y.sum()),
    }


def worst_site(per_site: dict[str, float | None]) -> dict[str, object]:
    """The site with the lowest defined AUROC (sites with one class are skipped)."""
    defined = {site: v for site, v in per_site.items() if v is not None}
    if not defined:
        return {"site": None, "auroc": None, "n_undefined": len(per_site)}
    site = min(defined, key=lambda name: (defined[name], name))
    return {
        "site": site,
        "auroc": defined[site],
        "n_undefined": len(per_site) - len(defined),
    }


def rounds_to_reach(
    curve: Sequence[tuple[int, float | None]], target: float
) -> int | None:
    """First training round after which the global AUROC is >= `target` (None if
    never). Round 0, the untrained initial model, does not count: on a small
    test set a random model can reach the target by chance."""
    for server_round, value in curve:
        if server_round >= 1 and value is not None and value >= target:
            return int(server_round)
    return None


def subgroup_scores(
    y: np.ndarray, p: np.ndarray, *, sex: np.ndarray, age: np.ndarray
) -> dict[str, dict[str, object]]:
    """AUROC/AUPRC per sex and per age band (fairness breakdown)."""
    groups: dict[str, np.ndarray] = {
        "sex=F": sex == "F",
        "sex=M": sex == "M",
    }
    for low, high, label in AGE_BANDS:
        groups[f"age={label}"] = (age >= low) & (age < high)
    return {name: scores(y[mask], p[mask]) for name, mask in groups.items()}


#: Where AUROC and AUPRC live, and where a difference of two of them does.
SCORE_RANGE = (0.0, 1.0)
GAP_RANGE = (-1.0, 1.0)


def mean_interval(
    values: Sequence[float | None],
    *,
    level: float = 0.95,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> dict:
    """Mean over repeats with a Student-t interval (None bounds with one value).

    The interval is cut to `bounds`, the metric's range: with three repeats a
    t-interval of a noisy DP score can reach past 1 (AUROC 0.643 [0.270,
    1.017]), which no model can score. Undefined values (None) are left out
    and counted.
    """
    kept = [float(v) for v in values if v is not None and math.isfinite(v)]
    out: dict[str, object] = {
        "mean": None,
        "low": None,
        "high": None,
        "n": len(kept),
        "n_undefined": len(values) - len(kept),
    }
    if not kept:
        return out
    mean = float(np.mean(kept))
    out["mean"] = mean
    if len(kept) > 1:
        half = stats.t.ppf(0.5 + level / 2, len(kept) - 1) * stats.sem(kept)
        low, high = bounds
        out["low"] = max(low, mean - float(half))
        out["high"] = min(high, mean + float(half))
    return out


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """Example-weighted mean, as Flower aggregates site metrics."""
    total = float(np.sum(weights))
    if total <= 0:
        raise ValueError("weights sum to zero: no site has examples")
    return float(np.dot(values, weights) / total)
