"""Results of a synthetic run: metrics.json layout, tables, plot, MLflow numbers."""

from __future__ import annotations

import csv
import math
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from phibench.synthetic.benchmark import HEADLINE, Settings, config_key, configurations
from phibench.synthetic.generators import DP_GENERATORS
from phibench.synthetic.measure import summarize
from phibench.synthetic.table import OUTCOME

TABLE_COLUMNS = tuple(HEADLINE)


def metrics_record(
    outcome: dict[str, Any], table: pl.DataFrame, settings: Settings
) -> dict[str, Any]:
    configs = {}
    for name, epsilon in configurations(settings):
        key = config_key(name, epsilon)
        configs[key] = {
            "generator": name,
            "epsilon": epsilon,
            "privacy_unit": "patient" if epsilon is not None else None,
            "summary": outcome["summary"][key],
            "subgroups_tstr_auroc": subgroup_summary(outcome["per_repeat"][key]),
            "per_repeat": outcome["per_repeat"][key],
        }
    return {
        "cohort": {
            "n_rows": table.height,
            "n_patients": table["patient_id"].n_unique(),
            "n_deaths": int(table[OUTCOME].sum()),
            "splits": outcome["sizes"],
        },
        "repeats": settings.repeats,
        "trtr": outcome["trtr"],
        "configurations": configs,
    }


def subgroup_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """TSTR AUROC per subgroup (sex, age band, race) over repeats."""
    groups: dict[str, list[float]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for record in records:
        tstr = record.get("utility", {}).get("tstr", {})
        for name, entry in tstr.get("subgroups", {}).items():
            groups.setdefault(name, []).append(entry["auroc"])
            sizes[name] = (entry["n"], entry["n_deaths"])
    return {
        name: summarize(values)
        | {"n_holdout_last_repeat": sizes[name][0], "n_deaths": sizes[name][1]}
        for name, values in sorted(groups.items())
    }


def criteria_view(metrics: dict[str, Any]) -> dict[str, Any]:
    """The layout `phibench.spec.criteria` reads: generator -> epsilon -> scores."""
    queries: dict[str, Any] = {}
    for entry in metrics["configurations"].values():
        if entry["epsilon"] is None:
            continue
        scores = {f"{k}_mean": v["mean"] for k, v in entry["summary"].items()}
        scores |= {k: v["mean"] for k, v in entry["summary"].items()}
        by_eps = queries.setdefault(entry["generator"], {"by_epsilon": {}})[
            "by_epsilon"
        ]
        by_eps[f"{entry['epsilon']:g}"] = scores
    return {
        "cohort": {"n_patients": metrics["cohort"]["n_patients"]},
        "trials": metrics["repeats"],
        "queries": queries,
    }


def params_record(settings: Settings, outcome: dict[str, Any]) -> dict[str, Any]:
    dp_records = {}
    for key, records in outcome["per_repeat"].items():
        if records and records[0]["generator"].get("epsilon_spent") is not None:
            dp_records[key] = records[0]["generator"]
    return {
        "generators": list(settings.generators),
        "epsilons": list(settings.epsilons),
        "delta": settings.delta,
        "privacy": {
            "privacy_unit": "patient",
            "contribution_cap": settings.contribution_cap,
            "rule": f"the first {settings.contribution_cap} admission(s) of each "
            "patient in time; epsilon covers the whole DP generator, binning and "
            "category discovery included",
            "dp_generators": dp_records,
        },
        "repeats": settings.repeats,
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "holdout_share": settings.holdout_share,
        "n_rows": settings.n_rows,
        "max_eval_rows": settings.max_eval_rows,
        "n_attacks": settings.n_attacks,
        "utility_model": "logistic regression (max_iter 2000) after median "
        "imputation with indicators, scaling and one-hot encoding",
    }


def versions(names: tuple[str, ...]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per generator x epsilon: mean and CI of every headline metric."""
    out = []
    for key, entry in metrics["configurations"].items():
        row: dict[str, Any] = {
            "configuration": key,
            "epsilon": entry["epsilon"],
            "privacy_unit": entry["privacy_unit"] or "none (not DP)",
        }
        for name in TABLE_COLUMNS:
            summary = entry["summary"][name]
            row[name] = summary["mean"]
            row[f"{name}_ci95_low"] = summary["ci95_low"]
            row[f"{name}_ci95_high"] = summary["ci95_high"]
        out.append(row)
    return out


def write_tables(metrics: dict[str, Any], folder: Path) -> None:
    table = rows(metrics)
    with (folder / "results.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    (folder / "results.md").write_text(markdown_table(metrics) + "\n", encoding="utf-8")


def markdown_table(
    metrics: dict[str, Any], columns: tuple[str, ...] = TABLE_COLUMNS
) -> str:
    trtr = metrics["trtr"]["auroc"]
    lines = [
        f"TRTR AUROC (real training rows): {_cell(trtr)}; mean [95% CI] over "
        f"{metrics['repeats']} repeats",
        "",
        "| configuration | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for key, entry in metrics["configurations"].items():
        cells = [_cell(entry["summary"][c]) for c in columns]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(summary: dict[str, Any]) -> str:
    mean = summary.get("mean")
    if mean is None or not math.isfinite(mean):
        return "n/a"
    low, high = summary.get("ci95_low"), summary.get("ci95_high")
    if low is None or not math.isfinite(low):
        return f"{mean:.3g}"
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def mlflow_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Means and CI bounds of the headline metrics (aggregates only)."""
    flat: dict[str, float] = {}
    for key, entry in metrics["configurations"].items():
        for name, summary in entry["summary"].items():
            for stat in ("mean", "ci95_low", "ci95_high"):
                if math.isfinite(summary[stat]):  # e.g. no epsilon for SDV
                    flat[f"{key}.{name}.{stat}"] = summary[stat]
    flat["trtr.auroc.mean"] = metrics["trtr"]["auroc"]["mean"]
    for criterion in metrics["criteria"]:
        if criterion["outcome"] != "not_applicable":
            flat[f"criterion.{criterion['id']}"] = float(criterion["outcome"] == "pass")
    return flat


def privacy_utility_plot(metrics: dict[str, Any], path: Path, *, title: str) -> None:
    """TSTR AUROC vs epsilon for DP generators; non-DP ones as reference lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5.5), dpi=120)
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 3)
    curves: dict[str, list[tuple[float, float, float, float]]] = {}
    for entry in metrics["configurations"].values():
        s = entry["summary"]["tstr_auroc"]
        if entry["generator"] in DP_GENERATORS:
            point = (entry["epsilon"], s["mean"], s["ci95_low"], s["ci95_high"])
            curves.setdefault(entry["generator"], []).append(point)
        elif _finite(s["mean"]):
            label = f"{entry['generator']} (not DP)"
            axes.axhline(s["mean"], color=next(colours), linestyle="--", label=label)
    trtr = metrics["trtr"]["auroc"]["mean"]
    if _finite(trtr):
        axes.axhline(trtr, color="black", linewidth=1.5, label="TRTR (real data)")
    for name, points in curves.items():
        shown = sorted(p for p in points if _finite(p[1]))
        missing = len(points) - len(shown)
        label = f"{name} (DP, patient unit)"
        if missing:
            label += f"; undefined at {missing} ε (single-class synthetic outcome)"
        if not shown:
            axes.plot([], [], marker="o", color=next(colours), label=label)
            continue
        eps, mean, low, high = zip(*shown, strict=True)
        below = [m - lo if _finite(lo) else 0 for m, lo in zip(mean, low, strict=True)]
        above = [hi - m if _finite(hi) else 0 for m, hi in zip(mean, high, strict=True)]
        axes.errorbar(
            eps,
            mean,
            yerr=[below, above],
            marker="o",
            capsize=3,
            color=next(colours),
            label=label,
        )
    axes.set_ylim(0, 1)
    swept = [e["epsilon"] for e in metrics["configurations"].values()]
    swept = [e for e in swept if _finite(e) and e > 0]
    axes.set_xscale("log")
    axes.set_xlim(min(swept, default=1.0) / 2, max(swept, default=10.0) * 2)
    axes.set_xlabel("total epsilon of the generator (patient unit)")
    axes.set_ylabel("TSTR AUROC on the real holdout (mean, 95% CI)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(value)
