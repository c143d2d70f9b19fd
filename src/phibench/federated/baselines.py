"""The two baselines: pooled (all sites' training rows together) and local-only.

Both use the federated clients' training loop and are trained for as many
epochs as a federated run has rounds times local epochs, so a gap between them
and the federation is due to where the data is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from phibench.federated import model as models
from phibench.federated.features import feature_names
from phibench.federated.site_store import SiteArrays

Curve = list[tuple[int, float | None]]


def pooled_training_rows(sites: list[SiteArrays]) -> tuple[np.ndarray, np.ndarray]:
    """Every site's train split stacked (only the pooled baseline does this)."""
    x = np.concatenate([site.x["train"] for site in sites])
    y = np.concatenate([site.y["train"] for site in sites])
    return x, y


def train_rounds(
    x: np.ndarray,
    y: np.ndarray,
    *,
    kind: str,
    settings: models.TrainSettings,
    rounds: int,
    seed: int,
    site: str = "pooled",
    score: Callable[[dict[str, np.ndarray]], float | None] | None = None,
) -> tuple[dict[str, np.ndarray], Curve]:
    """Train one model for `rounds` x local epochs; score after each round.

    The model starts from the same initial weights as the federated run with
    the same seed, and a site's batches come in the order its federated client
    would draw them.
    """
    model = models.build_model(kind, len(feature_names()), seed=seed)
    plain = models.TrainSettings(
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        local_epochs=settings.local_epochs,
    )
    curve: Curve = []
    if score is not None:
        curve.append((0, score(models.get_arrays(model))))
    for server_round in range(1, rounds + 1):
        batch_seed = models.client_seed(seed, server_round, site)
        models.train_local(model, x, y, settings=plain, seed=batch_seed)
        if score is not None:
            curve.append((server_round, score(models.get_arrays(model))))
    return models.get_arrays(model), curve


def predict_with(kind: str, arrays: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Probabilities of death from a model given by its arrays."""
    model = models.build_model(kind, len(feature_names()), seed=0)
    models.set_arrays(model, arrays)
    return models.predict(model, x)
