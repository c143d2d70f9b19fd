"""The Flower app: a ClientApp (one per hospital) and the ServerApp's training loop.

The same handlers run under the simulation runtime and the deployment runtime.
A client finds its data folder in its node config (`data-dir`, deployment) or,
in simulation, by its partition id in the list the app was built with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from phibench.federated.env import configure_flower, one_torch_thread

configure_flower()

from flwr.app import (  # noqa: E402  (Flower's switches must be set first)
    ArrayRecord,
    ConfigRecord,
    Context,
    Message,
    MetricRecord,
    RecordDict,
)
from flwr.clientapp import ClientApp  # noqa: E402
from flwr.clientapp.mod import fixedclipping_mod  # noqa: E402
from flwr.supercore.differential_privacy import KEY_CLIPPING_NORM  # noqa: E402

from phibench.federated import model as models  # noqa: E402
from phibench.federated.features import feature_names  # noqa: E402
from phibench.federated.site_store import SiteArrays, read_site_folder  # noqa: E402
from phibench.federated.strategies import (  # noqa: E402
    EXAMPLES_KEY,
    UNIT_WEIGHT_KEY,
)

logger = logging.getLogger(__name__)


def train_config(
    *, kind: str, settings: models.TrainSettings, seed: int, held_out_site: str = ""
) -> ConfigRecord:
    """What the server sends with each training round."""
    return ConfigRecord(
        {
            "model": kind,
            "learning-rate": settings.learning_rate,
            "batch-size": settings.batch_size,
            "local-epochs": settings.local_epochs,
            "seed": seed,
            "held-out-site": held_out_site,
        }
    )


def _site(context: Context, site_dirs: tuple[str, ...]) -> SiteArrays:
    folder = context.node_config.get("data-dir")
    if folder is None:
        folder = site_dirs[int(context.node_config["partition-id"])]
    return read_site_folder(str(folder))


def _model_from(msg: Message, kind: str):
    model = models.build_model(kind, len(feature_names()), seed=0)
    model.load_state_dict(msg.content["arrays"].to_torch_state_dict())
    return model


def handle_train(msg: Message, context: Context, site_dirs: tuple[str, ...]) -> Message:
    """Local training on the site's train split (FedProx term if mu > 0)."""
    one_torch_thread()
    config = msg.content["config"]
    data = _site(context, site_dirs)
    model = _model_from(msg, str(config["model"]))
    held_out = config.get("held-out-site", "") == data.site
    n_train = 0 if held_out else data.n("train")
    settings = models.TrainSettings(
        learning_rate=float(config["learning-rate"]),
        batch_size=int(config["batch-size"]),
        local_epochs=int(config["local-epochs"]),
        proximal_mu=float(config.get("proximal-mu", 0.0)),
    )
    seed = models.client_seed(
        int(config["seed"]), int(config["server-round"]), data.site
    )
    loss = 0.0
    if n_train:
        loss = models.train_local(
            model, data.x["train"], data.y["train"], settings=settings, seed=seed
        )
    metrics = MetricRecord(
        {EXAMPLES_KEY: n_train, UNIT_WEIGHT_KEY: 1.0, "train-loss": loss}
    )
    content = RecordDict(
        {"arrays": ArrayRecord(model.state_dict()), "metrics": metrics}
    )
    return Message(content=content, reply_to=msg)


def handle_evaluate(
    msg: Message, context: Context, site_dirs: tuple[str, ...]
) -> Message:
    """Accuracy (threshold 0.5) and log loss of the global model on the site's
    validation split; Flower averages them weighted by the example counts."""
    one_torch_thread()
    data = _site(context, site_dirs)
    n = data.n("validation")
    accuracy = loss = 0.0
    if n:
        model = _model_from(msg, str(msg.content["config"].get("model", "logreg")))
        p = models.predict(model, data.x["validation"])
        y = data.y["validation"]
        accuracy = float(((p >= 0.5) == (y == 1)).mean())
        loss = models.log_loss(y, p)
    metrics = MetricRecord(
        {
            EXAMPLES_KEY: n,
            UNIT_WEIGHT_KEY: float(n > 0),
            "accuracy": accuracy,
            "loss": loss,
        }
    )
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)


def optional_clipping_mod(
    msg: Message, context: Context, call_next: Callable
) -> Message:
    """Flower's `fixedclipping_mod` when the server asks for client-side
    clipping (its config carries the clipping norm), else a pass-through."""
    config = next(iter(msg.content.config_records.values()), {})
    if KEY_CLIPPING_NORM in config:
        return fixedclipping_mod(msg, context, call_next)
    return call_next(msg, context)


def make_client_app(site_dirs: tuple[str, ...] = ()) -> ClientApp:
    """A ClientApp; `site_dirs` maps simulation partition ids to folders."""
    app = ClientApp()

    @app.train(mods=[optional_clipping_mod])
    def train(msg: Message, context: Context) -> Message:
        return handle_train(msg, context, site_dirs)

    @app.evaluate()
    def evaluate(msg: Message, context: Context) -> Message:
        return handle_evaluate(msg, context, site_dirs)

    return app


#: The deployment runtime's ClientApp (reads `data-dir` from its node config).
client_app = make_client_app()


def evaluate_config(kind: str) -> ConfigRecord:
    return ConfigRecord({"model": kind})


def initial_arrays(kind: str, *, seed: int) -> ArrayRecord:
    """The global model before round 1, the same for every strategy at one seed."""
    return ArrayRecord(
        models.build_model(kind, len(feature_names()), seed=seed).state_dict()
    )


def payload_bytes(arrays: ArrayRecord) -> int:
    """Bytes of the parameters in one message (no protocol overhead)."""
    return int(sum(a.numpy().nbytes for a in arrays.values()))


def as_numpy(arrays: ArrayRecord) -> dict[str, Any]:
    return {key: value.numpy().copy() for key, value in arrays.items()}
