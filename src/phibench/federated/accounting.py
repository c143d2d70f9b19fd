"""Privacy accounting of DP-FedAvg for a whole training run, with Flower's accountant.

Unit of privacy: one site's model update in each round (client-level DP,
McMahan et al. 2018, "Learning Differentially Private Recurrent Language
Models"): neighbouring federations differ by adding or removing one site. This
protects a hospital's participation as a whole, not a single patient inside it
(no patient-level DP-SGD runs inside the sites); a patient is covered only in
the weak sense that their hospital's whole update is.

Every site is asked every round (no sampling), so there is no amplification:
each round is one Gaussian mechanism with noise multiplier `z` and the run
composes `rounds` of them. Flower 1.42's `RdpAccountant` (backed by Google's
dp-accounting) converts the Renyi-DP curve to (epsilon, delta).
"""

from __future__ import annotations

import math

from phibench.errors import InputError

#: Largest noise multiplier searched; at z = 1000 a 200-round run stays far
#: below any epsilon worth asking for.
MAX_NOISE_MULTIPLIER = 1000.0


def _accountant(*, n_sites: int, delta: float):
    from flwr.serverapp import PrivacyConfig, RdpAccountant
    from flwr.supercore.privacy_accounting import (
        NeighboringRelation,
        SamplingMethod,
    )

    config = PrivacyConfig(
        target_delta=delta,
        population_size=n_sites,
        neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
        sampling_method=SamplingMethod.NO_AMPLIFICATION,
    )
    return RdpAccountant(config)


def new_accountant(*, n_sites: int, delta: float):
    """A fresh Flower RdpAccountant for one run over `n_sites` sites."""
    return _accountant(n_sites=n_sites, delta=delta)


def epsilon_of_run(
    *, noise_multiplier: float, rounds: int, n_sites: int, delta: float
) -> float:
    """Epsilon at `delta` after `rounds` releases, from Flower's accountant."""
    from flwr.supercore.privacy_accounting import GaussianPrivacyEvent

    accountant = _accountant(n_sites=n_sites, delta=delta)
    event = GaussianPrivacyEvent(
        noise_multiplier=noise_multiplier,
        sample_size=n_sites,
        population_size=n_sites,
    )
    accountant.compose(event, count=rounds)
    return accountant.get_privacy_spent().epsilon


def calibrate_noise_multiplier(
    *, epsilon: float, rounds: int, n_sites: int, delta: float
) -> float:
    """Smallest noise multiplier (to 0.1%) whose whole-run epsilon is <= `epsilon`.

    Bisection on the accountant's epsilon, which decreases in the multiplier.
    The answer is the upper end of the final bracket, so the reported epsilon
    never exceeds the target.
    """
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise InputError(f"--epsilons: {epsilon} is not a finite number > 0")

    def spent(z: float) -> float:
        return epsilon_of_run(
            noise_multiplier=z, rounds=rounds, n_sites=n_sites, delta=delta
        )

    low, high = 0.0, 1.0
    while spent(high) > epsilon:
        low, high = high, high * 2
        if high > MAX_NOISE_MULTIPLIER:
            raise InputError(
                f"--epsilons {epsilon:g}: needs a noise multiplier above "
                f"{MAX_NOISE_MULTIPLIER:g} for {rounds} rounds; give a larger epsilon"
            )
    while high - low > 1e-3 * high:
        middle = (low + high) / 2
        if spent(middle) > epsilon:
            low = middle
        else:
            high = middle
    return high
