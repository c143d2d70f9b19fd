"""Aggregation edge cases, through Flower's own strategies (issue 6, exact values)."""

from __future__ import annotations

import numpy as np
import pytest
from flwr.common.constant import ErrorCode
from flwr.serverapp.strategy import FedAvg

from phibench.errors import InputError, RunFailure
from phibench.federated.strategies import (
    AggregationError,
    FiniteGuard,
    SiteLost,
    StrategyConfig,
    build_strategy,
    check_finite,
)
from tests.unit.federated.messages import failed_reply, reply


def test_evaluation_metrics_are_example_weighted_not_averaged():
    # 0.90 on 900 patients and 0.50 on 100: (0.9*900 + 0.5*100)/1000 = 0.86, not 0.70;
    # losses 0.3 and 0.9 the same way: (0.3*900 + 0.9*100)/1000 = 0.36.
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=2))
    replies = [
        reply({"num-examples": 900, "unit-weight": 1.0, "accuracy": 0.9, "loss": 0.3}),
        reply({"num-examples": 100, "unit-weight": 1.0, "accuracy": 0.5, "loss": 0.9}),
    ]
    aggregated = strategy.aggregate_evaluate(1, replies)
    assert aggregated["accuracy"] == pytest.approx(0.86, abs=1e-12)
    assert aggregated["loss"] == pytest.approx(0.36, abs=1e-12)


def test_training_aggregate_is_example_weighted():
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=2))
    replies = [
        reply({"num-examples": 900, "unit-weight": 1.0}, {"w": np.array([1.0, 0.0])}),
        reply({"num-examples": 100, "unit-weight": 1.0}, {"w": np.array([0.0, 1.0])}),
    ]
    arrays, _ = strategy.aggregate_train(1, replies)
    np.testing.assert_allclose(arrays["w"].numpy(), [0.9, 0.1], atol=1e-12)


def test_site_with_empty_training_partition_gets_zero_weight():
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=2))
    replies = [
        reply({"num-examples": 50, "unit-weight": 1.0}, {"w": np.array([2.0])}),
        reply({"num-examples": 0, "unit-weight": 1.0}, {"w": np.array([-7.0])}),
    ]
    arrays, _ = strategy.aggregate_train(1, replies)
    assert arrays["w"].numpy().tolist() == [2.0]


def test_round_where_every_site_is_empty_raises_one_clear_error():
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=3))
    replies = [
        reply({"num-examples": 0, "unit-weight": 1.0}, {"w": np.array([0.5])})
        for _ in range(3)
    ]
    with pytest.raises(AggregationError, match="all 3 sites reported 0 training"):
        strategy.aggregate_train(4, replies)


def test_a_round_with_failed_sites_names_how_many_not_zero_examples():
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=3))
    replies = [
        reply({"num-examples": 40, "unit-weight": 1.0}, {"w": np.array([0.5])}),
        failed_reply("overflow"),
        failed_reply("overflow"),
    ]
    with pytest.raises(
        AggregationError, match=r"round 2: 2 of 3 sites failed to train \(overflow\)"
    ):
        strategy.aggregate_train(2, replies)


@pytest.mark.parametrize(
    "code",
    [ErrorCode.UNKNOWN, ErrorCode.NODE_UNAVAILABLE, ErrorCode.CLIENT_APP_CRASHED],
)
def test_a_site_whose_process_died_is_a_run_failure_not_bad_input(code):
    """Flower reports a Ray worker killed from outside as an error of code
    UNKNOWN; no setting can mend that, so it is exit 3, not 2."""
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=3))
    died = "<class 'ray.exceptions.ActorDiedError'>:<'The actor died unexpectedly'>"
    replies = [
        reply({"num-examples": 40, "unit-weight": 1.0}, {"w": np.array([0.5])}),
        failed_reply("overflow"),
        failed_reply(died, code),
    ]
    with pytest.raises(SiteLost) as raised:
        strategy.aggregate_train(3, replies)
    assert str(raised.value) == (
        "round 3: 1 of 3 sites got no reply to train: the process running them "
        "ended (ActorDiedError: The actor died unexpectedly)"
    )
    assert isinstance(raised.value, RunFailure)
    assert not isinstance(raised.value, InputError)


def test_a_clientapp_error_wrapped_by_ray_gives_the_sites_own_message():
    """Flower's reason for a ClientApp that raised inside a Ray actor, as in
    a real run (the class name holds parentheses, the text colour codes)."""
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=2))
    reason = (
        "<class 'ray.exceptions.RayTaskError(ClientAppException)'>:<'"
        "\x1b[36mray::ClientAppActor.run()\x1b[39m (pid=1, ip=127.0.0.1)\n"
        "Exception ClientAppException occurred. Message: value cannot be "
        "converted to type float without overflow'>"
    )
    replies = [failed_reply(reason), failed_reply(reason)]
    with pytest.raises(AggregationError) as raised:
        strategy.aggregate_train(1, replies)
    assert str(raised.value) == (
        "round 1: 2 of 2 sites failed to train (value cannot be converted to type "
        "float without overflow); check the strategy's settings and the sites' data"
    )


def test_a_failed_evaluation_is_refused_not_averaged_over_fewer_sites():
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=2))
    replies = [
        reply({"num-examples": 40, "unit-weight": 1.0, "accuracy": 0.9, "loss": 0.3}),
        failed_reply("bad shape"),
    ]
    with pytest.raises(
        AggregationError,
        match=r"round 1: 1 of 2 sites failed to evaluate \(bad shape\)",
    ):
        strategy.aggregate_evaluate(1, replies)


def test_plain_flower_fedavg_would_fail_on_all_empty_sites():
    # Why the guard exists: Flower divides by the total weight.
    replies = [reply({"num-examples": 0}, {"w": np.array([0.5])}) for _ in range(2)]
    with pytest.raises(ZeroDivisionError):
        FedAvg(min_train_nodes=2).aggregate_train(1, replies)


def test_non_finite_aggregate_is_refused():
    guard = FiniteGuard(FedAvg(min_train_nodes=2))
    replies = [
        reply({"num-examples": 10}, {"w": np.array([np.inf])}),
        reply({"num-examples": 10}, {"w": np.array([1.0])}),
    ]
    with pytest.raises(AggregationError, match="1 non-finite parameter"):
        guard.aggregate_train(2, replies)


def test_check_finite_counts_nan_and_inf():
    check_finite([np.zeros(3)], server_round=1)
    with pytest.raises(AggregationError, match=r"round 5: .* 2 non-finite"):
        check_finite([np.array([np.nan, 1.0]), np.array([-np.inf])], server_round=5)


def test_evaluation_with_no_rows_anywhere_is_skipped_not_nan(caplog):
    strategy, _ = build_strategy(StrategyConfig("fedavg", n_sites=2))
    replies = [
        reply({"num-examples": 0, "unit-weight": 0.0, "accuracy": 0.0, "loss": 0.0})
        for _ in range(2)
    ]
    assert strategy.aggregate_evaluate(1, replies) is None
    assert "federated evaluation skipped" in caplog.text
