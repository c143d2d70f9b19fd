"""MST through OpenDP on a tiny table: the whole epsilon is spent, never more."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from phibench.synthetic.accounting import epsilon_from_rho
from phibench.synthetic.marginal import MarginalGenerator


def _train(n: int = 80) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    return pl.DataFrame({
        "site": rng.choice(["s1", "s2"], n).tolist(),
        "age": rng.uniform(20, 90, n),
    })  # fmt: skip


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
