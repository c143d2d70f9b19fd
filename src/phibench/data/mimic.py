"""Load MIMIC-IV (v2.x layout) into the cohort table, one row per admission.

The event tables are too big to read whole: in v2.2, hosp/labevents holds about
118 million rows and icu/chartevents about 313 million, both as gzip CSV, which
Polars would decompress in memory before filtering. DuckDB scans them instead,
keeping only the needed columns and item ids and joining them to the admission
windows as it streams; only the per-admission result reaches Polars
(docs/decisions/0003-duckdb-for-streaming-loaders.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from phibench.data import cohort, csv_sql
from phibench.data.csv_sql import quote
from phibench.data.mimic_codes import (
    ADMISSION_TYPE_MAP,
    AGE_TOP_CODE,
    COMORBIDITY_CODES,
    COMORBIDITY_PREFIX_LENGTHS,
    FAHRENHEIT_ITEMS,
    FIRST_DAY_HOURS,
    LAB_ITEMS,
    MIMIC_SITE,
    RACE_PREFIXES,
    VITAL_ITEMS,
    comorbidity_code_rows,
)
from phibench.errors import DataLayoutError, InputError

logger = logging.getLogger(__name__)

_COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(("subject_id", "hadm_id", "itemid"), "BIGINT"),
    **dict.fromkeys(("admittime", "dischtime", "charttime"), "TIMESTAMP"),
    **dict.fromkeys(("anchor_age", "anchor_year", "icd_version"), "INTEGER"),
    "hospital_expire_flag": "INTEGER",
    "valuenum": "DOUBLE",
}


@dataclass(frozen=True)
class _Table:
    module: str
    name: str
    columns: tuple[str, ...]  # the columns the loader reads
    required: bool = True


_TABLES = tuple(
    _Table(module, name, tuple(columns.split()), required=name != "chartevents")
    for module, name, columns in (
        (
            "hosp",
            "admissions",
            "subject_id hadm_id admittime dischtime race "
            "admission_type hospital_expire_flag",
        ),
        ("hosp", "patients", "subject_id gender anchor_age anchor_year"),
        ("hosp", "labevents", "subject_id hadm_id itemid charttime valuenum"),
        ("icu", "icustays", "hadm_id"),
        ("hosp", "diagnoses_icd", "hadm_id icd_code icd_version"),
        ("icu", "chartevents", "hadm_id itemid charttime valuenum"),
    )
)
_EXTENSIONS = (".csv.gz", ".csv")
_RELEASE = "MIMIC-IV"


def load_mimic_iv(
    data_dir: Path | str, *, dataset_id: str = "mimic-iv"
) -> pl.DataFrame:
    """Read a MIMIC-IV release folder into the cohort table (cohort.COHORT_SCHEMA).

    `data_dir` is the release root holding `hosp/` and `icu/`, tables as `.csv.gz`
    or `.csv`. `dataset_id` names the data in messages (e.g. "mimic-iv-demo"); the
    `site` column is MIMIC_SITE whatever it is. icu/chartevents is optional; without
    it the vital-sign columns are null. Raises DataLayoutError for a missing folder
    or table and InputError for a missing column or an unreadable value.
    """
    if not isinstance(dataset_id, str) or not dataset_id.strip():
        raise InputError(
            f"dataset_id={dataset_id!r} is not allowed; pass a non-empty name such "
            "as 'mimic-iv'"
        )
    root = _check_root(data_dir)
    paths = _locate_tables(root)
    if paths["chartevents"] is None:
        logger.warning(
            "MIMIC-IV vitals are unavailable: %s/icu/chartevents.csv.gz (or .csv) "
            "is missing, so heart_rate, sbp, resp_rate, temperature and spo2 are "
            "null",
            root,
        )

    frame = _query(root, paths)
    frame = _coarsen(frame)
    _check_admissions(frame, paths["admissions"])
    logger.info(
        "Loaded MIMIC-IV (version %s) from %s: %d admissions of %d patients",
        mimic_version(root) or "unknown",
        root,
        frame.height,
        frame["patient_id"].n_unique(),
    )
    return cohort.conform(frame, source=f"{dataset_id} ({root})")


def mimic_version(data_dir: Path | str) -> str | None:
    """The MIMIC-IV release version of `data_dir`, e.g. "2.2", or None if unknown.

    PhysioNet names release folders by version (`mimiciv/2.2/`,
    `mimic-iv-clinical-database-demo-2.2/`), so the folder name is read first,
    then a "v2.2" / "version 2.2" next to "MIMIC-IV" in README.txt. LICENSE.txt is
    not used: the version it carries is the licence's own.
    """
    return csv_sql.release_version(_check_root(data_dir), product="MIMIC-IV")


def _check_root(data_dir: Path | str) -> Path:
    return csv_sql.release_root(
        data_dir, expected="the MIMIC-IV root folder that holds hosp/ and icu/"
    )


def _locate_tables(root: Path) -> dict[str, Path | None]:
    """Find each table as .csv.gz or .csv; a missing required table is an error."""
    paths: dict[str, Path | None] = {}
    for table in _TABLES:
        stem = root / table.module / table.name
        candidates = [stem.with_name(stem.name + ext) for ext in _EXTENSIONS]
        existing = [path for path in candidates if path.is_file()]
        if not existing and table.required:
            raise DataLayoutError(
                f"MIMIC-IV table {table.module}/{table.name} not found: expected "
                f"{stem}.csv.gz or {stem}.csv; data_dir must be the MIMIC-IV root "
                "folder with the hosp/ and icu/ modules"
            )
        paths[table.name] = existing[0] if existing else None
    return paths


def _query(root: Path, paths: dict[str, Path | None]) -> pl.DataFrame:
    """Run the cohort query in a fresh DuckDB session with a view per table."""
    sql = _cohort_sql(with_vitals=paths["chartevents"] is not None)
    with csv_sql.session(root, release=_RELEASE) as connection:
        for table in _TABLES:
            if paths[table.name] is not None:
                connection.execute(_view_sql(table, paths[table.name]))
        return pl.DataFrame(connection.sql(sql))


def _view_sql(table: _Table, path: Path) -> str:
    """A view over the CSV file with explicit types; the dialect is not sniffed."""
    header = csv_sql.read_header(path, release=_RELEASE)
    missing = [name for name in table.columns if name not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; MIMIC-IV "
            f"{table.name} must have {', '.join(table.columns)} in its header row"
        )
    types = {name: _COLUMN_TYPES.get(name, "VARCHAR") for name in header}
    return (
        f"CREATE VIEW {table.name} AS SELECT * FROM {csv_sql.read_csv_sql(path, types)}"
    )


def _first_day_sql(view: str, items: dict[str, tuple[int, ...]], *, by: str) -> str:
    """Per admission and column, the first non-null value in the first-day window.

    `by` is the join condition between an event row `e` and an admission `a`. Ties
    at the same charttime go to the lower value, so the result does not depend on
    file order or thread scheduling.
    """
    pairs = ", ".join(f"({i}, {quote(c)})" for c, ids in items.items() for i in ids)
    item_ids = ", ".join(str(i) for ids in items.values() for i in ids)
    fahrenheit = ", ".join(str(i) for i in FAHRENHEIT_ITEMS)
    value = f"""CASE WHEN e.itemid IN ({fahrenheit}) THEN (e.valuenum - 32) * 5 / 9
                ELSE e.valuenum END"""
    pivot = ", ".join(f"max(v) FILTER (WHERE c = {quote(c)}) AS {c}" for c in items)
    return f"""
        SELECT hadm_id, {pivot} FROM (
            SELECT a.hadm_id, m.c, arg_min({value}, (e.charttime, {value})) AS v
            FROM {view} AS e
            JOIN (VALUES {pairs}) AS m(itemid, c) ON e.itemid = m.itemid
            JOIN adm AS a ON {by} AND e.charttime BETWEEN a.admittime
                AND a.admittime + INTERVAL {FIRST_DAY_HOURS} HOUR
            WHERE e.itemid IN ({item_ids}) AND e.valuenum IS NOT NULL
            GROUP BY a.hadm_id, m.c
        ) GROUP BY hadm_id"""


def _comorbidity_sql() -> str:
    """Flags per admission, by joining every 3-to-5 character code prefix."""
    rows, lengths = comorbidity_code_rows(), COMORBIDITY_PREFIX_LENGTHS
    flags = ", ".join(f"bool_or(c.flag = {quote(f)}) AS {f}" for f in COMORBIDITY_CODES)
    return f"""
        SELECT d.hadm_id, {flags}
        FROM (SELECT hadm_id, icd_version, left(upper(trim(icd_code)), n) AS prefix
              FROM diagnoses_icd, (VALUES {", ".join(f"({n})" for n in lengths)}) k(n)
              WHERE length(trim(icd_code)) >= n) AS d
        JOIN (VALUES {rows}) AS c(flag, icd_version, prefix)
            ON d.icd_version = c.icd_version AND d.prefix = c.prefix
        GROUP BY d.hadm_id"""


def _cohort_sql(*, with_vitals: bool) -> str:
    if with_vitals:
        by_admission = "e.hadm_id = a.hadm_id"
        vitals_sql = _first_day_sql("chartevents", VITAL_ITEMS, by=by_admission)
        vitals_cte = f", vitals AS ({vitals_sql})"
        vitals = ", ".join(f"v.{c} AS {c}" for c in cohort.VITAL_COLUMNS)
        vitals_join = "LEFT JOIN vitals AS v ON v.hadm_id = a.hadm_id"
    else:
        vitals_cte, vitals_join = "", ""
        vitals = ", ".join(f"NULL::DOUBLE AS {c}" for c in cohort.VITAL_COLUMNS)
    # labevents rows from outpatient or pre-admission draws lack hadm_id; they are
    # matched to the subject's admission whose first day they fall in.
    by_subject = "e.subject_id = a.subject_id AND coalesce(e.hadm_id = a.hadm_id, true)"
    labs_sql = _first_day_sql("labevents", LAB_ITEMS, by=by_subject)
    labs = ", ".join(f"l.{c} AS {c}" for c in cohort.LAB_COLUMNS)
    flags = ", ".join(
        f"coalesce(f.{c}, false) AS {c}" for c in cohort.COMORBIDITY_COLUMNS
    )
    return f"""
        WITH adm AS (
            SELECT a.*, p.gender,
                p.anchor_age + year(a.admittime) - p.anchor_year AS age_at_admit
            FROM admissions AS a LEFT JOIN patients AS p USING (subject_id)),
        labs AS ({labs_sql}),
        icu AS (SELECT DISTINCT hadm_id FROM icustays WHERE hadm_id IS NOT NULL),
        flags AS ({_comorbidity_sql()}) {vitals_cte}
        SELECT a.subject_id AS patient_id, a.hadm_id AS admission_id,
            a.admittime AS admit_time,
            -- not least(): it skips nulls, and a missing age must stay null
            CASE WHEN a.age_at_admit > {AGE_TOP_CODE} THEN {AGE_TOP_CODE}
                ELSE a.age_at_admit END AS age,
            a.gender AS sex, a.race, a.admission_type,
            date_diff('second', a.admittime, a.dischtime) / 86400.0 AS los_days,
            i.hadm_id IS NOT NULL AS icu_stay,
            a.hospital_expire_flag = 1 AS died_in_hospital,
            {vitals}, {labs}, {flags}
        FROM adm AS a
        LEFT JOIN labs AS l ON l.hadm_id = a.hadm_id
        LEFT JOIN icu AS i ON i.hadm_id = a.hadm_id
        LEFT JOIN flags AS f ON f.hadm_id = a.hadm_id
        {vitals_join}
        ORDER BY patient_id, admit_time, admission_id"""


def _coarsen(frame: pl.DataFrame) -> pl.DataFrame:
    """Map MIMIC-IV race and admission_type strings onto the cohort categories."""
    race = pl.when(pl.col("race").is_null()).then(pl.lit("UNKNOWN"))
    for prefix, group in RACE_PREFIXES:
        race = race.when(pl.col("race").str.starts_with(prefix)).then(pl.lit(group))
    return frame.with_columns(
        site=pl.lit(MIMIC_SITE),
        race=race.otherwise(pl.lit("OTHER")),
        admission_type=pl.col("admission_type").replace_strict(
            ADMISSION_TYPE_MAP, default=None, return_dtype=pl.String
        ),
    )


#: Why a column that cohort.NON_NULL_COLUMNS promises could come out null.
_NULL_CAUSES = {
    "age": "no hosp/patients row with anchor_age and anchor_year for the subject",
    "admission_type": "admission_type empty or not one of "
    + ", ".join(ADMISSION_TYPE_MAP),
    "los_days": "admittime or dischtime empty",
    "died_in_hospital": "hospital_expire_flag empty",
}


def _check_admissions(frame: pl.DataFrame, path: Path | None) -> None:
    """Enforce one row per hadm_id and the cohort's non-null columns."""
    duplicated = frame["admission_id"].is_duplicated().sum()
    if duplicated:
        raise InputError(
            f"{path}: {duplicated} rows share an hadm_id; MIMIC-IV admissions must "
            "have one row per hadm_id (was the file concatenated twice?)"
        )
    cohort.require_non_null(
        frame, source=path, rows="admissions", each="admission", causes=_NULL_CAUSES
    )

    negative = frame.filter(pl.col("los_days") < 0).height
    if negative:
        logger.warning(
            "%d MIMIC-IV admissions end before they start (dischtime < admittime); "
            "their los_days is negative",
            negative,
        )
