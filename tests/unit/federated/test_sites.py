"""Site grouping, per-site splits, label skew and the site column (exact values)."""

from __future__ import annotations

import polars as pl
import pytest

from phibench.errors import InputError
from phibench.federated import sites
from tests.conftest import cohort_from


def cohort_with(sizes: dict[str, int], *, deaths_every: int = 5) -> pl.DataFrame:
    rows, patient = [], 0
    for site, n in sizes.items():
        for _ in range(n):
            patient += 1
            rows.append(
                {
                    "site": site,
                    "patient_id": patient,
                    "died_in_hospital": patient % deaths_every == 0,
                }
            )
    return cohort_from(rows)


def test_small_hospitals_are_merged_in_id_order_to_the_minimum_size():
    cohort = cohort_with({"59": 30, "7": 12, "100": 10, "8": 9, "250": 40, "9": 3})
    grouping = sites.group_sites(cohort, min_site_size=20)
    # 59 (30) and 250 (40) stay; 7+8 (21) form group-01; 9+100 (13) is short
    # and joins it.
    assert grouping.mapping == {
        "59": "59",
        "250": "250",
        "7": "group-01",
        "8": "group-01",
        "9": "group-01",
        "100": "group-01",
    }
    assert grouping.n_source_sites == {"250": 1, "59": 1, "group-01": 4}


def test_two_full_groups_and_a_remainder():
    cohort = cohort_with({"1": 10, "2": 10, "3": 10, "4": 10, "5": 5})
    grouping = sites.group_sites(cohort, min_site_size=20)
    assert [grouping.mapping[s] for s in "12345"] == [
        "group-01",
        "group-01",
        "group-02",
        "group-02",
        "group-02",
    ]


def test_minimum_site_size_must_be_positive():
    with pytest.raises(InputError, match="--min-site-size 0: must be an integer >= 1"):
        sites.group_sites(cohort_with({"a": 3}), min_site_size=0)


def test_split_keeps_sites_apart_and_stratifies_deaths():
    cohort = cohort_with({"a": 100, "b": 50})
    split = sites.split_by_site(cohort, seed=1)
    summary = {row["site"]: row for row in sites.site_summary(split)}
    # site a: 20 deaths, 80 survivors -> floor(20%) each to test and validation
    assert summary["a"]["n_test"] == 20 and summary["a"]["n_test_deaths"] == 4
    assert summary["a"]["n_validation"] == 20 and summary["a"]["n_train"] == 60
    assert summary["b"]["n_test"] == 10 and summary["b"]["n_train_deaths"] == 6
    again = sites.split_by_site(cohort, seed=1)
    assert split["split"].to_list() == again["split"].to_list()


def test_a_patients_admissions_share_one_split():
    rows = [
        {"site": "a", "patient_id": i // 3, "died_in_hospital": False}
        for i in range(60)
    ]
    split = sites.split_by_site(cohort_from(rows), seed=4)
    per_patient = split.group_by("patient_id").agg(pl.col("split").n_unique())
    assert per_patient["split"].max() == 1


def test_tiny_site_still_gets_a_training_row():
    split = sites.split_by_site(cohort_with({"a": 1}), seed=2)
    assert split["split"].to_list() == ["train"]


def test_a_site_without_a_test_patient_is_refused_naming_the_remedy():
    # 20 survivors and 5 deaths give 4 + 1 test patients; 4 + 1 give none
    cohort = sites.split_by_site(
        cohort_with({"big": 25, "small": 5}, deaths_every=5), seed=0
    )
    with pytest.raises(
        InputError,
        match=r"^site small has 5 admissions and none in its test split, so it "
        r"cannot be scored; raise it$",
    ):
        sites.require_test_patients(cohort, remedy="raise it")
    sites.require_test_patients(cohort.filter(pl.col("site") == "big"), remedy="")


def test_an_empty_split_has_a_feature_matrix_of_no_rows():
    from phibench.federated.features import feature_matrix, feature_names

    empty = cohort_with({"a": 3}).clear()
    assert feature_matrix(empty).shape == (0, len(feature_names()))


def test_label_skew_makes_sites_of_the_requested_size():
    cohort = cohort_with({"a": 500}, deaths_every=4)
    skewed = sites.dirichlet_label_skew(
        cohort, n_sites=4, site_size=50, alpha=0.5, seed=3
    )
    assert skewed.group_by("site").len()["len"].to_list() == [50] * 4


def test_label_skew_refuses_infeasible_sizes():
    cohort = cohort_with({"a": 100}, deaths_every=50)  # 2 deaths
    with pytest.raises(
        InputError, match=r"--skew 5,40,1 is infeasible: 5 sites x 40 rows"
    ):
        sites.dirichlet_label_skew(cohort, n_sites=5, site_size=40, alpha=1, seed=1)


def test_a_missing_site_column_is_one_clear_error():
    frame = cohort_with({"a": 3}).drop("site")
    with pytest.raises(InputError, match="the table has no site column"):
        sites.require_sites(frame, dataset_id="csv:x.csv")


def test_a_user_table_without_a_declared_site_is_refused():
    frame = cohort_with({"user-site": 3})
    with pytest.raises(InputError, match="roles file names no site column"):
        sites.require_sites(frame, dataset_id="csv:x.csv")
