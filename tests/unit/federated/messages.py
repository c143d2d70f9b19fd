"""Flower reply messages built in memory, for testing aggregation directly."""

from __future__ import annotations

import itertools

import numpy as np
from flwr.app import Array, ArrayRecord, Error, Message, MetricRecord, RecordDict
from flwr.app.metadata import Metadata
from flwr.common.constant import ErrorCode

_node_ids = itertools.count(1)


def reply(metrics: dict, arrays: dict[str, np.ndarray] | None = None) -> Message:
    """A site's reply as the server receives it (no runtime needed)."""
    content = RecordDict({"metrics": MetricRecord(metrics)})
    if arrays is not None:
        content["arrays"] = ArrayRecord(
            {k: Array(np.asarray(v)) for k, v in arrays.items()}
        )
    return Message(content=content, metadata=_metadata())


def failed_reply(
    reason: str, code: int = ErrorCode.CLIENT_APP_RAISED_EXCEPTION
) -> Message:
    """The reply Flower makes for a site whose ClientApp raised (or, with
    another code, whose process ended without a reply)."""
    return Message(error=Error(code=code, reason=reason), metadata=_metadata())


def _metadata() -> Metadata:
    return Metadata(
        run_id=1,
        message_id="",
        src_node_id=next(_node_ids),
        dst_node_id=0,
        reply_to_message_id="",
        group_id="",
        created_at=0.0,
        ttl=3600.0,
        message_type="train",
    )
