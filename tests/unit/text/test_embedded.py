"""The embedded note generator: deterministic, valid spans, the PHI forms asked for."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from phibench.text.corpora import load_corpus
from phibench.text.embedded import format_date, format_phone, generate_notes
from phibench.text.taxonomy import SAFE_HARBOR, SAFE_HARBOR_OF, is_safe_harbor


@pytest.fixture(scope="module")
def corpus():
    return generate_notes(400, seed=7)


def test_deterministic_by_seed() -> None:
    first, again = generate_notes(30, seed=3), generate_notes(30, seed=3)
    assert first.documents == again.documents
    assert [d.spans for d in first] == [d.spans for d in again]
    assert generate_notes(30, seed=4).documents != first.documents


def test_sizes_and_patients(corpus) -> None:
    assert len(corpus) == 400
    per_patient = Counter(d.patient_id for d in corpus)
    assert max(per_patient.values()) <= 5
    assert sum(n > 1 for n in per_patient.values()) >= len(per_patient) // 2
    assert len({d.note_id for d in corpus}) == 400
    assert not corpus.data_use.restricted
    assert load_corpus("embedded", None, n_notes=12, seed=3).documents == (
        generate_notes(12, seed=3).documents
    )


def test_spans_slice_back_and_cover_safe_harbor(corpus) -> None:
    labels = Counter()
    for doc in corpus:
        for span in doc.spans:
            assert doc.text[span.start : span.end] == span.surface
            labels[span.label] += 1
    letters = {SAFE_HARBOR_OF[label] for label in labels} - {None}
    assert letters == set(SAFE_HARBOR) - {"P", "Q"}  # no biometrics, no photos
    for label in ["DOCTOR", "HOSPITAL", "PROFESSION", "ORGANIZATION", "USERNAME"]:
        assert labels[label] > 0


def test_ages_over_89_and_dates_without_year(corpus) -> None:
    spans = [(s.label, s.surface) for d in corpus for s in d.spans]
    ages = [int(surface) for label, surface in spans if label == "AGE"]
    assert any(age > 89 for age in ages) and any(age <= 89 for age in ages)
    no_year = [
        s for label, s in spans if label == "DATE" and re.fullmatch(r"\d+/\d+", s)
    ]
    assert no_year and all(is_safe_harbor("DATE", s) for s in no_year)


def test_nursing_notes_upper_case_and_glued_phone(corpus) -> None:
    nursing = [d for d in corpus if d.text.startswith("NURSING")]
    assert nursing and all(d.text == d.text.upper() for d in nursing)
    glued = [d for d in nursing if "CALLBACK" in d.text]
    assert glued
    for doc in glued:
        at = doc.text.index("CALLBACK") + len("CALLBACK")
        assert any(s.start == at and s.label == "PHONE" for s in doc.spans)


def test_persona_consistent_across_a_patients_notes(corpus) -> None:
    mrns = defaultdict(set)
    for doc in corpus:
        for span in doc.spans:
            if span.label == "MEDICALRECORD":
                mrns[doc.patient_id].add(span.surface)
    assert mrns and all(len(values) == 1 for values in mrns.values())
    assert len({next(iter(v)) for v in mrns.values()}) == len(mrns)


def test_formats() -> None:
    import datetime as dt

    day = dt.date(2019, 3, 4)
    assert format_date(day, "noyear") == "3/4"
    assert format_date(day, "slash2") == "03/04/19"
    assert format_date(day, "long") == "March 4, 2019"
    assert format_date(day, "dmy") == "04-Mar-2019"
    assert format_phone("5552017788", "paren") == "(555) 201-7788"
