"""The `phibench run federated` job: data in, a complete run folder out."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from phibench.data import datasets
from phibench.errors import InputError
from phibench.federated.settings import DP_STRATEGIES, Settings
from phibench.runner import provenance, rundir
from phibench.runner.dp_analytics_job import JobResult
from phibench.spec import packaged_spec
from phibench.tracking import (
    TrackingError,
    check_tracking_uri,
    default_tracking_uri,
    log_run,
)

logger = logging.getLogger(__name__)

BENCHMARK_ID = "federated"
SEED_NOTE = (
    "repeat seeds set the initial weights and each site's batch order; DP noise "
    "comes from Flower's unseeded numpy global generator, so DP runs cannot be "
    "replayed exactly"
)


@dataclass(frozen=True)
class LabelSkew:
    """Optional synthetic sites with Dirichlet (Beta) label skew."""

    n_sites: int
    site_size: int
    alpha: float


@dataclass(frozen=True)
class JobOptions:
    dataset_id: str = "embedded"
    data_dir: Path | None = None
    seed: int = 1
    n_admissions: int | None = None
    out_dir: Path = Path("phibench-runs")
    tracking_uri: str | None = None
    settings: Settings = field(default_factory=Settings)
    cross_site_dataset: str | None = None
    cross_site_data_dir: Path | None = None
    label_skew: LabelSkew | None = None


def run_job(options: JobOptions) -> JobResult:
    """Validate, load, train and score, write the run folder, track it."""
    _validate(options)
    if options.tracking_uri is not None:
        check_tracking_uri(options.tracking_uri)
    name = rundir.run_name(BENCHMARK_ID, options.dataset_id)
    # Flower's INFO records (noise applied, rounds) belong in run.log too
    loggers = ("phibench", "flwr")
    with rundir.staged_run(options.out_dir, name, loggers=loggers) as (partial, final):
        record = _run_in(partial, options, name)
    # MLflow records the published folder: a stop while it records leaves
    # the results whole, and the MLflow run KILLED
    return record(final)


def _validate(options: JobOptions) -> None:
    from phibench.federated.env import require_extra

    datasets.check_request(
        options.dataset_id, data_dir=options.data_dir, n_admissions=options.n_admissions
    )
    if options.cross_site_dataset is not None:
        with _cross_site_flags():
            datasets.check_request(
                options.cross_site_dataset,
                data_dir=options.cross_site_data_dir,
                n_admissions=None,
            )
    elif options.cross_site_data_dir is not None:
        raise InputError("--cross-site-data-dir needs --cross-site-dataset ID")
    if isinstance(options.seed, bool) or not isinstance(options.seed, int):
        raise InputError(f"--seed {options.seed!r}: must be an integer >= 0")
    if options.seed < 0:
        raise InputError(f"--seed {options.seed}: must be an integer >= 0, e.g. 1")
    options.settings.validate()
    require_extra()


def _run_in(
    partial: Path, options: JobOptions, name: str
) -> Callable[[Path], JobResult]:
    """Run, write the folder, and return how MLflow records it once published."""
    from phibench.federated import benchmark, criteria
    from phibench.federated.plots import auroc_per_round_plot, per_site_plot

    started = time.perf_counter()
    spec = packaged_spec(BENCHMARK_ID)
    loaded, cohort, grouping, seeds = _load_sites(options)
    cross = _cross_site_cohort(options, seeds["data"])
    metrics = benchmark.run(
        cohort,
        settings=options.settings,
        repeat_seeds=seeds["repeats"],
        cross_site=cross,
    )
    metrics["cohort"] = _cohort_counts(cohort)
    metrics["criteria"] = criteria.evaluate(spec, metrics)
    metrics["metric_definitions"] = [m.model_dump() for m in spec.metrics]
    metrics["timing"] = {"total_s": time.perf_counter() - started}
    params = _params(options, loaded, cohort, grouping, seeds)

    rundir.write_json(partial / "params.json", params)
    rundir.write_json(partial / "metrics.json", metrics)
    from phibench.federated.report import results_table

    (partial / "results.md").write_text(results_table(metrics) + "\n", encoding="utf-8")
    title = (
        f"federated on {loaded.dataset_id}: {options.settings.model}, "
        f"{options.settings.rounds} rounds, {options.settings.repeats} repeats"
    )
    auroc_per_round_plot(metrics, partial / "auroc_per_round.png", title=title)
    per_site_plot(metrics, partial / "per_site_auroc.png", title=title)
    return functools.partial(_track, options, name, loaded, params, metrics)


def _load_sites(options: JobOptions):
    """The cohort with federation sites and splits, and the seeds used."""
    import numpy as np

    from phibench.federated import sites

    data_seq, split_seq, repeat_seq = np.random.SeedSequence(options.seed).spawn(3)
    seeds = {
        "root": options.seed,
        "data": int(data_seq.generate_state(1)[0]),
        "split": int(split_seq.generate_state(1)[0]),
        "repeats": [
            int(child.generate_state(1)[0]) % 2**31
            for child in repeat_seq.spawn(options.settings.repeats)
        ],
    }
    loaded = datasets.load(
        options.dataset_id,
        data_dir=options.data_dir,
        seed=seeds["data"],
        n_admissions=options.n_admissions,
    )
    cohort = sites.require_sites(loaded.cohort, dataset_id=loaded.dataset_id)
    if options.label_skew is not None:
        skew = options.label_skew
        cohort = sites.dirichlet_label_skew(
            cohort,
            n_sites=skew.n_sites,
            site_size=skew.site_size,
            alpha=skew.alpha,
            seed=seeds["split"],
        )
    grouping = sites.group_sites(cohort, min_site_size=options.settings.min_site_size)
    cohort = sites.split_by_site(
        sites.apply_grouping(cohort, grouping), seed=seeds["split"]
    )
    sites.require_test_patients(
        cohort,
        remedy=f"give --skew a SITE_SIZE above {options.label_skew.site_size}"
        if options.label_skew
        else f"raise --min-site-size (now {options.settings.min_site_size}, "
        "default 200) so that small hospitals are grouped into larger sites",
    )
    _check_delta(options.settings, n_sites=len(grouping.n_source_sites))
    logger.info(
        "dataset %s: %d admissions at %d source sites grouped into %d sites",
        loaded.dataset_id,
        cohort.height,
        len(grouping.mapping),
        len(grouping.n_source_sites),
    )
    if len(grouping.n_source_sites) == 1:
        logger.warning(
            "%s has one site: federated, local-only and pooled training are the "
            "same model here, so the run says nothing about federation; %s",
            "--skew" if options.label_skew else f"dataset {loaded.dataset_id}",
            "give --skew two sites or more"
            if options.label_skew
            else "use a multi-site dataset or --skew",
        )
    return loaded, cohort, grouping, seeds


def _check_delta(settings: Settings, *, n_sites: int) -> None:
    """Flower's DP protects a site: a δ of 1/n_sites or more would allow
    releasing one whole site's update outright."""
    if not any(s in DP_STRATEGIES for s in settings.strategies):
        return
    if settings.delta * n_sites >= 1:
        raise InputError(
            f"--delta {settings.delta:g}: DP's privacy unit here is a site, and with "
            f"{n_sites} sites δ must be below 1/{n_sites}; use a far smaller one, "
            "e.g. 1e-5"
        )


def _cross_site_cohort(options: JobOptions, seed: int) -> pl.DataFrame | None:
    if options.cross_site_dataset is None:
        return None
    with _cross_site_flags():
        loaded = datasets.load(
            options.cross_site_dataset,
            data_dir=options.cross_site_data_dir,
            seed=seed,
            n_admissions=None,
        )
    logger.info(
        "cross-site training cohort %s: %d admissions",
        loaded.dataset_id,
        loaded.cohort.height,
    )
    return loaded.cohort


@contextlib.contextmanager
def _cross_site_flags() -> Iterator[None]:
    """The data layer's errors name --dataset and --data-dir; for the
    cross-site cohort the user typed --cross-site-dataset/--cross-site-data-dir."""
    try:
        yield
    except InputError as error:
        text = re.sub(r"(?<![\w-])--data-dir\b", "--cross-site-data-dir", str(error))
        text = re.sub(r"(?<![\w-])--dataset\b", "--cross-site-dataset", text)
        raise InputError(f"cross-site cohort: {text}") from None


def _cohort_counts(cohort: pl.DataFrame) -> dict[str, int]:
    return {
        "n_admissions": cohort.height,
        "n_patients": cohort["patient_id"].n_unique(),
        "n_deaths": int(cohort["died_in_hospital"].sum()),
        "n_sites": cohort["site"].n_unique(),
    }


def _params(options, loaded, cohort, grouping, seeds) -> dict[str, Any]:
    from dataclasses import asdict

    from phibench.federated import sites
    from phibench.federated.features import REFERENCE_SCALING, feature_names

    settings = asdict(options.settings)
    settings.pop("extra")
    return {
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
        "settings": settings,
        "cross_site_dataset": options.cross_site_dataset,
        "label_skew": None
        if options.label_skew is None
        else asdict(options.label_skew),
        "site_rule": "source sites with >= min_site_size admissions stay; smaller "
        "ones are merged in ascending id order into groups reaching it",
        "source_sites_per_site": grouping.n_source_sites,
        "sites": sites.site_summary(cohort),
        "features": feature_names(),
        "feature_scaling": {k: list(v) for k, v in REFERENCE_SCALING.items()},
        "seeds": seeds
        | {
            "note": SEED_NOTE,
            "derivation": "numpy SeedSequence(root).spawn: data, split, repeats",
        },
        "library_versions": provenance.library_versions()
        | _versions("flwr", "torch", "ray", "dp-accounting", "scikit-learn"),
        "platform": provenance.platform_record(),
    }


def _versions(*names: str) -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _track(options, name, loaded, params, metrics, folder: Path) -> JobResult:
    from phibench.federated.report import mlflow_metrics

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
