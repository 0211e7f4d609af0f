#!/usr/bin/env python3
"""The committee's commands: `ladder calibrate` and `ladder compare` over 100,000 results, and
`ladder reverify` against `ladder batch` on the same packets.

    python bench/committee.py                          # 10,000 packets, 100,000 results
    python bench/committee.py --count 2000 --results-count 20000

Generates --count packets (bench/generate.py) and evaluates them once with `ladder batch --jobs 2`.
The 100,000-result files are that output repeated with the candidate ids made unique
(`gen-000042` -> `gen-000042-r3`), so every line is a real verdict; the NEW file for compare is
the same lines in another order (each candidate matched through the old file's index), with a
tenth of the verdicts turned one step. The decisions file agrees with the tool for most
candidates and overrides a criterion for some. Each row runs in a new process (bench/run.py's
`measure`: wall time, CPU, peak RSS of the process tree), --repeat times, fastest reported.
Calibrate and compare also run on a tenth of the results, to show how memory grows with them.

Exit status: 0 when every target passes, 1 otherwise. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402 - bench/ is not a package

TARGET_S = 5.0  # calibrate and compare over 100,000 results
TARGET_REVERIFY = 1.2  # reverify --jobs 2 wall over batch --jobs 2 wall, same packets ("batch speed")
TURN = {"ready": "not_ready", "not_ready": "ready", "insufficient_evidence": "not_ready"}
DECIDE = {"ready": "promoted", "not_ready": "not_promoted", "insufficient_evidence": "deferred"}


def _lines(path: Path) -> list[bytes]:
    with open(path, "rb") as fh:
        return [line.rstrip(b"\n") for line in fh if line.strip()]


def make_inputs(batch_out: Path, work: Path, total: int) -> dict[str, Path]:
    """OLD and NEW results of `total` lines each, and a decisions CSV for OLD."""
    base = _lines(batch_out)
    reps = -(-total // len(base))
    old, new, dec = work / f"old-{total}.jsonl", work / f"new-{total}.jsonl", work / f"decisions-{total}.csv"
    with open(old, "wb") as o, open(dec, "w", encoding="utf-8") as d:
        d.write("cycle,candidate_id,decision,decided_on,reason,overrides\n")
        n = 0
        for r in range(reps):
            for i, line in enumerate(base):
                if n == total:
                    break
                v = json.loads(line)
                cid = v["candidate"]["id"] + f"-r{r}"
                v["candidate"]["id"] = cid
                o.write(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
                decision, override = DECIDE[v["verdict"]], ""
                if n % 7 == 3:  # the committee disagrees now and then, and says why
                    decision = "promoted" if v["verdict"] != "ready" else "deferred"
                    if v["unmet"]:
                        override = f"{v['unmet'][0]}=met"
                d.write(f"2026-h1,{cid},{decision},2026-07-01,Decided in the meeting.,{override}\n")
                n += 1
    order = sorted(range(total), key=lambda k: (k * 7919) % total)  # another order, every line once
    lines = _lines(old)
    with open(new, "wb") as fh:
        for k in order:
            line = lines[k]
            if k % 10 == 0:
                v = json.loads(line)
                v["verdict"] = TURN[v["verdict"]]
                line = json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()
            fh.write(line + b"\n")
    return {"old": old, "new": new, "decisions": dec}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark ladder calibrate, compare and reverify.")
    ap.add_argument("--count", type=int, default=10_000, help="packets generated and batched (default 10000)")
    ap.add_argument("--results-count", type=int, default=100_000, help="results lines (default 100000)")
    ap.add_argument("--seed", default=str(bench.DEFAULT_SEED))
    ap.add_argument("--ladder", default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each row; the fastest is reported")
    ap.add_argument("--poll-ms", type=float, default=50.0)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args(argv)
    ladder = a.ladder or str(Path(sys.executable).parent / "ladder")
    work = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="ladder-bench-committee-"))
    work.mkdir(parents=True, exist_ok=True)
    kw = {"timeout": a.timeout, "poll_ms": a.poll_ms}
    try:
        packets = work / "packets.jsonl"
        bench.generate(packets, a.count, a.seed, min(4, os.cpu_count() or 1))
        results = work / "results.jsonl"
        print(f"ladder committee benchmark: {a.count:,} packets, {a.results_count:,} results (seed {a.seed})")
        print(f"ladder: {ladder} ({bench.ladder_version(ladder)}); machine: {os.cpu_count()} CPUs, {bench.cpu_model()}\n")
        t0 = time.perf_counter()
        big = make_inputs_after_batch(ladder, packets, results, work, a, kw)
        small = make_inputs(results, work, max(1, a.results_count // 10))
        print(f"  inputs ready in {time.perf_counter() - t0:.1f} s "
              f"({big['old'].stat().st_size / 1e6:,.0f} MB per {a.results_count:,}-line file)", file=sys.stderr)
        rows: dict[str, list] = {}

        def go(name, cmd, n, ok=(0,)):
            r = bench.measure(name, cmd, n, work, ok_rc=ok, **kw)
            rows.setdefault(name, []).append(r)
            print(f"  {name}: {'ERROR ' + (r.error or '') if r.error else f'{r.wall:.2f} s'}", file=sys.stderr,
                  flush=True)

        n_small = max(1, a.results_count // 10)
        for _ in range(max(1, a.repeat)):
            go("ladder batch --jobs 2", [ladder, "batch", str(packets), "--out", str(work / "again.jsonl"), "--jobs",
                                         "2", "--quiet"], a.count)
            go("ladder reverify --jobs 2", [ladder, "reverify", str(results), str(packets), "--jobs", "2"], a.count)
            for n, inp in ((a.results_count, big), (n_small, small)):
                go(f"ladder calibrate, {n:,} results", [ladder, "calibrate", "--results", str(inp["old"]),
                                                        "--decisions", str(inp["decisions"]), "--format", "json"], n)
                go(f"ladder compare, {n:,} -> {n:,} results", [ladder, "compare", str(inp["old"]), str(inp["new"]),
                                                               "--format", "json"], n)
        picked = [bench._fastest(rs) for rs in rows.values()]
        print()
        print(bench.table(picked, None))
        for r in picked:
            for note in r.notes:
                print(f"note: {r.name}: {note}")
            if r.error:
                print(f"\nERROR in {r.name}:\n{r.error}")
        by = {r.name.split(" (best")[0]: r for r in picked}
        checks = []
        for name in (f"ladder calibrate, {a.results_count:,} results",
                     f"ladder compare, {a.results_count:,} -> {a.results_count:,} results"):
            r = by[name]
            checks.append(("ERROR" if r.error else "PASS" if r.wall <= TARGET_S else "FAIL",
                           f"{name} <= {TARGET_S:.0f} s: " + ("failed" if r.error else f"{r.wall:.2f} s, peak RSS "
                                                              f"{r.peak_tree_mb or r.max_proc_mb:.0f} MB")))
        b, v = by["ladder batch --jobs 2"], by["ladder reverify --jobs 2"]
        if b.error or v.error:
            checks.append(("ERROR", "reverify at batch speed: a command failed"))
        else:
            ratio = v.wall / b.wall
            checks.append(("PASS" if ratio <= TARGET_REVERIFY else "FAIL",
                           f"reverify --jobs 2 <= {TARGET_REVERIFY}x batch --jobs 2 (same {a.count:,} packets): "
                           f"{v.wall:.2f} s / {b.wall:.2f} s = {ratio:.2f}x"))
        print("\ntargets:")
        for status, text in checks:
            print(f"  {status:<5} {text}")
        return 0 if all(s == "PASS" for s, _ in checks) else 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


def make_inputs_after_batch(ladder: str, packets: Path, results: Path, work: Path, a, kw) -> dict[str, Path]:
    r = subprocess.run([ladder, "batch", str(packets), "--out", str(results), "--jobs", "2", "--quiet"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"committee.py: ladder batch failed:\n{r.stderr[-2000:]}")
    return make_inputs(results, work, a.results_count)


if __name__ == "__main__":
    sys.exit(main())
