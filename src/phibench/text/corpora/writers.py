"""Writing a corpus back in each format `load_corpus` reads.

Used for de-identified (surrogate) corpora, so the output has the input's
format. Each writer fills an existing empty folder; `surrogates.write_corpus`
stages the folder and renames it into place. Offsets are written as stored,
files as UTF-8 bytes with no newline translation.

Format limits, handled on purpose:
- BRAT and PhysioNet lines cannot hold a line break: a span across lines is
  written as one fragment per line (BRAT: one discontinuous span; PhysioNet:
  one span per fragment), which the readers turn back into the same fragments.
- PhysioNet note ids are `<patient>_<note>`; another id gets the note's number
  within its patient.
- i2b2 XML keeps the text in CDATA, which cannot contain "]]>".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from phibench.errors import InputError
from phibench.text.document import Corpus, Document, GoldSpan
from phibench.text.taxonomy import category

_ONE_LINE = re.compile(r"[^\r\n]+")
_END = "||||END_OF_RECORD"


def write_brat(folder: Path, corpus: Corpus) -> list[Path]:
    """`<note_id>.txt` and `<note_id>.ann` per note."""
    written = []
    for doc in corpus:
        txt = _note_path(folder, doc.note_id, ".txt")
        txt.write_bytes(doc.text.encode("utf-8"))
        lines = [_ann_line(i, span) for i, span in enumerate(doc.spans, start=1)]
        ann = txt.with_suffix(".ann")
        ann.write_bytes("".join(line for line in lines if line).encode("utf-8"))
        written += [txt, ann]
    return written


def write_i2b2_xml(folder: Path, corpus: Corpus) -> list[Path]:
    """`<note_id>.xml` per note, tags named by category with the subtype as TYPE."""
    written = []
    for doc in corpus:
        if "]]>" in doc.text:
            raise InputError(
                f"note {doc.note_id}: its text holds ']]>', which i2b2 "
                "XML cannot store; write it as BRAT instead"
            )
        tags = "".join(
            ET.tostring(_tag(i, span), encoding="unicode") + "\n"
            for i, span in enumerate(doc.spans)
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<deIdi2b2>\n'
            f"<TEXT><![CDATA[{doc.text}]]></TEXT>\n<TAGS>\n{tags}</TAGS>\n</deIdi2b2>\n"
        )
        path = _note_path(folder, doc.note_id, ".xml")
        path.write_bytes(xml.encode("utf-8"))
        written.append(path)
    return written


def write_physionet(folder: Path, corpus: Corpus) -> list[Path]:
    """`id.text`, `id-phi.phrase` and `id.deid` for the whole corpus."""
    records, phrases, deid = [], [], []
    numbers: dict[str, int] = defaultdict(int)
    for doc in corpus:
        note = _note_number(doc, numbers)
        if _END in doc.text or "|" in doc.patient_id:
            raise InputError(
                f"note {doc.note_id}: cannot be written in the "
                "PhysioNet format (it holds '||||'); write it as BRAT"
            )
        records.append(
            f"START_OF_RECORD={doc.patient_id}||||{note}||||\n{doc.text}{_END}\n"
        )
        deid.append(f"Patient {doc.patient_id}  Note {note}\n")
        for span in doc.spans:
            for start, end in _fragments(span):
                phrases.append(
                    f"{doc.patient_id} {note} {start} {end} {span.label} "
                    f"{doc.text[start:end]}\n"
                )
                deid.append(f"{start}  {start}  {end}\n")
    files = {"id.text": records, "id-phi.phrase": phrases, "id.deid": deid}
    for name, lines in files.items():
        (folder / name).write_bytes("".join(lines).encode("utf-8"))
    return [folder / name for name in files]


WRITERS = {"brat": write_brat, "i2b2-xml": write_i2b2_xml, "physionet": write_physionet}


def _note_path(folder: Path, note_id: str, suffix: str) -> Path:
    relative = Path(note_id)
    if relative.is_absolute() or ".." in relative.parts or not relative.name:
        raise InputError(f"note id {note_id!r} is not a safe file name")
    path = folder / relative.with_name(relative.name + suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _fragments(span: GoldSpan) -> list[tuple[int, int]]:
    """(start, end) of each line of the span."""
    return [
        (span.start + a, span.start + b)
        for a, b in (m.span() for m in _ONE_LINE.finditer(span.surface))
    ]


def _ann_line(index: int, span: GoldSpan) -> str:
    """A BRAT T line; a span across line breaks becomes a discontinuous one."""
    parts = _fragments(span)
    if not parts:
        return ""
    offsets = ";".join(f"{a} {b}" for a, b in parts)
    surface = " ".join(span.surface[a - span.start : b - span.start] for a, b in parts)
    return f"T{index}\t{span.label} {offsets}\t{surface}\n"


def _tag(index: int, span: GoldSpan) -> ET.Element:
    attributes = {
        "id": f"P{index}",
        "start": str(span.start),
        "end": str(span.end),
        "text": span.surface,
        "TYPE": span.label,
        "comment": "",
    }
    return ET.Element(category(span.label), attributes)


def _note_number(doc: Document, numbers: dict[str, int]) -> str:
    numbers[doc.patient_id] += 1
    prefix = f"{doc.patient_id}_"
    rest = doc.note_id.removeprefix(prefix)
    if doc.note_id.startswith(prefix) and rest and re.fullmatch(r"[^\s|]+", rest):
        return rest
    return str(numbers[doc.patient_id])
