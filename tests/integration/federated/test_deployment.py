"""Flower's deployment runtime on 127.0.0.1 against its simulation runtime.

Three hospitals, each a separate SuperNode process reading only its own
folder, one SuperLink process, two rounds of FedAvg. The sites are built to
hit the edge cases: one has no deaths (one class), one has fewer training
rows than the batch size.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from phibench.data.embedded import generate_cohort
from phibench.federated.model import TrainSettings
from phibench.federated.server_loop import TrainingJob
from phibench.federated.site_store import write_site_folders
from phibench.federated.sites import split_by_site
from phibench.federated.strategies import StrategyConfig

ROUNDS, SEED, BATCH = 2, 5, 32

pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:unclosed file <_io.*name='/dev/null'.*:ResourceWarning"
    ),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <function Popen.__del__:"
        "pytest.PytestUnraisableExceptionWarning"
    ),
]


def three_sites() -> pl.DataFrame:
    cohort = generate_cohort(n_admissions=900, seed=11)
    normal = cohort.filter(pl.col("site") == "site-A").head(200)
    one_class = cohort.filter(
        (pl.col("site") == "site-B") & ~pl.col("died_in_hospital")
    ).head(60)
    tiny = cohort.filter(pl.col("site") == "site-C").head(30)
    return split_by_site(pl.concat([normal, one_class, tiny]), seed=3)


def job() -> TrainingJob:
    return TrainingJob(
        key="fedavg#1",
        strategy=StrategyConfig("fedavg", 3, federated_evaluation=False),
        kind="logreg",
        settings=TrainSettings(learning_rate=0.2, batch_size=BATCH),
        rounds=ROUNDS,
        seed=SEED,
    )


@pytest.mark.slow
@pytest.mark.server
def test_deployment_runtime_matches_simulation(tmp_path):
    from phibench.federated.deployment import Consortium
    from phibench.federated.simulation import simulate

    cohort = three_sites()
    counts = cohort.group_by("site", "split").len()
    tiny_train = counts.filter(
        (pl.col("site") == "site-C") & (pl.col("split") == "train")
    )
    assert 0 < tiny_train["len"][0] < BATCH
    assert cohort.filter(pl.col("site") == "site-B")["died_in_hospital"].sum() == 0

    finite_rounds: list[int] = []

    def record(training_job, arrays):
        assert all(np.isfinite(a).all() for a in arrays.values())
        return {}

    (simulated,) = simulate(cohort, [job()], evaluate=record)
    finite_rounds = [r["round"] for r in simulated.per_round]
    assert finite_rounds == [0, 1, 2]

    consortium = Consortium(tmp_path, write_site_folders(cohort, tmp_path / "sites"))
    try:
        consortium.start()
        deployed = consortium.run(
            {
                "num-server-rounds": ROUNDS,
                "strategy": "fedavg",
                "model": "logreg",
                "seed": SEED,
                "learning-rate": 0.2,
                "batch-size": BATCH,
                "local-epochs": 1,
                "n-sites": 3,
                "proximal-mu": 0.0,
                "federated-evaluation": False,
            },
            timeout=400,
        )
    finally:
        consortium.stop()
    assert all(p.poll() is not None for p in consortium.processes)

    for key, value in simulated.final_arrays.items():
        np.testing.assert_allclose(
            np.asarray(deployed["arrays"][key]), value, rtol=0, atol=1e-6
        )
    # the model moved: two rounds of training are not a no-op
    initial = np.zeros(1)
    assert not np.allclose(simulated.final_arrays["0.bias"], initial)
    assert deployed["bytes_communicated"] == simulated.bytes_communicated


@pytest.mark.slow
def test_one_site_federation_is_exactly_local_training():
    """Degenerate input: FedAvg over one site is that site's local model."""
    from phibench.federated.baselines import train_rounds
    from phibench.federated.simulation import simulate
    from phibench.federated.site_store import site_arrays

    cohort = three_sites().filter(pl.col("site") == "site-A")
    one = TrainingJob(
        key="fedavg#1",
        strategy=StrategyConfig("fedavg", 1, federated_evaluation=False),
        kind="logreg",
        settings=TrainSettings(learning_rate=0.2, batch_size=BATCH),
        rounds=3,
        seed=SEED,
    )
    (federated,) = simulate(cohort, [one], evaluate=None)
    site = site_arrays(cohort, "site-A")
    local, _ = train_rounds(
        site.x["train"], site.y["train"], kind="logreg", settings=one.settings,
        rounds=3, seed=SEED, site="site-A",
    )  # fmt: skip
    for key, value in local.items():
        np.testing.assert_array_equal(federated.final_arrays[key], value)
