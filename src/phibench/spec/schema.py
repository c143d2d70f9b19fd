"""The schema of a benchmark specification and its loader.

A specification says what a benchmark takes, produces and measures, and the
pass/fail criteria a run is judged by. It is data (YAML), validated here with
pydantic so that a typo is a one-line error naming the field, not a run that
silently checks nothing.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from phibench.errors import SpecError
from phibench.yaml_input import parse_yaml

Direction = Literal["lower_is_better", "higher_is_better", "closer_to_target"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricSpec(_Strict):
    name: str
    direction: Direction
    range: tuple[float, float]
    unit: str
    description: str


class Criterion(_Strict):
    """A pass/fail rule on one metric of one query at one epsilon.

    Judged on `statistic` (e.g. the median over trials) of `metric`. It is not
    applicable (neither pass nor fail) when the cohort has fewer than
    `min_patients` patients or the run fewer than `min_trials` trials.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str
    query: str
    metric: str
    # None: the criterion is not tied to a DP release (e.g. a non-private model)
    at_epsilon: float | None = Field(default=None, gt=0)
    op: Literal["<=", ">=", "<", ">"]
    threshold: float
    min_patients: int = Field(default=0, ge=0)
    min_trials: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _finite(self) -> Criterion:
        epsilon = 1.0 if self.at_epsilon is None else self.at_epsilon
        if not math.isfinite(self.threshold) or not math.isfinite(epsilon):
            raise ValueError("threshold and at_epsilon must be finite numbers")
        return self


class Io(_Strict):
    name: str
    description: str


class BenchmarkSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    data_type: Literal["structured", "text"]
    summary: str = Field(max_length=100)
    task: str
    privacy_unit: str
    inputs: list[Io] = Field(min_length=1)
    outputs: list[Io] = Field(min_length=1)
    datasets: list[str] = Field(min_length=1)
    defaults: dict[str, object] = Field(default_factory=dict)
    metrics: list[MetricSpec] = Field(min_length=1)
    criteria: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> BenchmarkSpec:
        names = {metric.name for metric in self.metrics}
        for criterion in self.criteria:
            base = criterion.metric.removesuffix("_median").removesuffix("_p95")
            if base not in names and criterion.metric not in names:
                raise ValueError(
                    f"criterion {criterion.id!r} uses metric {criterion.metric!r}, "
                    f"which the spec does not define (defined: {sorted(names)})"
                )
        ids = [criterion.id for criterion in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError(f"criterion ids must be unique, got {ids}")
        return self


def load_spec(path: Path | str) -> BenchmarkSpec:
    """Read and validate a specification file; SpecError on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(
            f"{path}: cannot read the spec file ({error.strerror})"
        ) from None
    return parse_spec(text, source=str(path))


def parse_spec(text: str, *, source: str) -> BenchmarkSpec:
    data = parse_yaml(text, source=source, error=SpecError)
    if not isinstance(data, dict):
        raise SpecError(
            f"{source}: a spec must be a YAML mapping with keys id, title, ..."
        )
    try:
        return BenchmarkSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise SpecError(
            f"{source}: field {field}: {first['msg']} "
            f"({error.error_count()} problem(s) in all)"
        ) from None


def packaged_spec(benchmark_id: str) -> BenchmarkSpec:
    """The specification shipped with phibench for `benchmark_id`."""
    name = f"{benchmark_id}.yaml"
    files = resources.files("phibench.spec") / "benchmarks" / name
    return parse_spec(files.read_text(encoding="utf-8"), source=f"phibench:{name}")


def packaged_ids() -> list[str]:
    folder = resources.files("phibench.spec") / "benchmarks"
    return sorted(
        p.name.removesuffix(".yaml")
        for p in folder.iterdir()
        if p.name.endswith(".yaml")
    )
