"""The system factory, the system list parser and the span clean-up helpers."""

from __future__ import annotations

import pytest

from phibench.errors import InputError
from phibench.text.document import Span
from phibench.text.systems import (
    OFFLINE_SYSTEMS,
    DeidSystem,
    make_system,
    parse_system_names,
)
from phibench.text.systems.base import clip_spans, resolve_overlaps


def test_default_systems_are_the_offline_ones():
    assert parse_system_names(None) == ("rules", "presidio", "philter", "crf")
    assert parse_system_names(" rules , crf ") == ("rules", "crf")
    assert parse_system_names("hf:models/x,rules") == ("hf:models/x", "rules")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules,spacy", "unknown system 'spacy'"),
        ("", "--systems is empty"),
        ("rules,rules", "a system is named twice"),
        ("hf:", "needs a model folder"),
    ],
)
def test_bad_system_lists_are_one_line_errors(text, message):
    with pytest.raises(InputError, match=message) as error:
        parse_system_names(text)
    assert "\n" not in str(error.value)


def test_factory_builds_every_offline_system_and_refuses_others():
    for name in OFFLINE_SYSTEMS:
        system = make_system(name)
        assert isinstance(system, DeidSystem)
        assert system.name == name
    with pytest.raises(InputError, match=r"unknown system 'deid\.pl'"):
        make_system("deid.pl")


def test_clip_spans_trims_whitespace_and_drops_blank_spans():
    text = "Dr  Smith \n"
    spans = [Span(3, 10, "DOCTOR"), Span(9, 11, "DOCTOR")]
    assert clip_spans(text, spans) == [Span(4, 9, "DOCTOR")]


def test_resolve_overlaps_prefers_longer_then_higher_priority():
    text = "x" * 30
    ranked = [
        (Span(0, 10, "EMAIL"), 0),
        (Span(4, 10, "URL"), 0),  # inside the e-mail address: dropped
        (Span(12, 20, "PHONE"), 1),
        (Span(12, 20, "SSN"), 0),  # same span, higher priority wins
    ]
    assert resolve_overlaps(text, ranked) == [
        Span(0, 10, "EMAIL"),
        Span(12, 20, "SSN"),
    ]
