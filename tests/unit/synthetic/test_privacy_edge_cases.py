"""Distance and attack metrics on the issue's edge cases, with exact values."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from phibench.synthetic import distance, privacy


def _nearest(real: pl.DataFrame, synthetic: pl.DataFrame) -> np.ndarray:
    (syn, ref), _ = distance.encode(real, [synthetic, real])
    return distance.nearest(syn, ref)


def test_distance_is_normalised_by_the_real_columns_range():
    real = pl.DataFrame({"age": [0.0, 10.0, 3.0, 4.0, 1.0]})
    synthetic = pl.DataFrame({"age": [5.0]})
    assert _nearest(real, synthetic).tolist() == [pytest.approx(0.1, abs=1e-15)]


def test_distances_above_the_real_range_are_capped_at_one():
    real = pl.DataFrame({"age": [0.0, 10.0]})
    assert _nearest(real, pl.DataFrame({"age": [40.0]})).tolist() == [1.0]


def test_a_constant_real_column_counts_as_categorical_without_division_by_zero():
    real = pl.DataFrame({"site": ["A"] * 4, "los_days": [2.0] * 4})
    synthetic = pl.DataFrame({"site": ["A", "B"], "los_days": [2.0, 2.5]})
    with np.errstate(all="raise"):
        assert _nearest(real, synthetic).tolist() == [0.0, 1.0]


def test_missing_values_equal_only_missing_values():
    real = pl.DataFrame({"lactate": [1.0, 3.0, None]})
    synthetic = pl.DataFrame({"lactate": [None, 2.0]})
    assert _nearest(real, synthetic).tolist() == [0.0, 0.5]


def test_a_column_null_in_every_real_row_is_left_out_with_its_reason():
    real = pl.DataFrame(
        {"age": [0.0, 10.0], "lactate": [None, None]},
        schema={"age": pl.Float64, "lactate": pl.Float64},
    )
    synthetic = pl.DataFrame({"age": [5.0], "lactate": [2.0]})
    (syn, ref), excluded = distance.encode(real, [synthetic, real])
    assert distance.nearest(syn, ref).tolist() == [0.5]
    assert excluded == {"lactate": "null in every real row: no distance defined"}


def test_a_column_null_in_every_synthetic_row_is_left_out_too():
    real = pl.DataFrame({"age": [0.0, 10.0], "lactate": [1.0, 2.0]})
    synthetic = pl.DataFrame(
        {"age": [5.0], "lactate": [None]},
        schema={"age": pl.Float64, "lactate": pl.Float64},
    )
    (syn, ref), excluded = distance.encode(real, [synthetic, real])
    assert distance.nearest(syn, ref).tolist() == [0.5]
    assert set(excluded) == {"lactate"}


def _two_binary(n_each: int) -> pl.DataFrame:
    pairs = [(a, b) for a in (False, True) for b in (False, True)] * n_each
    return pl.DataFrame(
        {"icu_stay": [a for a, _ in pairs], "cancer": [b for _, b in pairs]}
    )


def test_baseline_median_distance_zero_gives_an_explained_nan_never_above_one():
    train = _two_binary(10)
    from phibench.synthetic.generators import independent_marginals

    baseline = independent_marginals(train, 40, np.random.default_rng(0))
    result = privacy.dcr_baseline_protection(train, baseline, train)
    assert math.isnan(result["value"])
    assert "median distance to the training rows is 0" in result["reason"]
    assert result["median_dcr_baseline"] == 0.0


def test_baseline_protection_is_capped_at_one():
    train = pl.DataFrame({"age": [20.0, 30.0, 40.0, 50.0]})
    baseline = pl.DataFrame({"age": [21.0, 31.0]})  # median distance 1/30
    far = pl.DataFrame({"age": [90.0, 95.0]})  # capped distance 1 each
    result = privacy.dcr_baseline_protection(far, baseline, train)
    assert result["value"] == 1.0
    near = pl.DataFrame({"age": [20.5, 30.5]})  # median 0.5/30: half the baseline's
    assert privacy.dcr_baseline_protection(near, baseline, train)["value"] == (
        pytest.approx(0.5)
    )


def test_dcr_share_is_one_for_copies_and_one_half_for_ties():
    train = pl.DataFrame({"age": [20.0, 40.0, 60.0, 80.0]})
    holdout = pl.DataFrame({"age": [25.0, 45.0, 65.0, 85.0]})
    rng = np.random.default_rng(0)
    assert privacy.dcr_share(train, train, holdout, rng=rng)["value"] == 1.0
    assert privacy.dcr_share(holdout, train, holdout, rng=rng)["value"] == 0.0
    ties = pl.DataFrame({"age": [22.5, 42.5]})  # equally far from both
    assert privacy.dcr_share(ties, train, holdout, rng=rng)["value"] == 0.5


def test_tpr_at_fpr_uses_the_lowest_supported_fpr_and_says_so():
    labels = np.r_[np.ones(10), np.zeros(10)]
    scores = np.r_[np.arange(10, 20), np.arange(0, 10)].astype(float)
    record = privacy.tpr_at_fpr(labels, scores, 0.01)
    assert record["value"] == 1.0 and record["fpr_used"] == 0.1
    assert "lowest supported FPR 0.1" in record["note"]
    overlapping = np.r_[np.arange(5, 15), np.arange(0, 10)].astype(float)
    # with FPR <= 0.1 one negative (score 9) may sit above the threshold: the
    # members scoring 9..14 are caught, 6 of 10
    assert privacy.tpr_at_fpr(labels, overlapping, 0.1)["value"] == 0.6


def test_attacks_stay_balanced_when_the_synthetic_table_is_smaller_than_the_holdout():
    rng = np.random.default_rng(3)
    train = pl.DataFrame(
        {"age": rng.uniform(20, 90, 80), "sex": rng.choice(["F", "M"], 80)}
    )
    holdout = pl.DataFrame(
        {"age": rng.uniform(20, 90, 60), "sex": rng.choice(["F", "M"], 60)}
    )
    synthetic = train[:5]
    targets, labels, reference = privacy.membership_targets(
        train, holdout, max_each=1000, rng=rng
    )
    assert labels.sum() == (labels == 0).sum() == 30 and reference.height == 30
    distance_scores = privacy.distance_attack(targets, synthetic)
    density_scores, _ = privacy.density_attack(targets, synthetic, reference, seed=1)
    for scores in (distance_scores, density_scores):
        result = privacy.attack_scores(labels, scores)
        assert result["n_members"] == result["n_non_members"] == 30
        assert 0 <= result["auc"] <= 1
    assert privacy.sample_rows(synthetic, 60, rng).height == 5
