"""Local training: FedProx's proximal term, small and degenerate sites."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from phibench.federated import model as models


def data(n: int, *, seed: int = 0, one_class: bool = False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    if one_class:
        y[:] = 0
    return x, y


def test_proximal_term_is_half_mu_times_squared_distance():
    model = models.build_model("logreg", 4, seed=1)
    anchor = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)  # every one of 4 weights + 1 bias moves by 0.5
    term = models._proximal(model, anchor, mu=0.2)
    assert float(term.detach()) == pytest.approx(0.5 * 0.2 * 5 * 0.25)


def test_large_mu_keeps_the_local_model_near_the_global_one():
    x, y = data(200)
    free, held = (models.build_model("logreg", 4, seed=3) for _ in range(2))
    start = models.get_arrays(free)
    models.train_local(
        free, x, y, settings=models.TrainSettings(local_epochs=5), seed=1
    )
    models.train_local(
        held,
        x,
        y,
        settings=models.TrainSettings(local_epochs=5, proximal_mu=5.0),
        seed=1,
    )

    def moved(m):
        return sum(np.sum((a - start[k]) ** 2) for k, a in models.get_arrays(m).items())

    assert moved(held) < 0.05 * moved(free)


def test_mu_zero_is_plain_sgd():
    x, y = data(100)
    a, b = (models.build_model("mlp", 4, seed=2) for _ in range(2))
    models.train_local(a, x, y, settings=models.TrainSettings(), seed=4)
    models.train_local(b, x, y, settings=models.TrainSettings(proximal_mu=0.0), seed=4)
    for key, value in models.get_arrays(a).items():
        np.testing.assert_array_equal(value, models.get_arrays(b)[key])


def test_fewer_rows_than_the_batch_size_is_one_batch():
    x, y = data(5)
    model = models.build_model("logreg", 4, seed=0)
    loss = models.train_local(
        model,
        x,
        y,
        settings=models.TrainSettings(batch_size=32, local_epochs=3),
        seed=0,
    )
    assert np.isfinite(loss)
    assert all(np.isfinite(a).all() for a in models.get_arrays(model).values())


def test_one_class_site_trains_to_finite_parameters():
    x, y = data(64, one_class=True)
    model = models.build_model("mlp", 4, seed=0)
    models.train_local(
        model, x, y, settings=models.TrainSettings(local_epochs=10), seed=0
    )
    assert all(np.isfinite(a).all() for a in models.get_arrays(model).values())
    assert models.predict(model, x).mean() < 0.5


def test_empty_site_leaves_the_model_unchanged():
    model = models.build_model("logreg", 4, seed=0)
    before = models.get_arrays(model)
    x, y = data(0)
    assert np.isnan(
        models.train_local(model, x, y, settings=models.TrainSettings(), seed=0)
    )
    for key, value in models.get_arrays(model).items():
        np.testing.assert_array_equal(value, before[key])


def test_one_site_fedavg_is_that_sites_model():
    from flwr.serverapp.strategy import FedAvg

    from tests.unit.federated.messages import reply

    arrays = {"w": np.array([0.25, -1.5])}
    aggregated, _ = FedAvg(min_train_nodes=1).aggregate_train(
        1, [reply({"num-examples": 17}, arrays)]
    )
    np.testing.assert_array_equal(aggregated["w"].numpy(), arrays["w"])


def test_fedprox_step_size_must_keep_the_proximal_pull_stable():
    from phibench.errors import InputError
    from phibench.federated.settings import Settings

    with pytest.raises(InputError, match="learning rate x mu must be below 2"):
        Settings(proximal_mu=20.0, learning_rate=0.2).validate()
