"""Tests of the embedded default cohort generator.

Statistical checks run on one fixed seed at the default size, so they are exact
for that frame; their thresholds were also chosen with a margin of several
standard errors, so that a correct generator passes for any seed and a generator
that lacks the dependency under test fails (see the comment on each test).
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from phibench.data.cohort import (
    ADMISSION_TYPES,
    COHORT_SCHEMA,
    COMORBIDITY_COLUMNS,
    NON_NULL_COLUMNS,
    RACE_GROUPS,
)
from phibench.data.embedded import EMBEDDED_VERSION, generate_cohort
from phibench.errors import InputError


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    return generate_cohort(seed=0)


def _death_rate(frame: pl.DataFrame) -> float:
    return float(frame["died_in_hospital"].mean())


def test_same_seed_gives_identical_frame(cohort: pl.DataFrame) -> None:
    assert_frame_equal(generate_cohort(seed=0), cohort)


def test_different_seed_gives_different_frame(cohort: pl.DataFrame) -> None:
    other = generate_cohort(seed=1)
    assert not other.equals(cohort)
    shared_times = set(other["admit_time"]) & set(cohort["admit_time"])
    assert len(shared_times) < cohort.height // 10


def test_output_for_seed_is_pinned_to_version() -> None:
    # If this fails because the generator changed on purpose, bump
    # EMBEDDED_VERSION and update both values here. A Polars upgrade that only
    # changes CSV number formatting also fails it: then update the digest alone.
    csv = generate_cohort(n_admissions=500, seed=7).write_csv()
    digest = hashlib.sha256(csv.encode()).hexdigest()[:16]
    assert (EMBEDDED_VERSION, digest) == ("1", "705a809366e47e1e")


def test_schema_and_dtypes_are_exact(cohort: pl.DataFrame) -> None:
    assert dict(cohort.schema) == COHORT_SCHEMA


@pytest.mark.parametrize(("n_admissions", "n_sites"), [(1, 6), (17, 1), (2_500, 9)])
def test_row_count_is_exact(n_admissions: int, n_sites: int) -> None:
    frame = generate_cohort(n_admissions=n_admissions, n_sites=n_sites, seed=3)
    assert frame.height == n_admissions
    assert frame["site"].n_unique() <= n_sites


def test_categories_come_from_the_schema_vocabularies(cohort: pl.DataFrame) -> None:
    assert set(cohort["sex"]) == {"F", "M"}
    assert set(cohort["race"]) == set(RACE_GROUPS)
    assert set(cohort["admission_type"]) == set(ADMISSION_TYPES)
    floats = [name for name, dtype in COHORT_SCHEMA.items() if dtype == pl.Float64]
    assert cohort.select(pl.col(floats).is_nan().sum()).sum_horizontal().item() == 0


def test_never_null_columns_have_no_nulls(cohort: pl.DataFrame) -> None:
    columns = sorted(NON_NULL_COLUMNS | {"sex", "race"} | set(COMORBIDITY_COLUMNS))
    assert cohort.select(columns).null_count().sum_horizontal().item() == 0


def test_identifiers_are_unique_and_patients_consistent(
    cohort: pl.DataFrame,
) -> None:
    assert cohort["admission_id"].n_unique() == cohort.height
    per_patient = cohort.group_by("patient_id").agg(pl.col("sex", "race").n_unique())
    assert per_patient["sex"].max() == per_patient["race"].max() == 1


def test_sites_differ_in_size_age_and_mortality(cohort: pl.DataFrame) -> None:
    sites = cohort.group_by("site").agg(
        pl.len().alias("n"),
        pl.col("age").mean().alias("age"),
        pl.col("died_in_hospital").mean().alias("mortality"),
    )
    assert sites.height >= 5
    assert sites["n"].n_unique() == sites.height
    assert sites["n"].max() > 4 * sites["n"].min()
    # Built-in site means of age span 12 years; the standard error of a site mean
    # is under 1 year even at the smallest site (~500 admissions).
    assert sites["age"].max() - sites["age"].min() > 6
    # Smallest site mortality is ~2.5% (~35 deaths), largest ~6%: their log ratio
    # has a standard error near 0.25, so a ratio above 1.5 holds with margin.
    assert sites["mortality"].max() > 1.5 * sites["mortality"].min()


def test_overall_mortality_and_icu_use_are_realistic(cohort: pl.DataFrame) -> None:
    assert 0.02 < _death_rate(cohort) < 0.10
    assert 0.08 < cohort["icu_stay"].mean() < 0.25


def test_admissions_per_patient_are_heavy_tailed(cohort: pl.DataFrame) -> None:
    counts = cohort.group_by("patient_id").len()["len"]
    assert (counts == 1).mean() > 0.5
    assert (counts >= 2).sum() > 500
    assert counts.max() >= 10


def test_a_patient_stays_mostly_at_one_site(cohort: pl.DataFrame) -> None:
    n_sites = cohort.group_by("patient_id").agg(pl.col("site").n_unique())["site"]
    assert (n_sites == 1).mean() > 0.85


def test_stays_of_a_patient_are_ordered_and_end_at_death(cohort: pl.DataFrame) -> None:
    minutes = (pl.col("los_days") * 1440).round().cast(pl.Int64)
    stays = cohort.sort("patient_id", "admit_time").with_columns(
        previous_end=(pl.col("admit_time") + pl.duration(minutes=minutes))
        .shift()
        .over("patient_id"),
        previous_died=pl.col("died_in_hospital").shift().over("patient_id"),
    )
    assert (stays["admit_time"] <= stays["previous_end"]).sum() == 0
    assert stays["previous_died"].sum() == 0
    assert cohort["admit_time"].min().year == 2018
    assert cohort["admit_time"].max().year == 2022


def test_ages_are_whole_years_capped_at_91(cohort: pl.DataFrame) -> None:
    age = cohort["age"]
    assert age.min() >= 18
    assert age.max() == 91
    assert (age.floor() == age).all()


def test_death_rate_rises_with_age_band(cohort: pl.DataFrame) -> None:
    rates = (
        cohort.group_by(pl.col("age").cut([49.5, 69.5]).alias("band"))
        .agg(pl.col("died_in_hospital").mean())
        .sort("band")["died_in_hospital"]
    )
    assert rates[0] < rates[1] < rates[2]
    # With the age term the ratio is ~8-12 (~25 deaths under 50, so the log ratio
    # has a standard error near 0.2); through comorbidity alone it is ~2.
    assert rates[2] > 4 * rates[0]


def _mantel_haenszel_odds_ratio(frame: pl.DataFrame, exposed: pl.Expr) -> float:
    """Odds ratio of death for `exposed`, pooled over ICU x emergency strata."""
    frame = frame.with_columns(
        exposed=exposed, emergency=pl.col("admission_type") == "EMERGENCY"
    )
    numerator = denominator = 0.0
    for _, stratum in frame.group_by("icu_stay", "emergency"):
        died, exp = stratum["died_in_hospital"], stratum["exposed"]
        n = stratum.height
        numerator += (died & exp).sum() * (~died & ~exp).sum() / n
        denominator += (~died & exp).sum() * (died & ~exp).sum() / n
    return numerator / denominator


def test_death_rate_rises_with_lactate(cohort: pl.DataFrame) -> None:
    measured = cohort.filter(pl.col("lactate").is_not_null())
    rates = (
        measured.group_by(pl.col("lactate").cut([2.0, 4.0]).alias("band"))
        .agg(pl.col("died_in_hospital").mean())
        .sort("band")["died_in_hospital"]
    )
    assert rates[0] < rates[1] < rates[2]

    # Lactate also tracks ICU use and emergency admission, which raise risk on
    # their own; within those strata the odds ratio of lactate > 4 vs <= 2 is
    # ~3.5-5.5 with the lactate term and ~1.1-1.5 without it (seeds 0-4).
    extremes = measured.filter((pl.col("lactate") <= 2) | (pl.col("lactate") > 4))
    assert _mantel_haenszel_odds_ratio(extremes, pl.col("lactate") > 4) > 2.2


def test_lactate_is_missing_often_but_not_always(cohort: pl.DataFrame) -> None:
    missing = cohort["lactate"].is_null()
    assert 0.5 < missing.mean() < 0.95
    measured = cohort.group_by("icu_stay").agg(pl.col("lactate").is_not_null().mean())
    by_icu = dict(zip(measured["icu_stay"], measured["lactate"], strict=True))
    assert by_icu[True] > by_icu[False] + 0.3
    assert 0.0 < cohort["creatinine"].is_null().mean() < 0.3


def test_comorbidities_become_more_common_with_age(cohort: pl.DataFrame) -> None:
    young = cohort.filter(pl.col("age") < 50).select(COMORBIDITY_COLUMNS).mean()
    old = cohort.filter(pl.col("age") >= 70).select(COMORBIDITY_COLUMNS).mean()
    for name in COMORBIDITY_COLUMNS:
        assert old[name].item() > 1.5 * young[name].item(), name


def test_built_in_clinical_dependencies(cohort: pl.DataFrame) -> None:
    creatinine = cohort.group_by("ckd").agg(pl.col("creatinine").median())
    by_ckd = dict(zip(creatinine["ckd"], creatinine["creatinine"], strict=True))
    assert by_ckd[True] > 1.5 * by_ckd[False]
    icu = cohort.group_by("chf").agg(pl.col("icu_stay").mean())
    by_chf = dict(zip(icu["chf"], icu["icu_stay"], strict=True))
    assert by_chf[True] > by_chf[False] + 0.03


def test_more_sites_get_distinct_labels() -> None:
    frame = generate_cohort(n_admissions=20_000, n_sites=30, seed=0)
    labels = {f"site-{letter}" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    labels |= {"site-AA", "site-AB", "site-AC", "site-AD"}
    assert set(frame["site"]) == labels


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"n_admissions": 0},
            "n_admissions must be an integer from 1 to 10,000,000; got 0",
        ),
        (
            {"n_admissions": 2.5},
            "n_admissions must be an integer from 1 to 10,000,000; got 2.5",
        ),
        ({"n_sites": 0}, "n_sites must be an integer from 1 to 50; got 0"),
        ({"n_sites": 51}, "n_sites must be an integer from 1 to 50; got 51"),
        ({"n_sites": True}, "n_sites must be an integer from 1 to 50; got True"),
        ({"seed": -1}, "seed must be an integer >= 0; got -1"),
        ({"seed": "0"}, "seed must be an integer >= 0; got '0'"),
    ],
)
def test_bad_arguments_raise_input_error(arguments: dict, message: str) -> None:
    keywords = {"seed": 0} | arguments
    with pytest.raises(InputError) as caught:
        generate_cohort(**keywords)
    assert str(caught.value) == message


def test_numpy_integers_are_accepted() -> None:
    frame = generate_cohort(n_admissions=np.int64(5), n_sites=np.int32(6), seed=0)
    assert frame.height == 5
