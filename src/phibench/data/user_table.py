"""Load a user's own table (`--dataset csv:PATH`) into the cohort table.

PATH is a CSV (`.csv`, `.csv.gz`) or Parquet (`.parquet`) file with one row per
admission. Beside it, `PATH.roles.yaml` says which column plays which part: the
patient id, the outcome, the cohort columns the table provides, constants for
those it lacks, the quasi-identifiers and the public bounds
(docs/data/user-tables.md). Everything is checked here, once, and a problem is
reported as one line naming the roles file or table, the key, the value received
and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    create_model,
    field_validator,
)

from phibench.data import cohort
from phibench.errors import InputError
from phibench.yaml_input import parse_yaml

logger = logging.getLogger(__name__)

#: The roles file of `csv:PATH` is PATH with this suffix added.
ROLES_SUFFIX = ".roles.yaml"
#: `site` of every row when the roles file names neither a column nor a constant.
DEFAULT_SITE = "user-site"
#: Cohort columns set by top-level roles rather than under `columns:`.
ROLE_COLUMNS = {
    "patient_id": "patient_id",
    "admission_id": "admission_id",
    "site": "site",
    "outcome": "died_in_hospital",
}
_MAPPABLE = tuple(c for c in cohort.COHORT_SCHEMA if c not in ROLE_COLUMNS.values())
_TABLE_KINDS = {".csv": "CSV", ".csv.gz": "CSV", ".parquet": "Parquet"}
_CATEGORIES = {
    "sex": ("F", "M"),
    "race": cohort.RACE_GROUPS,
    "admission_type": cohort.ADMISSION_TYPES,
}

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Column = Annotated[StrictStr, Field(min_length=1)]


def _default_type(name: str) -> Any:
    """The YAML type of a constant for cohort column `name`."""
    if name in _CATEGORIES:
        return Literal[_CATEGORIES[name]]
    dtype = cohort.COHORT_SCHEMA[name]
    if dtype == pl.Boolean():
        return StrictBool
    if dtype == pl.Float64():
        return Number
    return dt.datetime if name == "admit_time" else Column


_FORBID = ConfigDict(extra="forbid")
ColumnsRoles = create_model(
    "ColumnsRoles", __config__=_FORBID, **{c: (Column | None, None) for c in _MAPPABLE}
)
DefaultsRoles = create_model(
    "DefaultsRoles",
    __config__=_FORBID,
    **{c: (_default_type(c) | None, None) for c in ("site", *_MAPPABLE)},
)


class RolesFile(BaseModel):
    """The parsed roles file; column names are the user's, not the cohort's."""

    model_config = _FORBID

    patient_id: Column
    outcome: Column
    admission_id: Column | None = None
    site: Column | None = None
    columns: ColumnsRoles = Field(default_factory=ColumnsRoles)
    defaults: DefaultsRoles = Field(default_factory=DefaultsRoles)
    quasi_identifiers: list[Column] = Field(default_factory=list)
    bounds: dict[str, tuple[Number, Number]] = Field(default_factory=dict)
    data_use: Literal["restricted", "open"] = "restricted"

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, bounds: dict[str, tuple[float, float]]) -> dict:
        for name, (low, high) in bounds.items():
            if low >= high:
                raise ValueError(
                    f"lower bound {low} of {name!r} must be below its upper bound "
                    f"{high}; write [lower, upper]"
                )
        return bounds

    @field_validator("quasi_identifiers")
    @classmethod
    def _unique(cls, names: list[str]) -> list[str]:
        if len(set(names)) < len(names):
            raise ValueError("a column is listed twice; list each column once")
        return names

    def mapping(self) -> dict[str, str]:
        """Cohort column -> the user's column, for every column the table feeds."""
        mapped = {c: getattr(self, role) for role, c in ROLE_COLUMNS.items()}
        mapped |= self.columns.model_dump()
        return {c: user for c, user in mapped.items() if user is not None}


@dataclass(frozen=True)
class UserRoles:
    """What benchmarks need from the roles file, in cohort column names."""

    table: Path
    roles_file: Path
    quasi_identifiers: tuple[str, ...]
    bounds: dict[str, tuple[float, float]]
    data_use: str  # "restricted" (the default) or "open"
    constants: tuple[str, ...]  # cohort columns filled from `defaults:`
    roles: RolesFile


@dataclass(frozen=True)
class UserTable:
    cohort: pl.DataFrame
    roles: UserRoles


def load_user_table(spec: str) -> pl.DataFrame:
    """The cohort table of `spec` ("csv:PATH"); see read_user_table."""
    return read_user_table(spec).cohort


def read_user_table(spec: str) -> UserTable:
    """Read "csv:PATH" and its roles file PATH.roles.yaml into a cohort table.

    Returns the cohort (cohort.COHORT_SCHEMA) with the roles in cohort terms.
    Raises InputError for a bad spec, a missing or invalid roles file, an
    unreadable or empty table, or a column whose values do not fit its role.
    """
    path = _table_path(spec)
    roles_path = path.with_name(path.name + ROLES_SUFFIX)
    if not roles_path.is_file():
        raise InputError(
            f"{spec}: roles file {roles_path} not found; write it next to the table "
            "to name the patient id and outcome columns (see docs/data/user-tables.md)"
        )
    roles = read_roles(roles_path)
    table = _read_table(path)
    user_roles = _check_columns(roles, table, roles_path, path)

    frame = _to_cohort(table, roles, roles_path, path)
    logger.info(
        "Loaded user table %s: %d rows of %d patients; constants for %d columns",
        path,
        frame.height,
        frame["patient_id"].n_unique(),
        len(user_roles.constants),
    )
    return UserTable(cohort.conform(frame, source=spec), user_roles)


def read_roles(roles_path: Path) -> RolesFile:
    """Parse and validate a roles file; InputError names the key and the fix."""
    try:
        text = roles_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{roles_path}: cannot read ({error})") from None
    content = parse_yaml(
        text,
        source=str(roles_path),
        hint="; write `key: value` lines as in docs/data/user-tables.md",
    )
    if not isinstance(content, dict):
        raise InputError(
            f"{roles_path}: the roles file must be a mapping of keys such as "
            "patient_id: and outcome:, got "
            f"{'an empty file' if content is None else type(content).__name__}"
        )
    try:
        return RolesFile.model_validate(content)
    except ValidationError as error:
        raise InputError(f"{roles_path}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    """The first validation problem as one phrase with the allowed values.

    Unknown keys come first: a misspelt key also makes its correct spelling
    missing, and the misspelling is the thing to fix.
    """
    problems = sorted(error.errors(), key=lambda p: p["type"] != "extra_forbidden")
    first, more = problems[0], len(problems) - 1
    loc = [str(part) for part in first["loc"]]
    key = ".".join(loc)
    if first["type"] == "extra_forbidden":
        model = RolesFile.model_fields[loc[0]].annotation if len(loc) > 1 else RolesFile
        allowed = list(model.model_fields)
        near = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        text = f"unknown key {key!r} (allowed: {', '.join(allowed)}){hint}"
    elif first["type"] == "missing" and len(loc) == 1:
        text = f"required key {key!r} is missing; name the column that holds it"
    elif first["type"] == "value_error":
        text = f"{key}: {first['msg'].removeprefix('Value error, ')}"
    else:
        text = f"{key}: {first['msg']}, got {first['input']!r}"
    return text + (f" (and {more} more)" if more else "")


def _table_path(spec: str) -> Path:
    if not isinstance(spec, str) or not spec.startswith("csv:") or spec == "csv:":
        raise InputError(
            f"--dataset {spec!r} is not a user table; write csv:PATH with PATH a "
            ".csv, .csv.gz or .parquet file"
        )
    path = Path(spec.removeprefix("csv:")).expanduser()
    if not any(path.name.lower().endswith(ext) for ext in _TABLE_KINDS):
        raise InputError(
            f"{spec}: {path.name!r} is not a .csv, .csv.gz or .parquet file; export "
            "the table in one of those formats"
        )
    if not path.is_file():
        raise InputError(f"{spec}: no file at {path}; check the path")
    return path


def _read_table(path: Path) -> pl.DataFrame:
    kind = "Parquet" if path.name.lower().endswith(".parquet") else "CSV"
    try:
        if kind == "Parquet":
            table = pl.read_parquet(path)
        else:
            # Dates stay text here: Polars would guess day-first for 01/02/2020.
            table = pl.read_csv(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as error:
        # `from None`: Polars may quote the offending cell, which is record data.
        raise InputError(
            f"{path}: cannot read the table as {kind} ({type(error).__name__}); "
            "check the file is complete and comma-separated with a header row"
        ) from None
    if table.is_empty():
        raise InputError(
            f"{path}: the table has no rows; export at least one admission"
        )
    return table


def _check_columns(
    roles: RolesFile, table: pl.DataFrame, roles_path: Path, path: Path
) -> UserRoles:
    """Every column the roles file names exists and plays a role it can play."""
    available = ", ".join(table.columns[:30]) + (" ..." if table.width > 30 else "")
    mapping = roles.mapping()
    by_cohort = {c: role for role, c in ROLE_COLUMNS.items()}
    named = [(by_cohort.get(c, f"columns.{c}"), user) for c, user in mapping.items()]
    named += [("quasi_identifiers", user) for user in roles.quasi_identifiers]
    named += [("bounds", user) for user in roles.bounds]
    for key, user in named:
        if user not in table.columns:
            raise InputError(
                f"{roles_path}: {key} column {user!r} is not in the table "
                f"{path.name} (columns: {available})"
            )

    feeds: dict[str, list[str]] = {}
    for cohort_name, user in mapping.items():
        feeds.setdefault(user, []).append(cohort_name)
    quasi = [
        c
        for user in roles.quasi_identifiers
        for c in _fed(feeds, user, "quasi_identifiers", roles_path)
    ]
    bounds: dict[str, tuple[float, float]] = {}
    for user, pair in roles.bounds.items():
        for cohort_name in _fed(feeds, user, "bounds", roles_path):
            if cohort.COHORT_SCHEMA[cohort_name] != pl.Float64():
                raise InputError(
                    f"{roles_path}: bounds column {user!r} feeds {cohort_name}, "
                    "which is not numeric; bounds apply to numeric columns only"
                )
            bounds[cohort_name] = pair

    constants = tuple(
        c for c, v in roles.defaults.model_dump().items() if v is not None
    )
    return UserRoles(
        path, roles_path, tuple(quasi), bounds, roles.data_use, constants, roles
    )


def _fed(
    feeds: dict[str, list[str]], user: str, key: str, roles_path: Path
) -> list[str]:
    """The cohort columns fed by the user's column `user`."""
    if user not in feeds:
        raise InputError(
            f"{roles_path}: {key} column {user!r} is not mapped to a cohort "
            "column; map it under columns: or as a role, or remove it "
            f"(mapped: {', '.join(feeds)})"
        )
    return feeds[user]


def _to_cohort(
    table: pl.DataFrame, roles: RolesFile, roles_path: Path, path: Path
) -> pl.DataFrame:
    mapping = roles.mapping()
    defaults = roles.defaults.model_dump()
    if defaults["site"] is None and "site" not in mapping:
        defaults["site"] = DEFAULT_SITE
    columns: dict[str, pl.Series] = {}
    for name, dtype in cohort.COHORT_SCHEMA.items():
        if name in mapping:
            series = _convert(table[mapping[name]], name, path)
        else:
            series = pl.Series(name, [None] * table.height, dtype=dtype)
        if defaults.get(name) is not None:
            series = series.fill_null(pl.lit(defaults[name], dtype=dtype))
        columns[name] = series.alias(name)

    if "admission_id" not in mapping:
        columns["admission_id"] = pl.Series("admission_id", range(1, table.height + 1))
    frame = pl.DataFrame(columns)
    _check_required(frame, mapping, roles_path, path)
    return frame


def _convert(series: pl.Series, name: str, path: Path) -> pl.Series:
    """The user's column as the cohort column `name`, or InputError."""
    dtype = cohort.COHORT_SCHEMA[name]
    where = f"{path}: column {series.name!r} ({name})"
    if name in ("patient_id", "admission_id"):
        return _identifier(series, where)
    if dtype == pl.Boolean():
        return _boolean(series, where)
    if dtype == pl.Float64():
        return _number(series, where)
    if dtype == pl.Datetime("us"):
        return _timestamp(series, where)

    text = series.cast(pl.String)
    allowed = _CATEGORIES.get(name)
    n_other = 0 if allowed is None else (~text.is_in(allowed)).sum()
    if n_other:
        raise InputError(
            f"{where} must hold one of {', '.join(allowed)} or be empty; {n_other} "
            "rows hold other values, so recode them"
        )
    return text


def _n_lost(before: pl.Series, after: pl.Series) -> int:
    """Rows a conversion turned into null."""
    return after.null_count() - before.null_count()


def _identifier(series: pl.Series, where: str) -> pl.Series:
    """Integers as they are; text numbered 1, 2, ... in sorted order."""
    if series.dtype.is_integer():
        return series.cast(pl.Int64, strict=False)
    if series.dtype == pl.String:
        return series.rank("dense").cast(pl.Int64)
    raise InputError(
        f"{where} must hold whole numbers or text, got {series.dtype}; export the "
        "identifiers as integers or strings"
    )


def _boolean(series: pl.Series, where: str) -> pl.Series:
    if series.dtype == pl.Boolean:
        return series
    if series.dtype.is_integer() and series.drop_nulls().is_in([0, 1]).all():
        return series.cast(pl.Boolean)
    raise InputError(
        f"{where} must hold true/false or 1/0 (empty for unknown), got "
        f"{series.dtype} values outside those; recode the column"
    )


def _number(series: pl.Series, where: str) -> pl.Series:
    if series.dtype.is_numeric():
        return series.cast(pl.Float64)
    converted = series.cast(pl.Float64, strict=False)
    n_lost = _n_lost(series, converted)
    if series.dtype != pl.String or n_lost:
        raise InputError(
            f"{where} must hold numbers, but {n_lost or series.len()} rows hold "
            f"{'text' if series.dtype == pl.String else series.dtype}; leave "
            "missing values empty and remove units or comments from the cells"
        )
    return converted


_ISO_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
)


def _timestamp(series: pl.Series, where: str) -> pl.Series:
    if isinstance(series.dtype, pl.Datetime):
        if series.dtype.time_zone is not None:
            series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return series.cast(pl.Datetime("us"))
    if series.dtype == pl.Date:
        return series.cast(pl.Datetime("us"))
    if series.dtype != pl.String:
        raise InputError(
            f"{where} must hold ISO dates or times such as 2020-01-31 or "
            f"2020-01-31 08:00:00, not {series.dtype} values"
        )
    # ISO 8601 only: 01/02/2020 is 1 February or 2 January depending on the
    # country, and a silent swap would reorder a patient's admissions.
    lost = series.len()  # rows the best-fitting format cannot read
    for pattern in _ISO_FORMATS:
        converted = series.str.strptime(pl.Datetime("us"), pattern, strict=False)
        lost = min(lost, _n_lost(series, converted))
        if lost == 0:
            return converted
    raise InputError(
        f"{where} must hold ISO dates or times such as 2020-01-31 or "
        f"2020-01-31 08:00:00, one format for the whole column; {lost} "
        f"row{'s do' if lost != 1 else ' does'} not"
    )


def _check_required(
    frame: pl.DataFrame, mapping: dict[str, str], roles_path: Path, path: Path
) -> None:
    """The cohort's non-null columns are full, and admission ids are unique."""
    for name in sorted(cohort.NON_NULL_COLUMNS):
        n_null = frame[name].null_count()
        if not n_null:
            continue
        if name not in mapping:
            raise InputError(
                f"{roles_path}: cohort column {name!r} may not be empty and the "
                f"roles file does not provide it; map it under columns: ({name}: "
                f"<your column>) or give a constant under defaults: ({name}: ...)"
            )
        fix = "fill those cells"
        if name in _MAPPABLE:
            fix += f" or give a constant under defaults: in {roles_path.name}"
        raise InputError(
            f"{path}: column {mapping[name]!r} ({name}) is empty in {n_null} rows; "
            f"the cohort requires {name} for every row, so {fix}"
        )
    n_repeated = frame["admission_id"].is_duplicated().sum()
    if n_repeated:
        raise InputError(
            f"{path}: {n_repeated} rows share an admission id in column "
            f"{mapping['admission_id']!r}; each row must be one admission with its "
            "own id, so fix the ids or drop admission_id from the roles file"
        )
