"""Replace predicted PHI with surrogates and write the de-identified corpus.

`surrogate_corpus` turns each document into a new one whose text has every
predicted span replaced (`surrogate_values.PatientSurrogates`: consistent
within a patient, independent across patients, dates shifted by one offset per
patient). Overlapping predictions are merged first, so no character of a
detected span is left behind. The new document's spans are the surrogate
spans, re-based to the new text, with the predicted labels.

`write_corpus` writes it as BRAT (`<note>.txt` + `<note>.ann`, the default),
i2b2 XML or the PhysioNet format, which `load_corpus(<format>, folder)` reads
back.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from phibench.errors import InputError
from phibench.text.document import Corpus, Document, GoldSpan, Span
from phibench.text.surrogate_values import PatientSurrogates
from phibench.text.taxonomy import UNTYPED

log = logging.getLogger(__name__)


def surrogate_corpus(
    corpus: Corpus, predictions: Mapping[str, Sequence[Span]], *, seed: int
) -> Corpus:
    """The corpus with every predicted span replaced by a surrogate.

    The result keeps the input's data-use terms: PHI a system missed is still
    in it, so de-identified text of a restricted corpus stays restricted.
    """
    by_patient: dict[str, PatientSurrogates] = {}
    documents = []
    for doc in corpus:
        if doc.patient_id not in by_patient:
            by_patient[doc.patient_id] = PatientSurrogates(doc.patient_id, seed)
        spans = merge_spans(predictions.get(doc.note_id, ()))
        documents.append(surrogate_document(doc, spans, by_patient[doc.patient_id]))
    log.info(
        "surrogates: %d notes of %d patients, %d spans replaced (seed %d)",
        len(documents),
        len(by_patient),
        sum(len(d.spans) for d in documents),
        seed,
    )
    return replace(
        corpus, name=f"{corpus.name} (surrogates)", documents=tuple(documents)
    )


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Overlapping spans merged; the longer one's label wins unless it is untyped."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            longer, shorter = (last, span) if len(last) >= len(span) else (span, last)
            label = longer.label if longer.label != UNTYPED else shorter.label
            merged[-1] = Span(last.start, max(last.end, span.end), label)
        else:
            merged.append(Span(span.start, span.end, span.label))
    return merged


def surrogate_document(
    doc: Document, spans: Sequence[Span], values: PatientSurrogates
) -> Document:
    """One note with `spans` (sorted, disjoint) replaced by surrogates."""
    pieces: list[str] = []
    new_spans: list[GoldSpan] = []
    position = 0
    length = 0
    for span in spans:
        before = doc.text[position : span.start]
        surrogate = values.value(span.label, doc.text[span.start : span.end])
        pieces += [before, surrogate]
        length += len(before)
        if surrogate:
            new_spans.append(
                GoldSpan(length, length + len(surrogate), span.label, surrogate)
            )
        length += len(surrogate)
        position = span.end
    pieces.append(doc.text[position:])
    return Document(doc.note_id, doc.patient_id, "".join(pieces), tuple(new_spans))


def write_corpus(folder: Path, corpus: Corpus, *, fmt: str = "brat") -> list[Path]:
    """Write the corpus in `fmt` (brat, i2b2-xml, physionet); the folder must be new.

    Written to a hidden folder beside it and renamed into place, so the folder
    is whole or absent. Returns the written files.
    """
    from phibench.text.corpora.writers import WRITERS

    if fmt not in WRITERS:
        raise InputError(f"format {fmt!r}: use one of {', '.join(WRITERS)}")
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise InputError(f"{folder}: exists and is not empty; give a new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent)
    )
    try:
        written = WRITERS[fmt](staging, corpus)
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / path.relative_to(staging) for path in written]
