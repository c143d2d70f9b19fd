"""Wall time and peak resident memory of a step, and repeat summaries.

Peak memory is the process's resident set size sampled every 20 ms while the
step runs (Linux /proc; it sees native allocations of torch and JAX, which
tracemalloc does not), reported as the peak above the level at the start.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_STATUS = Path("/proc/self/status")


def rss_mb() -> float:
    """Resident set size in MiB (NaN where /proc is not available)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


@dataclass
class Usage:
    seconds: float = math.nan
    peak_mb: float = math.nan


@contextmanager
def measured(interval_s: float = 0.02) -> Iterator[Usage]:
    usage = Usage()
    start_mb, peak = rss_mb(), [rss_mb()]
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(interval_s):
            peak[0] = max(peak[0], rss_mb())

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        yield usage
    finally:
        usage.seconds = time.perf_counter() - started
        stop.set()
        thread.join()
        peak[0] = max(peak[0], rss_mb())
        usage.peak_mb = peak[0] - start_mb


def summarize(values: list[float]) -> dict[str, float | int]:
    """Mean and 95% t-interval over repeats (NaN values left out, counted)."""
    from scipy import stats

    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)])
    n = len(finite)
    out: dict[str, float | int] = {"n": n, "n_undefined": len(values) - n}
    if n == 0:
        return out | {"mean": math.nan, "ci95_low": math.nan, "ci95_high": math.nan}
    mean = float(finite.mean())
    if n == 1:
        return out | {"mean": mean, "ci95_low": math.nan, "ci95_high": math.nan}
    half = float(stats.t.ppf(0.975, n - 1) * finite.std(ddof=1) / math.sqrt(n))
    return out | {"mean": mean, "ci95_low": mean - half, "ci95_high": mean + half}
