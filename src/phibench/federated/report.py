"""The headline table of a federated run and its flat MLflow metrics."""

from __future__ import annotations

from typing import Any


def results_table(metrics: dict[str, Any]) -> str:
    """Markdown: one row per method, means over repeats with 95% intervals."""
    lines = [
        "| method | global AUROC | global AUPRC | gap to pooled | worst site "
        "(AUROC) | rounds to target | MB sent | ε spent |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in metrics["methods"].items():
        worst = entry["worst_site"]
        privacy = entry.get("privacy")
        cells = [
            name,
            _interval(entry["global_auroc"]),
            _interval(entry["global_auprc"]),
            _interval(entry["gap_to_pooled"]),
            f"{worst['site']} ({_num(worst['auroc'])})" if worst["site"] else "-",
            _rounds(entry["rounds_to_target"]) if entry["kind"] == "federated" else "-",
            f"{entry['bytes_communicated'] / 1e6:.3f}",
            _num(privacy["epsilon_spent"]) if privacy else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def loso_table(metrics: dict[str, Any]) -> str:
    lines = [
        "| held-out site | AUROC | AUPRC | rows | deaths |",
        "|---|---|---|---|---|",
    ]
    for site, entry in metrics["leave_one_site_out"].items():
        lines.append(
            f"| {site} | {_num(entry['auroc'])} | {_num(entry['auprc'])} | "
            f"{entry['n']} | {entry['n_deaths']} |"
        )
    return "\n".join(lines)


def _interval(entry: dict[str, Any]) -> str:
    if entry["mean"] is None:
        return "-"
    if entry["low"] is None:
        return f"{entry['mean']:.3f}"
    return f"{entry['mean']:.3f} [{entry['low']:.3f}, {entry['high']:.3f}]"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    # an ε of 1e300 would print 300 digits
    return f"{value:.3f}" if abs(value) < 1e5 else f"{value:.3g}"


def _rounds(values: list[int | None]) -> str:
    return ", ".join("never" if v is None else str(v) for v in values)


def mlflow_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Aggregates only: per method the headline means, per criterion pass/fail."""
    flat: dict[str, float] = {}
    for name, entry in metrics["methods"].items():
        key = name.replace(" ", "_").replace("=", "")
        for metric in ("global_auroc", "global_auprc", "gap_to_pooled"):
            if entry[metric]["mean"] is not None:
                flat[f"{key}.{metric}"] = entry[metric]["mean"]
        if entry["worst_site"]["auroc"] is not None:
            flat[f"{key}.worst_site_auroc"] = entry["worst_site"]["auroc"]
        flat[f"{key}.bytes_communicated"] = float(entry["bytes_communicated"])
        if entry.get("privacy"):
            flat[f"{key}.epsilon_spent"] = entry["privacy"]["epsilon_spent"]
    for criterion in metrics["criteria"]:
        if criterion["outcome"] != "not_applicable":
            flat[f"criterion.{criterion['id']}"] = float(criterion["outcome"] == "pass")
    return flat
