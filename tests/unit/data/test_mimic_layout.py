"""load_mimic_iv on small hand-made MIMIC-IV folders: layout errors and rules."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import polars as pl
import pytest

from phibench.data.mimic import COMORBIDITY_CODES, load_mimic_iv, mimic_version
from phibench.errors import DataLayoutError, InputError

ADMISSIONS = [
    # subject_id, hadm_id, admittime, dischtime, admission_type, race, expire flag
    (1, 11, "2150-01-01 08:00:00", "2150-01-03 20:00:00", "EW EMER.", "WHITE", 0),
    (1, 12, "2150-06-01 08:00:00", "2150-06-02 08:00:00", "ELECTIVE", "ASIAN", 1),
    (2, 21, "2160-03-10 12:00:00", "2160-03-11 00:00:00", "URGENT", "", 0),
]
PATIENTS = [(1, "F", 50, 2148), (2, "M", 91, 2158)]
LABS = [
    # subject_id, hadm_id, itemid, charttime, valuenum
    (1, "", 50912, "2150-01-01 07:59:00", "9.0"),  # before admission
    (1, "", 50912, "2150-01-01 09:00:00", "1.4"),  # no hadm_id, inside the window
    (1, 11, 50912, "2150-01-01 10:00:00", "1.1"),
    (1, 11, 51222, "2150-01-02 08:00:00", "12.5"),  # exactly 24 h: included
    (1, 11, 51301, "2150-01-02 08:00:01", "7.0"),  # one second late
    (1, 12, 50813, "2150-06-01 09:00:00", ""),  # null valuenum: ignored
    (1, 12, 50813, "2150-06-01 10:00:00", "2.5"),
    (1, 11, 50813, "2150-06-01 09:30:00", "8.8"),  # other admission's hadm_id
    (2, 21, 51300, "2160-03-10 13:00:00", "6.0"),
]
DIAGNOSES = [
    (1, 11, "4280", 9),  # heart failure
    (1, 11, "E119", 10),  # type 2 diabetes
    (1, 12, "C3490", 10),  # lung cancer
    (1, 12, "N184", 10),  # chronic kidney disease stage 4
    (2, 21, "J449", 10),  # COPD
    (2, 21, "C44", 10),  # skin cancer: not in the Charlson malignancy list
    (2, 21, "4280", 10),  # an ICD-9 heart failure code labelled ICD-10
]
CHARTEVENTS = [
    # hadm_id, itemid, charttime, valuenum
    (11, 223761, "2150-01-01 09:00:00", "98.6"),  # Fahrenheit
    (11, 223762, "2150-01-01 10:00:00", "39.0"),
    (11, 220050, "2150-01-01 09:30:00", "120"),  # arterial systolic first
    (11, 220179, "2150-01-01 11:00:00", "110"),
    (21, 220045, "2160-03-10 12:30:00", "88"),
]
HEADERS = {
    "hosp/admissions": "subject_id,hadm_id,admittime,dischtime,admission_type,race,"
    "hospital_expire_flag",
    "hosp/patients": "subject_id,gender,anchor_age,anchor_year",
    "hosp/labevents": "subject_id,hadm_id,itemid,charttime,valuenum",
    "icu/icustays": "subject_id,hadm_id,stay_id",
    "hosp/diagnoses_icd": "subject_id,hadm_id,icd_code,icd_version",
    "icu/chartevents": "hadm_id,itemid,charttime,valuenum",
}


def _write(root: Path, table: str, header: str, rows: list, ext: str) -> None:
    path = root / f"{table}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join([header, *(",".join(map(str, row)) for row in rows)]) + "\n"
    if ext == ".csv.gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def make_release(
    root: Path, *, ext: str = ".csv.gz", chartevents: bool = False, **changes: list
) -> Path:
    """A minimal MIMIC-IV folder; `changes` replaces a table's rows by name."""
    rows = {
        "hosp/admissions": ADMISSIONS,
        "hosp/patients": PATIENTS,
        "hosp/labevents": LABS,
        "icu/icustays": [(2, 21, 100)],
        "hosp/diagnoses_icd": DIAGNOSES,
    }
    if chartevents:
        rows["icu/chartevents"] = CHARTEVENTS
    for table, table_rows in rows.items():
        table_rows = changes.get(table.split("/")[1], table_rows)
        _write(root, table, HEADERS[table], table_rows, ext)
    return root


def by_admission(frame: pl.DataFrame, column: str) -> dict:
    return dict(zip(frame["admission_id"], frame[column], strict=True))


def test_missing_folder_is_a_layout_error(tmp_path: Path) -> None:
    with pytest.raises(DataLayoutError, match=r"not a folder.*hosp/ and icu/"):
        load_mimic_iv(tmp_path / "nowhere")


def test_missing_admissions_names_the_expected_file(tmp_path: Path) -> None:
    make_release(tmp_path)
    (tmp_path / "hosp" / "admissions.csv.gz").unlink()

    with pytest.raises(DataLayoutError) as raised:
        load_mimic_iv(tmp_path)
    message = str(raised.value)
    assert f"{tmp_path}/hosp/admissions.csv.gz or {tmp_path}/hosp/admissions.csv" in (
        message
    )
    assert "MIMIC-IV root" in message
    assert "\n" not in message


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    make_release(tmp_path)
    _write(
        tmp_path, "hosp/labevents", "subject_id,hadm_id,itemid,charttime", [], ".csv.gz"
    )

    with pytest.raises(
        InputError, match=r"labevents\.csv\.gz: missing column\(s\) valuenum"
    ):
        load_mimic_iv(tmp_path)


def test_non_numeric_value_is_one_line_without_the_value(tmp_path: Path) -> None:
    bad = [*LABS, (1, 11, 50912, "2150-01-01 11:00:00", "see note XYZ")]
    make_release(tmp_path, labevents=bad)

    with pytest.raises(InputError) as raised:
        load_mimic_iv(tmp_path)
    message = str(raised.value)
    assert "labevents.csv.gz: column valuenum has a value that is not DOUBLE" in message
    assert "XYZ" not in message
    assert "\n" not in message
    assert raised.value.__cause__ is None


def test_plain_csv_loads_like_gzip(tmp_path: Path) -> None:
    gz = load_mimic_iv(make_release(tmp_path / "gz"))
    plain = load_mimic_iv(make_release(tmp_path / "plain", ext=".csv"))
    assert gz.equals(plain)
    assert gz.height == 3


def test_first_day_lab_window(tmp_path: Path) -> None:
    frame = load_mimic_iv(make_release(tmp_path))

    # The draw without hadm_id at 09:00 is the first one inside admission 11.
    assert by_admission(frame, "creatinine") == {11: 1.4, 12: None, 21: None}
    assert by_admission(frame, "hemoglobin") == {11: 12.5, 12: None, 21: None}
    assert by_admission(frame, "wbc") == {11: None, 12: None, 21: 6.0}
    assert by_admission(frame, "lactate") == {11: None, 12: 2.5, 21: None}


def test_admission_fields(tmp_path: Path) -> None:
    frame = load_mimic_iv(make_release(tmp_path), dataset_id="mimic-iv-demo")

    assert by_admission(frame, "site") == dict.fromkeys((11, 12, 21), "mimic-iv")
    # 50 + (2150 - 2148) = 52; anchor_age 91 two years on stays top-coded at 91.
    assert by_admission(frame, "age") == {11: 52.0, 12: 52.0, 21: 91.0}
    assert by_admission(frame, "los_days") == {11: 2.5, 12: 1.0, 21: 0.5}
    assert by_admission(frame, "icu_stay") == {11: False, 12: False, 21: True}
    assert by_admission(frame, "died_in_hospital") == {11: False, 12: True, 21: False}
    assert by_admission(frame, "sex") == {11: "F", 12: "F", 21: "M"}


def test_comorbidity_flags(tmp_path: Path) -> None:
    frame = load_mimic_iv(make_release(tmp_path))

    assert by_admission(frame, "chf") == {11: True, 12: False, 21: False}
    assert by_admission(frame, "diabetes") == {11: True, 12: False, 21: False}
    assert by_admission(frame, "cancer") == {11: False, 12: True, 21: False}
    assert by_admission(frame, "ckd") == {11: False, 12: True, 21: False}
    assert by_admission(frame, "copd") == {11: False, 12: False, 21: True}


def test_code_ranges_expand_to_every_prefix() -> None:
    cancer_icd10 = COMORBIDITY_CODES["cancer"][10]
    assert {"C00", "C26", "C30", "C97"} <= set(cancer_icd10)
    assert not {"C27", "C44", "C86"} & set(cancer_icd10)
    assert {"1740", "1958", "140", "172"} <= set(COMORBIDITY_CODES["cancer"][9])


@pytest.mark.parametrize(
    ("race", "group"),
    [
        ("WHITE - OTHER EUROPEAN", "WHITE"),
        ("BLACK/CAPE VERDEAN", "BLACK"),
        ("HISPANIC OR LATINO", "HISPANIC"),
        ("LATINO", "HISPANIC"),
        ("ASIAN - CHINESE", "ASIAN"),
        ("UNABLE TO OBTAIN", "UNKNOWN"),
        ("PATIENT DECLINED TO ANSWER", "UNKNOWN"),
        ("", "UNKNOWN"),
        ("PORTUGUESE", "OTHER"),
        ("AMERICAN INDIAN/ALASKA NATIVE", "OTHER"),
    ],
)
def test_race_groups(tmp_path: Path, race: str, group: str) -> None:
    admissions = [(*ADMISSIONS[0][:5], race, 0)]
    frame = load_mimic_iv(make_release(tmp_path, admissions=admissions))
    assert frame["race"].to_list() == [group]


@pytest.mark.parametrize(
    ("admission_type", "coarse"),
    [
        ("DIRECT EMER.", "EMERGENCY"),
        ("EU OBSERVATION", "OBSERVATION"),
        ("AMBULATORY OBSERVATION", "OBSERVATION"),
        ("SURGICAL SAME DAY ADMISSION", "SURGICAL SAME DAY"),
    ],
)
def test_admission_types(tmp_path: Path, admission_type: str, coarse: str) -> None:
    admissions = [(*ADMISSIONS[0][:4], admission_type, "WHITE", 0)]
    frame = load_mimic_iv(make_release(tmp_path, admissions=admissions))
    assert frame["admission_type"].to_list() == [coarse]


def test_unknown_admission_type_is_rejected(tmp_path: Path) -> None:
    admissions = [(*ADMISSIONS[0][:4], "NEWLY INVENTED", "WHITE", 0)]
    make_release(tmp_path, admissions=admissions)
    with pytest.raises(InputError, match="1 admissions have no admission_type"):
        load_mimic_iv(tmp_path)


def test_admission_without_patient_row_is_rejected(tmp_path: Path) -> None:
    make_release(tmp_path, patients=PATIENTS[:1])
    with pytest.raises(InputError, match=r"1 admissions have no age \(no hosp/pat"):
        load_mimic_iv(tmp_path)


def test_vitals_from_chartevents(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="phibench.data.mimic"):
        frame = load_mimic_iv(make_release(tmp_path, chartevents=True))

    assert not caplog.records
    assert by_admission(frame, "temperature")[11] == pytest.approx(37.0)
    assert by_admission(frame, "sbp") == {11: 120.0, 12: None, 21: None}
    assert by_admission(frame, "heart_rate") == {11: None, 12: None, 21: 88.0}
    assert frame["spo2"].null_count() == 3


def test_duplicate_admissions_are_rejected(tmp_path: Path) -> None:
    make_release(tmp_path, admissions=[*ADMISSIONS, ADMISSIONS[0]])
    with pytest.raises(InputError, match="2 rows share an hadm_id"):
        load_mimic_iv(tmp_path)


def test_empty_dataset_id_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dataset_id=''"):
        load_mimic_iv(make_release(tmp_path), dataset_id="")


def test_version_from_folder_name_or_readme(tmp_path: Path) -> None:
    assert mimic_version(make_release(tmp_path / "mimiciv" / "3.1")) == "3.1"
    unnamed = make_release(tmp_path / "mimic-iv")
    assert mimic_version(unnamed) is None
    (unnamed / "README.txt").write_text("MIMIC-IV Clinical Database, version 2.0\n")
    assert mimic_version(unnamed) == "2.0"
