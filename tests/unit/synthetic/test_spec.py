"""The synthetic spec validates, and its rendered page is current."""

from __future__ import annotations

from pathlib import Path

from phibench.report.spec_doc import render_spec
from phibench.spec import packaged_spec
from phibench.synthetic.benchmark import HEADLINE, Settings


def test_every_reported_metric_declares_direction_and_range_in_the_spec():
    spec = packaged_spec("synthetic")
    assert {m.name for m in spec.metrics} == set(HEADLINE)
    for metric in spec.metrics:
        assert metric.range[0] < metric.range[1]


def test_spec_defaults_are_the_code_defaults():
    defaults = packaged_spec("synthetic").defaults
    settings = Settings()
    assert tuple(defaults["generators"]) == settings.generators
    assert tuple(float(e) for e in defaults["epsilons"]) == settings.epsilons
    assert defaults["repeats"] == settings.repeats == 3
    assert defaults["epochs"] == settings.epochs
    assert defaults["contribution_cap"] == settings.contribution_cap


def test_rendered_spec_document_is_up_to_date():
    doc = Path(__file__).resolve().parents[3] / "docs" / "specs" / "synthetic.md"
    assert doc.read_text() == render_spec(packaged_spec("synthetic")), (
        "regenerate with: uv run phibench spec show synthetic > docs/specs/synthetic.md"
    )
