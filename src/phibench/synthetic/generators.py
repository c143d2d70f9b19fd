"""Generators behind one interface: fit on real rows with a seed, sample n rows.

SDV's synthesizers draw from numpy's and torch's global generators; they are
seeded here from the run's child seeds right before fitting and sampling (the
only route SDV 1.18 offers), and the seeds are recorded with the results.
"""

from __future__ import annotations

import logging
import os
import random
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

from phibench.errors import InputError
from phibench.synthetic.table import COLUMN_KINDS

logger = logging.getLogger(__name__)

DP_GENERATORS = ("mst", "aim")
SDV_GENERATORS = ("gaussian_copula", "ctgan", "tvae")
GENERATORS = (*SDV_GENERATORS, *DP_GENERATORS, "baseline")
#: Fewest training rows a generator is fitted on (below, results mean nothing).
MIN_TRAIN_ROWS = {"gaussian_copula": 10, "ctgan": 50, "tvae": 50, "baseline": 2}
MIN_TRAIN_ROWS |= dict.fromkeys(DP_GENERATORS, 20)

EXTRA_HINT = "needs the 'synthetic' extra: run `uv sync --extra synthetic`"


class Generator(Protocol):
    name: str
    is_dp: bool

    def fit(self, train: pl.DataFrame, *, seed: int) -> None: ...

    def sample(self, n_rows: int, *, seed: int) -> pl.DataFrame: ...

    def describe(self) -> dict[str, Any]: ...


def parse_generators(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in GENERATORS]
    if unknown or not names:
        first = unknown[0] if unknown else ""
        raise InputError(
            f"--generators {text!r}: unknown generator {first!r}; choose from "
            f"{','.join(GENERATORS)}"
        )
    return tuple(dict.fromkeys(names))


def seed_globals(seed: int) -> None:
    """Seed the global generators SDV, mbi and Anonymeter draw from."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch comes with the extra
        return
    torch.manual_seed(seed)


@dataclass
class Baseline:
    """Each column resampled on its own from the training rows: the floor.

    Keeps every one-way distribution and destroys every dependence, so a
    generator that scores no better than this has learned nothing joint.
    """

    name: str = "baseline"
    is_dp: bool = False
    _train: pl.DataFrame | None = None

    def fit(self, train: pl.DataFrame, *, seed: int) -> None:
        self._train = train

    def sample(self, n_rows: int, *, seed: int) -> pl.DataFrame:
        return independent_marginals(self._train, n_rows, np.random.default_rng(seed))

    def describe(self) -> dict[str, Any]:
        return {"method": "independent marginals resampled from the training rows"}


def independent_marginals(
    train: pl.DataFrame, n_rows: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Each column sampled with replacement, independently of the others."""
    columns = {
        name: train[name].gather(rng.integers(0, train.height, n_rows))
        for name in train.columns
    }
    return pl.DataFrame(columns)


@dataclass
class SdvGenerator:
    """An SDV single-table synthesizer with metadata set from the cohort schema."""

    name: str
    epochs: int = 30
    batch_size: int = 500
    is_dp: bool = False
    _model: Any = None
    _columns: list[str] = field(default_factory=list)

    def fit(self, train: pl.DataFrame, *, seed: int) -> None:
        synthesizers = _sdv()
        frame = to_pandas(train)
        metadata = sdv_metadata(frame)
        kwargs: dict[str, Any] = {}
        if self.name != "gaussian_copula":
            batch = max(10, min(self.batch_size, (len(frame) // 10) * 10))
            kwargs = {"epochs": self.epochs, "batch_size": batch, "cuda": False}
            if self.name == "ctgan":
                kwargs["pac"] = _pac(batch)
        self._columns = list(frame.columns)
        seed_globals(seed)
        with warnings.catch_warnings():
            # SDV advises saving metadata to JSON; params.json records the types
            warnings.filterwarnings("ignore", message=".*save_to_json.*")
            self._model = synthesizers[self.name](metadata, **kwargs)
            self._model.fit(frame)

    def sample(self, n_rows: int, *, seed: int) -> pl.DataFrame:
        seed_globals(seed)
        # SDV resets its sampling generator to a fixed seed unless one is set;
        # its setter is private in 1.18, so it is called only where it exists.
        if hasattr(self._model, "_set_random_state"):
            self._model._set_random_state(seed % 2**32)
        frame = self._model.sample(num_rows=n_rows)
        return from_pandas(frame[self._columns])

    def describe(self) -> dict[str, Any]:
        if self.name == "gaussian_copula":
            return {"library": "SDV", "synthesizer": "GaussianCopulaSynthesizer"}
        kind = "CTGANSynthesizer" if self.name == "ctgan" else "TVAESynthesizer"
        return {
            "library": "SDV",
            "synthesizer": kind,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "device": "cpu",
        }


def _pac(batch: int) -> int:
    """CTGAN needs the batch size to be a multiple of `pac` (default 10)."""
    return 10 if batch % 10 == 0 else 1


def import_sdv() -> None:
    """Import SDV and SDMetrics once, quietly.

    RDT 1.13 (under SDV 1.18) imports the standard library's `sre_parse`, which
    Python 3.11 deprecates; the warning says nothing about phibench's use.
    """
    os.environ.setdefault("SDV_DISABLE_TELEMETRY", "1")  # no usage reporting
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="module 'sre_parse' is deprecated",
            category=DeprecationWarning,
        )
        try:
            import sdmetrics.reports.single_table  # noqa: F401
            import sdv.single_table  # noqa: F401
        except ImportError:
            raise InputError(f"SDV generators and SDMetrics {EXTRA_HINT}") from None


def _sdv() -> dict[str, Any]:
    import_sdv()
    from sdv.single_table import (
        CTGANSynthesizer,
        GaussianCopulaSynthesizer,
        TVAESynthesizer,
    )

    return {
        "gaussian_copula": GaussianCopulaSynthesizer,
        "ctgan": CTGANSynthesizer,
        "tvae": TVAESynthesizer,
    }


def sdv_metadata(frame: Any) -> Any:
    """SDV metadata detected from the frame, then typed from the cohort schema."""
    import_sdv()
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframe(frame, table_name="cohort")
    sdtypes = {
        "categorical": "categorical",
        "boolean": "boolean",
        "numeric": "numerical",
        "datetime": "datetime",
    }
    for column in frame.columns:
        metadata.update_column(
            column, table_name="cohort", sdtype=sdtypes[COLUMN_KINDS[column]]
        )
    return metadata


def to_pandas(frame: pl.DataFrame) -> Any:
    """Pandas copy that SDV 1.18 reads right: booleans as objects, datetimes in ns.

    RDT's datetime transformer reads the integer value of a datetime64 column
    as nanoseconds whatever its unit: microsecond datetimes came back in 1970.
    """
    out = frame.to_pandas()
    for column in frame.columns:
        if COLUMN_KINDS.get(column) == "boolean":
            out[column] = out[column].astype(object)
        elif COLUMN_KINDS.get(column) == "datetime":
            out[column] = out[column].astype("datetime64[ns]")
    return out


def from_pandas(frame: Any) -> pl.DataFrame:
    out = pl.from_pandas(frame)
    casts = []
    for column in out.columns:
        kind = COLUMN_KINDS.get(column)
        if kind == "boolean":
            casts.append(pl.col(column).cast(pl.Boolean, strict=False))
        elif kind == "numeric":
            casts.append(pl.col(column).cast(pl.Float64).fill_nan(None))
        elif kind == "datetime":
            casts.append(pl.col(column).cast(pl.Datetime("us")))
        else:
            casts.append(pl.col(column).cast(pl.String))
    return out.select(casts)


def make_generator(
    name: str,
    *,
    epochs: int,
    batch_size: int,
    epsilon: float | None,
    delta: float,
    contribution_cap: int,
) -> Generator:
    if name == "baseline":
        return Baseline()
    if name in SDV_GENERATORS:
        return SdvGenerator(name, epochs=epochs, batch_size=batch_size)
    from phibench.synthetic.marginal import MarginalGenerator

    if epsilon is None:
        raise InputError(f"generator {name} is differentially private: give --epsilons")
    return MarginalGenerator(
        name, epsilon=epsilon, delta=delta, contribution_cap=contribution_cap
    )
