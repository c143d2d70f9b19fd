"""Bad inputs to the dp-analytics benchmark: one clear error each."""

from __future__ import annotations

import numpy as np
import pytest

from phibench.data.cohort import empty_cohort
from phibench.errors import InputError
from phibench.structured.dp_analytics import benchmark
from tests.conftest import cohort_from


def _run(cohort, **settings):
    return benchmark.run(
        cohort,
        settings=benchmark.Settings.from_spec(
            {"trials": 1, "epsilons": [1], **settings}
        ),
        bootstrap_rng=np.random.default_rng(0),
    )


def test_empty_cohort_is_refused():
    with pytest.raises(InputError, match="the cohort is empty"):
        _run(empty_cohort())


def test_null_in_a_non_null_column_is_refused():
    cohort = cohort_from([{"patient_id": 1}, {"patient_id": 2, "age": None}])
    with pytest.raises(InputError, match="column 'age' has missing values"):
        _run(cohort)


def test_more_rows_than_the_public_bound_is_refused():
    cohort = cohort_from([{"patient_id": i} for i in range(5)])
    with pytest.raises(InputError, match="raise --max-rows"):
        _run(cohort, max_rows=4)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, float("nan"), float("inf")])
def test_epsilon_must_be_finite_and_positive(epsilon):
    with pytest.raises(InputError, match="finite number > 0"):
        benchmark.Settings.from_spec({"epsilons": [epsilon]})


def test_a_small_cohort_runs_and_spends_at_most_its_budget():
    cohort = cohort_from([{"patient_id": i % 7, "creatinine": 1.0} for i in range(30)])
    outcome = _run(cohort)
    assert outcome.metrics["cohort"] == {"n_admissions": 30, "n_patients": 7}
    assert outcome.metrics["privacy"]["1"]["epsilon_spent"] <= 1.0
    # the bounded count keeps at most 5 admissions of each of the 7 patients
    assert outcome.metrics["queries"]["n_admissions"]["bounded"] == 30.0
