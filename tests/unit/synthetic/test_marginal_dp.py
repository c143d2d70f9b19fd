"""MST through OpenDP on a tiny table: the whole epsilon is spent, never more."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from phibench.synthetic.accounting import epsilon_from_rho
from phibench.synthetic.marginal import MarginalGenerator


def _train(n: int = 80) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    return pl.DataFrame(
        {
            "site": rng.choice(["s1", "s2"], n).tolist(),
            "age": rng.uniform(20, 90, n),
        }
    )


@pytest.mark.slow
def test_mst_spends_its_whole_patient_level_epsilon_and_no_more():
    generator = MarginalGenerator("mst", epsilon=1.0, delta=1e-6, contribution_cap=2)
    generator.fit(_train(), seed=1)
    record = generator.record
    assert record["epsilon_spent"] <= 1.0
    assert record["epsilon_spent"] == pytest.approx(1.0, rel=1e-5)
    assert record["epsilon_spent"] == epsilon_from_rho(
        record["rho_spent"], delta=record["delta_conversion"]
    )
    assert record["delta_spent"] == pytest.approx(1e-6)
    assert record["privately_discovered_categories"] == ["site"]
    assert record["privacy_unit"].startswith("patient (at most 2 rows")
    synthetic = generator.sample(50, seed=2)
    assert synthetic.height == 50 and synthetic.columns == _train().columns
    ages = synthetic["age"].drop_nulls()
    assert ((ages >= 15) & (ages <= 91)).all()


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="OpenDP 0.16 MST splits its selection budget with rounding that can "
    "exceed the budget by a few ulps (docs/decisions/0010); phibench retries "
    "with a slightly smaller rho",
)
def test_opendp_mst_accepts_rho_one_quarter_on_twelve_columns():
    import opendp.prelude as dp

    dp.enable_features("contrib")
    rng = np.random.default_rng(0)
    columns = {f"c{i}": rng.choice(["a", "b", "c"], 60).tolist() for i in range(12)}
    domain = dp.lazyframe_domain(
        [
            dp.series_domain(c, dp.option_domain(dp.atom_domain(T=dp.String)))
            for c in columns
        ]
    )
    measurement, _, _ = dp.mbi.make_contingency_table(
        domain,
        dp.frame_distance(dp.symmetric_distance()),
        dp.zero_concentrated_divergence(),
        d_in=[dp.polars.Bound(per_group=1)],
        d_out=0.25,
        keys={c: ["a", "b", "c"] for c in columns},
        algorithm=dp.mbi.MST(),
    )
    try:
        measurement(pl.DataFrame(columns).lazy())
    except dp.OpenDPException as error:
        assert "insufficient budget for query" in str(error)
        raise
