"""What a result depends on besides its settings: versions and platform."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

LIBRARIES = ("phibench", "opendp", "polars", "numpy", "duckdb", "mlflow", "pydantic")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def platform_record() -> dict[str, str]:
    return {"system": platform.system(), "machine": platform.machine()}
