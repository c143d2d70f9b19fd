"""The ServerApp a consortium runs under Flower's deployment runtime.

Settings come from the run config (`flwr run --run-config`); it trains one
model with the same Flower strategy and client code as the simulation and
writes the final parameters and Flower's federated evaluation to
`result-path` on the server's machine. It never sees a site's rows.
"""

from __future__ import annotations

import json
from pathlib import Path

from phibench.federated.env import configure_flower

configure_flower()

from flwr.app import Context  # noqa: E402
from flwr.serverapp import Grid, ServerApp  # noqa: E402

from phibench.federated.model import TrainSettings  # noqa: E402
from phibench.federated.server_loop import TrainingJob, run_job  # noqa: E402
from phibench.federated.strategies import StrategyConfig  # noqa: E402

server_app = ServerApp()


def job_from_config(config: dict) -> TrainingJob:
    """The training job described by a run config."""
    strategy = StrategyConfig(
        str(config["strategy"]),
        int(config["n-sites"]),
        proximal_mu=float(config["proximal-mu"]),
        federated_evaluation=bool(config.get("federated-evaluation", True)),
    )
    settings = TrainSettings(
        learning_rate=float(config["learning-rate"]),
        batch_size=int(config["batch-size"]),
        local_epochs=int(config["local-epochs"]),
    )
    return TrainingJob(
        key="deployment",
        strategy=strategy,
        kind=str(config["model"]),
        settings=settings,
        rounds=int(config["num-server-rounds"]),
        seed=int(config["seed"]),
    )


@server_app.main()
def main(grid: Grid, context: Context) -> None:
    config = dict(context.run_config)
    outcome = run_job(grid, job_from_config(config))
    result = Path(str(config["result-path"]))
    arrays = {key: value.tolist() for key, value in outcome.final_arrays.items()}
    payload = {
        "arrays": arrays,
        "federated_evaluation": outcome.client_evaluation,
        "bytes_communicated": outcome.bytes_communicated,
    }
    partial = result.with_suffix(".partial")
    partial.write_text(json.dumps(payload), encoding="utf-8")
    partial.replace(result)
