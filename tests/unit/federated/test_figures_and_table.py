"""The federated figures and table at the edges: nothing scorable, a huge ε."""

from __future__ import annotations

import warnings

from phibench.federated import plots


def test_no_scorable_round_gives_a_figure_without_a_legend_warning(tmp_path):
    metrics = {
        "methods": {
            "pooled": {"kind": "pooled", "curve": [{"round": 1, "auroc": None}]},
            "fedavg": {"kind": "federated", "curve": [{"round": 1, "auroc": None}]},
        }
    }
    path = tmp_path / "auroc_per_round.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels"
        plots.auroc_per_round_plot(metrics, path, title="one class only")
    assert path.stat().st_size > 0


def test_a_huge_epsilon_is_printed_in_three_figures_not_300_digits():
    from phibench.federated.report import _num

    assert _num(1e300) == "1e+300"
    assert _num(8.0) == "8.000"
    assert _num(99999.0) == "99999.000"
    assert _num(None) == "-"
