"""The PhysioNet deid loader on the shared copy and on small hand-made folders."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from phibench.errors import DataLayoutError, InputError
from phibench.text.corpora import load_corpus
from phibench.text.corpora.physionet import read_physionet
from tests.conftest import require_shared


@pytest.fixture(scope="module")
def physionet():
    folder = require_shared("physionet-deid-nursing-notes")
    return load_corpus("physionet-deid", folder)


def test_counts_of_the_shared_subset(physionet) -> None:
    # PROVENANCE.md: the copy holds patients whose id is not divisible by 3,
    # 1,624 notes; 6 of the 9 never-annotated records are among them.
    assert len(physionet) == 1618
    assert physionet.excluded_note_ids == (
        "59_10",
        "94_1",
        "107_8",
        "110_8",
        "136_20",
        "146_8",
    )
    assert len(physionet.patient_ids) == 109
    assert all(int(p) % 3 for p in physionet.patient_ids)
    # PROVENANCE.md says 1,242 spans for this subset; id-phi.phrase has 1,243 lines.
    assert physionet.n_spans == 1243
    assert len({doc.note_id for doc in physionet}) == 1618


def test_labels_mapped_onto_the_taxonomy(physionet) -> None:
    labels = Counter(span.label for doc in physionet for span in doc.spans)
    # HCPName 417; Date 336 + DateYear 34; Location 247;
    # PTName 32 + PTNameInitial 2 + RelativeProxyName 133; Phone 40; Other 2.
    assert labels == {
        "DOCTOR": 417,
        "DATE": 370,
        "LOCATION-OTHER": 247,
        "PATIENT": 167,
        "PHONE": 40,
        "IDNUM": 2,
    }


def test_terms_and_whitespace_quirk(physionet) -> None:
    assert not physionet.data_use.restricted
    assert physionet.language == "en"
    padded = [
        s for doc in physionet for s in doc.spans if s.surface != s.surface.strip()
    ]
    assert len(padded) == 3  # 5 in the full corpus; 3 in this copy
    assert sum(1 for doc in physionet if not doc.spans) == 1123
    assert sum(len(doc.text) for doc in physionet) == 1_391_433


def _write(folder: Path, text: str, phrase: str, deid: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "id.text").write_bytes(text.encode())
    (folder / "id-phi.phrase").write_bytes(phrase.encode())
    (folder / "id.deid").write_bytes(deid.encode())
    return folder


RECORD = "START_OF_RECORD=7||||2||||\nSEEN BY DR SMITH ON 3/4.\n||||END_OF_RECORD\n"


def test_offsets_count_from_the_body(tmp_path) -> None:
    folder = _write(
        tmp_path / "d",
        RECORD,
        "7 2 11 16 HCPName SMITH\n7 2 20 23 Date 3/4\n",
        "Patient 7  Note 2\n11  11  16\n20  20  23\n",
    )
    documents, excluded = read_physionet(folder)
    assert excluded == ()
    (doc,) = documents
    assert (doc.note_id, doc.patient_id) == ("7_2", "7")
    assert [(s.start, s.end, s.label) for s in doc.spans] == [
        (11, 16, "DOCTOR"),
        (20, 23, "DATE"),
    ]


def test_surface_mismatch_names_note_and_offsets(tmp_path) -> None:
    folder = _write(
        tmp_path / "d", RECORD, "7 2 12 17 HCPName SMITH\n", "Patient 7  Note 2\n"
    )
    with pytest.raises(DataLayoutError, match=r"note 7_2: gold DOCTOR span 12-17"):
        read_physionet(folder)


def test_missing_files_named(tmp_path) -> None:
    (tmp_path / "id.text").write_text(RECORD)
    with pytest.raises(DataLayoutError, match=r"lacks id-phi\.phrase, id\.deid"):
        load_corpus("physionet", tmp_path)


def test_unknown_label_refused(tmp_path) -> None:
    folder = _write(
        tmp_path / "d", RECORD, "7 2 11 16 Surgeon SMITH\n", "Patient 7  Note 2\n"
    )
    with pytest.raises(DataLayoutError, match="label 'Surgeon' has no map"):
        read_physionet(folder)


def test_format_on_any_folder_is_restricted(tmp_path) -> None:
    folder = _write(tmp_path / "d", RECORD, "", "Patient 7  Note 2\n")
    corpus = load_corpus("physionet", folder)
    assert corpus.data_use.restricted
    assert len(corpus) == 1 and corpus.n_spans == 0


def test_request_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="needs --data-dir"):
        load_corpus("physionet-deid", None)
    with pytest.raises(InputError, match="not a text dataset id nor a format"):
        load_corpus("nope", tmp_path)
    with pytest.raises(InputError, match="no text loader"):
        load_corpus("mimic-iv", tmp_path)
    with pytest.raises(InputError, match="--n-notes 0"):
        load_corpus("physionet", tmp_path, n_notes=0)


def test_seeded_sample(physionet) -> None:
    folder = require_shared("physionet-deid-nursing-notes")
    first = load_corpus("physionet-deid", folder, n_notes=50, seed=3)
    again = load_corpus("physionet-deid", folder, n_notes=50, seed=3)
    assert len(first) == 50
    assert [d.note_id for d in first] == [d.note_id for d in again]
    order = {d.note_id: i for i, d in enumerate(physionet)}
    assert [order[d.note_id] for d in first] == sorted(order[d.note_id] for d in first)


def test_open_id_refuses_a_bigger_corpus(tmp_path) -> None:
    # 2,435 notes cannot be PhysioNet deid 1.1 (2,434): its open terms do not apply
    records = "".join(
        f"START_OF_RECORD=1||||{n}||||\nNOTE.\n||||END_OF_RECORD\n" for n in range(2435)
    )
    headers = "".join(f"Patient 1  Note {n}\n" for n in range(2435))
    folder = _write(tmp_path / "d", records, "", headers)
    with pytest.raises(InputError, match="holds 2435 notes, more than the 2434"):
        load_corpus("physionet-deid", folder)
    assert load_corpus("physionet", folder).data_use.restricted


def test_scoring_and_leaks_on_the_real_notes(physionet) -> None:
    from phibench.text.document import Span
    from phibench.text.leaks import leak_report
    from phibench.text.scoring import evaluate

    # a "system" that finds every gold span except the 40 phone numbers
    predictions = {
        doc.note_id: [
            Span(s.start, s.end, s.label) for s in doc.spans if s.label != "PHONE"
        ]
        for doc in physionet
    }
    result = evaluate(physionet, predictions, n_boot=50, seed=1)
    strict = result["views"]["strict_binary"]
    assert strict["micro"]["recall"] == pytest.approx((1243 - 40) / 1243)
    assert strict["micro"]["precision"] == 1.0
    assert strict["per_category"]["CONTACT"]["recall"] == 0.0
    assert strict["per_category"]["NAME"]["recall"] == 1.0
    leaks = leak_report(physionet, predictions)
    assert leaks["per_category"]["CONTACT"] == {
        "n_gold": 40,
        "untouched": 40,
        "partial": 0,
        "removed": 0,
    }
    assert leaks["total"]["removed"] == 1203
