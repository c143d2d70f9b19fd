"""DP-FedAvg: Flower's accountant against closed forms, and its noise by statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from flwr.app import Array, ArrayRecord
from flwr.serverapp.strategy import (
    DifferentialPrivacyServerSideFixedClipping,
    FedAvg,
)
from scipy import optimize, stats

from phibench.errors import InputError
from phibench.federated.accounting import (
    calibrate_noise_multiplier,
    epsilon_of_run,
)
from tests.unit.federated.messages import reply


def exact_gaussian_epsilon(mu: float, delta: float) -> float:
    """Tight epsilon of a Gaussian mechanism with sensitivity/sigma = mu
    (Balle & Wang 2018, Theorem 8), the lower bound any accountant must respect."""

    def gap(eps: float) -> float:
        return (
            stats.norm.cdf(-eps / mu + mu / 2)
            - math.exp(eps) * stats.norm.cdf(-eps / mu - mu / 2)
            - delta
        )

    return optimize.brentq(gap, 1e-9, 500)


def zcdp_epsilon(rho: float, delta: float) -> float:
    """Upper bound from rho-zCDP (Bun & Steinke 2016, Proposition 1.3)."""
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


@pytest.mark.parametrize(
    ("z", "rounds"), [(1.0, 1), (1.0, 20), (2.5, 50), (0.7, 5), (10.0, 200)]
)
def test_accountant_epsilon_lies_between_exact_and_zcdp_bounds(z, rounds):
    delta = 1e-5
    eps = epsilon_of_run(noise_multiplier=z, rounds=rounds, n_sites=5, delta=delta)
    # T Gaussian releases of sensitivity 1 and scale z compose exactly into one
    # with mu = sqrt(T) / z; their zCDP is rho = T / (2 z^2).
    exact = exact_gaussian_epsilon(math.sqrt(rounds) / z, delta)
    assert exact <= eps <= zcdp_epsilon(rounds / (2 * z * z), delta)
    # RDP accounting is near tight for the Gaussian: within 30% of the exact value.
    assert eps <= 1.3 * exact


def test_epsilon_does_not_depend_on_the_number_of_sites_without_sampling():
    a = epsilon_of_run(noise_multiplier=1.2, rounds=10, n_sites=3, delta=1e-5)
    b = epsilon_of_run(noise_multiplier=1.2, rounds=10, n_sites=30, delta=1e-5)
    assert a == b


@pytest.mark.parametrize(("epsilon", "rounds"), [(1.0, 20), (8.0, 3), (0.5, 100)])
def test_calibrated_noise_never_overshoots_and_is_tight(epsilon, rounds):
    z = calibrate_noise_multiplier(
        epsilon=epsilon, rounds=rounds, n_sites=4, delta=1e-5
    )
    spent = epsilon_of_run(noise_multiplier=z, rounds=rounds, n_sites=4, delta=1e-5)
    assert spent <= epsilon
    less = epsilon_of_run(
        noise_multiplier=0.995 * z, rounds=rounds, n_sites=4, delta=1e-5
    )
    assert less > epsilon


def test_calibration_refuses_an_unreachable_epsilon():
    with pytest.raises(InputError, match="needs a noise multiplier above 1000"):
        calibrate_noise_multiplier(epsilon=1e-6, rounds=100, n_sites=3, delta=1e-5)


def test_server_side_noise_has_the_calibrated_standard_deviation():
    # Flower adds N(0, (z C / n)^2) to every coordinate of the average of the
    # clipped updates. Every site sends the same small update (norm < C, so not
    # clipped): the aggregate minus (model + update) is pure noise. Draws: 200
    # rounds x 50
    # coordinates; the sample sd of 10,000 normals is within 5% of the truth
    # with probability > 1 - 1e-6, and a factor-2 mistake (e.g. no division by
    # n) would be off by 100%.
    z, clip, n = 1.5, 0.5, 3
    expected = z * clip / n
    strategy = DifferentialPrivacyServerSideFixedClipping(
        FedAvg(min_train_nodes=n, weighted_by_key="unit-weight"),
        noise_multiplier=z,
        clipping_norm=clip,
        num_sampled_clients=n,
    )
    model = np.linspace(-1, 1, 50)
    update = np.full(50, 0.01)  # norm 0.07 < C
    draws = []
    for server_round in range(1, 201):
        strategy.current_arrays = ArrayRecord({"w": Array(model.copy())})
        replies = [
            reply({"unit-weight": 1.0, "num-examples": 10}, {"w": model + update})
            for _ in range(n)
        ]
        arrays, _ = strategy.aggregate_train(server_round, replies)
        draws.append(arrays["w"].numpy() - (model + update))
    sd = float(np.std(np.concatenate(draws), ddof=1))
    assert abs(sd - expected) / expected < 0.05
    assert abs(float(np.mean(np.concatenate(draws)))) < 5 * expected / math.sqrt(10_000)


def test_server_side_clipping_bounds_each_update():
    strategy = DifferentialPrivacyServerSideFixedClipping(
        FedAvg(min_train_nodes=1, weighted_by_key="unit-weight"),
        noise_multiplier=1e-12,
        clipping_norm=1.0,
        num_sampled_clients=1,
    )
    strategy.current_arrays = ArrayRecord({"w": Array(np.zeros(2))})
    replies = [reply({"unit-weight": 1.0}, {"w": np.array([30.0, 40.0])})]
    arrays, _ = strategy.aggregate_train(1, replies)
    # the update (30, 40) has norm 50, clipped to norm 1: (0.6, 0.8)
    np.testing.assert_allclose(arrays["w"].numpy(), [0.6, 0.8], atol=1e-9)


@pytest.mark.xfail(
    strict=True,
    raises=ZeroDivisionError,
    reason="Flower 1.42 bug: fixed clipping divides the clipping norm by the update's "
    "norm, so a site whose update is exactly zero (it sent the model back "
    "unchanged) crashes the round; it should pass the zero update through. "
    "phibench avoids it by giving every site training rows under DP.",
)
def test_flower_clipping_of_a_zero_update_passes_it_through():
    strategy = DifferentialPrivacyServerSideFixedClipping(
        FedAvg(min_train_nodes=1, weighted_by_key="unit-weight"),
        noise_multiplier=1.0,
        clipping_norm=1.0,
        num_sampled_clients=1,
    )
    strategy.current_arrays = ArrayRecord({"w": Array(np.ones(2))})
    replies = [reply({"unit-weight": 1.0}, {"w": np.ones(2)})]
    arrays, _ = strategy.aggregate_train(1, replies)
    assert np.isfinite(arrays["w"].numpy()).all()
