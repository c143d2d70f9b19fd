"""Benchmark specifications: one validated YAML file per benchmark."""

from phibench.spec.schema import BenchmarkSpec, Criterion, load_spec, packaged_spec

__all__ = ["BenchmarkSpec", "Criterion", "load_spec", "packaged_spec"]
