"""Philter through philter-lite, offline, with spaCy as its part-of-speech tagger.

philter-lite tags every note with `nltk.pos_tag`, whose model ships in no wheel
and would have to be downloaded. Its filters read Penn Treebank tags (the
"POS MATCHER" keeps cardinal numbers, `CD`); spaCy's English pipelines tag with
the same tag set (`Token.tag_`). phibench therefore feeds philter-lite's
tagging step from the installed spaCy pipeline's tagger, on exactly the tokens
philter-lite would have tagged (see docs/decisions/0009).

Philter is a safe-list system: it keeps the words its include filters and
safe lists vouch for and masks every other word. The spans reported here are
those masked words; a span is DATE where a date filter fired and OTHER
elsewhere, so Philter is scored in the binary view.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

from phibench.text.document import Document, Span
from phibench.text.systems.base import require
from phibench.text.systems.labels import PHILTER
from phibench.text.systems.presidio_system import DEFAULT_SPACY_MODEL, check_spacy_model
from phibench.text.taxonomy import UNTYPED

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z0-9]+")
_TAGGING = threading.Lock()


class NoteTimeout(Exception):
    """philter-lite exceeded the per-note time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread only; else no limit).

    Some philter-lite regexes backtrack catastrophically on some notes (one
    PhysioNet note ran for over ten minutes); the regex engine checks for
    signals, so an alarm interrupts it.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise NoteTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class PhilterSystem:
    """philter-lite's shipped configuration; POS tags from a spaCy pipeline."""

    name = "philter"

    def __init__(
        self, *, spacy_model: str = DEFAULT_SPACY_MODEL, note_time_limit_s: float = 20
    ) -> None:
        self.spacy_model = spacy_model.replace("-", "_")
        self.note_time_limit_s = note_time_limit_s
        self.n_timeouts = 0
        self._filters: list[Any] | None = None
        self._nlp: Any = None

    def fit(self, documents: Sequence[Document]) -> None:
        """Philter is not trained by phibench."""

    def settings(self) -> dict[str, Any]:
        return {
            "config": "philter_delta.toml",
            "pos_tagger": self.spacy_model,
            "note_time_limit_s": self.note_time_limit_s,
            "n_timeouts": self.n_timeouts,
        }

    def predict(self, text: str) -> list[Span]:
        if not text.strip():
            return []
        philter = require("philter_lite", "philter")
        filters = self._load()
        try:
            with time_limit(self.note_time_limit_s), self._spacy_tagging():
                include_map, _, tracker = philter.detect_phi(text, patterns=filters)
        except NoteTimeout:
            # Scored as "nothing found": the note's PHI counts as leaked, the
            # conservative reading of a tool that did not finish.
            self.n_timeouts += 1
            logger.warning(
                "philter-lite did not finish a note of %d characters within %g s "
                "(regex backtracking); scored as no detections (%d so far)",
                len(text),
                self.note_time_limit_s,
                self.n_timeouts,
            )
            return []
        typed = [
            (p.start, p.stop, PHILTER.get(p.phi_type, UNTYPED)) for p in tracker.phi
        ]
        kept = _kept_characters(include_map, len(text))
        spans = []
        for word in _WORD.finditer(text):
            start, end = word.span()
            if all(kept[start:end]):
                continue
            spans.append(Span(start, end, _label_at(typed, start, end)))
        return _join_punctuated(text, spans)

    def _load(self) -> list[Any]:
        if self._filters is None:
            philter = require("philter_lite", "philter")
            config = resources.files("philter_lite") / "configs" / "philter_delta.toml"
            self._filters = philter.load_filters(str(config))
            check_spacy_model(self.spacy_model)
            spacy = require("spacy", "philter")
            self._nlp = spacy.load(
                self.spacy_model, exclude=["parser", "ner", "lemmatizer"]
            )
            logger.info(
                "philter-lite: %d filters, POS tags from spaCy %s",
                len(self._filters),
                self.spacy_model,
            )
        return self._filters

    @contextmanager
    def _spacy_tagging(self) -> Iterator[None]:
        """Route philter-lite's POS step to spaCy while this system runs."""
        module = require("philter_lite.philter", "philter")
        with _TAGGING:
            original = module._get_pos
            module._get_pos = self._pos_tags
            try:
                yield
            finally:
                module._get_pos = original

    def _pos_tags(self, text: str) -> list[tuple[str, str]]:
        module = require("philter_lite.philter", "philter")
        tokens = module._get_clean(text)
        spacy_tokens = require("spacy.tokens", "philter")
        doc = spacy_tokens.Doc(
            self._nlp.vocab, words=tokens, spaces=[False] * len(tokens)
        )
        for _, component in self._nlp.pipeline:
            doc = component(doc)
        return [(token.text, token.tag_) for token in doc]


def _kept_characters(include_map: Any, n_characters: int) -> bytearray:
    """1 for each character inside philter's include map (text it keeps)."""
    kept = bytearray(n_characters)
    for start, stop in include_map.filecoords():
        kept[start:stop] = b"\x01" * (min(stop, n_characters) - start)
    return kept


def _label_at(typed: list[tuple[int, int, str]], start: int, end: int) -> str:
    for phi_start, phi_end, label in typed:
        if phi_start < end and start < phi_end:
            return label
    return UNTYPED


def _join_punctuated(text: str, spans: list[Span]) -> list[Span]:
    """Join masked words split only by punctuation (`3/4/2020`, `555-201-7788`).

    philter-lite masks word by word and keeps punctuation; one identifier is
    one span for the strict view.
    """
    joined: list[Span] = []
    for span in spans:
        if joined:
            last = joined[-1]
            gap = text[last.end : span.start]
            if last.label == span.label and 0 < len(gap) <= 2 and _is_glue(gap):
                joined[-1] = Span(last.start, span.end, span.label)
                continue
        joined.append(span)
    return joined


def _is_glue(gap: str) -> bool:
    return all(char in "/-.:" for char in gap)
