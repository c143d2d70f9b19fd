"""The CRF labeller: tokens and tags, and learning from notes it then does not see."""

from __future__ import annotations

import pytest

from phibench.errors import InputError
from phibench.text.document import Document, GoldSpan, Span
from phibench.text.embedded import generate_notes
from phibench.text.scoring import evaluate
from phibench.text.systems import make_system
from phibench.text.systems.crf import (
    bio_tags,
    propagate_tags,
    recall_tags,
    spans_from_tags,
    tokenize,
)

pytest.importorskip("sklearn_crfsuite")


def test_tokens_split_letters_from_digits():
    assert [t[2] for t in tokenize("callback555-201-7788 re:")] == [
        "callback",
        "555",
        "-",
        "201",
        "-",
        "7788",
        "re",
        ":",
    ]


def test_bio_tags_round_trip_to_the_same_spans():
    text = "Dr Jo Ann Lee on 3/4/20"
    spans = [Span(3, 13, "DOCTOR"), Span(17, 23, "DATE")]
    tokens = tokenize(text)
    tags = bio_tags(tokens, spans)
    assert tags == [
        "O",
        "B-DOCTOR",
        "I-DOCTOR",
        "I-DOCTOR",
        "O",
        "B-DATE",
        "I-DATE",
        "I-DATE",
        "I-DATE",
        "I-DATE",
    ]
    assert spans_from_tags(tokens, tags) == spans


def test_adjacent_spans_stay_apart():
    tokens = tokenize("Jo Lee")
    tags = bio_tags(tokens, [Span(0, 2, "PATIENT"), Span(3, 6, "PATIENT")])
    assert tags == ["B-PATIENT", "B-PATIENT"]
    assert spans_from_tags(tokens, tags) == [
        Span(0, 2, "PATIENT"),
        Span(3, 6, "PATIENT"),
    ]


def test_recall_decoding_marks_a_token_when_phi_is_likely_enough():
    marginals = [
        {"O": 0.95, "B-DATE": 0.03, "B-PHONE": 0.02},
        {"O": 0.85, "B-DATE": 0.05, "B-PHONE": 0.10},
    ]
    assert recall_tags(marginals, 0.1) == ["O", "B-PHONE"]
    assert recall_tags(marginals, 0.05) == ["B-DATE", "B-PHONE"]


def test_propagation_tags_later_mentions_but_not_safe_words():
    tokens = tokenize("Mr Logan and the Logan team and")
    tags = ["O", "B-PATIENT", "B-PATIENT", "O", "O", "O", "O"]
    out = propagate_tags(tokens, tags, {"safe": frozenset({"and"})})
    assert out == ["O", "B-PATIENT", "B-PATIENT", "O", "B-PATIENT", "O", "O"]


@pytest.fixture(scope="module")
def trained():
    crf = make_system("crf", gazetteers=False, max_iterations=40, seed=3)
    crf.fit(list(generate_notes(20, seed=11).documents))
    return crf


@pytest.mark.slow
def test_trained_on_some_notes_it_finds_phi_in_others(trained):
    unseen = generate_notes(15, seed=12)
    predictions = {doc.note_id: trained.predict(doc.text) for doc in unseen}
    micro = evaluate(unseen, predictions, n_boot=10, seed=1)["views"]["token_binary"]
    # Template notes with new people, dates and numbers: a CRF that learned
    # the contexts finds nearly all of them; one that learned nothing finds none.
    assert micro["micro"]["recall"] >= 0.9
    assert micro["micro"]["precision"] >= 0.9


@pytest.mark.slow
def test_training_is_deterministic(trained):
    again = make_system("crf", gazetteers=False, max_iterations=40, seed=3)
    again.fit(list(generate_notes(20, seed=11).documents))
    note = generate_notes(3, seed=99).documents[0].text
    assert again.predict(note) == trained.predict(note)


def test_misuse_is_a_one_line_error():
    crf = make_system("crf", gazetteers=False)
    with pytest.raises(InputError, match="before fit"):
        crf.predict("text")
    empty = [Document("n1", "p1", "no phi here at all")]
    with pytest.raises(InputError, match="hold no gold PHI"):
        crf.fit(empty)
    with pytest.raises(InputError, match="phi_threshold"):
        make_system("crf", phi_threshold=0)


def test_gold_spans_on_whitespace_still_train():
    text = "Seen by Dr Smith today"
    doc = Document("n1", "p1", text, (GoldSpan(10, 17, "DOCTOR", text[10:17]),))
    crf = make_system("crf", gazetteers=False, max_iterations=5)
    crf.fit([doc])  # the gold span ends on a space: tags come from tokens
    assert bio_tags(tokenize(text), doc.spans)[3] == "B-DOCTOR"


def test_an_interrupt_during_training_is_not_swallowed(monkeypatch):
    """python-crfsuite catches Ctrl-C and returns as if trained: the run must stop."""
    import os
    import signal

    import sklearn_crfsuite

    def fit_that_swallows_ctrl_c(self, x, y):
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            return self  # what the library does: training just ends
        return self

    monkeypatch.setattr(sklearn_crfsuite.CRF, "fit", fit_that_swallows_ctrl_c)
    system = make_system("crf", seed=1)
    with pytest.raises(KeyboardInterrupt):
        system.fit(generate_notes(5, seed=2).documents)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
