"""Generators, the modelling table and the run settings, on tiny inputs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from phibench.errors import InputError
from phibench.synthetic import fidelity, marginal, utility
from phibench.synthetic.benchmark import Settings, check_sizes
from phibench.synthetic.generators import Baseline, SdvGenerator, parse_generators
from phibench.synthetic.table import (
    MODEL_COLUMNS,
    modelling_table,
    split_by_patient,
)
from tests.conftest import cohort_from


def _cohort(n_patients: int, *, seed: int = 0, site: str = "site-A") -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for patient in range(n_patients):
        for visit in range(2):
            rows.append(
                {
                    "patient_id": patient,
                    "site": site,
                    "age": float(rng.integers(20, 90)),
                    "sex": str(rng.choice(["F", "M"])),
                    "los_days": float(rng.uniform(0.5, 20)),
                    "creatinine": float(rng.uniform(0.5, 3)),
                    "died_in_hospital": bool(rng.random() < 0.2),
                    "admit_time": dt.datetime(2020, 1, 1)
                    + dt.timedelta(days=patient * 3 + visit),
                }
            )
    return cohort_from(rows)


def test_modelling_table_keeps_the_first_admissions_of_each_patient():
    cohort = _cohort(10)
    table = modelling_table(cohort, contribution_cap=1)
    assert table.height == 10
    assert table["admit_time"].dt.day().to_list()[:2] == [1, 4]  # first visits
    assert list(table.columns) == ["patient_id", "admission_id", *MODEL_COLUMNS]
    assert modelling_table(cohort, contribution_cap=2).height == 20


def test_split_is_by_patient_seeded_and_puts_deaths_on_both_sides():
    table = modelling_table(_cohort(60), contribution_cap=2)
    first = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(4))
    again = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(4))
    assert first.train.equals(again.train)
    assert first.train.height + first.holdout.height == 120
    assert (
        first.train["died_in_hospital"].any()
        and first.holdout["died_in_hospital"].any()
    )
    assert "lactate" in first.all_null  # never measured in this cohort


def test_a_cohort_with_only_identifier_values_is_refused():
    empty = _cohort(5).with_columns(
        [
            pl.lit(None, dtype=pl.Float64).alias(c)
            for c in ("age", "los_days", "creatinine")
        ]
        + [
            pl.lit(None, dtype=pl.String).alias(c)
            for c in ("site", "sex", "race", "admission_type")
        ]
        + [
            pl.lit(None, dtype=pl.Boolean).alias(c)
            for c in ("icu_stay", "died_in_hospital", "cancer")
        ]
    )
    table = modelling_table(
        empty.with_columns(admit_time=pl.lit(None, dtype=pl.Datetime("us"))),
        contribution_cap=1,
    )
    with pytest.raises(InputError, match="only identifier columns"):
        split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(0))


@pytest.mark.slow  # the first SDV import takes seconds
def test_generators_return_a_constant_column_as_that_constant():
    table = modelling_table(_cohort(40, site="only-hospital"), contribution_cap=1)
    split = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(1))
    train = split.train.drop(list(split.all_null))
    for generator in (Baseline(), SdvGenerator("gaussian_copula")):
        generator.fit(train, seed=1)
        synthetic = generator.sample(25, seed=2)
        assert synthetic["site"].unique().to_list() == ["only-hospital"]
        assert synthetic.schema == train.schema


def test_gaussian_copula_is_replayable_from_its_seeds():
    table = modelling_table(_cohort(40), contribution_cap=1)
    train = split_by_patient(
        table, holdout_share=0.3, rng=np.random.default_rng(1)
    ).train
    train = train.select("age", "sex", "los_days", "died_in_hospital")
    draws = []
    for _ in range(2):
        generator = SdvGenerator("gaussian_copula")
        generator.fit(train, seed=5)
        draws.append(generator.sample(10, seed=6))
    assert draws[0].equals(draws[1])


def test_bins_decode_inside_their_public_bin_and_missing_stays_missing():
    frame = pl.DataFrame(
        {
            "age": [18.0, 35.0, 90.0, None],
            "icu_stay": [True, False, None, True],
            "admit_time": [dt.datetime(2150, 6, 1)] * 4,
        }
    )
    binned = marginal.discretize(frame)
    assert binned["age"].to_list() == ["0", "1", "6", None]
    assert binned["icu_stay"].to_list() == ["true", "false", None, "true"]
    decoded = marginal.decode(binned, np.random.default_rng(0))
    ages = decoded["age"].to_list()
    assert 15 <= ages[0] <= 30 and 30 <= ages[1] <= 40 and 80 <= ages[2] <= 91
    assert ages[3] is None
    assert decoded["icu_stay"].to_list() == [True, False, None, True]
    assert all(2150 <= t.year <= 2175 for t in decoded["admit_time"].to_list())
    assert decoded.equals(marginal.decode(binned, np.random.default_rng(0)))


def test_quality_report_scores_other_columns_when_one_is_all_missing():
    table = modelling_table(_cohort(40), contribution_cap=1)
    split = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(1))
    real = split.train.select("age", "sex", "los_days", "lactate")
    synthetic = Baseline()
    synthetic.fit(real, seed=1)
    report = fidelity.quality_report(real, synthetic.sample(30, seed=1))
    assert math.isnan(report["per_column"]["lactate"])
    assert "null in every real" in report["not_scored"]["lactate"]
    assert 0 < report["per_column"]["age"] <= 1 and 0 < report["column_shapes"] <= 1


def test_utility_of_a_single_class_synthetic_table_is_an_explained_nan():
    table = modelling_table(_cohort(40), contribution_cap=1)
    split = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(1))
    columns = utility.feature_columns(split.train)
    alive = split.train.with_columns(died_in_hospital=pl.lit(False))
    result = utility.evaluate(
        utility.fit_model(alive, columns),
        split.holdout,
        columns,
        rng=np.random.default_rng(0),
    )
    assert math.isnan(result["auroc"]["value"])
    assert "single outcome class" in result["auroc"]["reason"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: parse_generators("mst,gan"), "unknown generator 'gan'; choose from"),
        (lambda: Settings(epsilons=(0.0,)), "epsilon=0.0: every epsilon must be"),
        (lambda: Settings(epsilons=(-1.0,)), "epsilon=-1.0"),
        (lambda: Settings(repeats=0), "repeats=0"),
    ],
)
def test_bad_settings_are_one_line_input_errors(make, message):
    with pytest.raises(InputError, match=message) as caught:
        make()
    assert "\n" not in str(caught.value)


def test_fewer_training_rows_than_a_generator_needs_is_refused():
    table = modelling_table(_cohort(30), contribution_cap=1)
    split = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="ctgan needs at least 50 training rows"):
        check_sizes(split, Settings(generators=("ctgan",)))


def test_a_refused_dp_budget_split_is_recorded_not_raised(monkeypatch):
    from phibench.synthetic import benchmark
    from phibench.synthetic.marginal import BudgetSplitError

    class Refused:
        name, is_dp = "mst", True

        def fit(self, train, *, seed):
            raise BudgetSplitError("mst: OpenDP 0.16 refused every rho")

    monkeypatch.setattr(benchmark, "make_generator", lambda *a, **k: Refused())
    table = modelling_table(_cohort(40), contribution_cap=1)
    split = split_by_patient(table, holdout_share=0.3, rng=np.random.default_rng(0))
    context = {"modelled": split.columns}
    record = benchmark._one(split, context, Settings(), "mst", 1.0, seed=3)
    assert record["not_fitted"] == "mst: OpenDP 0.16 refused every rho"
    summary = benchmark.summarize_records([record] * 3)
    assert summary["tstr_auroc"]["n_undefined"] == 3
    assert math.isnan(summary["tstr_auroc"]["mean"])
