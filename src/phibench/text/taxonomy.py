"""The PHI taxonomy every corpus and every system is mapped onto.

The categories and subtypes of the 2014 i2b2/UTHealth de-identification
challenge. Mappings of corpus and tool labels onto these subtypes, and of the
subtypes onto the 18 HIPAA Safe Harbor identifiers, live beside this table.
"""

from __future__ import annotations

import re

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

# --- HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)) ---------------------------------

#: The 18 Safe Harbor identifiers, by the letter the rule gives them.
SAFE_HARBOR: dict[str, str] = {
    "A": "names",
    "B": "geographic subdivisions smaller than a state",
    "C": "dates (except year) and ages over 89",
    "D": "telephone numbers",
    "E": "fax numbers",
    "F": "e-mail addresses",
    "G": "social security numbers",
    "H": "medical record numbers",
    "I": "health plan beneficiary numbers",
    "J": "account numbers",
    "K": "certificate/license numbers",
    "L": "vehicle identifiers and serial numbers",
    "M": "device identifiers and serial numbers",
    "N": "web URLs",
    "O": "IP addresses",
    "P": "biometric identifiers",
    "Q": "full-face photographs and comparable images",
    "R": "any other unique identifying number, characteristic or code",
}

#: subtype -> Safe Harbor letter, or None when the subtype is not an identifier
#: of the patient under Safe Harbor. The rule covers identifiers "of the
#: individual or of relatives, employers, or household members": clinicians'
#: names (DOCTOR) and user names (clinicians' log-ins) are not, nor are
#: hospitals, departments, rooms, states, countries or professions. Relatives'
#: names are mapped to PATIENT by the corpus maps below, so they count (A).
#: LOCATION-OTHER is B: the corpora put cities and landmarks there. AGE and DATE
#: depend on the surface as well: see `is_safe_harbor`.
SAFE_HARBOR_OF: dict[str, str | None] = {
    "PATIENT": "A",
    "DOCTOR": None,
    "USERNAME": None,
    "PROFESSION": None,
    "ROOM": None,
    "DEPARTMENT": None,
    "HOSPITAL": None,
    "ORGANIZATION": "R",
    "STREET": "B",
    "CITY": "B",
    "STATE": None,
    "COUNTRY": None,
    "ZIP": "B",
    "LOCATION-OTHER": "B",
    "AGE": "C",
    "DATE": "C",
    "PHONE": "D",
    "FAX": "E",
    "EMAIL": "F",
    "URL": "N",
    "IPADDR": "O",
    "SSN": "G",
    "MEDICALRECORD": "H",
    "HEALTHPLAN": "I",
    "ACCOUNT": "J",
    "LICENSE": "K",
    "VEHICLE": "L",
    "DEVICE": "M",
    "BIOID": "P",
    "IDNUM": "R",
}

_YEAR_ONLY = re.compile(r"^\s*(?:'\d{2}|(?:18|19|20|21)\d{2})\s*$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def is_safe_harbor(label: str, surface: str) -> bool:
    """Whether a span of this subtype and surface is a Safe Harbor identifier.

    Two subtypes need the surface: an age is an identifier only above 89 (an age
    whose number cannot be read counts, to err on the side of privacy), and a
    date only when it holds more than a year (a bare year such as "1992" may be
    kept under the rule; "3/4" with no year is still a date).
    """
    letter = SAFE_HARBOR_OF.get(label)
    if letter is None:
        return False
    if label == "AGE":
        number = _NUMBER.search(surface)
        return number is None or float(number.group()) > 89
    if label == "DATE":
        return _YEAR_ONLY.match(surface) is None
    return True


# --- corpus label maps -------------------------------------------------------------

#: PhysioNet deid 1.1 (id-phi.phrase) types. Relatives' names go to PATIENT, as
#: the i2b2-2014 guidelines annotate the patient's family under PATIENT and Safe
#: Harbor covers relatives. "Other" holds identifier codes (an alphanumeric code
#: and a 7-digit number in the full corpus): IDNUM. "Location" mixes hospitals,
#: cities and streets without saying which: LOCATION-OTHER.
PHYSIONET_LABELS: dict[str, str] = {
    "HCPName": "DOCTOR",
    "PTName": "PATIENT",
    "PTNameInitial": "PATIENT",
    "RelativeProxyName": "PATIENT",
    "Location": "LOCATION-OTHER",
    "Date": "DATE",
    "DateYear": "DATE",
    "Phone": "PHONE",
    "Age": "AGE",
    "Other": "IDNUM",
}

#: MEDDOCAN's types (IberLEF 2019 guidelines; 22 occur). Sex and mentions of
#: relatives ("primo materno") are PHI to MEDDOCAN but have no i2b2-2014
#: subtype: UNTYPED, so they count in the binary view only. TERRITORIO is a
#: ZIP code when it is five digits (see `map_label`), otherwise LOCATION-OTHER
#: (towns, provinces and regions are not told apart).
MEDDOCAN_LABELS: dict[str, str] = {
    "NOMBRE_SUJETO_ASISTENCIA": "PATIENT",
    "NOMBRE_PERSONAL_SANITARIO": "DOCTOR",
    "FAMILIARES_SUJETO_ASISTENCIA": UNTYPED,
    "SEXO_SUJETO_ASISTENCIA": UNTYPED,
    "OTROS_SUJETO_ASISTENCIA": UNTYPED,
    "EDAD_SUJETO_ASISTENCIA": "AGE",
    "FECHAS": "DATE",
    "CALLE": "STREET",
    "TERRITORIO": "LOCATION-OTHER",
    "PAIS": "COUNTRY",
    "HOSPITAL": "HOSPITAL",
    "CENTRO_SALUD": "HOSPITAL",
    "INSTITUCION": "ORGANIZATION",
    "PROFESION": "PROFESSION",
    "NUMERO_TELEFONO": "PHONE",
    "NUMERO_FAX": "FAX",
    "CORREO_ELECTRONICO": "EMAIL",
    "URL_WEB": "URL",
    "DIREC_PROT_INTERNET": "IPADDR",
    "ID_SUJETO_ASISTENCIA": "MEDICALRECORD",
    "ID_ASEGURAMIENTO": "HEALTHPLAN",
    "NUMERO_BENEF_PLAN_SALUD": "HEALTHPLAN",
    "ID_CONTACTO_ASISTENCIAL": "ACCOUNT",
    "ID_TITULACION_PERSONAL_SANITARIO": "LICENSE",
    "ID_EMPLEO_PERSONAL_SANITARIO": "IDNUM",
    "IDENTIF_VEHICULOS_NRSERIE_PLACAS": "VEHICLE",
    "IDENTIF_DISPOSITIVOS_NRSERIE": "DEVICE",
    "IDENTIF_BIOMETRICOS": "BIOID",
    "NUMERO_IDENTIF": "IDNUM",
    "OTRO_NUMERO_IDENTIF": "IDNUM",
}

#: Every corpus label phibench knows -> subtype. The i2b2-2014 subtypes map to
#: themselves; the sets of names do not collide (PhysioNet's are CamelCase,
#: MEDDOCAN's Spanish).
CORPUS_LABELS: dict[str, str] = {
    **{subtype: subtype for subtype in SUBTYPES},
    UNTYPED: UNTYPED,
    **PHYSIONET_LABELS,
    **MEDDOCAN_LABELS,
}

_DIGITS = re.compile(r"^\d{5}$")


def map_label(label: str, surface: str = "") -> str | None:
    """The subtype of a corpus label, or None when phibench has no map for it."""
    subtype = CORPUS_LABELS.get(label)
    if label == "TERRITORIO" and _DIGITS.match(surface):
        return "ZIP"
    return subtype


def category(label: str) -> str:
    """The i2b2-2014 category of a subtype; UNTYPED is its own category."""
    return CATEGORY_OF.get(label, UNTYPED)


# --- documentation ---------------------------------------------------------------


def render_markdown() -> str:
    """docs/text/taxonomy.md, generated so the tables cannot drift from the maps."""
    lines = [
        "# PHI taxonomy and label maps",
        "",
        "Generated from `src/phibench/text/taxonomy.py` (regenerate: `uv run python -m "
        "phibench.text.taxonomy > docs/text/taxonomy.md`; a test checks it is fresh).",
        "",
        "## i2b2-2014 subtypes and HIPAA Safe Harbor",
        "",
        "Safe Harbor letters follow 45 CFR 164.514(b)(2)(i). AGE counts only above 89 "
        "and DATE only when it holds more than a year (`is_safe_harbor`). Clinicians' "
        "names (DOCTOR) are not identifiers of the patient; relatives' names are, and "
        "corpora map them to PATIENT. Spans labelled "
        f"`{UNTYPED}` have no subtype: they count in binary views only.",
        "",
        "| category | subtype | Safe Harbor |",
        "| --- | --- | --- |",
    ]
    for subtype in SUBTYPES:
        letter = SAFE_HARBOR_OF[subtype]
        where = f"{letter}: {SAFE_HARBOR[letter]}" if letter else "no"
        lines.append(f"| {CATEGORY_OF[subtype]} | {subtype} | {where} |")
    lines += [
        "",
        "## Safe Harbor identifiers",
        "",
        "| letter | identifier | subtypes |",
    ]
    lines.append("| --- | --- | --- |")
    for letter, text in SAFE_HARBOR.items():
        subtypes = [s for s, v in SAFE_HARBOR_OF.items() if v == letter]
        lines.append(
            f"| {letter} | {text} | {', '.join(subtypes) or '(none in text)'} |"
        )
    for title, table, note in [
        ("PhysioNet deid 1.1", PHYSIONET_LABELS, ""),
        ("MEDDOCAN", MEDDOCAN_LABELS, "TERRITORIO with a five-digit surface is ZIP."),
    ]:
        lines += (
            ["", f"## {title} labels", "", note] if note else ["", f"## {title} labels"]
        )
        lines += ["", "| corpus label | subtype |", "| --- | --- |"]
        lines += [f"| {label} | {subtype} |" for label, subtype in table.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
