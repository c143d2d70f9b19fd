"""The patient split: fixed rule, exact sizes on the shared PhysioNet copy."""

from __future__ import annotations

import hashlib

import pytest

from phibench.errors import InputError
from phibench.text.corpora import load_corpus
from phibench.text.document import Corpus, Document
from phibench.text.splits import in_test_part, split_by_patient
from tests.conftest import require_shared


def test_exact_sizes_on_physionet() -> None:
    corpus = load_corpus(
        "physionet-deid", require_shared("physionet-deid-nursing-notes")
    )
    dev, test = split_by_patient(corpus)
    assert (len(dev), len(dev.patient_ids), dev.n_spans) == (932, 59, 700)
    assert (len(test), len(test.patient_ids), test.n_spans) == (686, 50, 543)
    assert not set(dev.patient_ids) & set(test.patient_ids)


def test_rule_is_the_documented_hash() -> None:
    for patient in ["1", "2", "163", "abc"]:
        digest = hashlib.sha256(f"0:{patient}".encode()).digest()
        expected = int.from_bytes(digest[:8], "big") / 2**64 < 0.5
        assert in_test_part(patient, test_fraction=0.5, seed=0) is expected


def _corpus(order: list[int]) -> Corpus:
    docs = tuple(Document(f"n{i}", f"p{i % 7}", "text") for i in order)
    return Corpus("toy", "en", docs)


def test_independent_of_file_order() -> None:
    forward = _corpus(list(range(40)))
    backward = _corpus(list(reversed(range(40))))
    dev_f, test_f = split_by_patient(forward, seed=5)
    dev_b, test_b = split_by_patient(backward, seed=5)
    assert set(dev_f.patient_ids) == set(dev_b.patient_ids)
    assert {d.note_id for d in test_f} == {d.note_id for d in test_b}
    assert len(dev_f) + len(test_f) == 40


def test_bad_fraction() -> None:
    with pytest.raises(InputError, match=r"test_fraction 1\.0"):
        split_by_patient(_corpus([1]), test_fraction=1.0)
