"""The benchmarks phibench can run, with the spec each one follows."""

from __future__ import annotations

from phibench.spec.schema import BenchmarkSpec, packaged_ids, packaged_spec


def available() -> list[BenchmarkSpec]:
    """Every packaged benchmark specification, by id."""
    return [packaged_spec(benchmark_id) for benchmark_id in packaged_ids()]
