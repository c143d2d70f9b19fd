"""The `phibench run synthetic` job: data in, a complete run folder out."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from phibench.data import datasets
from phibench.errors import InputError
from phibench.runner import provenance, rundir
from phibench.runner.dp_analytics_job import JobResult
from phibench.spec import criteria, packaged_spec
from phibench.tracking import (
    TrackingError,
    check_tracking_uri,
    default_tracking_uri,
    log_run,
)

logger = logging.getLogger(__name__)

BENCHMARK_ID = "synthetic"
EMBEDDED_ADMISSIONS = 2_000  # default embedded cohort size for this benchmark
SYNTHETIC_LIBRARIES = ("sdv", "sdmetrics", "anonymeter", "scikit-learn", "mbi", "torch")


@dataclass(frozen=True)
class JobOptions:
    dataset_id: str = "embedded"
    data_dir: Path | None = None
    seed: int = 1
    n_admissions: int | None = None
    out_dir: Path = Path("phibench-runs")
    tracking_uri: str | None = None
    settings: Any = field(default=None)


def run_job(options: JobOptions) -> JobResult:
    """Load data, run the benchmark, judge it, write the run folder, track it."""
    from phibench.synthetic.benchmark import Settings

    settings = options.settings or Settings()
    _require_extra()
    spec = packaged_spec(BENCHMARK_ID)
    datasets.check_request(
        options.dataset_id, data_dir=options.data_dir, n_admissions=options.n_admissions
    )
    if (
        isinstance(options.seed, bool)
        or not isinstance(options.seed, int)
        or options.seed < 0
    ):
        raise InputError(f"--seed {options.seed}: must be an integer >= 0, e.g. 1")
    if options.tracking_uri is not None:
        check_tracking_uri(options.tracking_uri)
    name = rundir.run_name(BENCHMARK_ID, options.dataset_id)
    with rundir.staged_run(options.out_dir, name) as (partial, final):
        record = _run_in(partial, options, settings, spec, name)
    # MLflow records the published folder: a stop while it records leaves
    # the results whole, and the MLflow run KILLED
    return record(final)


def _require_extra() -> None:
    """Stop with one line, before any data is read, if the extra is missing."""
    from importlib.util import find_spec

    missing = [m for m in ("sdv", "sklearn", "anonymeter", "mbi") if not find_spec(m)]
    if missing:
        raise InputError(
            f"phibench run synthetic needs the 'synthetic' extra ({', '.join(missing)} "
            "missing): run `uv sync --extra synthetic`"
        )


def seed_plan(root: int, repeats: int) -> dict[str, Any]:
    import numpy as np

    data, repeat = np.random.SeedSequence(root).spawn(2)
    return {
        "root_seed": root,
        "derivation": "numpy.random.SeedSequence(root).spawn: data, repeats; each "
        "repeat spawns split, one child per generator x epsilon (fit, sample, "
        "evaluation) and the shared baseline rows",
        "data_seed": int(data.generate_state(1)[0]),
        "repeat_seeds": [int(s.generate_state(1)[0]) for s in repeat.spawn(repeats)],
        "not_seeded": "OpenDP's DP noise (secure generator); Anonymeter 1.1.0's "
        "linkability baseline (its own unseeded generator)",
    }


def _run_in(
    partial: Path, options: JobOptions, settings: Any, spec: Any, name: str
) -> Callable[[Path], JobResult]:
    """Run, write the folder, and return how MLflow records it once published."""
    from phibench.synthetic import benchmark, report
    from phibench.synthetic.table import modelling_table

    started = time.perf_counter()
    seeds = seed_plan(options.seed, settings.repeats)
    size = options.n_admissions
    if options.dataset_id == "embedded" and size is None:
        size = EMBEDDED_ADMISSIONS
    loaded = datasets.load(
        options.dataset_id,
        data_dir=options.data_dir,
        seed=seeds["data_seed"],
        n_admissions=size,
    )
    table = modelling_table(loaded.cohort, contribution_cap=settings.contribution_cap)
    total = len(benchmark.configurations(settings)) * settings.repeats
    with tqdm(total=total, desc="synthetic fits", unit="fit", disable=None) as bar:
        outcome = benchmark.run(
            table,
            settings=settings,
            repeat_seeds=seeds["repeat_seeds"],
            progress=bar.update,
        )
    metrics = report.metrics_record(outcome, table, settings)
    metrics["criteria"] = criteria.evaluate(spec, report.criteria_view(metrics))
    metrics["metric_definitions"] = [m.model_dump() for m in spec.metrics]
    metrics["timing"] = {"total_s": time.perf_counter() - started}
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
        **report.params_record(settings, outcome),
        "seeds": seeds,
        "library_versions": provenance.library_versions()
        | report.versions(SYNTHETIC_LIBRARIES),
        "platform": provenance.platform_record(),
    }
    rundir.write_json(partial / "params.json", params)
    rundir.write_json(partial / "metrics.json", metrics)
    report.write_tables(metrics, partial)
    report.privacy_utility_plot(
        metrics,
        partial / "privacy_utility.png",
        title=f"synthetic on {loaded.dataset_id}: TSTR AUROC vs epsilon "
        f"(patient unit, {settings.repeats} repeats)",
    )
    return functools.partial(_track, options, loaded, params, metrics, name)


def _track(
    options: JobOptions,
    loaded: Any,
    params: dict,
    metrics: dict,
    name: str,
    folder: Path,
) -> JobResult:
    from phibench.synthetic import report

    tracking_uri = options.tracking_uri or default_tracking_uri(workdir=Path.cwd())
    result = JobResult(folder, metrics["criteria"], metrics, tracking_uri, None)
    try:
        result.mlflow_run_id = log_run(
            tracking_uri=tracking_uri,
            experiment=f"phibench-{BENCHMARK_ID}",
            run_name=name,
            params=params,
            metrics=report.mlflow_metrics(metrics),
            artifacts_dir=folder,
            tags={"dataset": loaded.dataset_id, "benchmark": BENCHMARK_ID},
            data_use=loaded.data_use,
            row_level_artifacts=(),  # synthetic rows are never written to the run
        )
    except TrackingError as error:
        result.tracking_error = str(error)
    return result
