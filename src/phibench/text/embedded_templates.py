"""Note templates for the embedded generator.

Each note kind is a list of lines. `{SLOT}` or `{SLOT:format}` marks PHI (see
`phibench.text.embedded.SLOT_LABELS`). A line starting with `?` is optional
and kept with probability one half; ` || ` separates alternative wordings of a
line, one drawn at random. Notes of one kind thus differ in which PHI they hold
and in the words around it. Clinical content is invented and generic.
"""

from __future__ import annotations

NURSING = (
    "NURSING PROGRESS NOTE {NOTEDATE} || NPN {NOTEDATE:noyear} 7A-7P || "
    "NURSING NOTE 7P-7A",
    "{PT_LAST} IS A {AGE} YO ADMITTED {ADMIT:noyear} FROM {HOSP_SHORT} ER WITH "
    "HYPOTENSION AND ACUTE RENAL FAILURE. || "
    "{AGE} Y/O M/F TRANSFERRED FROM {HOSPITAL} ON {ADMIT:noyear} FOR UROSEPSIS. || "
    "PT ({PT_FIRST} {PT_LAST}) IS {AGE} YEARS OLD, ADMITTED {ADMIT} WITH GI BLEED.",
    "NEURO: ALERT AND ORIENTED X3, MAE, FOLLOWS COMMANDS. || "
    "NEURO: SEDATED ON PROPOFOL, PERRL, WITHDRAWS TO PAIN.",
    "CV: HR 80-90S NSR, NO ECTOPY. BP STABLE OFF PRESSORS SINCE {NOTEDATE:noyear}. || "
    "CV: AFIB 100-120S, DILTIAZEM GTT STARTED {NOTEDATE:monthday}.",
    "?RESP: LS CLEAR, 2L NC, SATS 95-98%. SEEN BY DR {DR2_LAST} FROM PULM. || "
    "?RESP: INTUBATED, CPAP 5/5, ABG OK. DR. {DR2_LAST} AWARE.",
    "GU: FOLEY DRAINING CLEAR YELLOW URINE 40-60CC/HR. || "
    "GU: UO 20-30CC/HR, LASIX 40 MG IV GIVEN WITH GOOD RESPONSE.",
    "?SOCIAL: {REL_RELATION} {REL_FULL} IN TO VISIT, UPDATED BY RN {RN_FIRST}. || "
    "?FAMILY: {REL_RELATION} ({REL_FIRST}) CALLED FOR UPDATE, {RN_FIRST} RN SPOKE "
    "WITH {REL_RELATION}.",
    "?{REL_RELATION} REQUESTS CALLBACK{PHONE:dash} RE: LABS. || "
    "?PLEASE CALL {REL_RELATION} AT {PHONE} WITH ANY CHANGES.",
    "?PT IS A {PROFESSION}, LIVES IN {CITY} WITH {REL_RELATION}. || "
    "?PT LIVES ALONE IN {CITY}, WORKED AS A {PROFESSION}.",
    "DR {DR_LAST} AWARE OF CREATININE. PLAN: CONT IVF, RECHECK LYTES, "
    "F/U {NEXTDATE:noyear}. || "
    "PLAN: WEAN FIO2 AS TOL, MD ({DR_LAST}) TO REVIEW CXR, "
    "NEXT VISIT {NEXTDATE:noyear}.",
    "?{REL_RELATION}'S CAR (PLATE {VEHICLE}) IN VISITOR LOT, SECURITY AWARE.",
    "?ROOM {ROOM}, BED A. PT'S {REL_RELATION} CAN BE REACHED AT {PHONE}. || "
    "?MOVED TO ROOM {ROOM} ON {NOTEDATE:noyear}.",
)

DISCHARGE = (
    "DISCHARGE SUMMARY || Discharge Summary - {HOSPITAL}",
    "Patient: {PT_FULL}    MRN: {MRN}    DOB: {DOB} || "
    "Name: {PT_LAST}, {PT_FIRST}    Unit No: {MRN}    Date of birth: {DOB}",
    "Admission date: {ADMIT}    Discharge date: {NOTEDATE} || "
    "Admitted {ADMIT}; discharged {NOTEDATE}.",
    "Attending: {DR_FULL}, MD    Service: {DEPT} || "
    "Attending physician: Dr. {DR_FULL} ({DEPT})",
    "?Account number: {ACCOUNT} || ?Billing account {ACCOUNT}",
    "HISTORY OF PRESENT ILLNESS: {PT_FIRST} {PT_LAST} is a {AGE}-year-old {PROFESSION} "
    "who presented to {HOSPITAL} with two days of chest pain and dyspnea. || "
    "HPI: Mr./Ms. {PT_LAST} is a {AGE} year old with diabetes and CKD admitted with "
    "a foot ulcer. || "
    "HPI: {AGE} y.o. patient, seen in clinic {PRIORDATE:noyear}, now with fever.",
    "?Works as a {PROFESSION} at {EMPLOYER}. || ?Retired {PROFESSION}, formerly with "
    "{EMPLOYER}.",
    "?The patient was born in {COUNTRY} and moved to {CITY} in {YEAR}.",
    "?SOCIAL HISTORY: Lives at {STREET}, {CITY}, {STATE} {ZIP} with {REL_RELATION} "
    "{REL_FIRST}. || ?Address: {STREET}, {CITY} {ZIP}. Lives with {REL_RELATION}.",
    "HOSPITAL COURSE: Troponin peaked on {ADMIT:noyear}. Seen {MIDDATE:noyear} by Dr. "
    "{DR2_LAST} (cardiology), who recommended medical management. || "
    "HOSPITAL COURSE: Treated with IV antibiotics; Dr. {DR2_FULL} of infectious "
    "disease followed from {MIDDATE:long}.",
    "?Insurance: member ID {HEALTHPLAN}; SSN {SSN}. || ?Health plan no. {HEALTHPLAN}.",
    "?Device: pacemaker serial no. {DEVICE}; driver's license {LICENSE}.",
    "DISCHARGE MEDICATIONS: aspirin 81 mg daily, metoprolol 25 mg twice daily. || "
    "MEDICATIONS ON DISCHARGE: insulin glargine 20 units at night, lisinopril 10 mg.",
    "FOLLOW-UP: Dr. {DR_LAST} on {NEXTDATE}. Clinic phone {PHONE}, fax {FAX}. || "
    "Follow up with Dr. {DR_LAST} in 2 weeks ({NEXTDATE:monthday}); tel {PHONE}.",
    "?Copies sent to {EMAIL} {EMAIL2} {EMAIL3}",
    "?Results are in the patient portal at {URL}; questions to {EMAIL}.",
    "Dictated by: {USERNAME}    Transcribed: {NOTEDATE:iso} || "
    "Electronically signed by {DR_FULL}, MD on {NOTEDATE:slash}",
)

RADIOLOGY = (
    "RADIOLOGY REPORT - {HOSPITAL} || {HOSP_SHORT} DEPARTMENT OF RADIOLOGY",
    "EXAM: CT CHEST WITH CONTRAST    DATE: {NOTEDATE}    ACCESSION: {ACCOUNT} || "
    "EXAMINATION: CHEST PA AND LATERAL    DATE OF SERVICE: {NOTEDATE}",
    "PATIENT: {PT_LAST}, {PT_FIRST}    AGE: {AGE}    MRN: {MRN} || "
    "{PT_FULL} ({AGE} y), MRN {MRN}",
    "CLINICAL HISTORY: Shortness of breath. Referred by Dr. {DR_LAST}. || "
    "INDICATION: Cough and fever. Ordering physician: {DR_FULL}.",
    "COMPARISON: Chest radiograph of {PRIORDATE}. || COMPARISON: None.",
    "FINDINGS: No pulmonary embolism. Small bilateral pleural effusions. Mild "
    "cardiomegaly. No focal consolidation. || "
    "FINDINGS: Right lower lobe opacity. No pneumothorax. Heart size normal.",
    "IMPRESSION: Bilateral effusions, new since {PRIORDATE:noyear}. || "
    "IMPRESSION: Right lower lobe pneumonia.",
    "?Images pushed from workstation {IP} to the archive.",
    "?Findings discussed by phone with {RN_FULL}, RN, on {NOTEDATE:long}.",
    "Read by: {DR2_FULL}, MD || Radiologist: Dr. {DR2_LAST}",
)

KINDS = {"nursing": NURSING, "discharge": DISCHARGE, "radiology": RADIOLOGY}
#: nursing notes are written in upper case, as in many ICU systems
UPPER_CASE_KINDS = frozenset({"nursing"})
#: separates alternative wordings of one template line
ALTERNATIVES = " || "
