"""Replace predicted PHI with surrogates and write the de-identified corpus.

`surrogate_corpus` turns each document into a new one whose text has every
predicted span replaced (`surrogate_values.PatientSurrogates`: consistent
within a patient, independent across patients, dates shifted by one offset per
patient). Overlapping predictions are merged first, so no character of a
detected span is left behind. The new document's spans are the surrogate
spans, re-based to the new text, with the predicted labels.

`write_corpus` writes it as BRAT (`<note>.txt` + `<note>.ann`), which
`phibench.text.corpora.load_corpus("brat", folder)` reads back.
"""

from __future__ import annotations

import logging
import re
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

_ONE_LINE = re.compile(r"[^\r\n\t]+")


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


def write_corpus(folder: Path, corpus: Corpus) -> list[Path]:
    """Write `<note_id>.txt` and `<note_id>.ann` per note; the folder must be new.

    Written to a hidden folder beside it and renamed into place, so the folder
    is whole or absent. Returns the written files.
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise InputError(f"{folder}: exists and is not empty; give a new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent)
    )
    try:
        written = [_write_note(staging, doc) for doc in corpus]
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / path.relative_to(staging) for pair in written for path in pair]


def _write_note(folder: Path, doc: Document) -> tuple[Path, Path]:
    relative = Path(doc.note_id)
    if relative.is_absolute() or ".." in relative.parts:
        raise InputError(f"note id {doc.note_id!r} is not a safe file name")
    txt = folder / relative.with_name(relative.name + ".txt")
    ann = txt.with_suffix(".ann")
    txt.parent.mkdir(parents=True, exist_ok=True)
    txt.write_bytes(doc.text.encode("utf-8"))
    lines = [_ann_line(i, span) for i, span in enumerate(doc.spans, start=1)]
    ann.write_bytes("".join(line for line in lines if line).encode("utf-8"))
    return txt, ann


def _ann_line(index: int, span: GoldSpan) -> str:
    """A BRAT T line; a span across line breaks becomes a discontinuous one."""
    parts = [m.span() for m in _ONE_LINE.finditer(span.surface)]
    if not parts:
        return ""
    offsets = ";".join(f"{span.start + a} {span.start + b}" for a, b in parts)
    surface = " ".join(span.surface[a:b] for a, b in parts)
    return f"T{index}\t{span.label} {offsets}\t{surface}\n"
