"""Render a benchmark specification as a readable Markdown document."""

from __future__ import annotations

from phibench.spec.schema import BenchmarkSpec


def render_spec(spec: BenchmarkSpec) -> str:
    lines = [
        f"# {spec.title} (`{spec.id}`)",
        "",
        f"*Data type:* {spec.data_type}. *Datasets:* {', '.join(spec.datasets)}.",
        "",
        "## Task",
        "",
        spec.task.strip(),
        "",
        "## Privacy unit",
        "",
        spec.privacy_unit.strip(),
        "",
        "## Inputs",
        "",
        *[f"- **{io.name}**: {io.description.strip()}" for io in spec.inputs],
        "",
        "## Outputs",
        "",
        *[f"- **{io.name}**: {io.description.strip()}" for io in spec.outputs],
        "",
        "## Defaults",
        "",
        *[f"- `{key}`: {value}" for key, value in spec.defaults.items()],
        "",
        "## Metrics",
        "",
        "| metric | direction | range | unit | meaning |",
        "|---|---|---|---|---|",
        *[
            f"| {m.name} | {m.direction.replace('_', ' ')} | "
            f"[{m.range[0]:g}, {m.range[1]:g}] | {m.unit} | {m.description.strip()} |"
            for m in spec.metrics
        ],
        "",
        "## Pass/fail criteria",
        "",
        "| id | rule | applies from |",
        "|---|---|---|",
        *[
            f"| {c.id} | {c.query}: {c.metric}{_at(c.at_epsilon)} {c.op} "
            f"{c.threshold:g} | {c.min_patients} patients, {c.min_trials} trials |"
            for c in spec.criteria
        ],
        "",
        "A criterion that does not apply (cohort too small) is neither pass nor fail.",
        "",
    ]
    return "\n".join(lines)


def _at(epsilon: float | None) -> str:
    return "" if epsilon is None else f" at ε = {epsilon:g}"
