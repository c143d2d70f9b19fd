"""MIMIC-IV item ids, diagnosis codes and value maps used by the loader.

Kept apart from the loader so the clinical choices can be read and reviewed on
their own; each constant says where it comes from.
"""

from __future__ import annotations

#: The `site` value: all of MIMIC-IV, demo included, comes from one hospital (Beth
#: Israel Deaconess Medical Center, Boston).
MIMIC_SITE = "mimic-iv"

#: The first day is [admittime, admittime + 24 h], both ends included.
FIRST_DAY_HOURS = 24

#: MIMIC-IV reports every age above 89 as anchor_age 91 (HIPAA Safe Harbor); ages
#: computed from it for later years are top-coded at the same value, so 91 keeps
#: meaning "over 89" and no finer age above 89 is released.
AGE_TOP_CODE = 91


#: Lab item ids (hosp/d_labitems of the v2.2 demo), all with fluid "Blood".
LAB_ITEMS: dict[str, tuple[int, ...]] = {
    # "Creatinine", Chemistry, mg/dL: the serum value drawn with every basic panel.
    # Left out: 52024 (whole-blood creatinine from blood-gas analysers, 5 demo rows)
    # and 52546 (a later Chemistry item, no demo rows).
    "creatinine": (50912,),
    # "Lactate", Blood Gas, mmol/L. 52442 and 53154 share the label but have no
    # demo rows.
    "lactate": (50813,),
    # "Hemoglobin", Hematology (complete blood count), g/dL. Left out: 50811, the
    # blood-gas co-oximetry value, a different assay taken mostly in the ICU;
    # mixing it in would let the analyser that ran first decide the value.
    "hemoglobin": (51222,),
    # "White Blood Cells" and "WBC Count", Hematology, K/uL (= 10^9/L): the same
    # count under two labels.
    "wbc": (51301, 51300),
}

#: Vital-sign item ids (icu/d_items, linksto chartevents).
VITAL_ITEMS: dict[str, tuple[int, ...]] = {
    "heart_rate": (220045,),  # "Heart Rate", bpm
    "sbp": (220179, 220050),  # non-invasive and arterial systolic pressure, mmHg
    "resp_rate": (220210,),  # "Respiratory Rate", insp/min
    "temperature": (223761, 223762),  # Fahrenheit (converted below), Celsius
    "spo2": (220277,),  # "O2 saturation pulseoxymetry", %
}
FAHRENHEIT_ITEMS = (223761,)


def _codes(specs: str) -> tuple[str, ...]:
    """Expand space-separated code prefixes; "C00-C26" means C00, C01, ..., C26."""
    prefixes: list[str] = []
    for spec in specs.split():
        low, _, high = spec.partition("-")
        head = low.rstrip("0123456789")
        width = len(low) - len(head)
        first, last = int(low[len(head) :]), int((high or low)[len(head) :])
        prefixes.extend(f"{head}{n:0{width}d}" for n in range(first, last + 1))
    return tuple(prefixes)


#: Diagnosis code prefixes per ICD version (without dots, as MIMIC-IV stores codes),
#: from the Charlson coding algorithms of Quan et al., Med Care 2005;43(11):1130-9,
#: Table 1. They are WHO ICD-10 codes; as prefixes they also match the longer
#: ICD-10-CM codes MIMIC-IV uses.
COMORBIDITY_CODES: dict[str, dict[int, tuple[str, ...]]] = {
    # Diabetes with or without chronic complication.
    "diabetes": {9: _codes("250"), 10: _codes("E10-E14")},
    # Congestive heart failure.
    "chf": {
        9: _codes(
            "39891 40201 40211 40291 40401 40403 40411 40413 40491 40493 4254-4259 428"
        ),
        10: _codes("I099 I110 I130 I132 I255 I420 I425-I429 I43 I50 P290"),
    },
    # Charlson "renal disease": chronic kidney disease, dialysis, kidney transplant.
    "ckd": {
        9: _codes(
            "40301 40311 40391 40402 40403 40412 40413 40492 40493 582 "
            "5830-5837 585 586 5880 V420 V451 V56"
        ),
        10: _codes("I120 I131 N032-N037 N052-N057 N18 N19 N250 Z490-Z492 Z940 Z992"),
    },
    # Charlson "chronic pulmonary disease": COPD, but also asthma and the
    # pneumoconioses, kept as published.
    "copd": {
        9: _codes("4168 4169 490-505 5064 5081 5088"),
        10: _codes("I278 I279 J40-J47 J60-J67 J684 J701 J703"),
    },
    # Any malignancy incl. lymphoma and leukaemia (not skin), or metastatic tumour.
    "cancer": {
        9: _codes("140-172 1740-1958 196-199 200-208 2386"),
        10: _codes(
            "C00-C26 C30-C34 C37-C41 C43 C45-C58 C60-C76 C77-C80 C81-C85 C88 C90-C97"
        ),
    },
}

#: `race` prefixes in order of precedence; anything else is OTHER, null is UNKNOWN.
RACE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("WHITE", "WHITE"),
    ("BLACK", "BLACK"),
    ("HISPANIC", "HISPANIC"),
    ("LATINO", "HISPANIC"),
    ("ASIAN", "ASIAN"),
    ("UNKNOWN", "UNKNOWN"),
    ("UNABLE TO OBTAIN", "UNKNOWN"),
    ("PATIENT DECLINED", "UNKNOWN"),
)

#: MIMIC-IV v2 `admission_type` -> cohort.ADMISSION_TYPES.
ADMISSION_TYPE_MAP: dict[str, str] = {
    "EW EMER.": "EMERGENCY",
    "DIRECT EMER.": "EMERGENCY",
    "URGENT": "URGENT",
    "ELECTIVE": "ELECTIVE",
    "EU OBSERVATION": "OBSERVATION",
    "OBSERVATION ADMIT": "OBSERVATION",
    "DIRECT OBSERVATION": "OBSERVATION",
    "AMBULATORY OBSERVATION": "OBSERVATION",
    "SURGICAL SAME DAY ADMISSION": "SURGICAL SAME DAY",
}


#: DuckDB type of every column read; the other columns stay VARCHAR, and DuckDB
#: skips converting columns a query does not use.


#: Lengths of the code prefixes above; codes are matched on each such prefix.
COMORBIDITY_PREFIX_LENGTHS = sorted(
    {
        len(p)
        for versions in COMORBIDITY_CODES.values()
        for v in versions.values()
        for p in v
    }
)


def comorbidity_code_rows() -> str:
    """SQL VALUES rows (flag, icd_version, prefix) of COMORBIDITY_CODES."""
    from phibench.data.csv_sql import quote

    return ", ".join(
        f"({quote(flag)}, {version}, {quote(prefix)})"
        for flag, versions in COMORBIDITY_CODES.items()
        for version, prefixes in versions.items()
        for prefix in prefixes
    )
