"""The dataset registry: every health dataset phibench knows, as validated data.

The registry is one YAML file shipped in the package (`registry.yaml`). Each entry
records what a dataset is, who publishes it, how to get it, what its terms allow
(data-use flags), which phibench loaders and benchmarks apply, and the file layout
that `phibench datasets check` compares a data folder with. Unknown facts are null,
never guessed (docs/decisions/0005-dataset-registry.md).

`datasets/README.md` is rendered from it: `uv run python -m phibench.data.registry
> datasets/README.md`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from importlib import resources
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from phibench.errors import InputError
from phibench.yaml_input import parse_yaml

#: Loader names an entry may reference; the CLI maps each to a loading function.
LOADER_NAMES = (
    "embedded",
    "mimic-iv",
    "eicu",
    "synthea",
    "physionet-deid",
    "brat",
    "i2b2-xml",
    "csv",
)

DataType = Literal["structured", "text", "imaging_report"]
Access = Literal["open", "registration", "credentialed", "restricted"]
Permission = Literal["forbidden", "allowed", "unknown"]
DATA_TYPES: tuple[str, ...] = get_args(DataType)
ACCESS_LEVELS: tuple[str, ...] = get_args(Access)

_SOURCE = "phibench:data/registry.yaml"
_PATH_HINT = "a relative path with / separators, no '..' and no leading /"


class RegistryError(InputError):
    """The registry file, or one of its entries, does not validate."""


class UnknownDatasetError(InputError):
    """A dataset id that is not in the registry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Size(_Strict):
    """Counts as published; each is null when not known for sure."""

    patients: int | None = Field(default=None, ge=0)
    admissions: int | None = Field(default=None, ge=0)
    icu_stays: int | None = Field(default=None, ge=0)
    rows: int | None = Field(default=None, ge=0)
    notes: int | None = Field(default=None, ge=0)
    images: int | None = Field(default=None, ge=0)


class DataUse(_Strict):
    """What a dataset's terms allow. `unknown` is enforced like `forbidden`."""

    third_party_sharing: Permission
    row_level_in_shared_artifacts: Permission
    notes: str | None = None

    @property
    def restricts_sharing(self) -> bool:
        """True unless the terms are known to allow both sharing routes."""
        return not (
            self.third_party_sharing == "allowed"
            and self.row_level_in_shared_artifacts == "allowed"
        )


def _check_relative(path: str) -> str:
    parts = path.rstrip("/").split("/")
    if not path or path.startswith("/") or "\\" in path or ".." in parts:
        raise ValueError(f"{path!r} is not {_PATH_HINT}")
    return path


def _flatten(value: object) -> object:
    """Flatten one level of nesting, so that YAML anchors can share layouts."""
    if not isinstance(value, list):
        return value
    flat: list[object] = []
    for item in value:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


class DatasetEntry(_Strict):
    """One dataset. Fields without a default must be present, even if null."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)
    name: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    version: str | None
    data_type: DataType
    modality: str = Field(min_length=1)
    population: str | None = None
    size: Size = Field(default_factory=Size)
    time_span: str | None = None
    n_sites: int | None = Field(default=None, ge=1)
    access: Access
    access_steps: tuple[str, ...] = Field(min_length=1)
    licence: str | None
    data_use: DataUse
    landing_page: str | None = Field(pattern=r"^https?://\S+$")
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    citation: str | None = None
    loaders: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] = ()
    quirks: tuple[str, ...] = ()
    layout: tuple[str, ...] = ()
    layout_optional: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    checksums: str | None = None

    @field_validator("layout", "layout_optional", "markers", mode="before")
    @classmethod
    def _flatten_lists(cls, value: object) -> object:
        return _flatten(value)

    @field_validator("layout", "layout_optional", "markers")
    @classmethod
    def _relative_paths(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_relative(path) for path in paths)

    @field_validator("checksums")
    @classmethod
    def _relative_checksums(cls, path: str | None) -> str | None:
        return None if path is None else _check_relative(path)

    @field_validator("markers")
    @classmethod
    def _markers_in_layout(cls, markers: tuple[str, ...], info) -> tuple[str, ...]:
        layout = info.data.get("layout", ())
        stray = [marker for marker in markers if marker not in layout]
        if stray:
            raise ValueError(f"markers {stray} are not in layout; add them to layout")
        return markers

    @field_validator("data_use")
    @classmethod
    def _guarded_terms(cls, data_use: DataUse, info) -> DataUse:
        access = info.data.get("access")
        if access in ("credentialed", "restricted") and (
            data_use.third_party_sharing == "allowed"
        ):
            raise ValueError(
                f"third_party_sharing is 'allowed' but access is {access!r}; "
                "use 'forbidden', or 'unknown' if the terms are unclear"
            )
        return data_use


class Registry(_Strict):
    datasets: tuple[DatasetEntry, ...]

    def ids(self) -> list[str]:
        return [entry.id for entry in self.datasets]

    def get(self, dataset_id: str) -> DatasetEntry:
        """The entry for `dataset_id`; UnknownDatasetError suggests near ids."""
        for entry in self.datasets:
            if entry.id == dataset_id:
                return entry
        wanted = dataset_id.strip().lower()
        near = difflib.get_close_matches(wanted, self.ids(), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise UnknownDatasetError(
            f"dataset id {dataset_id!r} is not in the registry{hint} "
            f"(`phibench datasets list` shows all {len(self.datasets)})"
        )

    def select(
        self, *, data_type: str | None = None, access: str | None = None
    ) -> list[DatasetEntry]:
        """Entries of one data type and/or access level (None: any)."""
        _check_choice("data_type", data_type, DATA_TYPES)
        _check_choice("access", access, ACCESS_LEVELS)
        return [
            entry
            for entry in self.datasets
            if data_type in (None, entry.data_type) and access in (None, entry.access)
        ]


def _check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InputError(f"{name} {value!r} is not allowed; use one of {allowed}")


@functools.cache
def load_registry() -> Registry:
    """The registry shipped with phibench, validated (read once per process)."""
    text = (resources.files("phibench.data") / "registry.yaml").read_text("utf-8")
    return parse_registry(text, source=_SOURCE)


def get(dataset_id: str) -> DatasetEntry:
    """The packaged registry's entry for `dataset_id` (see Registry.get)."""
    return load_registry().get(dataset_id)


def parse_registry(
    text: str, *, source: str, benchmark_ids: Iterable[str] | None = None
) -> Registry:
    """Validate registry YAML; RegistryError (one line) on the first problem.

    `benchmark_ids` are the benchmark ids entries may reference; by default the
    packaged benchmark specifications.
    """
    raw_entries = _raw_entries(text, source)
    entries = [_entry(raw, index, source) for index, raw in enumerate(raw_entries)]
    _check_unique(entries, source)
    if benchmark_ids is None:
        from phibench.spec.schema import packaged_ids

        benchmark_ids = packaged_ids()
    _check_references(entries, source, sorted(benchmark_ids))
    return Registry(datasets=tuple(entries))


def _raw_entries(text: str, source: str) -> list[object]:
    data = parse_yaml(text, source=source, error=RegistryError)
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        raise RegistryError(
            f"{source}: the registry must be a YAML mapping with a list under "
            "'datasets'"
        )
    stray = [key for key in data if key != "datasets" and not str(key).startswith("x-")]
    if stray:
        raise RegistryError(
            f"{source}: top-level key {stray[0]!r} is not allowed; use 'datasets', "
            "or a name starting with 'x-' for shared YAML anchors"
        )
    return data["datasets"]


def _entry(raw: object, index: int, source: str) -> DatasetEntry:
    if not isinstance(raw, dict):
        raise RegistryError(
            f"{source}: entry {index + 1} is not a mapping of fields (id, name, ...)"
        )
    label = f"dataset {raw['id']!r}" if "id" in raw else f"entry {index + 1}"
    try:
        return DatasetEntry.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(entry)"
        if first["type"] == "missing":
            problem = " is required; add it (null when the fact is not known)"
        elif first["type"] == "extra_forbidden":
            problem = " is not a registry field; remove or rename it"
        else:
            message = first["msg"].removeprefix("Value error, ")
            problem = f": {message} (got {_short(first.get('input'))})"
        raise RegistryError(f"{source}: {label}: field {field}{problem}") from None


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_unique(entries: list[DatasetEntry], source: str) -> None:
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        if entry.id in first_seen:
            raise RegistryError(
                f"{source}: dataset id {entry.id!r} appears twice (entries "
                f"{first_seen[entry.id]} and {index}); ids must be unique"
            )
        first_seen[entry.id] = index


def _check_references(
    entries: list[DatasetEntry], source: str, benchmark_ids: list[str]
) -> None:
    for entry in entries:
        for loader in entry.loaders:
            if loader not in LOADER_NAMES:
                raise RegistryError(
                    f"{source}: dataset {entry.id!r}: field loaders: {loader!r} is "
                    f"not a phibench loader; use one of {', '.join(LOADER_NAMES)}"
                )
        for benchmark in entry.benchmarks:
            if benchmark not in benchmark_ids:
                raise RegistryError(
                    f"{source}: dataset {entry.id!r}: field benchmarks: "
                    f"{benchmark!r} is not a packaged benchmark; use one of "
                    f"{', '.join(benchmark_ids)}"
                )


def describe(entry: DatasetEntry) -> list[tuple[str, str | tuple[str, ...]]]:
    """(label, text or items) for people: `datasets show` and the README use it."""
    size = ", ".join(
        f"{count:,} {name.replace('_', ' ')}"
        for name, count in entry.size.model_dump().items()
        if count is not None
    )
    use = entry.data_use
    return [
        ("publisher", entry.publisher),
        ("version", entry.version or "—"),
        ("data type", f"{entry.data_type.replace('_', ' ')}: {entry.modality}"),
        ("population", entry.population or "—"),
        ("size", size or "—"),
        ("time span", entry.time_span or "—"),
        ("sites", "—" if entry.n_sites is None else str(entry.n_sites)),
        ("access", entry.access),
        ("access steps", entry.access_steps),
        ("licence", entry.licence or "—"),
        ("third-party sharing", use.third_party_sharing),
        ("row-level data in shared artifacts", use.row_level_in_shared_artifacts),
        ("data-use notes", use.notes or "—"),
        ("landing page", entry.landing_page or "—"),
        ("DOI", entry.doi or "—"),
        ("citation", entry.citation or "—"),
        ("loaders", ", ".join(entry.loaders) or "—"),
        ("benchmarks", ", ".join(entry.benchmarks) or "—"),
        ("quirks", entry.quirks or "—"),
        ("checksum file", entry.checksums or "—"),
        ("files checked", f"{len(entry.layout)}" if entry.layout else "—"),
    ]


def render_markdown(registry: Registry) -> str:
    """datasets/README.md: a summary table, then every entry's fields."""
    lines = [
        "# Datasets known to phibench",
        "",
        "Generated from `src/phibench/data/registry.yaml`; do not edit by hand. "
        "Regenerate with",
        "`uv run python -m phibench.data.registry > datasets/README.md`.",
        "",
        _counts_line(registry),
        "",
        "A dash means that the fact is not recorded because it is not known for "
        "sure; for loaders and benchmarks, that none applies yet.",
        "Data-use flags are enforced by phibench: `forbidden` and `unknown` both mean "
        "that rows and note text never go to a third-party service or into shared "
        "artifacts.",
        "",
        "| id | name | type | access | licence | third-party sharing | loaders |",
        "|---|---|---|---|---|---|---|",
        *[_table_row(entry) for entry in registry.datasets],
        "",
    ]
    for entry in registry.datasets:
        lines += [f"## `{entry.id}`: {entry.name}", ""]
        for label, value in describe(entry):
            if isinstance(value, str):
                lines.append(f"- **{label}**: {value}")
            else:
                lines += [f"- **{label}**:", *[f"  - {item}" for item in value]]
        lines.append("")
    return "\n".join(lines)


def _counts_line(registry: Registry) -> str:
    by_type = ", ".join(
        f"{len(registry.select(data_type=kind))} {kind.replace('_', ' ')}"
        for kind in DATA_TYPES
    )
    by_access = ", ".join(
        f"{len(registry.select(access=level))} {level}" for level in ACCESS_LEVELS
    )
    return f"{len(registry.datasets)} datasets: {by_type}; access: {by_access}."


def _table_row(entry: DatasetEntry) -> str:
    cells = (
        f"`{entry.id}`",
        entry.name,
        entry.data_type.replace("_", " "),
        entry.access,
        entry.licence or "—",
        entry.data_use.third_party_sharing,
        ", ".join(entry.loaders) or "—",
    )
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(load_registry()), end="")
