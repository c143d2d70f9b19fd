"""BRAT standoff: `<name>.txt` with `<name>.ann` beside it.

Only text-bound annotations (`T` lines: `T<n>\\t<TYPE> <start> <end>\\t<surface>`)
are gold PHI; relations, events, attributes and notes are ignored. Offsets are
characters of the `.txt` file as stored.

Discontinuous spans (`<TYPE> 10 15;20 25`) become one gold span per fragment,
each with the same type: a de-identification system must remove every
fragment, and scoring fragments separately keeps the span model flat. The
recorded surface of a discontinuous span is its fragments joined by spaces,
which is checked before splitting.
"""

from __future__ import annotations

from pathlib import Path

from phibench.errors import DataLayoutError
from phibench.text.corpora._files import gold_span, read_text, require_files
from phibench.text.document import Document, GoldSpan

EXPECTED = "BRAT pairs <name>.txt + <name>.ann"


def read_brat(folder: Path) -> list[Document]:
    """Every .ann file under `folder` with its .txt; note id = relative path."""
    documents = []
    for ann in require_files(folder, "*.ann", EXPECTED):
        txt = ann.with_suffix(".txt")
        if not txt.is_file():
            raise DataLayoutError(
                f"{ann}: no {txt.name} beside it; BRAT needs {EXPECTED}"
            )
        key = ann.relative_to(folder).with_suffix("").as_posix()
        text = read_text(txt)
        spans = _spans(ann, key, text)
        # One case report per patient: no patient id in BRAT, so the note is its own.
        documents.append(Document(key, key, text, tuple(spans)))
    return documents


def _spans(ann: Path, key: str, text: str) -> list[GoldSpan]:
    spans: list[GoldSpan] = []
    for number, line in enumerate(read_text(ann).splitlines(), start=1):
        if not line.startswith("T"):
            continue
        where = f"{ann.name} line {number} (note {key})"
        fields = line.split("\t")
        if len(fields) < 3:
            raise DataLayoutError(
                f"{where}: expected 'T<n><TAB><TYPE> <start> <end><TAB><surface>'"
            )
        label, _, offsets = fields[1].partition(" ")
        fragments = _fragments(where, offsets)
        surface = "\t".join(fields[2:])
        if len(fragments) > 1:
            joined = " ".join(text[a:b] for a, b in fragments)
            if joined != surface:
                raise DataLayoutError(
                    f"{where}: discontinuous span {offsets}: the text at those "
                    "offsets is not the recorded surface; check the file pair"
                )
            spans += [gold_span(where, a, b, label, text[a:b]) for a, b in fragments]
        else:
            (a, b) = fragments[0]
            spans.append(gold_span(where, a, b, label, surface))
    return spans


def _fragments(where: str, offsets: str) -> list[tuple[int, int]]:
    fragments = []
    for piece in offsets.split(";"):
        bounds = piece.split()
        if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
            raise DataLayoutError(
                f"{where}: offsets {offsets!r} are not '<start> <end>[;<start> <end>]'"
            )
        fragments.append((int(bounds[0]), int(bounds[1])))
    return fragments
