"""From a dataset id on the command line to a cohort table and its terms.

Ids come from the dataset registry (`phibench datasets list`); `csv:PATH` names a
user's own table with its roles file. Each structured dataset is read by the
loader its registry entry names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from phibench.data import registry
from phibench.errors import DataLayoutError, InputError
from phibench.tracking.guard import DataUseTerms

USER_TABLE_PREFIX = "csv:"
EMBEDDED_DEFAULT_ADMISSIONS = 10_000

#: Loaders that produce the cohort table, and what their --data-dir holds.
STRUCTURED_LOADERS = {
    "embedded": "",
    "mimic-iv": "the release folder that holds hosp/ and icu/",
    "eicu": "the release folder with patient.csv.gz",
    "synthea": "the Synthea CSV export folder with patients.csv",
}


@dataclass(frozen=True)
class DatasetRef:
    """A resolved dataset id: which loader reads it and whether it needs a folder."""

    dataset_id: str
    loader: str
    entry: registry.DatasetEntry | None  # None for a user table

    @property
    def needs_data_dir(self) -> bool:
        return self.loader not in {"embedded", "csv"}


@dataclass(frozen=True)
class LoadedDataset:
    dataset_id: str
    version: str | None
    cohort: pl.DataFrame
    source: str  # "embedded generator", the data folder or the table
    data_use: DataUseTerms
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)


def resolve(dataset_id: str) -> DatasetRef:
    """The dataset's loader; InputError for an unknown or non-tabular dataset."""
    if dataset_id.startswith(USER_TABLE_PREFIX):
        return DatasetRef(dataset_id, "csv", None)
    try:
        entry = registry.get(dataset_id)
    except registry.UnknownDatasetError as error:
        raise InputError(
            f"{error}; or use csv:PATH for your own table (docs/data/user-tables.md)"
        ) from None
    loader = next((name for name in entry.loaders if name in STRUCTURED_LOADERS), None)
    if loader is None:
        raise InputError(
            f"--dataset {dataset_id}: phibench has no cohort-table loader for it "
            f"(its loaders: {', '.join(entry.loaders) or 'none yet'}); structured "
            f"benchmarks take {', '.join(_structured_ids())} or csv:PATH"
        )
    return DatasetRef(dataset_id, loader, entry)


def check_request(
    dataset_id: str, *, data_dir: Path | None, n_admissions: int | None
) -> DatasetRef:
    """Check the dataset flags together, before anything is read or written."""
    ref = resolve(dataset_id)
    table = Path(dataset_id.removeprefix(USER_TABLE_PREFIX))
    if ref.loader == "csv" and not table.is_file():
        raise InputError(
            f"--dataset {dataset_id}: no table at {table}; give csv:PATH to a .csv, "
            ".csv.gz or .parquet file"
        )
    if ref.needs_data_dir and data_dir is None:
        raise InputError(
            f"--dataset {dataset_id} needs --data-dir PATH: "
            f"{STRUCTURED_LOADERS[ref.loader]}"
        )
    if not ref.needs_data_dir and data_dir is not None:
        raise InputError(f"--data-dir is not used with --dataset {dataset_id}; drop it")
    if n_admissions is not None and ref.loader != "embedded":
        raise InputError(
            f"--n-admissions applies to --dataset embedded only, not {dataset_id}; "
            "drop it"
        )
    return ref


def load(
    dataset_id: str, *, data_dir: Path | None, seed: int, n_admissions: int | None
) -> LoadedDataset:
    """Load (or generate) a dataset as the cohort table, with its data-use terms."""
    ref = check_request(dataset_id, data_dir=data_dir, n_admissions=n_admissions)
    if ref.loader == "csv":
        return _user_table(dataset_id)
    if ref.loader == "embedded":
        return _embedded(ref, seed=seed, n_admissions=n_admissions)

    read, version_of = _folder_loaders()[ref.loader]
    try:
        _check_markers(ref.entry, Path(data_dir))
        cohort = read(data_dir, dataset_id=dataset_id)
    except DataLayoutError as error:
        raise DataLayoutError(f"{error}{_looks_like(data_dir, ref)}") from None
    _check_size(ref.entry, cohort)
    version = version_of(data_dir) if version_of else ref.entry.version
    return LoadedDataset(dataset_id, version, cohort, str(data_dir), _terms(ref.entry))


def _embedded(ref: DatasetRef, *, seed: int, n_admissions: int | None):
    from phibench.data.embedded import EMBEDDED_VERSION, generate_cohort

    size = EMBEDDED_DEFAULT_ADMISSIONS if n_admissions is None else n_admissions
    cohort = generate_cohort(n_admissions=size, seed=seed)
    version = f"{EMBEDDED_VERSION} (n_admissions={size}, seed={seed})"
    terms = _terms(ref.entry)
    return LoadedDataset(ref.dataset_id, version, cohort, "embedded generator", terms)


def _user_table(dataset_id: str) -> LoadedDataset:
    from phibench.data.user_table import read_user_table

    table = read_user_table(dataset_id)
    sharing = "allowed" if table.roles.data_use == "open" else "unknown"
    terms = DataUseTerms(dataset_id, sharing)
    return LoadedDataset(
        dataset_id,
        None,
        table.cohort,
        str(table.roles.table),
        terms,
        bounds=dict(table.roles.bounds),
    )


def _check_markers(entry: registry.DatasetEntry, data_dir: Path) -> None:
    """A release told apart by marker files (a demo's subject list) must have them.

    Data-use terms follow the dataset id, so an open demo id on a folder of the
    credentialed release would switch the guard off; this refuses that.
    """
    missing = [name for name in entry.markers if not (data_dir / name).exists()]
    if missing and data_dir.is_dir():
        raise DataLayoutError(
            f"--data-dir {data_dir} lacks {', '.join(missing)}, which every copy of "
            f"{entry.name} has: it is not {entry.id}; give the id of the release "
            "the folder holds (see `phibench datasets check`)"
        )


def _check_size(entry: registry.DatasetEntry, cohort: pl.DataFrame) -> None:
    """An open release cannot hold more patients than it was published with."""
    published = entry.size.patients
    if entry.access != "open" or not published:
        return
    n_patients = cohort["patient_id"].n_unique()
    if n_patients > published:
        raise InputError(
            f"--dataset {entry.id}: the folder holds {n_patients} patients, more than "
            f"the {published} of {entry.name}; it is another release (its terms may "
            "restrict sharing): give that release's id"
        )


def _looks_like(data_dir: Path, ref: DatasetRef) -> str:
    """A hint when the folder holds a dataset that another loader reads."""
    from phibench.data.access import identify

    if not Path(data_dir).is_dir():
        return ""
    others = [
        match.dataset_id
        for match in identify(data_dir)
        if ref.loader not in registry.get(match.dataset_id).loaders
    ]
    if not others:
        return ""
    return f" (this folder looks like {' or '.join(others[:2])}: check --dataset)"


def _folder_loaders() -> dict[str, tuple[Callable, Callable | None]]:
    from phibench.data.eicu import eicu_version, load_eicu
    from phibench.data.mimic import load_mimic_iv, mimic_version
    from phibench.data.synthea import load_synthea

    return {
        "mimic-iv": (load_mimic_iv, mimic_version),
        "eicu": (load_eicu, eicu_version),
        "synthea": (load_synthea, None),
    }


def _terms(entry: registry.DatasetEntry) -> DataUseTerms:
    """Guard terms from the registry; anything short of 'allowed' restricts."""
    sharing = "forbidden" if entry.data_use.restricts_sharing else "allowed"
    if entry.data_use.third_party_sharing == "unknown":
        sharing = "unknown"
    return DataUseTerms(entry.id, sharing)


def _structured_ids() -> list[str]:
    entries = registry.load_registry().select()
    return [e.id for e in entries if any(n in STRUCTURED_LOADERS for n in e.loaders)]
