"""OpenDP 0.16 behaviour phibench works around, pinned as strict xfails.

When OpenDP changes, these start passing, the strict xfail turns that into a
failure, and the workaround can be reviewed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import opendp.prelude as dp
import polars as pl
import pytest

dp.enable_features("contrib")


@pytest.mark.xfail(
    strict=True,
    reason="OpenDP 0.16 truncate_per_group(keep=SortBy) ranks rows by argsort "
    "position, so it does not keep the earliest row; phibench orders the input "
    "and keeps the first rows instead",
)
def test_sort_by_truncation_keeps_the_earliest_row():
    frame = pl.DataFrame({"pid": [1, 1, 1, 2], "t": [30, 10, 20, 5]})
    keep = pl.int_range(pl.len()).sort_by("t").over("pid") < 1  # OpenDP's rule
    kept = frame.filter(keep).sort("pid")
    assert kept["t"].to_list() == [10, 5]


@pytest.mark.xfail(
    strict=True,
    reason="invoking a basic composition of Polars measurements crashes the "
    "interpreter in OpenDP 0.16; phibench composes for accounting only",
)
def test_invoking_a_composition_of_lazyframe_measurements_works():
    code = textwrap.dedent(
        """
        import polars as pl, opendp.prelude as dp
        dp.enable_features("contrib")
        domain = dp.with_margin(
            dp.lazyframe_domain([dp.series_domain("x", dp.atom_domain(T=dp.f64))]),
            dp.polars.Margin(by=[], max_length=100),
        )
        plan = pl.LazyFrame(schema={"x": pl.Float64}).select(
            dp.len(scale=1.0, signed=True)
        )
        m = dp.m.make_private_lazyframe(
            domain, dp.symmetric_distance(), dp.max_divergence(), plan
        )
        both = dp.c.make_composition([m, m])
        [part.collect() for part in both(pl.LazyFrame({"x": [1.0, 2.0]}))]
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=120
    )
    assert done.returncode == 0
