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
import itertools
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
    counts: Counts = defaultdict(lambda: [0, 0, 0, 0])
    for k in {span[2] for span in gold_set} | {span[2] for span in pred_set}:
        gold_k = [(a, b) for a, b, g in gold_set if g == k]
        pred_k = [(a, b) for a, b, p in pred_set if p == k]
        if level == "strict":
            both = len(set(gold_k) & set(pred_k))
            counts[k] = [both, len(gold_k), both, len(pred_k)]
        else:
            found = sum(_overlap_flags(gold_k, pred_k))
            right = sum(_overlap_flags(pred_k, gold_k))
            counts[k] = [found, len(gold_k), right, len(pred_k)]
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
    if level == "token":
        counts: Counts = defaultdict(lambda: [0, 0, 0, 0])
        for label in {group(s.label) for s in gold}:
            subset = [s for s in gold if group(s.label) == label]
            found = count(level, text, subset, predicted, lambda _: "PHI")
            if "PHI" in found:  # a span over spaces only holds no token
                counts[label][:2] = found["PHI"][:2]
        return dict(counts)
    unique = sorted({(s.start, s.end, group(s.label)) for s in gold})
    targets = sorted({(s.start, s.end) for s in predicted})
    queries = [(a, b) for a, b, _ in unique]
    if level == "strict":
        wanted = set(targets)
        flags = [query in wanted for query in queries]
    else:
        flags = _overlap_flags(queries, targets)
    counts = defaultdict(lambda: [0, 0, 0, 0])
    for (_, _, label), flag in zip(unique, flags, strict=True):
        counts[label][0] += flag
        counts[label][1] += 1
    return dict(counts)


def _overlap_flags(
    queries: Sequence[tuple[int, int]], targets: Sequence[tuple[int, int]]
) -> list[bool]:
    """For each query span, whether any target span shares a character with it.

    Targets sorted by start: those starting before the query ends are a prefix,
    and one of them overlaps iff the largest end in that prefix passes the
    query's start.
    """
    ordered = sorted(targets)
    starts = [a for a, _ in ordered]
    reach = list(itertools.accumulate((b for _, b in ordered), max))
    flags = []
    for a, b in queries:
        index = bisect.bisect_left(starts, b)
        flags.append(index > 0 and reach[index - 1] > a)
    return flags


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
