"""A development / test split of a corpus by patient, by a fixed rule.

Rule: a patient goes to the test part iff the first 8 bytes of
sha256("<seed>:<patient_id>"), read as a big-endian integer and divided by
2**64, are below `test_fraction`. The rule depends on nothing but the patient
id and the seed, so it is stable across file order, subsets and machines, and a
patient's notes never straddle the parts. The README numbers use seed 0.
"""

from __future__ import annotations

import hashlib
import logging

from phibench.errors import InputError
from phibench.text.document import Corpus

log = logging.getLogger(__name__)

DEFAULT_SPLIT_SEED = 0


def in_test_part(patient_id: str, *, test_fraction: float, seed: int) -> bool:
    """Whether the fixed rule puts this patient in the test part."""
    digest = hashlib.sha256(f"{seed}:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < test_fraction


def split_by_patient(
    corpus: Corpus, *, test_fraction: float = 0.5, seed: int = DEFAULT_SPLIT_SEED
) -> tuple[Corpus, Corpus]:
    """(development, test) parts of the corpus; no patient is in both."""
    if not 0 < test_fraction < 1:
        raise InputError(
            f"test_fraction {test_fraction}: must be strictly between 0 and 1"
        )
    test_patients = {
        p
        for p in corpus.patient_ids
        if in_test_part(p, test_fraction=test_fraction, seed=seed)
    }
    test_ids = [d.note_id for d in corpus if d.patient_id in test_patients]
    dev_ids = [d.note_id for d in corpus if d.patient_id not in test_patients]
    dev = corpus.subset(dev_ids, name=f"{corpus.name} (dev)")
    test = corpus.subset(test_ids, name=f"{corpus.name} (test)")
    log.info(
        "split by patient (seed %d): dev %d notes of %d patients, test %d notes "
        "of %d patients",
        seed,
        len(dev),
        len(dev.patient_ids),
        len(test),
        len(test.patient_ids),
    )
    return dev, test
