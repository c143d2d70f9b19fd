"""The text-deid spec: valid, rendered page fresh, criteria judged on a system."""

from __future__ import annotations

from pathlib import Path

from phibench.report.spec_doc import render_spec
from phibench.spec import packaged_spec
from phibench.text.report import best_system, judge

ROOT = Path(__file__).resolve().parents[4]


def test_rendered_spec_page_is_up_to_date():
    doc = ROOT / "docs" / "specs" / "text-deid.md"
    assert doc.read_text() == render_spec(packaged_spec("text-deid")), (
        "regenerate with: uv run phibench spec show text-deid > docs/specs/text-deid.md"
    )
    assert "at ε" not in doc.read_text()


def _metrics(recalls: dict[str, float], n_patients: int = 10) -> dict:
    systems = {
        name: {
            "headline": {
                "token_binary_recall": recall,
                "token_binary_f1": 0.5,
                "untouched_fraction": 1 - recall,
            }
        }
        for name, recall in recalls.items()
    }
    return {
        "corpus": {"n_patients": n_patients},
        "systems": systems,
        "best_system": best_system(systems),
    }


def test_criteria_judge_the_best_system():
    spec = packaged_spec("text-deid")
    outcomes = {c["id"]: c for c in judge(spec, _metrics({"a": 0.90, "b": 0.99}))}
    recall = outcomes["best-token-recall"]
    assert (recall["system"], recall["outcome"], recall["observed"]) == (
        "b",
        "pass",
        0.99,
    )
    untouched = outcomes["best-untouched-spans"]
    assert untouched["outcome"] == "pass"  # 0.01 <= 0.02

    failing = {c["id"]: c for c in judge(spec, _metrics({"a": 0.94}))}
    assert failing["best-token-recall"]["outcome"] == "fail"
    assert failing["best-untouched-spans"]["outcome"] == "fail"  # 0.06 > 0.02


def test_too_few_patients_is_not_applicable():
    spec = packaged_spec("text-deid")
    outcomes = judge(spec, _metrics({"a": 0.5}, n_patients=4))
    assert {c["outcome"] for c in outcomes} == {"not_applicable"}
