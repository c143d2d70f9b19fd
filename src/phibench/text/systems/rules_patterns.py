"""The rule baseline's detectors, declared as data.

Each detector is a regular expression with one named group `phi` (the span
reported) and the taxonomy subtype it reports. Context words (titles, "MRN",
"pager", "wife") sit outside the group, so they decide whether a match counts
without becoming part of the span. Patterns were written from the i2b2-2014
annotation guidelines and the HIPAA Safe Harbor list, and tuned only on the
embedded notes and the development split of the PhysioNet corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE


@dataclass(frozen=True)
class Detector:
    """One pattern: its name (for the documentation), subtype and regex."""

    name: str
    label: str
    pattern: re.Pattern[str]


def _d(name: str, label: str, regex: str, flags: int = _I) -> Detector:
    return Detector(name, label, re.compile(regex, flags))


# Digits not glued to other digits: `callback555-201-7788` still matches.
_NOT_DIGIT_BEFORE = r"(?<![\d])"
_NOT_DIGIT_AFTER = r"(?![\d])"

MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
_DAY_NUM = r"(?:0?[1-9]|[12]\d|3[01])"
_YEAR = r"(?:19\d\d|20\d\d|\d\d)"
_YEAR4 = r"(?:19\d\d|20\d\d)"
# Fractions and strength grades (1/2 tab, 5/5 strength) that look like month/day;
# they count as dates only after a date word ("seen 3/4").
_FRACTIONS = r"(?:1/[234]|2/3|3/4|[0-5]/5)"

DATES = (
    _d(
        "numeric date m/d/y or m-d-y",
        "DATE",
        rf"{_NOT_DIGIT_BEFORE}(?P<phi>{_MONTH_NUM}([/-]){_DAY_NUM}\2{_YEAR})"
        rf"{_NOT_DIGIT_AFTER}",
    ),
    _d(
        "ISO date y-m-d",
        "DATE",
        rf"{_NOT_DIGIT_BEFORE}(?P<phi>{_YEAR4}[-/.]{_MONTH_NUM}[-/.]{_DAY_NUM})"
        rf"{_NOT_DIGIT_AFTER}",
    ),
    # Month/day without a year is a date under Safe Harbor. A following `/` or
    # digit would make it a fraction or a vital sign, so neither may follow.
    _d(
        "month/day without year",
        "DATE",
        rf"(?<![\d/.])(?!{_FRACTIONS}(?![\d/]))"
        rf"(?P<phi>{_MONTH_NUM}/{_DAY_NUM})(?![\d/]|\.\d)",
    ),
    _d(
        "fraction-shaped month/day after a date word",
        "DATE",
        r"\b(?:seen|on|since|from|until|till|by|dob|visit|appt|appointment|"
        rf"admitted|due)\s+(?P<phi>{_FRACTIONS})(?![\d/]|\.\d)",
    ),
    _d(
        "month name, day, optional year",
        "DATE",
        rf"\b(?P<phi>{MONTHS}\.?\s+{_DAY_NUM}(?:st|nd|rd|th)?"
        rf"(?:,?\s+{_YEAR4})?)\b",
    ),
    _d(
        "day, month name, optional year",
        "DATE",
        rf"\b(?P<phi>{_DAY_NUM}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTHS}\.?"
        rf"(?:,?\s+{_YEAR4})?)\b",
    ),
    _d("month name and year", "DATE", rf"\b(?P<phi>{MONTHS}\.?,?\s+{_YEAR4})\b"),
    _d(
        "year after a history word",
        "DATE",
        r"\b(?:in|since|s/p|mi|cabg|year|yr|dx|diagnosed|surgery|ptca)"
        rf"\s+(?P<phi>{_YEAR4})\b",
    ),
    _d("apostrophe year ('92)", "DATE", r"(?<![\w'])'(?P<phi>\d\d)\b"),
    _d(
        "holiday",
        "DATE",
        r"\b(?P<phi>christmas(?:\s+eve)?|thanksgiving|new\s+year'?s(?:\s+eve)?|"
        r"easter|hanukkah|independence\s+day|memorial\s+day|labor\s+day)\b",
    ),
)

# Ages over 89 are PHI under Safe Harbor; younger ages are not.
_AGE_OVER_89 = r"(?:9\d|1[0-2]\d)"
AGES = (
    _d(
        "age > 89 before 'year old'",
        "AGE",
        rf"{_NOT_DIGIT_BEFORE}(?P<phi>{_AGE_OVER_89})\s*-?\s*"
        r"(?:yo\b|y/o|y\.o\.|yr?s?\.?[\s-]*old|years?[\s-]*old|year-old)",
    ),
    _d(
        "age > 89 after 'age'",
        "AGE",
        rf"\b(?:age[d:]?|aged)\s*(?P<phi>{_AGE_OVER_89}){_NOT_DIGIT_AFTER}",
    ),
    _d(
        "age > 89 in the nineties",
        "AGE",
        r"\b(?:in\s+(?:her|his|their)\s+)(?P<phi>(?:nineties|90s|100s))\b",
    ),
)

_PHONE = (
    r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\d{3}\s*[\s./-]\s*)\d{3}\s*[\s./-]\s*\d{4}"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,5})?"
)
CONTACTS = (
    _d(
        "fax number after 'fax'",
        "FAX",
        rf"\bfax\b\W{{0,4}}(?:no\.?|number|#)?\W{{0,3}}(?P<phi>{_PHONE})"
        rf"{_NOT_DIGIT_AFTER}",
    ),
    _d(
        "phone number",
        "PHONE",
        rf"{_NOT_DIGIT_BEFORE}(?P<phi>{_PHONE}){_NOT_DIGIT_AFTER}",
    ),
    _d(
        "pager or extension after a context word",
        "PHONE",
        r"\b(?:pager|page|pg|beeper|bpr|beep|ext|x|cell|phone|tel)\b\.?\s*"
        r"(?:#|no\.?|number|:)?\s*(?P<phi>\d{4,7})\b",
    ),
    _d(
        "e-mail address",
        "EMAIL",
        r"(?<![\w.+-])(?P<phi>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
    ),
    _d(
        "URL",
        "URL",
        r"(?P<phi>\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:)])",
    ),
    _d(
        "IPv4 address",
        "IPADDR",
        r"(?<![\d.])(?P<phi>(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}"
        r"(?:25[0-5]|2[0-4]\d|1?\d?\d))(?![\d.]*\d)",
    ),
)

IDS = (
    _d("social security number", "SSN", r"\b(?P<phi>\d{3}-\d{2}-\d{4})\b"),
    _d(
        "medical record number after a context word",
        "MEDICALRECORD",
        r"\b(?:mrn|mr\s*#|med(?:ical)?\s+rec(?:ord)?\s*(?:no\.?|number|#)?|"
        r"unit\s+(?:no|number)|hospital\s+(?:no|number))\s*[:#.]?\s*"
        r"(?P<phi>[A-Z]{0,3}\d[\d-]{3,11})\b",
    ),
    _d(
        "account number after a context word",
        "ACCOUNT",
        r"\b(?:acct|account)\s*(?:no\.?|number|#)?\s*[:#]?\s*(?P<phi>\d[\d-]{3,15})\b",
    ),
    _d(
        "health plan number after a context word",
        "HEALTHPLAN",
        r"\b(?:policy|member|insurance|medicare|medicaid)\s*(?:id|no\.?|number|#)?"
        r"\s*[:#]?\s*(?P<phi>[A-Z]{0,3}\d[\w-]{3,15})\b",
    ),
    _d(
        "licence number after a context word",
        "LICENSE",
        r"\b(?:license|licence|dea|npi)\s*(?:no\.?|number|#)?\s*[:#]?\s*"
        r"(?P<phi>[A-Z]{0,3}\d[\w-]{3,12})\b",
    ),
    _d(
        "reference number after a context word",
        "IDNUM",
        r"\b(?:ref|reference|id|case|accession|specimen|order)\s*(?:no\.?|number|#)"
        r"\s*[:#]?\s*(?P<phi>[A-Z]{0,3}\d[\w-]{2,15})\b",
    ),
)

_STREET_TYPE = (
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|lane|ln|drive|dr|way|court|"
    r"ct|place|pl|terrace|circle|highway|hwy|parkway|pkwy|square|sq)"
)
_STATE = (
    r"(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|"
    r"MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|"
    r"WI|WY)"
)
LOCATIONS = (
    _d(
        "street address",
        "STREET",
        rf"\b(?P<phi>\d{{1,5}}\s+(?:[A-Z][A-Za-z]+\s+){{1,3}}{_STREET_TYPE})\b\.?",
    ),
    _d(
        "ZIP code after a state",
        "ZIP",
        rf"\b{_STATE},?\s+(?P<phi>\d{{5}}(?:-\d{{4}})?)\b",
        0,
    ),
    _d(
        "city before a state and ZIP",
        "CITY",
        rf"(?P<phi>\b[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+)?),\s+{_STATE}\b",
        0,
    ),
    _d(
        "hospital name ending in a facility word",
        "HOSPITAL",
        r"(?P<phi>\b(?:(?:st\.?|saint)\s+)?(?:[A-Z][A-Za-z'.-]+\s+){1,3}"
        r"(?i:hospital|medical\s+center|health\s+center|clinic|infirmary|"
        r"nursing\s+home|rehab(?:ilitation)?(?:\s+(?:center|hospital))?|vamc|"
        r"memorial|general))\b",
        0,
    ),
    _d(
        "facility after a transfer word",
        "HOSPITAL",
        r"\b(?:transfer(?:r?ed)?|trans|xfer|flighted|admitted|transported|sent|"
        r"discharged)\s+(?:back\s+)?(?:to|from)\s+(?:the\s+)?"
        r"(?P<phi>[A-Za-z][A-Za-z']+)\b(?!/)",
    ),
)
