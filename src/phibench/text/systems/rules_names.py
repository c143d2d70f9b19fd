"""Name detection for the rule baseline: words after titles, kin and credentials.

Clinical notes name clinicians after a title ("Dr. Smith", nursing style
"DR SMITH" or "dr smith") or before a credential ("Jane Doe, RN"), and family
members after a kinship word ("wife Mary", "son, BOB"). Which words count as a
name is decided by context, not by letter case, because nursing notes are often
all upper or all lower case; a stop list of common and clinical words keeps
"wife called" or "dr aware" out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from phibench.text.document import Span


def word_set(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words of `text` (word lists as prose)."""
    return frozenset(text.split())


_WORD = r"[A-Za-z][A-Za-z']*(?:-[A-Za-z]+)*"

_DOCTOR_TITLES = r"(?:dr|drs|doctor|prof|professor)"
_PATIENT_TITLES = r"(?:mr|mrs|ms|miss|mister)"
_KIN = (
    r"(?:wife|husband|spouse|son|sons|daughter|daughters|dtr|sister|sisters|"
    r"brother|brothers|nephew|niece|friend|mother|mom|father|dad|grandson|"
    r"granddaughter|grandaughter|grandchild|cousin|aunt|uncle|fiance|fiancee|"
    r"partner|proxy|hcp|girlfriend|boyfriend|neighbor|stepson|stepdaughter|"
    r"in-law|sil|dil)"
)
# Two-letter words that double as clinical abbreviations (PT, OT, PA, DO) are
# left out: "NEURO- PT ALERT" is not a physiotherapist named Neuro.
_CREDENTIALS = r"(?:md|m\.d\.?|rn|r\.n\.?|np|pa-c|rrt|lpn|cnm|msw|lcsw|crnp)"

TITLE_NAME = re.compile(
    rf"\b(?P<title>{_DOCTOR_TITLES}|{_PATIENT_TITLES})\b(?:\.\s*|\s+)"
    rf"(?P<first>{_WORD})(?:\s+(?P<initial>[A-Za-z]\.)?\s*(?P<second>{_WORD}))?",
    re.IGNORECASE,
)
KIN_NAME = re.compile(
    rf"\b{_KIN}\b\s*(?:[,:(-]|is|was|named)?\s*"
    rf"(?P<first>{_WORD})(?:\s+(?P<second>{_WORD}))?",
    re.IGNORECASE,
)
CREDENTIAL_NAME = re.compile(
    rf"(?P<first>\b{_WORD})(?:\s+(?:[A-Za-z]\.\s*)?(?P<second>{_WORD}))?"
    rf"(?:\s*,\s*|\s+)(?:{_CREDENTIALS})(?![A-Za-z])",
    re.IGNORECASE,
)

# Words that follow a title or kinship word without being a name. Common
# English function words and the verbs and nouns nursing notes use there.
STOP_WORDS = word_set(
    """
    a about above after again all also am an and any are aroused around as at
    aware be because been before being both but by came can cannot care come
    could did do does done during each either for from further gave given had
    has have having he her here him his how i if in into is it its just
    last later left less may me more most much my new next no nor not now of
    off on once one only or other our out over own per please re same see
    seen she should since so some still such than that the their them then
    there these they this those through to today tomorrow too under until up
    upon very via was we well were what when where which while who whom why
    will with would yet you your
    aware called calling calls came visited visiting visit visits updated
    update notified paged phoned spoke spoken states stated said says asked
    asking arrived present here bedside remains stayed left met reports
    reported requests requested request wants wanted feels felt lives lived
    alert awake sedated sleeping resting plan plans continue continues cont
    informed following follow ordered orders order note notes team office
    service staff fellow resident attending surgeon consult consulted
    involved following agrees agreed aware's both family members member
    patient pt pts pt's nurse nursing rn md np house covering on-call oncall
    in-law law given also again all just to at
    """
)


def is_name_word(word: str | None) -> bool:
    """A word that may be a name: alphabetic, two letters or more, not a stop word."""
    if not word or len(word) < 2:
        return False
    return word.lower().strip("'-") not in STOP_WORDS


def title_names(text: str) -> Iterator[Span]:
    """Names after Dr/Mr/Mrs/Ms: DOCTOR after a doctor's title, else PATIENT."""
    for match in TITLE_NAME.finditer(text):
        if (
            match["title"] == "MS"
            and text[match.end("title") : match.end("title") + 1] != "."
        ):
            continue  # upper-case MS without a period is "mental status"
        label = (
            "DOCTOR"
            if re.fullmatch(_DOCTOR_TITLES, match["title"], re.I)
            else ("PATIENT")
        )
        yield from _name_words(match, label, second_needs_capital=True)


def kin_names(text: str) -> Iterator[Span]:
    """Names after a kinship word: family members are PATIENT in i2b2-2014."""
    for match in KIN_NAME.finditer(text):
        yield from _name_words(match, "PATIENT", second_needs_capital=True)


def credential_names(text: str) -> Iterator[Span]:
    """One or two names before a clinician's credential ("Jane Doe, RN")."""
    for match in CREDENTIAL_NAME.finditer(text):
        words = [g for g in ("first", "second") if match[g]]
        if not all(is_name_word(match[g]) for g in words):
            words = [g for g in words[1:] if is_name_word(match[g])]
        for group in words:
            yield Span(match.start(group), match.end(group), "DOCTOR")


def _name_words(
    match: re.Match[str], label: str, *, second_needs_capital: bool
) -> Iterator[Span]:
    if not is_name_word(match["first"]):
        return
    yield Span(match.start("first"), match.end("first"), label)
    second = match["second"]
    if not is_name_word(second):
        return
    # In mixed-case text the second word must look like a name too, so that
    # "Dr. Smith reviewed" keeps "reviewed" out; in one-case text it is kept
    # only if the first word was followed by an initial or the case matches.
    first = match["first"]
    if second_needs_capital and not _same_name_case(first, second):
        return
    yield Span(match.start("second"), match.end("second"), label)


def _same_name_case(first: str, second: str) -> bool:
    if first.isupper() and second.isupper():
        return True
    return first[:1].isupper() and second[:1].isupper() and not second.isupper()


def find_names(text: str) -> list[Span]:
    """Every name span the three context rules find (may overlap)."""
    return [*title_names(text), *kin_names(text), *credential_names(text)]
