"""Error metrics on hand-computed inputs."""

from __future__ import annotations

import numpy as np
import pytest

from phibench.metrics.errors import bootstrap_ci, coverage, error_summary, l1_errors


def test_error_summary_on_known_values():
    released = np.array([9.0, 11.0, 12.0, np.nan])  # last trial not released
    summary = error_summary(released, 10.0, rng=np.random.default_rng(0))
    assert summary["n_trials"] == 4 and summary["n_released"] == 3
    assert summary["abs_error_median"] == 1.0
    assert summary["rel_error_median"] == pytest.approx(0.1)
    assert summary["bias"] == pytest.approx(2 / 3)  # (-1 + 1 + 2) / 3
    assert summary["rmse"] == pytest.approx(np.sqrt((1 + 1 + 4) / 3))
    low, high = summary["abs_error_median_ci95"]
    assert 1.0 <= low <= summary["abs_error_median"] <= high <= 2.0


def test_nothing_released_gives_counts_only():
    summary = error_summary(
        np.array([np.nan, np.nan]), 5.0, rng=np.random.default_rng(0)
    )
    assert summary == {"n_trials": 2, "n_released": 0}


def test_zero_truth_has_no_relative_error():
    summary = error_summary(np.array([1.0, -1.0]), 0.0, rng=np.random.default_rng(0))
    assert "rel_error_median" not in summary and summary["abs_error_median"] == 1.0


def test_l1_counts_unreleased_true_categories_as_zero():
    truth = {"a": 10.0, "b": 5.0}
    errors = l1_errors([{"a": 12.0}, {"a": 10.0, "b": 5.0, "z": 3.0}, None], truth)
    assert errors[0] == 7.0  # |12-10| + |0-5|
    assert errors[1] == 3.0  # the invented category z counts in full
    assert np.isnan(errors[2])


def test_coverage_counts_releases_inside_the_interval():
    assert coverage(np.array([9.0, 10.5, 14.0, np.nan]), 10.0, 1.0) == pytest.approx(
        2 / 3
    )


def test_bootstrap_ci_is_reproducible_from_the_seed():
    values = np.arange(20, dtype=float)
    first = bootstrap_ci(values, 50.0, np.random.default_rng(3))
    again = bootstrap_ci(values, 50.0, np.random.default_rng(3))
    assert first == again and first[0] < 9.5 < first[1]
