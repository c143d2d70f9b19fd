"""Scores: exact values on small inputs."""

from __future__ import annotations

import numpy as np
import pytest

from phibench.federated import evaluation as ev


def test_auroc_is_undefined_with_one_class():
    assert ev.auroc(np.zeros(4), np.linspace(0, 1, 4)) is None
    assert ev.auprc(np.zeros(4), np.linspace(0, 1, 4)) is None


def test_auroc_exact():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    assert ev.auroc(y, p) == pytest.approx(0.75)


def test_worst_site_skips_undefined():
    out = ev.worst_site({"a": 0.8, "b": None, "c": 0.6})
    assert out == {"site": "c", "auroc": 0.6, "n_undefined": 1}


def test_rounds_to_reach():
    curve = [(0, 0.5), (1, None), (2, 0.69), (3, 0.7), (4, 0.8)]
    assert ev.rounds_to_reach(curve, 0.7) == 3
    assert ev.rounds_to_reach(curve, 0.9) is None
    assert ev.rounds_to_reach([(0, 0.75), (1, 0.6), (2, 0.72)], 0.7) == 2


def test_mean_interval_matches_student_t():
    out = ev.mean_interval([0.6, 0.7, 0.8])
    # sd 0.1, sem 0.1/sqrt(3), t(0.975, 2) = 4.302653
    half = 4.302653 * 0.1 / np.sqrt(3)
    assert out["mean"] == pytest.approx(0.7)
    assert out["low"] == pytest.approx(0.7 - half, abs=1e-6)
    assert out["high"] == pytest.approx(0.7 + half, abs=1e-6)
    assert ev.mean_interval([0.5, None])["n_undefined"] == 1


def test_an_interval_past_the_metric_s_range_is_cut_at_its_end():
    """Three noisy AUROCs whose t-interval reaches past 1, as DP-FedAvg's at
    epsilon 1 did on the embedded cohort (0.643 [0.270, 1.017] uncut)."""
    values = [0.80, 0.49, 0.64]
    mean = np.mean(values)
    half = 4.302653 * np.std(values, ddof=1) / np.sqrt(3)
    assert mean + half > 1 and mean - half > 0
    out = ev.mean_interval(values, bounds=ev.SCORE_RANGE)
    assert out["mean"] == pytest.approx(mean)
    assert out["low"] == pytest.approx(mean - half, abs=1e-6)
    assert out["high"] == 1.0
    low_scores = ev.mean_interval([0.02, 0.2, 0.07], bounds=ev.SCORE_RANGE)
    assert low_scores["low"] == 0.0
    gaps = ev.mean_interval([0.9, -0.5, 0.6], bounds=ev.GAP_RANGE)
    assert gaps["low"] == -1.0 and gaps["high"] == 1.0


def test_weighted_mean_is_the_example_weighted_accuracy():
    assert ev.weighted_mean([0.9, 0.5], [900, 100]) == pytest.approx(0.86)
    assert ev.weighted_mean([0.3, 0.9], [900, 100]) == pytest.approx(0.36)
    with pytest.raises(ValueError, match="weights sum to zero"):
        ev.weighted_mean([0.3], [0])


def test_subgroups_by_sex_and_age_band():
    y = np.array([0, 1, 0, 1, 0, 1])
    p = np.array([0.2, 0.8, 0.3, 0.7, 0.9, 0.1])
    sex = np.array(["F", "F", "M", "M", "F", "M"])
    age = np.array([30, 45, 60, 65, 80, 90])
    out = ev.subgroup_scores(y, p, sex=sex, age=age)
    assert out["age=<50"]["auroc"] == 1.0
    assert out["age=>=70"]["auroc"] == 0.0
    assert out["sex=F"]["n"] == 3
