"""De-identification systems under test: text in, typed PHI spans out.

Every system follows `DeidSystem`: `fit` on training documents (a no-op for
systems that are not trained), then `predict` on one note's text. Labels are
mapped onto the i2b2-2014 subtypes of `phibench.text.taxonomy` (or `UNTYPED`)
by each system's documented table in `phibench.text.systems.labels`.
"""

from __future__ import annotations

from phibench.text.systems.base import (
    OFFLINE_SYSTEMS,
    SYSTEM_NAMES,
    DeidSystem,
    make_system,
    parse_system_names,
)

__all__ = [
    "OFFLINE_SYSTEMS",
    "SYSTEM_NAMES",
    "DeidSystem",
    "make_system",
    "parse_system_names",
]
