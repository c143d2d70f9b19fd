"""MST and AIM through OpenDP 0.16 (`opendp.extras.mbi`), with public domains.

Marginal methods need discrete columns. Numeric columns are cut at public
clinical cut points (`PUBLIC_CUTS`, not taken from the data) and categorical
columns use the cohort schema's declared categories, so no privacy budget is
spent on the domain. The one exception is `site`, whose hospitals are not
public: OpenDP discovers its categories under the generator's budget (a
thresholded count that costs part of delta). Missing values are a category of
their own. Synthetic bins are decoded to values uniformly within the bin,
between public bounds, with a seeded generator.

The privacy unit is the patient: each patient contributes at most
`contribution_cap` rows, which OpenDP accounts for (`Bound(per_group=cap)`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from phibench.data.cohort import ADMISSION_TYPES, RACE_GROUPS
from phibench.errors import InputError
from phibench.synthetic.accounting import epsilon_from_rho, rho_from_epsilon
from phibench.synthetic.generators import EXTRA_HINT, seed_globals
from phibench.synthetic.table import COLUMN_KINDS

logger = logging.getLogger(__name__)

#: Public cut points (bin edges) and decoding bounds per numeric column, in
#: clinical units; admit_time in calendar years (MIMIC-IV shifts dates into
#: 2100-2200, hence the second block of cuts).
PUBLIC_CUTS: dict[str, tuple[float, ...]] = {
    "age": (30, 40, 50, 60, 70, 80),
    "los_days": (1, 2, 3, 5, 7, 14, 30),
    "heart_rate": (50, 60, 70, 80, 90, 100, 110, 130),
    "sbp": (80, 90, 100, 110, 120, 130, 140, 160),
    "resp_rate": (10, 12, 14, 16, 18, 20, 24, 30),
    "temperature": (35, 36, 36.5, 37, 37.5, 38, 39),
    "spo2": (85, 90, 92, 94, 96, 98),
    "creatinine": (0.5, 0.7, 0.9, 1.1, 1.5, 2, 3, 5),
    "lactate": (1, 1.5, 2, 3, 4, 6),
    "hemoglobin": (7, 8, 9, 10, 11, 12, 13, 14, 15),
    "wbc": (4, 6, 8, 10, 12, 15, 20),
    "admit_time": (2005, 2010, 2015, 2020, 2025, 2100, 2125, 2150, 2175, 2200),
}
PUBLIC_BOUNDS: dict[str, tuple[float, float]] = {
    "age": (15, 91),
    "los_days": (0, 60),
    "heart_rate": (20, 220),
    "sbp": (40, 260),
    "resp_rate": (4, 60),
    "temperature": (32, 42),
    "spo2": (60, 100),
    "creatinine": (0.1, 15),
    "lactate": (0.3, 20),
    "hemoglobin": (3, 20),
    "wbc": (0.1, 60),
    "admit_time": (2000, 2215),
}
PUBLIC_CATEGORIES: dict[str, tuple[str, ...]] = {
    "sex": ("F", "M"),
    "race": RACE_GROUPS,
    "admission_type": ADMISSION_TYPES,
}
#: Relative reductions of rho tried, in order, when OpenDP refuses the
#: requested one on a floating-point budget comparison (docs/decisions/0010).
#: The refusal depends on rho and the column count only; the first reduction
#: that works is remembered for the same setting. The rho spent is recorded.
RHO_REDUCTIONS = (0.0, 1e-4, 1e-3, 5e-3, 1e-2, 2e-2, 3e-2, 5e-2, 7e-2, 0.1)
_WORKING_REDUCTION: dict[tuple[str, int, float, float], float] = {}
_US_PER_YEAR = 365.25 * 86400 * 1e6


def keys_for(column: str) -> list[str] | None:
    """Public categories of a column (None for `site`, discovered privately)."""
    kind = COLUMN_KINDS[column]
    if kind == "boolean":
        return ["false", "true"]
    if kind in {"numeric", "datetime"}:
        return [str(i) for i in range(len(PUBLIC_CUTS[column]) + 1)]
    return list(PUBLIC_CATEGORIES[column]) if column in PUBLIC_CATEGORIES else None


def discretize(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as strings: bin index for numbers, 'true'/'false', categories."""
    exprs = []
    for column in frame.columns:
        kind = COLUMN_KINDS[column]
        col = pl.col(column)
        if kind == "datetime":
            col = col.dt.epoch("us") / _US_PER_YEAR + 1970.0
        if kind in {"numeric", "datetime"}:
            cuts = list(PUBLIC_CUTS[column])
            labels = [str(i) for i in range(len(cuts) + 1)]
            exprs.append(col.cut(cuts, labels=labels).cast(pl.String).alias(column))
        elif kind == "boolean":
            exprs.append(
                pl.when(col)
                .then(pl.lit("true"))
                .when(~col)
                .then(pl.lit("false"))
                .otherwise(None)
                .alias(column)
            )
        else:
            exprs.append(col.cast(pl.String))
    return frame.select(exprs)


def decode(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Bins back to values, uniform within each bin between the public bounds."""
    exprs = []
    for column in frame.columns:
        kind = COLUMN_KINDS[column]
        values = frame[column]
        if kind == "boolean":
            exprs.append(
                values.replace_strict(
                    {"true": True, "false": False},
                    default=None,
                    return_dtype=pl.Boolean,
                )
            )
        elif kind in {"numeric", "datetime"}:
            exprs.append(_decode_bins(column, values, rng))
        else:
            exprs.append(values)
    return pl.DataFrame(exprs)


def _decode_bins(column: str, values: pl.Series, rng: np.random.Generator) -> pl.Series:
    low, high = PUBLIC_BOUNDS[column]
    edges = np.array([low, *PUBLIC_CUTS[column], high], dtype=float)
    index = values.cast(pl.Int64, strict=False).to_numpy().astype(float)
    missing = np.isnan(index)
    safe = np.where(missing, 0, index).astype(int)
    drawn = rng.uniform(edges[safe], edges[safe + 1])
    drawn[missing] = np.nan
    series = pl.Series(column, drawn).fill_nan(None)
    if COLUMN_KINDS[column] == "datetime":
        micros = ((series - 1970.0) * _US_PER_YEAR).cast(pl.Int64)
        return micros.cast(pl.Datetime("us")).alias(column)
    return series


@dataclass
class MarginalGenerator:
    """MST or AIM (OpenDP) at a total (epsilon, delta) for the patient unit."""

    name: str
    epsilon: float
    delta: float
    contribution_cap: int = 1
    is_dp: bool = True
    _table: Any = None
    _columns: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)

    def fit(self, train: pl.DataFrame, *, seed: int) -> None:
        dp = _opendp()
        discrete = discretize(train)
        self._columns = list(discrete.columns)
        keys = {c: keys_for(c) for c in discrete.columns if keys_for(c) is not None}
        unkeyed = [c for c in discrete.columns if c not in keys]
        delta_conv, delta_keys = (
            (self.delta / 2, self.delta / 2) if unkeyed else (self.delta, 0.0)
        )
        rho = rho_from_epsilon(self.epsilon, delta=delta_conv)
        self._table, spent = _release(
            dp, self.name, discrete, keys, rho, delta_keys, self.contribution_cap
        )
        rho_spent, delta_spent = spent
        self.record = {
            "epsilon_target": self.epsilon,
            "delta_target": self.delta,
            "rho_requested": rho,
            "rho_spent": rho_spent,
            "delta_key_discovery": delta_spent,
            "delta_conversion": delta_conv,
            "epsilon_spent": epsilon_from_rho(rho_spent, delta=delta_conv),
            "delta_spent": delta_conv + delta_spent,
            "conversion": "epsilon = rho + 2 sqrt(rho ln(1/delta_conversion)) "
            "(Bun & Steinke 2016, Prop. 1.3); delta = delta_conversion + "
            "delta_key_discovery",
            "privacy_unit": f"patient (at most {self.contribution_cap} rows each)",
            "privately_discovered_categories": unkeyed,
            "noise_source": "OpenDP secure generator (not seedable)",
        }
        logger.info(
            "%s: rho %.6g spent (epsilon %.4g, delta %.3g, patient unit)",
            self.name,
            rho_spent,
            self.record["epsilon_spent"],
            self.record["delta_spent"],
        )

    def sample(self, n_rows: int, *, seed: int) -> pl.DataFrame:
        # mbi draws rows from numpy's global generator; 'sample' draws i.i.d.
        # rows from the fitted model ('round', the default, creates false links
        # between columns: docs/decisions/0010).
        seed_globals(seed)
        rows = self._table.synthesize(rows=n_rows, method="sample")
        rows = rows.select([pl.col(c).cast(pl.String) for c in self._columns])
        return decode(rows, np.random.default_rng(seed))

    def describe(self) -> dict[str, Any]:
        return {
            "library": "OpenDP (opendp.extras.mbi, Private-PGM)",
            "algorithm": self.name.upper(),
            "public_cuts": {k: list(v) for k, v in PUBLIC_CUTS.items()},
            "public_bounds": {k: list(v) for k, v in PUBLIC_BOUNDS.items()},
            "public_categories": {k: list(v) for k, v in PUBLIC_CATEGORIES.items()},
            "sampling": "i.i.d. from the fitted model (method='sample')",
            **self.record,
        }


def _opendp() -> Any:
    try:
        import mbi  # noqa: F401
        import opendp.prelude as dp
    except ImportError:
        raise InputError(f"MST and AIM {EXTRA_HINT}") from None
    dp.enable_features("contrib")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    return dp


def _release(
    dp: Any,
    name: str,
    discrete: pl.DataFrame,
    keys: dict[str, list[str]],
    rho: float,
    delta_keys: float,
    cap: int,
) -> tuple[Any, tuple[float, float]]:
    """Build and invoke the contingency-table release; (table, (rho, delta))."""
    domain = dp.lazyframe_domain(
        [
            dp.series_domain(c, dp.option_domain(dp.atom_domain(T=dp.String)))
            for c in discrete.columns
        ]
    )
    d_in = [dp.polars.Bound(per_group=cap)]
    algorithm = dp.mbi.MST() if name == "mst" else dp.mbi.AIM()
    setting = (name, discrete.width, rho, delta_keys)
    known = _WORKING_REDUCTION.get(setting)
    reductions = (known,) if known is not None else RHO_REDUCTIONS
    for reduction in reductions:
        # OpenDP 0.16's MST can refuse its own budget split by a rounding step
        # ("insufficient budget for query"); nothing is released then.
        target = rho * (1 - reduction)
        measure, d_out = _measure(dp, target, delta_keys)
        measurement, _, _ = dp.mbi.make_contingency_table(
            domain,
            dp.frame_distance(dp.symmetric_distance()),
            measure,
            d_in=d_in,
            d_out=d_out,
            keys=keys,
            algorithm=algorithm,
        )
        try:
            table = measurement(discrete.lazy())
        except dp.OpenDPException as error:
            if "insufficient budget" not in str(error):
                raise
            logger.warning("%s: OpenDP refused rho %.17g", name, target)
            continue
        _WORKING_REDUCTION[setting] = reduction
        spent = measurement.map(d_in)
        return table, (spent, 0.0) if not delta_keys else tuple(spent)
    raise BudgetSplitError(
        f"{name}: OpenDP 0.16 refused every rho from {rho:.6g} down to "
        f"{rho * (1 - RHO_REDUCTIONS[-1]):.6g} (its MST budget split; "
        "docs/decisions/0010)"
    )


class BudgetSplitError(RuntimeError):
    """OpenDP refused every rho tried: a library limitation, not bad input."""


def _measure(dp: Any, rho: float, delta_keys: float) -> tuple[Any, Any]:
    if delta_keys:
        return dp.approximate(dp.zero_concentrated_divergence()), (rho, delta_keys)
    return dp.zero_concentrated_divergence(), rho


def check_epsilon(epsilon: float) -> None:
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise InputError(f"epsilon={epsilon}: must be a finite number > 0")
