"""The document model's checks and newline handling (issue 4's edge cases)."""

from __future__ import annotations

import pytest

from phibench.errors import DataLayoutError
from phibench.text.document import Corpus, Document, GoldSpan, Span, normalise_newlines
from phibench.text.scoring import evaluate

CRLF = "Ana visited Dr Oduya.\r\nShe paid 92 dollars."


def _doc() -> Document:
    spans = (GoldSpan(23, 26, "PATIENT", "She"), GoldSpan(32, 34, "AGE", "92"))
    return Document("n", "p", CRLF, spans)


def test_offsets_as_stored() -> None:
    doc = _doc()
    assert CRLF[23:26] == "She" and CRLF[32:34] == "92"
    assert [(s.start, s.end) for s in doc.spans] == [(23, 26), (32, 34)]


def test_normalised_on_both_sides_never_shifted_on_one() -> None:
    doc = _doc()
    flat = normalise_newlines(doc)
    assert flat.text == "Ana visited Dr Oduya.\nShe paid 92 dollars."
    assert [(s.start, s.end, s.surface) for s in flat.spans] == [
        (22, 25, "She"),
        (31, 33, "92"),
    ]
    # a system that saw LF text, scored against the stored CRLF gold, misses
    on_lf = {"n": [Span(22, 25, "PATIENT"), Span(31, 33, "AGE")]}
    stored = evaluate(Corpus("c", "en", (doc,)), on_lf, n_boot=1)
    assert stored["views"]["strict_subtype"]["micro"]["recall"] == 0.0
    same = evaluate(Corpus("c", "en", (flat,)), on_lf, n_boot=1)
    assert same["views"]["strict_subtype"]["micro"]["recall"] == 1.0
    assert normalise_newlines(flat) is flat


def test_whitespace_edged_gold_kept_and_mismatch_named() -> None:
    doc = Document("w", "p", "Dr  SMITH ", (GoldSpan(3, 10, "DOCTOR", " SMITH "),))
    assert doc.spans[0].surface == " SMITH "
    with pytest.raises(DataLayoutError, match=r"note w: gold DOCTOR span 3-8"):
        Document("w", "p", "Dr  SMITH ", (GoldSpan(3, 8, "DOCTOR", "SMITH"),))
    with pytest.raises(DataLayoutError, match="ends beyond the note"):
        Document("w", "p", "Dr", (GoldSpan(0, 8, "DOCTOR", "Dr SMITH"),))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Seen 3/4 for f/u", 5, 8),
        ("Seen 3/14 for f/u", 5, 9),
        ("next visit 11/3", 11, 15),
        ("DOB 12/31", 4, 9),
    ],
)
def test_month_day_dates_are_safe_harbor_dates(text: str, start: int, end: int) -> None:
    from phibench.text.taxonomy import is_safe_harbor

    doc = Document("d", "p", text, (GoldSpan(start, end, "DATE", text[start:end]),))
    assert is_safe_harbor("DATE", doc.spans[0].surface)
    result = evaluate(Corpus("c", "en", (doc,)), {}, n_boot=1)
    assert result["views"]["hipaa_strict_binary"]["micro"]["n_gold"] == 1


def test_span_ending_inside_a_crlf_keeps_its_line_break() -> None:
    # found by Hypothesis: a span ending between "\r" and "\n"
    text = "Oduya\r\nSmith"
    doc = Document("n", "p", text, (GoldSpan(0, 6, "DOCTOR", "Oduya\r"),))
    (span,) = normalise_newlines(doc).spans
    assert (span.start, span.end, span.surface) == (0, 6, "Oduya\n")
