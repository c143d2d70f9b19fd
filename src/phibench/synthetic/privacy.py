"""Privacy of synthetic rows measured against the real ones, by distance and attack.

- DCR share: the share of synthetic rows closer to a training row than to a
  holdout row, against equally many training and holdout rows; ties count one
  half. A generator that never saw the training rows scores 0.5 in expectation.
- DCR baseline protection: the median distance from synthetic rows to their
  closest training row, divided by the same median for the baseline generator
  (independent marginals), capped at 1. Undefined (NaN, with the reason) when
  the baseline's median is 0.
- Membership inference on balanced member (training) and non-member (holdout)
  targets: a distance attack (closer to a synthetic row = member) and a density
  attack (van Breugel et al. 2023, DOMIAS: synthetic density over a reference
  density, each a Gaussian mixture). AUC and TPR at 1% and 0.1% FPR.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import polars as pl

from phibench.synthetic import distance

logger = logging.getLogger(__name__)

FPR_TARGETS = (0.01, 0.001)


def sample_rows(frame: pl.DataFrame, n: int, rng: np.random.Generator) -> pl.DataFrame:
    """At most `n` rows without replacement (all rows when the frame is smaller)."""
    if frame.height <= n:
        return frame
    return frame[np.sort(rng.choice(frame.height, size=n, replace=False)).tolist()]


def dcr_share(
    synthetic: pl.DataFrame,
    train: pl.DataFrame,
    holdout: pl.DataFrame,
    *,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Share of synthetic rows closer to training than to holdout (ties = 1/2)."""
    size = min(train.height, holdout.height)
    train_s, holdout_s = sample_rows(train, size, rng), sample_rows(holdout, size, rng)
    real = pl.concat([train, holdout])
    (syn, tr, ho), excluded = distance.encode(real, [synthetic, train_s, holdout_s])
    to_train, to_holdout = distance.nearest(syn, tr), distance.nearest(syn, ho)
    if synthetic.height == 0 or syn.n_columns == 0:
        return {
            "value": math.nan,
            "reason": "no rows or no comparable columns",
            "excluded_columns": excluded,
        }
    closer = np.where(to_train < to_holdout, 1.0, 0.0)
    closer = np.where(to_train == to_holdout, 0.5, closer)
    return {
        "value": float(closer.mean()),
        "n_synthetic": synthetic.height,
        "n_reference_each": size,
        "share_exact_copies_of_training": float(np.mean(to_train == 0)),
        "excluded_columns": excluded,
    }


def dcr_baseline_protection(
    synthetic: pl.DataFrame, baseline: pl.DataFrame, train: pl.DataFrame
) -> dict[str, Any]:
    """min(1, median DCR of synthetic / median DCR of the baseline), to training."""
    (syn, base, tr), excluded = distance.encode(train, [synthetic, baseline, train])
    syn_median = (
        float(np.nanmedian(distance.nearest(syn, tr))) if synthetic.height else math.nan
    )
    base_median = (
        float(np.nanmedian(distance.nearest(base, tr))) if baseline.height else math.nan
    )
    record = {
        "median_dcr_synthetic": syn_median,
        "median_dcr_baseline": base_median,
        "excluded_columns": excluded,
    }
    if not math.isfinite(base_median) or base_median == 0:
        return record | {
            "value": math.nan,
            "reason": "the baseline's median distance to the training rows is 0 "
            "(its rows copy training rows, e.g. every combination of a few "
            "categorical columns occurs): the ratio is undefined",
        }
    return record | {"value": min(1.0, syn_median / base_median)}


def tpr_at_fpr(labels: np.ndarray, scores: np.ndarray, target: float) -> dict[str, Any]:
    """Best TPR with FPR <= target; below 1/n_negatives, at the lowest FPR there is."""
    from sklearn.metrics import roc_curve

    n_negative = int(np.sum(labels == 0))
    if n_negative == 0 or np.sum(labels == 1) == 0:
        return {
            "value": math.nan,
            "fpr_target": target,
            "fpr_used": math.nan,
            "note": "needs members and non-members",
        }
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    lowest = 1.0 / n_negative
    used = max(target, lowest)
    record = {
        "value": float(tpr[fpr <= used + 1e-12].max()),
        "fpr_target": target,
        "fpr_used": used,
    }
    if used > target:
        record["note"] = (
            f"{n_negative} non-members support no FPR below {lowest:.3g}: TPR "
            f"reported at the lowest supported FPR {lowest:.3g}"
        )
    return record


def attack_scores(labels: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    valid = np.isfinite(scores)
    labels, scores = labels[valid], scores[valid]
    if len(np.unique(labels)) < 2:
        return {"auc": math.nan, "reason": "needs members and non-members"}
    out: dict[str, Any] = {"auc": float(roc_auc_score(labels, scores))}
    for target in FPR_TARGETS:
        out[f"tpr_at_fpr_{target:g}"] = tpr_at_fpr(labels, scores, target)
    out["n_members"] = int(labels.sum())
    out["n_non_members"] = int((labels == 0).sum())
    return out


def membership_targets(
    train: pl.DataFrame,
    holdout: pl.DataFrame,
    *,
    max_each: int,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """Balanced targets (members first) and the holdout rows left for reference.

    Half the holdout serves as non-member targets and half as the density
    attack's reference population, so each non-member target is unseen by both
    the generator and the reference model.
    """
    shuffled = holdout[rng.permutation(holdout.height).tolist()]
    n_each = max(1, min(train.height, shuffled.height // 2, max_each))
    non_members = shuffled[:n_each]
    reference = shuffled[n_each:]
    members = sample_rows(train, n_each, rng)
    labels = np.r_[np.ones(members.height), np.zeros(non_members.height)]
    return pl.concat([members, non_members]), labels, reference


def distance_attack(targets: pl.DataFrame, synthetic: pl.DataFrame) -> np.ndarray:
    """Member score = minus the distance to the closest synthetic row."""
    (tgt, syn), _ = distance.encode(targets, [targets, synthetic])
    return -distance.nearest(tgt, syn)


def density_attack(
    targets: pl.DataFrame,
    synthetic: pl.DataFrame,
    reference: pl.DataFrame,
    *,
    seed: int,
) -> tuple[np.ndarray, str]:
    """Member score = log density under synthetic minus under the reference."""
    from sklearn.mixture import GaussianMixture

    from phibench.synthetic.features import feature_encoder, to_model_frame

    columns = [c for c in targets.columns if targets[c].null_count() < targets.height]
    encoder = feature_encoder(pl.concat([targets, synthetic]).select(columns))

    def encode(frame: pl.DataFrame):
        return encoder.transform(to_model_frame(frame.select(columns)))

    def mixture(frame: pl.DataFrame) -> GaussianMixture:
        k = max(1, min(8, frame.height // 25))
        from sklearn.exceptions import ConvergenceWarning

        model = GaussianMixture(
            k, covariance_type="diag", reg_covar=1e-3, random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(encode(frame))

    x = encode(targets)
    score = mixture(synthetic).score_samples(x)
    if reference.height >= 20:
        return score - mixture(reference).score_samples(x), "density ratio (DOMIAS)"
    return score, "synthetic density only (fewer than 20 reference rows)"
