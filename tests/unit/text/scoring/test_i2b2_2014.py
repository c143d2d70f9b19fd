"""The i2b2-2014-compatible mode: strict, relaxed (end within 2), HIPAA subset."""

from __future__ import annotations

import pytest

from phibench.text.document import Corpus, Document, GoldSpan, Span
from phibench.text.scoring import evaluate_i2b2_2014

TEXT = "Ana Lee saw Dr Bo on 3/4 at RGH."
GOLD = (
    GoldSpan(0, 7, "PATIENT", "Ana Lee"),
    GoldSpan(15, 17, "DOCTOR", "Bo"),
    GoldSpan(21, 24, "DATE", "3/4"),
    GoldSpan(28, 31, "HOSPITAL", "RGH"),
)
PREDICTED = [
    Span(0, 3, "PATIENT"),
    Span(15, 17, "PATIENT"),
    Span(21, 24, "DATE"),
    Span(8, 11, "OTHER"),
]


def _corpus(*docs: Document) -> Corpus:
    return Corpus("toy", "en", docs)


def test_strict_and_hipaa() -> None:
    corpus = _corpus(Document("a", "p", TEXT, GOLD), Document("b", "q", "None."))
    result = evaluate_i2b2_2014(corpus, {"a": PREDICTED})
    strict = result["strict"]
    assert strict["micro"] == {"precision": 0.25, "recall": 0.25, "f1": 0.25}
    # as in the challenge's script, document b (no gold, no system tags) has
    # precision and recall 0/0 = 0, which halves the macro means
    assert strict["macro"]["precision"] == 0.125 and strict["macro"]["recall"] == 0.125
    assert strict["macro"]["precision_sd"] == 0.125
    # relaxed needs the same start: "Ana" ends 4 characters before "Ana Lee"
    assert result["relaxed"]["micro"]["recall"] == 0.25
    # HIPAA list: PATIENT and DATE stay, DOCTOR, HOSPITAL and OTHER go
    hipaa = result["hipaa_strict"]["micro"]
    assert hipaa["precision"] == pytest.approx(1 / 3)
    assert hipaa["recall"] == 0.5
    assert hipaa["f1"] == pytest.approx(0.4)


def test_relaxed_end_tolerance_of_two() -> None:
    text = "Mr Smith's bed; Jo Ng's"
    gold = (GoldSpan(3, 8, "PATIENT", "Smith"), GoldSpan(16, 18, "PATIENT", "Jo"))
    corpus = _corpus(Document("c", "p", text, gold))
    # "Smith's" ends 2 after "Smith": relaxed match; "Jo Ng's" ends 5 after "Jo": none
    result = evaluate_i2b2_2014(
        corpus, {"c": [Span(3, 10, "PATIENT"), Span(16, 23, "PATIENT")]}
    )
    assert result["strict"]["micro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert result["relaxed"]["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}


def test_macro_is_per_document() -> None:
    gold_a = (GoldSpan(0, 3, "PATIENT", "Ana"), GoldSpan(4, 7, "PATIENT", "Lee"))
    docs = (
        Document("a", "p", "Ana Lee", gold_a),
        Document("b", "q", "Bo", (GoldSpan(0, 2, "PATIENT", "Bo"),)),
    )
    result = evaluate_i2b2_2014(_corpus(*docs), {"a": [Span(0, 3, "PATIENT")]})
    macro = result["strict"]["macro"]
    assert macro["recall"] == pytest.approx((0.5 + 0.0) / 2)
    assert macro["recall_sd"] == pytest.approx(0.25)
    assert macro["precision"] == 0.5  # document b: no system tags, 0/0 = 0
    assert macro["f1"] == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    assert result["strict"]["micro"]["recall"] == pytest.approx(1 / 3)


def test_token_level_and_empty_corpus() -> None:
    corpus = _corpus(Document("a", "p", TEXT, GOLD))
    result = evaluate_i2b2_2014(corpus, {"a": PREDICTED})
    # gold tokens: Ana Lee (PATIENT), Bo (DOCTOR), 3 / 4 (DATE), RGH (HOSPITAL) = 7
    # system tokens: Ana, Bo (PATIENT), 3 / 4 (DATE), saw (OTHER) = 6; right: Ana 3 / 4
    token = result["token"]["micro"]
    assert token["precision"] == pytest.approx(4 / 6)
    assert token["recall"] == pytest.approx(4 / 7)
    hipaa = result["hipaa_token"]["micro"]  # gold Ana Lee 3 / 4; system Ana Bo 3 / 4
    assert hipaa["precision"] == pytest.approx(4 / 5)
    assert hipaa["recall"] == pytest.approx(4 / 5)
    empty = evaluate_i2b2_2014(_corpus(), {})
    assert empty["strict"]["micro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
