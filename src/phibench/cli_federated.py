"""`phibench run federated`: flags to settings, settings to a run folder."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from phibench.errors import InputError


def add_run_parser(commands) -> None:
    run = commands.add_parser(
        "federated",
        help="federated learning across sites (Flower) vs pooled and local-only",
    )
    run.add_argument(
        "--dataset",
        default="embedded",
        help="a dataset id with a cohort loader, or csv:PATH",
    )
    run.add_argument("--data-dir", type=Path, help="folder of the dataset release")
    run.add_argument(
        "--strategy",
        help="comma-separated: fedavg, fedprox, dp-fedavg, "
        "dp-fedavg-client (default fedavg,fedprox,dp-fedavg)",
    )
    run.add_argument("--rounds", type=int, help="federated rounds (default 20)")
    run.add_argument("--model", help="logreg (default) or mlp")
    run.add_argument(
        "--epsilons", help="whole-run epsilons of the DP strategies (default 1,8)"
    )
    run.add_argument("--repeats", type=int, help="seeded repeats (default 3)")
    run.add_argument(
        "--min-site-size",
        type=int,
        help="smaller source sites are grouped (default 200)",
    )
    run.add_argument("--proximal-mu", type=float, help="FedProx mu (default 0.1)")
    run.add_argument("--clipping-norm", type=float, help="DP clipping norm (0.5)")
    run.add_argument("--delta", type=float, help="DP delta (1e-5)")
    run.add_argument(
        "--target-auroc", type=float, help="AUROC for rounds-to-target (0.70)"
    )
    run.add_argument(
        "--no-loso", action="store_true", help="skip the leave-one-site-out runs"
    )
    run.add_argument(
        "--cross-site-dataset",
        help="train a pooled model on this dataset (e.g. "
        "mimic-iv-demo) and test it on this run's test splits",
    )
    run.add_argument("--cross-site-data-dir", type=Path)
    run.add_argument(
        "--skew",
        metavar="N_SITES,SITE_SIZE,ALPHA",
        help="synthetic sites with Dirichlet label skew instead of the real ones",
    )
    run.add_argument("--n-admissions", type=int, help="size of the embedded cohort")
    run.add_argument("--seed", type=int, default=1, help="root seed of the run")
    run.add_argument("--out", type=Path, default=Path("phibench-runs"))
    run.add_argument("--tracking-uri", help="MLflow tracking URI")
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.set_defaults(handler=_run)


def _settings(args: argparse.Namespace):
    from dataclasses import replace

    from phibench.cli import parse_epsilons
    from phibench.federated.settings import Settings

    changes: dict[str, object] = {
        "rounds": args.rounds,
        "model": args.model,
        "repeats": args.repeats,
        "min_site_size": args.min_site_size,
        "proximal_mu": args.proximal_mu,
        "clipping_norm": args.clipping_norm,
        "delta": args.delta,
        "target_auroc": args.target_auroc,
    }
    if args.strategy is not None:
        changes["strategies"] = tuple(s.strip() for s in args.strategy.split(","))
    if args.epsilons is not None:
        changes["epsilons"] = _distinct(args.epsilons, parse_epsilons(args.epsilons))
        _used_by_dp("--epsilons", args.epsilons, args.strategy)
    if args.delta is not None:
        _used_by_dp("--delta", f"{args.delta:g}", args.strategy)
    if args.no_loso:
        changes["leave_one_site_out"] = False
    settings = replace(
        Settings(), **{k: v for k, v in changes.items() if v is not None}
    )
    return settings.validate()


def _used_by_dp(flag: str, typed: str, strategy: str | None) -> None:
    """Refuse a DP setting that no chosen strategy would use."""
    from phibench.federated.settings import DP_STRATEGIES, Settings

    chosen = strategy or ",".join(Settings().strategies)
    if not any(s.strip() in DP_STRATEGIES for s in chosen.split(",")):
        raise InputError(
            f"{flag} {typed}: no DP strategy in --strategy {chosen!r} would use "
            f"it; add dp-fedavg or dp-fedavg-client, or leave {flag} out"
        )


def _skew(text: str | None, min_site_size: int):
    from phibench.runner.federated_job import LabelSkew

    if text is None:
        return None
    parts = text.split(",")
    try:
        if len(parts) != 3:
            raise ValueError(text)
        n_sites, site_size, alpha = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        raise InputError(
            f"--skew {text!r}: give N_SITES,SITE_SIZE,ALPHA, e.g. 5,300,0.5"
        ) from None
    if not (n_sites >= 1 and site_size >= 1 and math.isfinite(alpha) and alpha > 0):
        raise InputError(
            f"--skew {text!r}: N_SITES and SITE_SIZE must be at least 1 and ALPHA "
            "a finite number above 0, e.g. 5,300,0.5"
        )
    if site_size < min_site_size:
        # the sites would be merged until they reach the minimum: fewer sites
        # than asked for, or one
        raise InputError(
            f"--skew {text!r}: sites of {site_size} stays are below "
            f"--min-site-size {min_site_size} and would be merged; give a "
            f"SITE_SIZE of at least {min_site_size} or --min-site-size {site_size}"
        )
    return LabelSkew(n_sites, site_size, alpha)


def _run(args: argparse.Namespace) -> int:
    from phibench.cli import finish_run
    from phibench.runner.federated_job import JobOptions, run_job

    settings = _settings(args)
    options = JobOptions(
        dataset_id=args.dataset,
        data_dir=args.data_dir,
        seed=args.seed,
        n_admissions=args.n_admissions,
        out_dir=args.out,
        tracking_uri=args.tracking_uri,
        settings=settings,
        cross_site_dataset=args.cross_site_dataset,
        cross_site_data_dir=args.cross_site_data_dir,
        label_skew=_skew(args.skew, settings.min_site_size),
    )
    result = run_job(options)
    _print(result, args.format)
    return finish_run(result)


def _print(result, fmt: str) -> None:
    from phibench.federated.report import results_table
    from phibench.report.summary import print_footer, print_json

    if fmt == "json":
        print_json(result)
        return
    print(results_table(result.metrics))
    print_footer(result)


def _distinct(text: str, epsilons: tuple[float, ...]) -> tuple[float, ...]:
    """Refuse one epsilon written twice (`8,08`), quoting what the user typed."""
    parts = [part.strip() for part in text.split(",")]
    first: dict[float, str] = {}
    for part, value in zip(parts, epsilons, strict=True):
        if value in first:
            same = (
                "given twice"
                if part == first[value]
                else f"the same as {first[value]!r}"
            )
            raise InputError(
                f"--epsilons {text!r}: {part!r} is {same}; list each epsilon once "
                "(each epsilon is one DP run; use --repeats for repeated runs)"
            )
        first[value] = part
    return epsilons
