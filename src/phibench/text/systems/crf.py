"""A linear-chain CRF (sklearn-crfsuite) trained by phibench, BIO-tagged tokens.

Tokens are letter runs, digit runs and single other characters, so a phone
number glued to a word (`callback555-201-7788`) still starts on a token edge.
Features describe a token's form (case, shape, affixes), its neighbours within
two tokens, and the label the rule baseline gives it: the CRF learns when to
trust a rule and what the rules miss (Lafferty, McCallum and Pereira 2001 for
the model; the feature set follows common clinical de-identification practice).

Training is L-BFGS with elastic-net penalties and is deterministic: the same
documents give the same model. The seed orders the training notes and is
recorded for completeness.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from phibench.errors import InputError
from phibench.interrupts import STOP_SIGNALS
from phibench.text.document import Document, Span
from phibench.text.systems.base import require
from phibench.text.systems.rules import RuleSystem

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
Token = tuple[int, int, str]


def tokenize(text: str) -> list[Token]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "A", word)
    shape = re.sub(r"[a-z]", "a", shape)
    shape = re.sub(r"\d", "0", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)


Gazetteers = dict[str, frozenset[str]]


def load_gazetteers() -> Gazetteers:
    """First names, last names and safe words from philter-lite's word sets.

    Lists of names are the classic dictionary of rule-based de-identification;
    philter-lite ships large ones (about 97,000 first names, 161,000 last names
    and 195,000 words it treats as safe). Here they are features, so the CRF
    learns how far to trust each list rather than obeying it.
    """
    filter_db = require("philter_lite.filters.filter_db", "crf")
    return {
        "first": frozenset(filter_db.set_db["firstnames"]),
        "last": frozenset(filter_db.set_db["lastnames"]),
        "safe": frozenset(filter_db.set_db["nonames"]),
    }


def _form(word: str, prefix: str, gazetteers: Gazetteers) -> dict[str, Any]:
    lower = word.lower()
    form: dict[str, Any] = {
        f"{prefix}lower": lower,
        f"{prefix}shape": _shape(word),
        f"{prefix}upper": word.isupper(),
        f"{prefix}title": word.istitle(),
        f"{prefix}digit": word.isdigit(),
    }
    for name, words in gazetteers.items():
        form[f"{prefix}in_{name}"] = lower in words
    return form


def token_features(
    text: str,
    tokens: list[Token],
    rule_tags: list[str],
    gazetteers: Gazetteers | None = None,
) -> list[dict]:
    """One feature dict per token (CRFsuite's string/boolean features)."""
    gazetteers = gazetteers or {}
    upper_note = sum(c.isupper() for c in text) > sum(c.islower() for c in text)
    features = []
    for i, (start, _end, word) in enumerate(tokens):
        feats: dict[str, Any] = {
            "bias": 1.0,
            **_form(word, "", gazetteers),
            "suffix3": word[-3:].lower(),
            "prefix3": word[:3].lower(),
            "length": min(len(word), 12),
            "space_before": start > 0 and text[start - 1].isspace(),
            "newline_before": start > 0 and text[start - 1] == "\n",
            "upper_note": upper_note,
            "rule": rule_tags[i],
        }
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                feats.update(_form(tokens[j][2], f"{offset:+d}:", gazetteers))
                feats[f"{offset:+d}:rule"] = rule_tags[j]
            else:
                feats[f"{offset:+d}:edge"] = True
        features.append(feats)
    return features


def bio_tags(tokens: list[Token], spans: Sequence[Span]) -> list[str]:
    """B-/I- tags of the spans over the tokens; a token in no span is O."""
    tags = ["O"] * len(tokens)
    ordered = sorted(spans)
    k = 0
    for i, (start, end, _) in enumerate(tokens):
        while k < len(ordered) and ordered[k].end <= start:
            k += 1
        if k < len(ordered) and ordered[k].start < end:
            span = ordered[k]
            first = i == 0 or tokens[i - 1][1] <= span.start
            tags[i] = ("B-" if first else "I-") + span.label
    return tags


def spans_from_tags(tokens: list[Token], tags: Sequence[str]) -> list[Span]:
    """Token tags back to character spans (an I- after O starts a span)."""
    spans: list[Span] = []
    current: list[int] | None = None
    label = ""
    for (start, end, _), tag in zip(tokens, tags, strict=True):
        ends = tag == "O" or tag.startswith("B-") or tag[2:] != label
        if ends and current is not None:
            spans.append(Span(current[0], current[1], label))
            current = None
        if tag != "O":
            if current is None:
                current, label = [start, end], tag[2:]
            else:
                current[1] = end
    if current is not None:
        spans.append(Span(current[0], current[1], label))
    return spans


class CrfSystem:
    """BIO token labeller; `fit` must run before `predict`."""

    name = "crf"

    def __init__(
        self,
        *,
        c1: float = 0.1,
        c2: float = 0.05,
        max_iterations: int = 150,
        gazetteers: bool = True,
        phi_threshold: float = 0.03,
        propagate: bool = True,
        seed: int = 1,
    ) -> None:
        if c1 < 0 or c2 < 0 or max_iterations < 1:
            raise InputError(
                f"crf c1={c1}, c2={c2}, max_iterations={max_iterations}: the "
                "penalties must be >= 0 and max_iterations >= 1"
            )
        if not 0.0 < phi_threshold <= 1.0:
            raise InputError(
                f"crf phi_threshold={phi_threshold}: must be in (0, 1]; it is the "
                "least probability of 'some PHI label' that marks a token"
            )
        self.c1, self.c2, self.max_iterations, self.seed = c1, c2, max_iterations, seed
        self.phi_threshold = phi_threshold
        self.propagate = propagate
        self.use_gazetteers = gazetteers
        self._gazetteers: Gazetteers | None = None
        self._rules = RuleSystem()
        self._model: Any = None
        self.n_training_notes = 0

    def settings(self) -> dict[str, Any]:
        return {
            "c1": self.c1,
            "c2": self.c2,
            "max_iterations": self.max_iterations,
            "gazetteers": "philter-lite word sets" if self.use_gazetteers else None,
            "phi_threshold": self.phi_threshold,
            "propagate": self.propagate,
            "seed": self.seed,
            "n_training_notes": self.n_training_notes,
        }

    def _features(self, text: str, tokens: list[Token]) -> list[dict]:
        if self._gazetteers is None:
            self._gazetteers = load_gazetteers() if self.use_gazetteers else {}
        rule_tags = bio_tags(tokens, self._rules.predict(text))
        return token_features(text, tokens, rule_tags, self._gazetteers)

    def fit(self, documents: Sequence[Document]) -> None:
        crfsuite = require("sklearn_crfsuite", "crf")
        order = np.random.default_rng(self.seed).permutation(len(documents))
        x_train, y_train = [], []
        for index in order:
            doc = documents[int(index)]
            tokens = tokenize(doc.text)
            if not tokens:
                continue
            x_train.append(self._features(doc.text, tokens))
            y_train.append(bio_tags(tokens, doc.spans))
        if not any(tag != "O" for tags in y_train for tag in tags):
            raise InputError(
                f"crf: the {len(documents)} training notes hold no gold PHI; "
                "train on annotated notes (more --n-notes, or another corpus)"
            )
        model = crfsuite.CRF(
            algorithm="lbfgs",
            c1=self.c1,
            c2=self.c2,
            max_iterations=self.max_iterations,
            all_possible_transitions=True,
        )
        with _interrupts_kept():
            model.fit(x_train, y_train)
        self._model = model
        self.n_training_notes = len(x_train)
        logger.info("crf trained on %d notes", len(x_train))

    def predict(self, text: str) -> list[Span]:
        if self._model is None:
            raise InputError("crf: predict called before fit; train it first")
        tokens = tokenize(text)
        if not tokens:
            return []
        features = self._features(text, tokens)
        if self.phi_threshold == 0.5:
            tags = self._model.predict_single(features)
        else:
            tags = recall_tags(
                self._model.predict_marginals_single(features), self.phi_threshold
            )
        if self.propagate:
            tags = propagate_tags(tokens, tags, self._gazetteers or {})
        return spans_from_tags(tokens, tags)


def propagate_tags(
    tokens: list[Token], tags: Sequence[str], gazetteers: Gazetteers
) -> list[str]:
    """A word tagged PHI once in a note is tagged wherever it recurs there.

    Notes repeat a name or place ("Mr. Logan ... Logan is"), and the later,
    context-free mention is the one a tagger misses. Only letter words of three
    or more characters that are not on the safe-word list spread.
    """
    safe = gazetteers.get("safe", frozenset())
    tagged: dict[str, str] = {}
    for (_, _, word), tag in zip(tokens, tags, strict=True):
        lower = word.lower()
        if tag != "O" and word.isalpha() and len(word) >= 3 and lower not in safe:
            tagged.setdefault(lower, "B-" + tag[2:])
    return [
        tagged.get(word.lower(), tag) if tag == "O" else tag
        for (_, _, word), tag in zip(tokens, tags, strict=True)
    ]


def recall_tags(marginals: list[dict[str, float]], threshold: float) -> list[str]:
    """Per-token tags that favour recall: PHI when P(not O) >= threshold.

    Viterbi decoding marks a token only when a PHI path is the most likely; a
    de-identification system that must not leak can lower the bar. A marked
    token takes its most likely PHI tag.
    """
    tags = []
    for probabilities in marginals:
        phi = {tag: p for tag, p in probabilities.items() if tag != "O"}
        if phi and sum(phi.values()) >= threshold:
            tags.append(max(phi, key=phi.__getitem__))
        else:
            tags.append("O")
    return tags


@contextlib.contextmanager
def _interrupts_kept() -> Iterator[None]:
    """Re-raise a Ctrl-C, SIGTERM or SIGHUP that arrived during training.

    python-crfsuite catches KeyboardInterrupt inside its training loop and
    returns as if training had ended, so an interrupted run would go on to
    score a half-trained model. The signal is remembered here and raised again
    once the library returns.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def remember(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, remember) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise KeyboardInterrupt
