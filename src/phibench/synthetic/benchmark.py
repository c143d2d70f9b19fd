"""The synthetic-data benchmark: generators x epsilons x seeded repeats, scored.

Each repeat draws a new patient split (seeded), fits every generator on the
training part only, samples, and scores fidelity, utility (TSTR against TRTR
on the real holdout) and privacy (distance, membership attacks, Anonymeter).
Results are summarised over repeats as a mean with a 95% t-interval.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from phibench.errors import InputError
from phibench.spec import packaged_spec
from phibench.synthetic import anonymeter_risk, fidelity, privacy, utility
from phibench.synthetic.generators import (
    DP_GENERATORS,
    GENERATORS,
    MIN_TRAIN_ROWS,
    independent_marginals,
    make_generator,
)
from phibench.synthetic.measure import measured, summarize
from phibench.synthetic.table import Split, split_by_patient

logger = logging.getLogger(__name__)


#: Most synthetic rows per fit: far above any cohort here, far below memory limits.
MAX_ROWS = 10_000_000


@dataclass(frozen=True)
class Settings:
    """Every setting that shapes a synthetic result (all recorded)."""

    generators: tuple[str, ...] = ("gaussian_copula", "ctgan", "mst", "baseline")
    epsilons: tuple[float, ...] = (1.0, 10.0)
    delta: float = 1e-6
    repeats: int = 3
    epochs: int = 20
    batch_size: int = 500
    contribution_cap: int = 1
    holdout_share: float = 0.3
    n_rows: int | None = None  # synthetic rows per fit; default: training rows
    max_eval_rows: int = 1000
    n_attacks: int = 200

    def __post_init__(self) -> None:
        validate(self)


def validate(settings: Settings) -> None:
    unknown = [g for g in settings.generators if g not in GENERATORS]
    if unknown or not settings.generators:
        raise InputError(
            f"generators={list(settings.generators)}: unknown {unknown}; choose from "
            f"{','.join(GENERATORS)}"
        )
    for epsilon in settings.epsilons:
        if (
            not (isinstance(epsilon, int | float) and math.isfinite(epsilon))
            or epsilon <= 0
        ):
            raise InputError(
                f"epsilon={epsilon}: every epsilon must be a finite number > 0, "
                "e.g. --epsilons 1,10"
            )
    checks = {
        "repeats": settings.repeats >= 1,
        "epochs": settings.epochs >= 1,
        "contribution_cap": settings.contribution_cap >= 1,
        "holdout_share": 0.05 <= settings.holdout_share <= 0.5,
        "delta": 0 < settings.delta < 1,
        "n_rows": settings.n_rows is None or 1 <= settings.n_rows <= MAX_ROWS,
        "n_attacks": settings.n_attacks >= 1,
    }
    for name, ok in checks.items():
        if not ok:
            raise InputError(
                f"{name}={getattr(settings, name)}: out of range (repeats, epochs, "
                f"contribution cap >= 1; rows in [1, {MAX_ROWS:,}]; holdout share "
                "in [0.05, 0.5]; delta in (0, 1))"
            )


def configurations(settings: Settings) -> list[tuple[str, float | None]]:
    """(generator, epsilon) pairs: one per epsilon for DP generators."""
    out: list[tuple[str, float | None]] = []
    for name in settings.generators:
        if name in DP_GENERATORS:
            out.extend((name, float(e)) for e in settings.epsilons)
        else:
            out.append((name, None))
    return out


def config_key(name: str, epsilon: float | None) -> str:
    return name if epsilon is None else f"{name}@eps={epsilon:g}"


def check_sizes(split: Split, settings: Settings) -> None:
    """Fewer training rows than a generator needs is bad input, before fitting."""
    for name in settings.generators:
        need = MIN_TRAIN_ROWS[name]
        if split.train.height < need:
            raise InputError(
                f"generator {name} needs at least {need} training rows; the training "
                f"part has {split.train.height} (cohort too small: use a larger cohort "
                "or drop the generator)"
            )


def run(
    table: pl.DataFrame,
    *,
    settings: Settings,
    repeat_seeds: list[int],
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Every configuration in every repeat; per-repeat records and summaries."""
    per_repeat: dict[str, list[dict[str, Any]]] = {
        config_key(*c): [] for c in configurations(settings)
    }
    trtr: list[dict[str, Any]] = []
    cohort_sizes: list[dict[str, int]] = []
    for seed in repeat_seeds:
        seq = np.random.SeedSequence(seed)
        split_seed, *config_seeds = (
            int(s.generate_state(1)[0]) for s in seq.spawn(1 + len(per_repeat) + 1)
        )
        split = split_by_patient(
            table,
            holdout_share=settings.holdout_share,
            rng=np.random.default_rng(split_seed),
        )
        check_sizes(split, settings)
        cohort_sizes.append(
            {"n_train": split.train.height, "n_holdout": split.holdout.height}
        )
        context = _context(split, settings, config_seeds[-1])
        trtr.append(context["trtr"])
        for (name, epsilon), child in zip(
            configurations(settings), config_seeds, strict=False
        ):
            record = _one(split, context, settings, name, epsilon, child)
            per_repeat[config_key(name, epsilon)].append(record)
            if progress:
                progress(1)
    return {
        "per_repeat": per_repeat,
        "summary": {
            key: summarize_records(records) for key, records in per_repeat.items()
        },
        "trtr": {
            "per_repeat": trtr,
            "auroc": summarize([t["auroc"]["value"] for t in trtr]),
            "auprc": summarize([t["auprc"]["value"] for t in trtr]),
        },
        "sizes": cohort_sizes,
    }


def _context(split: Split, settings: Settings, seed: int) -> dict[str, Any]:
    """What every configuration of a repeat shares: real model, baseline rows."""
    rng = np.random.default_rng(seed)
    modelled = [c for c in split.columns if c not in split.all_null]
    columns = utility.feature_columns(split.train.select(modelled))
    model = utility.fit_model(split.train, columns)
    n_rows = settings.n_rows or split.train.height
    return {
        "modelled": modelled,
        "features": columns,
        "n_rows": n_rows,
        "trtr": utility.evaluate(model, split.holdout, columns, rng=rng),
        "baseline_rows": independent_marginals(
            split.train.select(modelled), min(n_rows, settings.max_eval_rows), rng
        ),
    }


def _one(
    split: Split,
    context: dict[str, Any],
    settings: Settings,
    name: str,
    epsilon: float | None,
    seed: int,
) -> dict[str, Any]:
    fit_seed, sample_seed, eval_seed = (
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(3)
    )
    generator = make_generator(
        name,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        epsilon=epsilon,
        delta=settings.delta,
        contribution_cap=settings.contribution_cap,
    )
    modelled = context["modelled"]
    seeds = {"fit": fit_seed, "sample": sample_seed, "evaluation": eval_seed}
    try:
        with measured() as fit_usage:
            generator.fit(split.train.select(modelled), seed=fit_seed)
    except RuntimeError as error:
        if type(error).__name__ != "BudgetSplitError":
            raise
        logger.warning("%s not fitted: %s", config_key(name, epsilon), error)
        return {"seeds": seeds, "not_fitted": str(error), "generator": {}}
    with measured() as sample_usage:
        synthetic = generator.sample(context["n_rows"], seed=sample_seed)
    synthetic = _restore_columns(synthetic, split)
    logger.info(
        "%s: %d synthetic rows sampled", config_key(name, epsilon), synthetic.height
    )
    record = {
        "seeds": seeds,
        "fit_s": fit_usage.seconds,
        "sample_s": sample_usage.seconds,
        "peak_memory_mb": max(fit_usage.peak_mb, sample_usage.peak_mb),
        "n_synthetic": synthetic.height,
        "generator": generator.describe(),
    }
    record |= score(split, synthetic, context, settings, seed=eval_seed)
    return record


def _restore_columns(synthetic: pl.DataFrame, split: Split) -> pl.DataFrame:
    """Columns null in every real row come back as null columns of their type."""
    missing = [
        pl.lit(None, dtype=split.train.schema[c]).alias(c) for c in split.all_null
    ]
    return synthetic.with_columns(missing).select(split.columns)


def score(
    split: Split,
    synthetic: pl.DataFrame,
    context: dict[str, Any],
    settings: Settings,
    *,
    seed: int,
) -> dict[str, Any]:
    """Fidelity, utility and privacy of one synthetic table."""
    rng = np.random.default_rng(seed)
    evaluated = privacy.sample_rows(synthetic, settings.max_eval_rows, rng)
    train_eval = privacy.sample_rows(split.train, settings.max_eval_rows, rng)
    model = utility.fit_model(synthetic, context["features"])
    tstr = utility.evaluate(model, split.holdout, context["features"], rng=rng)
    targets, labels, reference = privacy.membership_targets(
        split.train, split.holdout, max_each=settings.max_eval_rows, rng=rng
    )
    density, density_kind = privacy.density_attack(
        targets, evaluated, reference, seed=seed % 2**32
    )
    return {
        "fidelity": {
            "quality": fidelity.quality_report(train_eval, evaluated),
            "detection_auc": fidelity.detection_auc(
                train_eval, evaluated, seed=seed % 2**32
            ),
        },
        "utility": {
            "tstr": tstr,
            "tstr_minus_trtr_auroc": _difference(tstr, context["trtr"]),
        },
        "privacy": {
            "dcr_share": privacy.dcr_share(
                evaluated, train_eval, split.holdout, rng=rng
            ),
            "dcr_baseline_protection": privacy.dcr_baseline_protection(
                evaluated, context["baseline_rows"], train_eval
            ),
            "mia_distance": privacy.attack_scores(
                labels, privacy.distance_attack(targets, evaluated)
            ),
            "mia_density": privacy.attack_scores(labels, density)
            | {"kind": density_kind},
            "anonymeter": anonymeter_risk.anonymeter_risks(
                split.train,
                evaluated,
                split.holdout,
                n_attacks=settings.n_attacks,
                seed=seed,
            ),
        },
    }


def _difference(tstr: dict[str, Any], trtr: dict[str, Any]) -> float:
    return tstr["auroc"]["value"] - trtr["auroc"]["value"]


#: Headline metric -> path into a per-repeat record.
HEADLINE: dict[str, tuple[str, ...]] = {
    "fit_s": ("fit_s",),
    "sample_s": ("sample_s",),
    "peak_memory_mb": ("peak_memory_mb",),
    "column_shapes": ("fidelity", "quality", "column_shapes"),
    "column_pair_trends": ("fidelity", "quality", "column_pair_trends"),
    "detection_auc": ("fidelity", "detection_auc", "value"),
    "tstr_auroc": ("utility", "tstr", "auroc", "value"),
    "tstr_auprc": ("utility", "tstr", "auprc", "value"),
    "tstr_minus_trtr_auroc": ("utility", "tstr_minus_trtr_auroc"),
    "dcr_share": ("privacy", "dcr_share", "value"),
    "dcr_baseline_protection": ("privacy", "dcr_baseline_protection", "value"),
    "mia_distance_auc": ("privacy", "mia_distance", "auc"),
    "mia_distance_tpr_at_fpr_0.01": (
        "privacy",
        "mia_distance",
        "tpr_at_fpr_0.01",
        "value",
    ),
    "mia_distance_tpr_at_fpr_0.001": (
        "privacy",
        "mia_distance",
        "tpr_at_fpr_0.001",
        "value",
    ),
    "mia_density_auc": ("privacy", "mia_density", "auc"),
    "mia_density_tpr_at_fpr_0.01": (
        "privacy",
        "mia_density",
        "tpr_at_fpr_0.01",
        "value",
    ),
    "mia_density_tpr_at_fpr_0.001": (
        "privacy",
        "mia_density",
        "tpr_at_fpr_0.001",
        "value",
    ),
    "anonymeter_singling_out": ("privacy", "anonymeter", "singling_out", "value"),
    "anonymeter_linkability": ("privacy", "anonymeter", "linkability", "value"),
    "anonymeter_inference": ("privacy", "anonymeter", "inference", "value"),
    "epsilon_spent": ("generator", "epsilon_spent"),
}


def pick(record: dict[str, Any], path: tuple[str, ...]) -> float:
    value: Any = record
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return math.nan
        value = value[part]
    return float(value) if isinstance(value, int | float) else math.nan


def summarize_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and 95% t-interval per headline metric, the interval clipped to the
    metric's declared range (a t-interval over 3 repeats can leave [0, 1])."""
    ranges = {m.name: m.range for m in packaged_spec("synthetic").metrics}
    out = {}
    for name, path in HEADLINE.items():
        summary = summarize([pick(r, path) for r in records])
        low, high = ranges[name]
        for key in ("ci95_low", "ci95_high"):
            if math.isfinite(summary[key]):
                summary[key] = min(max(summary[key], low), high)
        out[name] = summary
    return out
