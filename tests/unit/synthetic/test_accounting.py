"""zCDP to (epsilon, delta): the closed form and its inverse, exactly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phibench.errors import InputError
from phibench.synthetic.accounting import epsilon_from_rho, rho_from_epsilon


def test_conversion_matches_bun_and_steinke_proposition_1_3():
    assert epsilon_from_rho(0.5, delta=1e-6) == 0.5 + 2 * math.sqrt(0.5 * math.log(1e6))
    assert epsilon_from_rho(0.0, delta=1e-6) == 0.0


@given(
    epsilon=st.floats(min_value=1e-3, max_value=100),
    delta=st.floats(min_value=1e-12, max_value=0.5),
)
def test_rho_for_an_epsilon_converts_back_to_that_epsilon_never_more(epsilon, delta):
    rho = rho_from_epsilon(epsilon, delta=delta)
    assert epsilon_from_rho(rho, delta=delta) == pytest.approx(epsilon, rel=1e-9)
    assert epsilon_from_rho(rho, delta=delta) <= epsilon


@pytest.mark.parametrize("epsilon", [0.0, -1.0, math.inf, math.nan])
def test_epsilon_must_be_finite_and_positive(epsilon):
    with pytest.raises(InputError, match="finite number > 0"):
        rho_from_epsilon(epsilon, delta=1e-6)


def test_delta_must_be_inside_zero_one():
    with pytest.raises(InputError, match="delta=0"):
        rho_from_epsilon(1.0, delta=0.0)
