"""philter-lite offline: spaCy tags instead of NLTK's downloaded tagger."""

from __future__ import annotations

import pytest

from phibench.text.document import Span
from phibench.text.systems import make_system

pytest.importorskip("philter_lite")
pytest.importorskip("spacy")  # imported at collection: its CLI deps warn on import
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def philter():
    return make_system("philter")


def test_runs_without_nltk_tagger_data(philter, monkeypatch):
    import nltk

    def no_nltk(*args, **kwargs):
        raise AssertionError("NLTK's tagger (downloaded data) was called")

    monkeypatch.setattr(nltk, "pos_tag", no_nltk)
    text = "Seen 3/4/2020 by Dr Knight, call 555-201-7788."

    spans = philter.predict(text)

    assert Span(5, 13, "DATE") in spans  # date filters type their spans
    assert Span(33, 45, "OTHER") in spans  # one span, not three digit groups
    assert any(s.start == 20 and s.end == 26 for s in spans)  # the name


def test_original_tagging_step_is_restored(philter):
    import philter_lite.philter as module

    before = module._get_pos
    philter.predict("Seen by Dr Knight")
    assert module._get_pos is before


def test_empty_note(philter):
    assert philter.predict("") == []


def test_a_note_over_the_time_limit_counts_as_nothing_found(philter, monkeypatch):
    import time

    import philter_lite

    def slow(*args, **kwargs):
        time.sleep(5)
        raise AssertionError("the time limit did not interrupt philter-lite")

    monkeypatch.setattr(philter_lite, "detect_phi", slow)
    monkeypatch.setattr(philter, "note_time_limit_s", 0.2)
    before = philter.n_timeouts

    assert philter.predict("Seen by Dr Knight") == []
    assert philter.n_timeouts == before + 1
    assert philter.settings()["n_timeouts"] == before + 1
