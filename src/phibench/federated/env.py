"""Flower and PyTorch set up for a shared, offline machine.

Flower 1.42 reports usage, checks for updates and (under `flwr run`) installs an
app's dependencies from the package index into a fresh environment, ignoring
the project's lock. All three are switched off here, before Flower is imported,
and the processes that run Flower give it a home folder of their own, so that
nothing lands in the user's `~/.flwr`. See docs/decisions/0011 and 0012.
"""

from __future__ import annotations

import os
from pathlib import Path

from phibench.errors import InputError

EXTRA_HINT = "needs the 'federated' extra: run `uv sync --extra federated`"

FLOWER_ENV_DEFAULTS = {
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    # Ray's single-machine mode: its own address is loopback, not found by a
    # UDP connect towards a public DNS server.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    # Ray 2.55 re-runs `uv run` in every worker when the driver was started by
    # `uv run`, re-resolving the project per worker (tens of seconds): off.
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
    "RAY_DEDUP_LOGS": "0",
    "RAY_DISABLE_IMPORT_WARNING": "1",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
}


def configure_flower(home: Path | None = None) -> Path | None:
    """Set Flower's and Ray's offline switches and, given `home`, FLWR_HOME.

    Switches and a FLWR_HOME the user already set are kept. Importing Flower
    writes nothing; running it does, so only the processes that run Flower
    pass a `home` (the simulation's work folder, a deployment's folder).
    Returns the FLWR_HOME in use, if any.
    """
    for name, value in FLOWER_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if home is not None and "FLWR_HOME" not in os.environ:
        home.mkdir(parents=True, exist_ok=True)
        os.environ["FLWR_HOME"] = str(home)
    folder = os.environ.get("FLWR_HOME")
    return Path(folder) if folder else None


def require_extra() -> None:
    """InputError with the install command when Flower or PyTorch is missing."""
    import importlib.util

    missing = [
        name
        for name in ("flwr", "torch", "sklearn", "dp_accounting")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise InputError(
            f"phibench run federated {EXTRA_HINT} (missing: {', '.join(missing)})"
        )


def one_torch_thread() -> None:
    """One intra-op thread per process: the machine is shared and has 2 cores."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
