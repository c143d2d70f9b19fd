"""Reading corpus files exactly as stored, and mapping their labels.

Offsets in every supported format count characters of the file as stored, so
text is decoded from bytes without newline translation: a CRLF stays two
characters and no offset shifts.
"""

from __future__ import annotations

from pathlib import Path

from phibench.errors import DataLayoutError
from phibench.text.document import GoldSpan
from phibench.text.taxonomy import map_label


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 with its newlines untouched."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataLayoutError(
            f"{path}: not UTF-8 (byte {error.start}); re-encode the file as UTF-8"
        ) from None


def gold_span(where: str, start: int, end: int, label: str, surface: str) -> GoldSpan:
    """A gold span with its corpus label mapped onto the taxonomy."""
    subtype = map_label(label, surface)
    if subtype is None:
        raise DataLayoutError(
            f"{where}: PHI label {label!r} has no map onto the i2b2-2014 taxonomy; "
            "add it to phibench.text.taxonomy.CORPUS_LABELS (docs/text/taxonomy.md)"
        )
    if not 0 <= start < end:
        raise DataLayoutError(
            f"{where}: {label} span {start}-{end} is empty or reversed; fix the "
            "annotation file"
        )
    return GoldSpan(start, end, subtype, surface)


def require_files(folder: Path, pattern: str, expected: str) -> list[Path]:
    """Files under `folder` matching `pattern`, or one line naming what is expected."""
    if not folder.is_dir():
        raise DataLayoutError(
            f"--data-dir {folder}: no such folder; it must hold {expected}"
        )
    files = sorted(folder.rglob(pattern))
    if not files:
        raise DataLayoutError(
            f"--data-dir {folder}: no {pattern} files found; the folder must hold "
            f"{expected}"
        )
    return files
