#!/usr/bin/env python3
"""Cold start: the wall time of one `ladder` command in a new process, for `--help`, `validate`,
`schema`, `new` and `evaluate` (target: `evaluate` of one fixture in at most 150 ms).

    python bench/coldstart.py [--runs 15] [--ladder PATH] [--base PATH] [--packet FIXTURE] [--only evaluate,...]

Each command runs --runs times (the median counts, the fastest is shown beside it), after one
untimed run that leaves Python's bytecode cache written, as an installed package has it. With
--base (another build's `ladder`, e.g. a second checkout's .venv/bin/ladder) every run of the
head is followed by the same run of the base, so both see the machine at the same moment, and
the last column is the ratio of the medians, head / base. Output goes to /dev/null. --packet
evaluates and validates another fixture, one an older base also accepts (900bf19 refuses the
default one's `link` fields): fixtures/kofi-lanternwick-mid-to-director-ready.yaml, for example.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKET = "fixtures/noor-ashgrove-mid-to-senior-ready.yaml"
TARGET_MS = 150.0
COMMANDS = {
    "--help": ["--help"],
    "validate": ["validate", PACKET],
    "schema": ["schema"],
    "new": ["new", "--target", "senior-pm"],
    "evaluate": ["evaluate", PACKET],
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has its .pyc files: so do the runs
    return env


def _once(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    cp = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - t
    if cp.returncode != 0:
        sys.exit(f"failed ({cp.returncode}): {' '.join(cmd)}\n{cp.stderr.decode()[-2000:]}")
    return took * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="timed runs of each command (the median counts)")
    ap.add_argument("--ladder", default=str(Path(sys.executable).with_name("ladder")), help="the build under test")
    ap.add_argument("--base", default=None, help="another build's ladder, run alternately with it")
    ap.add_argument("--packet", default=PACKET, help=f"the fixture validate and evaluate read (default {PACKET})")
    ap.add_argument("--only", default=",".join(COMMANDS),
                    help="the commands to time, comma-separated (an older base may lack `schema` and `new`)")
    a = ap.parse_args()
    wanted = a.only.split(",")
    if "evaluate" not in wanted or not set(wanted) <= set(COMMANDS):
        ap.error(f"--only: a comma-separated choice of {', '.join(COMMANDS)}, evaluate among them")
    commands = {name: [a.packet if arg == PACKET else arg for arg in args] for name, args in COMMANDS.items()
                if name in wanted}
    env = _env()
    builds = {"head": a.ladder} | ({"base": a.base} if a.base else {})
    times: dict[tuple[str, str], list[float]] = {}
    for name, args in commands.items():
        for build, exe in builds.items():
            _once([exe, *args], env)  # untimed: writes the bytecode cache
            times[build, name] = []
        for _ in range(a.runs):
            for build, exe in builds.items():
                times[build, name].append(_once([exe, *args], env))
    print(f"cold start, wall ms, median of {a.runs} runs (fastest in brackets), from {ROOT}; packet {a.packet}")
    head = "  command     head" + ("            base      head/base" if a.base else "")
    print(head)
    for name in commands:
        h = times["head", name]
        row = f"  {name:<10} {statistics.median(h):6.0f} ({min(h):4.0f})"
        if a.base:
            b = times["base", name]
            row += f"   {statistics.median(b):6.0f} ({min(b):4.0f})   {statistics.median(h) / statistics.median(b):6.2f}x"
        print(row)
    ev = statistics.median(times["head", "evaluate"])
    ok = ev <= TARGET_MS
    print(f"{'PASS' if ok else 'FAIL'}  one cold `ladder evaluate` <= {TARGET_MS:.0f} ms (median {ev:.0f} ms)")
    if a.base:
        ratio = ev / statistics.median(times["base", "evaluate"])
        print(f"{'PASS' if ratio <= 1.0 else 'FAIL'}  cold `ladder evaluate` no slower than the base ({ratio:.2f}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
