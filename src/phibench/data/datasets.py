"""Dataset ids accepted on the command line and how each is loaded.

A minimal registry for the structured benchmarks; the full dataset registry
(metadata, licences, access checks) builds on these ids.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from phibench.errors import InputError


@dataclass(frozen=True)
class LoadedDataset:
    dataset_id: str
    version: str | None
    cohort: pl.DataFrame
    source: str  # "embedded generator" or the data folder


@dataclass(frozen=True)
class DatasetInfo:
    dataset_id: str
    description: str
    needs_data_dir: bool


DATASETS = {
    "embedded": DatasetInfo(
        "embedded", "seeded multi-hospital cohort generated offline", False
    ),
    "mimic-iv-demo": DatasetInfo(
        "mimic-iv-demo", "MIMIC-IV Clinical Database Demo (open, 100 patients)", True
    ),
    "mimic-iv": DatasetInfo(
        "mimic-iv", "MIMIC-IV (credentialed; the user's copy, published layout)", True
    ),
}


def check_dataset_id(dataset_id: str) -> DatasetInfo:
    """The dataset's info, or InputError naming the nearest known ids."""
    if dataset_id in DATASETS:
        return DATASETS[dataset_id]
    near = difflib.get_close_matches(dataset_id, list(DATASETS), n=2, cutoff=0.4)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise InputError(
        f"--dataset {dataset_id!r} is not a known dataset id "
        f"(known: {', '.join(DATASETS)}){hint}"
    )


def load(
    dataset_id: str,
    *,
    data_dir: Path | None,
    seed: int,
    n_admissions: int = 10_000,
) -> LoadedDataset:
    """Load (or generate) a dataset as the cohort table."""
    info = check_dataset_id(dataset_id)
    if info.needs_data_dir and data_dir is None:
        raise InputError(
            f"--dataset {dataset_id} needs --data-dir PATH pointing at your copy of "
            "the release (the folder that holds hosp/ and icu/)"
        )
    if not info.needs_data_dir:
        if data_dir is not None:
            raise InputError("--data-dir is not used with --dataset embedded; drop it")
        from phibench.data.embedded import EMBEDDED_VERSION, generate_cohort

        cohort = generate_cohort(n_admissions=n_admissions, seed=seed)
        version = f"{EMBEDDED_VERSION} (n_admissions={n_admissions}, seed={seed})"
        return LoadedDataset(dataset_id, version, cohort, "embedded generator")

    from phibench.data.mimic import load_mimic_iv, mimic_version

    cohort = load_mimic_iv(data_dir, dataset_id=dataset_id)
    return LoadedDataset(dataset_id, mimic_version(data_dir), cohort, str(data_dir))
