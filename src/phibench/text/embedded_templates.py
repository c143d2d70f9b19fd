"""Note templates for the embedded generator.

Each note kind is a list of lines. `{SLOT}` or `{SLOT:format}` marks PHI (see
`phibench.text.embedded.SLOT_LABELS`); a line starting with `?` is optional and
kept with probability one half, so notes of one kind differ in which PHI they
hold. Clinical content is invented and deliberately generic.
"""

from __future__ import annotations

NURSING = (
    "NURSING PROGRESS NOTE {NOTEDATE}",
    "{PT_LAST} IS A {AGE} YO ADMITTED {ADMIT:noyear} FROM {HOSP_SHORT} ER WITH "
    "HYPOTENSION AND ACUTE RENAL FAILURE.",
    "NEURO: ALERT AND ORIENTED X3, MAE, FOLLOWS COMMANDS.",
    "CV: HR 80-90S NSR, NO ECTOPY. BP STABLE OFF PRESSORS SINCE {NOTEDATE:noyear}.",
    "?RESP: LS CLEAR, 2L NC, SATS 95-98%. SEEN BY DR {DR2_LAST} FROM PULM.",
    "GU: FOLEY DRAINING CLEAR YELLOW URINE 40-60CC/HR.",
    "?SOCIAL: {REL_RELATION} {REL_FULL} IN TO VISIT, UPDATED BY RN {RN_FIRST}.",
    "?{REL_RELATION} REQUESTS CALLBACK{PHONE:dash} RE: LABS.",
    "?PT IS A {PROFESSION}, LIVES IN {CITY} WITH {REL_RELATION}.",
    "DR {DR_LAST} AWARE OF CREATININE. PLAN: CONT IVF, RECHECK LYTES, "
    "F/U {NEXTDATE:noyear}.",
    "?{REL_RELATION}'S CAR (PLATE {VEHICLE}) IN VISITOR LOT, SECURITY AWARE.",
    "?ROOM {ROOM}, BED A. PT'S {REL_RELATION} CAN BE REACHED AT {PHONE}.",
)

DISCHARGE = (
    "DISCHARGE SUMMARY",
    "Patient: {PT_FULL}    MRN: {MRN}    DOB: {DOB}",
    "Admission date: {ADMIT}    Discharge date: {NOTEDATE}",
    "Attending: {DR_FULL}, MD    Service: {DEPT}",
    "?Account number: {ACCOUNT}",
    "HISTORY OF PRESENT ILLNESS: {PT_FIRST} {PT_LAST} is a {AGE}-year-old {PROFESSION} "
    "who presented to {HOSPITAL} with two days of chest pain and dyspnea.",
    "?Works as a {PROFESSION} at {EMPLOYER}.",
    "?The patient was born in {COUNTRY} and moved to {CITY} in {YEAR}.",
    "?SOCIAL HISTORY: Lives at {STREET}, {CITY}, {STATE} {ZIP} with {REL_RELATION} "
    "{REL_FIRST}.",
    "HOSPITAL COURSE: Troponin peaked on {ADMIT:noyear}. Seen {MIDDATE:noyear} by Dr. "
    "{DR2_LAST} (cardiology), who recommended medical management.",
    "?Insurance: member ID {HEALTHPLAN}; SSN {SSN}.",
    "?Device: pacemaker serial no. {DEVICE}; driver's license {LICENSE}.",
    "DISCHARGE MEDICATIONS: aspirin 81 mg daily, metoprolol 25 mg twice daily.",
    "FOLLOW-UP: Dr. {DR_LAST} on {NEXTDATE}. Clinic phone {PHONE}, fax {FAX}.",
    "?Copies sent to {EMAIL} {EMAIL2} {EMAIL3}",
    "?Results are in the patient portal at {URL}; questions to {EMAIL}.",
    "Dictated by: {USERNAME}    Transcribed: {NOTEDATE:iso}",
)

RADIOLOGY = (
    "RADIOLOGY REPORT - {HOSPITAL}",
    "EXAM: CT CHEST WITH CONTRAST    DATE: {NOTEDATE}    ACCESSION: {ACCOUNT}",
    "PATIENT: {PT_LAST}, {PT_FIRST}    AGE: {AGE}    MRN: {MRN}",
    "CLINICAL HISTORY: Shortness of breath. Referred by Dr. {DR_LAST}.",
    "COMPARISON: Chest radiograph of {PRIORDATE}.",
    "FINDINGS: No pulmonary embolism. Small bilateral pleural effusions. Mild "
    "cardiomegaly. No focal consolidation.",
    "IMPRESSION: Bilateral effusions, new since {PRIORDATE:noyear}.",
    "?Images pushed from workstation {IP} to the archive.",
    "?Findings discussed by phone with {RN_FULL}, RN, on {NOTEDATE:long}.",
    "Read by: {DR2_FULL}, MD",
)

KINDS = {"nursing": NURSING, "discharge": DISCHARGE, "radiology": RADIOLOGY}
#: nursing notes are written in upper case, as in many ICU systems
UPPER_CASE_KINDS = frozenset({"nursing"})
