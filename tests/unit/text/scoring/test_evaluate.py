"""`evaluate` on a hand-made case: every number against its closed form."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest

from phibench.text.document import Corpus, Document, GoldSpan, Span
from phibench.text.scoring import bootstrap_ci, evaluate

TEXT = "Ana Lee saw Dr Bo on 3/4 at RGH."
GOLD = (
    GoldSpan(0, 7, "PATIENT", "Ana Lee"),
    GoldSpan(15, 17, "DOCTOR", "Bo"),
    GoldSpan(21, 24, "DATE", "3/4"),
    GoldSpan(28, 31, "HOSPITAL", "RGH"),
)
PREDICTED = [
    Span(0, 3, "PATIENT"),  # part of the patient's name
    Span(15, 17, "PATIENT"),  # right place, wrong subtype, right category
    Span(21, 24, "DATE"),  # exact
    Span(8, 11, "OTHER"),  # untyped false positive: binary views only
]
CORPUS = Corpus(
    "toy",
    "en",
    (Document("a", "p1", TEXT, GOLD), Document("b", "p2", "No PHI here.")),
)


@pytest.fixture(scope="module")
def result():
    return evaluate(CORPUS, {"a": PREDICTED, "b": []}, n_boot=50, seed=3)


def f1(p: F, r: F) -> float:
    return float(2 * p * r / (p + r))


@pytest.mark.parametrize(
    ("view", "precision", "recall"),
    [
        ("strict_binary", F(2, 4), F(2, 4)),
        ("strict_category", F(2, 3), F(2, 4)),
        ("strict_subtype", F(1, 3), F(1, 4)),
        ("relaxed_binary", F(3, 4), F(3, 4)),
        ("relaxed_category", F(3, 3), F(3, 4)),
        ("relaxed_subtype", F(2, 3), F(2, 4)),
        # tokens: Ana Lee saw Dr Bo on 3 / 4 at RGH . ; gold: Ana Lee Bo 3 / 4 RGH
        ("token_binary", F(5, 6), F(5, 7)),
        ("token_category", F(5, 5), F(5, 7)),
        ("token_subtype", F(4, 5), F(4, 7)),
        # Safe Harbor: the doctor and the hospital drop out of the gold
        ("hipaa_strict_binary", F(1, 4), F(1, 2)),
        ("hipaa_relaxed_binary", F(2, 4), F(2, 2)),
        ("hipaa_strict_category", F(1, 3), F(1, 2)),
        ("hipaa_relaxed_category", F(2, 3), F(2, 2)),
        ("hipaa_token_binary", F(4, 6), F(4, 5)),
        ("hipaa_token_category", F(4, 5), F(4, 5)),  # Lee missed, Bo extra
    ],
)
def test_micro(result, view: str, precision: F, recall: F) -> None:
    micro = result["views"][view]["micro"]
    assert micro["precision"] == pytest.approx(float(precision))
    assert micro["recall"] == pytest.approx(float(recall))
    assert micro["f1"] == pytest.approx(f1(precision, recall))


def test_counts_and_json(result) -> None:
    assert (result["n_documents"], result["n_gold"], result["n_predicted"]) == (2, 4, 4)
    micro = result["views"]["strict_category"]["micro"]
    assert (micro["tp_gold"], micro["n_gold"]) == (2, 4)
    assert (micro["tp_predicted"], micro["n_predicted"]) == (2, 3)
    text = json.dumps(result)
    for surface in ["Ana", "Lee", "RGH", "3/4"]:
        assert surface not in text


def test_per_category_and_macro(result) -> None:
    view = result["views"]["strict_category"]
    name, date, location = (
        view["per_category"][k] for k in ["NAME", "DATE", "LOCATION"]
    )
    assert (name["precision"], name["recall"], name["f1"]) == (0.5, 0.5, 0.5)
    assert (date["precision"], date["recall"]) == (1.0, 1.0)
    assert (location["precision"], location["recall"], location["f1"]) == (
        None,
        0.0,
        None,
    )
    # macro recall over NAME, DATE, LOCATION; precision over NAME, DATE
    assert view["macro"]["recall"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert view["macro"]["precision"] == pytest.approx((0.5 + 1) / 2)
    assert view["macro"]["f1"] == pytest.approx((0.5 + 1 + 0) / 3)


def test_subtype_macro(result) -> None:
    # PATIENT: P 0/2, R 0/1; DOCTOR: R 0/1; DATE: 1/1; HOSPITAL: R 0/1
    macro = result["views"]["strict_subtype"]["macro"]
    assert macro["recall"] == pytest.approx((0 + 0 + 1 + 0) / 4)
    assert macro["precision"] == pytest.approx((0 + 1) / 2)
    assert macro["f1"] == pytest.approx((0 + 0 + 1 + 0) / 4)
    assert macro["n_types"] == 4


def test_every_view_is_reported(result) -> None:
    levels, typings = ["strict", "relaxed", "token"], ["binary", "category", "subtype"]
    expected = {f"{level}_{typing}" for level in levels for typing in typings}
    expected |= {f"hipaa_{level}_{t}" for level in levels for t in typings[:2]}
    assert set(result["views"]) == expected
    assert (result["n_boot"], result["seed"]) == (50, 3)


def test_binary_breakdown_is_recall_by_gold_type(result) -> None:
    view = result["views"]["strict_binary"]
    assert view["per_category"]["NAME"]["recall"] == 0.5  # Bo found, Ana Lee not
    assert view["per_subtype"]["DOCTOR"]["recall"] == 1.0
    assert view["per_subtype"]["PATIENT"]["recall"] == 0.0
    assert view["per_category"]["NAME"]["precision"] is None
    assert view["macro"]["recall"] == pytest.approx(0.5)
    assert view["macro"]["precision"] is None


def test_subtype_view_sums_subtypes_into_categories(result) -> None:
    view = result["views"]["strict_subtype"]
    assert view["per_subtype"]["PATIENT"]["n_predicted"] == 2
    assert view["per_subtype"]["DOCTOR"]["n_gold"] == 1
    name = view["per_category"]["NAME"]
    assert (name["tp_gold"], name["n_gold"], name["n_predicted"]) == (0, 2, 2)


def test_perfect_and_empty_predictions() -> None:
    gold = {"a": [Span(s.start, s.end, s.label) for s in GOLD], "b": []}
    perfect = evaluate(CORPUS, gold, n_boot=20, seed=1)
    for view in perfect["views"].values():
        assert view["micro"]["recall"] == 1.0 and view["micro"]["precision"] == 1.0
        assert view["ci95"]["recall"] == [1.0, 1.0]
    nothing = evaluate(CORPUS, {}, n_boot=20, seed=1)
    micro = nothing["views"]["strict_binary"]["micro"]
    assert (micro["precision"], micro["recall"], micro["f1"]) == (None, 0.0, None)


def test_empty_note_and_overlapping_gold() -> None:
    docs = (
        Document("e", "p", ""),
        Document(
            "o",
            "p",
            "Ana Lee",
            (GoldSpan(0, 7, "PATIENT", "Ana Lee"), GoldSpan(4, 7, "PATIENT", "Lee")),
        ),
    )
    result = evaluate(Corpus("c", "en", docs), {"o": [Span(0, 7, "PATIENT")]}, n_boot=5)
    assert result["views"]["strict_subtype"]["micro"]["recall"] == 0.5
    assert result["views"]["relaxed_subtype"]["micro"]["recall"] == 1.0
    assert result["views"]["token_subtype"]["micro"]["recall"] == 1.0


def test_bad_predictions_refused() -> None:
    with pytest.raises(ValueError, match="'zz', not in the corpus"):
        evaluate(CORPUS, {"zz": []})
    with pytest.raises(ValueError, match="label 'PERSON' is not an i2b2-2014"):
        evaluate(CORPUS, {"a": [Span(0, 3, "PERSON")]})
    with pytest.raises(ValueError, match="ends beyond the text"):
        evaluate(CORPUS, {"b": [Span(0, 99, "DATE")]})


def test_bootstrap_width_matches_binomial_theory() -> None:
    # 400 documents with one gold span each, 300 found: recall 0.75 with
    # standard error sqrt(.75 * .25 / 400); the 95% interval is about
    # +-1.96 SE wide. A 2x error in the resampling would fail the 25% band.
    matrix = np.array([[1, 1, 1, 1]] * 300 + [[0, 1, 0, 0]] * 100)
    ci = bootstrap_ci(matrix, n_boot=2000, seed=11)
    width = ci["recall"][1] - ci["recall"][0]
    expected = 2 * 1.96 * np.sqrt(0.75 * 0.25 / 400)
    assert abs(width - expected) < 0.25 * expected
    assert ci["recall"][0] < 0.75 < ci["recall"][1]
    assert ci["precision"] == [1.0, 1.0]
    assert bootstrap_ci(matrix, n_boot=2000, seed=11) == ci
