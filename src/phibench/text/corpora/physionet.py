"""The PhysioNet deid 1.1 format: `id.text` plus `id-phi.phrase` (and `id.deid`).

`id.text` holds records `START_OF_RECORD=<patient>||||<note>||||`, a newline,
the note body, then `||||END_OF_RECORD`. Gold offsets are 0-based character
offsets into the body (the text after the header's newline), end exclusive.
`id-phi.phrase` has one line per span: `<patient> <note> <start> <end> <TYPE>
<surface>` with single spaces; the surface may itself hold or begin with spaces,
so a line is split on single spaces at most five times.

A record with no header in `id.deid` was never annotated (unlike an annotated
record with no PHI): it is left out and listed in `Corpus.excluded_note_ids`,
because scoring a system on it would count its real PHI finds as errors.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path

from phibench.errors import DataLayoutError
from phibench.text.corpora._files import gold_span, read_text
from phibench.text.document import Document, GoldSpan

log = logging.getLogger(__name__)

FILES = ("id.text", "id-phi.phrase", "id.deid")
EXPECTED = "id.text, id-phi.phrase and id.deid (the PhysioNet deid 1.1 format)"

_RECORD = re.compile(
    r"START_OF_RECORD=(?P<patient>[^|\n]+)\|\|\|\|(?P<note>[^|\n]+)\|\|\|\|\r?\n"
    r"(?P<body>.*?)\|\|\|\|END_OF_RECORD",
    re.DOTALL,
)
_DEID_HEADER = re.compile(r"^Patient\s+(\S+)\s+Note\s+(\S+)\s*$", re.MULTILINE)


def note_id(patient: str, note: str) -> str:
    """Unique over the corpus: note numbers restart for each patient."""
    return f"{patient}_{note}"


def read_physionet(folder: Path) -> tuple[list[Document], tuple[str, ...]]:
    """Annotated documents in file order, and the ids of never-annotated ones."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise DataLayoutError(
            f"--data-dir {folder}: lacks {', '.join(missing)}; the folder must hold "
            f"{EXPECTED}"
        )
    bodies = _records(folder / "id.text")
    annotated = _annotated(folder / "id.deid")
    spans = _spans(folder / "id-phi.phrase")
    unknown = sorted(set(spans) - set(bodies))
    if unknown:
        raise DataLayoutError(
            f"{folder / 'id-phi.phrase'}: spans for note {unknown[0]} which is not in "
            f"id.text ({len(unknown)} such notes); the files are from different "
            "releases"
        )
    documents, excluded = [], []
    for key, (patient, body) in bodies.items():
        if key not in annotated:
            excluded.append(key)
            continue
        documents.append(Document(key, patient, body, tuple(spans.get(key, ()))))
    log.info(
        "PhysioNet deid: %d notes, %d left out as never annotated",
        len(documents),
        len(excluded),
    )
    return documents, tuple(excluded)


def _records(path: Path) -> dict[str, tuple[str, str]]:
    text = read_text(path)
    records: dict[str, tuple[str, str]] = {}
    for match in _RECORD.finditer(text):
        key = note_id(match["patient"], match["note"])
        if key in records:
            raise DataLayoutError(f"{path}: note {key} appears twice; fix the file")
        records[key] = (match["patient"], match["body"])
    if not records:
        raise DataLayoutError(
            f"{path}: no START_OF_RECORD=...||||END_OF_RECORD records; the folder "
            f"must hold {EXPECTED}"
        )
    return records


def _annotated(path: Path) -> set[str]:
    return {note_id(p, n) for p, n in _DEID_HEADER.findall(read_text(path))}


def _spans(path: Path) -> dict[str, list[GoldSpan]]:
    spans: dict[str, list[GoldSpan]] = defaultdict(list)
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(" ", 5)
        if len(fields) < 6:
            raise DataLayoutError(
                f"{path} line {number}: expected '<patient> <note> <start> <end> "
                f"<TYPE> <surface>', found {len(fields)} fields"
            )
        patient, note, start, end, label, surface = fields
        key = note_id(patient, note)
        where = f"{path.name} line {number} (note {key})"
        if not (start.isdigit() and end.isdigit()):
            raise DataLayoutError(
                f"{where}: offsets {start!r} {end!r} are not integers; fix the line"
            )
        spans[key].append(gold_span(where, int(start), int(end), label, surface))
    return spans
