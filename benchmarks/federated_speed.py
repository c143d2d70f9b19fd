"""Cost of federated training with Flower against pooled training, and of the
deployment runtime against the simulation runtime.

1. Simulation: 10 sites x 20 rounds of logistic regression (FedAvg, one local
   epoch per round) with Flower's simulation runtime (Ray), against the pooled
   model trained for the same 20 epochs on the same training rows, in-process.
   Wall time and peak memory (resident memory summed over this process and
   every process it starts, sampled every 0.2 s from /proc), and their ratios.
2. Deployment: 3 sites x 2 rounds with Flower's deployment runtime (a SuperLink
   and three SuperNodes as separate processes on 127.0.0.1) against the same
   job in the simulation runtime.

    uv run python benchmarks/federated_speed.py [--sites 10] [--rounds 20]
        [--admissions 10000] [--skip-deployment] [--out results.json]

Prints a JSON record; exit 0 (a measurement, no pass/fail goal).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from phibench.data.embedded import generate_cohort
from phibench.federated.baselines import pooled_training_rows, train_rounds
from phibench.federated.env import one_torch_thread
from phibench.federated.model import TrainSettings
from phibench.federated.server_loop import TrainingJob
from phibench.federated.site_store import site_arrays, write_site_folders
from phibench.federated.sites import site_names, split_by_site
from phibench.federated.strategies import StrategyConfig

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(stat[1])
            rss[int(entry.name)] = int(stat[21]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree)


def measured(work: Callable[[], object]) -> dict[str, float]:
    """Wall seconds and peak resident MB of the process tree while `work` runs."""
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(os.getpid()))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"wall_s": round(seconds, 2), "peak_rss_mb": round(peak[0] / 1e6, 1)}


def fedavg_job(n_sites: int, rounds: int, settings: TrainSettings) -> TrainingJob:
    return TrainingJob(
        "fedavg#1",
        StrategyConfig("fedavg", n_sites, federated_evaluation=False),
        "logreg",
        settings,
        rounds,
        1,
    )


def simulation_vs_pooled(cohort: pl.DataFrame, rounds: int) -> dict[str, object]:
    from phibench.federated.simulation import simulate

    settings = TrainSettings(learning_rate=0.2)
    sites = [
        site_arrays(cohort.filter(pl.col("site") == n), n) for n in site_names(cohort)
    ]
    x, y = pooled_training_rows(sites)
    job = fedavg_job(len(sites), rounds, settings)
    pooled = measured(
        lambda: train_rounds(
            x, y, kind="logreg", settings=settings, rounds=rounds, seed=1
        )
    )
    federated = measured(lambda: simulate(cohort, [job], evaluate=None))
    return {
        "sites": len(sites),
        "rounds": rounds,
        "training_rows": int(y.size),
        "pooled": pooled,
        "simulation": federated,
        "ratio_wall": round(federated["wall_s"] / pooled["wall_s"], 1),
        "ratio_peak_rss": round(federated["peak_rss_mb"] / pooled["peak_rss_mb"], 1),
    }


def deployment_vs_simulation(cohort: pl.DataFrame) -> dict[str, object]:
    from phibench.federated.deployment import Consortium
    from phibench.federated.simulation import simulate

    three = cohort.filter(pl.col("site").is_in(site_names(cohort)[:3]))
    settings = TrainSettings(learning_rate=0.2)
    job = fedavg_job(3, 2, settings)
    simulation = measured(lambda: simulate(three, [job], evaluate=None))
    config = {
        "num-server-rounds": 2,
        "strategy": "fedavg",
        "model": "logreg",
        "seed": 1,
        "learning-rate": 0.2,
        "batch-size": 32,
        "local-epochs": 1,
        "n-sites": 3,
        "proximal-mu": 0.0,
        "federated-evaluation": False,
    }
    with tempfile.TemporaryDirectory(prefix="phibench-deploy-") as work:
        consortium = Consortium(Path(work), write_site_folders(three, Path(work) / "s"))

        def deploy() -> None:
            try:
                consortium.start()
                consortium.run(config, timeout=600)
            finally:
                consortium.stop()

        deployment = measured(deploy)
    return {
        "sites": 3,
        "rounds": 2,
        "simulation": simulation,
        "deployment": deployment,
        "ratio_wall": round(deployment["wall_s"] / simulation["wall_s"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--admissions", type=int, default=10_000)
    parser.add_argument("--skip-deployment", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    one_torch_thread()  # as the benchmark does: one PyTorch thread per process

    cohort = generate_cohort(n_admissions=args.admissions, n_sites=args.sites, seed=1)
    cohort = split_by_site(cohort, seed=2)
    record: dict[str, object] = {
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        "simulation_vs_pooled": simulation_vs_pooled(cohort, args.rounds),
    }
    if not args.skip_deployment:
        record["deployment_vs_simulation"] = deployment_vs_simulation(cohort)
    text = json.dumps(record, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
