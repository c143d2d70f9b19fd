"""Run a plan of training jobs in Flower's simulation runtime (Ray backend).

Flower 1.42 marks `flwr.simulation.run_simulation` deprecated in favour of
`flwr run` with a packaged app. `flwr run` would start a detached local server
on fixed ports, package the app and run it in subprocesses, which on a shared
two-core machine made benchmark runs slow and fragile, and it cannot hand the
benchmark's evaluation back in memory. So the benchmark uses the in-process
entry point, which starts the same simulation engine (ADR 0011), and filters
exactly its deprecation notice. The deployment runtime is exercised separately
(phibench.federated.deployment).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from phibench.federated.env import configure_flower
from phibench.federated.server_loop import (
    Evaluate,
    JobOutcome,
    TrainingJob,
    make_server_app,
)
from phibench.federated.site_store import write_site_folders

logger = logging.getLogger(__name__)

#: Ray's share of the shared machine: one CPU per client actor, at most 2
#: actors, a small object store (Ray's minimum is about 75 MB).
RAY_NUM_CPUS = 2
RAY_OBJECT_STORE_BYTES = 100 * 1024**2


def simulate(
    cohort: pl.DataFrame,
    plan: list[TrainingJob],
    *,
    evaluate: Evaluate | None,
) -> list[JobOutcome]:
    """Every job of `plan`, one virtual client per site of `cohort`."""
    configure_flower()
    from flwr.simulation import run_simulation

    from phibench.federated.apps import make_client_app

    sink: list[JobOutcome] = []
    with (
        tempfile.TemporaryDirectory(prefix="phibench-fl-sites-") as sites_root,
        tempfile.TemporaryDirectory(prefix="phibench-ray-") as ray_dir,
        quiet_flower(),
    ):
        folders = write_site_folders(cohort, Path(sites_root))
        client = make_client_app(tuple(str(folder) for folder in folders))
        server = make_server_app(plan, evaluate, sink)
        run_simulation(
            server_app=server,
            client_app=client,
            num_supernodes=len(folders),
            backend_config=_backend_config(ray_dir),
        )
    if len(sink) != len(plan):
        raise RuntimeError(
            f"the simulation finished {len(sink)} of {len(plan)} training jobs; "
            "see run.log for Flower's error"
        )
    return sink


def _backend_config(ray_dir: str) -> dict:
    return {
        "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
        "init_args": {
            "num_cpus": RAY_NUM_CPUS,
            "num_gpus": 0,
            "object_store_memory": RAY_OBJECT_STORE_BYTES,
            "_temp_dir": ray_dir,
            "_node_ip_address": "127.0.0.1",  # nothing listens beyond loopback
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
        },
    }


class _DropRunSimulationNotice(logging.Filter):
    """Drops only Flower's notice that `run_simulation` is deprecated."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("DEPRECATED FEATURE" in text and "run_simulation" in text)


@contextlib.contextmanager
def quiet_flower() -> Iterator[None]:
    """Flower's console output down to warnings while a run lasts; its INFO
    records (noise applied, rounds) still reach run.log through `phibench`'s
    file handler, which is attached to the `flwr` logger by the runner."""
    flower = logging.getLogger("flwr")
    notice = _DropRunSimulationNotice()
    flower.addFilter(notice)
    consoles = [
        h
        for h in flower.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
    ]
    levels = [h.level for h in consoles]
    for handler in consoles:
        handler.setLevel(logging.WARNING)
    try:
        yield
    finally:
        flower.removeFilter(notice)
        for handler, level in zip(consoles, levels, strict=True):
            handler.setLevel(level)
