"""Each system's label table maps onto the taxonomy, and the docs show it."""

from __future__ import annotations

from pathlib import Path

import pytest

from phibench.text.systems import labels
from phibench.text.taxonomy import SUBTYPES, UNTYPED

DOC = Path(__file__).resolve().parents[4] / "docs" / "text" / "systems.md"
ALLOWED = {*SUBTYPES, UNTYPED, None}


@pytest.mark.parametrize("table", [labels.PRESIDIO, labels.PHILTER, labels.HF_SYNONYMS])
def test_every_target_is_a_subtype_untyped_or_dropped(table):
    assert set(table.values()) <= ALLOWED


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("B-DATE", "DATE"),
        ("I-DOCTOR", "DOCTOR"),
        ("S-PHONE", "PHONE"),
        ("NAME", "PATIENT"),  # a category name: its most general subtype
        ("B-LOCATION", "LOCATION-OTHER"),
        ("B-PER", "PATIENT"),
        ("B-HOSP", "HOSPITAL"),
        ("E-IDNUM", "IDNUM"),
        ("B-SOMETHINGELSE", UNTYPED),  # PHI we cannot type is still PHI
        ("O", None),
    ],
)
def test_hf_labels_map_with_or_without_bio_prefix(raw, expected):
    assert labels.map_hf_label(raw) == expected


def test_user_map_takes_precedence():
    assert labels.map_hf_label("B-NAME", {"NAME": "DOCTOR"}) == "DOCTOR"
    assert labels.map_hf_label("B-MISC", {"MISC": None}) is None


@pytest.mark.parametrize(
    ("heading", "table"),
    [("Presidio", labels.PRESIDIO), ("Philter", labels.PHILTER)],
)
def test_documented_tables_match_the_code(heading, table):
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    for raw, target in table.items():
        shown = "(dropped)" if target is None else target
        assert f"| {raw} | {shown} |" in section, raw
