"""Properties over random notes and spans (Hypothesis): offsets never drift."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from phibench.text.document import Corpus, Document, GoldSpan, Span, normalise_newlines
from phibench.text.scoring import evaluate
from phibench.text.surrogate_values import PatientSurrogates
from phibench.text.surrogates import merge_spans, surrogate_document

LABELS = ["PATIENT", "DATE", "PHONE", "CITY", "MEDICALRECORD", "AGE", "OTHER"]


@st.composite
def notes(draw) -> Document:
    text = draw(st.text(alphabet="ab 1/\r\n-.", min_size=1, max_size=40))
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        label = draw(st.sampled_from(LABELS[:-1]))
        spans.append(GoldSpan(start, end, label, text[start:end]))
    return Document("n", "p", text, tuple(spans))


@settings(max_examples=150, deadline=None)
@given(notes())
def test_normalised_spans_keep_their_text_minus_carriage_returns(doc) -> None:
    flat = normalise_newlines(doc)
    assert "\r" not in flat.text
    kept = {
        (s.label, s.surface.replace("\r\n", "\n").replace("\r", "\n"))
        for s in doc.spans
    }
    for span in flat.spans:
        assert flat.text[span.start : span.end] == span.surface
        assert (span.label, span.surface) in kept


@settings(max_examples=100, deadline=None)
@given(notes())
def test_gold_as_predictions_scores_perfectly(doc) -> None:
    predictions = {"n": [Span(s.start, s.end, s.label) for s in doc.spans]}
    result = evaluate(Corpus("c", "en", (doc,)), predictions, n_boot=3)
    for name, view in result["views"].items():
        micro = view["micro"]
        if micro["n_gold"]:
            assert micro["recall"] == 1.0, name
        if micro["n_predicted"]:
            assert micro["precision"] == 1.0, name


@settings(max_examples=100, deadline=None)
@given(notes(), st.integers(0, 10_000))
def test_surrogates_change_only_the_spans(doc, seed) -> None:
    spans = merge_spans([Span(s.start, s.end, s.label) for s in doc.spans])
    new = surrogate_document(doc, spans, PatientSurrogates("p", seed))
    assert len(new.spans) == len(spans)
    at_old = at_new = 0
    for old, sub in zip(spans, new.spans, strict=True):
        assert doc.text[at_old : old.start] == new.text[at_new : sub.start]
        assert sub.surface.casefold() != doc.text[old.start : old.end].casefold()
        at_old, at_new = old.end, sub.end
    assert doc.text[at_old:] == new.text[at_new:]
