"""eICU-CRD codes and value maps, and how patient rows become hospital stays.

Kept apart from the loader (phibench.data.eicu, which reads the files) so the
clinical choices can be reviewed on their own: the constants, the Polars
expressions that apply them, and `hospital_stays`, which turns the patient table
(one row per unit stay) into cohort rows. Nothing here reads or writes files.
Where eICU has an equivalent of a MIMIC-IV rule, the MIMIC-IV constant is reused,
so that both cohorts mean the same thing by a column (docs/data/crosswalk.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import polars as pl

from phibench.data.mimic_codes import AGE_TOP_CODE, FIRST_DAY_HOURS
from phibench.errors import InputError

logger = logging.getLogger(__name__)

#: The patient columns the loader reads (lower case).
PATIENT_COLUMNS: tuple[str, ...] = (
    "patientunitstayid",
    "patienthealthsystemstayid",
    "uniquepid",
    "hospitalid",
    "gender",
    "age",
    "ethnicity",
    "hospitaladmittime24",
    "hospitaladmitoffset",
    "hospitaladmitsource",
    "hospitaldischargeyear",
    "hospitaldischargeoffset",
    "hospitaldischargestatus",
    "unitadmitsource",
    "unitvisitnumber",
)

#: The window for first-day values, in minutes after the first unit admission
#: (eICU offsets are minutes). Both ends are included, as for MIMIC-IV.
FIRST_DAY_MINUTES = FIRST_DAY_HOURS * 60

#: eICU writes ages above 89 as this text (HIPAA Safe Harbor); it becomes
#: AGE_TOP_CODE, the value MIMIC-IV uses for "over 89".
AGE_OVER_89 = "> 89"
AGE_OVER_89_VALUE = float(AGE_TOP_CODE)

#: uniquepid is "<3-digit prefix>-<number>", e.g. "002-34851". patient_id packs
#: both parts into one integer, prefix * PID_FACTOR + number (20034851 here): it is
#: stable across runs and subsets, readable back, and one-to-one as long as the
#: number has no leading zero and at most 7 digits, which UNIQUEPID_PATTERN checks.
UNIQUEPID_PATTERN = r"^\d{1,3}-(0|[1-9]\d{0,6})$"
PID_FACTOR = 10_000_000

#: hospitaldischargestatus -> died_in_hospital; empty is unknown.
DISCHARGE_STATUS: dict[str, bool] = {"Alive": False, "Expired": True}

#: gender -> cohort sex; anything else ("Unknown", "Other", empty) is null.
SEX_CODES: dict[str, str] = {"Male": "M", "Female": "F"}

#: ethnicity -> cohort.RACE_GROUPS; empty is UNKNOWN, any other value OTHER.
#: eICU's "Other/Unknown" does not say which of the two it is; it goes to UNKNOWN,
#: the group that claims nothing about the patient.
ETHNICITY_GROUPS: dict[str, str] = {
    "Caucasian": "WHITE",
    "African American": "BLACK",
    "Hispanic": "HISPANIC",
    "Asian": "ASIAN",
    "Native American": "OTHER",
    "Other/Unknown": "UNKNOWN",
}

#: Admission sources that say how the patient came into the hospital, used for
#: admission_type after apachePredVar.electivesurgery (see ADMISSION_TYPE_DEFAULT).
#: The other sources (Floor, Operating Room, Recovery Room, PACU, Step-Down Unit,
#: ICU, Other ICU...) say where the patient was inside the hospital before the
#: unit, not how the hospital stay began, so they decide nothing.
ADMIT_SOURCE_TYPES: dict[str, str] = {
    "Emergency Department": "EMERGENCY",
    "Chest Pain Center": "EMERGENCY",
    "Direct Admit": "URGENT",
    "Other Hospital": "URGENT",
}

#: A stay not marked as elective surgery and with no informative admission source
#: is unplanned: ICU admissions that were not scheduled surgery are emergencies in
#: the great majority, and EMERGENCY is MIMIC-IV's most common type as well.
ADMISSION_TYPE_DEFAULT = "EMERGENCY"

#: lab.labname values per cohort column. eICU units match the cohort's:
#: creatinine mg/dL, lactate mmol/L, Hgb g/dL, "WBC x 1000" K/mcL (= 10^9/L).
LAB_NAMES: dict[str, tuple[str, ...]] = {
    "creatinine": ("creatinine",),
    "lactate": ("lactate",),
    "hemoglobin": ("Hgb",),
    "wbc": ("WBC x 1000",),
}

#: Vital-sign sources per cohort column: (table, column). vitalPeriodic holds the
#: monitor values (systemicsystolic is the arterial line), vitalAperiodic the
#: non-invasive cuff pressure. sbp takes the first of both, as MIMIC-IV's sbp
#: takes the first of its arterial and non-invasive items. temperature is
#: recorded in degrees Celsius, sao2 is the pulse-oximetry saturation in percent.
VITAL_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "heart_rate": (("vitalPeriodic", "heartrate"),),
    "sbp": (
        ("vitalPeriodic", "systemicsystolic"),
        ("vitalAperiodic", "noninvasivesystolic"),
    ),
    "resp_rate": (("vitalPeriodic", "respiration"),),
    "temperature": (("vitalPeriodic", "temperature"),),
    "spo2": (("vitalPeriodic", "sao2"),),
}

#: diagnosis.icd9code holds comma-separated ICD-9-CM and ICD-10-CM codes with
#: dots ("401.9, I10"). The shape tells the version: ICD-9 has three digits, or
#: V + two digits, or E + three digits; ICD-10 has a letter + two digits. ICD-9 is
#: tried first, so a bare "V45.1" counts as ICD-9 (a status code such as renal
#: dialysis), not as the ICD-10 transport-accident code it could also be.
ICD9_PATTERN = r"^(\d{3}|V\d{2}|E\d{3})(\.\d{1,2})?$"
ICD10_PATTERN = r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$"

#: pastHistory.pasthistorypath fragments (matched case-insensitively anywhere in
#: the path) per comorbidity flag, chosen to cover the same conditions as the
#: Charlson groups in mimic_codes.COMORBIDITY_CODES. Cancer therapy entries
#: (chemotherapy, radiation) are left out: they are treatments, not diagnoses.
PAST_HISTORY_PATHS: dict[str, tuple[str, ...]] = {
    # Insulin-dependent, non-insulin (medication or diet) dependent diabetes.
    "diabetes": ("/insulin dependent diabetes/", "/non-insulin dependent diabetes/"),
    "chf": ("/congestive heart failure/",),
    # Renal failure (dialysed or not), renal insufficiency, renal transplant:
    # ICD-9 585 (any CKD stage), V42.0 and V45.1 in the Charlson list.
    "ckd": ("/renal failure/", "/renal insufficiency/", "/s/p renal transplant/"),
    # Charlson "chronic pulmonary disease" includes asthma.
    "copd": ("/pulmonary/copd/", "/pulmonary/asthma/"),
    "cancer": (
        "/cancer/cancer-primary site/",
        "/cancer/hematologic malignancy/",
        "/cancer/metastases/",
    ),
}


def text(column: str) -> pl.Expr:
    """A text column with surrounding blanks removed and empty strings as null."""
    stripped = pl.col(column).str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def age() -> pl.Expr:
    """Years as a number; AGE_OVER_89 becomes AGE_OVER_89_VALUE."""
    raw = text("age")
    return (
        pl.when(raw.str.replace_all(" ", "") == AGE_OVER_89.replace(" ", ""))
        .then(pl.lit(AGE_OVER_89_VALUE))
        .otherwise(raw.cast(pl.Float64, strict=False).fill_nan(None))
    )


def patient_id() -> pl.Expr:
    """uniquepid packed into an integer (see UNIQUEPID_PATTERN)."""
    prefix = text("uniquepid").str.extract(r"^(\d+)-").cast(pl.Int64)
    number = text("uniquepid").str.extract(r"-(\d+)$").cast(pl.Int64)
    return prefix * PID_FACTOR + number


def _admit_clock() -> pl.Expr:
    return text("hospitaladmittime24").str.to_time("%H:%M:%S", strict=False)


def admit_time() -> pl.Expr:
    """Synthetic: 1 January of the discharge year at the hospital admission's
    clock time (midnight when that is empty). For ordering only."""
    day = pl.datetime(pl.col("hospitaldischargeyear"), 1, 1)
    return day.dt.combine(_admit_clock().fill_null(dt.time(0)))


def sex() -> pl.Expr:
    return text("gender").replace_strict(
        SEX_CODES, default=None, return_dtype=pl.String
    )


def race() -> pl.Expr:
    groups = text("ethnicity").replace_strict(
        ETHNICITY_GROUPS, default="OTHER", return_dtype=pl.String
    )
    return (
        pl.when(text("ethnicity").is_null()).then(pl.lit("UNKNOWN")).otherwise(groups)
    )


def died_in_hospital() -> pl.Expr:
    status = text("hospitaldischargestatus")
    return status.replace_strict(
        DISCHARGE_STATUS, default=None, return_dtype=pl.Boolean
    )


def los_days() -> pl.Expr:
    """Hospital length of stay: both offsets count minutes from the unit admission."""
    minutes = pl.col("hospitaldischargeoffset") - pl.col("hospitaladmitoffset")
    return minutes / (24 * 60)


def is_elective() -> pl.Expr:
    return (pl.col("electivesurgery") == 1).fill_null(False)


def admission_source_type() -> pl.Expr:
    """ADMIT_SOURCE_TYPES of hospitaladmitsource, else of unitadmitsource."""
    return pl.coalesce(
        [
            text(column).replace_strict(
                ADMIT_SOURCE_TYPES, default=None, return_dtype=pl.String
            )
            for column in ("hospitaladmitsource", "unitadmitsource")
        ]
    )


def admission_type() -> pl.Expr:
    """ELECTIVE for elective surgery, else by admission source, else the default."""
    by_source = admission_source_type().fill_null(pl.lit(ADMISSION_TYPE_DEFAULT))
    return pl.when(is_elective()).then(pl.lit("ELECTIVE")).otherwise(by_source)


def invalid_values() -> dict[str, tuple[pl.Expr, str]]:
    """Patient column -> (true for an unreadable value, what the column allows)."""
    status = text("hospitaldischargestatus")
    return {
        "patienthealthsystemstayid": (
            pl.col("patienthealthsystemstayid").is_null(),
            "an integer in every row",
        ),
        "uniquepid": (
            text("uniquepid").str.contains(UNIQUEPID_PATTERN).fill_null(False).not_(),
            "text like '002-34851' in every row (up to 3 digits, a dash, a number "
            "of up to 7 digits without leading zeros)",
        ),
        "age": (
            text("age").is_not_null() & age().is_null(),
            f"a number of years, '{AGE_OVER_89}' or empty",
        ),
        "hospitaldischargestatus": (
            status.is_not_null() & status.is_in(list(DISCHARGE_STATUS)).not_(),
            f"{', '.join(DISCHARGE_STATUS)} or empty",
        ),
        "hospitaladmittime24": (
            text("hospitaladmittime24").is_not_null() & _admit_clock().is_null(),
            "a clock time HH:MM:SS or empty",
        ),
    }


def _check_values(units: pl.DataFrame, source: Path) -> None:
    """Reject duplicated unit stays and unreadable patient values, by count."""
    ids = units["patientunitstayid"]
    n_repeated = ids.filter(ids.is_duplicated()).n_unique()
    if n_repeated:
        raise InputError(
            f"{source}: {n_repeated} patientunitstayid values appear in more than one "
            "row; the eICU patient table must have one row per unit stay (was the "
            "file concatenated twice?)"
        )
    for column, (invalid, allowed) in invalid_values().items():
        n_invalid = units.select(invalid.sum()).item()
        if n_invalid:
            raise InputError(
                f"{source}: column {column} has {n_invalid} values that are not "
                f"{allowed}; fix or remove those rows"
            )


def hospital_stays(units: pl.DataFrame, *, source: Path) -> pl.DataFrame:
    """One row per hospital stay from its first unit stay; incomplete ones dropped.

    An empty age is taken from the hospital stay's next unit stay that has one.
    """
    _check_values(units, source)
    units = units.with_columns(age=age())
    later_age = (
        units.sort("unit_rank")
        .group_by("patienthealthsystemstayid")
        .agg(later_age=pl.col("age").drop_nulls().first())
    )
    first = units.filter(pl.col("unit_rank") == 1).join(
        later_age, on="patienthealthsystemstayid", how="left"
    )
    stays = first.select(
        patient_id=patient_id(),
        admission_id=pl.col("patienthealthsystemstayid"),
        site=pl.col("hospitalid").cast(pl.String),
        admit_time=admit_time(),
        age=pl.coalesce("age", "later_age"),
        sex=sex(),
        race=race(),
        admission_type=admission_type(),
        los_days=los_days(),
        icu_stay=pl.lit(True),
        died_in_hospital=died_in_hospital(),
    )
    n_elective, n_by_source = first.select(
        is_elective().sum().alias("elective"),
        (~is_elective() & admission_source_type().is_not_null())
        .sum()
        .alias("by_source"),
    ).row(0)
    logger.info(
        "eICU admission_type of %d hospital stays: %d ELECTIVE (elective surgery), "
        "%d from the admission source, %d %s by default; %d ages taken from a "
        "later unit stay",
        stays.height,
        n_elective,
        n_by_source,
        stays.height - n_elective - n_by_source,
        ADMISSION_TYPE_DEFAULT,
        first.select(
            (pl.col("age").is_null() & pl.col("later_age").is_not_null()).sum()
        ).item(),
    )
    return _drop_incomplete(stays)


#: Why a hospital stay may lack a value the cohort requires; such stays are dropped.
_DROP_CAUSES = {
    "age": "no age in any unit stay",
    "died_in_hospital": "no hospitaldischargestatus",
    "los_days": "no hospitaladmitoffset or hospitaldischargeoffset",
}


def _drop_incomplete(stays: pl.DataFrame) -> pl.DataFrame:
    complete = stays.drop_nulls(list(_DROP_CAUSES))
    n_dropped = stays.height - complete.height
    if n_dropped:
        logger.warning(
            "Dropped %d of %d eICU hospital stays that lack a value the cohort "
            "requires (%s)",
            n_dropped,
            stays.height,
            "; ".join(
                f"{stays[column].null_count()} with {cause}"
                for column, cause in _DROP_CAUSES.items()
                if stays[column].null_count()
            ),
        )
    return complete
