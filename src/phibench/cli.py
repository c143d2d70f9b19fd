"""The `phibench` command line: a thin layer over the library.

Exit codes: 0 ran and every pass/fail criterion passed (or did not apply);
1 a criterion failed; 2 bad input (a one-line message on stderr); 3 the run
failed for a reason outside the input, e.g. a worker process killed from
outside (one line, nothing written); 130 interrupted by Ctrl-C, SIGTERM or
the terminal closing (SIGHUP; nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

from phibench import interrupts
from phibench.errors import InputError, RunFailure
from phibench.runner import rundir

EXIT_OK, EXIT_CRITERION_FAILED, EXIT_BAD_INPUT, EXIT_RUN_FAILED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse with phibench's one-line errors (exit 2) instead of a usage dump."""

    def error(self, message: str) -> NoReturn:
        print(
            f"phibench: error: {self.prog}: {message} (see {self.prog} --help)",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_BAD_INPUT)


def main(argv: list[str] | None = None) -> int:
    in_main_thread = threading.current_thread() is threading.main_thread()
    saved = (
        {s: signal.getsignal(s) for s in interrupts.STOP_SIGNALS}
        if in_main_thread
        else {}
    )
    saved_hook = sys.unraisablehook
    try:
        return _main(argv)
    finally:
        if argv is not None:  # a program that called main() gets its own back
            sys.unraisablehook = saved_hook
            for signum, handler in saved.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        elif in_main_thread:
            # The command is over: its results are written, or it said why
            # not. A stop while Python shuts down (PyTorch's exit handlers
            # take a moment) would only print a traceback from them, or end
            # a complete run with a signal's exit status.
            for signum in interrupts.STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _console_logging()
    interrupts.forget_stops()
    rundir.forget_published()
    sys.unraisablehook = _quiet_dropped_stops(sys.unraisablehook)
    if threading.current_thread() is threading.main_thread():
        for signum in interrupts.STOP_SIGNALS:
            # left alone when ignored: `nohup`, a shell's background job
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, interrupts.stop)
    try:
        code = args.handler(args)
        interrupts.check_not_stopped()  # a stop a library dropped on the way
        return code
    except InputError as error:
        print(f"phibench: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunFailure as error:
        print(f"phibench: error: {error}; no result was written", file=sys.stderr)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
            print(f"phibench: {_interrupted()}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK


def _quiet_dropped_stops(hook):
    """Python prints a KeyboardInterrupt raised inside a garbage-collection
    callback or `__del__` as "Exception ignored" with a traceback, and drops
    it. phibench's stop handler has recorded the stop by then, and the command
    acts on it (`interrupts.check_not_stopped`): that traceback is noise.
    `main` puts the caller's hook back."""

    def quiet(unraisable) -> None:
        if unraisable.exc_type is KeyboardInterrupt and interrupts.stop_recorded():
            return
        hook(unraisable)

    return quiet


def _console_logging() -> None:
    package_logger = logging.getLogger("phibench")
    if any(getattr(h, "phibench_console", False) for h in package_logger.handlers):
        return
    console = logging.StreamHandler(sys.stderr)
    console.phibench_console = True
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("phibench: %(levelname)s: %(message)s"))
    package_logger.addHandler(console)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="phibench",
        description="Benchmarks of privacy-enhancing technologies on health data.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )

    bench = commands.add_parser("benchmarks", help="list the benchmarks")
    bench_cmds = bench.add_subparsers(dest="action", required=True)
    listing = bench_cmds.add_parser("list", help="name, data type, description")
    _format_flag(listing)
    listing.set_defaults(handler=_benchmarks_list)

    run = commands.add_parser("run", help="run a benchmark")
    run_cmds = run.add_subparsers(dest="benchmark", required=True)
    _dp_analytics_parser(run_cmds)
    from phibench import cli_federated, cli_synthetic, cli_text

    cli_text.add_run_parser(run_cmds)
    cli_synthetic.add_run_parser(run_cmds)
    cli_federated.add_run_parser(run_cmds)

    spec = commands.add_parser("spec", help="benchmark specifications")
    spec_cmds = spec.add_subparsers(dest="action", required=True)
    validate = spec_cmds.add_parser("validate", help="check a spec YAML file")
    validate.add_argument("file", type=Path)
    validate.set_defaults(handler=_spec_validate)
    show = spec_cmds.add_parser("show", help="print a benchmark's spec as Markdown")
    show.add_argument("benchmark_id")
    show.set_defaults(handler=_spec_show)

    from phibench import cli_datasets

    cli_datasets.add_parser(commands)
    return parser


def _format_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _dp_analytics_parser(commands) -> None:
    run = commands.add_parser(
        "dp-analytics", help="DP summary statistics (OpenDP) over an epsilon sweep"
    )
    run.add_argument(
        "--dataset",
        default="embedded",
        help="a dataset id from `phibench datasets list` with a cohort loader "
        "(embedded by default, mimic-iv, mimic-iv-demo, eicu-crd, eicu-demo, "
        "synthea) or csv:PATH for your own table",
    )
    run.add_argument("--data-dir", type=Path, help="folder of the dataset release")
    run.add_argument(
        "--epsilons",
        help="total epsilon of each release, comma-separated",
    )
    run.add_argument(
        "--delta",
        type=float,
        help="total delta (used by histograms of undeclared categories)",
    )
    run.add_argument("--trials", type=int)
    run.add_argument(
        "--contribution-cap",
        type=int,
        help="admissions kept per patient (the first in time)",
    )
    run.add_argument(
        "--max-rows",
        type=int,
        help="public upper bound on the number of admissions",
    )
    run.add_argument(
        "--n-admissions", type=int, help="size of the embedded cohort (10,000)"
    )
    run.add_argument("--seed", type=int, default=1, help="root seed of the run")
    run.add_argument("--out", type=Path, default=Path("phibench-runs"))
    run.add_argument(
        "--tracking-uri",
        help="MLflow tracking URI (default: SQLite store ./phibench-runs/mlflow.db)",
    )
    _format_flag(run)
    run.set_defaults(handler=_run_dp_analytics)


def parse_epsilons(text: str) -> tuple[float, ...]:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise InputError(
                f"--epsilons {text!r}: {part.strip()!r} is not a number; give "
                "comma-separated numbers > 0, e.g. 0.1,1,10"
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise InputError(
                f"--epsilons {text!r}: epsilon {part.strip()} is not allowed; every "
                "epsilon must be a finite number > 0"
            )
        values.append(value)
    return tuple(values)


def _run_dp_analytics(args: argparse.Namespace) -> int:
    from phibench.runner.dp_analytics_job import JobOptions, run_job
    from phibench.structured.dp_analytics.benchmark import Settings

    overrides = {
        "epsilons": None if args.epsilons is None else parse_epsilons(args.epsilons),
        "trials": args.trials,
        "delta": args.delta,
        "contribution_cap": args.contribution_cap,
        "max_rows": args.max_rows,
    }
    settings = Settings.from_spec(
        {key: value for key, value in overrides.items() if value is not None}
    )
    options = JobOptions(
        dataset_id=args.dataset,
        data_dir=args.data_dir,
        seed=args.seed,
        n_admissions=args.n_admissions,
        out_dir=args.out,
        tracking_uri=args.tracking_uri,
        settings=settings,
    )
    result = run_job(options)
    from phibench.report.summary import print_result

    print_result(result, fmt=args.format)
    return finish_run(result)


def _interrupted() -> str:
    """What a stop left: nothing, or a complete run folder (the stop came
    while MLflow recorded it or while its table printed)."""
    done = rundir.published()
    if not done:
        return "interrupted; no result was written"
    return (
        f"interrupted after the results were written, complete, to {done[-1]}; "
        "if MLflow was still recording them, its run is marked KILLED"
    )


def finish_run(result) -> int:
    """Exit code of a finished run; a run MLflow did not record is an error."""
    if result.tracking_error:
        print(
            f"phibench: error: results are in {result.run_dir}, but MLflow did not "
            f"record them: {result.tracking_error}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return EXIT_OK if result.passed else EXIT_CRITERION_FAILED


def _benchmarks_list(args: argparse.Namespace) -> int:
    from phibench.benchmarks_registry import available

    specs = available()
    if args.format == "json":
        rows = [
            {"id": s.id, "data_type": s.data_type, "summary": s.summary} for s in specs
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    width = max(len(s.id) for s in specs)
    for s in specs:
        print(f"{s.id:<{width}}  {s.data_type:<10}  {s.summary}")
    return EXIT_OK


def _spec_validate(args: argparse.Namespace) -> int:
    from phibench.spec import load_spec

    spec = load_spec(args.file)
    print(
        f"{args.file}: valid spec for benchmark {spec.id!r} "
        f"({len(spec.metrics)} metrics, {len(spec.criteria)} criteria)"
    )
    return EXIT_OK


def _spec_show(args: argparse.Namespace) -> int:
    from phibench.report.spec_doc import render_spec
    from phibench.spec.schema import packaged_ids, packaged_spec

    if args.benchmark_id not in packaged_ids():
        raise InputError(
            f"no benchmark {args.benchmark_id!r}; known: {', '.join(packaged_ids())}"
        )
    print(render_spec(packaged_spec(args.benchmark_id)), end="")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
