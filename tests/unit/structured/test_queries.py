"""Query validation: public assumptions must be complete and consistent."""

from __future__ import annotations

import pytest

from phibench.errors import InputError
from phibench.structured.dp_analytics.queries import Query


def test_sum_without_bounds_is_refused():
    with pytest.raises(InputError, match=r"'s' \(sum of 'x'\) has no bounds"):
        Query("s", "sum", column="x")


@pytest.mark.parametrize("bounds", [(5.0, 5.0), (10.0, 1.0)])
def test_lower_bound_must_be_below_upper(bounds):
    with pytest.raises(InputError, match="must be below upper bound"):
        Query("m", "mean", column="age", bounds=bounds)


def test_infinite_bounds_are_refused():
    with pytest.raises(InputError, match="must be finite"):
        Query("m", "mean", column="age", bounds=(0.0, float("inf")))


def test_quantile_levels_must_be_inside_zero_one():
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        Query("q", "quantile", column="age", bounds=(0, 1), levels=(1.0,))


def test_count_by_needs_declared_keys():
    with pytest.raises(InputError, match="use kind 'histogram'"):
        Query("c", "count_by", column="race")


def test_candidate_grid_covers_the_bounds_inclusive():
    query = Query("q", "quantile", column="age", bounds=(0, 120), levels=(0.5,))
    grid = query.candidates()
    assert grid[0] == 0 and grid[-1] == 120 and len(grid) == 121
