"""The two models (logistic regression, a small MLP) and their local training.

Both are PyTorch modules so that FedProx can add its proximal term to the local
objective (Li et al. 2020, "Federated Optimization in Heterogeneous Networks",
eq. 2): loss + mu/2 * ||w - w_global||^2. The same training loop serves the
federated clients and the pooled and local-only baselines, so that a
difference between them comes from where the data is, not from the optimiser.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from phibench.federated.settings import MODELS

MLP_HIDDEN = 16


@dataclass(frozen=True)
class TrainSettings:
    """Local optimisation: plain SGD, the same for every site and baseline."""

    learning_rate: float = 0.05
    batch_size: int = 32
    local_epochs: int = 1
    proximal_mu: float = 0.0


def client_seed(seed: int, server_round: int, site: str) -> int:
    """Batch-order seed of one site in one round, the same in every runtime and
    in the baselines, so that a one-site federation equals local training."""
    mixed = seed * 1_000_003 + server_round * 7919 + zlib.crc32(site.encode())
    return mixed % 2**31


def build_model(kind: str, n_features: int, *, seed: int) -> nn.Module:
    """A fresh model with weights drawn from a generator seeded by `seed`."""
    torch.manual_seed(seed)
    if kind == "logreg":
        return nn.Sequential(nn.Linear(n_features, 1))
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(n_features, MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, 1)
        )
    raise ValueError(f"model {kind!r}: expected one of {', '.join(MODELS)}")


def get_arrays(model: nn.Module) -> OrderedDict[str, np.ndarray]:
    """Parameters as numpy arrays (float64 copies), by name."""
    return OrderedDict(
        (name, tensor.detach().cpu().numpy().astype(np.float64))
        for name, tensor in model.state_dict().items()
    )


def set_arrays(model: nn.Module, arrays: dict[str, np.ndarray]) -> None:
    state = OrderedDict(
        (name, torch.as_tensor(np.asarray(value), dtype=torch.float32))
        for name, value in arrays.items()
    )
    model.load_state_dict(state, strict=True)


def train_local(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    settings: TrainSettings,
    seed: int,
) -> float:
    """SGD over `settings.local_epochs` passes; returns the mean training loss.

    With no rows the model is left unchanged (loss NaN): the caller reports 0
    examples, which gives the site zero weight in FedAvg. A batch size above
    the number of rows gives one full batch per epoch.
    """
    if len(y) == 0:
        return float("nan")
    generator = torch.Generator().manual_seed(seed)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    anchor = [p.detach().clone() for p in model.parameters()]
    optimiser = torch.optim.SGD(model.parameters(), lr=settings.learning_rate)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    total, n_batches = 0.0, 0
    for _ in range(settings.local_epochs):
        order = torch.randperm(len(targets), generator=generator)
        for start in range(0, len(targets), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            optimiser.zero_grad()
            loss = loss_fn(model(inputs[batch]).squeeze(1), targets[batch])
            objective = loss + _proximal(model, anchor, settings.proximal_mu)
            objective.backward()
            optimiser.step()
            total, n_batches = total + float(loss.detach()), n_batches + 1
    return total / n_batches


def _proximal(model: nn.Module, anchor: list[torch.Tensor], mu: float) -> torch.Tensor:
    """FedProx term mu/2 * ||w - w_global||^2 (zero for mu = 0)."""
    if mu == 0:
        return torch.zeros(())
    squared = sum(
        ((p - a) ** 2).sum() for p, a in zip(model.parameters(), anchor, strict=True)
    )
    return 0.5 * mu * squared


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Predicted probability of death per row."""
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).squeeze(1)
    return torch.sigmoid(logits).numpy().astype(np.float64)


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean binary cross-entropy, probabilities clipped away from 0 and 1."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
