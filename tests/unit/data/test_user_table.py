"""load_user_table / read_user_table on tiny CSV and Parquet tables and roles files."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from phibench.data.cohort import COHORT_SCHEMA, conform
from phibench.data.user_table import load_user_table, read_user_table
from phibench.errors import InputError

TABLE = pl.DataFrame(
    {
        "pid": ["P2", "P1", "P2"],
        "hospital": ["north", "south", "north"],
        "admitted": [
            dt.datetime(2020, 1, 1, 8),
            dt.datetime(2020, 2, 1, 9),
            dt.datetime(2020, 3, 1, 10),
        ],
        "age_years": [50, 71, 50],
        "gender": ["F", "M", "F"],
        "los": [2.5, 3.0, 1.0],
        "died": [0, 1, 0],
        "icu": [True, None, False],
        "creat": [1.1, None, 0.9],
        "zip3": ["021", "100", "021"],
    }
)
ROLES = """\
patient_id: pid
site: hospital
outcome: died
columns:
  admit_time: admitted
  age: age_years
  sex: gender
  los_days: los
  icu_stay: icu
  creatinine: creat
defaults:
  admission_type: EMERGENCY
  icu_stay: false
quasi_identifiers: [age_years, gender, hospital]
bounds:
  age_years: [18, 91]
  los: [0, 60]
"""


def _write(tmp_path: Path, table: pl.DataFrame, roles: str | None, name: str) -> str:
    path = tmp_path / name
    if name.endswith(".parquet"):
        table.write_parquet(path)
    elif name.endswith(".gz"):
        path.write_bytes(gzip.compress(table.write_csv().encode()))
    else:
        table.write_csv(path)
    if roles is not None:
        (tmp_path / f"{name}.roles.yaml").write_text(roles, encoding="utf-8")
    return f"csv:{path}"


def _expected() -> pl.DataFrame:
    rows = {name: [None] * 3 for name in COHORT_SCHEMA}
    rows |= {
        "patient_id": [2, 1, 2],  # text ids numbered in sorted order
        "admission_id": [1, 2, 3],  # row numbers
        "site": ["north", "south", "north"],
        "admit_time": TABLE["admitted"].to_list(),
        "age": [50.0, 71.0, 50.0],
        "sex": ["F", "M", "F"],
        "admission_type": ["EMERGENCY"] * 3,
        "los_days": [2.5, 3.0, 1.0],
        "icu_stay": [True, False, False],  # the empty cell takes the constant
        "died_in_hospital": [False, True, False],
        "creatinine": [1.1, None, 0.9],
    }
    return conform(pl.DataFrame(rows, schema=COHORT_SCHEMA), source="expected")


@pytest.mark.parametrize("name", ["extract.csv", "extract.csv.gz", "extract.parquet"])
def test_good_roles_give_the_expected_cohort(tmp_path: Path, name: str) -> None:
    spec = _write(tmp_path, TABLE, ROLES, name)
    assert_frame_equal(load_user_table(spec), _expected())


def test_roles_come_back_in_cohort_terms(tmp_path: Path) -> None:
    spec = _write(tmp_path, TABLE, ROLES, "extract.csv")
    roles = read_user_table(spec).roles
    assert roles.quasi_identifiers == ("age", "sex", "site")
    assert roles.bounds == {"age": (18.0, 91.0), "los_days": (0.0, 60.0)}
    assert roles.constants == ("admission_type", "icu_stay")
    assert roles.data_use == "restricted"
    assert roles.roles_file == tmp_path / "extract.csv.roles.yaml"

    spec = _write(tmp_path, TABLE, ROLES + "data_use: open\n", "extract.csv")
    assert read_user_table(spec).roles.data_use == "open"


def test_site_and_admission_id_defaults(tmp_path: Path) -> None:
    roles = ROLES.replace("site: hospital\n", "admission_id: stay\n")
    roles = roles.replace(", hospital]", "]")
    table = TABLE.with_columns(stay=pl.Series([30, 10, 20]))
    frame = load_user_table(_write(tmp_path, table, roles, "extract.csv"))
    assert frame["site"].to_list() == ["user-site"] * 3
    assert frame["admission_id"].to_list() == [30, 10, 20]

    roles = roles.replace("defaults:\n", "defaults:\n  site: hospital-A\n")
    frame = load_user_table(_write(tmp_path, table, roles, "extract.csv"))
    assert frame["site"].to_list() == ["hospital-A"] * 3


def _error(tmp_path: Path, roles: str | None, table: pl.DataFrame = TABLE) -> str:
    spec = _write(tmp_path, table, roles, "extract.csv")
    with pytest.raises(InputError) as error:
        load_user_table(spec)
    return str(error.value).replace(str(tmp_path), "DIR")


def test_missing_roles_file(tmp_path: Path) -> None:
    assert _error(tmp_path, None) == (
        "csv:DIR/extract.csv: roles file DIR/extract.csv.roles.yaml not found; write "
        "it next to the table to name the patient id and outcome columns (see "
        "docs/data/user-tables.md)"
    )


BAD_ROLES = [
    (
        ROLES.replace("patient_id:", "patient:"),
        "unknown key 'patient' (allowed: patient_id, outcome, admission_id, site, "
        "columns, defaults, quasi_identifiers, bounds, data_use); did you mean "
        "'patient_id'? (and 1 more)",
    ),
    (
        ROLES.replace("  age: age_years", "  agee: age_years"),
        "unknown key 'columns.agee' (allowed: admit_time, age, sex, race, "
        "admission_type, los_days, icu_stay, heart_rate, sbp, resp_rate, "
        "temperature, spo2, creatinine, lactate, hemoglobin, wbc, diabetes, chf, "
        "ckd, copd, cancer); did you mean 'age'?",
    ),
    (
        ROLES.replace("outcome: died\n", ""),
        "required key 'outcome' is missing; name the column that holds it",
    ),
    (
        ROLES.replace("admission_type: EMERGENCY", "admission_type: ER"),
        "defaults.admission_type: Input should be 'EMERGENCY', 'URGENT', "
        "'ELECTIVE', 'OBSERVATION' or 'SURGICAL SAME DAY', got 'ER'",
    ),
    (
        ROLES.replace("patient_id: pid", "patient_id: 7"),
        "patient_id: Input should be a valid string, got 7",
    ),
    (
        ROLES.replace("[0, 60]", "[60, 0]"),
        "bounds: lower bound 60.0 of 'los' must be below its upper bound 0.0; write "
        "[lower, upper]",
    ),
    (
        ROLES + "data_use: public\n",
        "data_use: Input should be 'restricted' or 'open', got 'public'",
    ),
    (
        "- pid\n",
        "the roles file must be a mapping of keys such as patient_id: and "
        "outcome:, got list",
    ),
    (
        "patient_id: [pid\n",
        "not valid YAML at line 2; write `key: value` lines as "
        "in docs/data/user-tables.md",
    ),
]


@pytest.mark.parametrize(("roles", "message"), BAD_ROLES)
def test_bad_roles_file(tmp_path: Path, roles: str, message: str) -> None:
    assert _error(tmp_path, roles) == f"DIR/extract.csv.roles.yaml: {message}"


COLUMNS = "pid, hospital, admitted, age_years, gender, los, died, icu, creat, zip3"
BAD_COLUMNS = [
    (
        ROLES.replace("patient_id: pid", "patient_id: person"),
        f"patient_id column 'person' is not in the table extract.csv (columns: "
        f"{COLUMNS})",
    ),
    (
        ROLES.replace("  creatinine: creat", "  creatinine: creatinine"),
        "columns.creatinine column 'creatinine' is not in the table extract.csv "
        f"(columns: {COLUMNS})",
    ),
    (
        ROLES.replace("[age_years,", "[zip3, age_years,"),
        "quasi_identifiers column 'zip3' is not mapped to a cohort column; map it "
        "under columns: or as a role, or remove it (mapped: pid, hospital, died, "
        "admitted, age_years, gender, los, icu, creat)",
    ),
    (
        ROLES.replace("  los: [0, 60]", "  gender: [0, 1]"),
        "bounds column 'gender' feeds sex, which is not numeric; bounds apply to "
        "numeric columns only",
    ),
    (
        ROLES.replace("  los_days: los\n", "").replace("  los: [0, 60]\n", ""),
        "cohort column 'los_days' may not be empty and the roles file does not "
        "provide it; map it under columns: (los_days: <your column>) or give a "
        "constant under defaults: (los_days: ...)",
    ),
]


@pytest.mark.parametrize(("roles", "message"), BAD_COLUMNS)
def test_roles_that_do_not_fit_the_table(
    tmp_path: Path, roles: str, message: str
) -> None:
    assert _error(tmp_path, roles) == f"DIR/extract.csv.roles.yaml: {message}"


BAD_VALUES = [
    (
        TABLE.with_columns(age_years=pl.Series(["50", "n/a", "unknown"])),
        "column 'age_years' (age) must hold numbers, but 2 rows hold text; leave "
        "missing values empty and remove units or comments from the cells",
    ),
    (
        TABLE.with_columns(died=pl.Series([0, 2, 1])),
        "column 'died' (died_in_hospital) must hold true/false or 1/0 (empty for "
        "unknown), got Int64 values outside those; recode the column",
    ),
    (
        TABLE.with_columns(gender=pl.Series(["female", "M", "F"])),
        "column 'gender' (sex) must hold one of F, M or be empty; 1 rows hold other "
        "values, so recode them",
    ),
    (
        TABLE.with_columns(los=pl.Series([2.5, None, 1.0])),
        "column 'los' (los_days) is empty in 1 rows; the cohort requires los_days "
        "for every row, so fill those cells or give a constant under defaults: in "
        "extract.csv.roles.yaml",
    ),
    (
        TABLE.with_columns(pid=pl.Series(["P2", None, "P2"])),
        "column 'pid' (patient_id) is empty in 1 rows; the cohort requires "
        "patient_id for every row, so fill those cells",
    ),
    (
        TABLE.clear(),
        "the table has no rows; export at least one admission",
    ),
]


@pytest.mark.parametrize(("table", "message"), BAD_VALUES)
def test_values_that_do_not_fit_their_role(
    tmp_path: Path, table: pl.DataFrame, message: str
) -> None:
    assert _error(tmp_path, ROLES, table) == f"DIR/extract.csv: {message}"


def test_repeated_admission_ids(tmp_path: Path) -> None:
    roles = ROLES.replace("site: hospital\n", "site: hospital\nadmission_id: stay\n")
    table = TABLE.with_columns(stay=pl.Series([1, 1, 2]))
    assert _error(tmp_path, roles, table) == (
        "DIR/extract.csv: 2 rows share an admission id in column 'stay'; each row "
        "must be one admission with its own id, so fix the ids or drop "
        "admission_id from the roles file"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "extract.csv",
            "--dataset 'extract.csv' is not a user table; write csv:PATH with PATH a "
            ".csv, .csv.gz or .parquet file",
        ),
        (
            "csv:extract.xlsx",
            "csv:extract.xlsx: 'extract.xlsx' is not a .csv, .csv.gz or .parquet "
            "file; export the table in one of those formats",
        ),
        (
            "csv:nowhere/extract.csv",
            "csv:nowhere/extract.csv: no file at nowhere/extract.csv; check the path",
        ),
    ],
)
def test_bad_spec(spec: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        load_user_table(spec)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (["01/02/2020", "02/01/2020", "03/01/2020"], "3 rows do not"),
        (["2020-01-01", "2020-02-01", "03/01/2020"], "1 row does not"),
    ],
)
def test_dates_must_be_iso(tmp_path, dates, message):
    # 01/02/2020 is a different day in Europe and the US: refused, never guessed
    table = TABLE.with_columns(pl.Series("admitted", dates))
    spec = _write(tmp_path, table, ROLES, "extract.csv")
    with pytest.raises(InputError, match=rf"must hold ISO dates.*; {message}"):
        load_user_table(spec)
