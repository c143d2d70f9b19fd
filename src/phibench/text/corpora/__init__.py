"""From a `--corpus` value (a dataset id or a format) to a Corpus.

A dataset id is resolved through the dataset registry, whose data-use terms
travel with the corpus (`Corpus.data_use`): restricted text never reaches MLflow.
A format name reads any folder in that format; its terms are unknown, which
phibench enforces as restricted.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from phibench.data import registry
from phibench.data.datasets import _terms
from phibench.errors import DataLayoutError, InputError
from phibench.text.document import Corpus, Document
from phibench.tracking.guard import DataUseTerms

EMBEDDED = "embedded"
EMBEDDED_DEFAULT_NOTES = 300

#: format -> what its folder holds
FORMATS = {
    "physionet": "id.text, id-phi.phrase and id.deid (PhysioNet deid 1.1)",
    "brat": "BRAT pairs <name>.txt + <name>.ann (searched recursively)",
    "i2b2-xml": "i2b2-2014 XML files (searched recursively)",
}

#: registry loader name -> format
_LOADER_FORMAT = {"physionet-deid": "physionet", "brat": "brat", "i2b2-xml": "i2b2-xml"}

#: datasets whose notes are not in English
_LANGUAGE = {"meddocan": "es"}


def load_corpus(
    corpus: str, data_dir: Path | None, *, n_notes: int | None = None, seed: int = 1
) -> Corpus:
    """Load a corpus by dataset id or format; `n_notes` keeps a seeded sample.

    For `embedded`, `n_notes` is how many notes to generate (default
    EMBEDDED_DEFAULT_NOTES) from `seed`. For a real corpus it keeps that many
    notes drawn with `seed`, in corpus order; None keeps all.
    """
    if n_notes is not None and n_notes < 1:
        raise InputError(f"--n-notes {n_notes}: must be at least 1; or leave it out")
    if corpus == EMBEDDED:
        return _embedded(data_dir, n_notes=n_notes, seed=seed)
    fmt, entry = _resolve(corpus)
    if data_dir is None:
        raise InputError(
            f"--corpus {corpus} needs --data-dir PATH: a folder with {FORMATS[fmt]}"
        )
    folder = Path(data_dir)
    documents, excluded = _read(fmt, folder)
    if not documents:
        raise DataLayoutError(
            f"--data-dir {folder}: no notes found; it must hold {FORMATS[fmt]}"
        )
    loaded = Corpus(
        name=corpus,
        language=_LANGUAGE.get(corpus, "en"),
        documents=tuple(documents),
        data_use=_terms(entry) if entry else DataUseTerms(f"{fmt}:{folder}"),
        source=str(folder),
        excluded_note_ids=excluded,
    )
    if entry is not None:
        _check_size(entry, loaded)
    return _sample(loaded, n_notes=n_notes, seed=seed)


def corpus_format(corpus: str) -> str:
    """The file format of a `--corpus` value; the embedded notes are written as BRAT."""
    if corpus == EMBEDDED:
        return "brat"
    return _resolve(corpus)[0]


def corpus_choices() -> list[str]:
    """Dataset ids with a text loader, then the formats: for help and errors."""
    entries = registry.load_registry().select()
    ids = [e.id for e in entries if any(n in _LOADER_FORMAT for n in e.loaders)]
    return [EMBEDDED, *ids, *FORMATS]


def _resolve(corpus: str) -> tuple[str, registry.DatasetEntry | None]:
    if corpus in FORMATS:
        return corpus, None
    try:
        entry = registry.get(corpus)
    except registry.UnknownDatasetError:
        raise InputError(
            f"--corpus {corpus}: not a text dataset id nor a format; use one of "
            f"{', '.join(corpus_choices())}"
        ) from None
    fmt = next((_LOADER_FORMAT[n] for n in entry.loaders if n in _LOADER_FORMAT), None)
    if fmt is None:
        raise InputError(
            f"--corpus {corpus}: phibench has no text loader for this dataset; use "
            f"one of {', '.join(corpus_choices())}"
        )
    return fmt, entry


def _read(fmt: str, folder: Path) -> tuple[list[Document], tuple[str, ...]]:
    from phibench.text.corpora.brat import read_brat
    from phibench.text.corpora.i2b2_xml import read_i2b2_xml
    from phibench.text.corpora.physionet import read_physionet

    readers: dict[str, Callable[[Path], list[Document]]] = {
        "brat": read_brat,
        "i2b2-xml": read_i2b2_xml,
    }
    if fmt == "physionet":
        return read_physionet(folder)
    return readers[fmt](folder), ()


def _check_size(entry: registry.DatasetEntry, corpus: Corpus) -> None:
    """An open release cannot hold more notes than it was published with.

    The terms follow the id, so an open id on a folder of a restricted corpus
    in the same format would switch the guard off; this refuses that.
    """
    published = entry.size.notes
    n_notes = len(corpus) + len(corpus.excluded_note_ids)
    if entry.access == "open" and published and n_notes > published:
        raise InputError(
            f"--corpus {entry.id}: the folder holds {n_notes} notes, more than the "
            f"{published} of {entry.name}; it is another corpus (its terms may "
            "restrict sharing): give its format instead (--corpus "
            f"{_LOADER_FORMAT[entry.loaders[0]]})"
        )


def _sample(corpus: Corpus, *, n_notes: int | None, seed: int) -> Corpus:
    if n_notes is None or n_notes >= len(corpus):
        return corpus
    keep = set(random.Random(seed).sample(range(len(corpus)), n_notes))
    documents = tuple(d for i, d in enumerate(corpus.documents) if i in keep)
    return replace(corpus, documents=documents)


def _embedded(data_dir: Path | None, *, n_notes: int | None, seed: int) -> Corpus:
    if data_dir is not None:
        raise InputError("--data-dir is not used with --corpus embedded; drop it")
    from phibench.text.embedded import generate_notes

    return generate_notes(EMBEDDED_DEFAULT_NOTES if n_notes is None else n_notes, seed)
