"""Reference values: the true statistic and the bounded one the DP plan sees."""

from __future__ import annotations

import datetime as dt

import pytest

from phibench.structured.dp_analytics.plans import PrivacyUnit, prepare_private_frame
from phibench.structured.dp_analytics.queries import Query
from phibench.structured.dp_analytics.truth import primary, reference_values
from tests.conftest import cohort_from

# Patient 1 has three admissions (ages 50, 60, 70 in time order), patient 2 one.
ROWS = [
    {"patient_id": 1, "age": 70.0, "admission_id": 3},
    {"patient_id": 1, "age": 50.0, "admission_id": 1},
    {"patient_id": 1, "age": 60.0, "admission_id": 2},
    {"patient_id": 2, "age": 30.0, "admission_id": 4},
]
QUERIES = (
    Query("n", "count"),
    Query("mean", "mean", column="age", bounds=(18, 55)),
    Query("iqr", "quantile", column="age", bounds=(18, 91), levels=(0.25, 0.75)),
)


def _frame():
    rows = [dict(row) for row in ROWS]
    for row in rows:  # admission time follows the admission id
        row["admit_time"] = dt.datetime(2020, 1, row["admission_id"])
    unit = PrivacyUnit(contribution_cap=2)
    return prepare_private_frame(cohort_from(rows), QUERIES, unit), unit


def test_true_values_use_every_admission_unclamped():
    frame, unit = _frame()
    true = reference_values(frame, QUERIES, unit, bounded=False)
    assert true["n"] == 4
    assert true["mean"] == pytest.approx((70 + 50 + 60 + 30) / 4)


def test_bounded_values_keep_the_first_admissions_and_clamp():
    frame, unit = _frame()
    bounded = reference_values(frame, QUERIES, unit, bounded=True)
    assert bounded["n"] == 3  # the third admission of patient 1 is dropped
    assert bounded["mean"] == pytest.approx((50 + 55 + 30) / 3)  # 60 -> 55


def test_primary_value_of_a_quartile_pair_is_the_iqr():
    assert primary(QUERIES[2], {0.25: 40.0, 0.75: 65.0}) == 25.0
