"""What PHI survives de-identification: per category, counts only.

A gold span is `removed` when predictions (of any label) cover every one of its
non-space characters, `partial` when they cover some, and `untouched` when they
cover none. Spaces are ignored so that the gold spans that start or end on
whitespace (five in the PhysioNet corpus) are judged on their content.

`leak_report` holds counts only and may go to MLflow. `write_leak_file` writes
the surviving text itself to a local file for the user to inspect
(`--show-leaks`); it never goes to a log or MLflow.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from phibench.text.document import Corpus, Document, GoldSpan, Span
from phibench.text.taxonomy import category, is_safe_harbor

STATUSES = ("untouched", "partial", "removed")


def leak_report(corpus: Corpus, predictions: Mapping[str, Sequence[Span]]) -> dict:
    """Counts of gold spans per status: per category, in total, Safe Harbor only."""
    per_category: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    safe_harbor: Counter = Counter()
    for _doc, span, status, _ in _judged(corpus, predictions):
        for counter in (per_category[category(span.label)], total):
            counter[status] += 1
            counter["n_gold"] += 1
        if is_safe_harbor(span.label, span.surface):
            safe_harbor[status] += 1
            safe_harbor["n_gold"] += 1
    return {
        "per_category": {k: _row(v) for k, v in sorted(per_category.items())},
        "total": _row(total),
        "safe_harbor": _row(safe_harbor),
    }


def write_leak_file(
    path: Path, corpus: Corpus, predictions: Mapping[str, Sequence[Span]]
) -> int:
    """Write each gold span that is not fully removed, with its surviving text.

    A local tab-separated file: note id, start, end, label, status, the gold
    surface and the characters no prediction covered (tabs and newlines
    escaped). Written to a temporary name and renamed, so it is whole or
    absent. Returns the number of spans written.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    n_written = 0
    with partial.open("w", encoding="utf-8", newline="\n") as out:
        out.write("note_id\tstart\tend\tlabel\tstatus\tsurface\tsurviving\n")
        for doc, span, status, surviving in _judged(corpus, predictions):
            if status == "removed":
                continue
            fields = [doc.note_id, span.start, span.end, span.label, status]
            fields += [_escape(span.surface), _escape(surviving)]
            out.write("\t".join(str(f) for f in fields) + "\n")
            n_written += 1
    os.replace(partial, path)
    return n_written


def span_status(text: str, span: Span, covered: Sequence[Span]) -> tuple[str, str]:
    """(status, surviving characters with gaps as "…") of one gold span."""
    mask = [False] * (span.end - span.start)
    for other in covered:
        for i in range(max(other.start, span.start), min(other.end, span.end)):
            mask[i - span.start] = True
    content = [i for i in range(len(mask)) if not text[span.start + i].isspace()]
    hidden = sum(mask[i] for i in content)
    if content and hidden == len(content):
        return "removed", ""
    surviving = "".join(
        text[span.start + i] if not mask[i] else "…" for i in range(len(mask))
    )
    return ("partial" if hidden else "untouched"), surviving


def _judged(
    corpus: Corpus, predictions: Mapping[str, Sequence[Span]]
) -> Iterator[tuple[Document, GoldSpan, str, str]]:
    for doc in corpus:
        predicted = predictions.get(doc.note_id, ())
        for span in doc.spans:
            near = [p for p in predicted if p.overlaps(span)]
            status, surviving = span_status(doc.text, span, near)
            yield doc, span, status, surviving


def _row(counter: Counter) -> dict:
    return {"n_gold": counter["n_gold"], **{s: counter[s] for s in STATUSES}}


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
