"""The `phibench run dp-analytics` job: data in, a complete run folder out."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from phibench.data import datasets
from phibench.errors import InputError
from phibench.report.plots import privacy_utility_plot
from phibench.runner import provenance, rundir
from phibench.runner.seeds import SeedPlan
from phibench.spec import BenchmarkSpec, criteria, packaged_spec
from phibench.structured.dp_analytics import benchmark
from phibench.tracking import (
    TrackingError,
    check_tracking_uri,
    default_tracking_uri,
    log_run,
)

logger = logging.getLogger(__name__)

BENCHMARK_ID = "dp-analytics"
TRIAL_SEED_NOTE = (
    "recorded for completeness: DP noise comes from OpenDP's secure generator and "
    "cannot be seeded, and truncation is deterministic, so no per-trial choice uses "
    "them"
)


@dataclass(frozen=True)
class JobOptions:
    dataset_id: str = "embedded"
    data_dir: Path | None = None
    seed: int = 1
    n_admissions: int | None = None  # embedded cohort size; default 10,000
    out_dir: Path = Path("phibench-runs")
    tracking_uri: str | None = None
    settings: benchmark.Settings = field(default_factory=benchmark.Settings)


@dataclass
class JobResult:
    run_dir: Path
    criteria: list[dict[str, Any]]
    metrics: dict[str, Any]
    tracking_uri: str
    mlflow_run_id: str | None
    tracking_error: str | None = None

    @property
    def passed(self) -> bool:
        return all(c["outcome"] != "fail" for c in self.criteria)


def run_job(options: JobOptions) -> JobResult:
    """Load data, run the benchmark, judge it, write the run folder, track it."""
    spec = packaged_spec(BENCHMARK_ID)
    _validate(options)
    if options.tracking_uri is not None:
        check_tracking_uri(options.tracking_uri)
    seeds = SeedPlan.from_root(options.seed, n_trials=options.settings.trials)
    name = rundir.run_name(BENCHMARK_ID, options.dataset_id)

    with rundir.staged_run(options.out_dir, name) as (partial, final):
        record = _run_in(partial, options, spec, seeds, name)
    # MLflow records the published folder: a stop while it records leaves
    # the results whole, and the MLflow run KILLED
    return record(final)


def _validate(options: JobOptions) -> None:
    """Check what can be checked before any data is read or folder is made."""
    datasets.check_request(
        options.dataset_id,
        data_dir=options.data_dir,
        n_admissions=options.n_admissions,
    )
    if isinstance(options.seed, bool) or not isinstance(options.seed, int):
        raise InputError(f"--seed {options.seed!r}: must be an integer >= 0")
    if options.seed < 0:
        raise InputError(f"--seed {options.seed}: must be an integer >= 0, e.g. 1")
    options.settings.unit()  # validates the contribution cap and row bound


def _run_in(
    partial: Path,
    options: JobOptions,
    spec: BenchmarkSpec,
    seeds: SeedPlan,
    name: str,
) -> Callable[[Path], JobResult]:
    """Run, write the folder, and return how MLflow records it once published."""
    started = time.perf_counter()
    loaded = datasets.load(
        options.dataset_id,
        data_dir=options.data_dir,
        seed=seeds.data_seed,
        n_admissions=options.n_admissions,
    )
    logger.info(
        "dataset %s: %d admissions loaded", loaded.dataset_id, loaded.cohort.height
    )

    settings = _with_user_bounds(options.settings, loaded.bounds)
    total = len(settings.epsilons) * settings.trials
    with tqdm(
        total=total, desc="dp-analytics releases", unit="release", disable=None
    ) as bar:
        outcome = benchmark.run(
            loaded.cohort,
            settings=settings,
            bootstrap_rng=np.random.default_rng(seeds.bootstrap_seed),
            progress=bar.update,
        )

    metrics = outcome.metrics
    metrics["criteria"] = criteria.evaluate(spec, metrics)
    metrics["metric_definitions"] = [m.model_dump() for m in spec.metrics]
    metrics["timing"]["total_s"] = time.perf_counter() - started
    params = {
        "benchmark": BENCHMARK_ID,
        "dataset": {
            "id": loaded.dataset_id,
            "version": loaded.version,
            "source": loaded.source,
            "data_use": {
                "third_party_sharing": loaded.data_use.third_party_sharing,
                "restricted": loaded.data_use.restricted,
            },
        },
        **outcome.params,
        "seeds": seeds.record(trial_seed_note=TRIAL_SEED_NOTE),
        "library_versions": provenance.library_versions(),
        "platform": provenance.platform_record(),
    }

    rundir.write_json(partial / "params.json", params)
    rundir.write_json(partial / "metrics.json", metrics)
    privacy_utility_plot(
        metrics,
        partial / "privacy_utility.png",
        title=f"dp-analytics on {loaded.dataset_id}: error vs epsilon "
        f"(patient unit, cap {settings.contribution_cap}, {settings.trials} trials)",
    )

    return functools.partial(_track, options, name, loaded, params, metrics)


def _track(options, name, loaded, params, metrics, folder: Path) -> JobResult:
    tracking_uri = options.tracking_uri or default_tracking_uri(workdir=Path.cwd())
    result = JobResult(folder, metrics["criteria"], metrics, tracking_uri, None)
    try:
        result.mlflow_run_id = log_run(
            tracking_uri=tracking_uri,
            experiment=f"phibench-{BENCHMARK_ID}",
            run_name=name,
            params=params,
            metrics=mlflow_metrics(metrics),
            artifacts_dir=folder,
            tags={"dataset": loaded.dataset_id, "benchmark": BENCHMARK_ID},
            data_use=loaded.data_use,
            row_level_artifacts=(),  # every file of this run is an aggregate
        )
    except TrackingError as error:
        result.tracking_error = str(error)
    return result


def _with_user_bounds(
    settings: benchmark.Settings, bounds: dict[str, tuple[float, float]]
) -> benchmark.Settings:
    """Bounds declared in a user table's roles file replace the defaults."""
    queries = []
    for query in settings.queries:
        if query.column in bounds and query.bounds is not None:
            logger.info("bounds of %s from the roles file", query.name)
            query = dataclasses.replace(query, bounds=tuple(bounds[query.column]))
        queries.append(query)
    return dataclasses.replace(settings, queries=tuple(queries))


MLFLOW_SCORES = ("rel_error_median", "abs_error_median", "rmse", "bias")


def mlflow_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The headline numbers as flat MLflow metrics (aggregates only)."""
    flat: dict[str, float] = {}
    for eps, record in metrics["privacy"].items():
        flat[f"privacy.eps_{eps}.epsilon_spent"] = record["epsilon_spent"]
        flat[f"privacy.eps_{eps}.delta_spent"] = record["delta_spent"]
    for name, entry in metrics["queries"].items():
        for eps, scores in entry["by_epsilon"].items():
            for key in MLFLOW_SCORES:
                if isinstance(scores.get(key), float):
                    flat[f"{name}.eps_{eps}.{key}"] = scores[key]
            flat[f"{name}.eps_{eps}.released"] = float(scores["released"])
    for criterion in metrics["criteria"]:
        if criterion["outcome"] != "not_applicable":
            flat[f"criterion.{criterion['id']}"] = float(criterion["outcome"] == "pass")
    return flat
