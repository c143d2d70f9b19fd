"""Fidelity: SDMetrics' quality report and a detection classifier's AUC.

The quality report scores each column's distribution (KS complement for
numbers, total-variation complement for categories) and each column pair's
correlation or contingency similarity. Detection trains a classifier to tell
real training rows from synthetic rows; its cross-validated AUC is 0.5 when
they cannot be told apart and 1 when every row can.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import polars as pl

from phibench.synthetic.features import make_encoder, to_model_frame
from phibench.synthetic.generators import import_sdv, sdv_metadata, to_pandas

logger = logging.getLogger(__name__)


def quality_report(real: pl.DataFrame, synthetic: pl.DataFrame) -> dict[str, Any]:
    """Column shapes and pair trends (SDMetrics), per column with NaN reasons."""
    import_sdv()
    from sdmetrics.reports.single_table import QualityReport

    usable = [
        c
        for c in real.columns
        if real[c].null_count() < real.height
        and synthetic[c].null_count() < synthetic.height
    ]
    reasons = {
        c: "null in every real or every synthetic row: no distribution to compare"
        for c in real.columns
        if c not in usable
    }
    real_pd, syn_pd = (
        to_pandas(real.select(usable)),
        to_pandas(synthetic.select(usable)),
    )
    metadata = sdv_metadata(real_pd).to_dict()["tables"]["cohort"]
    report = QualityReport()
    report.generate(real_pd, syn_pd, metadata, verbose=False)
    shapes = report.get_details("Column Shapes")
    per_column = {c: math.nan for c in real.columns}
    per_column |= dict(
        zip(shapes["Column"], shapes["Score"].astype(float), strict=True)
    )
    properties = report.get_properties()
    scores = dict(
        zip(properties["Property"], properties["Score"].astype(float), strict=True)
    )
    return {
        "column_shapes": scores.get("Column Shapes", math.nan),
        "column_pair_trends": scores.get("Column Pair Trends", math.nan),
        "overall": float(report.get_score()),
        "per_column": per_column,
        "not_scored": reasons,
    }


def detection_auc(
    real: pl.DataFrame, synthetic: pl.DataFrame, *, seed: int, max_rows: int = 2000
) -> dict[str, Any]:
    """Cross-validated AUC of logistic regression telling real from synthetic."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(seed)
    n = min(real.height, synthetic.height, max_rows)
    if n < 10:
        return {"value": math.nan, "reason": f"{n} rows per side; 10 needed"}
    columns = [c for c in real.columns if real[c].null_count() < real.height]
    pick = lambda f: f[rng.choice(f.height, n, replace=False).tolist()].select(columns)  # noqa: E731
    both = pl.concat([pick(real), pick(synthetic)])
    labels = np.r_[np.zeros(n), np.ones(n)]
    model = make_pipeline(make_encoder(columns), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed % 2**32)
    aucs = cross_val_score(
        model, to_model_frame(both), labels, cv=folds, scoring="roc_auc"
    )
    return {
        "value": float(np.mean(aucs)),
        "n_each": n,
        "classifier": "logistic regression",
    }
