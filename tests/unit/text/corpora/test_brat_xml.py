"""BRAT and i2b2-XML loaders: MEDDOCAN in both forms, CRLF, discontinuous spans."""

from __future__ import annotations

from collections import Counter

import pytest

from phibench.errors import DataLayoutError, InputError
from phibench.text.corpora import load_corpus
from phibench.text.corpora.brat import read_brat
from phibench.text.corpora.i2b2_xml import read_i2b2_xml
from tests.conftest import require_shared

CRLF_TEXT = "Ana visited Dr Oduya.\r\nShe paid 92 dollars."


@pytest.fixture(scope="module")
def meddocan_dir():
    return require_shared("meddocan")


def _key(doc, form: str) -> str:
    return doc.note_id.replace(f"/{form}/", "/")


def test_meddocan_both_forms_give_the_same_spans(meddocan_dir) -> None:
    brat = {_key(d, "brat"): d for d in read_brat(meddocan_dir / "corpus")}
    xml = {_key(d, "xml"): d for d in read_i2b2_xml(meddocan_dir / "corpus")}
    assert len(brat) == len(xml) == 750  # train 500 + dev 250
    assert brat.keys() == xml.keys()
    for key, doc in brat.items():
        assert doc.text == xml[key].text
        assert [(s.start, s.end, s.label) for s in doc.spans] == [
            (s.start, s.end, s.label) for s in xml[key].spans
        ]


def test_meddocan_counts_and_map(meddocan_dir) -> None:
    corpus = load_corpus("meddocan", meddocan_dir)
    assert (len(corpus), corpus.n_spans, corpus.language) == (750, 17134, "es")
    assert not corpus.data_use.restricted
    labels = Counter(s.label for d in corpus for s in d.spans)
    # PROVENANCE.md counts for train + dev, mapped (docs/text/taxonomy.md):
    assert labels["DATE"] == 1955  # FECHAS
    assert labels["OTHER"] == 1380 + 335 + 15  # SEXO + FAMILIARES + OTROS
    assert labels["ZIP"] + labels["LOCATION-OTHER"] == 2862  # TERRITORIO
    assert labels["ZIP"] == 1198
    assert labels["HOSPITAL"] == 395 + 8  # HOSPITAL + CENTRO_SALUD
    assert labels["MEDICALRECORD"] == 859


def test_brat_on_one_split_folder(meddocan_dir) -> None:
    corpus = load_corpus("brat", meddocan_dir / "corpus" / "dev" / "brat")
    assert (len(corpus), corpus.n_spans) == (250, 5801)
    assert corpus.data_use.restricted  # a bare folder's terms are unknown


def _brat(tmp_path, text: str, ann: str):
    (tmp_path / "n1.txt").write_bytes(text.encode())
    (tmp_path / "n1.ann").write_bytes(ann.encode())
    return read_brat(tmp_path)


def test_crlf_offsets_kept_as_stored(tmp_path) -> None:
    ann = "T1\tPATIENT 23 26\tShe\nT2\tAGE 32 34\t92\n"
    (doc,) = _brat(tmp_path, CRLF_TEXT, ann)
    assert [(s.start, s.end) for s in doc.spans] == [(23, 26), (32, 34)]
    assert doc.text[23:26] == "She" and doc.text[32:34] == "92"


def test_crlf_offsets_of_lf_file_refused(tmp_path) -> None:
    # offsets computed on the LF text do not slice the CRLF file: refused, not shifted
    with pytest.raises(DataLayoutError, match="note n1: gold PATIENT span 22-25"):
        _brat(tmp_path, CRLF_TEXT, "T1\tPATIENT 22 25\tShe\n")


def test_discontinuous_span_split_in_fragments(tmp_path) -> None:
    text = "Dr Ana de la Oduya came"
    (doc,) = _brat(tmp_path, text, "T1\tDOCTOR 3 6;13 18\tAna Oduya\nR1\tX Arg1:T1\n")
    assert [(s.start, s.end, s.surface) for s in doc.spans] == [
        (3, 6, "Ana"),
        (13, 18, "Oduya"),
    ]


def test_brat_errors(tmp_path) -> None:
    with pytest.raises(DataLayoutError, match=r"no \*\.ann files found"):
        load_corpus("brat", tmp_path)
    (tmp_path / "a.ann").write_text("")
    with pytest.raises(DataLayoutError, match=r"no a\.txt beside it"):
        load_corpus("brat", tmp_path)
    with pytest.raises(DataLayoutError, match="no such folder"):
        load_corpus("brat", tmp_path / "missing")


def test_i2b2_xml_with_crlf_and_patient_from_name(tmp_path) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<deIdi2b2>\n<TEXT><![CDATA['
        + CRLF_TEXT
        + ']]></TEXT>\n<TAGS>\n<NAME id="P0" start="23" end="26" text="She" '
        'TYPE="PATIENT" comment="" />\n<AGE id="P1" start="32" end="34" text="92" '
        'TYPE="AGE" comment="" />\n</TAGS>\n</deIdi2b2>\n'
    )
    (tmp_path / "110-02.xml").write_bytes(xml.encode())
    corpus = load_corpus("i2b2-xml", tmp_path)
    (doc,) = corpus.documents
    assert (doc.note_id, doc.patient_id) == ("110-02", "110")
    assert [(s.start, s.end, s.label) for s in doc.spans] == [
        (23, 26, "PATIENT"),
        (32, 34, "AGE"),
    ]


def test_i2b2_xml_span_across_a_line_break(tmp_path) -> None:
    xml = (
        "<deIdi2b2><TEXT><![CDATA[Lives at 12 Oak St\r\nApt 4 today]]></TEXT><TAGS>"
        '<LOCATION id="P0" start="9" end="25" text="12 Oak St Apt 4" TYPE="STREET"/>'
        "</TAGS></deIdi2b2>"
    )
    (tmp_path / "5-01.xml").write_bytes(xml.encode())
    (doc,) = load_corpus("i2b2-xml", tmp_path).documents
    assert doc.spans[0].surface == "12 Oak St\r\nApt 4"


def test_i2b2_xml_errors(tmp_path) -> None:
    (tmp_path / "1-1.xml").write_text("<root><TEXT>no cdata</TEXT></root>")
    with pytest.raises(DataLayoutError, match=r"no <TEXT><!\[CDATA"):
        load_corpus("i2b2-xml", tmp_path)


def test_embedded_takes_no_folder(tmp_path) -> None:
    with pytest.raises(
        InputError, match="--data-dir is not used with --corpus embedded"
    ):
        load_corpus("embedded", tmp_path)
