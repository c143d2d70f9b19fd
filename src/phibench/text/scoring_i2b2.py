"""Scoring as the 2014 i2b2/UTHealth de-identification track did.

Rules as published with the challenge's evaluation script (its README and
behaviour, kotfic/i2b2_evaluation_scripts; Stubbs, Kotfila & Uzuner, J Biomed
Inform 58 Suppl, 2015), re-implemented here:

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
- token: each tag is split into tokens (`scoring_match.tokens`), each token a
  tag (type, start, end) of its own, then scored strictly;
- micro: counts summed over documents; macro: the mean (and population SD)
  over all documents of per-document precision and recall; as in the script a
  0/0 ratio counts as 0, so a note with neither gold nor system tags lowers
  the macro means (the 2014 corpus has PHI in every note; PhysioNet has many
  notes without); macro F1 from macro precision and recall.

The script's own HIPAA pattern for IDNUM carries a trailing space and so never
matches; IDNUM is kept here, as the README lists it.

With relaxed matching one system tag may match several gold tags: precision
counts system tags that match some gold tag, recall gold tags that some system
tag matches.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

import numpy as np

from phibench.text.document import Corpus, Span
from phibench.text.scoring_match import tokens as token_bounds

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
    """Strict, relaxed and token, each also on the HIPAA list; micro and macro."""
    result: dict = {"n_documents": len(corpus)}
    for hipaa in (False, True):
        for level in ("strict", "relaxed", "token"):
            rows = [
                _document_counts(
                    _tags(doc.text, doc.spans, hipaa, tokens=level == "token"),
                    _tags(
                        doc.text,
                        predictions.get(doc.note_id, ()),
                        hipaa,
                        tokens=level == "token",
                    ),
                    relaxed=level == "relaxed",
                )
                for doc in corpus
            ]
            name = f"hipaa_{level}" if hipaa else level
            result[name] = _summarise(np.array(rows, dtype=float).reshape(-1, 4))
    return result


def _tags(text: str, spans: Sequence[Span], hipaa: bool, *, tokens: bool) -> set[Tag]:
    kept = [s for s in spans if not hipaa or s.label in I2B2_HIPAA]
    if not tokens:
        return {(s.label, s.start, s.end) for s in kept}
    starts, ends = token_bounds(text)
    return {
        (s.label, max(starts[i], s.start), min(ends[i], s.end))
        for s in kept
        for i in range(
            bisect.bisect_right(ends, s.start), bisect.bisect_left(starts, s.end)
        )
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
    precision, recall = _ratio(tp_sys, n_sys), _ratio(tp_gold, n_gold)
    doc_precision = [_ratio(row[2], row[3]) for row in rows]
    doc_recall = [_ratio(row[0], row[1]) for row in rows]
    macro_p = float(np.mean(doc_precision)) if len(rows) else 0.0
    macro_r = float(np.mean(doc_recall)) if len(rows) else 0.0
    return {
        "micro": {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
        },
        "macro": {
            "precision": macro_p,
            "recall": macro_r,
            "f1": _f1(macro_p, macro_r),
            "precision_sd": float(np.std(doc_precision)) if len(rows) else 0.0,
            "recall_sd": float(np.std(doc_recall)) if len(rows) else 0.0,
        },
    }


def _ratio(numerator: float, denominator: float) -> float:
    """As the challenge's script: 0/0 is 0."""
    return float(numerator / denominator) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))
