"""Load eICU-CRD (v2.x layout) into the cohort table, one row per hospital stay.

eICU records ICU unit stays (patientunitstayid) inside hospital stays
(patienthealthsystemstayid). The cohort has one row per hospital stay, as the
MIMIC-IV loader has one per hospital admission; unit-level fields come from the
first unit stay of the hospital stay. eICU has no dates, only the discharge year
and minute offsets from each unit admission, so admit_time is synthetic and only
orders stays. Column-by-column mapping and caveats: docs/data/crosswalk.md.

lab (about 39 million rows in v2.0) and vitalPeriodic (about 146 million) are
scanned by DuckDB as they stream, as in the MIMIC-IV loader
(docs/decisions/0003-duckdb-for-streaming-loaders.md); only per-stay results and
the patient table (one row per unit stay) reach Polars.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from phibench.data import cohort, csv_sql
from phibench.data import eicu_codes as codes
from phibench.data.csv_sql import identifier, quote
from phibench.data.mimic_codes import (
    COMORBIDITY_PREFIX_LENGTHS,
    comorbidity_code_rows,
)
from phibench.errors import DataLayoutError, InputError

logger = logging.getLogger(__name__)


#: eICU table (file name stem) -> (columns read, lower case; what the cohort lacks
#: without the file). Only patient is required.
_TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "patient": (codes.PATIENT_COLUMNS, "required"),
    "hospital": (("hospitalid",), "sites are not checked against it"),
    "apachePredVar": (
        ("patientunitstayid", "electivesurgery"),
        "no stay can be typed ELECTIVE",
    ),
    "diagnosis": (
        ("patientunitstayid", "icd9code"),
        "comorbidity flags come from pastHistory alone",
    ),
    "pastHistory": (
        ("patientunitstayid", "pasthistorypath"),
        "comorbidity flags come from diagnosis codes alone",
    ),
    "lab": (
        ("patientunitstayid", "labresultoffset", "labname", "labresult"),
        "creatinine, lactate, hemoglobin and wbc are null",
    ),
    "vitalPeriodic": (
        (
            *("patientunitstayid", "observationoffset", "heartrate"),
            *("systemicsystolic", "respiration", "temperature", "sao2"),
        ),
        "heart_rate, resp_rate, temperature and spo2 are null and sbp has "
        "non-invasive readings only",
    ),
    "vitalAperiodic": (
        ("patientunitstayid", "observationoffset", "noninvasivesystolic"),
        "sbp has arterial-line readings only",
    ),
}
_EXTENSIONS = (".csv.gz", ".csv")
_RELEASE = "eICU-CRD"
#: DuckDB type of the columns read; the others stay VARCHAR (age is text in eICU).
_COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(("patientunitstayid", "patienthealthsystemstayid"), "BIGINT"),
    "hospitalid": "BIGINT",
    **dict.fromkeys(("hospitaladmitoffset", "hospitaldischargeoffset"), "INTEGER"),
    **dict.fromkeys(("hospitaldischargeyear", "unitvisitnumber"), "INTEGER"),
    **dict.fromkeys(("labresultoffset", "observationoffset"), "INTEGER"),
    "electivesurgery": "INTEGER",
    "labresult": "DOUBLE",
    **{name: "DOUBLE" for s in codes.VITAL_SOURCES.values() for _, name in s},
}
#: Stated together when both tables of a pair are missing.
_JOINT_CONSEQUENCES = {
    ("vitalPeriodic", "vitalAperiodic"): "all five vital signs are null",
    ("diagnosis", "pastHistory"): "the comorbidity flags are null",
}


def load_eicu(data_dir: Path | str, *, dataset_id: str = "eicu-crd") -> pl.DataFrame:
    """Read an eICU-CRD release folder into the cohort table (cohort.COHORT_SCHEMA).

    `data_dir` holds the tables as `.csv.gz` or `.csv`, file names and header names
    in any capitalisation. Only `patient` is required; without `lab`,
    `vitalPeriodic` or the other tables read, the columns they feed are null and
    one warning names the missing files. Hospital stays lacking a value the cohort
    requires (age, discharge status, offsets) are dropped and counted in a
    warning. Raises DataLayoutError for a missing folder or patient table and
    InputError for a missing column or an unreadable value.
    """
    if not isinstance(dataset_id, str) or not dataset_id.strip():
        raise InputError(
            f"dataset_id={dataset_id!r} is not allowed; pass a non-empty name such "
            "as 'eicu-crd'"
        )
    root = _check_root(data_dir)
    paths = _locate_tables(root)
    _warn_missing(root, paths)

    with _connect(root, paths) as connection:
        units = pl.DataFrame(connection.sql(_units_sql(paths)))
        stays = codes.hospital_stays(units, source=paths["patient"])
        events = pl.DataFrame(connection.sql(_events_sql(paths)))
        hospital_ids = None
        if paths["hospital"] is not None:
            rows = connection.sql("SELECT DISTINCT hospitalid FROM hospital").fetchall()
            hospital_ids = {str(row[0]) for row in rows}

    frame = stays.join(events, on="admission_id", how="left")
    _check_stays(frame, paths["patient"], hospital_ids)
    logger.info(
        "Loaded eICU-CRD (version %s) from %s: %d hospital stays of %d patients at "
        "%d sites, from %d unit stays",
        eicu_version(root) or "unknown",
        root,
        frame.height,
        frame["patient_id"].n_unique(),
        frame["site"].n_unique(),
        units.height,
    )
    frame = frame.sort("patient_id", "admit_time", "admission_id")
    return cohort.conform(frame, source=f"{dataset_id} ({root})")


def eicu_version(data_dir: Path | str) -> str | None:
    """The eICU-CRD release version of `data_dir`, e.g. "2.0", or None if unknown.

    Read from the folder name as PhysioNet names releases (`eicu-crd/2.0/`,
    `eicu-crd-demo-2.0.1/`), else from a "v2.0" / "version 2.0" next to "eICU" in
    README.txt or README.md.
    """
    return csv_sql.release_version(_check_root(data_dir), product="eICU")


def _check_root(data_dir: Path | str) -> Path:
    return csv_sql.release_root(
        data_dir, expected="the eICU-CRD folder that holds patient.csv.gz"
    )


def _locate_tables(root: Path) -> dict[str, Path | None]:
    """Each table's file, matching file names case-insensitively; .csv.gz first."""
    files = {path.name.lower(): path for path in root.iterdir() if path.is_file()}
    paths: dict[str, Path | None] = {}
    for name in _TABLES:
        found = [files.get(f"{name}{ext}".lower()) for ext in _EXTENSIONS]
        paths[name] = next((path for path in found if path is not None), None)
    if paths["patient"] is None:
        raise DataLayoutError(
            f"eICU table patient not found: expected {root / 'patient.csv.gz'} or "
            f"{root / 'patient.csv'}; data_dir must be the eICU-CRD folder with "
            "patient, hospital, lab, vitalPeriodic and the other tables"
        )
    return paths


def _warn_missing(root: Path, paths: dict[str, Path | None]) -> None:
    missing = [name for name, path in paths.items() if path is None]
    consequences: dict[str, str] = {}
    for pair, joint in _JOINT_CONSEQUENCES.items():
        if set(pair) <= set(missing):
            consequences[" and ".join(f"{name}.csv.gz" for name in pair)] = joint
            missing = [name for name in missing if name not in pair]
    for name in missing:
        consequences[f"{name}.csv.gz"] = _TABLES[name][1]
    if consequences:
        logger.warning(
            "eICU tables missing from %s (looked for .csv.gz and .csv): %s",
            root,
            "; ".join(f"{files}, so {what}" for files, what in consequences.items()),
        )


@contextmanager
def _connect(
    root: Path, paths: dict[str, Path | None]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh DuckDB session with a view per table and the stay clock."""
    with csv_sql.session(root, release=_RELEASE) as connection:
        for name, path in paths.items():
            if path is not None:
                connection.execute(_view_sql(name, path))
        for statement in _CLOCK_SQL:
            connection.execute(statement)
        yield connection


def _view_sql(name: str, path: Path) -> str:
    """A view with the needed columns, typed, under lower-case names."""
    wanted = _TABLES[name][0]
    header = csv_sql.read_header(path, release=_RELEASE)
    by_lower: dict[str, list[str]] = {}
    for column in header:
        by_lower.setdefault(column.strip().lower(), []).append(column)
    missing = [column for column in wanted if column not in by_lower]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; eICU {name} must "
            f"have {', '.join(wanted)} in its header row (any capitalisation)"
        )
    twice = [column for column in wanted if len(by_lower[column]) > 1]
    if twice:
        raise InputError(
            f"{path}: column(s) {', '.join(twice)} appear more than once when "
            "capitalisation is ignored; keep one of each"
        )

    types = {column: _column_type(column, wanted) for column in header}
    select = ", ".join(f"{identifier(by_lower[c][0])} AS {c}" for c in wanted)
    return (
        f"CREATE VIEW {name.lower()} AS SELECT {select} "
        f"FROM {csv_sql.read_csv_sql(path, types)}"
    )


def _column_type(column: str, wanted: tuple[str, ...]) -> str:
    # Columns not read stay VARCHAR: DuckDB never converts them, so a stray value
    # there cannot fail the load.
    lower = column.strip().lower()
    return _COLUMN_TYPES.get(lower, "VARCHAR") if lower in wanted else "VARCHAR"


#: Every unit stay on the clock of its hospital stay. hospitaladmitoffset is the
#: hospital admission in minutes relative to the unit admission (negative when
#: earlier), so the first unit stay has the largest one; ties go to the lower
#: unitvisitnumber, then patientunitstayid. `shift` moves a unit stay's offsets
#: onto minutes after the first unit admission.
_CLOCK_SQL = (
    """CREATE TEMP TABLE units AS
    SELECT patientunitstayid, patienthealthsystemstayid AS stay_id,
        -hospitaladmitoffset AS unit_start,
        row_number() OVER (PARTITION BY patienthealthsystemstayid ORDER BY
            hospitaladmitoffset DESC NULLS LAST, unitvisitnumber NULLS LAST,
            patientunitstayid) AS unit_rank
    FROM patient""",
    """CREATE TEMP TABLE clock AS
    SELECT u.patientunitstayid, u.stay_id, u.unit_start - f.unit_start AS shift
    FROM units AS u JOIN units AS f ON f.stay_id = u.stay_id AND f.unit_rank = 1""",
)


def _units_sql(paths: dict[str, Path | None]) -> str:
    """The patient table with each unit stay's rank and elective-surgery flag."""
    elective = "NULL::INTEGER AS electivesurgery"
    join = ""
    if paths["apachePredVar"] is not None:
        elective = "e.electivesurgery"
        join = """LEFT JOIN (SELECT patientunitstayid,
            max(electivesurgery) AS electivesurgery FROM apachepredvar
            GROUP BY patientunitstayid) AS e USING (patientunitstayid)"""
    return f"""SELECT p.*, u.unit_rank, {elective}
        FROM patient AS p JOIN units AS u USING (patientunitstayid) {join}"""


def _first_values_sql(
    table: str, offset: str, outputs: dict[str, tuple[str, str]], where: str = "TRUE"
) -> str:
    """Per hospital stay, the first (time, value) of each output in the first day.

    `outputs` maps a cohort column to a value expression over the event row `e`
    and the condition for the row to count. Ties at the same time go to the lower
    value, so the result does not depend on file order or thread scheduling.
    """
    time = f"e.{offset} + c.shift"
    aggregates = ", ".join(
        f"min({{'t': {time}, 'v': {value}}}) FILTER (WHERE {condition}) AS {column}"
        for column, (value, condition) in outputs.items()
    )
    return f"""SELECT c.stay_id, {aggregates}
        FROM {table} AS e JOIN clock AS c USING (patientunitstayid)
        WHERE {time} BETWEEN 0 AND {codes.FIRST_DAY_MINUTES} AND {where}
        GROUP BY c.stay_id"""


def _event_queries(paths: dict[str, Path | None]) -> list[tuple[str, list[str]]]:
    """First-value queries for the event tables present, with their columns."""
    queries = []
    if paths["lab"] is not None:
        names = {c: ", ".join(map(quote, n)) for c, n in codes.LAB_NAMES.items()}
        outputs = {c: ("e.labresult", f"e.labname IN ({names[c]})") for c in names}
        where = (
            f"e.labresult IS NOT NULL AND e.labname IN ({', '.join(names.values())})"
        )
        sql = _first_values_sql("lab", "labresultoffset", outputs, where)
        queries.append((sql, list(outputs)))
    for table in ("vitalPeriodic", "vitalAperiodic"):
        if paths[table] is not None:
            outputs = {
                column: (f"e.{name}", f"e.{name} IS NOT NULL")
                for column, sources in codes.VITAL_SOURCES.items()
                for source, name in sources
                if source == table
            }
            sql = _first_values_sql(table.lower(), "observationoffset", outputs)
            queries.append((sql, list(outputs)))
    return queries


def _diagnosis_flags_sql() -> str:
    """(stay_id, flag) for every diagnosis code that starts with a flag's prefix."""
    rows, lengths = comorbidity_code_rows(), COMORBIDITY_PREFIX_LENGTHS
    return f"""
        SELECT d.stay_id, m.flag FROM (
            SELECT stay_id, icd_version, left(code, k.n) AS prefix FROM (
                SELECT c.stay_id, replace(t.token, '.', '') AS code,
                    CASE WHEN regexp_full_match(t.token, {quote(codes.ICD9_PATTERN)})
                        THEN 9
                    WHEN regexp_full_match(t.token, {quote(codes.ICD10_PATTERN)})
                        THEN 10 END AS icd_version
                FROM (SELECT patientunitstayid, upper(trim(token)) AS token FROM (
                    SELECT patientunitstayid,
                        unnest(string_split(icd9code, ',')) AS token
                    FROM diagnosis WHERE icd9code IS NOT NULL)) AS t
                JOIN clock AS c USING (patientunitstayid)),
            (VALUES {", ".join(f"({n})" for n in lengths)}) AS k(n)
            WHERE length(code) >= k.n) AS d
        JOIN (VALUES {rows}) AS m(flag, icd_version, prefix)
            ON d.icd_version = m.icd_version AND d.prefix = m.prefix"""


def _past_history_flags_sql() -> str:
    rows = ", ".join(
        f"({quote(flag)}, {quote(fragment)})"
        for flag, fragments in codes.PAST_HISTORY_PATHS.items()
        for fragment in fragments
    )
    return f"""
        SELECT c.stay_id, m.flag
        FROM pasthistory AS h JOIN clock AS c USING (patientunitstayid)
        JOIN (VALUES {rows}) AS m(flag, fragment)
            ON contains(lower(h.pasthistorypath), m.fragment)"""


def _events_sql(paths: dict[str, Path | None]) -> str:
    """Per hospital stay: first-day vitals and labs, and comorbidity flags."""
    queries = _event_queries(paths)
    produced = {column for _, columns in queries for column in columns}
    values = ", ".join(
        f"v.{c}.v AS {c}" if c in produced else f"NULL::DOUBLE AS {c}"
        for c in cohort.VITAL_COLUMNS + cohort.LAB_COLUMNS
    )
    flag_parts = []
    if paths["diagnosis"] is not None:
        flag_parts.append(_diagnosis_flags_sql())
    if paths["pastHistory"] is not None:
        flag_parts.append(_past_history_flags_sql())
    flags = ", ".join(
        f"coalesce(f.{c}, false) AS {c}" if flag_parts else f"NULL::BOOLEAN AS {c}"
        for c in cohort.COMORBIDITY_COLUMNS
    )

    joins = ""
    if queries:
        minima = ", ".join(f"min({c}) AS {c}" for c in sorted(produced))
        union = " UNION ALL BY NAME ".join(f"({sql})" for sql, _ in queries)
        joins += f"""LEFT JOIN (SELECT stay_id, {minima} FROM ({union})
            GROUP BY stay_id) AS v USING (stay_id) """
    if flag_parts:
        any_flag = ", ".join(
            f"bool_or(flag = {quote(c)}) AS {c}" for c in cohort.COMORBIDITY_COLUMNS
        )
        union = " UNION ALL ".join(flag_parts)
        joins += f"""LEFT JOIN (SELECT stay_id, {any_flag} FROM ({union})
            GROUP BY stay_id) AS f USING (stay_id)"""
    return f"""SELECT s.stay_id AS admission_id, {values}, {flags}
        FROM (SELECT stay_id FROM units WHERE unit_rank = 1) AS s {joins}"""


#: Why a column that cohort.NON_NULL_COLUMNS promises could still be null.
_NULL_CAUSES = {
    "site": "hospitalid empty",
    "admit_time": "hospitaldischargeyear empty",
}


def _check_stays(
    frame: pl.DataFrame, path: Path | None, hospital_ids: set[str] | None
) -> None:
    """Enforce the cohort's non-null columns; warn of sites unknown to hospital."""
    cohort.require_non_null(
        frame, source=path, rows="hospital stays", each="stay", causes=_NULL_CAUSES
    )
    if hospital_ids is not None:
        unknown = frame.filter(~pl.col("site").is_in(list(hospital_ids))).height
        if unknown:
            logger.warning(
                "%d eICU hospital stays have a hospitalid that the hospital table "
                "lacks; their site is kept as is",
                unknown,
            )
