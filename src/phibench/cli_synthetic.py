"""`phibench run synthetic`: synthetic data generators scored on fidelity,
utility and privacy measured by attacks."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_run_parser(commands) -> None:
    run = commands.add_parser(
        "synthetic",
        help="synthetic data (SDV, MST/AIM, baseline): fidelity, utility, privacy",
    )
    run.add_argument(
        "--dataset",
        default="embedded",
        help="dataset id with a cohort loader, or csv:PATH",
    )
    run.add_argument("--data-dir", type=Path, help="folder of the dataset release")
    run.add_argument(
        "--generators",
        help="comma-separated: gaussian_copula,ctgan,tvae,mst,aim,baseline "
        "(default gaussian_copula,ctgan,mst,baseline)",
    )
    run.add_argument("--epsilons", help="total epsilon of each DP generator (1,10)")
    run.add_argument(
        "--delta", type=float, help="total delta of each DP generator (1e-6)"
    )
    run.add_argument("--repeats", type=int, help="seeded repeats (3)")
    run.add_argument("--rows", type=int, help="synthetic rows per fit (training rows)")
    run.add_argument("--epochs", type=int, help="CTGAN/TVAE epochs (20)")
    run.add_argument("--batch-size", type=int, help="CTGAN/TVAE batch size (500)")
    run.add_argument("--attacks", type=int, help="Anonymeter attacks per risk (200)")
    run.add_argument(
        "--contribution-cap",
        type=int,
        help="admissions kept per patient, the first in time (1)",
    )
    run.add_argument(
        "--n-admissions",
        type=int,
        help="size of the embedded cohort (2,000 for this benchmark)",
    )
    run.add_argument("--seed", type=int, default=1, help="root seed of the run")
    run.add_argument("--out", type=Path, default=Path("phibench-runs"))
    run.add_argument("--tracking-uri", help="MLflow tracking URI")
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from phibench.cli import finish_run, parse_epsilons
    from phibench.runner.synthetic_job import JobOptions, run_job
    from phibench.synthetic.benchmark import Settings
    from phibench.synthetic.generators import parse_generators

    overrides = {
        "generators": None
        if args.generators is None
        else parse_generators(args.generators),
        "epsilons": None if args.epsilons is None else parse_epsilons(args.epsilons),
        "delta": args.delta,
        "repeats": args.repeats,
        "n_rows": args.rows,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "contribution_cap": args.contribution_cap,
        "n_attacks": args.attacks,
    }
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    result = run_job(
        JobOptions(
            dataset_id=args.dataset,
            data_dir=args.data_dir,
            seed=args.seed,
            n_admissions=args.n_admissions,
            out_dir=args.out,
            tracking_uri=args.tracking_uri,
            settings=settings,
        )
    )
    _print(result, args.format)
    return finish_run(result)


def _print(result, fmt: str) -> None:
    from phibench.report.summary import print_footer, print_json
    from phibench.synthetic.report import markdown_table

    if fmt == "json":
        print_json(result)
        return
    columns = (
        "tstr_auroc",
        "detection_auc",
        "dcr_share",
        "mia_distance_auc",
        "anonymeter_singling_out",
        "fit_s",
    )
    print(markdown_table(result.metrics, columns))
    print_footer(result)
