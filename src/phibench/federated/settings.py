"""Settings of a federated benchmark run, validated once at the boundary.

Kept free of Flower and PyTorch imports so that the CLI can check flags
without the 'federated' extra.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from phibench.errors import InputError

STRATEGIES = ("fedavg", "fedprox", "dp-fedavg", "dp-fedavg-client")
DP_STRATEGIES = ("dp-fedavg", "dp-fedavg-client")
MODELS = ("logreg", "mlp")
MAX_ROUNDS = 1000
MAX_CLIPPING_NORM = 1e4


@dataclass(frozen=True)
class Settings:
    strategies: tuple[str, ...] = ("fedavg", "fedprox", "dp-fedavg")
    rounds: int = 20
    model: str = "logreg"
    repeats: int = 3
    epsilons: tuple[float, ...] = (1.0, 8.0)
    delta: float = 1e-5
    clipping_norm: float = 0.5
    proximal_mu: float = 0.1
    learning_rate: float = 0.2
    batch_size: int = 32
    local_epochs: int = 1
    min_site_size: int = 200
    target_auroc: float = 0.70
    leave_one_site_out: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    def validate(self) -> Settings:
        """InputError naming the first bad setting; returns self."""
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown or not self.strategies:
            raise InputError(
                f"--strategy {','.join(self.strategies)!r}: unknown strategy "
                f"{(unknown or [''])[0]!r}; choose from {', '.join(STRATEGIES)}"
            )
        _once("--strategy", self.strategies, "use --repeats for repeated runs")
        _once("--epsilons", self.epsilons, "each epsilon is one DP run")
        _integer("--rounds", self.rounds, 1, MAX_ROUNDS)
        if self.model not in MODELS:
            raise InputError(
                f"--model {self.model!r}: choose one of {', '.join(MODELS)}"
            )
        _integer("--repeats", self.repeats, 1, 100)
        _integer("--min-site-size", self.min_site_size, 1, 10**9)
        _integer("--batch-size", self.batch_size, 1, 10**6)
        _integer("--local-epochs", self.local_epochs, 1, 1000)
        if any(s in DP_STRATEGIES for s in self.strategies) and not self.epsilons:
            raise InputError("--epsilons: DP strategies need at least one epsilon")
        _positive("--delta", self.delta, upper=1.0)
        # an update's norm after local training is below 10 here; a norm far
        # above it only scales the noise (and overflows float32 near 1e38)
        _positive("--clipping-norm", self.clipping_norm, upper=MAX_CLIPPING_NORM)
        _positive("--learning-rate", self.learning_rate)
        if not (math.isfinite(self.proximal_mu) and self.proximal_mu >= 0):
            raise InputError(f"--proximal-mu {self.proximal_mu}: must be >= 0")
        if self.proximal_mu * self.learning_rate >= 2:
            # SGD on mu/2 ||w - w0||^2 alone multiplies the distance by
            # |1 - lr mu| per step: it diverges once lr mu >= 2.
            raise InputError(
                f"--proximal-mu {self.proximal_mu} with learning rate "
                f"{self.learning_rate}: learning rate x mu must be below 2 or local "
                "training diverges; lower mu"
            )
        if not 0.5 <= self.target_auroc <= 1:
            raise InputError(f"--target-auroc {self.target_auroc}: must be in [0.5, 1]")
        return self


def _once(flag: str, values: tuple, hint: str) -> None:
    seen: set = set()
    for value in values:
        if value in seen:
            listed = ",".join(f"{v:g}" if isinstance(v, float) else v for v in values)
            shown = f"{value:g}" if isinstance(value, float) else value
            raise InputError(
                f"{flag} {listed!r}: {shown!r} is given twice; list each once ({hint})"
            )
        seen.add(value)


def _integer(flag: str, value: object, low: int, high: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise InputError(
            f"{flag} {value!r}: must be a whole number from {low} to {high}"
        )


def _positive(flag: str, value: float, upper: float = math.inf) -> None:
    if not (math.isfinite(value) and 0 < value < upper):
        bound = "" if upper == math.inf else f" and below {upper:g}"
        raise InputError(f"{flag} {value}: must be a finite number above 0{bound}")
