"""The embedded default cohort: a seeded, offline multi-hospital admissions table.

The project plan names Synthea as the stand-in cohort when a user has no data; this
generator plays that role without any download. It simulates patients with one or
more admissions at several hospitals of different size and case mix, then the
first-day vitals and labs, comorbidities, ICU use, length of stay and in-hospital
death of each admission, from documented models (docs/data/embedded-cohort.md).

Every number below was chosen to resemble published summaries of MIMIC-IV and
eICU-CRD and the open demo releases of both; none was fitted to them. Because the
death model is known exactly (`DEATH_COEFFICIENTS`), benchmarks can compare what a
private method recovers with the truth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace

import numpy as np
import polars as pl

from phibench.data.cohort import (
    ADMISSION_TYPES,
    COMORBIDITY_COLUMNS,
    LAB_COLUMNS,
    RACE_GROUPS,
    VITAL_COLUMNS,
    conform,
)
from phibench.errors import InputError

logger = logging.getLogger(__name__)

#: Bump whenever the frame produced for some seed changes, so runs can record it.
EMBEDDED_VERSION = "1"

MAX_ADMISSIONS = 10_000_000
MAX_SITES = 50
AGE_MIN, AGE_CAP = 18, 91  # MIMIC-IV sets every anchor_age over 89 to 91
STUDY_START = np.datetime64("2018-01-01T00:00", "us")
STUDY_END = np.datetime64("2023-01-01T00:00", "us")
STUDY_DAYS = float((STUDY_END - STUDY_START) / np.timedelta64(1, "D"))

#: True in-hospital death model, on the logit scale; the site and the admission
#: type add their own offsets. Lactate and creatinine enter with their true values,
#: also where the cohort shows them as missing (not measured).
DEATH_COEFFICIENTS: dict[str, float] = {
    "intercept": -4.4,
    "age": 0.45,  # per 10 years above 65
    "lactate": 0.45,  # per mmol/L above 1.5
    "creatinine": 0.35,  # per doubling (log2 of mg/dL)
    "icu_stay": 0.8,
    "chf": 0.5,
    "cancer": 0.8,
}


@dataclass(frozen=True)
class _Site:
    """Case mix of one hospital; shifts are on the logit scale."""

    weight: float  # expected share of admissions
    age_mean: float  # mean age at a patient's first admission, years
    emergency: float  # shift of EMERGENCY admissions
    elective: float  # shift of ELECTIVE and SURGICAL SAME DAY admissions
    icu: float  # shift of ICU admission (small hospitals transfer out)
    death: float  # shift of in-hospital death beyond the modelled terms
    lactate: float  # shift of lactate testing (local practice)
    race: tuple[float, ...]  # shares in RACE_GROUPS order


# An academic centre, four community hospitals and a rural one. Emergency and ICU
# shares follow the contrast between teaching and small hospitals seen in eICU-CRD's
# hospital table; the race mix of the first resembles MIMIC-IV admissions.
_ARCHETYPES = (
    _Site(0.34, 58, 0.1, 0.3, 0.35, 0.25, 0.3, (0.58, 0.17, 0.08, 0.05, 0.05, 0.07)),
    _Site(0.22, 62, 0.2, 0.0, 0.0, 0.0, 0.0, (0.62, 0.15, 0.09, 0.04, 0.04, 0.06)),
    _Site(0.16, 64, 0.3, -0.2, -0.1, 0.1, -0.2, (0.70, 0.12, 0.07, 0.03, 0.03, 0.05)),
    _Site(0.13, 60, -0.3, 0.6, -0.2, -0.3, 0.1, (0.72, 0.07, 0.06, 0.07, 0.03, 0.05)),
    _Site(0.10, 67, 0.4, -0.5, -0.5, 0.15, -0.4, (0.80, 0.06, 0.05, 0.02, 0.03, 0.04)),
    _Site(0.05, 70, 0.6, -0.8, -1.0, 0.3, -0.7, (0.88, 0.03, 0.04, 0.01, 0.02, 0.02)),
)


# Effects of the admission type, in ADMISSION_TYPES order: EMERGENCY, URGENT,
# ELECTIVE, OBSERVATION, SURGICAL SAME DAY. Shares resemble MIMIC-IV after
# coarsening (EW EMER. and DIRECT EMER. to EMERGENCY; EU, DIRECT and AMBULATORY
# OBSERVATION to OBSERVATION). Elective cardiac surgery goes to the ICU afterwards;
# observation stays rarely do. Effects are on the logit scale, except severity (in
# standard deviations) and length of stay (log days).
_BY_TYPE = {
    "share": (0.40, 0.10, 0.04, 0.38, 0.08),
    "severity": (0.3, 0.2, -0.4, -0.5, -0.5),
    "icu": (0.3, 0.5, 0.6, -1.5, -0.5),
    "death": (0.6, 0.4, -0.6, -1.0, -1.2),
    "los": (0.0, 0.1, 0.1, -1.0, -0.6),
    "labs": (0.0, 0.0, -0.5, -1.0, -1.5),
    "is_emergency": (1, 0, 0, 0, 0),
    "is_scheduled": (0, 0, 1, 0, 1),
}
_TYPE = {name: np.array(values, dtype=float) for name, values in _BY_TYPE.items()}
assert all(values.size == len(ADMISSION_TYPES) for values in _TYPE.values())

_OUTCOMES = ("los_days", "icu_stay", "died_in_hospital")
_PASSED_THROUGH = (*_OUTCOMES, *VITAL_COLUMNS, *LAB_COLUMNS, *COMORBIDITY_COLUMNS)

# Comorbidity liability: logit = a + b * (age - 65) / 10 + c * frailty, plus
# diabetes raising CHF and CKD (diabetic heart and kidney disease).
_COMORBIDITY = {
    "diabetes": (-1.15, 0.35, 0.5, 0.0),
    "chf": (-2.2, 0.55, 0.6, 0.5),
    "ckd": (-2.3, 0.5, 0.6, 0.8),
    "copd": (-2.6, 0.3, 0.5, 0.0),
    "cancer": (-2.2, 0.35, 0.4, 0.0),
}


def generate_cohort(
    *, n_admissions: int = 10_000, n_sites: int = 6, seed: int
) -> pl.DataFrame:
    """A realistic multi-hospital admissions cohort, identical for identical seeds.

    Returns `n_admissions` rows in the cohort schema, sorted by admission time.
    Sites are labelled "site-A", "site-B", ...; the first six are fixed archetypes
    (academic centre, four community hospitals, rural hospital) and further sites
    are jittered copies of the community and rural ones.
    """
    _check_int("n_admissions", n_admissions, 1, MAX_ADMISSIONS)
    _check_int("n_sites", n_sites, 1, MAX_SITES)
    _check_int("seed", seed, 0, None)

    root = np.random.SeedSequence(int(seed))
    site_rng, id_rng = (np.random.default_rng(child) for child in root.spawn(2))
    sites = _site_table(int(n_sites), site_rng)

    columns = _simulate(int(n_admissions), sites, root)
    frame = _to_frame(columns, sites, id_rng)
    logger.info(
        "embedded cohort v%s: %d admissions, %d patients, %d sites",
        EMBEDDED_VERSION,
        frame.height,
        frame["patient_id"].n_unique(),
        n_sites,
    )
    return frame


def _simulate(
    n_admissions: int, sites: dict[str, np.ndarray], root: np.random.SeedSequence
) -> dict[str, np.ndarray]:
    """Admissions of whole patients (the last one cut short), `n_admissions` rows."""
    # Deaths and the study window make the rows per patient unknown in advance:
    # simulate batches of patients, each from its own child seed, until enough.
    batches: list[dict[str, np.ndarray]] = []
    n_rows, n_patients, rows_per_patient = 0, 0, 1.5
    while n_rows < n_admissions:
        n_new = int((n_admissions - n_rows) / rows_per_patient * 1.05) + 16
        batch = _simulate_batch(np.random.default_rng(root.spawn(1)[0]), n_new, sites)
        batch["patient"] += n_patients
        batches.append(batch)
        n_patients += n_new
        n_rows += batch["patient"].size
        rows_per_patient = max(batch["patient"].size / n_new, 0.1)

    # Keep patients in order of simulation until n_admissions rows; rows of one
    # patient are stored in time order, so the last patient keeps its earliest.
    patient = np.concatenate([batch["patient"] for batch in batches])
    rows_before = np.cumsum(np.bincount(patient, minlength=n_patients))
    last = int(np.searchsorted(rows_before, n_admissions))
    keep = patient < last
    n_missing = n_admissions - int(keep.sum())
    keep[np.flatnonzero(patient == last)[:n_missing]] = True
    return _concatenate(batches, keep)


def _concatenate(
    parts: list[dict[str, np.ndarray]], keep: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Join column dicts row-wise, freeing each part's column once it is copied."""
    joined = {}
    for name in list(parts[0]):
        column = np.concatenate([part.pop(name) for part in parts])
        joined[name] = column if keep is None else column[keep]
    return joined


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    is_int = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if is_int and low <= value and (high is None or value <= high):
        return
    allowed = f"from {low:,} to {high:,}" if high is not None else f">= {low}"
    raise InputError(f"{name} must be an integer {allowed}; got {value!r}")


def _site_label(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    prefix = letters[index // 26 - 1] if index >= 26 else ""
    return f"site-{prefix}{letters[index % 26]}"


def _site_table(n_sites: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-site parameters as arrays indexed by site number."""
    profiles = list(_ARCHETYPES[:n_sites])
    for index in range(len(_ARCHETYPES), n_sites):
        # Extra sites repeat the non-academic archetypes, smaller each round, with
        # jitter so that no two sites share a case mix.
        base = _ARCHETYPES[1 + (index - len(_ARCHETYPES)) % 5]
        shrink = 0.6 ** (1 + (index - len(_ARCHETYPES)) // 5)
        jitter = rng.normal(size=4)
        profiles.append(
            replace(
                base,
                weight=base.weight * shrink,
                age_mean=base.age_mean + 2.0 * jitter[0],
                icu=base.icu + 0.15 * jitter[1],
                death=base.death + 0.15 * jitter[2],
                lactate=base.lactate + 0.2 * jitter[3],
            )
        )
    table = {
        field.name: np.array([getattr(site, field.name) for site in profiles], float)
        for field in fields(_Site)
    }
    table["weight"] /= table["weight"].sum()
    table["label"] = np.array([_site_label(i) for i in range(n_sites)])
    return table


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of `probs` (rows sum to one), by inverse CDF."""
    below = rng.random((probs.shape[0], 1)) > probs.cumsum(axis=1)
    return np.minimum(below.sum(axis=1), probs.shape[1] - 1)


def _draw_patients(
    rng: np.random.Generator, n: int, sites: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Patient-level attributes, fixed across a patient's admissions."""
    # Admissions per patient: truncated power law k^-2.2 on 1..20, so most patients
    # have one admission and a few have 10-20 (the MIMIC-IV demo has 1 with 20).
    counts = np.arange(1, 21)
    pmf = counts**-2.2
    count = rng.choice(counts, size=n, p=pmf / pmf.sum())

    home = rng.choice(sites["weight"].size, size=n, p=sites["weight"])
    # Age at first admission: 18 + 80 * Beta with the site's mean; ages above 91
    # are later capped, leaving a point mass at 91 as in MIMIC-IV.
    mean = (sites["age_mean"][home] - AGE_MIN) / 80.0
    age0 = AGE_MIN + 80.0 * rng.beta(4.2 * mean, 4.2 * (1.0 - mean))

    return {
        "count": count,
        "home": home,
        "age0": age0,
        "male": rng.random(n) < 0.52,
        "race": _categorical(rng, sites["race"][home]),
        # Frailty links comorbidity burden, severity and readmission.
        "frailty": rng.normal(size=n) + 0.35 * np.log(count),
        # First admission up to a year before the study window: left censoring.
        "t0": rng.uniform(-365.25, STUDY_DAYS, size=n),
        "u": rng.random((n, len(_COMORBIDITY))),
    }


def _simulate_batch(
    rng: np.random.Generator, n_patients: int, sites: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """All in-window admissions of `n_patients` patients, by admission number.

    Loops over the admission number (at most 20), vectorised over patients, so a
    later admission starts after the previous discharge and none follows a death.
    """
    patients = _draw_patients(rng, n_patients, sites)
    active = np.arange(n_patients)
    time = patients["t0"]
    blocks = []
    for number in range(int(patients["count"].max())):
        block = _admission_block(rng, patients, active, time, sites)
        keep = block["time"] >= 0.0
        blocks.append({name: values[keep] for name, values in block.items()})

        # Readmission gaps: some early (median ~10 days), the rest shorter for
        # patients with many admissions; at least one day out of hospital.
        count = patients["count"][active]
        mean_gap = np.where(rng.random(active.size) < 0.2, 14.0, 30.0 + 900.0 / count)
        time = block["time"] + block["los_days"] + 1.0 + rng.exponential(mean_gap)
        more = (number + 1 < count) & ~block["died_in_hospital"] & (time < STUDY_DAYS)
        active, time = active[more], time[more]
        if active.size == 0:
            break

    return _concatenate(blocks)


def _admission_block(
    rng: np.random.Generator,
    patients: dict[str, np.ndarray],
    active: np.ndarray,
    time: np.ndarray,
    sites: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """One admission for each active patient, starting at `time` (days)."""
    n = active.size
    elsewhere = rng.choice(sites["weight"].size, size=n, p=sites["weight"])
    site = np.where(rng.random(n) < 0.9, patients["home"][active], elsewhere)
    years = (time - patients["t0"][active]) / 365.25
    age = np.minimum(np.floor(patients["age0"][active] + years), AGE_CAP)
    frailty = patients["frailty"][active]
    row = {"patient": active, "site": site, "age": age}
    row |= {name: patients[name][active] for name in ("male", "race")}
    row.update(_comorbidities(age, frailty, patients["u"][active]))

    # Admission type by multinomial logit, sampled with the Gumbel-max trick.
    logits = np.log(_TYPE["share"]) + np.outer(
        sites["emergency"][site], _TYPE["is_emergency"]
    )
    logits += np.outer(sites["elective"][site], _TYPE["is_scheduled"])
    logits += np.outer(0.2 * frailty + 0.1 * (age - 65) / 10, _TYPE["is_emergency"])
    kind = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    row["kind"] = kind
    # Scheduled admissions arrive in the morning (06:00-10:00); others at any hour.
    morning = np.floor(time) + rng.uniform(0.25, 5 / 12, size=n)
    # Floor to the minute, so that a time inside the window stays inside.
    admit = np.where(_TYPE["is_scheduled"][kind] > 0, morning, time)
    row["time"] = np.floor(admit * 1440) / 1440

    # Latent acute severity drives ICU use, vitals, labs and testing, not death
    # directly, so the death model is exact in the recorded variables.
    severity = rng.normal(size=n) + 0.3 * frailty + _TYPE["severity"][kind]
    icu_logit = -2.2 + sites["icu"][site] + severity + 0.6 * row["chf"]
    row["icu_stay"] = rng.random(n) < _expit(icu_logit + _TYPE["icu"][kind])
    row.update(_vitals_and_labs(rng, row, severity))
    row["died_in_hospital"] = rng.random(n) < _expit(_death_logit(row, sites))
    row["los_days"] = _length_of_stay(rng, row, severity)
    _mask_unmeasured(rng, row, severity, sites)
    return row


def _comorbidities(
    age: np.ndarray, frailty: np.ndarray, u: np.ndarray
) -> dict[str, np.ndarray]:
    """Flags that only switch on with age: u < p(age) with u fixed per patient."""
    flags: dict[str, np.ndarray] = {}
    diabetes = np.zeros(age.size)
    for column, (name, (a, b, c, d)) in enumerate(_COMORBIDITY.items()):
        logit = a + b * (age - 65) / 10 + c * frailty + d * diabetes
        flags[name] = u[:, column] < _expit(logit)
        if name == "diabetes":
            diabetes = flags[name].astype(float)
    return flags


def _vitals_and_labs(
    rng: np.random.Generator, row: dict[str, np.ndarray], s: np.ndarray
) -> dict[str, np.ndarray]:
    """True first-day values, rounded to the precision they are charted with."""
    n = s.size
    age, male, icu = row["age"] - 60, row["male"], row["icu_stay"]

    def normal(mean: np.ndarray, sd: float, low: float, high: float, digits: int):
        return np.round(np.clip(rng.normal(mean, sd), low, high), digits)

    def lognormal(median: np.ndarray, sd: float, low: float, high: float):
        return np.round(np.clip(median * np.exp(rng.normal(0, sd, n)), low, high), 1)

    hb_base = np.where(male, 13.6, 12.4) - 1.2 * row["ckd"] - 1.0 * row["cancer"]
    creatinine = 0.85 * np.exp(0.2 * male + 0.005 * age + 0.75 * row["ckd"])
    return {
        "heart_rate": normal(84 + 7 * s, 14, 30, 220, 0),
        "sbp": normal(128 + 0.3 * age - 7 * s, 20, 50, 250, 0),
        "resp_rate": normal(18 + 2 * s + 1.5 * row["copd"], 3.5, 6, 60, 0),
        "temperature": normal(36.8 + 0.3 * s, 0.5, 32, 42, 1),
        "spo2": normal(97 - s - 2 * row["copd"], 2, 60, 100, 0),
        "creatinine": lognormal(
            creatinine * np.exp(0.15 * s + 0.15 * row["chf"]), 0.3, 0.2, 15
        ),
        "lactate": lognormal(1.3 * np.exp(0.35 * s + 0.15 * icu), 0.4, 0.3, 20),
        "hemoglobin": normal(hb_base - 0.3 * s - 0.015 * age, 1.7, 3.5, 20, 1),
        "wbc": lognormal(8.0 * np.exp(0.2 * s), 0.35, 0.1, 200),
    }


def _death_logit(
    row: dict[str, np.ndarray], sites: dict[str, np.ndarray]
) -> np.ndarray:
    beta = DEATH_COEFFICIENTS
    return (
        beta["intercept"]
        + sites["death"][row["site"]]
        + _TYPE["death"][row["kind"]]
        + beta["age"] * (row["age"] - 65) / 10
        + beta["lactate"] * (row["lactate"] - 1.5)
        + beta["creatinine"] * np.log2(row["creatinine"])
        + beta["icu_stay"] * row["icu_stay"]
        + beta["chf"] * row["chf"]
        + beta["cancer"] * row["cancer"]
    )


def _length_of_stay(
    rng: np.random.Generator, row: dict[str, np.ndarray], s: np.ndarray
) -> np.ndarray:
    """Log-normal days (median about 3), longer in the ICU and before a death."""
    died = row["died_in_hospital"]
    log_median = (
        np.log(3.0)
        + _TYPE["los"][row["kind"]]
        + 0.7 * row["icu_stay"]
        + 0.15 * s
        + 0.04 * (row["age"] - 65) / 10
        + 0.3 * died
    )
    days = np.exp(log_median + rng.normal(size=s.size) * np.where(died, 1.0, 0.75))
    return np.round(np.clip(days, 1 / 24, 365.0) * 1440) / 1440


def _mask_unmeasured(
    rng: np.random.Generator,
    row: dict[str, np.ndarray],
    s: np.ndarray,
    sites: dict[str, np.ndarray],
) -> None:
    """Replace values that were never measured with NaN (null after `conform`)."""
    n = s.size
    icu, kind = row["icu_stay"], row["kind"]
    for name in ("heart_rate", "sbp", "resp_rate", "temperature", "spo2"):
        row[name][rng.random(n) < 0.02] = np.nan

    # Routine blood tests (a chemistry panel and a blood count) on most admissions,
    # fewer for planned and observation stays; lactate mostly when sepsis or shock
    # is suspected, so in the ICU, after emergency admission, and with severity.
    drawn = rng.random(n) < _expit(2.0 + _TYPE["labs"][kind] + 2.0 * icu)
    row["creatinine"][~drawn | (rng.random(n) < 0.03)] = np.nan
    no_count = ~drawn | (rng.random(n) < 0.04)
    row["hemoglobin"][no_count] = np.nan
    row["wbc"][no_count] = np.nan
    lactate_logit = -2.0 + sites["lactate"][row["site"]] + 2.0 * icu + 0.7 * s
    lactate_logit += 0.8 * _TYPE["is_emergency"][kind]
    row["lactate"][rng.random(n) >= _expit(lactate_logit)] = np.nan


def _to_frame(
    columns: dict[str, np.ndarray],
    sites: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Assign random identifiers, sort by admission time and conform to the schema."""
    n = columns["patient"].size
    # Random identifiers, so that their order cannot leak when or where a patient
    # was first seen (the simulation order would).
    _, patient_index = np.unique(columns["patient"], return_inverse=True)
    patient_id = 10_000_000 + rng.permutation(patient_index.max() + 1)[patient_index]
    admission_id = 20_000_000 + rng.permutation(n)
    minutes = np.round(columns["time"] * 1440).astype(np.int64)

    frame = pl.DataFrame(
        {
            "patient_id": patient_id,
            "admission_id": admission_id,
            "site": pl.Series(sites["label"].tolist()).gather(columns["site"]),
            "admit_time": STUDY_START + minutes.astype("timedelta64[m]"),
            "age": columns["age"],
            "sex": np.where(columns["male"], "M", "F"),
            "race": pl.Series(RACE_GROUPS).gather(columns["race"]),
            "admission_type": pl.Series(ADMISSION_TYPES).gather(columns["kind"]),
        }
        | {name: columns[name] for name in _PASSED_THROUGH}
    )
    return conform(frame.sort("admit_time", "admission_id"), source="embedded")
