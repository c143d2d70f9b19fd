"""The Hugging Face adapter with a tiny model built here: no download, offline."""

from __future__ import annotations

import os
import socket

import pytest

from phibench.errors import InputError
from phibench.text.document import Span
from phibench.text.systems import make_system

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
pytestmark = pytest.mark.slow  # torch and a model per test

LABELS = ["O", "B-DATE", "I-DATE", "B-NAME", "I-NAME", "B-HOSP"]
WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "seen", "on", "may", "3", "by", "dr", "x"]


def _tiny_model(folder, winner: str) -> None:
    """A one-layer BERT whose classifier always prefers the label `winner`."""
    model = tokenizers.models.WordLevel(
        {w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"
    )
    backend = tokenizers.Tokenizer(model)
    backend.normalizer = tokenizers.normalizers.Lowercase()
    backend.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    backend.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )
    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=64,
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    bert = transformers.BertForTokenClassification(config)
    with torch.no_grad():
        bert.classifier.weight.zero_()
        bert.classifier.bias.fill_(-5.0)
        bert.classifier.bias[LABELS.index(winner)] = 5.0
    bert.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_word_tagged_i_date_becomes_one_date_span(tmp_path, no_network):
    _tiny_model(tmp_path, "I-DATE")
    system = make_system(f"hf:{tmp_path}")
    text = "seen on may 3"

    # I- tags continue one span over the whole run of words.
    assert system.predict(text) == [Span(0, 13, "DATE")]
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_b_tags_start_a_span_per_word_and_category_names_map(tmp_path, no_network):
    _tiny_model(tmp_path, "B-NAME")
    system = make_system(f"hf:{tmp_path}")

    assert system.predict("dr x") == [Span(0, 2, "PATIENT"), Span(3, 4, "PATIENT")]


def test_user_label_map_overrides_and_o_gives_nothing(tmp_path, no_network):
    _tiny_model(tmp_path, "B-HOSP")
    mapped = make_system(f"hf:{tmp_path}", label_map={"HOSP": "HOSPITAL"})
    assert mapped.predict("x") == [Span(0, 1, "HOSPITAL")]
    assert mapped.settings()["label_map"]["B-HOSP"] == "HOSPITAL"

    _tiny_model(tmp_path, "O")
    assert make_system(f"hf:{tmp_path}").predict("seen on may 3") == []


def test_long_text_is_read_in_windows_without_losing_words(tmp_path, no_network):
    _tiny_model(tmp_path, "B-DATE")
    system = make_system(f"hf:{tmp_path}", max_length=16, stride=4)
    text = " ".join(["3"] * 40)

    spans = system.predict(text)

    assert len(spans) == 40
    assert [s.start for s in spans] == list(range(0, 80, 2))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "absent", "no such folder"),
        (lambda p: p, "has no config.json"),
    ],
)
def test_folder_without_a_model_is_a_one_line_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message) as error:
        make_system(f"hf:{make(tmp_path)}")
    assert "\n" not in str(error.value)


def test_windows_never_exceed_the_models_positions(tmp_path, no_network):
    _tiny_model(tmp_path, "B-DATE")  # 64 position embeddings
    system = make_system(f"hf:{tmp_path}", max_length=512, stride=32)
    text = " ".join(["3"] * 150)

    assert len(system.predict(text)) == 150
