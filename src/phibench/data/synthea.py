"""Load a Synthea CSV export into the cohort table.

Rows. With `encounters.csv` present: one row per encounter whose ENCOUNTERCLASS is
"inpatient" (Synthea's classes are lower case: ambulatory, emergency, hospice,
home, inpatient, outpatient, snf, urgentcare, wellness). Without it (partial
exports such as the 1K sample): one row per patient, logged at INFO.

Columns of an inpatient encounter row:
- patient_id / admission_id: the first 15 hex digits of the patient / encounter
  UUID read as one number (60 bits); a collision is an error, never silent.
- site: the encounter's ORGANIZATION id. admit_time: START (UTC, naive).
- age: completed years between BIRTHDATE and START (no top-coding).
- sex: GENDER F/M, else null. race: ETHNICITY "hispanic" gives HISPANIC, else
  RACE white/black/asian as such, empty UNKNOWN, anything else (native,
  hawaiian, other) OTHER.
- admission_type: how the stay began, from the patient's other encounters in
  progress at START (both ends included): an emergency or urgentcare one gives
  EMERGENCY, any other non-inpatient one (a clinic visit that admits) URGENT, none
  ELECTIVE; an inpatient one means a transfer (e.g. ward to ICU) that keeps the
  type of the stay it continues.
- los_days: STOP - START in days. icu_stay: the encounter CODE is the ICU
  admission (ICU_ENCOUNTER_CODE); Synthea records ICU care no other way.
- died_in_hospital: DEATHDATE (a date) falls on a day from START to STOP.
- vitals and labs: the first value in [START, START + 24 h] of the patient's
  observations with the codes and units of OBSERVATION_CODES (ties: lower value);
  null without observations.csv.
- comorbidities: a condition of COMORBIDITY_CODES active on some day of the stay
  (started by STOP, not ended before START); null without conditions.csv.
Empty START, STOP, ORGANIZATION or unknown PATIENT make the load fail.

A per-patient row describes the patient as of the index date: DEATHDATE, or for
the living the last date in patients.csv and conditions.csv (the end of the data).
admit_time is that date, age is taken then, admission_id = patient_id, site is
SYNTHEA_SITE, admission_type is PATIENT_ROW_ADMISSION_TYPE, los_days 0,
icu_stay false, died_in_hospital means died at all (DEATHDATE present; Synthea
does not say where), comorbidities are any condition ever recorded, and vitals
and labs are null.

Tables are read through DuckDB as in the MIMIC-IV loader
(docs/decisions/0003-duckdb-for-streaming-loaders.md): observations.csv of a large
export holds hundreds of millions of rows; only per-row results reach Polars.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import polars as pl

from phibench.data import cohort, csv_sql
from phibench.data.csv_sql import quote
from phibench.data.synthea_codes import (
    COMORBIDITY_CODES,
    FIRST_DAY_HOURS,
    ICU_ENCOUNTER_CODE,
    OBSERVATION_CODES,
    PATIENT_ROW_ADMISSION_TYPE,
    RACE_MAP,
    SYNTHEA_SITE,
    words,
)
from phibench.errors import DataLayoutError, InputError

logger = logging.getLogger(__name__)


_TIME_FORMATS = "['%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%d']"
_TABLES: dict[str, tuple[str, ...]] = {
    "patients": ("Id", "BIRTHDATE", "DEATHDATE", "GENDER", "RACE", "ETHNICITY"),
    "encounters": words("Id START STOP PATIENT ORGANIZATION ENCOUNTERCLASS CODE"),
    "conditions": ("START", "STOP", "PATIENT", "CODE"),
    "observations": ("DATE", "PATIENT", "CODE", "VALUE", "UNITS"),
}
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_VALUES = cohort.VITAL_COLUMNS + cohort.LAB_COLUMNS


def load_synthea(data_dir: Path | str, *, dataset_id: str = "synthea") -> pl.DataFrame:
    """Read a Synthea CSV export folder into the cohort table.

    Tables may be `.csv` or `.csv.gz`; patients is required, encounters,
    conditions and observations are used when present. `dataset_id` names the data
    in messages. Raises DataLayoutError for a missing folder or patients table and
    InputError for a missing column, an unreadable date or value, or a row that
    cannot fill a column the cohort requires.
    """
    if not isinstance(dataset_id, str) or not dataset_id.strip():
        raise InputError(
            f"dataset_id={dataset_id!r} is not allowed; pass a non-empty name such "
            "as 'synthea'"
        )
    root = csv_sql.release_root(
        data_dir, expected="the Synthea CSV export folder that holds patients.csv"
    )
    paths = _locate_tables(root)
    with csv_sql.session(root, release="Synthea") as connection:
        frame = _build(connection, paths, root)
    return cohort.conform(frame, source=f"{dataset_id} ({root})")


def _build(
    connection: duckdb.DuckDBPyConnection, paths: dict[str, Path | None], root: Path
) -> pl.DataFrame:
    connection.execute(f"CREATE MACRO ts(x) AS try_strptime(x, {_TIME_FORMATS})")
    for name, path in paths.items():
        if path is not None:
            connection.execute(_view_sql(name, path))
    patients = _patients(connection, paths["patients"])

    if paths["encounters"] is None:
        logger.warning(
            "Synthea export in %s has no encounters.csv: the cohort has one row per "
            "patient (as of death or the end of the data), not per admission; "
            "length of stay is 0 and vitals and labs are empty",
            root,
        )
        frame = _per_patient(connection, paths, patients)
    else:
        frame = _per_encounter(connection, paths, patients)
    frame = frame.sort("patient_id", "admit_time", "admission_id")
    if frame.is_empty():
        logger.warning("Synthea export in %s has no inpatient encounters", root)
    logger.info(
        "Loaded Synthea export from %s: %d rows of %d patients at %d sites",
        root,
        frame.height,
        frame["patient_id"].n_unique(),
        frame["site"].n_unique(),
    )
    return frame


def _locate_tables(root: Path) -> dict[str, Path | None]:
    paths: dict[str, Path | None] = {}
    for name in _TABLES:
        found = [root / f"{name}{ext}" for ext in (".csv", ".csv.gz")]
        paths[name] = next((path for path in found if path.is_file()), None)
    if paths["patients"] is None:
        raise DataLayoutError(
            f"Synthea table patients not found: expected {root}/patients.csv or "
            f"{root}/patients.csv.gz; data_dir must be a Synthea CSV export folder"
        )
    return paths


def _view_sql(name: str, path: Path) -> str:
    """A view over the CSV file, every column read as text; the header is checked."""
    header = csv_sql.read_header(path, release="Synthea")
    missing = [column for column in _TABLES[name] if column not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; Synthea {name} must "
            f"have {', '.join(_TABLES[name])} in its header row"
        )
    types = dict.fromkeys(header, "VARCHAR")
    return f"CREATE VIEW {name} AS SELECT * FROM {csv_sql.read_csv_sql(path, types)}"


def _sql_frame(connection: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return pl.DataFrame(connection.sql(sql))


def _bad_dates(
    connection: duckdb.DuckDBPyConnection,
    path: Path | None,
    columns: tuple[str, ...],
    *,
    relation: str,
) -> None:
    """InputError when a non-empty date in `relation` matches neither format."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE {c} IS NOT NULL AND ts({c}) IS NULL) AS {c}"
        for c in columns
    )
    sql = f"SELECT {counts} FROM {relation}"
    for column, n_bad in _sql_frame(connection, sql).row(0, named=True).items():
        if n_bad:
            raise InputError(
                f"{path}: {n_bad} rows have a {column} that is not a date "
                "(expected 2021-08-23T03:26:50Z or 2021-08-23); fix those rows"
            )


def _id_to_int(column: str) -> pl.Expr:
    """The first 15 hex digits of a UUID read as one number (60 bits)."""
    digits = pl.col(column).str.replace_all("-", "").str.slice(0, 15)
    return digits.str.to_integer(base=16, strict=False)


def _check_ids(
    frame: pl.DataFrame, column: str, path: Path | None, target: str
) -> None:
    not_uuid = (~frame[column].str.contains(_UUID)).sum() + frame[column].null_count()
    if not_uuid:
        raise InputError(
            f"{path}: {not_uuid} rows have an Id that is empty or not a UUID "
            f"(8-4-4-4-12 hex digits); {target} is derived from it, so fix the export"
        )
    if frame[column].is_duplicated().any():
        raise InputError(
            f"{path}: {frame[column].is_duplicated().sum()} rows share an Id; "
            "each must appear once (was the file concatenated twice?)"
        )
    if frame[target].n_unique() < frame[column].n_unique():
        raise InputError(
            f"{path}: two Ids share their first 15 hex digits, so {target} "
            "would collide; phibench cannot load this export as it is"
        )


def _patients(connection: duckdb.DuckDBPyConnection, path: Path | None) -> pl.DataFrame:
    """One row per patient with patient_id, dates, sex and race group."""
    _bad_dates(connection, path, ("BIRTHDATE", "DEATHDATE"), relation="patients")
    frame = _sql_frame(
        connection,
        """SELECT Id, ts(BIRTHDATE) AS birth, ts(DEATHDATE) AS death,
            GENDER, lower(RACE) AS race, lower(ETHNICITY) AS ethnicity
        FROM patients""",
    ).with_columns(patient_id=_id_to_int("Id"))
    _check_ids(frame, "Id", path, "patient_id")
    n_no_birth = frame["birth"].null_count()
    if n_no_birth:
        raise InputError(
            f"{path}: {n_no_birth} patients have no BIRTHDATE; the cohort requires "
            "an age for every row, so fix those rows"
        )

    race = pl.when(pl.col("ethnicity") == "hispanic").then(pl.lit("HISPANIC"))
    race = race.when(pl.col("race").is_null()).then(pl.lit("UNKNOWN"))
    return frame.select(
        "Id",
        "patient_id",
        "birth",
        "death",
        sex=pl.when(pl.col("GENDER").is_in(["F", "M"])).then(pl.col("GENDER")),
        race=race.otherwise(pl.col("race").replace_strict(RACE_MAP, default="OTHER")),
    )


def _month_day(column: str) -> pl.Expr:
    return pl.col(column).dt.month().cast(pl.Int32) * 100 + pl.col(column).dt.day()


def _age(birth: str, at: str) -> pl.Expr:
    """Completed years of life at `at`."""
    before_birthday = (_month_day(at) < _month_day(birth)).cast(pl.Int32)
    years = pl.col(at).dt.year() - pl.col(birth).dt.year() - before_birthday
    return years.cast(pl.Float64)


def _inpatient_sql() -> str:
    """Inpatient encounters and how each began: from the encounters in progress at
    its START (both ends included) of the same patient."""
    return f"""
        CREATE TEMP TABLE stays AS
        WITH enc AS (
            SELECT Id, PATIENT, ORGANIZATION, lower(ENCOUNTERCLASS) AS class, CODE,
                ts(START) AS start, ts(STOP) AS stop
            FROM encounters)
        SELECT i.Id, i.PATIENT, i.ORGANIZATION AS site, i.start, i.stop,
            coalesce(i.CODE = '{ICU_ENCOUNTER_CODE}', false) AS icu_stay,
            coalesce(bool_or(o.class IN ('emergency', 'urgentcare')), false)
                AS from_emergency,
            coalesce(bool_or(o.class = 'inpatient'), false) AS transfer,
            count(o.Id) FILTER (WHERE o.class <> 'inpatient') > 0 AS from_visit
        FROM enc AS i
        LEFT JOIN enc AS o ON o.PATIENT = i.PATIENT AND o.Id <> i.Id
            AND o.start <= i.start AND i.start <= o.stop
        WHERE i.class = 'inpatient'
        GROUP BY ALL"""


def _admission_type() -> pl.Expr:
    """EMERGENCY from an emergency or urgent-care visit in progress, URGENT from any
    other visit in progress, else ELECTIVE; a transfer (another inpatient encounter
    in progress) keeps the type of the stay it continues."""
    own = (
        pl.when("from_emergency")
        .then(pl.lit("EMERGENCY"))
        .when("from_visit")
        .then(pl.lit("URGENT"))
        .otherwise(pl.lit("ELECTIVE"))
    )
    inherited = pl.when("transfer").then(None).otherwise(own)
    return inherited.forward_fill().over("PATIENT").fill_null(own)


def _per_encounter(
    connection: duckdb.DuckDBPyConnection,
    paths: dict[str, Path | None],
    patients: pl.DataFrame,
) -> pl.DataFrame:
    path = paths["encounters"]
    _bad_dates(connection, path, ("START", "STOP"), relation="encounters")
    connection.execute(_inpatient_sql())
    stays = _sql_frame(connection, "SELECT * FROM stays ORDER BY PATIENT, start, Id")
    stays = stays.with_columns(admission_id=_id_to_int("Id"))
    _check_ids(stays, "Id", path, "admission_id")

    frame = stays.join(
        patients, left_on="PATIENT", right_on="Id", how="left", maintain_order="left"
    )
    frame = frame.with_columns(
        admit_time=pl.col("start"),
        age=_age("birth", "start"),
        admission_type=_admission_type(),
        los_days=(pl.col("stop") - pl.col("start")).dt.total_seconds() / 86400,
        died_in_hospital=pl.col("death").is_not_null()
        & pl.col("death")
        .dt.date()
        .is_between(pl.col("start").dt.date(), pl.col("stop").dt.date()),
    )
    _check_rows(frame, path)

    values = _first_day_values(connection, paths["observations"])
    frame = frame.join(values, on="Id", how="left")
    condition_window = """c.PATIENT = s.PATIENT
        AND CAST(ts(c.START) AS DATE) <= CAST(s.stop AS DATE)
        AND (c.STOP IS NULL OR CAST(ts(c.STOP) AS DATE) >= CAST(s.start AS DATE))"""
    flags = _flags(connection, paths["conditions"], "stays AS s", condition_window)
    return frame.join(flags, left_on="Id", right_on="key", how="left").pipe(
        _fill_flags, with_conditions=paths["conditions"] is not None
    )


def _per_patient(
    connection: duckdb.DuckDBPyConnection,
    paths: dict[str, Path | None],
    patients: pl.DataFrame,
) -> pl.DataFrame:
    """One row per patient as of death, else the last date in the data read."""
    dates = [patients["birth"].max(), patients["death"].max()]
    if paths["conditions"] is not None:
        last = "SELECT max(ts(START)) AS a, max(ts(STOP)) AS b FROM conditions"
        dates.extend(_sql_frame(connection, last).row(0))
    end_of_data = max(date for date in dates if date is not None)

    frame = patients.with_columns(
        admission_id=pl.col("patient_id"),
        site=pl.lit(SYNTHEA_SITE),
        admit_time=pl.col("death").fill_null(end_of_data),
        admission_type=pl.lit(PATIENT_ROW_ADMISSION_TYPE),
        los_days=pl.lit(0.0),
        icu_stay=pl.lit(False),
        died_in_hospital=pl.col("death").is_not_null(),
    ).with_columns(age=_age("birth", "admit_time"))
    frame = frame.with_columns([pl.lit(None, pl.Float64).alias(c) for c in _VALUES])

    flags = _flags(connection, paths["conditions"], "patients AS s", "c.PATIENT = s.Id")
    frame = frame.join(flags, left_on="Id", right_on="key", how="left")
    return frame.pipe(_fill_flags, with_conditions=paths["conditions"] is not None)


def _first_day_values(
    connection: duckdb.DuckDBPyConnection, path: Path | None
) -> pl.DataFrame:
    """Per stay and column, the first value in the first-day window; ties at the
    same DATE go to the lower value, so file order does not matter."""
    if path is None:
        logger.warning(
            "Synthea export has no observations.csv: vital-sign and lab columns "
            "are null"
        )
        return pl.DataFrame(
            schema={"Id": pl.String} | dict.fromkeys(_VALUES, pl.Float64)
        )
    pairs = [
        (code, unit, c)
        for c, codes in OBSERVATION_CODES.items()
        for code, unit in codes
    ]
    codes = ", ".join(quote(code) for code, _, _ in pairs)
    connection.execute(
        f"""CREATE TEMP TABLE obs AS SELECT PATIENT, DATE, CODE, UNITS, VALUE,
            ts(DATE) AS at, TRY_CAST(VALUE AS DOUBLE) AS v
        FROM observations
        WHERE CODE IN ({codes}) AND PATIENT IN (SELECT PATIENT FROM stays)"""
    )
    _bad_dates(connection, path, ("DATE",), relation="obs")
    _check_observations(connection, path, pairs)

    mapping = ", ".join(f"({quote(a)}, {quote(b)}, {quote(c)})" for a, b, c in pairs)
    pivot = ", ".join(f"max(v) FILTER (WHERE c = {quote(c)}) AS {c}" for c in _VALUES)
    return _sql_frame(
        connection,
        f"""SELECT Id, {pivot} FROM (
            SELECT s.Id, m.c, arg_min(o.v, (o.at, o.v)) AS v
            FROM obs AS o
            JOIN (VALUES {mapping}) AS m(code, unit, c)
                ON o.CODE = m.code AND o.UNITS = m.unit
            JOIN stays AS s ON o.PATIENT = s.PATIENT AND o.at BETWEEN s.start
                AND s.start + INTERVAL {FIRST_DAY_HOURS} HOUR
            WHERE o.v IS NOT NULL
            GROUP BY s.Id, m.c
        ) GROUP BY Id""",
    )


def _check_observations(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    pairs: list[tuple[str, str, str]],
) -> None:
    accepted = " OR ".join(
        f"(CODE = {quote(code)} AND UNITS = {quote(unit)})" for code, unit, _ in pairs
    )
    n_text, n_units = _sql_frame(
        connection,
        f"""SELECT count(*) FILTER (WHERE VALUE IS NOT NULL AND v IS NULL),
            count(*) FILTER (WHERE NOT ({accepted}) OR UNITS IS NULL) FROM obs""",
    ).row(0)
    if n_text:
        raise InputError(
            f"{path}: {n_text} rows of the vital-sign and lab codes phibench "
            "reads have a VALUE that is not a number; fix or remove those rows"
        )
    if n_units:
        logger.warning(
            "%d observations of the vital-sign and lab codes phibench reads are in "
            "other units than expected and were ignored (see OBSERVATION_CODES)",
            n_units,
        )


def _flags(
    connection: duckdb.DuckDBPyConnection, path: Path | None, rows: str, on: str
) -> pl.DataFrame:
    """Comorbidity flags per row key (`s.Id`) from the conditions matching `on`."""
    schema = {"key": pl.String} | dict.fromkeys(cohort.COMORBIDITY_COLUMNS, pl.Boolean)
    if path is None:
        logger.warning(
            "Synthea export has no conditions.csv: comorbidity columns are null"
        )
        return pl.DataFrame(schema=schema)
    _bad_dates(connection, path, ("START", "STOP"), relation="conditions")
    mapping = ", ".join(
        f"({quote(code)}, {quote(flag)})"
        for flag, codes in COMORBIDITY_CODES.items()
        for code in codes
    )
    columns = ", ".join(
        f"bool_or(m.flag = {quote(f)}) AS {f}" for f in cohort.COMORBIDITY_COLUMNS
    )
    return _sql_frame(
        connection,
        f"""SELECT s.Id AS key, {columns}
        FROM conditions AS c JOIN (VALUES {mapping}) AS m(code, flag) ON c.CODE = m.code
        JOIN {rows} ON {on}
        GROUP BY s.Id""",
    )


def _fill_flags(frame: pl.DataFrame, *, with_conditions: bool) -> pl.DataFrame:
    """No matching condition means False when conditions.csv was read."""
    if not with_conditions:
        return frame
    return frame.with_columns(pl.col(cohort.COMORBIDITY_COLUMNS).fill_null(False))


#: Why a column that cohort.NON_NULL_COLUMNS promises could come out null.
_NULL_CAUSES = {
    "patient_id": "PATIENT not in patients.csv",
    "site": "ORGANIZATION empty",
    "admit_time": "START empty",
    "los_days": "START or STOP empty",
    "age": "PATIENT not in patients.csv",
    "died_in_hospital": "START or STOP empty",
}


def _check_rows(frame: pl.DataFrame, path: Path | None) -> None:
    """Every inpatient encounter must fill the cohort's non-null columns."""
    cohort.require_non_null(
        frame,
        source=path,
        rows="inpatient encounters",
        causes=_NULL_CAUSES,
        columns=_NULL_CAUSES,
    )
    negative = frame.filter(pl.col("los_days") < 0).height
    if negative:
        logger.warning(
            "%d Synthea inpatient encounters end before they start (STOP < START); "
            "their los_days is negative",
            negative,
        )
