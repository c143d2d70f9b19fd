"""load_eicu on the eICU-CRD Demo (v2.0.1 content, ../shared/data/eicu-demo-2.0.1).

Expected values are either read by hand from the demo files or recomputed here
with plain Polars reads of the small demo tables, independently of the loader's
DuckDB queries. The copy lacks lab, vitalPeriodic and nurseCharting (see its
PROVENANCE.md), so labs and all vitals but sbp are null.
"""

from __future__ import annotations

import datetime as dt
import logging

import polars as pl
import pytest

from phibench.data.cohort import COHORT_SCHEMA, LAB_COLUMNS, VITAL_COLUMNS
from phibench.data.eicu import eicu_version, load_eicu
from tests.conftest import shared_data_dir

DEMO = shared_data_dir() / "eicu-demo-2.0.1"

pytestmark = pytest.mark.skipif(
    not DEMO.is_dir(),
    reason=f"eICU demo not found at {DEMO}; set PHIBENCH_SHARED_DATA to the folder "
    "that holds eicu-demo-2.0.1",
)


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    return load_eicu(DEMO, dataset_id="eicu-demo")


def _read(table: str) -> pl.DataFrame:
    return pl.read_csv(DEMO / f"{table}.csv.gz", infer_schema=False)


@pytest.fixture(scope="module")
def first_units() -> pl.DataFrame:
    """Per hospital stay the unit stay with the earliest admission, plus whether
    the stay has an age anywhere and an outcome: the loader's rule, by hand."""
    integers = [
        "patientunitstayid",
        "patienthealthsystemstayid",
        "hospitaladmitoffset",
        "hospitaldischargeoffset",
        "unitvisitnumber",
    ]
    patient = _read("patient").with_columns(pl.col(integers).cast(pl.Int64))
    return (
        patient.with_columns(
            any_age=pl.col("age").is_not_null().any().over("patienthealthsystemstayid")
        )
        .sort(
            "patienthealthsystemstayid",
            "hospitaladmitoffset",
            "unitvisitnumber",
            "patientunitstayid",
            descending=[False, True, False, False],
        )
        .group_by("patienthealthsystemstayid", maintain_order=True)
        .first()
    )


@pytest.fixture(scope="module")
def kept(first_units: pl.DataFrame) -> pl.DataFrame:
    return first_units.filter(
        pl.col("any_age") & pl.col("hospitaldischargestatus").is_not_null()
    )


def test_one_row_per_complete_hospital_stay(
    cohort: pl.DataFrame, first_units: pl.DataFrame, kept: pl.DataFrame
) -> None:
    assert cohort.schema == pl.Schema(COHORT_SCHEMA)
    # 2,174 hospital stays; 4 have no age and 25 no hospitaldischargestatus.
    assert first_units.height == 2174
    assert cohort.height == 2145
    assert cohort["admission_id"].n_unique() == 2145
    assert set(cohort["admission_id"]) == set(kept["patienthealthsystemstayid"])


def test_patients_and_sites(cohort: pl.DataFrame, kept: pl.DataFrame) -> None:
    assert cohort["patient_id"].n_unique() == 1817
    assert kept["uniquepid"].n_unique() == 1817
    assert cohort["site"].n_unique() == 186
    hospital_ids = set(_read("hospital")["hospitalid"])
    assert set(cohort["site"]) == hospital_ids
    assert cohort["icu_stay"].all()


def test_deaths_match_the_discharge_status(
    cohort: pl.DataFrame, kept: pl.DataFrame
) -> None:
    assert cohort["died_in_hospital"].sum() == 181
    expired = kept.filter(pl.col("hospitaldischargestatus") == "Expired")
    assert set(cohort.filter("died_in_hospital")["admission_id"]) == set(
        expired["patienthealthsystemstayid"]
    )


def test_a_hand_checked_stay(cohort: pl.DataFrame) -> None:
    # Hospital stay 129391 (uniquepid 002-1039, hospital 59) has unit stays 141765
    # (hospitaladmitoffset -8, first) and 141764 (-2258). Discharged alive in 2015,
    # 2616 min after the 141765 admission; admitted 23:36 from the emergency
    # department; first cuff systolic 142 at minute 11; past history "No Health
    # Problems" and no diagnosis rows.
    row = cohort.filter(pl.col("admission_id") == 129391).row(0, named=True)
    assert row == {
        **dict.fromkeys(COHORT_SCHEMA),
        "patient_id": 20_001_039,
        "admission_id": 129391,
        "site": "59",
        "admit_time": dt.datetime(2015, 1, 1, 23, 36),
        "age": 87.0,
        "sex": "F",
        "race": "WHITE",
        "admission_type": "EMERGENCY",
        "los_days": (2616 + 8) / 1440,
        "icu_stay": True,
        "died_in_hospital": False,
        "sbp": 142.0,
        **dict.fromkeys(("diabetes", "chf", "ckd", "copd", "cancer"), False),
    }


def test_length_of_stay_and_age(cohort: pl.DataFrame, kept: pl.DataFrame) -> None:
    los = kept.select(
        "patienthealthsystemstayid",
        (pl.col("hospitaldischargeoffset") - pl.col("hospitaladmitoffset")) / 1440,
    )
    assert dict(zip(cohort["admission_id"], cohort["los_days"], strict=True)) == (
        dict(los.iter_rows())
    )
    # "> 89" becomes 91, as MIMIC-IV's top code; no other age is above 89.
    over_89 = kept.filter(pl.col("age") == "> 89").height
    assert over_89 == 88
    assert cohort.filter(pl.col("age") == 91).height == over_89
    assert cohort.filter(pl.col("age") > 89).height == over_89
    assert cohort["age"].min() == 15


def test_sbp_matches_an_independent_computation(cohort: pl.DataFrame) -> None:
    integers = ["patientunitstayid", "observationoffset", "noninvasivesystolic"]
    cuff = _read("vitalAperiodic").select(pl.col(integers).cast(pl.Float64))
    patient = _read("patient").select(
        pl.col("patientunitstayid").cast(pl.Float64),
        pl.col("patienthealthsystemstayid").cast(pl.Int64),
        start=-pl.col("hospitaladmitoffset").cast(pl.Int64),
    )
    # Minutes after the hospital stay's first unit admission.
    clock = patient.with_columns(
        shift=pl.col("start") - pl.col("start").min().over("patienthealthsystemstayid")
    )
    readings = (
        cuff.drop_nulls("noninvasivesystolic")
        .join(clock, on="patientunitstayid")
        .with_columns(t=pl.col("observationoffset") + pl.col("shift"))
        .filter(pl.col("t").is_between(0, 1440))
        .sort("t", "noninvasivesystolic")
        .group_by("patienthealthsystemstayid")
        .agg(pl.col("noninvasivesystolic").first())
    )
    in_cohort = set(cohort["admission_id"])
    expected = {stay: v for stay, v in readings.iter_rows() if stay in in_cohort}

    loaded = cohort.filter(pl.col("sbp").is_not_null())
    assert loaded.height == 2031
    assert dict(zip(loaded["admission_id"], loaded["sbp"], strict=True)) == expected


def test_missing_event_tables_leave_labs_and_other_vitals_null(
    cohort: pl.DataFrame,
) -> None:
    for column in (*LAB_COLUMNS, *(c for c in VITAL_COLUMNS if c != "sbp")):
        assert cohort[column].null_count() == cohort.height


def test_warnings_name_the_missing_files_and_the_dropped_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="phibench.data"):
        load_eicu(DEMO)

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    missing = [w for w in warnings if "tables missing" in w]
    assert len(missing) == 1
    assert "lab.csv.gz, so creatinine" in missing[0]
    assert "vitalPeriodic.csv.gz, so heart_rate" in missing[0]
    assert "vitalAperiodic" not in missing[0]
    assert (
        "Dropped 29 of 2174 eICU hospital stays that lack a value the cohort requires "
        "(4 with no age in any unit stay; 25 with no hospitaldischargestatus)"
    ) in warnings


def test_admission_types(cohort: pl.DataFrame, kept: pl.DataFrame) -> None:
    elective = kept.join(
        _read("apachePredVar").select(
            pl.col("patientunitstayid").cast(pl.Int64), "electivesurgery"
        ),
        on="patientunitstayid",
        how="left",
    ).filter(pl.col("electivesurgery") == "1")
    assert elective.height == 286
    assert dict(cohort["admission_type"].value_counts().iter_rows()) == {
        "ELECTIVE": 286,
        "EMERGENCY": 1704,
        "URGENT": 155,
    }


def test_race_follows_the_first_unit_stay(
    cohort: pl.DataFrame, kept: pl.DataFrame
) -> None:
    counts = dict(kept["ethnicity"].value_counts().iter_rows())
    race = dict(cohort["race"].value_counts().iter_rows())
    assert race == {
        "WHITE": counts["Caucasian"],
        "BLACK": counts["African American"],
        "HISPANIC": counts["Hispanic"],
        "ASIAN": counts["Asian"],
        "OTHER": counts["Native American"],
        "UNKNOWN": counts["Other/Unknown"] + counts[None],
    }
    assert race == {
        "WHITE": 1696,
        "BLACK": 202,
        "HISPANIC": 104,
        "ASIAN": 29,
        "OTHER": 12,
        "UNKNOWN": 102,
    }


def test_heart_failure_flag_covers_core_codes_and_history(
    cohort: pl.DataFrame,
) -> None:
    patient = _read("patient").select("patientunitstayid", "patienthealthsystemstayid")
    diagnosis = _read("diagnosis").filter(
        pl.col("icd9code").str.contains(r"(^|, )(428|I50)")
    )
    history = _read("pastHistory").filter(
        pl.col("pasthistorypath").str.contains("/Congestive Heart Failure/")
    )
    core = set(
        pl.concat([diagnosis["patientunitstayid"], history["patientunitstayid"]])
        .to_frame()
        .join(patient, on="patientunitstayid")["patienthealthsystemstayid"]
        .cast(pl.Int64)
    ) & set(cohort["admission_id"])
    flagged = set(cohort.filter("chf")["admission_id"])
    assert core <= flagged
    assert len(flagged) == 380
    counts = cohort.select(pl.col("diabetes", "ckd", "copd", "cancer").sum())
    assert counts.row(0, named=True) == {
        "diabetes": 634,
        "ckd": 296,
        "copd": 476,
        "cancer": 335,
    }


def test_version_is_read_from_the_folder_name() -> None:
    assert eicu_version(DEMO) == "2.0.1"
