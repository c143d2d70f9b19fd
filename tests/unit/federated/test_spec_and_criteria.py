"""The federated spec: valid, rendered page fresh, criteria judged as stated."""

from __future__ import annotations

from pathlib import Path

from phibench.federated import criteria
from phibench.spec import packaged_spec


def _metrics(n_patients: int, **methods) -> dict:
    return {"cohort": {"n_patients": n_patients}, "methods": methods}


def _method(gap: float, auroc: float, n_repeats: int = 3, epsilon=None) -> dict:
    entry = {
        "n_repeats": n_repeats,
        "gap_to_pooled": {"mean": gap},
        "global_auroc": {"mean": auroc},
        "worst_site": {"auroc": 0.5},
    }
    if epsilon is not None:
        entry["privacy"] = {"epsilon_spent": epsilon}
    return entry


def test_rendered_spec_document_is_up_to_date():
    from phibench.report.spec_doc import render_spec

    doc = Path(__file__).resolve().parents[3] / "docs" / "specs" / "federated.md"
    assert doc.read_text() == render_spec(packaged_spec("federated")), (
        "regenerate with: uv run phibench spec show federated > docs/specs/federated.md"
    )


def test_criteria_pass_fail_and_not_applicable():
    spec = packaged_spec("federated")
    metrics = _metrics(
        5000,
        fedavg=_method(0.02, 0.65),
        **{"dp-fedavg eps=8": _method(0.2, 0.6, epsilon=7.99)},
    )
    outcomes = {c["id"]: c for c in criteria.evaluate(spec, metrics)}
    assert outcomes["fedavg-gap-to-pooled"]["outcome"] == "pass"
    assert outcomes["fedavg-auroc"]["outcome"] == "fail"
    assert outcomes["fedavg-auroc"]["observed"] == 0.65
    assert outcomes["dp-fedavg-eps8-within-budget"]["outcome"] == "pass"

    small = criteria.evaluate(spec, _metrics(10, fedavg=_method(0.0, 0.9)))
    assert all(c["outcome"] == "not_applicable" for c in small)

    few = _metrics(5000, fedavg=_method(0.0, 0.9, n_repeats=2))
    gap = criteria.evaluate(spec, few)[0]
    assert gap["outcome"] == "not_applicable" and "needs 3" in gap["reason"]
