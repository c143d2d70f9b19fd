"""The PHI taxonomy every corpus and every system is mapped onto.

The categories and subtypes of the 2014 i2b2/UTHealth de-identification
challenge. Mappings of corpus and tool labels onto these subtypes, and of the
subtypes onto the 18 HIPAA Safe Harbor identifiers, live beside this table.
"""

from __future__ import annotations

#: i2b2-2014 category -> its subtypes.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "NAME": ("PATIENT", "DOCTOR", "USERNAME"),
    "PROFESSION": ("PROFESSION",),
    "LOCATION": (
        "ROOM",
        "DEPARTMENT",
        "HOSPITAL",
        "ORGANIZATION",
        "STREET",
        "CITY",
        "STATE",
        "COUNTRY",
        "ZIP",
        "LOCATION-OTHER",
    ),
    "AGE": ("AGE",),
    "DATE": ("DATE",),
    "CONTACT": ("PHONE", "FAX", "EMAIL", "URL", "IPADDR"),
    "ID": (
        "SSN",
        "MEDICALRECORD",
        "HEALTHPLAN",
        "ACCOUNT",
        "LICENSE",
        "VEHICLE",
        "DEVICE",
        "BIOID",
        "IDNUM",
    ),
}

#: A span a system marks as PHI without a type it can name (e.g. Philter's
#: OTHER). It counts in the binary view only.
UNTYPED = "OTHER"

#: subtype -> category
CATEGORY_OF: dict[str, str] = {
    subtype: category
    for category, subtypes in CATEGORIES.items()
    for subtype in subtypes
}

SUBTYPES: tuple[str, ...] = tuple(CATEGORY_OF)
