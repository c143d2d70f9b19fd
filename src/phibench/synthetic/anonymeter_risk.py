"""Anonymeter's three attacks (Giomi et al. 2023): singling out, linkability, inference.

Each evaluator attacks the training rows (`ori`) through the synthetic rows
(`syn`) and repeats the attack on holdout rows (`control`) the generator never
saw; the risk is the excess success over the control, with a 95% confidence
interval. Anonymeter 1.1.0 seeds singling out only; its linkability baseline
and target sampling draw from unseeded or global generators, seeded here
through numpy's global seed where that reaches them.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import polars as pl

from phibench.synthetic.generators import seed_globals
from phibench.synthetic.table import OUTCOME

logger = logging.getLogger(__name__)

LINK_A = ("age", "sex", "race", "site")
LINK_B = ("admission_type", "los_days", "icu_stay", "chf", "cancer")


def anonymeter_risks(
    train: pl.DataFrame,
    synthetic: pl.DataFrame,
    holdout: pl.DataFrame,
    *,
    n_attacks: int,
    seed: int,
) -> dict[str, Any]:
    """The three risks with their intervals; NaN with the reason where undefined."""
    try:
        from anonymeter.evaluators import (
            InferenceEvaluator,
            LinkabilityEvaluator,
            SinglingOutEvaluator,
        )
    except ImportError:
        from phibench.errors import InputError
        from phibench.synthetic.generators import EXTRA_HINT

        raise InputError(f"Anonymeter {EXTRA_HINT}") from None

    columns = [
        c
        for c in train.columns
        if train[c].null_count() < train.height
        and synthetic[c].null_count() < synthetic.height
    ]
    ori, syn, control = (_frame(f, columns) for f in (train, synthetic, holdout))
    n = max(1, min(n_attacks, len(control), len(ori)))
    link_a = [c for c in LINK_A if c in columns]
    link_b = [c for c in LINK_B if c in columns]
    aux = [c for c in columns if c != OUTCOME]
    runs = {
        "singling_out": lambda: SinglingOutEvaluator(
            ori=ori, syn=syn, control=control, n_attacks=n, seed=seed % 2**32
        ),
        "linkability": lambda: LinkabilityEvaluator(
            ori=ori,
            syn=syn,
            control=control,
            n_attacks=n,
            aux_cols=(link_a, link_b),
            n_neighbors=10,
        ),
        "inference": lambda: InferenceEvaluator(
            ori=ori, syn=syn, control=control, n_attacks=n, aux_cols=aux, secret=OUTCOME
        ),
    }
    out: dict[str, Any] = {"n_attacks": n}
    for name, build in runs.items():
        seed_globals(seed)
        out[name] = _risk(name, build)
    return out


def _risk(name: str, build: Any) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Anonymeter warns on weak attacks
            evaluator = build()
            if name == "singling_out":
                evaluator.evaluate(mode="univariate")
            else:
                evaluator.evaluate(n_jobs=1)
            risk = evaluator.risk()
    except Exception as error:  # the library refuses degenerate inputs
        logger.warning("Anonymeter %s not computed: %s", name, type(error).__name__)
        # the type only: a library message may quote record values
        reason = f"Anonymeter refused the inputs ({type(error).__name__})"
        return {"value": math.nan, "ci95": [math.nan, math.nan], "reason": reason}
    return {"value": float(risk.value), "ci95": [float(risk.ci[0]), float(risk.ci[1])]}


def _frame(frame: pl.DataFrame, columns: list[str]) -> Any:
    from phibench.synthetic.features import to_model_frame

    return to_model_frame(frame.select(columns))
