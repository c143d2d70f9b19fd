"""Each writer's output reads back to the same notes and spans."""

from __future__ import annotations

import pytest

from phibench.errors import InputError
from phibench.text.corpora import load_corpus
from phibench.text.document import Corpus, Document, GoldSpan
from phibench.text.embedded import generate_notes
from phibench.text.surrogates import write_corpus

ACROSS = 'Lives at 12 Oak St\r\nApt 4 with "Jo" & Ann\t<x>.'


def _corpus() -> Corpus:
    spans = (
        GoldSpan(9, 25, "STREET", "12 Oak St\r\nApt 4"),
        GoldSpan(31, 35, "PATIENT", '"Jo"'),
        GoldSpan(38, 41, "PATIENT", "Ann"),
    )
    extra = Document("7_3", "7", ACROSS, spans)
    return Corpus("c", "en", (*generate_notes(6, seed=2).documents, extra))


def _flat(doc: Document) -> list[tuple[int, int, str]]:
    """Spans as fragments per line, which is what every format can hold."""
    out = []
    for s in doc.spans:
        at = s.start
        for line in s.surface.replace("\r\n", "\n\n").split("\n"):
            if line:
                out.append((at, at + len(line), s.label))
            at += len(line) + 1
    return sorted(out)


@pytest.mark.parametrize("fmt", ["brat", "i2b2-xml", "physionet"])
def test_round_trip(tmp_path, fmt: str) -> None:
    corpus = _corpus()
    write_corpus(tmp_path / "out", corpus, fmt=fmt)
    back = load_corpus(fmt, tmp_path / "out")
    assert len(back) == len(corpus)
    originals = sorted((d.text, _flat(d)) for d in corpus)
    assert sorted((d.text, _flat(d)) for d in back) == originals


def test_physionet_ids_and_bad_format(tmp_path) -> None:
    write_corpus(tmp_path / "p", _corpus(), fmt="physionet")
    ids = {d.note_id for d in load_corpus("physionet", tmp_path / "p")}
    assert "7_3" in ids and "E00000_1" in ids
    with pytest.raises(InputError, match="format 'csv'"):
        write_corpus(tmp_path / "q", _corpus(), fmt="csv")
    assert not (tmp_path / "q").exists()


def test_unsafe_note_id_leaves_nothing(tmp_path) -> None:
    bad = Corpus("c", "en", (Document("../x", "p", "text"),))
    with pytest.raises(InputError, match="not a safe file name"):
        write_corpus(tmp_path / "out", bad)
    assert list(tmp_path.iterdir()) == []


def test_corpus_format() -> None:
    from phibench.text.corpora import corpus_format

    assert corpus_format("physionet-deid") == "physionet"
    assert corpus_format("meddocan") == "brat"
    assert corpus_format("i2b2-2014") == "i2b2-xml"
    assert corpus_format("embedded") == "brat"
    assert corpus_format("i2b2-xml") == "i2b2-xml"
