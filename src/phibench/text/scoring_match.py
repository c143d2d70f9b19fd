"""Counting matches between gold and predicted spans in one document.

Pure functions, no I/O. A count is four numbers per type key:
`[tp_gold, n_gold, tp_predicted, n_predicted]`: recall is tp_gold / n_gold and
precision tp_predicted / n_predicted. Strict matching gives tp_gold ==
tp_predicted; overlap matching need not (one long prediction can cover two gold
spans), which is why both are kept.

Levels:
- `strict`: same start and end;
- `relaxed`: the spans share at least one character;
- `token`: each token (a run of letters and digits, or any other single
  non-space character) is PHI if any span covers one of its characters.
A `key` function maps a label to the type key a match must agree on
("PHI" for everything in the binary view, the category, or the subtype).
Spans are de-duplicated on (start, end, label) first.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from phibench.text.document import Span

Count = list[int]  # [tp_gold, n_gold, tp_predicted, n_predicted]
Counts = dict[str, Count]
KeyFn = Callable[[str], str]

LEVELS = ("strict", "relaxed", "token")
_TOKEN = re.compile(r"[^\W_]+|\S")


@functools.lru_cache(maxsize=8)
def tokens(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Starts and ends of the text's tokens (cached: every view re-reads a note)."""
    spans = [match.span() for match in _TOKEN.finditer(text)]
    return tuple(a for a, _ in spans), tuple(b for _, b in spans)


def count(
    level: str,
    text: str,
    gold: Iterable[Span],
    predicted: Iterable[Span],
    key: KeyFn,
) -> Counts:
    """Per type key, the four counts of one document at one level."""
    gold_set = sorted({(s.start, s.end, key(s.label)) for s in gold})
    pred_set = sorted({(s.start, s.end, key(s.label)) for s in predicted})
    if level == "token":
        return _count_tokens(text, gold_set, pred_set)
    same = _same if level == "strict" else _overlap
    counts: Counts = defaultdict(lambda: [0, 0, 0, 0])
    for span in gold_set:
        counts[span[2]][1] += 1
        counts[span[2]][0] += any(same(span, p) for p in _near(span, pred_set))
    for span in pred_set:
        counts[span[2]][3] += 1
        counts[span[2]][2] += any(same(span, g) for g in _near(span, gold_set))
    return dict(counts)


def recall_by(
    level: str,
    text: str,
    gold: Sequence[Span],
    predicted: Iterable[Span],
    group: KeyFn,
) -> Counts:
    """Binary recall of gold spans grouped by `group(gold label)`.

    A gold span counts as found when any prediction matches it at this level,
    whatever the prediction's label. Only the gold half of each count is filled.
    """
    counts: Counts = defaultdict(lambda: [0, 0, 0, 0])
    for label in {group(s.label) for s in gold}:
        subset = [s for s in gold if group(s.label) == label]
        found = count(level, text, subset, predicted, lambda _: "PHI").get("PHI")
        if found:
            counts[label][0] += found[0]
            counts[label][1] += found[1]
    return dict(counts)


def _same(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a == b


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def _near(span: tuple[int, int, str], others: list[tuple[int, int, str]]):
    """Candidates that could match `span` (all of them: documents are short)."""
    return (o for o in others if o[0] < span[1] and span[0] < o[1])


def _count_tokens(
    text: str,
    gold: list[tuple[int, int, str]],
    predicted: list[tuple[int, int, str]],
) -> Counts:
    starts, ends = tokens(text)
    gold_keys = _keys_by_token(starts, ends, gold)
    pred_keys = _keys_by_token(starts, ends, predicted)
    counts: Counts = defaultdict(lambda: [0, 0, 0, 0])
    for index in gold_keys.keys() | pred_keys.keys():
        in_gold, in_pred = gold_keys.get(index, set()), pred_keys.get(index, set())
        for k in in_gold:
            counts[k][1] += 1
            counts[k][0] += k in in_pred
        for k in in_pred:
            counts[k][3] += 1
            counts[k][2] += k in in_gold
    return dict(counts)


def _keys_by_token(
    starts: tuple[int, ...], ends: tuple[int, ...], spans: list[tuple[int, int, str]]
) -> dict[int, set[str]]:
    """Token index -> keys of the spans covering at least one of its characters."""
    keys: dict[int, set[str]] = defaultdict(set)
    for a, b, k in spans:
        for index in range(bisect.bisect_right(ends, a), bisect.bisect_left(starts, b)):
            keys[index].add(k)
    return keys
