"""Harness overhead of the synthetic generators: phibench wrapper vs the library.

For each generator, fit and sample time and peak memory through phibench's
generator interface, and through the library called directly on the same
rows (SDV synthesizer on a pandas frame; OpenDP's contingency table on the
same discretised frame), as ratios (goal: <= 1.10).

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


def measure(name: str, frame, epochs: int) -> dict[str, float]:
    n = frame.height
    with measured() as harness:
        generator = gen.make_generator(
            name,
            epochs=epochs,
            batch_size=500,
            epsilon=1.0,
            delta=1e-6,
            contribution_cap=1,
        )
        generator.fit(frame, seed=1)
        generator.sample(n, seed=2)
    with measured() as direct:
        if name == "baseline":
            _direct_baseline(frame, n)
        else:
            _direct_sdv(name, frame, epochs, n)
    return {
        "harness_s": harness.seconds,
        "direct_s": direct.seconds,
        "time_ratio": harness.seconds / direct.seconds,
        "harness_peak_mb": harness.peak_mb,
        "direct_peak_mb": direct.peak_mb,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--generators", default="gaussian_copula,ctgan,tvae,baseline")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("SDV_DISABLE_TELEMETRY", "1")
    warnings.simplefilter("ignore")
    frame = _rows(args.rows)
    results = {"rows": frame.height, "columns": frame.width, "epochs": args.epochs}
    for name in args.generators.split(","):
        # run twice: the first pays one-off import and compile costs
        measure(name, frame.head(200), args.epochs)
        results[name] = measure(name, frame, args.epochs)
        print(name, json.dumps(results[name]), file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
