"""Privacy accounting of the DP generators: zCDP to (epsilon, delta) and back.

Pure functions, no I/O. A rho-zCDP mechanism is (rho + 2 sqrt(rho ln(1/delta)),
delta)-DP for every delta > 0 (Bun & Steinke 2016, "Concentrated differential
privacy: simplifications, extensions, and lower bounds", Proposition 1.3).
"""

from __future__ import annotations

import math

from phibench.errors import InputError


def epsilon_from_rho(rho: float, *, delta: float) -> float:
    """The epsilon a rho-zCDP release satisfies at `delta` (Prop. 1.3)."""
    _check_delta(delta)
    if rho < 0:
        raise InputError(f"rho={rho}: must be >= 0")
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


def rho_from_epsilon(epsilon: float, *, delta: float) -> float:
    """The largest rho whose Prop. 1.3 conversion is `epsilon` at `delta`.

    Solving rho + 2 sqrt(rho L) = epsilon for sqrt(rho), with L = ln(1/delta),
    gives sqrt(rho) = sqrt(L + epsilon) - sqrt(L), computed in the form
    epsilon / (sqrt(L + epsilon) + sqrt(L)) that does not cancel; rho is then
    lowered by rounding steps until its conversion does not exceed epsilon.
    """
    _check_delta(delta)
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise InputError(
            f"epsilon={epsilon}: every epsilon must be a finite number > 0, "
            "e.g. --epsilons 1,10"
        )
    log_term = math.log(1.0 / delta)
    rho = (epsilon / (math.sqrt(log_term + epsilon) + math.sqrt(log_term))) ** 2
    while epsilon_from_rho(rho, delta=delta) > epsilon:
        rho = math.nextafter(rho, 0.0)
    return rho


def _check_delta(delta: float) -> None:
    if not (math.isfinite(delta) and 0 < delta < 1):
        raise InputError(f"delta={delta}: must be a number in (0, 1), e.g. 1e-6")
