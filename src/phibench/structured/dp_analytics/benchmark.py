"""The DP analytics benchmark: an epsilon sweep of repeated releases, scored.

For each total epsilon one release is built (calibrated once) and invoked
`trials` times. OpenDP draws its noise from the operating system's secure
generator, which cannot be seeded: trials are not replayable, by design. Every
other random choice (data generation, bootstrap intervals) is seeded from the
root seed recorded in params.json, and row selection is deterministic.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from phibench.errors import InputError
from phibench.metrics import errors
from phibench.spec import packaged_spec
from phibench.structured.dp_analytics import plans, release, truth
from phibench.structured.dp_analytics.queries import Query, default_queries

logger = logging.getLogger(__name__)

DEFAULT_EPSILONS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Settings:
    """Every setting that shapes a dp-analytics result (all recorded)."""

    epsilons: tuple[float, ...] = DEFAULT_EPSILONS
    trials: int = 20
    delta: float = 1e-6
    contribution_cap: int = 5
    max_rows: int = 10_000_000
    queries: tuple[Query, ...] = field(default_factory=default_queries)

    def __post_init__(self) -> None:
        validate_settings(self)

    @classmethod
    def from_spec(cls, overrides: dict[str, Any]) -> Settings:
        """The spec's defaults, with `overrides` (e.g. from the command line)."""
        defaults = dict(packaged_spec("dp-analytics").defaults)
        defaults.update(overrides)
        defaults["epsilons"] = tuple(float(e) for e in defaults["epsilons"])
        return cls(**defaults)

    def unit(self) -> plans.PrivacyUnit:
        return plans.PrivacyUnit(
            contribution_cap=self.contribution_cap, max_rows=self.max_rows
        )


def validate_settings(settings: Settings) -> None:
    if not settings.epsilons:
        raise InputError("epsilons: give at least one value, e.g. 0.1,1,10")
    for epsilon in settings.epsilons:
        if (
            not (isinstance(epsilon, int | float) and math.isfinite(epsilon))
            or epsilon <= 0
        ):
            raise InputError(
                f"epsilon={epsilon}: every epsilon must be a finite number > 0, "
                "e.g. --epsilons 0.1,0.5,1"
            )
    if not (math.isfinite(settings.delta) and 0 <= settings.delta < 1):
        raise InputError(f"delta={settings.delta}: must be a number in [0, 1)")
    if settings.trials < 1:
        raise InputError(f"trials={settings.trials}: must be an integer >= 1")
    names = [query.name for query in settings.queries]
    if len(set(names)) != len(names):
        raise InputError(f"query names must be unique, got {names}")


@dataclass
class Outcome:
    """What a dp-analytics run found: parameters, metrics and curve data."""

    params: dict[str, Any]
    metrics: dict[str, Any]


def run(
    cohort: pl.DataFrame,
    *,
    settings: Settings,
    bootstrap_rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Sweep epsilon, invoke each release `trials` times, and score it."""
    unit = settings.unit()
    frame = plans.prepare_private_frame(cohort, settings.queries, unit)
    if frame.height == 0:
        raise InputError("the cohort is empty: no admissions to release statistics of")

    start = time.perf_counter()
    true = truth.reference_values(frame, settings.queries, unit, bounded=False)
    bounded = truth.reference_values(frame, settings.queries, unit, bounded=True)
    reference_seconds = time.perf_counter() - start

    with private_scan(frame) as private:
        by_epsilon, calibration_record, timing = _sweep(
            settings, frame, private, true, bounded, bootstrap_rng, progress
        )

    n_releases = len(settings.epsilons) * settings.trials
    timing["reference_s_per_release"] = reference_seconds / 2
    timing["dp_s_per_release"] = timing["invoke_s"] / n_releases
    timing["dp_to_non_dp_time_ratio"] = timing["dp_s_per_release"] / max(
        timing["reference_s_per_release"], 1e-9
    )
    metrics = {
        "trials": settings.trials,
        "cohort": {
            "n_admissions": frame.height,
            "n_patients": frame[unit.identifier].n_unique(),
        },
        "privacy": calibration_record,
        "queries": _per_query(settings.queries, true, bounded, by_epsilon),
        "timing": timing,
    }
    params = {
        "privacy": {
            "epsilons_total": list(settings.epsilons),
            "delta_total": settings.delta,
            "budget_split": "even across queries; a mean splits its share evenly "
            "between its noisy sum and noisy count; quantile levels share evenly; "
            "delta goes evenly to the queries with undeclared categories",
            **unit.describe(),
        },
        "queries": {q.name: _assumptions(q) for q in settings.queries},
        "per_query_shares": {
            key: {name: r["epsilon_share"] for name, r in record["queries"].items()}
            for key, record in calibration_record.items()
        },
        "trials": settings.trials,
        "noise_source": "OpenDP secure generator (operating system); not seedable, "
        "trials are not replayable",
        "accuracy_interval_alpha": release.ACCURACY_ALPHA,
        "private_copy": "a temporary Parquet file under $TMPDIR (private folder), "
        "deleted when the run ends",
    }
    return Outcome(params=params, metrics=metrics)


def _assumptions(query: Query) -> dict[str, Any]:
    record = query.public_assumptions()
    if query.kind in {"sum", "mean"} and plans.is_nullable(query.column):
        record["sum_bounds"] = list(plans.sum_bounds(query))
        record["missing_values"] = "0 in the sum, not counted in the mean's count"
    return record


def _sweep(
    settings: Settings,
    frame: pl.DataFrame,
    private: pl.LazyFrame,
    true: dict[str, Any],
    bounded: dict[str, Any],
    rng: np.random.Generator,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Build each release once and invoke it `trials` times; score each epsilon."""
    unit = settings.unit()
    by_epsilon, calibration_record, timing = {}, {}, {"build_s": 0.0, "invoke_s": 0.0}
    for epsilon in settings.epsilons:
        start = time.perf_counter()
        built = release.build_release(
            settings.queries, frame.schema, unit, epsilon=epsilon, delta=settings.delta
        )
        timing["build_s"] += time.perf_counter() - start

        start = time.perf_counter()
        trials = []
        for _ in range(settings.trials):
            trials.append(built.invoke(private))
            if progress:
                progress(1)
        timing["invoke_s"] += time.perf_counter() - start

        key = _eps_key(epsilon)
        calibration_record[key] = _calibration_record(built)
        by_epsilon[key] = _score(settings.queries, built, trials, true, bounded, rng)

    return by_epsilon, calibration_record, timing


@contextmanager
def private_scan(frame: pl.DataFrame) -> Iterator[pl.LazyFrame]:
    """The private frame as a scan of a temporary Parquet file.

    OpenDP serialises an in-memory LazyFrame, data included, at every
    invocation (0.45 s per pass at 1,000,000 rows); a file scan passes only the
    path and lets Polars read the columns a pass needs. The file lives in a
    private temporary folder (mode 0700, under $TMPDIR) and is deleted at the
    end; point $TMPDIR inside your secured environment.
    """
    with tempfile.TemporaryDirectory(prefix="phibench-private-") as folder:
        path = Path(folder) / "cohort.parquet"
        frame.write_parquet(path)
        yield pl.scan_parquet(path)


def _eps_key(epsilon: float) -> str:
    return f"{epsilon:g}"


def _calibration_record(built: release.Release) -> dict[str, Any]:
    return {
        "epsilon_target": built.epsilon,
        "delta_target": built.delta,
        "epsilon_spent": built.epsilon_spent,
        "delta_spent": built.delta_spent,
        "n_passes": len(built.passes),
        "queries": {name: c.record() for name, c in built.calibrations.items()},
    }


def _score(
    queries: tuple[Query, ...],
    built: release.Release,
    trials: list[dict[str, Any]],
    true: dict[str, Any],
    bounded: dict[str, Any],
    rng: np.random.Generator,
) -> dict[str, Any]:
    scores = {}
    for query in queries:
        calibration = built.calibrations[query.name]
        if calibration.not_released is not None:
            scores[query.name] = {
                "released": False,
                "not_released_reason": calibration.not_released,
                "n_trials": len(trials),
                "n_released": 0,
            }
            continue
        values = [trial[query.name] for trial in trials]
        scores[query.name] = _score_query(query, values, true, bounded, built, rng)
    return scores


def _score_query(
    query: Query,
    values: list[Any],
    true: dict[str, Any],
    bounded: dict[str, Any],
    built: release.Release,
    rng: np.random.Generator,
) -> dict[str, Any]:
    t_value = truth.primary(query, true[query.name])
    b_value = truth.primary(query, bounded[query.name])
    primaries = [truth.primary(query, v) for v in values]

    if isinstance(t_value, dict):
        l1 = errors.l1_errors(primaries, t_value)
        summary = errors.error_summary(l1, 0.0, rng=rng)
        total = sum(t_value.values())  # 0 when the column is entirely missing
        for stat in ("median", "p95"):
            absolute = summary.get(f"abs_error_{stat}", math.nan)
            summary[f"rel_error_{stat}"] = absolute / total if total else math.nan
        summary["error_kind"] = "L1 over categories (unreleased = 0); rel = L1 / total"
        summary["n_categories_true"] = len(t_value)
        summary["n_categories_released_median"] = float(
            np.median([len(v) for v in primaries])
        )
    else:
        summary = errors.error_summary(np.asarray(primaries, float), t_value, rng=rng)
    summary["released"] = True
    summary["coverage_opendp_apriori_95"] = _coverage(query, primaries, b_value, built)
    return summary


def _coverage(
    query: Query, primaries: list[Any], bounded_value: Any, built: release.Release
) -> float | None:
    """Coverage of OpenDP's noise-only interval where OpenDP gives one."""
    if query.kind in {"mean", "quantile"}:
        return None
    one_pass = next(p for p in built.passes if query in p.queries)
    label = (
        "n"
        if one_pass.grouped
        else f"{query.name}__{next(iter(plans.components(query)))}"
    )
    half_width = one_pass.accuracy.get(label)
    if half_width is None:
        return None
    if isinstance(bounded_value, dict):
        pairs = [
            (value, bounded_value.get(key, 0.0))
            for trial in primaries
            for key, value in trial.items()
        ]
        if not pairs:
            return None
        released, centre = (np.asarray(x, float) for x in zip(*pairs, strict=True))
        return errors.coverage(released, centre, half_width)
    return errors.coverage(np.asarray(primaries, float), bounded_value, half_width)


def _per_query(
    queries: tuple[Query, ...],
    true: dict[str, Any],
    bounded: dict[str, Any],
    by_epsilon: dict[str, Any],
) -> dict[str, Any]:
    result = {}
    for query in queries:
        t_value = truth.primary(query, true[query.name])
        b_value = truth.primary(query, bounded[query.name])
        entry: dict[str, Any] = {
            "kind": query.kind,
            "true": t_value,
            "bounded": b_value,
        }
        if not isinstance(t_value, dict):
            entry["truncation_bias"] = b_value - t_value
            if t_value:
                entry["truncation_bias_relative"] = (b_value - t_value) / abs(t_value)
        else:
            keys = set(t_value) | set(b_value)
            entry["truncation_bias_l1"] = sum(
                abs(b_value.get(k, 0.0) - t_value.get(k, 0.0)) for k in keys
            )
        entry["by_epsilon"] = {
            key: scores[query.name] for key, scores in by_epsilon.items()
        }
        result[query.name] = entry
    return result
