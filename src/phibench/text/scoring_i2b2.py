"""Scoring as the 2014 i2b2/UTHealth de-identification track did.

Rules as published with the challenge's evaluation script (README of
kotfic/i2b2_evaluation_scripts; Stubbs, Kotfila & Uzuner, J Biomed Inform 58
Suppl, 2015), re-implemented here:

- a tag is (type, start, end); the type is the subtype (TYPE attribute), so
  PATIENT and DOCTOR differ, and OTHER is a type of its own (it matches only
  gold OTHER);
- strict: same type, start and end;
- relaxed: same type and start, and ends at most 2 characters apart (systems
  that leave out "'s" and similar endings are not penalised);
- HIPAA: both gold and system tags restricted to the subtypes the challenge
  listed as HIPAA PHI (`I2B2_HIPAA`; every AGE and DATE, unlike the Safe
  Harbor view of `evaluate`, which keeps only ages over 89 and dates with more
  than a year);
- micro: counts summed over documents; macro: the mean (and population SD)
  over documents of per-document precision and recall, each over the
  documents where it is defined; macro F1 from macro precision and recall.

With relaxed matching one system tag may match several gold tags: precision
counts system tags that match some gold tag, recall gold tags that some system
tag matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from phibench.text.document import Corpus, Span

#: The subtypes the 2014 challenge scored in its "HIPAA" evaluation.
I2B2_HIPAA = frozenset(
    {
        "PATIENT",
        "AGE",
        "CITY",
        "STREET",
        "ZIP",
        "ORGANIZATION",
        "DATE",
        "PHONE",
        "FAX",
        "EMAIL",
        "SSN",
        "MEDICALRECORD",
        "HEALTHPLAN",
        "ACCOUNT",
        "LICENSE",
        "VEHICLE",
        "DEVICE",
        "BIOID",
        "IDNUM",
    }
)

RELAXED_END_TOLERANCE = 2

Tag = tuple[str, int, int]


def evaluate_i2b2_2014(
    corpus: Corpus, predictions: Mapping[str, Sequence[Span]]
) -> dict:
    """Strict, relaxed, HIPAA strict and HIPAA relaxed, micro and macro."""
    result: dict = {"n_documents": len(corpus)}
    for name, relaxed, hipaa in [
        ("strict", False, False),
        ("relaxed", True, False),
        ("hipaa_strict", False, True),
        ("hipaa_relaxed", True, True),
    ]:
        rows = [
            _document_counts(
                _tags(doc.spans, hipaa),
                _tags(predictions.get(doc.note_id, ()), hipaa),
                relaxed=relaxed,
            )
            for doc in corpus
        ]
        result[name] = _summarise(np.array(rows, dtype=float).reshape(-1, 4))
    return result


def _tags(spans: Sequence[Span], hipaa: bool) -> set[Tag]:
    return {
        (s.label, s.start, s.end) for s in spans if not hipaa or s.label in I2B2_HIPAA
    }


def _matches(system: Tag, gold: Tag, *, relaxed: bool) -> bool:
    if not relaxed:
        return system == gold
    return (
        system[0] == gold[0]
        and system[1] == gold[1]
        and abs(system[2] - gold[2]) <= RELAXED_END_TOLERANCE
    )


def _document_counts(gold: set[Tag], system: set[Tag], *, relaxed: bool) -> list[int]:
    """[gold tags matched, gold tags, system tags matched, system tags]."""
    if not relaxed:
        both = len(gold & system)
        return [both, len(gold), both, len(system)]
    found = sum(any(_matches(s, g, relaxed=True) for s in system) for g in gold)
    right = sum(any(_matches(s, g, relaxed=True) for g in gold) for s in system)
    return [found, len(gold), right, len(system)]


def _summarise(rows: np.ndarray) -> dict:
    tp_gold, n_gold, tp_sys, n_sys = rows.sum(axis=0) if len(rows) else (0, 0, 0, 0)
    precision = tp_sys / n_sys if n_sys else None
    recall = tp_gold / n_gold if n_gold else None
    with np.errstate(divide="ignore", invalid="ignore"):
        doc_precision = rows[:, 2] / rows[:, 3]
        doc_recall = rows[:, 0] / rows[:, 1]
    macro_p, sd_p = _mean_sd(doc_precision)
    macro_r, sd_r = _mean_sd(doc_recall)
    return {
        "micro": {
            "precision": _float(precision),
            "recall": _float(recall),
            "f1": _f1(precision, recall),
        },
        "macro": {
            "precision": macro_p,
            "recall": macro_r,
            "f1": _f1(macro_p, macro_r),
            "precision_sd": sd_p,
            "recall_sd": sd_r,
        },
    }


def _mean_sd(values: np.ndarray) -> tuple[float | None, float | None]:
    defined = values[np.isfinite(values)]
    if defined.size == 0:
        return None, None
    return float(defined.mean()), float(defined.std())


def _float(value) -> float | None:
    return None if value is None else float(value)


def _f1(precision, recall) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))
