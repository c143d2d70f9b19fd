"""Error metrics of noisy releases against a reference value, with intervals.

All functions are pure: arrays in, numbers out. What each metric means (its
direction, range and unit) is declared in the benchmark's specification.
Trials whose release was not made are NaN and are left out of the error
statistics; their number is reported separately (`n_released`).
"""

from __future__ import annotations

import numpy as np

#: Bootstrap resamples for the interval of a median or 95th percentile.
N_BOOTSTRAP = 1000


def error_summary(
    released: np.ndarray, truth: float, *, rng: np.random.Generator
) -> dict[str, float | list[float] | int]:
    """Errors of scalar releases (NaN = not released) against `truth`."""
    released = np.asarray(released, dtype=float)
    made = released[~np.isnan(released)]
    summary: dict[str, float | list[float] | int] = {
        "n_trials": int(released.size),
        "n_released": int(made.size),
    }
    if made.size == 0:
        return summary

    signed = made - truth
    absolute = np.abs(signed)
    summary |= _quantile_stats("abs_error", absolute, rng)
    if truth != 0:
        summary |= _quantile_stats("rel_error", absolute / abs(truth), rng)
    summary["rmse"] = float(np.sqrt(np.mean(signed**2)))
    summary["bias"] = float(np.mean(signed))
    return summary


def _quantile_stats(name: str, values: np.ndarray, rng) -> dict[str, object]:
    return {
        f"{name}_median": float(np.median(values)),
        f"{name}_median_ci95": bootstrap_ci(values, 50.0, rng),
        f"{name}_p95": float(np.percentile(values, 95)),
        f"{name}_p95_ci95": bootstrap_ci(values, 95.0, rng),
    }


def bootstrap_ci(
    values: np.ndarray, percentile: float, rng: np.random.Generator
) -> list[float]:
    """Percentile-bootstrap 95% interval of a percentile of `values`."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return [float("nan"), float("nan")]
    draws = rng.choice(values, size=(N_BOOTSTRAP, values.size), replace=True)
    stats = np.percentile(draws, percentile, axis=1)
    low, high = np.percentile(stats, [2.5, 97.5])
    return [float(low), float(high)]


def l1_errors(
    released: list[dict[str, float] | None], truth: dict[str, float]
) -> np.ndarray:
    """Per-trial L1 distance between released and true category counts.

    A category that is true but not released counts as released 0; a released
    category that does not exist counts with its whole noisy value.
    """
    errors = []
    for values in released:
        if values is None:
            errors.append(np.nan)
            continue
        keys = set(truth) | set(values)
        errors.append(sum(abs(values.get(k, 0.0) - truth.get(k, 0.0)) for k in keys))
    return np.asarray(errors, dtype=float)


def coverage(
    released: np.ndarray, center: np.ndarray | float, half_width: float
) -> float:
    """Share of made releases within `center` ± `half_width` (NaN if none)."""
    released = np.asarray(released, dtype=float)
    center = np.broadcast_to(np.asarray(center, dtype=float), released.shape)
    made = ~np.isnan(released)
    if not made.any():
        return float("nan")
    inside = np.abs(released[made] - center[made]) <= half_width
    return float(np.mean(inside))
