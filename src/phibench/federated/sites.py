"""Sites of a federation: which rows each hospital holds, and their splits.

Rules, stated once:
- a source site (eICU `hospitalid`, the embedded generator's sites, MIMIC-IV as
  one site) with at least `min_site_size` admissions is a federation site;
- smaller source sites are merged, in ascending order of their id (numeric ids
  numerically), into groups that each reach `min_site_size`; a remainder that
  does not reach it joins the last group. The eICU demo's 186 hospitals hold
  7 to 26 stays each, so it is grouped this way (no region is used: 210 stays
  have none);
- each site splits its own patients (all admissions of a patient stay
  together) into train / validation / test, stratified by whether the patient
  died, with a seeded generator. Nothing is pooled except by the pooled
  baseline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from phibench.errors import InputError
from phibench.federated.features import LABEL

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.6, 0.2, 0.2)


@dataclass(frozen=True)
class SiteGrouping:
    """Federation site of every source site, and how many source sites each has."""

    mapping: dict[str, str]
    n_source_sites: dict[str, int]


def group_sites(cohort: pl.DataFrame, *, min_site_size: int) -> SiteGrouping:
    """Map source sites to federation sites by the size rule of this module."""
    if isinstance(min_site_size, bool) or min_site_size < 1:
        raise InputError(
            f"--min-site-size {min_site_size}: must be an integer >= 1, e.g. 200"
        )
    sizes = cohort.group_by("site").len().rows()
    large = sorted(site for site, n in sizes if n >= min_site_size)
    small = sorted(((site, n) for site, n in sizes if n < min_site_size), key=_order)
    mapping = {site: site for site in large}
    groups: list[list[str]] = []
    filled = min_site_size
    for site, n in small:
        if filled >= min_site_size:
            groups.append([])
            filled = 0
        groups[-1].append(site)
        filled += n
    if len(groups) > 1 and filled < min_site_size:
        groups[-2].extend(groups.pop())
    for index, members in enumerate(groups, start=1):
        for site in members:
            mapping[site] = f"group-{index:02d}"
    counts: dict[str, int] = {}
    for target in mapping.values():
        counts[target] = counts.get(target, 0) + 1
    return SiteGrouping(mapping, dict(sorted(counts.items())))


def _order(item: tuple[str, int]) -> tuple[int, int, str]:
    site = item[0]
    return (0, int(site), site) if site.isdigit() else (1, 0, site)


def apply_grouping(cohort: pl.DataFrame, grouping: SiteGrouping) -> pl.DataFrame:
    """The cohort with `site` replaced by the federation site."""
    return cohort.with_columns(pl.col("site").replace_strict(grouping.mapping))


def split_by_site(
    cohort: pl.DataFrame,
    *,
    seed: int,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
) -> pl.DataFrame:
    """Add a `split` column: each site splits its own patients, stratified."""
    rng = np.random.default_rng(seed)
    per_patient = (
        cohort.group_by("site", "patient_id")
        .agg(pl.col(LABEL).any().alias("_died"))
        .sort("site", "patient_id")
    )
    chosen: list[str] = []
    for site_rows in per_patient.partition_by("site", maintain_order=True):
        chosen += _split_patients(site_rows["_died"].to_numpy(), fractions, rng)
    assignment = per_patient.select("site", "patient_id").with_columns(
        pl.Series("split", chosen, dtype=pl.String)
    )
    return cohort.join(assignment, on=["site", "patient_id"], how="left")


def _split_patients(
    died: np.ndarray, fractions: tuple[float, float, float], rng: np.random.Generator
) -> list[str]:
    """Split labels per stratum; the train share gets the rounding remainder,
    so that every site with at least one patient has a training patient."""
    out = np.empty(died.size, dtype=object)
    for stratum in (False, True):
        index = np.flatnonzero(died == stratum)
        rng.shuffle(index)
        n_test = int(np.floor(fractions[2] * index.size))
        n_val = int(np.floor(fractions[1] * index.size))
        out[index[:n_test]] = "test"
        out[index[n_test : n_test + n_val]] = "validation"
        out[index[n_test + n_val :]] = "train"
    return list(out)


def require_test_patients(cohort: pl.DataFrame, *, remedy: str) -> None:
    """Refuse a split cohort in which a site has no test patient: the site
    could not be scored, and its AUROC would be missing from every table.
    `remedy` names the setting that makes sites larger."""
    counts = (
        cohort.group_by("site")
        .agg(pl.len().alias("n"), (pl.col("split") == "test").sum().alias("n_test"))
        .sort("site")
    )
    for name, n, n_test in counts.iter_rows():
        if n_test == 0:
            raise InputError(
                f"site {name} has {n} admission{'s' if n != 1 else ''} and none "
                f"in its test split, so it cannot be scored; {remedy}"
            )


def site_names(cohort: pl.DataFrame) -> list[str]:
    """Federation sites in a fixed order (sorted), the order of partition ids."""
    return sorted(cohort["site"].unique().to_list())


def site_summary(cohort: pl.DataFrame) -> list[dict[str, object]]:
    """Counts per site and split (no values): for params.json and the log."""
    rows = []
    for name in site_names(cohort):
        part = cohort.filter(pl.col("site") == name)
        entry: dict[str, object] = {"site": name}
        for split in SPLITS:
            chunk = part.filter(pl.col("split") == split)
            entry[f"n_{split}"] = chunk.height
            entry[f"n_{split}_deaths"] = int(chunk[LABEL].sum())
        rows.append(entry)
    return rows


def dirichlet_label_skew(
    cohort: pl.DataFrame, *, n_sites: int, site_size: int, alpha: float, seed: int
) -> pl.DataFrame:
    """Re-partition the cohort into `n_sites` synthetic sites of `site_size` rows,
    each with a death share drawn from Beta(alpha, alpha) (a two-class Dirichlet).

    Small `alpha` gives strongly skewed sites. Rows are drawn without
    replacement; if the drawn shares need more deaths or survivors than the
    cohort has, the request is infeasible and refused (no silent resizing).
    """
    if n_sites < 1 or site_size < 1 or not 0 < alpha < float("inf"):
        raise InputError(
            f"--skew {n_sites},{site_size},{alpha}: need N_SITES >= 1, "
            "SITE_SIZE >= 1 and a finite ALPHA above 0"
        )
    rng = np.random.default_rng(seed)
    shares = rng.beta(alpha, alpha, size=n_sites)
    deaths_needed = np.rint(shares * site_size).astype(int)
    positives = np.flatnonzero(cohort[LABEL].to_numpy())
    negatives = np.flatnonzero(~cohort[LABEL].to_numpy())
    n_pos, n_neg = int(deaths_needed.sum()), int((site_size - deaths_needed).sum())
    if n_pos > positives.size or n_neg > negatives.size:
        raise InputError(
            f"--skew {n_sites},{site_size},{alpha} is infeasible: {n_sites} sites x "
            f"{site_size} rows with alpha {alpha} need {n_pos} deaths and {n_neg} "
            f"survivors, the cohort has {positives.size} and {negatives.size}; lower "
            "N_SITES or SITE_SIZE"
        )
    rng.shuffle(positives)
    rng.shuffle(negatives)
    site_of = np.full(cohort.height, "", dtype=object)
    pos_at = neg_at = 0
    for k, n_dead in enumerate(deaths_needed):
        site_of[positives[pos_at : pos_at + n_dead]] = f"skew-{k + 1:02d}"
        n_alive = site_size - n_dead
        site_of[negatives[neg_at : neg_at + n_alive]] = f"skew-{k + 1:02d}"
        pos_at, neg_at = pos_at + n_dead, neg_at + n_alive
    skewed = cohort.with_columns(pl.Series("site", site_of, dtype=pl.String))
    return skewed.filter(pl.col("site") != "")


def require_sites(cohort: pl.DataFrame, *, dataset_id: str) -> pl.DataFrame:
    """The cohort, if it has a usable `site` column; InputError otherwise."""
    if "site" not in cohort.columns:
        raise InputError(
            f"--dataset {dataset_id}: the table has no site column; a federation "
            "needs one (for csv:PATH name it in the roles file: `site: COLUMN`)"
        )
    n_missing = cohort["site"].null_count()
    if n_missing:
        raise InputError(
            f"--dataset {dataset_id}: {n_missing} rows have no site; give every "
            "row its hospital"
        )
    if dataset_id.startswith("csv:") and cohort["site"].unique().to_list() == [
        "user-site"
    ]:
        raise InputError(
            f"--dataset {dataset_id}: the roles file names no site column; a "
            "federation needs one: add `site: COLUMN` to the roles file"
        )
    return cohort
