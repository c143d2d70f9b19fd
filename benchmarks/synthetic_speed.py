"""Harness overhead of the synthetic generators: phibench wrapper vs the library.

For each generator, fit and sample time and peak memory through phibench's
generator interface, and through the library called directly on the same
rows (SDV synthesizer on a pandas frame; resampling for the baseline), as
ratios (goal: <= 1.10); medians over alternating rounds. Peak memory is
resident memory above the start of each step, in one process (later steps
reuse memory freed by earlier ones, so memory ratios are indicative only).

    uv run --no-sync python benchmarks/synthetic_speed.py --rows 10000 \
        --generators gaussian_copula,ctgan,baseline --epochs 5
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import numpy as np

from phibench.data.embedded import generate_cohort
from phibench.synthetic import generators as gen
from phibench.synthetic.measure import measured
from phibench.synthetic.table import modelling_table


def _rows(n_rows: int):
    cohort = generate_cohort(n_admissions=n_rows, seed=1)
    table = modelling_table(cohort, contribution_cap=10_000)  # every admission
    return table.drop("patient_id", "admission_id")


def _direct_sdv(name: str, frame, epochs: int, n_rows: int) -> None:
    gen.import_sdv()
    from sdv.single_table import (
        CTGANSynthesizer,
        GaussianCopulaSynthesizer,
        TVAESynthesizer,
    )

    pandas = gen.to_pandas(frame)
    metadata = gen.sdv_metadata(pandas)
    kinds = {
        "gaussian_copula": GaussianCopulaSynthesizer,
        "ctgan": CTGANSynthesizer,
        "tvae": TVAESynthesizer,
    }
    kwargs = {} if name == "gaussian_copula" else {"epochs": epochs, "cuda": False}
    np.random.seed(1)
    synthesizer = kinds[name](metadata, **kwargs)
    synthesizer.fit(pandas)
    synthesizer.sample(num_rows=n_rows)


def _direct_baseline(frame, n_rows: int) -> None:
    rng = np.random.default_rng(1)
    {c: frame[c].gather(rng.integers(0, frame.height, n_rows)) for c in frame.columns}


def _harness(name: str, frame, epochs: int) -> None:
    generator = gen.make_generator(
        name,
        epochs=epochs,
        batch_size=500,
        epsilon=1.0,
        delta=1e-6,
        contribution_cap=1,
    )
    generator.fit(frame, seed=1)
    generator.sample(frame.height, seed=2)


def _direct(name: str, frame, epochs: int) -> None:
    if name == "baseline":
        _direct_baseline(frame, frame.height)
    else:
        _direct_sdv(name, frame, epochs, frame.height)


def measure(name: str, frame, epochs: int, rounds: int) -> dict[str, float]:
    """Median over `rounds` of alternating harness and direct runs."""
    harness, direct = [], []
    for _ in range(rounds):
        for runner, out in ((_harness, harness), (_direct, direct)):
            with measured() as usage:
                runner(name, frame, epochs)
            out.append(usage)
    h_s = float(np.median([u.seconds for u in harness]))
    d_s = float(np.median([u.seconds for u in direct]))
    return {
        "harness_s": h_s,
        "direct_s": d_s,
        "time_ratio": h_s / d_s,
        "harness_peak_mb": float(np.median([u.peak_mb for u in harness])),
        "direct_peak_mb": float(np.median([u.peak_mb for u in direct])),
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--generators", default="gaussian_copula,ctgan,tvae,baseline")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("SDV_DISABLE_TELEMETRY", "1")
    warnings.simplefilter("ignore")
    frame = _rows(args.rows)
    results = {"rows": frame.height, "columns": frame.width, "epochs": args.epochs}
    for name in args.generators.split(","):
        # run twice: the first pays one-off import and compile costs
        measure(name, frame.head(200), args.epochs, 1)
        results[name] = measure(name, frame, args.epochs, args.rounds)
        print(name, json.dumps(results[name]), file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
