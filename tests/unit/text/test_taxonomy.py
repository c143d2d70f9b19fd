"""The taxonomy's maps: every label lands on a subtype; Safe Harbor rules."""

from __future__ import annotations

import pytest

from phibench.text.taxonomy import (
    CATEGORY_OF,
    MEDDOCAN_LABELS,
    PHYSIONET_LABELS,
    SAFE_HARBOR,
    SAFE_HARBOR_OF,
    SUBTYPES,
    UNTYPED,
    category,
    is_safe_harbor,
    map_label,
)


def test_every_map_lands_on_the_taxonomy() -> None:
    assert len(SUBTYPES) == 30 and len(set(CATEGORY_OF.values())) == 7
    assert set(SAFE_HARBOR_OF) == set(SUBTYPES)
    assert set(SAFE_HARBOR_OF.values()) - {None} <= set(SAFE_HARBOR)
    for label in [*PHYSIONET_LABELS.values(), *MEDDOCAN_LABELS.values()]:
        assert label in SUBTYPES or label == UNTYPED


def test_safe_harbor_letters() -> None:
    covered = sorted(v for v in SAFE_HARBOR_OF.values() if v)
    # every identifier that text can hold has a subtype; Q (photographs) cannot
    assert set(covered) == set(SAFE_HARBOR) - {"Q"}
    assert SAFE_HARBOR_OF["DOCTOR"] is None
    assert SAFE_HARBOR_OF["PATIENT"] == "A"


@pytest.mark.parametrize(
    ("label", "surface", "expected"),
    [
        ("AGE", "89", False),
        ("AGE", "90", True),
        ("AGE", "101", True),
        ("AGE", "eighty", True),  # unreadable: counted, to err on privacy's side
        ("DATE", "3/4", True),
        ("DATE", "12/31", True),
        ("DATE", "1992", False),
        ("DATE", "'92", False),
        ("DATE", "March 1992", True),
        ("DOCTOR", "Oduya", False),
        ("PATIENT", "Ana", True),
        ("HOSPITAL", "GH", False),
        ("LOCATION-OTHER", "Baltimore", True),
        (UNTYPED, "x", False),
    ],
)
def test_is_safe_harbor(label: str, surface: str, expected: bool) -> None:
    assert is_safe_harbor(label, surface) is expected


def test_map_label() -> None:
    assert map_label("RelativeProxyName") == "PATIENT"
    assert map_label("HCPName") == "DOCTOR"
    assert map_label("TERRITORIO", "28016") == "ZIP"
    assert map_label("TERRITORIO", "Madrid") == "LOCATION-OTHER"
    assert map_label("SEXO_SUJETO_ASISTENCIA") == UNTYPED
    assert map_label("DOCTOR") == "DOCTOR"
    assert map_label("Surgeon") is None
    assert category("DOCTOR") == "NAME" and category(UNTYPED) == UNTYPED


def test_rendered_doc_is_fresh() -> None:
    from pathlib import Path

    from phibench.text.taxonomy import render_markdown

    doc = Path(__file__).resolve().parents[3] / "docs" / "text" / "taxonomy.md"
    assert doc.read_text(encoding="utf-8") == render_markdown(), (
        "docs/text/taxonomy.md is stale: uv run python -m phibench.text.taxonomy "
        "> docs/text/taxonomy.md"
    )
