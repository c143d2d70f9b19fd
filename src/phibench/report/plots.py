"""Privacy-utility plots."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never open a window

import matplotlib.pyplot as plt


def privacy_utility_plot(metrics: dict[str, Any], path: Path, *, title: str) -> None:
    """Median relative error against total epsilon, log axes, a line per query.

    Points where a query was not released, or its error is zero, are left out
    (a log axis cannot show them); the legend says how many were left out.
    """
    figure, axes = plt.subplots(figsize=(8, 5.5), dpi=120)
    for name, entry in metrics["queries"].items():
        points, n_zero = [], 0
        for eps, scores in entry["by_epsilon"].items():
            error = scores.get("rel_error_median")
            if error is not None and math.isfinite(error) and error > 0:
                points.append((float(eps), error))
            n_zero += error == 0
        n_other = len(entry["by_epsilon"]) - len(points) - n_zero
        notes = [f"{n_zero} ε at zero error"] * bool(n_zero)
        notes += [f"{n_other} ε not released or no data"] * bool(n_other)
        label = f"{name} ({'; '.join(notes)})" if notes else name
        if points:
            points.sort()
            axes.plot(*zip(*points, strict=True), marker="o", label=label)

    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("total epsilon of the release")
    axes.set_ylabel("relative error vs true statistic (median over trials)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
