"""Each site's own data folder: what one hospital holds, and nothing else.

In the simulation and in the deployment runtime alike a client reads only its
folder (`cohort.parquet`: the site's rows with their `split`). The folders are
written outside the run folder (they hold rows, the run folder only
aggregates) and removed after the run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from phibench.federated.features import feature_matrix, labels
from phibench.federated.sites import SPLITS, site_names

COHORT_FILE = "cohort.parquet"


@dataclass(frozen=True)
class SiteArrays:
    """A site's features and labels per split, ready for training."""

    site: str
    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]

    def n(self, split: str) -> int:
        return int(self.y[split].size)


def write_site_folders(cohort: pl.DataFrame, root: Path) -> list[Path]:
    """One folder per site (in `site_names` order) under `root`."""
    folders = []
    for index, name in enumerate(site_names(cohort)):
        folder = Path(root) / f"site-{index:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        cohort.filter(pl.col("site") == name).write_parquet(folder / COHORT_FILE)
        folders.append(folder)
    return folders


def site_arrays(cohort: pl.DataFrame, site: str) -> SiteArrays:
    """Features and labels of one site's rows, per split."""
    x, y = {}, {}
    for split in SPLITS:
        part = cohort.filter(pl.col("split") == split)
        x[split], y[split] = feature_matrix(part), labels(part)
    return SiteArrays(site, x, y)


@functools.lru_cache(maxsize=64)
def read_site_folder(folder: str) -> SiteArrays:
    """A client's view of its own folder (cached per process: folders are
    read-only for the life of a run)."""
    cohort = pl.read_parquet(Path(folder) / COHORT_FILE)
    site = cohort["site"][0] if cohort.height else Path(folder).name
    return site_arrays(cohort, site)
