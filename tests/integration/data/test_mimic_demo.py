"""load_mimic_iv on the MIMIC-IV Clinical Database Demo v2.2 (100 patients).

Expected values are either counted by hand from the demo files or recomputed here
with plain Polars reads of the small demo tables, independently of the loader's
DuckDB queries.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from phibench.data.cohort import COHORT_SCHEMA, VITAL_COLUMNS
from phibench.data.mimic import load_mimic_iv, mimic_version
from tests.conftest import shared_data_dir

DEMO = shared_data_dir() / "mimic-iv-demo-2.2"

pytestmark = pytest.mark.skipif(
    not DEMO.is_dir(),
    reason=f"MIMIC-IV demo not found at {DEMO}; set PHIBENCH_SHARED_DATA to the "
    "folder that holds mimic-iv-demo-2.2",
)


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    return load_mimic_iv(DEMO)


def _read(table: str, columns: list[str]) -> pl.DataFrame:
    # Explicit columns and types: inferring all 16 labevents columns takes seconds.
    return pl.read_csv(
        DEMO / f"{table}.csv.gz",
        columns=columns,
        schema_overrides={
            "hadm_id": pl.Int64,
            "valuenum": pl.Float64,
            "icd_code": pl.String,
        },
        try_parse_dates=True,
    )


def test_one_row_per_admission_with_the_cohort_schema(cohort: pl.DataFrame) -> None:
    assert cohort.schema == pl.Schema(COHORT_SCHEMA)
    assert cohort.height == 275
    assert cohort["admission_id"].n_unique() == 275
    assert cohort["patient_id"].n_unique() == 100
    assert set(cohort["site"]) == {"mimic-iv"}


def test_patient_with_most_admissions(cohort: pl.DataFrame) -> None:
    per_patient = cohort["patient_id"].value_counts().sort("count")
    assert per_patient.row(-1) == (10014354, 20)


def test_deaths_and_icu_stays_match_the_source_tables(cohort: pl.DataFrame) -> None:
    admissions = _read("hosp/admissions", ["hadm_id", "hospital_expire_flag"])
    icu_admissions = set(_read("icu/icustays", ["hadm_id"])["hadm_id"])

    assert cohort["died_in_hospital"].sum() == 15
    assert cohort["died_in_hospital"].sum() == admissions["hospital_expire_flag"].sum()
    assert cohort["icu_stay"].sum() == 128
    expected = {h for h in admissions["hadm_id"] if h in icu_admissions}
    assert set(cohort.filter("icu_stay")["admission_id"]) == expected


def test_age_follows_the_anchor_year_and_is_top_coded(cohort: pl.DataFrame) -> None:
    assert cohort["age"].min() == 21
    assert cohort["age"].max() == 91
    # Three patients have anchor_age 91; their 8 admissions all stay at 91.
    assert cohort.filter(pl.col("age") == 91).height == 8


def test_first_day_creatinine_matches_an_independent_computation(
    cohort: pl.DataFrame,
) -> None:
    admissions = _read("hosp/admissions", ["subject_id", "hadm_id", "admittime"])
    labs = _read(
        "hosp/labevents", ["subject_id", "hadm_id", "itemid", "charttime", "valuenum"]
    ).filter((pl.col("itemid") == 50912) & pl.col("valuenum").is_not_null())
    in_window = labs.join(admissions, on="subject_id", suffix="_adm").filter(
        pl.col("charttime").is_between(
            pl.col("admittime"), pl.col("admittime") + timedelta(hours=24)
        ),
        pl.col("hadm_id").is_null() | (pl.col("hadm_id") == pl.col("hadm_id_adm")),
    )
    first = (
        in_window.sort("charttime", "valuenum")
        .group_by("hadm_id_adm")
        .agg(pl.col("valuenum").first())
    )
    expected = dict(zip(first["hadm_id_adm"], first["valuenum"], strict=True))

    loaded = cohort.filter(pl.col("creatinine").is_not_null())
    assert loaded.height == 235
    assert dict(zip(loaded["admission_id"], loaded["creatinine"], strict=True)) == (
        expected
    )


def test_creatinine_of_hand_checked_admissions(cohort: pl.DataFrame) -> None:
    creatinine = dict(zip(cohort["admission_id"], cohort["creatinine"], strict=True))
    # Admitted 2180-08-05 23:44. A draw without hadm_id at 21:20 (0.6) precedes the
    # admission and the 00:59 draw two days on (0.4) is past 24 h: the first value
    # in the window is the 06:36 draw.
    assert creatinine[25742920] == 0.6
    # Admitted 2180-07-23 12:35: the 06:39 draw (0.7) is before admission, the
    # 21:45 draw is first.
    assert creatinine[29079034] == 0.5


def test_other_first_day_labs_are_present(cohort: pl.DataFrame) -> None:
    counts = cohort.select(
        pl.col("hemoglobin", "wbc", "lactate").is_not_null().sum()
    ).row(0, named=True)
    assert counts == {"hemoglobin": 231, "wbc": 230, "lactate": 78}


def test_vitals_are_null_and_a_warning_names_chartevents(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="phibench.data.mimic"):
        frame = load_mimic_iv(DEMO)

    for column in VITAL_COLUMNS:
        assert frame[column].null_count() == frame.height
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "vitals are unavailable" in warnings[0].getMessage()
    assert "chartevents" in warnings[0].getMessage()


def test_categories_are_coarsened(cohort: pl.DataFrame) -> None:
    race = dict(cohort["race"].value_counts().iter_rows())
    # By hand from admissions.race: 170 WHITE + 3 WHITE - BRAZILIAN + 2 WHITE - OTHER
    # EUROPEAN; PORTUGUESE (7) and OTHER (4) fall into OTHER.
    assert race == {
        "WHITE": 175,
        "BLACK": 51,
        "HISPANIC": 15,
        "OTHER": 11,
        "UNKNOWN": 23,
    }
    admission_type = dict(cohort["admission_type"].value_counts().iter_rows())
    assert admission_type == {
        "EMERGENCY": 119,
        "OBSERVATION": 87,
        "URGENT": 38,
        "SURGICAL SAME DAY": 18,
        "ELECTIVE": 13,
    }


def test_heart_failure_flag_covers_the_core_codes(cohort: pl.DataFrame) -> None:
    diagnoses = _read("hosp/diagnoses_icd", ["hadm_id", "icd_code", "icd_version"])
    core = diagnoses.filter(
        ((pl.col("icd_version") == 9) & pl.col("icd_code").str.starts_with("428"))
        | ((pl.col("icd_version") == 10) & pl.col("icd_code").str.starts_with("I50"))
    )
    flagged = set(cohort.filter("chf")["admission_id"])
    assert set(core["hadm_id"]) <= flagged
    assert len(flagged) == 64


def test_version_is_read_from_the_folder_name() -> None:
    assert mimic_version(DEMO) == "2.2"


def test_gzip_corrupt_after_its_header_is_one_clear_error(tmp_path: Path) -> None:
    import shutil

    from phibench.errors import InputError

    copy = tmp_path / "mimic"
    shutil.copytree(DEMO / "hosp", copy / "hosp")
    shutil.copytree(DEMO / "icu", copy / "icu")
    labevents = copy / "hosp" / "labevents.csv.gz"
    labevents.chmod(0o644)
    data = bytearray(labevents.read_bytes())
    middle = len(data) // 2  # the header decompresses; the middle does not
    data[middle : middle + 4096] = bytes(range(256)) * 16  # fixed, not random
    labevents.write_bytes(bytes(data))

    # DuckDB reports it as a gzip, CSV or type error depending on where it breaks.
    pattern = r"cannot read|could not be read|has a value that is not"
    with pytest.raises(InputError, match=pattern) as caught:
        load_mimic_iv(copy)
    assert "\n" not in str(caught.value)
