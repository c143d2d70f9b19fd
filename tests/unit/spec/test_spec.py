"""Specification schema, the packaged spec, and criteria evaluation."""

from __future__ import annotations

import pytest

from phibench.errors import SpecError
from phibench.spec import criteria
from phibench.spec.schema import load_spec, packaged_ids, packaged_spec, parse_spec
from phibench.structured.dp_analytics.benchmark import Settings


def test_every_packaged_spec_validates():
    assert "dp-analytics" in packaged_ids()
    for benchmark_id in packaged_ids():
        assert packaged_spec(benchmark_id).id == benchmark_id


def test_spec_defaults_are_the_settings_used():
    settings = Settings.from_spec({})
    assert settings.epsilons == (0.1, 0.5, 1.0, 2.0, 5.0, 10.0)
    assert settings.trials == 20 and settings.contribution_cap == 5


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\n")
    with pytest.raises(SpecError, match=r"bad.yaml: not valid YAML at line \d"):
        load_spec(path)


def test_missing_field_is_named():
    text = packaged_yaml().replace("privacy_unit:", "privacy_unitt:")
    with pytest.raises(SpecError, match="field privacy_unit: Field required"):
        parse_spec(text, source="t.yaml")


def test_criterion_on_an_undefined_metric_is_refused():
    text = packaged_yaml().replace("metric: rel_error_median", "metric: f1_score", 1)
    with pytest.raises(SpecError, match="uses metric 'f1_score'"):
        parse_spec(text, source="t.yaml")


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(SpecError, match="cannot read the spec file"):
        load_spec(tmp_path / "nope.yaml")


def packaged_yaml() -> str:
    from importlib import resources

    folder = resources.files("phibench.spec") / "benchmarks"
    return (folder / "dp-analytics.yaml").read_text()


def _metrics(n_patients: int, rel_error: float | None) -> dict:
    scores = {"released": rel_error is not None}
    if rel_error is not None:
        scores["rel_error_median"] = rel_error
    return {
        "cohort": {"n_patients": n_patients},
        "queries": {"mean_age": {"by_epsilon": {"1": scores}}},
    }


@pytest.mark.parametrize(
    ("n_patients", "rel_error", "outcome"),
    [
        (5000, 0.01, "pass"),
        (5000, 0.2, "fail"),
        (100, 0.2, "not_applicable"),
        (5000, None, "fail"),
    ],
)
def test_criterion_outcomes(n_patients, rel_error, outcome):
    criterion = next(
        c for c in packaged_spec("dp-analytics").criteria if c.id == "mean-age-eps1"
    )
    result = criteria.evaluate_one(criterion, _metrics(n_patients, rel_error))
    assert result["outcome"] == outcome


def test_criterion_at_an_epsilon_not_run_does_not_apply():
    criterion = packaged_spec("dp-analytics").criteria[0]
    metrics = _metrics(5000, 0.01)
    metrics["queries"]["mean_age"]["by_epsilon"] = {"2": {"rel_error_median": 0.01}}
    result = criteria.evaluate_one(criterion, metrics)
    assert result["outcome"] == "not_applicable" and "--epsilons" in result["reason"]


def test_rendered_spec_document_is_up_to_date():
    from pathlib import Path

    from phibench.report.spec_doc import render_spec

    doc = Path(__file__).resolve().parents[3] / "docs" / "specs" / "dp-analytics.md"
    assert doc.read_text() == render_spec(packaged_spec("dp-analytics")), (
        "regenerate with: uv run phibench spec show dp-analytics > "
        "docs/specs/dp-analytics.md"
    )
