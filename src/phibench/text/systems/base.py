"""The system interface and the factory that builds a system by name."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from phibench.errors import InputError
from phibench.text.document import Document, Span

#: Names `make_system` accepts; `hf:PATH` takes a local model folder.
SYSTEM_NAMES = ("rules", "presidio", "philter", "crf", "hf:PATH")

#: Systems that run with nothing but the `text` extra (the run's default).
OFFLINE_SYSTEMS = ("rules", "presidio", "philter", "crf")

EXTRA_HINT = "needs the 'text' extra: run `uv sync --extra text`"


@runtime_checkable
class DeidSystem(Protocol):
    """A de-identification system: typed PHI spans from a note's text."""

    name: str

    def fit(self, documents: Sequence[Document]) -> None:
        """Train or tune on gold-annotated notes (no-op for fixed systems)."""

    def predict(self, text: str) -> list[Span]:
        """PHI spans of `text`, labels in the phibench taxonomy."""


def require(module: str, system: str) -> Any:
    """Import a library of the `text` extra, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"system {system!r} {EXTRA_HINT} (module {module} is missing)"
        ) from None


def make_system(name: str, **settings: Any) -> DeidSystem:
    """Build the system called `name` with its settings (keyword-only)."""
    if name == "rules":
        from phibench.text.systems.rules import RuleSystem

        return RuleSystem(**settings)
    if name == "presidio":
        from phibench.text.systems.presidio_system import PresidioSystem

        return PresidioSystem(**settings)
    if name == "philter":
        from phibench.text.systems.philter_system import PhilterSystem

        return PhilterSystem(**settings)
    if name == "crf":
        from phibench.text.systems.crf import CrfSystem

        return CrfSystem(**settings)
    if name.startswith("hf:"):
        from phibench.text.systems.hf import HuggingFaceSystem

        return HuggingFaceSystem(Path(name[3:]), **settings)
    raise InputError(
        f"--systems: unknown system {name!r}; choose from "
        f"{', '.join(SYSTEM_NAMES)} (hf:PATH = a local Hugging Face model folder)"
    )


def parse_system_names(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validate a comma-separated system list; None gives the offline default."""
    if text is None:
        return OFFLINE_SYSTEMS
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise InputError(
            "--systems is empty; give comma-separated names, e.g. rules,presidio"
        )
    for name in names:
        if name not in OFFLINE_SYSTEMS and not name.startswith("hf:"):
            raise InputError(
                f"--systems: unknown system {name!r}; choose from "
                f"{', '.join(SYSTEM_NAMES)}"
            )
        if name == "hf:":
            raise InputError(
                "--systems hf: needs a model folder after the colon, e.g. "
                "hf:models/deid-roberta"
            )
    if len(set(names)) != len(names):
        raise InputError(f"--systems {text!r}: a system is named twice")
    return tuple(names)


def clip_spans(text: str, spans: Iterable[Span]) -> list[Span]:
    """Spans with surrounding whitespace trimmed; empty ones dropped; sorted.

    Systems differ in whether they include a trailing space or newline; trimming
    makes the strict view compare the PHI itself.
    """
    out = set()
    for span in spans:
        start, end = span.start, min(span.end, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.add(Span(start, end, span.label))
    return sorted(out)


def resolve_overlaps(text: str, ranked: Iterable[tuple[Span, float]]) -> list[Span]:
    """Keep a non-overlapping set: longest first, then detector priority.

    Overlapping spans of different lengths come from nested detectors (a date
    inside an address, a name inside a hospital); the longer one carries the
    more specific context. Spans are trimmed of surrounding whitespace first.
    """
    trimmed = []
    for span, rank in ranked:
        for clipped in clip_spans(text, [span]):
            trimmed.append((clipped, rank))
    trimmed.sort(key=lambda item: (-len(item[0]), item[1], item[0].start))
    kept: list[Span] = []
    for span, _ in trimmed:
        if not any(span.overlaps(other) for other in kept):
            kept.append(span)
    return sorted(kept)
