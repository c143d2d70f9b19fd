"""`phibench datasets list|show|check`: the dataset registry on the command line.

Handlers return the exit code: 0 ok; for `check` 1 when files are missing, not
gzip or fail their checksum, and 2 when the folder holds another registered
dataset. Unknown ids and missing folders raise InputError, which `phibench.cli`
turns into a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from phibench.data.registry import ACCESS_LEVELS, DATA_TYPES, describe, load_registry

EXIT_OK = 0


def add_parser(commands) -> None:
    """Add `datasets` and its subcommands to the `phibench` subparsers."""
    datasets = commands.add_parser(
        "datasets", help="the dataset registry: list, show, check a data folder"
    )
    actions = datasets.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="id, type, access, licence, name")
    listing.add_argument("--type", choices=DATA_TYPES, dest="data_type")
    listing.add_argument("--access", choices=ACCESS_LEVELS)
    _format_flag(listing)
    listing.set_defaults(handler=datasets_list)

    show = actions.add_parser("show", help="every registry field of one dataset")
    show.add_argument("dataset_id", metavar="ID")
    _format_flag(show)
    show.set_defaults(handler=datasets_show)

    check = actions.add_parser(
        "check", help="compare a data folder with the dataset's published files"
    )
    check.add_argument("dataset_id", metavar="ID")
    check.add_argument(
        "--data-dir", type=Path, required=True, help="your copy of the release"
    )
    check.add_argument(
        "--skip-checksums",
        action="store_true",
        help="do not hash the files (hashing a full release takes minutes)",
    )
    _format_flag(check)
    check.set_defaults(handler=datasets_check)


def _format_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def datasets_list(args: argparse.Namespace) -> int:
    entries = load_registry().select(data_type=args.data_type, access=args.access)
    if args.format == "json":
        rows = [
            entry.model_dump(
                mode="json",
                include={"id", "name", "data_type", "access", "licence", "data_use"},
            )
            for entry in entries
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not entries:
        print("no dataset matches these filters")
        return EXIT_OK
    width = max(len(entry.id) for entry in entries)
    for entry in entries:
        print(
            f"{entry.id:<{width}}  {entry.data_type:<14}  {entry.access:<12}  "
            f"{entry.licence or '—'}  ({entry.name})"
        )
    return EXIT_OK


def datasets_show(args: argparse.Namespace) -> int:
    entry = load_registry().get(args.dataset_id)
    if args.format == "json":
        print(json.dumps(entry.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{entry.id}: {entry.name}")
    fields = describe(entry)
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        items = [value] if isinstance(value, str) else list(value)
        print(f"  {label:<{width}}  {items[0]}")
        for item in items[1:]:
            print(f"  {'':<{width}}  {item}")
    return EXIT_OK


def datasets_check(args: argparse.Namespace) -> int:
    from phibench.data.access import check

    registry = load_registry()
    entry = registry.get(args.dataset_id)
    report = check(
        entry,
        args.data_dir,
        registry=registry,
        verify_checksums=not args.skip_checksums,
    )
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif report.status != "wrong_dataset":
        _print_check(report)
    if report.status == "wrong_dataset":
        print(f"phibench: error: {report.summary}", file=sys.stderr)
    return report.exit_code


def _print_check(report) -> None:
    present = report.n_expected - len(report.missing)
    print(f"dataset    {report.dataset_id}")
    print(f"folder     {report.data_dir}")
    print(f"present    {present} of {report.n_expected} expected")
    for name in report.missing:
        print(f"missing    {name}")
    for name in report.not_gzip:
        print(f"not gzip   {name}")
    sums = report.checksums
    if sums:
        print(
            f"checksums  {sums.file}: {sums.n_verified} of {sums.n_listed} verified, "
            f"{len(sums.mismatched)} differ, {len(sums.absent)} absent"
        )
        for name in sums.mismatched:
            print(f"differs    {name}")
    for note in report.notes:
        print(f"note       {note}")
    print(report.summary)
