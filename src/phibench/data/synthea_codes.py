"""Synthea codes and fixed values used by the Synthea loader.

LOINC codes for first-day vitals and labs, SNOMED CT codes for comorbidities,
and the values given to per-patient rows; see `phibench.data.synthea` for how
they are applied.
"""

from __future__ import annotations

#: `site` of every row when there are no encounters (one row per patient).
SYNTHEA_SITE = "synthea"
#: The first day is [START, START + 24 h], both ends included, as for MIMIC-IV.
FIRST_DAY_HOURS = 24
#: Encounter CODE of an inpatient encounter in an intensive care unit (SNOMED CT
#: 305351004 "Admission to intensive care unit"); Synthea has no other ICU record.
ICU_ENCOUNTER_CODE = "305351004"
#: `admission_type` of per-patient rows, which are not admissions.
PATIENT_ROW_ADMISSION_TYPE = "OBSERVATION"


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Cohort column -> (LOINC code, UNITS) pairs read from observations.csv. Rows of
#: these codes in other units are ignored and counted in a warning.
OBSERVATION_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "heart_rate": (("8867-4", "/min"),),
    "sbp": (("8480-6", "mm[Hg]"),),
    "resp_rate": (("9279-1", "/min"),),
    "temperature": (("8310-5", "Cel"),),
    # Synthea records oxygen saturation as a vital sign under 2708-6 (arterial)
    # and, in emergency encounters, 2713-6; 59408-5 is pulse oximetry.
    "spo2": (("59408-5", "%"), ("2708-6", "%"), ("2713-6", "%")),
    # serum/plasma (2160-0) and blood (38483-4, Synthea's metabolic panel)
    "creatinine": (("2160-0", "mg/dL"), ("38483-4", "mg/dL")),
    # Synthea files 59032-3 in mmol/L; 2524-7 and 32693-4 are the molar codes.
    "lactate": (("2524-7", "mmol/L"), ("32693-4", "mmol/L"), ("59032-3", "mmol/L")),
    "hemoglobin": (("718-7", "g/dL"),),
    "wbc": (("6690-2", "10*3/uL"),),
}

#: SNOMED CT condition codes per comorbidity flag: the codes Synthea uses for the
#: Charlson groups that MIMIC-IV's flags follow (Quan et al., Med Care 2005).
#: Left out on purpose: prediabetes 15777000, hyperglycemia 80394007, carcinoma
#: in situ of prostate 92691004, neoplasm of prostate 126906006 (behaviour not
#: stated), suspected lung cancer 162573006. Diabetic renal disease 127013003 is
#: diabetes, not ckd, as Charlson counts it.
COMORBIDITY_CODES: dict[str, tuple[str, ...]] = {
    # "Diabetes" (type 2), then its complications: diabetic renal disease,
    # retinopathy (3 codes), macular edema, neuropathy, microalbuminuria.
    "diabetes": words(
        "44054006 127013003 422034002 1551000119108 1501000119109 97331000119101 "
        "368581000119106 90781000119102"
    ),
    "chf": ("88805009", "84114007"),  # chronic congestive / heart failure
    # CKD stages 1 to 4 and end-stage renal disease (stage 3, 4 and ESRD do not
    # occur in the shared copies).
    "ckd": ("431855005", "431856006", "433144002", "431857002", "46177005"),
    # Charlson "chronic pulmonary disease": COPD, emphysema and asthma.
    "copd": ("185086009", "87433001", "195967001", "233678006"),
    # Malignant neoplasm of breast; of colon (malignant tumor, overlapping,
    # primary, secondary); metastasis from prostate; lung: non-small cell (2
    # codes), small cell (2 codes).
    "cancer": words(
        "254837009 363406005 109838007 93761005 94260004 314994000 254637007 "
        "424132000 254632001 67811000119102"
    ),
}

#: patients.csv RACE -> cohort.RACE_GROUPS; ETHNICITY "hispanic" comes first.
RACE_MAP = {"white": "WHITE", "black": "BLACK", "asian": "ASIAN"}
