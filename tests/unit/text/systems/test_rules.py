"""The rule baseline on the issue's edge cases, with exact offsets."""

from __future__ import annotations

import re

import pytest

from phibench.text.document import Corpus, Document, Span
from phibench.text.systems import make_system


@pytest.fixture(scope="module")
def rules():
    return make_system("rules")


def test_phone_glued_to_a_word_is_found_exactly(rules):
    text = "callback555-201-7788 re: labs"
    assert rules.predict(text) == [Span(8, 20, "PHONE")]
    masked = _mask(text, rules.predict(text))
    assert not re.search(r"\d{10}", re.sub(r"\D", "", masked))


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Seen 3/4 for f/u", Span(5, 8, "DATE")),
        ("Seen 3/14 for f/u", Span(5, 9, "DATE")),
        ("next visit 11/3", Span(11, 15, "DATE")),
        ("DOB 12/31", Span(4, 9, "DATE")),
        ("admitted on March 3, 2021 via ED", Span(12, 25, "DATE")),
        ("PMH: MI '92, CABG", Span(9, 11, "DATE")),
    ],
)
def test_dates_without_a_year_are_dates(rules, text, span):
    assert rules.predict(text) == [span]


def test_fractions_and_vitals_are_not_dates(rules):
    assert rules.predict("give 1/2 tab; strength 5/5; BP 120/80") == []


def test_windows_line_endings_keep_stored_offsets(rules):
    text = "Ana visited Dr Oduya.\r\nShe paid 92 dollars."
    assert text[23:26] == "She" and text[32:34] == "92"
    assert rules.predict(text) == [Span(15, 20, "DOCTOR")]


def test_three_emails_separated_by_single_spaces_are_all_found(rules):
    text = "cc a.b@example.com c_d@mail.org e-f@host.net today"
    spans = rules.predict(text)
    assert spans == [
        Span(3, 18, "EMAIL"),
        Span(19, 31, "EMAIL"),
        Span(32, 44, "EMAIL"),
    ]


def test_surrogates_leave_no_detected_text_behind(rules):
    from phibench.text.surrogates import surrogate_corpus

    text = "cc a.b@example.com c_d@mail.org e-f@host.net; call 617-555-0134"
    corpus = Corpus("t", "en", (Document("n1", "p1", text),))
    spans = rules.predict(text)
    out = surrogate_corpus(corpus, {"n1": spans}, seed=3).documents[0].text
    for span in spans:
        assert text[span.start : span.end] not in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A 92 yo man", [Span(2, 4, "AGE")]),
        ("a 45 year old woman", []),  # ages up to 89 are not PHI
        ("MRN: 12345678", [Span(5, 13, "MEDICALRECORD")]),
        ("see https://example.org/a?b=1.", [Span(4, 29, "URL")]),
        ("host 10.12.0.254 down", [Span(5, 16, "IPADDR")]),
        ("Fax: (617) 555-0199", [Span(5, 19, "FAX")]),
        (
            "lives at 12 Elm Street, Boston, MA 02114",
            [
                Span(9, 22, "STREET"),
                Span(24, 30, "CITY"),
                Span(35, 40, "ZIP"),
            ],
        ),
        (
            "Dr. Jane Roe and Mrs. Smith",
            [
                Span(4, 8, "DOCTOR"),
                Span(9, 12, "DOCTOR"),
                Span(22, 27, "PATIENT"),
            ],
        ),
        ("DR KNIGHT AWARE. MS- ALERT", [Span(3, 9, "DOCTOR")]),
        (
            "wife, Carol Buckley called",
            [Span(6, 11, "PATIENT"), Span(12, 19, "PATIENT")],
        ),
        ("Emily Parker, RN", [Span(0, 5, "DOCTOR"), Span(6, 12, "DOCTOR")]),
        ("TRANS TO GH; to ICU", [Span(9, 11, "HOSPITAL")]),
        ("seen at Saint Mary Hospital", [Span(8, 27, "HOSPITAL")]),
    ],
)
def test_detectors(rules, text, expected):
    assert rules.predict(text) == expected


def test_empty_and_phi_free_notes_give_nothing(rules):
    assert rules.predict("") == []
    assert rules.predict("Patient resting comfortably, vitals stable.") == []


def _mask(text: str, spans: list[Span]) -> str:
    chars = list(text)
    for span in spans:
        chars[span.start : span.end] = "#" * (span.end - span.start)
    return "".join(chars)
