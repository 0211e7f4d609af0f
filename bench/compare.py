#!/usr/bin/env python3
"""Two builds of `ladder`, timed on the same packets, interleaved, in one run.

    python bench/compare.py --base /path/to/old/.venv/bin/ladder            # head: this venv's ladder
    python bench/compare.py --base OLD --head NEW --count 10000 --rounds 5
    python bench/compare.py --base .venv/bin/ladder --head-flag=--paths     # what --paths costs

This machine's speed drifts by up to half from minute to minute, so a figure from another run
says little about a change. Here every round runs each row for the base build, then the head
build (then swaps the order next round), and the verdict is the ratio of the medians: head time
/ base time (1.05 = head 5 % slower). Rows: `ladder batch --jobs 1` and `--jobs 2` over the same
generated packets, and optionally (`--audit`) `ladder audit --jobs 2` against `ladder batch --jobs
2 --no-plan` of the head build over the same packets (an audit never plans; target <= 1.1), with
one rule changed in a scratch repository as bench/run.py makes it.

Output: a table with every run's seconds, the medians and the ratio; exit 0.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _time(cmd: list[str], cwd: str | None = None) -> float:
    t = time.perf_counter()
    cp = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - t
    if cp.returncode not in (0, 1, 3):  # 3: some packets invalid (they are still lines of output)
        sys.exit(f"failed ({cp.returncode}): {' '.join(cmd)}\n{cp.stderr.decode()[-2000:]}")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the baseline build's ladder executable")
    ap.add_argument("--head", default=str(Path(sys.executable).with_name("ladder")),
                    help="the build under test (default: the ladder next to this interpreter)")
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", default="20260630")
    ap.add_argument("--head-flag", action="append", default=[],
                    help="an extra option for the head build's batch runs (repeatable), e.g. --head-flag=--no-plan")
    ap.add_argument("--base-flag", action="append", default=[],
                    help="an extra option for the base build's batch runs (repeatable). With --base and --head "
                         "the same build, one option's cost: --head-flag=--paths (and --base-flag=--no-plan "
                         "--head-flag=--no-plan to compare without plans)")
    ap.add_argument("--audit", action="store_true",
                    help="add the audit row: audit --jobs 2 (one rule changed) against batch --jobs 2 --no-plan")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        packets = os.path.join(tmp, "packets.jsonl")
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--count", str(args.count), "--seed", args.seed,
                        "--out", packets], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        builds = {"base": args.base, "head": args.head}
        rows: dict[tuple[str, str], list[float]] = {}
        if args.audit:
            sys.path.insert(0, str(HERE))
            from run import audit_repo

            audit_rules = str(audit_repo(Path(tmp)))
        for r in range(args.rounds):
            order = ["base", "head"] if r % 2 == 0 else ["head", "base"]
            for jobs in ("1", "2"):
                for b in order:
                    cmd = [builds[b], "batch", packets, "--out", os.path.join(tmp, f"{b}.jsonl"), "--jobs", jobs,
                           "--quiet", *(args.head_flag if b == "head" else args.base_flag)]
                    rows.setdefault((f"batch --jobs {jobs}", b), []).append(_time(cmd))
            if args.audit:
                rows.setdefault(("batch --jobs 2 --no-plan", "head"), []).append(_time(
                    [args.head, "batch", packets, "--out", os.path.join(tmp, "a.jsonl"), "--jobs", "2", "--quiet",
                     "--no-plan"]))
                rows.setdefault(("audit --jobs 2", "head"), []).append(_time(
                    [args.head, "audit", "--rules", audit_rules, "--base", "HEAD", "--packets", packets,
                     "--format", "json", "--jobs", "2"]))

    print(f"{args.count} packets, {args.rounds} interleaved rounds; seconds per run, median, packets/s")
    print(f"base {args.base} {' '.join(args.base_flag)}\nhead {args.head} {' '.join(args.head_flag)}")
    med = {k: statistics.median(v) for k, v in rows.items()}
    for (row, b), runs in rows.items():
        print(f"  {row:<28} {b:<5} {' '.join(f'{t:6.2f}' for t in runs)}   median {med[(row, b)]:6.2f} s"
              f"   {args.count / med[(row, b)]:8.0f} /s")
    for jobs in ("1", "2"):
        ratio = med[(f"batch --jobs {jobs}", "head")] / med[(f"batch --jobs {jobs}", "base")]
        print(f"batch --jobs {jobs}: head / base time = {ratio:.3f} ({(ratio - 1) * 100:+.1f} %)")
    if args.audit:
        ratio = med[("audit --jobs 2", "head")] / med[("batch --jobs 2 --no-plan", "head")]
        print(f"audit --jobs 2 / batch --jobs 2 --no-plan time = {ratio:.3f} (target <= 1.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
