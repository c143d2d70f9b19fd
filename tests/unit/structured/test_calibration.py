"""The deterministic layer of the DP release, against closed forms.

OpenDP's privacy maps are the ground truth for the loss; these tests check that
phibench's calibration lands exactly where the textbook formulas say (Laplace
mechanism: epsilon = sensitivity / scale, Dwork and Roth 2014, Thm 3.6) and that
no budget is ever overspent.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phibench.structured.dp_analytics import calibrate, release
from phibench.structured.dp_analytics.plans import PrivacyUnit
from phibench.structured.dp_analytics.queries import Query, default_queries
from tests.conftest import cohort_from

SCHEMA_ROWS = [{"patient_id": 1, "creatinine": 1.0}, {"patient_id": 2}]
UNIT = PrivacyUnit(contribution_cap=3, max_rows=1000)


def _schema(queries):
    from phibench.structured.dp_analytics.plans import prepare_private_frame

    return prepare_private_frame(cohort_from(SCHEMA_ROWS), queries, UNIT).schema


def _calibrated(query: Query, epsilon: float, delta: float = 0.0):
    return calibrate.calibrate_query(
        query, _schema((query,)), UNIT, epsilon=epsilon, delta=delta
    )


@pytest.mark.parametrize("epsilon", [0.01, 0.1, 1.0, 7.0])
def test_count_scale_is_cap_over_epsilon(epsilon):
    # One patient changes at most `cap` rows, so a count has sensitivity cap.
    result = _calibrated(Query("n", "count"), epsilon)
    assert result.scales["n"] == pytest.approx(3 / epsilon, rel=1e-6)
    assert result.epsilon_spent <= epsilon
    assert result.epsilon_spent == pytest.approx(epsilon, rel=1e-6)


def test_sum_scale_is_cap_times_largest_bound_over_epsilon():
    # Sensitivity of a clamped sum under add/remove: cap * max(|L|, |U|), plus
    # OpenDP's allowance for float rounding, which is tiny at max_rows = 1000.
    result = _calibrated(Query("s", "sum", column="los_days", bounds=(0, 60)), 0.5)
    assert result.scales["sum"] == pytest.approx(3 * 60 / 0.5, rel=1e-3)
    assert result.scales["sum"] >= 3 * 60 / 0.5


def test_mean_splits_its_share_evenly_between_sum_and_count():
    result = _calibrated(Query("m", "mean", column="age", bounds=(18, 91)), 1.0)
    assert result.scales["n"] == pytest.approx(3 / 0.5, rel=1e-6)
    assert result.scales["sum"] == pytest.approx(3 * 91 / 0.5, rel=1e-3)
    assert result.epsilon_spent <= 1.0


def test_histogram_threshold_meets_delta_and_rises_as_delta_falls():
    query = Query("h", "histogram", column="race")
    loose = _calibrated(query, 1.0, delta=1e-3)
    tight = _calibrated(query, 1.0, delta=1e-9)
    assert loose.delta_spent <= 1e-3 and tight.delta_spent <= 1e-9
    assert tight.threshold > loose.threshold > 0


def test_histogram_without_delta_is_not_released_with_reason():
    result = _calibrated(Query("h", "histogram", column="race"), 1.0, delta=0.0)
    assert result.not_released is not None
    assert "delta > 0" in result.not_released


def test_even_split_gives_each_query_an_equal_share():
    queries = default_queries()
    shares = calibrate.split_budget(queries, epsilon=2.0, delta=1e-6)
    assert [eps for eps, _ in shares.values()] == pytest.approx(
        [2.0 / len(queries)] * len(queries)
    )
    assert shares["race_histogram"][1] == 1e-6
    assert shares["mean_age"][1] == 0.0


@settings(max_examples=15, deadline=None)
@given(
    epsilon=st.floats(min_value=1e-3, max_value=50.0),
    delta=st.floats(min_value=1e-12, max_value=1e-3),
)
def test_composed_release_never_exceeds_the_total_budget(epsilon, delta):
    queries = default_queries()
    built = release.build_release(
        queries, _schema(queries), UNIT, epsilon=epsilon, delta=delta
    )
    assert 0 <= built.epsilon_spent <= epsilon
    assert 0 <= built.delta_spent <= delta
    released = [c for c in built.calibrations.values() if c.not_released is None]
    per_query = math.fsum(c.epsilon_spent for c in released)
    assert built.epsilon_spent == pytest.approx(per_query, rel=1e-9)


def test_mean_of_a_nullable_column_counts_its_non_missing_values_with_noise():
    query = Query("m", "mean", column="creatinine", bounds=(0.5, 15))
    result = _calibrated(query, 1.0)
    # sum bounds widen to (0, 15) for missing-as-0; sensitivity stays 3 * 15
    assert result.scales["sum"] == pytest.approx(3 * 15 / 0.5, rel=1e-3)
    assert result.scales["n"] == pytest.approx(3 / 0.5, rel=1e-6)


def test_default_release_needs_three_passes_over_the_data():
    # one select for the scalar queries, one per per-category count
    queries = default_queries()
    built = release.build_release(
        queries, _schema(queries), UNIT, epsilon=1, delta=1e-6
    )
    assert len(built.passes) == 3
    assert sorted(len(p.queries) for p in built.passes) == [1, 1, 8]
