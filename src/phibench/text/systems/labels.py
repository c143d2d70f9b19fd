"""Each system's labels mapped onto the phibench taxonomy (i2b2-2014 subtypes).

The tables are data so that docs/text/systems.md can show them and a test can
check that every target is a taxonomy subtype or `UNTYPED`. A label mapped to
None is not PHI under i2b2-2014 or HIPAA Safe Harbor and is dropped.
"""

from __future__ import annotations

from phibench.text.taxonomy import CATEGORIES, CATEGORY_OF, UNTYPED

#: Presidio entity -> subtype. Presidio cannot tell a patient from a clinician:
#: every PERSON becomes PATIENT (right category, NAME; the subtype is a guess).
PRESIDIO: dict[str, str | None] = {
    "PERSON": "PATIENT",
    "LOCATION": "LOCATION-OTHER",
    "ORGANIZATION": "ORGANIZATION",
    "DATE_TIME": "DATE",
    "AGE": "AGE",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "EMAIL": "EMAIL",
    "URL": "URL",
    "IP_ADDRESS": "IPADDR",
    "US_SSN": "SSN",
    "US_ITIN": "IDNUM",
    "US_PASSPORT": "IDNUM",
    "US_DRIVER_LICENSE": "LICENSE",
    "MEDICAL_LICENSE": "LICENSE",
    "US_BANK_NUMBER": "ACCOUNT",
    "CREDIT_CARD": "ACCOUNT",
    "IBAN_CODE": "ACCOUNT",
    "CRYPTO": "ACCOUNT",
    "UK_NHS": "MEDICALRECORD",
    "MAC_ADDRESS": "DEVICE",
    "UUID": "IDNUM",
    "ID": "IDNUM",
    "NRP": None,  # nationality, religion, politics: not PHI in either scheme
}

#: Philter (philter-lite's shipped configuration) phi_type -> subtype. Only
#: its date filters carry a type; everything else is OTHER (binary view only).
PHILTER: dict[str, str | None] = {
    "DATE": "DATE",
    "Age": "AGE",
    "Email": "EMAIL",
    "Patient_Social_Security_Number": "SSN",
    "Provider_Address_or_Location": "LOCATION-OTHER",
    "Name": "PATIENT",
    "OTHER": UNTYPED,
}

#: Common token-classification label names (after stripping B-/I-/E-/S-/L-/U-)
#: that are not taxonomy subtypes or categories themselves.
HF_SYNONYMS: dict[str, str | None] = {
    "NAME": "PATIENT",
    "PER": "PATIENT",
    "PERSON": "PATIENT",
    "HCW": "DOCTOR",
    "STAFF": "DOCTOR",
    "PROVIDER": "DOCTOR",
    "PATIENT_NAME": "PATIENT",
    "DOCTOR_NAME": "DOCTOR",
    "LOC": "LOCATION-OTHER",
    "LOCATION": "LOCATION-OTHER",
    "GPE": "CITY",
    "ORG": "ORGANIZATION",
    "HOSP": "HOSPITAL",
    "PHONE_NUMBER": "PHONE",
    "TELEPHONE": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "MAIL": "EMAIL",
    "IP": "IPADDR",
    "IP_ADDRESS": "IPADDR",
    "MRN": "MEDICALRECORD",
    "ID": "IDNUM",
    "IDNUMBER": "IDNUM",
    "CONTACT": "PHONE",
    "DATE_TIME": "DATE",
    "AGE_OVER_89": "AGE",
    "OTHERPHI": UNTYPED,
    "PHI": UNTYPED,
    "O": None,
}

#: A category name used as a label becomes its most general subtype.
_CATEGORY_DEFAULT = {
    "NAME": "PATIENT",
    "PROFESSION": "PROFESSION",
    "LOCATION": "LOCATION-OTHER",
    "AGE": "AGE",
    "DATE": "DATE",
    "CONTACT": "PHONE",
    "ID": "IDNUM",
}


def map_hf_label(
    raw: str, overrides: dict[str, str | None] | None = None
) -> str | None:
    """A Hugging Face label (with or without a BIO prefix) as a taxonomy subtype.

    Order: the user's explicit map, then a subtype of the same name, a category
    of the same name, the synonym table, and finally UNTYPED (a PHI label we
    cannot type is still PHI in the binary view). "O" is not PHI.
    """
    label = strip_bio(raw)
    if overrides and label in overrides:
        return overrides[label]
    upper = label.upper().replace(" ", "_")
    if upper in CATEGORY_OF:
        return upper
    if upper in CATEGORIES:
        return _CATEGORY_DEFAULT[upper]
    if upper in HF_SYNONYMS:
        return HF_SYNONYMS[upper]
    return UNTYPED


def strip_bio(raw: str) -> str:
    """`B-DATE` -> `DATE`; a label without a tagging prefix is returned as is."""
    if len(raw) > 2 and raw[1] in "-_" and raw[0].upper() in "BIESLU":
        return raw[2:]
    return raw
