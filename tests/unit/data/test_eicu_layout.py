"""load_eicu on small hand-made eICU folders: layout errors and mapping rules."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import logging
from pathlib import Path

import polars as pl
import pytest

from phibench.data.eicu import eicu_version, load_eicu
from phibench.errors import DataLayoutError, InputError

ED = "Emergency Department"
#: A unit stay's patient row; unit() overrides these per row.
UNIT_DEFAULTS = {
    "uniquepid": "002-1",
    "hospitalid": 7,
    "gender": "Female",
    "age": "> 89",
    "ethnicity": "Caucasian",
    "hospitaladmittime24": "08:00:00",
    "hospitaladmitoffset": 0,
    "hospitaladmitsource": ED,
    "hospitaldischargeyear": 2014,
    "hospitaldischargeoffset": 1440,
    "hospitaldischargestatus": "Alive",
    "unitadmitsource": ED,
    "unitvisitnumber": 1,
}


def unit(unit_id: int, stay_id: int, **fields: object) -> dict:
    return {
        "patientunitstayid": unit_id,
        "patienthealthsystemstayid": stay_id,
        **UNIT_DEFAULTS,
        **fields,
    }


PATIENT = [
    # Hospital stay 100: two unit stays. 1001 starts 60 min after the hospital
    # admission, 1002 660 min after it (600 min after 1001), so 1001 is first.
    unit(
        1002,
        100,
        hospitaladmitoffset=-660,
        hospitaldischargeoffset=2220,
        unitadmitsource="Floor",
        unitvisitnumber=2,
    ),
    unit(1001, 100, hospitaladmitoffset=-60, hospitaldischargeoffset=2820),
    # Hospital stay 200, same patient, elective surgery (see apachePredVar).
    unit(
        2001,
        200,
        gender="Male",
        age="70",
        ethnicity="African American",
        hospitaladmittime24="23:30:00",
        hospitaladmitsource="",
        hospitaldischargeyear=2015,
        hospitaldischargeoffset=720,
        hospitaldischargestatus="Expired",
        unitadmitsource="Operating Room",
    ),
    # Hospital stay 300: the first unit stay has no age, the second one has.
    *(
        unit(
            unit_id,
            300,
            uniquepid="035-12345",
            hospitalid=9,
            gender="Unknown",
            age=age,
            ethnicity="",
            hospitaladmittime24="",
            hospitaladmitoffset=offset,
            hospitaladmitsource="Other Hospital",
            hospitaldischargeyear=2015,
            hospitaldischargeoffset=2880 + offset,
            unitadmitsource="Other Hospital",
            unitvisitnumber=visit,
        )
        for unit_id, age, offset, visit in (
            (3001, "", -1440, 1),
            (3002, "45", -2000, 2),
        )
    ),
]
TABLES = {
    "hospital": ("hospitalid,region", [(7, "South"), (9, "West")]),
    "apachePredVar": (
        "patientunitstayid,electivesurgery",
        [(1001, 0), (2001, 1), (3001, "")],
    ),
    "lab": (
        "labid,patientunitstayid,labresultoffset,labname,labresult",
        [
            (1, 1001, -5, "creatinine", 9.0),  # before the first unit admission
            (2, 1001, 0, "creatinine", 1.4),  # at admission: in the window
            (3, 1001, 0, "creatinine", 1.2),  # same time: the lower value wins
            (4, 1002, 100, "Hgb", 11.0),  # 600 + 100 = 700 min after admission
            (5, 1001, 800, "Hgb", 12.5),  # later than the 1002 draw
            (6, 1002, 840, "WBC x 1000", 7.0),  # 600 + 840 = 24 h: included
            (7, 1002, 841, "lactate", 2.0),  # one minute late
            (8, 2001, 30, "lactate", 3.3),
            (9, 2001, 10, "BUN", 20.0),  # not a cohort lab
            (10, 3001, 10, "creatinine", ""),  # no value: ignored
        ],
    ),
    "vitalPeriodic": (
        "patientunitstayid,observationoffset,heartrate,systemicsystolic,"
        "respiration,temperature,sao2",
        [
            (1001, 5, 80, "", 16, 37.2, 97),
            (1001, 10, 90, 120, "", "", ""),  # arterial sbp, after the cuff
            (2001, 0, "", "", "", "", 99),
        ],
    ),
    "vitalAperiodic": (
        "patientunitstayid,observationoffset,noninvasivesystolic",
        [(1001, 8, 130), (2001, 3, 110)],
    ),
    "diagnosis": (
        "diagnosisid,patientunitstayid,icd9code",
        [
            (1, 1001, "428.0, I50.9"),  # heart failure, both versions
            (2, 1002, "E11.9"),  # ICD-10 type 2 diabetes (letter + 2 digits)
            (3, 2001, "V45.11"),  # ICD-9 renal dialysis status
            (4, 2001, "C44.9, E980.2"),  # skin cancer: not Charlson; an E-code
            (5, 3001, "491.21, J44.1"),  # COPD
            (6, 3001, ""),
        ],
    ),
    "pastHistory": (
        "pasthistoryid,patientunitstayid,pasthistorypath",
        [
            (1, 2001, "notes/Past History/Organ Systems/Cancer/Metastases/liver"),
            (2, 3001, "notes/Endocrine (R)/Non-Insulin Dependent Diabetes/x"),
            (3, 3001, "notes/Cancer Therapy/Chemotherapy/within past mo."),
        ],
    ),
}
#: camelCase names as in the eICU-CRD documentation.
CAMEL = {
    name.lower(): name
    for name in [
        "patientUnitStayID",
        "patientHealthSystemStayID",
        "uniquePid",
        "hospitalID",
        "hospitalAdmitTime24",
        "hospitalAdmitOffset",
        "hospitalAdmitSource",
        "hospitalDischargeYear",
        "hospitalDischargeOffset",
        "hospitalDischargeStatus",
        "unitAdmitSource",
        "unitVisitNumber",
        "labResultOffset",
        "labName",
        "labResult",
        "observationOffset",
        "systemicSystolic",
        "noninvasiveSystolic",
        "icd9Code",
        "pastHistoryPath",
        "electiveSurgery",
        "Gender",
        "Age",
        "Ethnicity",
    ]
}


def _write(path: Path, header: str, rows: list, *, camel: bool = False) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = header.split(",")
    writer.writerow(CAMEL.get(name, name) if camel else name for name in names)
    writer.writerows(
        [row[n] for n in names] if isinstance(row, dict) else row for row in rows
    )
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(buffer.getvalue().encode()))
    else:
        path.write_text(buffer.getvalue())


def make_release(
    root: Path,
    *,
    ext: str = ".csv.gz",
    camel: bool = False,
    omit: tuple[str, ...] = (),
    **changes: list,
) -> Path:
    """A minimal eICU folder; `changes` replaces a table's rows by name."""
    root.mkdir(parents=True, exist_ok=True)
    tables = {"patient": (",".join(PATIENT[0]), PATIENT), **TABLES}
    for name, (header, rows) in tables.items():
        if name not in omit:
            rows = changes.get(name, rows)
            _write(root / f"{name}{ext}", header, rows, camel=camel)
    return root


def by_stay(frame: pl.DataFrame, column: str) -> dict:
    return dict(zip(frame["admission_id"], frame[column], strict=True))


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return make_release(tmp_path / "eicu")


def test_missing_folder_is_a_layout_error(tmp_path: Path) -> None:
    with pytest.raises(DataLayoutError, match=r"not a folder.*patient\.csv\.gz"):
        load_eicu(tmp_path / "nowhere")


def test_missing_patient_table_names_the_expected_file(tmp_path: Path) -> None:
    make_release(tmp_path, omit=("patient",))

    with pytest.raises(DataLayoutError) as raised:
        load_eicu(tmp_path)
    message = str(raised.value)
    assert f"{tmp_path}/patient.csv.gz or {tmp_path}/patient.csv" in message
    assert "eICU-CRD folder" in message
    assert "\n" not in message


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    header = "labid,patientunitstayid,labresultoffset,labname"
    make_release(tmp_path, lab=[])
    _write(tmp_path / "lab.csv.gz", header, [])

    with pytest.raises(
        InputError, match=r"lab\.csv\.gz: missing column\(s\) labresult"
    ):
        load_eicu(tmp_path)


def test_missing_patient_column_is_named(tmp_path: Path) -> None:
    make_release(tmp_path)
    header = ",".join(name for name in PATIENT[0] if name != "uniquepid")
    _write(tmp_path / "patient.csv.gz", header, PATIENT)

    with pytest.raises(InputError, match=r"patient\.csv\.gz: missing column\(s\) uniq"):
        load_eicu(tmp_path)


def test_non_numeric_lab_value_is_one_line_without_the_value(tmp_path: Path) -> None:
    rows = [*TABLES["lab"][1], (11, 1001, 60, "creatinine", "see note XYZ")]
    make_release(tmp_path, lab=rows)

    with pytest.raises(InputError) as raised:
        load_eicu(tmp_path)
    message = str(raised.value)
    assert "lab.csv.gz: column labresult has a value that is not DOUBLE" in message
    assert "XYZ" not in message
    assert "\n" not in message
    assert raised.value.__cause__ is None


def test_non_numeric_offset_in_patient_is_named(tmp_path: Path) -> None:
    rows = [{**PATIENT[0], "hospitaladmitoffset": "soon"}, *PATIENT[1:]]
    make_release(tmp_path, patient=rows)

    with pytest.raises(InputError, match="column hospitaladmitoffset has a value"):
        load_eicu(tmp_path)


def test_unreadable_age_is_counted_not_shown(tmp_path: Path) -> None:
    rows = [{**PATIENT[0], "age": "about sixty"}, *PATIENT[1:]]
    make_release(tmp_path, patient=rows)

    with pytest.raises(InputError) as raised:
        load_eicu(tmp_path)
    message = str(raised.value)
    assert "column age has 1 values that are not a number of years, '> 89'" in message
    assert "sixty" not in message


def test_uniquepid_of_unknown_shape_is_rejected(tmp_path: Path) -> None:
    rows = [{**PATIENT[0], "uniquepid": "002-01"}, *PATIENT[1:]]
    make_release(tmp_path, patient=rows)

    with pytest.raises(InputError, match="column uniquepid has 1 values that are not"):
        load_eicu(tmp_path)


def test_duplicated_unit_stays_are_rejected(tmp_path: Path) -> None:
    make_release(tmp_path, patient=[*PATIENT, PATIENT[0]])
    with pytest.raises(InputError, match="1 patientunitstayid values appear in more"):
        load_eicu(tmp_path)


def test_upper_and_lower_case_headers_and_file_names_load_the_same(
    tmp_path: Path,
) -> None:
    lower = load_eicu(make_release(tmp_path / "lower"))
    camel = load_eicu(make_release(tmp_path / "camel", camel=True))
    for path in (tmp_path / "camel").iterdir():
        path.rename(path.with_name(path.name.lower()))
    lower_files = load_eicu(tmp_path / "camel")

    assert lower.height == 3
    assert camel.equals(lower)
    assert lower_files.equals(lower)


def test_plain_csv_loads_like_gzip(tmp_path: Path) -> None:
    gz = load_eicu(make_release(tmp_path / "gz"))
    plain = load_eicu(make_release(tmp_path / "plain", ext=".csv"))
    assert gz.equals(plain)


def test_one_row_per_hospital_stay(release: Path) -> None:
    frame = load_eicu(release)

    assert frame["admission_id"].to_list() == [100, 200, 300]
    # "002-1" -> 2 * 10^7 + 1; "035-12345" -> 35 * 10^7 + 12345.
    patient_ids = by_stay(frame, "patient_id")
    assert patient_ids == {100: 20_000_001, 200: 20_000_001, 300: 350_012_345}
    assert by_stay(frame, "site") == {100: "7", 200: "7", 300: "9"}
    assert frame["icu_stay"].all()


def test_stay_fields(release: Path) -> None:
    frame = load_eicu(release)

    # "> 89" is top-coded like MIMIC-IV; stay 300 takes the age of unit 3002.
    assert by_stay(frame, "age") == {100: 91.0, 200: 70.0, 300: 45.0}
    assert by_stay(frame, "sex") == {100: "F", 200: "M", 300: None}
    assert by_stay(frame, "race") == {100: "WHITE", 200: "BLACK", 300: "UNKNOWN"}
    # (2820 + 60) / 1440, (720 - 0) / 1440, (1440 + 1440) / 1440
    assert by_stay(frame, "los_days") == {100: 2.0, 200: 0.5, 300: 2.0}
    assert by_stay(frame, "died_in_hospital") == {100: False, 200: True, 300: False}
    assert by_stay(frame, "admission_type") == {
        100: "EMERGENCY",
        200: "ELECTIVE",
        300: "URGENT",
    }
    assert by_stay(frame, "admit_time") == {
        100: dt.datetime(2014, 1, 1, 8, 0),
        200: dt.datetime(2015, 1, 1, 23, 30),
        300: dt.datetime(2015, 1, 1, 0, 0),  # no admission clock time: midnight
    }


def test_first_day_labs_on_the_hospital_stay_clock(release: Path) -> None:
    frame = load_eicu(release)

    assert by_stay(frame, "creatinine") == {100: 1.2, 200: None, 300: None}
    assert by_stay(frame, "hemoglobin") == {100: 11.0, 200: None, 300: None}
    assert by_stay(frame, "wbc") == {100: 7.0, 200: None, 300: None}
    assert by_stay(frame, "lactate") == {100: None, 200: 3.3, 300: None}


def test_first_day_vitals_from_both_vital_tables(release: Path) -> None:
    frame = load_eicu(release)

    assert by_stay(frame, "heart_rate") == {100: 80.0, 200: None, 300: None}
    # The cuff reading (minute 8) precedes the arterial one (minute 10).
    assert by_stay(frame, "sbp") == {100: 130.0, 200: 110.0, 300: None}
    assert by_stay(frame, "resp_rate") == {100: 16.0, 200: None, 300: None}
    assert by_stay(frame, "temperature") == {100: 37.2, 200: None, 300: None}
    assert by_stay(frame, "spo2") == {100: 97.0, 200: 99.0, 300: None}


def test_comorbidity_flags_from_diagnosis_and_past_history(release: Path) -> None:
    frame = load_eicu(release)

    assert by_stay(frame, "chf") == {100: True, 200: False, 300: False}
    assert by_stay(frame, "diabetes") == {100: True, 200: False, 300: True}
    assert by_stay(frame, "ckd") == {100: False, 200: True, 300: False}
    assert by_stay(frame, "copd") == {100: False, 200: False, 300: True}
    assert by_stay(frame, "cancer") == {100: False, 200: True, 300: False}


def test_flags_are_null_without_diagnosis_and_past_history(tmp_path: Path) -> None:
    frame = load_eicu(make_release(tmp_path, omit=("diagnosis", "pastHistory")))
    for column in ("diabetes", "chf", "ckd", "copd", "cancer"):
        assert frame[column].null_count() == 3


def test_missing_optional_tables_give_one_warning_naming_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_release(tmp_path, omit=("lab", "vitalPeriodic", "apachePredVar"))
    with caplog.at_level(logging.WARNING, logger="phibench.data.eicu"):
        frame = load_eicu(tmp_path)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert (
        "lab.csv.gz, so creatinine, lactate, hemoglobin and wbc are null"
        in (warnings[0])
    )
    assert "vitalPeriodic.csv.gz" in warnings[0]
    assert "apachePredVar.csv.gz, so no stay can be typed ELECTIVE" in warnings[0]
    assert frame["creatinine"].null_count() == 3
    assert by_stay(frame, "sbp") == {100: 130.0, 200: 110.0, 300: None}
    assert by_stay(frame, "admission_type")[200] == "EMERGENCY"


def test_complete_release_logs_no_warning(
    release: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="phibench.data"):
        load_eicu(release)
    assert not caplog.records


def test_stays_without_outcome_or_age_are_dropped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    no_outcome = {**PATIENT[2], "hospitaldischargestatus": ""}
    no_age = unit(4001, 400, uniquepid="035-7", age="")
    make_release(tmp_path, patient=[*PATIENT[:2], no_outcome, *PATIENT[3:], no_age])
    with caplog.at_level(logging.WARNING, logger="phibench.data.eicu_codes"):
        frame = load_eicu(tmp_path)

    assert frame["admission_id"].to_list() == [100, 300]
    assert [r.getMessage() for r in caplog.records] == [
        "Dropped 2 of 4 eICU hospital stays that lack a value the cohort requires "
        "(1 with no age in any unit stay; 1 with no hospitaldischargestatus)"
    ]


@pytest.mark.parametrize(
    ("hospital_source", "unit_source", "elective", "expected"),
    [
        (ED, "Floor", "", "EMERGENCY"),
        ("Chest Pain Center", ED, "", "EMERGENCY"),
        ("Direct Admit", ED, "", "URGENT"),  # the hospital source comes first
        ("", "Other Hospital", "", "URGENT"),
        ("Floor", "Direct Admit", 0, "URGENT"),  # Floor decides nothing
        ("Operating Room", "Operating Room", 0, "EMERGENCY"),  # the default
        ("", "", "", "EMERGENCY"),
        (ED, ED, 1, "ELECTIVE"),
    ],
)
def test_admission_type_rules(
    tmp_path: Path,
    hospital_source: str,
    unit_source: str,
    elective: object,
    expected: str,
) -> None:
    row = {
        **PATIENT[2],
        "hospitaladmitsource": hospital_source,
        "unitadmitsource": unit_source,
    }
    make_release(tmp_path, patient=[row], apachePredVar=[(2001, elective)])
    assert load_eicu(tmp_path)["admission_type"].to_list() == [expected]


@pytest.mark.parametrize(
    ("ethnicity", "race"),
    [
        ("Caucasian", "WHITE"),
        ("Hispanic", "HISPANIC"),
        ("Asian", "ASIAN"),
        ("Native American", "OTHER"),
        ("Other/Unknown", "UNKNOWN"),
        ("", "UNKNOWN"),
        ("Martian", "OTHER"),
    ],
)
def test_race_groups(tmp_path: Path, ethnicity: str, race: str) -> None:
    row = {**PATIENT[2], "ethnicity": ethnicity}
    make_release(tmp_path, patient=[row])
    assert load_eicu(tmp_path)["race"].to_list() == [race]


def test_site_missing_from_hospital_table_is_warned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_release(tmp_path, hospital=[(7, "South")])
    with caplog.at_level(logging.WARNING, logger="phibench.data.eicu"):
        frame = load_eicu(tmp_path)

    assert by_stay(frame, "site")[300] == "9"
    assert [r.getMessage() for r in caplog.records] == [
        "1 eICU hospital stays have a hospitalid that the hospital table lacks; "
        "their site is kept as is"
    ]


def test_empty_dataset_id_is_rejected(release: Path) -> None:
    with pytest.raises(InputError, match="dataset_id=''"):
        load_eicu(release, dataset_id="")


def test_version_from_folder_name_or_readme(tmp_path: Path) -> None:
    assert eicu_version(make_release(tmp_path / "eicu-crd" / "2.0")) == "2.0"
    unnamed = make_release(tmp_path / "eicu")
    assert eicu_version(unnamed) is None
    (unnamed / "README.txt").write_text("eICU Collaborative Research Database v2.0\n")
    assert eicu_version(unnamed) == "2.0"


def test_corrupt_gzip_after_the_header_is_one_clear_error(tmp_path: Path) -> None:
    rows = [(i, 1001, i % 3000, "creatinine", 1.0) for i in range(200_000)]
    make_release(tmp_path, lab=rows)
    lab = tmp_path / "lab.csv.gz"
    data = bytearray(lab.read_bytes())
    middle = len(data) // 2  # the header decompresses; the middle does not
    data[middle : middle + 4096] = bytes(range(256)) * 16
    lab.write_bytes(bytes(data))

    # DuckDB reports it as a CSV or a gzip error depending on where it breaks.
    with pytest.raises(InputError, match=r"cannot read|could not be read") as raised:
        load_eicu(tmp_path)
    assert "\n" not in str(raised.value)
