"""Utility for in-hospital death: train on synthetic or real, test on real holdout.

TSTR trains the fixed model on synthetic rows, TRTR on the real training rows;
both are scored on the real holdout, overall (AUROC and AUPRC with percentile
bootstrap intervals over holdout rows) and per subgroup (sex, age band, race).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import polars as pl

from phibench.synthetic.features import make_encoder, to_model_frame
from phibench.synthetic.table import OUTCOME, age_band

#: Columns not used as predictors: the outcome, and the admission time (dates
#: are shifted per patient in MIMIC-IV, so it carries no clinical signal).
NOT_FEATURES = (OUTCOME, "admit_time")
SUBGROUPS = ("sex", "age_band", "race")
N_BOOTSTRAP = 200


def feature_columns(frame: pl.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if c not in NOT_FEATURES and frame[c].null_count() < frame.height
    ]


def fit_model(train: pl.DataFrame, columns: list[str]) -> Any:
    """Logistic regression in the fixed pipeline; None if one class only."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = train[OUTCOME].fill_null(False).to_numpy().astype(int)
    if len(np.unique(labels)) < 2:
        return None
    model = make_pipeline(make_encoder(columns), LogisticRegression(max_iter=2000))
    with warnings.catch_warnings():
        # a synthetic table may separate the classes: the fit is still scored
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(to_model_frame(train.select(columns)), labels)


def evaluate(
    model: Any, holdout: pl.DataFrame, columns: list[str], *, rng: np.random.Generator
) -> dict[str, Any]:
    """AUROC and AUPRC on the holdout with bootstrap CIs, and per subgroup."""
    if model is None:
        reason = "the training rows hold a single outcome class: no model"
        return {"auroc": _nan(reason), "auprc": _nan(reason), "subgroups": {}}
    labels = holdout[OUTCOME].fill_null(False).to_numpy().astype(int)
    scores = model.predict_proba(to_model_frame(holdout.select(columns)))[:, 1]
    out = {
        "auroc": _with_ci(labels, scores, "auroc", rng),
        "auprc": _with_ci(labels, scores, "auprc", rng),
        "prevalence_holdout": float(labels.mean()) if len(labels) else math.nan,
    }
    out["subgroups"] = _subgroups(holdout, labels, scores)
    return out


def _score(labels: np.ndarray, scores: np.ndarray, metric: str) -> float:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(np.unique(labels)) < 2:
        return math.nan
    if metric == "auroc":
        return float(roc_auc_score(labels, scores))
    return float(average_precision_score(labels, scores))


def _with_ci(
    labels: np.ndarray, scores: np.ndarray, metric: str, rng: np.random.Generator
) -> dict[str, Any]:
    value = _score(labels, scores, metric)
    if not math.isfinite(value):
        return _nan("the holdout holds a single outcome class")
    draws = []
    for _ in range(N_BOOTSTRAP):
        index = rng.integers(0, len(labels), len(labels))
        draws.append(_score(labels[index], scores[index], metric))
    draws = np.asarray(draws)
    draws = draws[np.isfinite(draws)]
    low, high = np.percentile(draws, [2.5, 97.5]) if len(draws) else (math.nan,) * 2
    return {
        "value": value,
        "ci95": [float(low), float(high)],
        "n_bootstrap_valid": len(draws),
    }


def _subgroups(
    holdout: pl.DataFrame, labels: np.ndarray, scores: np.ndarray
) -> dict[str, dict[str, Any]]:
    bands = [age_band(a) for a in holdout["age"].to_list()]
    groups = {
        "sex": holdout["sex"].fill_null("unknown").to_list(),
        "age_band": bands,
        "race": holdout["race"].fill_null("unknown").to_list(),
    }
    out: dict[str, dict[str, Any]] = {}
    for name, values in groups.items():
        values = np.asarray(values, dtype=object)
        for level in sorted(set(values.tolist())):
            mask = values == level
            out[f"{name}={level}"] = {
                "auroc": _score(labels[mask], scores[mask], "auroc"),
                "n": int(mask.sum()),
                "n_deaths": int(labels[mask].sum()),
            }
    return out


def _nan(reason: str) -> dict[str, Any]:
    return {"value": math.nan, "ci95": [math.nan, math.nan], "reason": reason}
