"""Any Hugging Face token-classification model in a local folder, offline.

The user points at a folder holding a model and its (fast) tokenizer, e.g. their
copy of an i2b2-trained de-identification model. Nothing is downloaded: the
Hub and Transformers offline switches are set before Transformers is imported,
and every load passes `local_files_only=True`. The model's labels (its
`id2label`, or a user's explicit map) are mapped onto the taxonomy by
`labels.map_hf_label`. Long notes are read in overlapping windows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from phibench.errors import InputError
from phibench.text.document import Document, Span
from phibench.text.systems.base import require
from phibench.text.systems.labels import map_hf_label, strip_bio

logger = logging.getLogger(__name__)

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def set_offline() -> None:
    """Hugging Face libraries: never reach the Hub (set before importing them)."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value


def check_model_folder(path: Path) -> None:
    """The folder must exist and hold a model configuration."""
    if not path.is_dir():
        raise InputError(
            f"--systems hf:{path}: no such folder; give a local folder with a "
            "Hugging Face token-classification model (config.json, weights, tokenizer)"
        )
    if not (path / "config.json").is_file():
        raise InputError(
            f"--systems hf:{path}: the folder has no config.json, so it holds no "
            "Hugging Face model; save one with model.save_pretrained(folder) and "
            "tokenizer.save_pretrained(folder)"
        )


class HuggingFaceSystem:
    """Token classification with a local model; windows of `max_length` tokens."""

    def __init__(
        self,
        path: Path,
        *,
        label_map: dict[str, str | None] | None = None,
        max_length: int = 256,
        stride: int = 32,
    ) -> None:
        check_model_folder(Path(path))
        if max_length < 8 or not 0 <= stride < max_length // 2:
            raise InputError(
                f"hf max_length={max_length}, stride={stride}: need max_length >= 8 "
                "and 0 <= stride < max_length / 2"
            )
        self.path = Path(path)
        self.name = f"hf:{self.path}"
        self.label_map = dict(label_map or {})
        self.max_length, self.stride = max_length, stride
        self._tokenizer: Any = None
        self._model: Any = None

    def fit(self, documents: Sequence[Document]) -> None:
        """The model comes trained; phibench does not fine-tune it."""

    def settings(self) -> dict[str, Any]:
        self._load()
        labels = self._model.config.id2label
        return {
            "path": str(self.path),
            "max_length": self.max_length,
            "stride": self.stride,
            "label_map": {
                raw: map_hf_label(raw, self.label_map) for raw in labels.values()
            },
        }

    def _load(self) -> None:
        if self._model is not None:
            return
        set_offline()
        transformers = require("transformers", self.name)
        require("torch", self.name)
        try:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.path, local_files_only=True
            )
            model = transformers.AutoModelForTokenClassification.from_pretrained(
                self.path, local_files_only=True
            )
        except (OSError, ValueError) as error:
            first = str(error).strip().splitlines()[0][:200] if str(error) else ""
            raise InputError(
                f"--systems {self.name}: cannot load a token-classification model "
                f"and tokenizer from the folder ({first})"
            ) from None
        if not getattr(self._tokenizer, "is_fast", False):
            raise InputError(
                f"--systems {self.name}: the tokenizer is not a fast tokenizer, so "
                "it cannot map tokens to character offsets; save a fast one"
            )
        self._model = model.eval()
        self._window = min(self.max_length, _position_limit(model.config))
        self._stride = min(self.stride, self._window // 4)
        logger.info(
            "hf model loaded: %d labels, windows of %d tokens",
            len(model.config.id2label),
            self._window,
        )

    def predict(self, text: str) -> list[Span]:
        if not text.strip():
            return []
        self._load()
        torch = require("torch", self.name)
        encoded = self._tokenizer(
            text,
            return_offsets_mapping=True,
            return_overflowing_tokens=True,
            truncation=True,
            max_length=self._window,
            stride=self._stride,
            padding=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").tolist()
        encoded.pop("overflow_to_sample_mapping", None)
        with torch.no_grad():
            logits = self._model(**encoded).logits
        predicted = logits.argmax(dim=-1).tolist()
        return self._spans(offsets, predicted)

    def _spans(self, offsets: list, predicted: list) -> list[Span]:
        """Token labels to character spans; windows overlap, first label wins."""
        id2label = self._model.config.id2label
        by_start: dict[int, tuple[int, str, bool]] = {}
        for window_offsets, window_labels in zip(offsets, predicted, strict=True):
            for (start, end), label_id in zip(
                window_offsets, window_labels, strict=True
            ):
                if end <= start or start in by_start:
                    continue
                raw = id2label[int(label_id)]
                label = map_hf_label(raw, self.label_map)
                begins = raw != strip_bio(raw) and raw[0].upper() in "BSU"
                by_start[start] = (end, label or "", begins)
        return _merge_tokens(by_start)


def _position_limit(config: Any) -> int:
    """The longest input the model's position embeddings allow.

    RoBERTa-style models reserve two positions (padding index offset).
    """
    limit = getattr(config, "max_position_embeddings", None) or 10**6
    if getattr(config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"}:
        limit -= 2
    return limit


def _merge_tokens(by_start: dict[int, tuple[int, str, bool]]) -> list[Span]:
    """Adjacent PHI tokens of one label form a span unless a B- tag starts anew."""
    spans: list[Span] = []
    current: list[Any] | None = None
    for start in sorted(by_start):
        end, label, begins = by_start[start]
        if current is not None and (
            not label or label != current[2] or begins or start - current[1] > 1
        ):
            spans.append(Span(*current))
            current = None
        if label:
            if current is None:
                current = [start, end, label]
            else:
                current[1] = end
    if current is not None:
        spans.append(Span(*current))
    return spans
