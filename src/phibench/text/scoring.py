"""Scoring de-identification output against gold PHI: `evaluate`.

Views are named `<level>_<typing>`: level strict | relaxed | token
(`scoring_match`), typing binary (PHI or not) | category (i2b2-2014 category)
| subtype. `hipaa_<level>_binary` and `hipaa_<level>_category` keep only Safe
Harbor identifiers (`taxonomy.is_safe_harbor`, on the gold surface for gold
spans and on the text under the prediction for typed predictions; untyped
predictions stay in the binary view).

Predictions labelled UNTYPED ("OTHER") count in binary views only; in typed
views they are neither right nor wrong. Gold spans labelled UNTYPED (MEDDOCAN's
sex and relatives) likewise.

Each view reports micro precision, recall and F1 with 95% percentile bootstrap
intervals over documents (documents resampled with replacement, `n_boot` times,
seeded), a macro average over type keys, and per-type breakdowns. Macro
recall averages the types with gold spans, macro precision the types with
predictions, macro F1 the types with either. Binary views break recall down by
gold category and subtype (any predicted label counts) and average it over
categories for their macro recall. An undefined ratio (0/0) is None.

The result holds counts and ratios only: no PHI text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from phibench.text.document import Corpus, Span
from phibench.text.scoring_i2b2 import evaluate_i2b2_2014
from phibench.text.scoring_match import LEVELS, Counts, count, recall_by
from phibench.text.taxonomy import SUBTYPES, UNTYPED, category, is_safe_harbor

__all__ = ["check_predictions", "evaluate", "evaluate_i2b2_2014", "ratios"]

TYPINGS = ("binary", "category", "subtype")
_KEYS = {"binary": lambda _: "PHI", "category": category, "subtype": lambda s: s}


def evaluate(
    corpus: Corpus,
    predictions: Mapping[str, Sequence[Span]],
    *,
    n_boot: int = 1000,
    seed: int = 1,
) -> dict:
    """Every view of the predictions against the corpus's gold spans (JSON-able)."""
    check_predictions(corpus, predictions)
    configs = [(level, typing, False) for level in LEVELS for typing in TYPINGS]
    configs += [(level, typing, True) for level in LEVELS for typing in TYPINGS[:2]]
    tallies = {config: _Tally() for config in configs}
    for doc in corpus:  # documents outside, views inside: one tokenisation per note
        for (level, typing, hipaa), tally in tallies.items():
            tally.add(doc, predictions.get(doc.note_id, ()), level, typing, hipaa)
    views = {
        ("hipaa_" if hipaa else "") + f"{level}_{typing}": tally.summary(
            typing, n_boot=n_boot, seed=seed
        )
        for (level, typing, hipaa), tally in tallies.items()
    }
    return {
        "n_documents": len(corpus),
        "n_gold": corpus.n_spans,
        "n_predicted": sum(len(predictions.get(d.note_id, ())) for d in corpus),
        "n_boot": n_boot,
        "seed": seed,
        "views": views,
    }


def check_predictions(
    corpus: Corpus, predictions: Mapping[str, Sequence[Span]]
) -> None:
    """Predictions must be for this corpus's notes, inside the text, in the taxonomy."""
    lengths = {doc.note_id: len(doc.text) for doc in corpus}
    for note_id, spans in predictions.items():
        if note_id not in lengths:
            raise ValueError(f"predictions for note {note_id!r}, not in the corpus")
        for span in spans:
            if span.end > lengths[note_id]:
                raise ValueError(
                    f"note {note_id}: predicted span {span.start}-{span.end} ends "
                    f"beyond the text ({lengths[note_id]} characters)"
                )
            if span.label not in SUBTYPES and span.label != UNTYPED:
                raise ValueError(
                    f"note {note_id}: predicted label {span.label!r} is not an "
                    "i2b2-2014 subtype nor OTHER; map the system's labels first"
                )


def ratios(tp_gold: int, n_gold: int, tp_predicted: int, n_predicted: int) -> dict:
    """Precision, recall, F1 (None when undefined) with the counts behind them."""
    precision = tp_predicted / n_predicted if n_predicted else None
    recall = tp_gold / n_gold if n_gold else None
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "tp_gold": tp_gold,
        "n_gold": n_gold,
        "tp_predicted": tp_predicted,
        "n_predicted": n_predicted,
    }


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return (
        0.0
        if precision + recall == 0
        else 2 * precision * recall / (precision + recall)
    )


def _filtered(doc, spans: Sequence[Span], typing: str, hipaa: bool) -> list[Span]:
    """The spans a view scores: typed views drop UNTYPED; HIPAA keeps Safe Harbor."""
    kept = []
    for span in spans:
        untyped = span.label == UNTYPED
        if untyped and typing != "binary":
            continue
        if hipaa and not untyped:
            surface = doc.text[span.start : span.end]
            if not is_safe_harbor(span.label, surface):
                continue
        kept.append(span)
    return kept


@dataclass
class _Tally:
    """Counts of one view: per document, and per category and subtype."""

    per_doc: list[Counts] = field(default_factory=list)
    by_category: Counts = field(default_factory=lambda: defaultdict(lambda: [0] * 4))
    by_subtype: Counts = field(default_factory=lambda: defaultdict(lambda: [0] * 4))

    def add(self, doc, predicted, level: str, typing: str, hipaa: bool) -> None:
        gold = _filtered(doc, doc.spans, typing, hipaa)
        if hipaa:
            gold = [g for g in gold if g.label != UNTYPED]
        pred = _filtered(doc, predicted, typing, hipaa)
        counts = count(level, doc.text, gold, pred, _KEYS[typing])
        self.per_doc.append(counts)
        if typing == "subtype":
            _add(self.by_subtype, counts)
            for key, values in counts.items():
                _add(self.by_category, {category(key): values})
        elif typing == "category":
            _add(self.by_category, counts)
        else:
            _add(self.by_category, recall_by(level, doc.text, gold, pred, category))
            _add(self.by_subtype, recall_by(level, doc.text, gold, pred, lambda s: s))

    def summary(self, typing: str, *, n_boot: int, seed: int) -> dict:
        return _summary(
            self.per_doc,
            self.by_category,
            self.by_subtype,
            typing,
            n_boot=n_boot,
            seed=seed,
        )


def _add(total: Counts, counts: Counts) -> None:
    for key, values in counts.items():
        for i, value in enumerate(values):
            total[key][i] += value


def _summary(per_doc, by_category, by_subtype, typing, *, n_boot, seed) -> dict:
    matrix = np.array(
        [np.sum(list(c.values()), axis=0) if c else [0, 0, 0, 0] for c in per_doc],
        dtype=np.int64,
    ).reshape(-1, 4)
    micro = ratios(*(int(v) for v in matrix.sum(axis=0)))
    breakdown = {
        "per_category": {k: ratios(*v) for k, v in sorted(by_category.items())},
        "per_subtype": {k: ratios(*v) for k, v in sorted(by_subtype.items())},
    }
    if typing == "category":
        del breakdown["per_subtype"]
    per_type = breakdown["per_category" if typing != "subtype" else "per_subtype"]
    return {
        "micro": micro,
        "ci95": bootstrap_ci(matrix, n_boot=n_boot, seed=seed),
        "macro": _macro(per_type, recall_only=typing == "binary"),
        **breakdown,
    }


def _macro(per_type: Mapping[str, dict], *, recall_only: bool) -> dict:
    recalls = [v["recall"] for v in per_type.values() if v["n_gold"]]
    precisions = [v["precision"] for v in per_type.values() if v["n_predicted"]]
    f1s = [
        v["f1"] if v["f1"] is not None else 0.0
        for v in per_type.values()
        if v["n_gold"] or v["n_predicted"]
    ]
    mean = lambda values: float(np.mean(values)) if values else None  # noqa: E731
    return {
        "precision": None if recall_only else mean(precisions),
        "recall": mean(recalls),
        "f1": None if recall_only else mean(f1s),
        "n_types": len(recalls),
    }


def bootstrap_ci(matrix: np.ndarray, *, n_boot: int, seed: int) -> dict:
    """95% percentile intervals of micro P, R, F1 over documents resampled.

    `matrix` has one row per document: tp_gold, n_gold, tp_predicted,
    n_predicted. Each replicate draws as many documents as the corpus holds,
    uniformly with replacement (100 replicates at a time, to bound memory);
    the same seed gives the same replicates in every view.
    """
    n_docs = len(matrix)
    if n_boot < 1 or n_docs == 0:
        return {"precision": None, "recall": None, "f1": None}
    rng = np.random.default_rng(seed)
    values = matrix.astype(float)
    sums = np.concatenate(
        [_replicates(rng, values, min(100, n_boot - s)) for s in range(0, n_boot, 100)]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = sums[:, 2] / sums[:, 3]
        recall = sums[:, 0] / sums[:, 1]
        f1 = 2 * precision * recall / (precision + recall)
    f1[(precision == 0) & (recall == 0)] = 0.0
    return {
        "precision": _interval(precision),
        "recall": _interval(recall),
        "f1": _interval(f1),
    }


def _replicates(rng: np.random.Generator, values: np.ndarray, size: int) -> np.ndarray:
    """Column sums of `size` resamples: how often each document was picked, times it."""
    n_docs = len(values)
    picks = rng.integers(0, n_docs, size=(size, n_docs))
    weights = np.zeros((size, n_docs))
    np.add.at(weights, (np.arange(size)[:, None], picks), 1.0)
    return weights @ values


def _interval(values: np.ndarray) -> list[float] | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = np.percentile(finite, [2.5, 97.5])
    return [float(low), float(high)]
