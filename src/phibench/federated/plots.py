"""The two figures of a federated run: AUROC per round, AUROC per site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never open a window

import matplotlib.pyplot as plt


def auroc_per_round_plot(metrics: dict[str, Any], path: Path, *, title: str) -> None:
    """Global test AUROC after each round (mean over repeats), one line per method.

    Pooled and local-only are scored after each epoch of the same schedule
    (an epoch of theirs = a round of local epochs of the federation).
    """
    figure, axes = plt.subplots(figsize=(8, 5.5), dpi=120)
    for name, method in metrics["methods"].items():
        points = [(c["round"], c["auroc"]) for c in method["curve"] if c["auroc"]]
        if not points:
            continue
        style = "--" if method["kind"] != "federated" else "-"
        axes.plot(*zip(*points, strict=True), style, marker=".", label=name)
    axes.set_xlabel("round (federated) / epoch (pooled, local-only)")
    axes.set_ylabel("AUROC on the union of the sites' test splits")
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    if axes.get_legend_handles_labels()[0]:  # no curve when AUROC is undefined
        axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def per_site_plot(metrics: dict[str, Any], path: Path, *, title: str) -> None:
    """Per-site test AUROC (mean over repeats), grouped bars per method.

    A site whose test split holds one class only has no AUROC and no bar.
    """
    methods = list(metrics["methods"])
    sites = list(next(iter(metrics["methods"].values()))["per_site_auroc"])
    width = 0.8 / max(len(methods), 1)
    figure, axes = plt.subplots(figsize=(max(8, 0.9 * len(sites) + 3), 5), dpi=120)
    for index, name in enumerate(methods):
        per_site = metrics["methods"][name]["per_site_auroc"]
        xs, heights = [], []
        for position, site in enumerate(sites):
            if per_site[site]["mean"] is not None:
                xs.append(position + index * width)
                heights.append(per_site[site]["mean"])
        axes.bar(xs, heights, width=width, label=name)
    axes.set_xticks(
        [p + 0.4 - width / 2 for p in range(len(sites))],
        sites,
        rotation=45,
        ha="right",
        fontsize=8,
    )
    axes.set_ylim(0, 1)
    axes.axhline(0.5, color="grey", linewidth=0.8)
    axes.set_ylabel("test AUROC at the site (mean over repeats)")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
