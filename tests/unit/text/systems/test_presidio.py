"""Presidio offline: explicit spaCy model, bundled suffix list, no socket opened."""

from __future__ import annotations

import socket

import pytest

from phibench.errors import InputError
from phibench.text.document import Span
from phibench.text.systems import make_system
from phibench.text.systems.presidio_system import (
    DEFAULT_SPACY_MODEL,
    use_bundled_suffix_list,
)

pytest.importorskip("presidio_analyzer")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def presidio():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        system = make_system("presidio")
        system.predict("warm up Dr. John Smith")  # loads the engine offline
    return system


def _refuse(*args, **kwargs):
    raise AssertionError("a network connection was attempted")


def test_email_url_and_ip_recognition_opens_no_socket(presidio, monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    text = "mail a.b@example.com c@d.org e@f.net, see https://x.org/a from 10.1.2.3"

    spans = presidio.predict(text)

    assert [s for s in spans if s.label == "EMAIL"] == [
        Span(5, 20, "EMAIL"),
        Span(21, 28, "EMAIL"),
        Span(29, 36, "EMAIL"),
    ]
    assert Span(42, 57, "URL") in spans
    assert Span(63, 71, "IPADDR") in spans


def test_anonymizer_removes_every_detected_surface(presidio, monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    text = "cc a.b@example.com c@d.org e@f.net; call 617-555-0134"
    spans = presidio.predict(text)

    out = presidio.anonymize(text)

    assert spans
    for span in spans:
        assert text[span.start : span.end] not in out


def test_labels_are_mapped_onto_the_taxonomy(presidio):
    text = "Dr. John Smith saw her on March 3, 2021."
    labels = {s.label for s in presidio.predict(text)}
    assert labels == {"PATIENT", "DATE"}  # PERSON -> PATIENT, DATE_TIME -> DATE


def test_tldextract_uses_its_bundled_list():
    import tldextract.tldextract as tld

    use_bundled_suffix_list()
    assert tld.TLD_EXTRACTOR.suffix_list_urls == ()


def test_spacy_model_is_named_and_another_must_be_installed(presidio):
    assert presidio.settings()["spacy_model"] == DEFAULT_SPACY_MODEL
    other = make_system("presidio", spacy_model="en_core_web_lg_absent")
    with pytest.raises(InputError, match="is not installed; phibench never downloads"):
        other.predict("Dr. Smith")
    with pytest.raises(InputError, match="score_threshold"):
        make_system("presidio", score_threshold=2)


def test_empty_note(presidio):
    assert presidio.predict("") == []
    assert presidio.predict("  \n ") == []
