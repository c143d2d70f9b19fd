"""Run tracking: record benchmark runs in MLflow (local SQLite store or server)."""

from phibench.tracking.mlflow_log import (
    TrackingError,
    check_tracking_uri,
    default_tracking_uri,
    log_run,
)
from phibench.tracking.server import start_local_server

__all__ = [
    "TrackingError",
    "check_tracking_uri",
    "default_tracking_uri",
    "log_run",
    "start_local_server",
]
