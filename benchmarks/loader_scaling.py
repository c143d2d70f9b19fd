"""How load_mimic_iv scales with the size of hosp/labevents.

Builds MIMIC-IV-shaped folders from the v2.2 demo by stacking copies of it with
shifted subject_id / hadm_id (so every copy is a new set of patients), cut to an
exact labevents row count, then measures in fresh subprocesses:

- the loader: wall time of `load_mimic_iv` and the child's peak RSS;
- the baseline: a bare DuckDB scan of labevents with the same columns, declared
  types and item-id filter, i.e. the work no loader can avoid (and, for
  reference, the same scan letting DuckDB sniff the types).

Times are best of --repeats runs; both kinds of child import the same modules,
so peak RSS differences come from the work itself.

Goals: loader time <= 1.5 x the bare scan, loader peak RSS <= 1 GiB.

    uv run python benchmarks/loader_scaling.py [--rows 1000000 10000000]
        [--repeats 3] [--out results.json]

Exit code 0 when every goal is met, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from phibench.data.csv_sql import DUCKDB_CONFIG
from phibench.data.mimic_codes import LAB_ITEMS

MAX_RATIO = 1.5
MAX_RSS_MIB = 1024.0
# The demo's ids span less than these strides, so shifted copies never collide.
SUBJECT_STRIDE = 100_000
HADM_STRIDE = 10_000_000
# Tables copied from the demo, with the id columns each one holds.
TABLES = {
    "hosp/admissions": ("subject_id", "hadm_id"),
    "hosp/patients": ("subject_id",),
    "hosp/diagnoses_icd": ("subject_id", "hadm_id"),
    "icu/icustays": ("subject_id", "hadm_id"),
    "hosp/labevents": ("subject_id", "hadm_id"),
}


def default_demo() -> Path:
    """The demo under PHIBENCH_SHARED_DATA, else under the repo's ../shared/data."""
    shared = os.environ.get("PHIBENCH_SHARED_DATA")
    if not shared:
        shared = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    return Path(shared) / "mimic-iv-demo-2.2"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def build_folder(demo: Path, target: Path, n_lab_rows: int) -> None:
    """Write a scaled copy of the demo; labevents gets exactly n_lab_rows rows.

    Each demo table (11 MB in all) is held in memory once; COPY then streams the
    shifted copies into gzip, so memory stays flat whatever the size.
    """
    connection = duckdb.connect(config={**DUCKDB_CONFIG, "memory_limit": "1GB"})
    connection.execute("SET enable_progress_bar = false")
    strides = {"subject_id": SUBJECT_STRIDE, "hadm_id": HADM_STRIDE}
    demo_labs = _sql_path(demo / "hosp" / "labevents.csv.gz")
    n_demo = connection.execute(f"SELECT count(*) FROM read_csv({demo_labs})")
    # Every table takes as many copies as labevents needs, so that every lab row
    # keeps its admission and patient.
    copies = math.ceil(n_lab_rows / n_demo.fetchall()[0][0])
    for table, ids in TABLES.items():
        source = _sql_path(demo / f"{table}.csv.gz")
        connection.execute(f"CREATE TABLE demo AS SELECT * FROM read_csv({source})")
        shifted = ", ".join(f"{c} + k * {strides[c]} AS {c}" for c in ids)
        limit = f"LIMIT {n_lab_rows}" if table == "hosp/labevents" else ""
        (target / table).parent.mkdir(parents=True, exist_ok=True)
        connection.execute(
            f"COPY (SELECT * REPLACE ({shifted}) FROM range({copies}) AS r(k) "
            f"CROSS JOIN demo {limit}) TO {_sql_path(target / f'{table}.csv.gz')} "
            "(HEADER, DELIMITER ',', COMPRESSION gzip)"
        )
        connection.execute("DROP TABLE demo")
    connection.close()


def child_loader(data_dir: Path) -> tuple[float, float]:
    from phibench.data.mimic import load_mimic_iv

    start, start_cpu = time.perf_counter(), time.process_time()
    cohort = load_mimic_iv(data_dir)
    elapsed = time.perf_counter() - start, time.process_time() - start_cpu
    if cohort.height == 0:
        raise RuntimeError(f"{data_dir}: the loader returned no admissions")
    return elapsed


def child_scan(data_dir: Path, *, sniff: bool = False) -> tuple[float, float]:
    """The baseline: the loader's labevents columns and item ids, nothing more.

    By default the CSV is read as the loader reads it (declared types, no dialect
    sniffing), so the ratio isolates the loader's own work; `sniff` lets DuckDB
    detect types as a plain `read_csv(path)` would.
    """
    item_ids = ", ".join(str(i) for ids in LAB_ITEMS.values() for i in ids)
    path = data_dir / "hosp" / "labevents.csv.gz"
    options = ""
    if not sniff:
        with gzip.open(path, "rt", newline="") as handle:
            header = next(csv.reader(handle))
        types = {"subject_id": "BIGINT", "hadm_id": "BIGINT", "itemid": "BIGINT"}
        types |= {"charttime": "TIMESTAMP", "valuenum": "DOUBLE"}
        columns = ", ".join(f"'{c}': '{types.get(c, 'VARCHAR')}'" for c in header)
        options = f", header = true, auto_detect = false, columns = {{{columns}}}"
    with tempfile.TemporaryDirectory(prefix="phibench-bench-") as spill:
        connection = duckdb.connect(config={**DUCKDB_CONFIG, "temp_directory": spill})
        connection.execute("SET enable_progress_bar = false")
        start, start_cpu = time.perf_counter(), time.process_time()
        connection.sql(
            "SELECT count(valuenum), max(charttime), max(hadm_id), max(subject_id) "
            f"FROM read_csv({_sql_path(path)}{options}) WHERE itemid IN ({item_ids})"
        ).fetchall()
        elapsed = time.perf_counter() - start, time.process_time() - start_cpu
        connection.close()
    return elapsed


def run_child(kind: str, data_dir: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter and read its JSON line."""
    command = [sys.executable, __file__, "--child", kind, "--data-dir", str(data_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(data_dir: Path, n_rows: int, repeats: int) -> dict[str, float | int]:
    """Best-of-`repeats` times (other load on the machine only ever adds time),
    with medians kept in the JSON, and the highest peak RSS seen."""
    runs: dict[str, list[dict[str, float]]] = {"scan": [], "sniff": [], "loader": []}
    for _ in range(repeats):
        for kind in runs:  # interleaved, so cache state and load favour none
            runs[kind].append(run_child(kind, data_dir))
    seconds = {kind: [r["seconds"] for r in rs] for kind, rs in runs.items()}
    result: dict[str, float | int] = {"rows": n_rows}
    for kind, name in (("loader", "loader"), ("scan", "scan"), ("sniff", "sniff")):
        result[f"{name}_seconds"] = round(min(seconds[kind]), 3)
        result[f"{name}_seconds_median"] = round(statistics.median(seconds[kind]), 3)
    result["ratio"] = round(min(seconds["loader"]) / min(seconds["scan"]), 3)
    # CPU time of all threads: less sensitive than wall time to other processes.
    cpu = {kind: min(r["cpu_seconds"] for r in rs) for kind, rs in runs.items()}
    result["loader_cpu_seconds"] = round(cpu["loader"], 3)
    result["scan_cpu_seconds"] = round(cpu["scan"], 3)
    result["cpu_ratio"] = round(cpu["loader"] / cpu["scan"], 3)
    for kind in ("loader", "scan"):
        peak = max(r["rss_mib"] for r in runs[kind])
        result[f"{kind}_peak_rss_mib"] = round(peak, 1)
    gz_bytes = (data_dir / "hosp" / "labevents.csv.gz").stat().st_size
    result["labevents_gzip_mib"] = round(gz_bytes / 2**20, 1)
    return result


def markdown(results: list[dict[str, float | int]]) -> str:
    lines = [
        "| rows | loader s | bare scan s | ratio | loader peak RSS MiB "
        "| CPU ratio | scan with type sniffing s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['loader_seconds']:.2f} | {r['scan_seconds']:.2f} "
            f"| {r['ratio']:.2f} | {r['loader_peak_rss_mib']:.0f} "
            f"| {r['cpu_ratio']:.2f} | {r['sniff_seconds']:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--demo", type=Path, default=default_demo())
    parser.add_argument(
        "--child", choices=["loader", "scan", "sniff"], help=argparse.SUPPRESS
    )
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1 or any(n < 1 for n in args.rows):
        parser.error("--repeats and --rows must be positive integers")
    if args.child is None and not args.demo.is_dir():
        parser.error(f"--demo {args.demo} is not a folder; pass the MIMIC-IV demo")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        if args.child == "loader":
            seconds, cpu = child_loader(args.data_dir)
        else:
            seconds, cpu = child_scan(args.data_dir, sniff=args.child == "sniff")
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_mib": rss_mib}))
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="phibench-loader-scaling-") as work:
        for n_rows in args.rows:
            start = time.perf_counter()
            build_folder(args.demo, Path(work) / str(n_rows), n_rows)
            print(f"built {n_rows:,} rows in {time.perf_counter() - start:.1f} s")
            results.append(measure(Path(work) / str(n_rows), n_rows, args.repeats))

    print(markdown(results))
    ok = all(
        r["ratio"] <= MAX_RATIO and r["loader_peak_rss_mib"] <= MAX_RSS_MIB
        for r in results
    )
    print(f"goals (ratio <= {MAX_RATIO}, RSS <= {MAX_RSS_MIB:.0f} MiB): {ok}")
    if args.out:
        meta = {"python": platform.python_version(), "duckdb": duckdb.__version__}
        meta |= {"cpus": os.cpu_count(), "repeats": args.repeats, "goals_met": ok}
        args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
