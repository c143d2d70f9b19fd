"""Flower's strategies, configured for the benchmark, behind one finiteness guard.

FedAvg (McMahan et al. 2017), FedProx (Li et al. 2020) and DP-FedAvg with fixed
clipping, server-side or client-side (Andrew et al. 2021 / McMahan et al. 2018),
are Flower 1.42's own classes; only `FiniteGuard` is ours. It refuses a round in
which no site trained (every weight 0, which Flower would turn into a division
by zero) and any aggregate with a non-finite parameter.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from phibench.errors import InputError, RunFailure
from phibench.federated.settings import DP_STRATEGIES

logger = logging.getLogger(__name__)


#: Key of the weight each site reports: the number of training examples, or 1
#: for DP (Flower's accountant needs equal weights: the average's sensitivity
#: to one site is then clipping_norm / n_sites).
EXAMPLES_KEY = "num-examples"
UNIT_WEIGHT_KEY = "unit-weight"


class AggregationError(InputError):
    """A round could not be aggregated into finite parameters: the settings or
    the sites' data must change (exit code 2, one line)."""


class SiteLost(RunFailure):
    """A site's process ended without a reply (e.g. its Ray worker was killed
    from outside): nothing in the input to change (exit code 3, one line)."""


@dataclass(frozen=True)
class StrategyConfig:
    name: str
    n_sites: int
    proximal_mu: float = 0.0
    noise_multiplier: float | None = None
    clipping_norm: float | None = None
    delta: float = 1e-5
    federated_evaluation: bool = True  # sites score each round's model


def build_strategy(config: StrategyConfig) -> tuple[Any, Any | None]:
    """The guarded Flower strategy and, for DP, its RdpAccountant."""
    from flwr.serverapp.strategy import (
        DifferentialPrivacyClientSideFixedClipping,
        DifferentialPrivacyServerSideFixedClipping,
        FedAvg,
        FedProx,
    )

    n = config.n_sites
    nodes: dict[str, Any] = {
        "min_train_nodes": n,
        "min_evaluate_nodes": n,
        "min_available_nodes": n,
    }
    if not config.federated_evaluation:
        nodes["fraction_evaluate"] = 0.0
    if config.name == "fedavg":
        return FiniteGuard(FedAvg(**nodes, weighted_by_key=EXAMPLES_KEY)), None
    if config.name == "fedprox":
        inner = FedProx(
            **nodes, weighted_by_key=EXAMPLES_KEY, proximal_mu=config.proximal_mu
        )
        return FiniteGuard(inner), None
    if config.name not in DP_STRATEGIES:
        raise ValueError(f"unknown strategy {config.name!r}")

    from phibench.federated.accounting import new_accountant

    accountant = new_accountant(n_sites=n, delta=config.delta)
    wrapper = (
        DifferentialPrivacyServerSideFixedClipping
        if config.name == "dp-fedavg"
        else DifferentialPrivacyClientSideFixedClipping
    )
    strategy = wrapper(
        FedAvg(**nodes, weighted_by_key=UNIT_WEIGHT_KEY),
        noise_multiplier=config.noise_multiplier,
        clipping_norm=config.clipping_norm,
        num_sampled_clients=n,
        accountant=accountant,
    )
    return FiniteGuard(strategy, weight_key=UNIT_WEIGHT_KEY), accountant


def _guard_base():
    from flwr.serverapp.strategy import Strategy

    return Strategy


class FiniteGuard(_guard_base()):  # type: ignore[misc]
    """Delegates to a Flower strategy; checks what goes in and out of aggregation."""

    def __init__(self, strategy: Any, *, weight_key: str = EXAMPLES_KEY) -> None:
        super().__init__()
        self.strategy = strategy
        self.weight_key = weight_key

    def summary(self) -> None:
        self.strategy.summary()

    def configure_train(self, server_round, arrays, config, grid) -> Iterable[Any]:
        return self.strategy.configure_train(server_round, arrays, config, grid)

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        _refuse_failures(replies, f"round {server_round}", "train")
        weights = _weights(replies, EXAMPLES_KEY)
        if replies and not any(w > 0 for w in weights):
            raise AggregationError(
                f"round {server_round}: all {len(replies)} sites reported 0 training "
                "examples, so there is nothing to average; give every site training "
                "rows (check the split fractions and --min-site-size)"
            )
        arrays, metrics = self.strategy.aggregate_train(server_round, replies)
        if arrays is not None:
            check_finite(arrays.to_numpy_ndarrays(), server_round=server_round)
        return arrays, metrics

    def configure_evaluate(self, server_round, arrays, config, grid):
        return self.strategy.configure_evaluate(server_round, arrays, config, grid)

    def aggregate_evaluate(self, server_round, replies):
        replies = list(replies)
        if not replies:  # federated evaluation switched off
            return None
        _refuse_failures(replies, f"round {server_round}", "evaluate")
        if not any(w > 0 for w in _weights(replies, self.weight_key)):
            logger.warning(
                "round %d: no site has evaluation rows; federated evaluation skipped",
                server_round,
            )
            return None
        return self.strategy.aggregate_evaluate(server_round, replies)


def _refuse_failures(replies: list[Any], when: str, task: str) -> None:
    """One line for sites that replied with an error: AggregationError (exit 2)
    when the site's own code raised, SiteLost (exit 3) when its process ended
    without a reply, which no setting can mend."""
    from flwr.common.constant import ErrorCode

    failed = [reply for reply in replies if reply.has_error()]
    if not failed:
        return
    lost = [r for r in failed if r.error.code != ErrorCode.CLIENT_APP_RAISED_EXCEPTION]
    if lost:
        raise SiteLost(
            f"{when}: {len(lost)} of {len(replies)} sites got no reply to {task}: "
            f"the process running them ended ({_short_reason(lost[0].error.reason)})"
        )
    raise AggregationError(
        f"{when}: {len(failed)} of {len(replies)} sites failed to {task} "
        f"({_short_reason(failed[0].error.reason)}); check the strategy's settings "
        "and the sites' data"
    )


def _weights(replies: list[Any], key: str) -> list[float]:
    weights = []
    for reply in replies:
        if reply.has_error():
            continue
        for record in reply.content.metric_records.values():
            weights.append(float(record.get(key, 0.0)))
    return weights


def _short_reason(reason: str | None, limit: int = 160) -> str:
    """The library's own message from a site's error, on one line. Flower
    wraps it as "<class 'module.Name'>:<'message'>", and a ClientApp's own
    exception as "...occurred. Message: <the exception's message>'>"."""
    text = " ".join((reason or "no reason given").split())
    if "Message: " in text:
        text = text.rsplit("Message: ", 1)[1].rstrip("'\">")
    elif wrapped := re.fullmatch(r"<class '(?:[\w.]*\.)?([^']+)'>:<'(.*)'>", text):
        text = "{}: {}".format(*wrapped.groups())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_finite(arrays: list[np.ndarray], *, server_round: int) -> None:
    """AggregationError if any aggregated parameter is NaN or infinite."""
    bad = sum(int((~np.isfinite(a)).sum()) for a in arrays)
    if bad:
        raise AggregationError(
            f"round {server_round}: the aggregate has {bad} non-finite parameter(s); "
            "the sites' updates or the DP noise overflowed: lower --clipping-norm "
            "or --proximal-mu, or check the sites' data"
        )
