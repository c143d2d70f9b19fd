"""Speed of the dp-analytics benchmark against one-by-one OpenDP context releases.

Measures, in one process:

- the cohort: wall time of `generate_cohort` (reported apart, not compared);
- phibench: `benchmark.run` exactly as the hello benchmark calls it (every
  epsilon of the sweep x `--trials` x all queries), with its own timing record
  (build, invoke, DP and non-DP seconds per release);
- naive: each query released alone through OpenDP's context API
  (`Context.compositor(...)`, `context.query()...release().collect()`), with the
  same prepared frame, per-query (epsilon, delta) share, bounds, candidates,
  contribution cap, declared keys and row bound. Each sampled release pays what a
  context-API user pays: the compositor, the search for the noise scale (and
  threshold) and one pass over the data. The mean time per query is
  extrapolated to the full sweep.

Goal: phibench at least 5x faster than the extrapolated naive sweep; at the
embedded default size (10,000 rows) the hello benchmark also finishes in under a
minute (cohort generation included).

    uv run python benchmarks/dp_analytics_speed.py [--rows 1000000] [--trials 20]
        [--sample 2] [--sample-epsilons 0.1 10] [--seed 1] [--out results.json]

Exit code 0 when every goal is met, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import opendp.prelude as dp
import polars as pl
from opendp.mod import OpenDPException

from phibench.data.embedded import generate_cohort
from phibench.runner import provenance
from phibench.runner.seeds import SeedPlan
from phibench.structured.dp_analytics import benchmark, calibrate, plans
from phibench.structured.dp_analytics.queries import Query

dp.enable_features("contrib")

MIN_SPEEDUP = 5.0
HELLO_MAX_SECONDS = 60.0
EMBEDDED_DEFAULT_ROWS = 10_000


class _Collect(logging.Handler):
    """Keeps WARNING records of the libraries, so the report can list them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def time_phibench(
    cohort: pl.DataFrame, settings: benchmark.Settings, seeds: SeedPlan
) -> dict[str, Any]:
    """Wall time of `benchmark.run` and its own timing record."""
    start = time.perf_counter()
    outcome = benchmark.run(
        cohort,
        settings=settings,
        bootstrap_rng=np.random.default_rng(seeds.bootstrap_seed),
    )
    total = time.perf_counter() - start
    timing = outcome.metrics["timing"]
    not_released = sorted(
        {
            f"{name} at epsilon {key}"
            for key, record in outcome.metrics["privacy"].items()
            for name, query in record["queries"].items()
            if not query["released"]
        }
    )
    return {
        "total_s": total,
        "build_s": timing["build_s"],
        "invoke_s": timing["invoke_s"],
        "dp_s_per_release": timing["dp_s_per_release"],
        "non_dp_s_per_release": timing["reference_s_per_release"],
        "dp_to_non_dp_time_ratio": timing["dp_to_non_dp_time_ratio"],
        "n_passes": {
            key: record["n_passes"]
            for key, record in outcome.metrics["privacy"].items()
        },
        "not_released": not_released,
    }


def naive_plan(base: Any, query: Query) -> Any:
    """The query written as a context-API user would write it.

    `base` is `context.query()`; rows are truncated to the first
    `contribution_cap` admissions per patient (the frame is in admission order),
    then filtered like phibench's plan. A mean is OpenDP's own `dp.mean` (one
    global scale for its sum and count); phibench instead gives each half of the
    share, which costs the same pass over the data.
    """
    where, nullable = plans.filter_key(query)
    if where is not None:
        base = base.filter(pl.col(where))
    if nullable is not None:
        base = base.filter(pl.col(nullable).is_not_null())

    col = pl.col(query.column) if query.column is not None else None
    if query.kind == "count":
        return base.select(dp.len(signed=True))
    if query.kind == "sum":
        return base.select(col.dp.sum(query.bounds))
    if query.kind == "mean":
        return base.select(col.dp.mean(query.bounds))
    if query.kind == "quantile":
        candidates = query.candidates()
        return base.select(
            [col.dp.quantile(a, candidates).alias(f"q{a}") for a in query.levels]
        )
    counts = base.group_by(query.column).agg(dp.len(signed=True))
    if query.kind == "histogram":
        return counts  # undeclared categories: OpenDP searches a threshold
    if query.kind == "count_by":
        return counts.with_keys(pl.LazyFrame({query.column: list(query.keys)}))
    raise NotImplementedError(f"no context-API plan for kind {query.kind!r}")


def naive_release(
    private: pl.LazyFrame,
    query: Query,
    settings: benchmark.Settings,
    *,
    epsilon: float,
    delta: float,
) -> float:
    """Seconds for one release of `query` alone through the context API."""
    start = time.perf_counter()
    context = dp.Context.compositor(
        data=private,
        privacy_unit=dp.unit_of(contributions=1, identifier=settings.unit().identifier),
        privacy_loss=dp.loss_of(epsilon=epsilon, delta=delta if delta > 0 else None),
        split_evenly_over=1,
        margins=[dp.polars.Margin(max_length=settings.max_rows)],
    )
    base = context.query().truncate_per_group(settings.contribution_cap, keep="first")
    naive_plan(base, query).release().collect()
    return time.perf_counter() - start


def time_naive(
    frame: pl.DataFrame,
    settings: benchmark.Settings,
    *,
    n_sample: int,
    sample_epsilons: list[float],
) -> dict[str, dict[str, Any]]:
    """Per query: sampled release times, the epsilons used and any refusals.

    Sample i of every query is taken at total epsilon
    `sample_epsilons[i % len]`, queries interleaved so that slow drift of the
    machine spreads over all of them.
    """
    private = frame.lazy()
    shares = {
        epsilon: calibrate.split_budget(
            settings.queries, epsilon=epsilon, delta=settings.delta
        )
        for epsilon in sample_epsilons
    }
    result = {
        q.name: {"seconds": [], "epsilons": [], "errors": []} for q in settings.queries
    }
    for i in range(n_sample):
        epsilon = sample_epsilons[i % len(sample_epsilons)]
        for query in settings.queries:
            entry = result[query.name]
            eps_share, delta_share = shares[epsilon][query.name]
            try:
                seconds = naive_release(
                    private, query, settings, epsilon=eps_share, delta=delta_share
                )
            except (OpenDPException, NotImplementedError) as error:
                entry["errors"].append(f"epsilon {epsilon:g}: {_first_line(error)}")
                continue
            entry["seconds"].append(seconds)
            entry["epsilons"].append(epsilon)
            print(
                f"  naive {query.name} at epsilon {epsilon:g}: {seconds:.2f} s",
                file=sys.stderr,
            )
    for entry in result.values():
        entry["mean_s"] = (
            statistics.fmean(entry["seconds"]) if entry["seconds"] else None
        )
    return result


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def summarize(
    rows: int,
    settings: benchmark.Settings,
    cohort_s: float,
    phibench: dict[str, Any],
    naive: dict[str, dict[str, Any]],
    comparable: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Extrapolate the naive sample to the full sweep and compare.

    `comparable` is phibench run again without the queries the context API could
    not release (None when there are none); speed-ups are computed against it.
    """
    n_releases = len(settings.epsilons) * settings.trials
    excluded = [name for name, entry in naive.items() if entry["mean_s"] is None]
    per_release = sum(e["mean_s"] for e in naive.values() if e["mean_s"] is not None)
    naive_total = per_release * n_releases
    compared = comparable or phibench
    phibench_releases_s = compared["build_s"] + compared["invoke_s"]
    return {
        "rows": rows,
        "n_queries": len(settings.queries),
        "n_epsilons": len(settings.epsilons),
        "trials": settings.trials,
        "cohort_generation_s": cohort_s,
        "phibench": phibench,
        "phibench_without_excluded": comparable,
        "naive": {
            "per_query": naive,
            "sample_size": sum(len(e["seconds"]) for e in naive.values()),
            "s_per_release_all_queries": per_release,
            "extrapolated_total_s": naive_total,
            "dp_to_non_dp_time_ratio": per_release
            / max(phibench["non_dp_s_per_release"], 1e-9),
            "excluded_queries": excluded,
        },
        "speedup_total": naive_total / compared["total_s"],
        "speedup_build_and_invoke": naive_total / phibench_releases_s,
    }


def goals(summary: dict[str, Any]) -> dict[str, bool]:
    checks = {f"speed-up >= {MIN_SPEEDUP:g}": summary["speedup_total"] >= MIN_SPEEDUP}
    if summary["rows"] == EMBEDDED_DEFAULT_ROWS and summary["trials"] == 20:
        hello_s = summary["cohort_generation_s"] + summary["phibench"]["total_s"]
        checks[f"hello < {HELLO_MAX_SECONDS:g} s"] = hello_s < HELLO_MAX_SECONDS
    return checks


def markdown(summary: dict[str, Any]) -> str:
    p, n = summary["phibench"], summary["naive"]
    total = f"{p['total_s']:.1f}"
    if summary["phibench_without_excluded"] is not None:
        total += f" ({summary['phibench_without_excluded']['total_s']:.1f} compared)"
    lines = [
        "| rows | phibench total s | naive extrapolated s | speed-up "
        "| DP s/release | non-DP s/release | DP/non-DP | naive sample |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {summary['rows']:,} | {total} | {n['extrapolated_total_s']:.0f} "
        f"| {summary['speedup_total']:.1f} | {p['dp_s_per_release']:.3f} "
        f"| {p['non_dp_s_per_release']:.4f} | {p['dp_to_non_dp_time_ratio']:.0f} "
        f"| {n['sample_size']} |",
        "",
        f"cohort generation {summary['cohort_generation_s']:.2f} s (not compared); "
        f"phibench build {p['build_s']:.1f} s + invoke {p['invoke_s']:.1f} s "
        f"(speed-up on these alone {summary['speedup_build_and_invoke']:.1f}); "
        f"naive {n['s_per_release_all_queries']:.2f} s per release of all queries "
        f"(DP/non-DP {n['dp_to_non_dp_time_ratio']:.0f}).",
        "",
        "| query | naive mean s | samples | epsilons | refused |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for name, entry in n["per_query"].items():
        mean = f"{entry['mean_s']:.2f}" if entry["mean_s"] is not None else "-"
        epsilons = ", ".join(f"{e:g}" for e in sorted(set(entry["epsilons"])))
        refused = "; ".join(entry["errors"]) or "-"
        lines.append(
            f"| {name} | {mean} | {len(entry['seconds'])} | {epsilons} | {refused} |"
        )
    if n["excluded_queries"]:
        lines.append(
            "\nnot expressible or always refused through the context API, left out "
            f"of the naive total: {', '.join(n['excluded_queries'])}; speed-ups use "
            "phibench run again without them, "
            f"{summary['phibench_without_excluded']['total_s']:.1f} s"
        )
    return "\n".join(lines)


def measure(
    args: argparse.Namespace, settings: benchmark.Settings, sample_epsilons: list
) -> dict[str, Any]:
    """Both paths on one cohort, with the warnings and machine load seen."""
    seeds = SeedPlan.from_root(args.seed, n_trials=settings.trials)
    load_before = os.getloadavg()
    collected = _Collect()
    for name in ("opendp", "phibench"):
        logging.getLogger(name).addHandler(collected)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        start = time.perf_counter()
        cohort = generate_cohort(n_admissions=args.rows, seed=seeds.data_seed)
        cohort_s = time.perf_counter() - start
        print(f"cohort: {cohort.height:,} rows in {cohort_s:.2f} s", file=sys.stderr)

        phibench = time_phibench(cohort, settings, seeds)
        print(f"phibench: {phibench['total_s']:.1f} s", file=sys.stderr)

        frame = plans.prepare_private_frame(cohort, settings.queries, settings.unit())
        naive = time_naive(
            frame, settings, n_sample=args.sample, sample_epsilons=sample_epsilons
        )

        comparable = None
        kept = tuple(q for q in settings.queries if naive[q.name]["mean_s"] is not None)
        if len(kept) < len(settings.queries):
            subset = replace(settings, queries=kept)
            comparable = time_phibench(cohort, subset, seeds)
    for name in ("opendp", "phibench"):
        logging.getLogger(name).removeHandler(collected)

    summary = summarize(args.rows, settings, cohort_s, phibench, naive, comparable)
    summary["python_warnings"] = dict(
        Counter(f"{w.category.__name__}: {w.message}" for w in caught)
    )
    summary["log_warnings"] = dict(Counter(collected.messages))
    summary["goals"] = goals(summary)
    # Other processes on the machine slow both paths, not necessarily equally.
    summary["load_average_1min"] = {
        "before": load_before[0],
        "after": os.getloadavg()[0],
    }
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument(
        "--sample",
        type=int,
        default=2,
        help="context-API releases timed per query (spread over --sample-epsilons)",
    )
    parser.add_argument(
        "--sample-epsilons",
        type=float,
        nargs="+",
        help="total epsilons the samples are taken at (default: the sweep's "
        "smallest and largest)",
    )
    parser.add_argument("--seed", type=int, default=1, help="root seed (data)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.trials < 1 or args.sample < 1 or args.seed < 0:
        parser.error("--rows, --trials and --sample must be >= 1, --seed >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = benchmark.Settings.from_spec({"trials": args.trials})
    sample_epsilons = args.sample_epsilons or [
        min(settings.epsilons),
        max(settings.epsilons),
    ]
    if any(e not in settings.epsilons for e in sample_epsilons):
        print(
            f"--sample-epsilons {sample_epsilons}: each must be one of the sweep's "
            f"epsilons {list(settings.epsilons)}",
            file=sys.stderr,
        )
        return 2

    summary = measure(args, settings, sample_epsilons)
    print(markdown(summary))
    for label, counts in (
        ("Python warnings", summary["python_warnings"]),
        ("logged warnings", summary["log_warnings"]),
    ):
        for message, count in counts.items():
            print(f"{label} ({count}x): {message}")
    load = summary["load_average_1min"]
    print(
        f"load average (1 min) before {load['before']:.1f}, after {load['after']:.1f}"
        f" on {os.cpu_count()} CPUs"
    )
    print("goals: " + ", ".join(f"{k}: {v}" for k, v in summary["goals"].items()))

    if args.out:
        summary["meta"] = {
            **provenance.library_versions(),
            **provenance.platform_record(),
            "cpus": os.cpu_count(),
            "seed": args.seed,
            "sample_epsilons": sample_epsilons,
            "sample_per_query": args.sample,
        }
        args.out.write_text(json.dumps(summary, indent=2))
    return 0 if all(summary["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
