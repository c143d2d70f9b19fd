"""Sampled noise, tested statistically over many draws.

OpenDP's noise cannot be seeded, so each tolerance is derived from theory: a
correct implementation passes essentially always and a noise scale off by a
factor of 2 fails. For Laplace noise with scale b, |X| has mean b and standard
deviation b, so the mean of |X| over n draws is b within 5 b / sqrt(n) at a
level of about 1 - 6e-7 (normal approximation).
"""

from __future__ import annotations

import numpy as np
import pytest

from phibench.structured.dp_analytics import release
from phibench.structured.dp_analytics.plans import PrivacyUnit, prepare_private_frame
from phibench.structured.dp_analytics.queries import Query
from tests.conftest import cohort_from

N_DRAWS = 400


def _draws(query: Query, rows, *, epsilon: float, unit: PrivacyUnit, n: int):
    frame = prepare_private_frame(cohort_from(rows), (query,), unit)
    built = release.build_release(
        (query,), frame.schema, unit, epsilon=epsilon, delta=1e-6
    )
    values = [built.invoke(frame.lazy())[query.name] for _ in range(n)]
    return built, values


def test_count_noise_has_the_calibrated_laplace_scale():
    rows = [{"patient_id": i} for i in range(200)]
    unit = PrivacyUnit(contribution_cap=2, max_rows=1000)
    built, values = _draws(
        Query("n", "count"), rows, epsilon=0.05, unit=unit, n=N_DRAWS
    )
    scale = built.calibrations["n"].scales["n"]  # 2 / 0.05 = 40
    noise = np.asarray(values) - 200

    tolerance = 5 * scale / np.sqrt(N_DRAWS)
    assert np.mean(np.abs(noise)) == pytest.approx(scale, abs=tolerance)
    # signed counts are unbiased: the mean noise is 0 within 5 standard errors
    assert abs(np.mean(noise)) <= 5 * np.sqrt(2) * scale / np.sqrt(N_DRAWS)


def test_counts_of_a_column_with_a_nan_are_noisy_and_charged():
    # Public case: a float column where one value is NaN and the rest 1.0. The
    # NaN becomes a missing value; the mean runs on non-missing rows and its
    # count of those rows is released only with noise that charges epsilon.
    rows = [{"patient_id": i, "creatinine": 1.0} for i in range(99)]
    rows.append({"patient_id": 99, "creatinine": float("nan")})
    query = Query("m", "mean", column="creatinine", bounds=(0.0, 2.0))
    unit = PrivacyUnit(contribution_cap=1, max_rows=1000)
    built, values = _draws(query, rows, epsilon=1.0, unit=unit, n=50)

    calibration = built.calibrations["m"]
    assert calibration.scales["n"] > 0 and calibration.epsilon_spent > 0
    frame = prepare_private_frame(cohort_from(rows), (query,), unit)
    assert frame["creatinine"].null_count() == 1  # NaN became a missing value
    assert all(0.0 <= value <= 2.0 for value in values)


def test_median_of_a_constant_column_stays_in_bounds_and_concentrates():
    # Public case: median of [70, 70, 70, 70, 70] with bounds (0, 120).
    rows = [{"patient_id": i, "age": 70.0} for i in range(5)]
    query = Query("med", "quantile", column="age", bounds=(0, 120), levels=(0.5,))
    unit = PrivacyUnit(contribution_cap=1, max_rows=100)

    _, noisy = _draws(query, rows, epsilon=0.1, unit=unit, n=50)
    assert all(0 <= value <= 120 for value in noisy)

    # At epsilon 200 the exponential mechanism puts all but ~120 * e^-50 of
    # its mass on the one candidate with the best score, 70.
    _, sharp = _draws(query, rows, epsilon=200.0, unit=unit, n=20)
    assert sum(abs(value - 70) <= 1 for value in sharp) >= 19
