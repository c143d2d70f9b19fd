"""The data-use guard: what may leave this machine, by a dataset's terms.

PhysioNet's credentialed data use agreement (MIMIC-IV, eICU-CRD, ...) forbids
sharing the data with third parties; sending rows or note text to an outside
service (an LLM endpoint, a remote artifact store) would do exactly that. The
guard enforces the registry's data-use flags at the two places phibench sends
things: network endpoints and MLflow artifacts.

Rules:
- aggregates (metrics, parameters, plots of aggregates) may go anywhere;
- rows and note text of a restricted dataset never go into MLflow artifacts,
  wherever the store is: row-level outputs stay in the local run folder;
- rows and note text of a restricted dataset go to a network endpoint only if
  it is on this machine (loopback) or the user allow-listed it;
- data of unknown terms (a user's own table) counts as restricted unless the
  user declares it open.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from phibench.errors import InputError

Sharing = Literal["forbidden", "allowed", "unknown"]

#: Environment variable with comma-separated endpoints the user allows.
ALLOW_ENV = "PHIBENCH_ALLOWED_ENDPOINTS"

#: Artifact URI schemes that stay on this machine.
_LOCAL_SCHEMES = {"", "file"}


class DataUseError(InputError):
    """Sending this content to this destination would break the data-use terms."""


@dataclass(frozen=True)
class DataUseTerms:
    dataset_id: str
    third_party_sharing: Sharing = "unknown"

    @property
    def restricted(self) -> bool:
        return self.third_party_sharing != "allowed"


def is_loopback(uri: str) -> bool:
    """True for local files and for hosts in 127.0.0.0/8, ::1 or `localhost`."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme in _LOCAL_SCHEMES or parts.scheme == "sqlite":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_endpoints(extra: Collection[str] = ()) -> set[str]:
    """Endpoints the user allow-listed: $PHIBENCH_ALLOWED_ENDPOINTS plus `extra`."""
    listed = os.environ.get(ALLOW_ENV, "")
    return {e.strip().rstrip("/") for e in [*listed.split(","), *extra] if e.strip()}


def check_send(
    terms: DataUseTerms, *, endpoint: str, allow: Collection[str] = ()
) -> None:
    """Refuse to send rows or text of a restricted dataset off this machine."""
    if not terms.restricted or is_loopback(endpoint):
        return
    if endpoint.rstrip("/") in allowed_endpoints(allow):
        return
    raise DataUseError(
        f"dataset {terms.dataset_id!r} may not be shared with third parties, and "
        f"{_host(endpoint)} is not on this machine; to send it anyway, add the "
        f"endpoint to {ALLOW_ENV} (only if your data use agreement permits it)"
    )


def check_artifacts(
    terms: DataUseTerms, *, artifact_uri: str, row_level: Collection[str]
) -> None:
    """Refuse row-level artifacts of a restricted dataset in any MLflow store."""
    if not terms.restricted or not row_level:
        return
    where = "a remote store" if not is_loopback(artifact_uri) else "MLflow"
    raise DataUseError(
        f"dataset {terms.dataset_id!r} forbids row-level data in shared artifact "
        f"stores; refusing to log {len(row_level)} row-level file(s) to {where} "
        f"({_host(artifact_uri)}); they stay in the local run folder, and only "
        "aggregates go to MLflow"
    )


def _host(uri: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else uri
