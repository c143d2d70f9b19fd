"""The ServerApp's work: one Flower training run per job, on the same grid.

One simulation runtime serves all jobs of a benchmark run (strategies, seeded
repeats, leave-one-site-out), so Ray starts once. Each job gets a fresh Flower
strategy and, for DP, a fresh accountant. The global model of every round is
kept, checked finite, for `score_rounds`: the benchmark's instrument, not part
of the federation, which scores it on the union of the sites' test splits (a
consortium would have each site score it locally; the numbers are the same).
Scoring happens in the benchmark's own process, after the simulation process
has ended (phibench.federated.simulation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from phibench.federated import apps
from phibench.federated.model import TrainSettings
from phibench.federated.strategies import StrategyConfig, build_strategy, check_finite

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingJob:
    key: str  # e.g. "fedavg/repeat-1", "loso/site-003"
    strategy: StrategyConfig
    kind: str
    settings: TrainSettings
    rounds: int
    seed: int
    held_out_site: str = ""


@dataclass
class JobOutcome:
    job: TrainingJob
    round_arrays: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    per_round: list[dict[str, Any]] = field(default_factory=list)
    client_evaluation: dict[int, dict[str, float]] = field(default_factory=dict)
    final_arrays: dict[str, Any] = field(default_factory=dict)
    epsilon: float | None = None
    bytes_communicated: int = 0


Evaluate = Callable[[TrainingJob, dict[str, Any]], dict[str, Any]]


def run_job(grid: Any, job: TrainingJob) -> JobOutcome:
    """Train one global model with Flower's strategy for `job.rounds` rounds."""
    strategy, accountant = build_strategy(job.strategy)
    outcome = JobOutcome(job)
    initial = apps.initial_arrays(job.kind, seed=job.seed)

    def evaluate_fn(server_round: int, arrays: Any) -> None:
        numpy_arrays = apps.as_numpy(arrays)
        check_finite(list(numpy_arrays.values()), server_round=server_round)
        outcome.round_arrays.append((server_round, numpy_arrays))
        return None

    result = strategy.start(
        grid=grid,
        initial_arrays=initial,
        num_rounds=job.rounds,
        train_config=apps.train_config(
            kind=job.kind,
            settings=job.settings,
            seed=job.seed,
            held_out_site=job.held_out_site,
        ),
        evaluate_config=apps.evaluate_config(job.kind),
        evaluate_fn=evaluate_fn,
    )
    outcome.final_arrays = apps.as_numpy(result.arrays)
    outcome.client_evaluation = {
        int(r): {k: float(v) for k, v in record.items()}
        for r, record in result.evaluate_metrics_clientapp.items()
    }
    if accountant is not None:
        outcome.epsilon = accountant.get_privacy_spent().epsilon
    # per round and site: the model down and up for training, down for evaluation
    messages = 3 if job.strategy.federated_evaluation else 2
    per_round = messages * job.strategy.n_sites * apps.payload_bytes(initial)
    outcome.bytes_communicated = job.rounds * per_round
    logger.info("job %s: %d rounds done", job.key, job.rounds)
    return outcome


def score_rounds(outcome: JobOutcome, evaluate: Evaluate | None) -> JobOutcome:
    """`outcome.per_round`: each round's global model scored by `evaluate`."""
    outcome.per_round = [
        {"round": number, **(evaluate(outcome.job, arrays) if evaluate else {})}
        for number, arrays in outcome.round_arrays
    ]
    return outcome


def make_server_app(
    plan: list[TrainingJob], sink: list[JobOutcome], failures: list[BaseException]
):
    """A ServerApp that runs every job of `plan` and appends outcomes to `sink`;
    the error that stops it goes to `failures` (Flower only logs it)."""
    from flwr.serverapp import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        try:
            for job in plan:
                sink.append(run_job(grid, job))
        except BaseException as error:
            failures.append(error)
            raise

    return app
