"""One document model for every clinical-text corpus.

A document is a note's text exactly as stored plus its gold PHI spans as
character offsets into that text. Every span is checked when the document is
built: `text[start:end]` must equal the span's recorded surface, so an off-by-one
in a loader fails at load time instead of skewing every score.

Error messages name the note and the offsets, never the PHI text itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from phibench.errors import DataLayoutError
from phibench.tracking.guard import DataUseTerms


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A typed character span: `start` inclusive, `end` exclusive.

    `label` is an i2b2-2014 subtype from `phibench.text.taxonomy` (e.g. "PATIENT",
    "DATE") once a corpus or a system's labels are mapped onto the taxonomy.
    """

    start: int
    end: int
    label: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"span {self.start}-{self.end}: need 0 <= start < end")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class GoldSpan(Span):
    """A gold PHI span with the surface text the corpus recorded for it."""

    surface: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Document:
    """A note: id, patient, text as stored, gold PHI spans sorted by offset."""

    note_id: str
    patient_id: str
    text: str
    spans: tuple[GoldSpan, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.spans))
        object.__setattr__(self, "spans", ordered)
        for span in ordered:
            _check_span(self.note_id, self.text, span)


def _check_span(note_id: str, text: str, span: GoldSpan) -> None:
    where = f"note {note_id}: gold {span.label} span {span.start}-{span.end}"
    if span.end > len(text):
        raise DataLayoutError(
            f"{where} ends beyond the note ({len(text)} characters); the corpus "
            "offsets do not match its text: check the file pairs and the offset "
            "convention of the format"
        )
    if text[span.start : span.end] != span.surface:
        raise DataLayoutError(
            f"{where}: the text at those offsets is not the recorded surface "
            f"({len(span.surface)} characters recorded); the corpus offsets do not "
            "match its text: check the file pairs and the offset convention"
        )


@dataclass(frozen=True)
class Corpus:
    """Documents of one corpus, with where they came from and its data-use terms.

    `data_use` defaults to unknown terms, which the guard treats as restricted:
    a corpus whose terms nobody looked up never reaches MLflow as text.
    `excluded_note_ids` lists notes the loader left out on purpose (e.g. notes
    the corpus never annotated), so a count can be checked against the source.
    """

    name: str
    language: str  # ISO 639-1, e.g. "en", "es"
    documents: tuple[Document, ...]
    data_use: DataUseTerms = field(default_factory=lambda: DataUseTerms("unknown"))
    source: str = ""
    excluded_note_ids: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def n_spans(self) -> int:
        return sum(len(doc.spans) for doc in self.documents)

    def subset(self, note_ids: Iterable[str], name: str | None = None) -> Corpus:
        wanted = set(note_ids)
        return replace(
            self,
            name=name or self.name,
            documents=tuple(d for d in self.documents if d.note_id in wanted),
        )

    @property
    def patient_ids(self) -> tuple[str, ...]:
        return tuple(sorted({doc.patient_id for doc in self.documents}))


def normalise_newlines(document: Document) -> Document:
    """The document with CRLF and lone CR turned into LF, gold spans re-based.

    For a system that cannot take carriage returns: run it on the normalised
    document and score it against the normalised gold, so both sides use the
    same text. Offsets are never shifted on one side only.
    """
    if "\r" not in document.text:
        return document
    new_offset = _lf_offsets(document.text)
    text = document.text.replace("\r\n", "\n").replace("\r", "\n")
    spans = []
    for span in document.spans:
        start = new_offset[span.start]
        end = new_offset[span.end]
        if document.text[span.end - 1] == "\r" and new_offset[span.end - 1] == end:
            end += 1  # the span ends between "\r" and "\n": keep its line break
        if end > start:
            spans.append(GoldSpan(start, end, span.label, text[start:end]))
    return replace(document, text=text, spans=tuple(spans))


def _lf_offsets(text: str) -> list[int]:
    """Offset in the LF text of every offset 0..len(text) of the original."""
    offsets = []
    shift = 0
    for index, char in enumerate(text):
        offsets.append(index - shift)
        if char == "\r" and text[index + 1 : index + 2] == "\n":
            shift += 1
    offsets.append(len(text) - shift)
    return offsets
