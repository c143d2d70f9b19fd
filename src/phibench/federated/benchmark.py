"""The federated benchmark: Flower runs, baselines and their scores, without I/O.

One call trains, for each seeded repeat, the pooled and local-only baselines
and every requested Flower strategy (DP ones at each target epsilon), then the
leave-one-site-out runs (FedAvg, first repeat) and, if given, the cross-site
model trained on another cohort; and scores them all on the same test rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from phibench.errors import InputError
from phibench.federated import evaluation as ev
from phibench.federated.accounting import calibrate_noise_multiplier
from phibench.federated.baselines import (
    pooled_training_rows,
    predict_with,
    train_rounds,
)
from phibench.federated.env import one_torch_thread
from phibench.federated.features import feature_matrix, labels
from phibench.federated.model import TrainSettings
from phibench.federated.server_loop import JobOutcome, TrainingJob
from phibench.federated.settings import DP_STRATEGIES, Settings
from phibench.federated.site_store import SiteArrays, site_arrays
from phibench.federated.sites import site_names
from phibench.federated.strategies import StrategyConfig
from phibench.federated.summary import summarise_method

logger = logging.getLogger(__name__)

PRIVACY_UNIT = (
    "site-level update (client-level DP): neighbouring runs differ by one whole "
    "site's participation; no patient-level guarantee inside a site"
)


@dataclass(frozen=True)
class TestSet:
    """The union of the sites' test splits, in site order, with subgroup columns."""

    x: np.ndarray
    y: np.ndarray
    site: np.ndarray
    sex: np.ndarray
    age: np.ndarray


def prepare(cohort: pl.DataFrame) -> tuple[list[SiteArrays], TestSet]:
    names = site_names(cohort)
    sites = [site_arrays(cohort.filter(pl.col("site") == n), n) for n in names]
    test = cohort.filter(pl.col("split") == "test")
    ordered = pl.concat([test.filter(pl.col("site") == n) for n in names])
    test_set = TestSet(
        x=np.concatenate([s.x["test"] for s in sites]),
        y=np.concatenate([s.y["test"] for s in sites]),
        site=ordered["site"].to_numpy(),
        sex=ordered["sex"].fill_null("").to_numpy(),
        age=ordered["age"].to_numpy(),
    )
    return sites, test_set


def run(
    cohort: pl.DataFrame,
    *,
    settings: Settings,
    repeat_seeds: list[int],
    cross_site: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Every method's scores; see docs/specs/federated.md for the metrics."""
    from phibench.federated.simulation import simulate

    one_torch_thread()  # baselines train in this process; the machine is shared
    sites, test = prepare(cohort)
    _check_training_rows(sites, settings)
    train = TrainSettings(
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        local_epochs=settings.local_epochs,
    )
    runs: dict[str, list[dict[str, Any]]] = {
        "pooled": [_pooled(sites, test, settings, train, s) for s in repeat_seeds],
        "local-only": [_local(sites, test, settings, train, s) for s in repeat_seeds],
    }
    plan, privacy = _plan(settings, train, len(sites), repeat_seeds, sites)

    def evaluate(job: TrainingJob, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        if job.held_out_site:
            return {}
        return ev.scores(test.y, predict_with(job.kind, arrays, test.x))

    outcomes = simulate(cohort, plan, evaluate=evaluate)
    for outcome in outcomes:
        if not outcome.job.held_out_site:
            method = outcome.job.key.split("#")[0]
            runs.setdefault(method, []).append(_federated_run(outcome, test))
    methods = {
        name: summarise_method(
            name, method_runs, runs["pooled"], test, settings, privacy.get(name)
        )
        for name, method_runs in runs.items()
    }
    return {
        "methods": methods,
        "leave_one_site_out": _loso(outcomes, sites),
        "cross_site": _cross_site(cross_site, test, settings, train, repeat_seeds),
        "privacy_unit": PRIVACY_UNIT,
    }


def _check_training_rows(sites: list[SiteArrays], settings: Settings) -> None:
    """Under DP every site must train: Flower 1.42's clipping divides by the
    update's norm and crashes on a site that sends the model back unchanged."""
    empty = [site.site for site in sites if site.n("train") == 0]
    dp = [s for s in settings.strategies if s in DP_STRATEGIES]
    if empty and dp:
        raise InputError(
            f"sites {', '.join(empty)} have no training rows, which {dp[0]} cannot "
            "take (a zero update breaks Flower's clipping); raise --min-site-size "
            "or drop the DP strategies"
        )
    if len(empty) == len(sites):
        raise InputError("no site has training rows; the cohort is too small")


def _pooled(sites, test, settings, train, seed) -> dict[str, Any]:
    x, y = pooled_training_rows(sites)

    def score(arrays):
        return ev.auroc(test.y, predict_with(settings.model, arrays, test.x))

    arrays, curve = train_rounds(
        x,
        y,
        kind=settings.model,
        settings=train,
        rounds=settings.rounds,
        seed=seed,
        score=score,
    )
    return {
        "seed": seed,
        "p": predict_with(settings.model, arrays, test.x),
        "curve": curve,
        "bytes": 0,
    }


def _local(sites, test, settings, train, seed) -> dict[str, Any]:
    """Each site trains alone and scores its own test rows; the union AUROC
    pools those predictions (each patient scored by their own site's model)."""
    per_round: list[list[np.ndarray]] = [[] for _ in range(settings.rounds + 1)]
    final = []
    for site in sites:
        x_test = site.x["test"]
        calls: list[np.ndarray] = []

        def score(arrays, x_test=x_test, calls=calls):
            calls.append(predict_with(settings.model, arrays, x_test))
            return None

        arrays, _ = train_rounds(
            site.x["train"],
            site.y["train"],
            kind=settings.model,
            settings=train,
            rounds=settings.rounds,
            seed=seed,
            site=site.site,
            score=score,
        )
        for index, p in enumerate(calls):
            per_round[index].append(p)
        final.append(predict_with(settings.model, arrays, x_test))
    curve = [
        (r, ev.auroc(test.y, np.concatenate(ps))) for r, ps in enumerate(per_round)
    ]
    return {"seed": seed, "p": np.concatenate(final), "curve": curve, "bytes": 0}


def _plan(settings, train, n_sites, seeds, sites):
    """Training jobs for Flower, and the calibrated noise of each DP method."""
    jobs: list[TrainingJob] = []
    privacy: dict[str, dict[str, Any]] = {}
    for strategy in settings.strategies:
        configs = _strategy_configs(strategy, settings, n_sites)
        for method, config in configs:
            if config.noise_multiplier is not None:
                privacy[method] = {
                    "epsilon_target": float(method.split("eps=")[1]),
                    "delta": settings.delta,
                    "noise_multiplier": config.noise_multiplier,
                    "clipping_norm": config.clipping_norm,
                    "noise_stddev_of_average": config.noise_multiplier
                    * config.clipping_norm
                    / n_sites,
                    "privacy_unit": PRIVACY_UNIT,
                }
            for index, seed in enumerate(seeds, start=1):
                jobs.append(
                    TrainingJob(
                        f"{method}#{index}",
                        config,
                        settings.model,
                        train,
                        settings.rounds,
                        seed,
                    )
                )
    if settings.leave_one_site_out and n_sites > 1:
        config = StrategyConfig("fedavg", n_sites)
        for site in sites:
            jobs.append(
                TrainingJob(
                    f"loso#{site.site}",
                    config,
                    settings.model,
                    train,
                    settings.rounds,
                    seeds[0],
                    held_out_site=site.site,
                )
            )
    return jobs, privacy


def _strategy_configs(strategy: str, settings: Settings, n_sites: int):
    if strategy not in DP_STRATEGIES:
        mu = settings.proximal_mu if strategy == "fedprox" else 0.0
        return [(strategy, StrategyConfig(strategy, n_sites, proximal_mu=mu))]
    configs = []
    for epsilon in settings.epsilons:
        z = calibrate_noise_multiplier(
            epsilon=epsilon,
            rounds=settings.rounds,
            n_sites=n_sites,
            delta=settings.delta,
        )
        logger.info(
            "%s at epsilon %g: noise multiplier %.4f over %d rounds",
            strategy,
            epsilon,
            z,
            settings.rounds,
        )
        config = StrategyConfig(
            strategy,
            n_sites,
            noise_multiplier=z,
            clipping_norm=settings.clipping_norm,
            delta=settings.delta,
        )
        configs.append((f"{strategy} eps={epsilon:g}", config))
    return configs


def _federated_run(outcome: JobOutcome, test: TestSet) -> dict[str, Any]:
    job = outcome.job
    return {
        "seed": job.seed,
        "p": predict_with(job.kind, outcome.final_arrays, test.x),
        "curve": [(r["round"], r.get("auroc")) for r in outcome.per_round],
        "bytes": outcome.bytes_communicated,
        "epsilon_spent": outcome.epsilon,
        "federated_evaluation": outcome.client_evaluation,
    }


def _loso(outcomes: list[JobOutcome], sites: list[SiteArrays]) -> dict[str, Any]:
    """Held-out site scored on all its rows (it trained on none of them)."""
    by_site = {s.site: s for s in sites}
    out: dict[str, Any] = {}
    for outcome in outcomes:
        held_out = outcome.job.held_out_site
        if not held_out:
            continue
        site = by_site[held_out]
        x = np.concatenate([site.x[k] for k in ("train", "validation", "test")])
        y = np.concatenate([site.y[k] for k in ("train", "validation", "test")])
        out[held_out] = ev.scores(
            y, predict_with(outcome.job.kind, outcome.final_arrays, x)
        )
    return out


def _cross_site(source, test, settings, train, seeds) -> dict[str, Any] | None:
    """Pooled model trained on another cohort (MIMIC-IV), scored on this test set."""
    if source is None:
        return None
    x, y = feature_matrix(source), labels(source)
    values = []
    for seed in seeds:
        arrays, _ = train_rounds(
            x, y, kind=settings.model, settings=train, rounds=settings.rounds, seed=seed
        )
        values.append(ev.scores(test.y, predict_with(settings.model, arrays, test.x)))
    return {
        "n_train": int(y.size),
        "n_train_deaths": int(y.sum()),
        "auroc": ev.mean_interval([v["auroc"] for v in values], bounds=ev.SCORE_RANGE),
        "auprc": ev.mean_interval([v["auprc"] for v in values], bounds=ev.SCORE_RANGE),
    }
