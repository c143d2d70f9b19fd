"""`phibench run text-deid`: the command line of the text de-identification run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from phibench.cli import finish_run


def add_run_parser(commands: Any) -> None:
    run = commands.add_parser(
        "text-deid",
        help="de-identification systems on clinical notes (recall, leaks)",
    )
    run.add_argument(
        "--corpus",
        default="embedded",
        help="a dataset id (embedded by default, physionet-deid, meddocan, "
        "i2b2-2014) or, for any folder, a format (physionet, brat, i2b2-xml)",
    )
    run.add_argument("--data-dir", type=Path, help="folder of the corpus")
    run.add_argument(
        "--systems",
        help="comma-separated: rules, presidio, philter, crf, hf:PATH "
        "(default: every system that runs offline, rules,presidio,philter,crf)",
    )
    run.add_argument(
        "--n-notes",
        type=int,
        help="embedded: notes to generate (300); other corpora: a seeded sample",
    )
    run.add_argument(
        "--n-training-notes",
        type=int,
        default=200,
        help="generated notes added to the training set of systems that learn",
    )
    run.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    run.add_argument(
        "--show-leaks",
        action="store_true",
        help="write each system's surviving PHI text to leaks/ in the run folder "
        "(local only; never logged or tracked)",
    )
    run.add_argument(
        "--surrogates-from",
        help="system whose detections make the de-identified corpus (default: best)",
    )
    run.add_argument("--seed", type=int, default=1, help="root seed of the run")
    run.add_argument("--out", type=Path, default=Path("phibench-runs"))
    run.add_argument(
        "--tracking-uri",
        help="MLflow tracking URI (default: SQLite store ./phibench-runs/mlflow.db)",
    )
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.set_defaults(handler=run_text_deid)


def run_text_deid(args: argparse.Namespace) -> int:
    from phibench.runner.text_deid_job import TextJobOptions, run_job
    from phibench.text.systems import parse_system_names

    options = TextJobOptions(
        corpus=args.corpus,
        data_dir=args.data_dir,
        systems=parse_system_names(args.systems),
        seed=args.seed,
        n_notes=args.n_notes,
        n_training_notes=args.n_training_notes,
        n_boot=args.n_boot,
        show_leaks=args.show_leaks,
        surrogate_system=args.surrogates_from,
        out_dir=args.out,
        tracking_uri=args.tracking_uri,
    )
    result = run_job(options)
    print_result(result, fmt=args.format)
    return finish_run(result)


def print_result(result: Any, *, fmt: str) -> None:
    from phibench.report.summary import print_footer, print_json
    from phibench.text.report import markdown_table

    metrics = result.metrics
    if fmt == "json":
        print_json(
            result,
            best_system=metrics["best_system"],
            systems={n: s["headline"] for n, s in metrics["systems"].items()},
        )
        return
    corpus = metrics["corpus"]
    print(
        f"{corpus['n_notes']} scored notes of {corpus['n_patients']} patients, "
        f"{corpus['n_gold_spans']} gold PHI spans; best system: "
        f"{metrics['best_system']}"
    )
    print(markdown_table(metrics))
    print_footer(result)
