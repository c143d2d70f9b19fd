"""load_synthea on the two shared Synthea exports and on small hand-made folders.

Expected values are pinned as numbers and also recomputed here with plain Polars
reads of the CSV files, independently of the loader's DuckDB queries.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from pathlib import Path

import polars as pl
import pytest

from phibench.data.cohort import COHORT_SCHEMA, NON_NULL_COLUMNS
from phibench.data.synthea import (
    COMORBIDITY_CODES,
    ICU_ENCOUNTER_CODE,
    OBSERVATION_CODES,
    load_synthea,
)
from phibench.errors import DataLayoutError, InputError
from tests.conftest import require_shared

STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _read(folder: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{table}.csv.gz", infer_schema=False)


def _to_int(uuid: str) -> int:
    return int(uuid.replace("-", "")[:15], 16)


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _years(birth: dt.date, at: dt.date) -> float:
    return float(at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day)))


@pytest.fixture(scope="module")
def small() -> Path:
    return require_shared("synthea-small-59")


@pytest.fixture(scope="module")
def small_cohort(small: Path) -> pl.DataFrame:
    return load_synthea(small)


@pytest.fixture(scope="module")
def inpatient(small: Path) -> pl.DataFrame:
    encounters = _read(small, "encounters").with_columns(
        pl.col("START", "STOP").str.to_datetime(STAMP)
    )
    return encounters.filter(pl.col("ENCOUNTERCLASS") == "inpatient")


def test_one_row_per_inpatient_encounter(
    small_cohort: pl.DataFrame, inpatient: pl.DataFrame
) -> None:
    assert small_cohort.schema == pl.Schema(COHORT_SCHEMA)
    assert small_cohort.height == inpatient.height == 94
    assert small_cohort["patient_id"].n_unique() == inpatient["PATIENT"].n_unique()
    assert small_cohort["patient_id"].n_unique() == 17
    assert set(small_cohort["site"]) == set(inpatient["ORGANIZATION"])
    assert small_cohort["site"].n_unique() == 12
    assert small_cohort.select(pl.col(NON_NULL_COLUMNS).null_count()).sum_horizontal()[
        0
    ] == (0)


def test_ids_times_ages_and_stays_match_the_files(
    small: Path, small_cohort: pl.DataFrame, inpatient: pl.DataFrame
) -> None:
    births = dict(_read(small, "patients").select("Id", "BIRTHDATE").iter_rows())
    rows = {row["admission_id"]: row for row in small_cohort.iter_rows(named=True)}
    for encounter in inpatient.iter_rows(named=True):
        row = rows[_to_int(encounter["Id"])]
        assert row["patient_id"] == _to_int(encounter["PATIENT"])
        assert row["admit_time"] == encounter["START"]
        stay = (encounter["STOP"] - encounter["START"]).total_seconds() / 86400
        assert row["los_days"] == pytest.approx(stay)
        birth = _day(births[encounter["PATIENT"]])
        assert row["age"] == _years(birth, encounter["START"].date())


def test_icu_stays_and_deaths(
    small: Path, small_cohort: pl.DataFrame, inpatient: pl.DataFrame
) -> None:
    icu = inpatient.filter(pl.col("CODE") == ICU_ENCOUNTER_CODE)
    assert small_cohort["icu_stay"].sum() == icu.height == 2

    deaths = _read(small, "patients").filter(pl.col("DEATHDATE").is_not_null())
    died = inpatient.join(deaths, left_on="PATIENT", right_on="Id").filter(
        pl.col("DEATHDATE")
        .str.to_date()
        .is_between(pl.col("START").dt.date(), pl.col("STOP").dt.date())
    )
    assert small_cohort["died_in_hospital"].sum() == died.height == 1
    assert small_cohort.filter("died_in_hospital")["icu_stay"].to_list() == [True]


def _expected_admission_types(small: Path, inpatient: pl.DataFrame) -> list[str]:
    """The documented rule, written as a plain loop over the encounters."""
    encounters = _read(small, "encounters").with_columns(
        pl.col("START", "STOP").str.to_datetime(STAMP)
    )
    by_patient: dict[str, list[dict]] = {}
    for row in encounters.iter_rows(named=True):
        by_patient.setdefault(row["PATIENT"], []).append(row)

    def kind(stay: dict) -> str:
        open_then = [
            e
            for e in by_patient[stay["PATIENT"]]
            if e["Id"] != stay["Id"] and e["START"] <= stay["START"] <= e["STOP"]
        ]
        classes = {e["ENCOUNTERCLASS"] for e in open_then}
        if "inpatient" in classes:
            before = next(e for e in open_then if e["ENCOUNTERCLASS"] == "inpatient")
            return kind(before)
        if classes & {"emergency", "urgentcare"}:
            return "EMERGENCY"
        return "URGENT" if classes else "ELECTIVE"

    return [kind(row) for row in inpatient.iter_rows(named=True)]


def test_admission_types_follow_the_encounters_in_progress(
    small: Path, small_cohort: pl.DataFrame, inpatient: pl.DataFrame
) -> None:
    expected = _expected_admission_types(small, inpatient)
    counts = {kind: expected.count(kind) for kind in set(expected)}
    assert counts == {"ELECTIVE": 84, "EMERGENCY": 6, "URGENT": 4}

    by_id = dict(small_cohort.select("admission_id", "admission_type").iter_rows())
    ids = [_to_int(i) for i in inpatient["Id"]]
    assert [by_id[i] for i in ids] == expected


def test_first_day_values_match_a_plain_polars_recomputation(
    small: Path, small_cohort: pl.DataFrame, inpatient: pl.DataFrame
) -> None:
    pairs = [(c, code, unit) for c, v in OBSERVATION_CODES.items() for code, unit in v]
    wanted = pl.DataFrame(pairs, schema=["column", "CODE", "UNITS"], orient="row")
    observations = (
        _read(small, "observations")
        .join(wanted, on=["CODE", "UNITS"])
        .with_columns(
            pl.col("DATE").str.to_datetime(STAMP), pl.col("VALUE").cast(float)
        )
    )
    first = (
        inpatient.select("Id", "PATIENT", "START")
        .join(observations, on="PATIENT")
        .filter(
            pl.col("DATE").is_between(
                pl.col("START"), pl.col("START") + pl.duration(hours=24)
            )
        )
        .sort("DATE", "VALUE")
        .group_by("Id", "column")
        .first()
    )
    n_expected = {"heart_rate": 5, "sbp": 5, "resp_rate": 5, "temperature": 4}
    n_expected |= {"spo2": 5, "creatinine": 6, "hemoglobin": 6, "wbc": 6}
    for column in OBSERVATION_CODES:
        expected = {
            _to_int(i): v
            for i, v in first.filter(pl.col("column") == column)
            .select("Id", "VALUE")
            .iter_rows()
        }
        got = small_cohort.filter(pl.col(column).is_not_null())
        assert dict(got.select("admission_id", column).iter_rows()) == expected
        assert got.height == n_expected.get(column, 0), column


def test_comorbidities_are_conditions_active_during_the_stay(
    small: Path, small_cohort: pl.DataFrame, inpatient: pl.DataFrame
) -> None:
    conditions = _read(small, "conditions").with_columns(
        pl.col("START", "STOP").str.to_date()
    )
    expected_counts = {"diabetes": 24, "chf": 3, "ckd": 0, "copd": 7, "cancer": 0}
    for flag, codes in COMORBIDITY_CODES.items():
        active = (
            inpatient.join(conditions.filter(pl.col("CODE").is_in(codes)), on="PATIENT")
            .filter(
                (pl.col("START_right") <= pl.col("STOP").dt.date())
                & (
                    pl.col("STOP_right").is_null()
                    | (pl.col("STOP_right") >= pl.col("START").dt.date())
                )
            )
            .select(pl.col("Id").unique())
        )
        flagged = set(small_cohort.filter(flag)["admission_id"])
        assert flagged == {_to_int(i) for i in active["Id"]}, flag
        assert len(flagged) == expected_counts[flag], flag


@pytest.fixture(scope="module")
def sample() -> Path:
    return require_shared("synthea-sample-1k")


@pytest.fixture(scope="module")
def sample_cohort(sample: Path) -> pl.DataFrame:
    return load_synthea(sample)


def test_without_encounters_one_row_per_patient(
    sample: Path, sample_cohort: pl.DataFrame
) -> None:
    patients = _read(sample, "patients")
    assert sample_cohort.schema == pl.Schema(COHORT_SCHEMA)
    assert sample_cohort.height == patients.height == 1171
    assert set(sample_cohort["patient_id"]) == {_to_int(i) for i in patients["Id"]}
    assert (sample_cohort["admission_id"] == sample_cohort["patient_id"]).all()
    assert set(sample_cohort["site"]) == {"synthea"}
    assert set(sample_cohort["admission_type"]) == {"OBSERVATION"}
    assert set(sample_cohort["los_days"]) == {0.0}
    assert not sample_cohort["icu_stay"].any()
    for column in OBSERVATION_CODES:
        assert sample_cohort[column].null_count() == 1171


def test_patient_rows_are_taken_at_death_or_end_of_data(
    sample: Path, sample_cohort: pl.DataFrame
) -> None:
    patients = _read(sample, "patients")
    conditions = _read(sample, "conditions")
    dates = pl.concat(
        [patients[c] for c in ("BIRTHDATE", "DEATHDATE")]
        + [conditions[c] for c in ("START", "STOP")]
    )
    end = _day(dates.drop_nulls().max())
    assert end == dt.date(2020, 4, 27)

    assert sample_cohort["died_in_hospital"].sum() == 171
    assert patients["DEATHDATE"].is_not_null().sum() == 171
    rows = {row["patient_id"]: row for row in sample_cohort.iter_rows(named=True)}
    for patient in patients.iter_rows(named=True):
        row = rows[_to_int(patient["Id"])]
        index = _day(patient["DEATHDATE"]) if patient["DEATHDATE"] else end
        assert row["admit_time"] == dt.datetime.combine(index, dt.time())
        assert row["age"] == _years(_day(patient["BIRTHDATE"]), index)
        assert row["died_in_hospital"] == (patient["DEATHDATE"] is not None)


def test_patient_rows_flag_any_recorded_condition(
    sample: Path, sample_cohort: pl.DataFrame
) -> None:
    conditions = _read(sample, "conditions")
    expected_counts = {"diabetes": 76, "chf": 57, "ckd": 37, "copd": 56, "cancer": 58}
    for flag, codes in COMORBIDITY_CODES.items():
        having = conditions.filter(pl.col("CODE").is_in(codes))["PATIENT"].unique()
        flagged = set(sample_cohort.filter(flag)["patient_id"])
        assert flagged == {_to_int(i) for i in having}, flag
        assert len(flagged) == expected_counts[flag], flag


def test_race_groups_put_hispanic_ethnicity_first(
    sample: Path, sample_cohort: pl.DataFrame
) -> None:
    patients = _read(sample, "patients")
    assert (patients["ETHNICITY"] == "hispanic").sum() == 113
    counts = dict(sample_cohort["race"].value_counts().iter_rows())
    assert counts == {
        "HISPANIC": 113,
        "WHITE": 877,
        "BLACK": 91,
        "ASIAN": 78,
        "OTHER": 12,
    }


# ---- hand-made folders: rules at the edges and bad input ----------------------

P1 = "a0000000-0000-4000-8000-000000000000"
E1, E2, E3 = (f"{i}0000000-0000-4000-8000-000000000000" for i in (1, 2, 3))
HEADERS = {
    "patients": "Id,BIRTHDATE,DEATHDATE,GENDER,RACE,ETHNICITY",
    "encounters": "Id,START,STOP,PATIENT,ORGANIZATION,ENCOUNTERCLASS,CODE",
    "observations": "DATE,PATIENT,ENCOUNTER,CODE,VALUE,UNITS",
}


def _folder(tmp_path: Path, tables: dict[str, list[str]], gz: bool = False) -> Path:
    for name, rows in tables.items():
        text = "\n".join([HEADERS[name], *rows]) + "\n"
        if gz:
            (tmp_path / f"{name}.csv.gz").write_bytes(gzip.compress(text.encode()))
        else:
            (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


def _tables() -> dict[str, list[str]]:
    return {
        "patients": [f"{P1},1970-06-15,2020-01-03,X,,nonhispanic"],
        "encounters": [
            f"{E1},2020-01-01T10:00:00Z,2020-01-01T11:00:00Z,{P1},org-1,emergency,1",
            f"{E2},2020-01-01T11:00:00Z,2020-01-02T11:00:00Z,{P1},org-1,inpatient,2",
            f"{E3},2020-01-02T11:00:00Z,2020-01-03T05:00:00Z,{P1},org-1,inpatient,"
            f"{ICU_ENCOUNTER_CODE}",
        ],
        "observations": [
            f"2020-01-01T12:00:00Z,{P1},{E2},8867-4,90,/min",
            f"2020-01-01T12:00:00Z,{P1},{E2},8867-4,80,/min",  # tie: lower value
            f"2020-01-02T11:00:00Z,{P1},{E2},8310-5,38.5,Cel",  # exactly 24 h
            f"2020-01-02T11:00:01Z,{P1},{E2},718-7,12.0,g/dL",  # one second late
            f"2020-01-01T12:00:00Z,{P1},{E2},2160-0,90,umol/L",  # other unit
        ],
    }


def test_edges_of_the_rules_on_a_hand_made_export(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="phibench.data.synthea"):
        frame = load_synthea(_folder(tmp_path, _tables(), gz=True))
    assert frame["admission_id"].to_list() == [_to_int(E2), _to_int(E3)]
    assert frame["admission_type"].to_list() == ["EMERGENCY", "EMERGENCY"]
    assert frame["icu_stay"].to_list() == [False, True]
    assert frame["died_in_hospital"].to_list() == [False, True]
    assert frame["heart_rate"].to_list() == [80.0, None]
    # at E2's START + 24 h, which is also E3's START: in both windows
    assert frame["temperature"].to_list() == [38.5, 38.5]
    assert frame["hemoglobin"].to_list() == [None, 12.0]  # E3's first day
    assert frame["creatinine"].to_list() == [None, None]
    assert frame["sex"].to_list() == [None, None]
    assert frame["race"].to_list() == ["UNKNOWN", "UNKNOWN"]
    assert frame["age"].to_list() == [49.0, 49.0]
    assert frame["diabetes"].to_list() == [None, None]  # no conditions.csv
    assert "1 observations of the vital-sign and lab codes" in caplog.text
    assert "no conditions.csv" in caplog.text


def test_missing_folder_or_patients_table(tmp_path: Path) -> None:
    with pytest.raises(DataLayoutError, match="is not a folder"):
        load_synthea(tmp_path / "nowhere")
    with pytest.raises(DataLayoutError) as error:
        load_synthea(tmp_path)
    assert str(error.value) == (
        f"Synthea table patients not found: expected {tmp_path}/patients.csv or "
        f"{tmp_path}/patients.csv.gz; data_dir must be a Synthea CSV export folder"
    )


def test_missing_column(tmp_path: Path) -> None:
    (tmp_path / "patients.csv").write_text("Id,BIRTHDATE\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_synthea(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'patients.csv'}: missing column(s) DEATHDATE, GENDER, RACE, "
        "ETHNICITY; Synthea patients must have Id, BIRTHDATE, DEATHDATE, GENDER, "
        "RACE, ETHNICITY in its header row"
    )


def test_unreadable_date_names_file_column_and_count(tmp_path: Path) -> None:
    tables = _tables()
    tables["patients"] = [f"{P1},15/06/1970,,F,white,nonhispanic"]
    with pytest.raises(InputError) as error:
        load_synthea(_folder(tmp_path, tables))
    assert str(error.value) == (
        f"{tmp_path / 'patients.csv'}: 1 rows have a BIRTHDATE that is not a date "
        "(expected 2021-08-23T03:26:50Z or 2021-08-23); fix those rows"
    )
    assert "15/06" not in str(error.value)


def test_inpatient_encounter_without_stop_is_an_error(tmp_path: Path) -> None:
    tables = _tables()
    tables["encounters"][1] = f"{E2},2020-01-01T11:00:00Z,,{P1},org-1,inpatient,2"
    with pytest.raises(InputError) as error:
        load_synthea(_folder(tmp_path, tables))
    assert str(error.value) == (
        f"{tmp_path / 'encounters.csv'}: 1 inpatient encounters have no "
        "died_in_hospital (START or STOP empty); the cohort requires "
        "died_in_hospital for every row, so fix those rows"
    )


def test_non_numeric_observation_value_is_an_error(tmp_path: Path) -> None:
    tables = _tables()
    tables["observations"].append(f"2020-01-01T12:00:00Z,{P1},{E2},718-7,high,g/dL")
    with pytest.raises(InputError) as error:
        load_synthea(_folder(tmp_path, tables))
    assert str(error.value) == (
        f"{tmp_path / 'observations.csv'}: 1 rows of the vital-sign and lab codes "
        "phibench reads have a VALUE that is not a number; fix or remove those rows"
    )


def test_ids_must_be_uuids(tmp_path: Path) -> None:
    tables = _tables()
    tables["patients"] = ["p-1,1970-06-15,,F,white,nonhispanic"]
    with pytest.raises(InputError, match=r"1 rows have an Id that is empty or not"):
        load_synthea(_folder(tmp_path, tables))


def test_malformed_csv_is_reported_without_its_content(tmp_path: Path) -> None:
    tables = _tables()
    tables["patients"] = [f"{P1},1970-06-15,,F,white,nonhispanic,SECRET-VALUE"]
    with pytest.raises(InputError) as error:
        load_synthea(_folder(tmp_path, tables))
    assert str(error.value) == (
        f"cannot read the Synthea tables in {tmp_path} (InvalidInputException, CSV "
        "line 2); check that the files are complete CSV or gzip CSV as released"
    )
    assert "SECRET" not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__
