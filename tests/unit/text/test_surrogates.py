"""Surrogates: consistent within a patient, independent across, intervals exact."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from phibench.errors import InputError
from phibench.text.corpora import load_corpus
from phibench.text.document import Corpus, Document, GoldSpan, Span
from phibench.text.embedded import generate_notes
from phibench.text.surrogate_values import PatientSurrogates, shift_date
from phibench.text.surrogates import merge_spans, surrogate_corpus, write_corpus


def _doc(note_id: str, patient: str, text: str, *surfaces: tuple[str, str]):
    """A document and predictions over the first occurrence of each surface."""
    spans = []
    for label, surface in surfaces:
        start = text.index(surface)
        spans.append(GoldSpan(start, start + len(surface), label, surface))
    return Document(note_id, patient, text, tuple(spans))


def _run(*docs: Document, seed: int = 1) -> dict[str, Document]:
    corpus = Corpus("c", "en", docs)
    predictions = {
        d.note_id: [Span(s.start, s.end, s.label) for s in d.spans] for d in docs
    }
    return {d.note_id: d for d in surrogate_corpus(corpus, predictions, seed=seed)}


def _dates(doc: Document) -> list[dt.date]:
    return [
        dt.datetime.strptime(s.surface, "%m/%d/%Y").date()
        for s in doc.spans
        if s.label == "DATE"
    ]


def test_same_name_same_surrogate_within_a_patient_not_across() -> None:
    out = _run(
        _doc("a", "p1", "Ana Lee seen.", ("PATIENT", "Ana Lee")),
        _doc("b", "p1", "Called Lee at home.", ("PATIENT", "Lee")),
        _doc("c", "p2", "Ana Lee seen.", ("PATIENT", "Ana Lee")),
    )
    first = out["a"].spans[0].surface
    assert first.split()[1] == out["b"].spans[0].surface
    assert out["c"].spans[0].surface != first
    assert "Lee" not in out["a"].text + out["b"].text + out["c"].text
    again = _run(_doc("a", "p1", "Ana Lee seen.", ("PATIENT", "Ana Lee")))
    assert again["a"].text == out["a"].text  # seeded


def test_intervals_survive_exactly() -> None:
    out = _run(
        _doc(
            "a",
            "p1",
            "Seen 3/4/2019 and 3/18/2019.",
            ("DATE", "3/4/2019"),
            ("DATE", "3/18/2019"),
        ),
        _doc("b", "p1", "Back 12/30/2019.", ("DATE", "12/30/2019")),
    )
    (d1, d2), (d3,) = _dates(out["a"]), _dates(out["b"])
    assert (d2 - d1).days == 14
    assert (d3 - d1).days == (dt.date(2019, 12, 30) - dt.date(2019, 3, 4)).days
    assert d1 != dt.date(2019, 3, 4)


def test_month_day_without_year_keeps_its_format_and_interval() -> None:
    values = PatientSurrogates("p1", seed=5)
    first, second = values.value("DATE", "3/4"), values.value("DATE", "3/18")
    assert re.fullmatch(r"\d{1,2}/\d{1,2}", first) and first != "3/4"
    parse = lambda s: dt.datetime.strptime(f"2000/{s}", "%Y/%m/%d")  # noqa: E731
    # with no year, the interval holds across a new year too: 12/29 -> 1/12 is 14
    wrap = parse(second).replace(year=2001) if parse(second) < parse(first) else None
    assert ((wrap or parse(second)) - parse(first)).days == 14
    assert shift_date("03/14/19", 10) == "03/24/19"
    assert shift_date("March 14, 2019", -14) == "February 28, 2019"
    assert shift_date("14-MAR-2019", 1) == "15-MAR-2019"
    assert shift_date("2019-12-25", 7) == "2020-01-01"
    assert shift_date("JUL 18", 30) == "AUG 17"
    assert shift_date("not a date", 3) is None


def test_case_follows_each_occurrence() -> None:
    values = PatientSurrogates("p1", seed=3)
    title = values.value("PATIENT", "Lee")
    assert values.value("PATIENT", "LEE") == title.upper()
    assert values.value("PATIENT", "lee") == title.lower()
    assert values.value("PATIENT", "Lee") == title
    assert values.value("CITY", "BOSTON") == values.value("CITY", "Boston").upper()


def test_ages() -> None:
    values = PatientSurrogates("p1", seed=1)
    assert values.value("AGE", "92") == "over 89"
    young = values.value("AGE", "67")
    assert young != "67" and abs(int(young) - 67) <= 2


def test_three_emails_all_removed() -> None:
    text = "Copies: ana@mailhub.net bo.lee@postbox.org cy9@inboxly.com."
    emails = text[8:-1].split(" ")
    out = _run(_doc("a", "p", text, *[("EMAIL", e) for e in emails]))["a"]
    assert len(out.spans) == 3
    assert not any(e in out.text for e in emails)
    assert out.text.startswith("Copies: ") and out.text.endswith(".")


def test_phone_glued_to_a_word() -> None:
    text = "callback555-201-7788 re: labs"
    out = _run(Document("a", "p", text, (GoldSpan(8, 20, "PHONE", "555-201-7788"),)))
    new = out["a"]
    assert (new.spans[0].start, new.spans[0].end) == (8, 20)
    assert re.fullmatch(r"callback\d{3}-\d{3}-\d{4} re: labs", new.text)
    assert "5552017788" not in re.sub(r"\D", "", new.text)


def test_overlapping_predictions_merged() -> None:
    assert merge_spans([Span(3, 9, "OTHER"), Span(0, 5, "PATIENT")]) == [
        Span(0, 9, "PATIENT")
    ]
    assert merge_spans([Span(0, 3, "DATE"), Span(3, 5, "DATE")]) == [
        Span(0, 3, "DATE"),
        Span(3, 5, "DATE"),
    ]


def test_no_detected_text_left_in_place_on_embedded_notes() -> None:
    corpus = generate_notes(60, seed=2)
    predictions = {
        d.note_id: [Span(s.start, s.end, s.label) for s in d.spans] for d in corpus
    }
    out = {d.note_id: d for d in surrogate_corpus(corpus, predictions, seed=9)}
    for doc in corpus:
        new = out[doc.note_id]
        assert len(new.spans) == len(doc.spans)
        outside_old, outside_new, previous_old, previous_new = [], [], 0, 0
        for old, sub in zip(doc.spans, new.spans, strict=True):
            assert sub.surface.casefold() != old.surface.casefold()
            outside_old.append(doc.text[previous_old : old.start])
            outside_new.append(new.text[previous_new : sub.start])
            previous_old, previous_new = old.end, sub.end
        assert outside_old == outside_new


def test_written_corpus_reads_back_as_brat(tmp_path) -> None:
    corpus = generate_notes(8, seed=4)
    predictions = {
        d.note_id: [Span(s.start, s.end, s.label) for s in d.spans] for d in corpus
    }
    deidentified = surrogate_corpus(corpus, predictions, seed=1)
    files = write_corpus(tmp_path / "out", deidentified)
    assert len(files) == 16
    back = load_corpus("brat", tmp_path / "out")
    assert {d.note_id: d.text for d in back} == {
        d.note_id: d.text for d in deidentified
    }
    assert [d.spans for d in back] == [d.spans for d in deidentified]
    with pytest.raises(InputError, match="exists and is not empty"):
        write_corpus(tmp_path / "out", deidentified)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
