#!/usr/bin/env python3
"""`ladder report` at scale (issue 25, point 5): 50,000 results in at most 15 s and 400 MB.

    python bench/report_scale.py                        # 2,000 generated packets -> 50,000 results
    python bench/report_scale.py --results 50000 --count 2000 --ladder .venv/bin/ladder

Generates --count packets (bench/generate.py), evaluates them once with `ladder batch --jobs 2`,
and repeats the verdict lines to --results lines with the candidate ids made unique
(`gen-000042` -> `gen-000042-r3`), so every line is a real verdict. Then times `ladder report`
over them (with a decision for every candidate, as bench/run.py's report row writes them) in a
new process: wall time and the peak resident memory of that process (getrusage of the child).
Prints the figures and a PASS/FAIL line per target; exit 1 when one fails.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_S, TARGET_MB = 15.0, 400.0


def _timed(cmd: list[str]) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak RSS in MB) of one command in a new process."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: run the command, its output to /dev/null
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - t0, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ladder", default=str(Path(sys.executable).with_name("ladder")))
    ap.add_argument("--count", type=int, default=2000, help="packets generated and evaluated (default 2000)")
    ap.add_argument("--results", type=int, default=50_000, help="result lines the report reads (default 50000)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ladder-report-scale-") as tmp:
        work = Path(tmp)
        packets, batch_out = work / "packets.jsonl", work / "batch.jsonl"
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--count", str(a.count), "--seed", str(a.seed),
                        "--out", str(packets), "--quiet"], check=True)
        subprocess.run([a.ladder, "batch", str(packets), "--out", str(batch_out), "--jobs", "2", "--quiet"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = [line for line in batch_out.read_text(encoding="utf-8").splitlines() if '"verdict"' in line]
        results, decisions = work / "results.jsonl", work / "decisions.csv"
        decide = {"ready": "promoted", "not_ready": "not_promoted", "insufficient_evidence": "deferred"}
        with open(results, "w", encoding="utf-8") as out, open(decisions, "w", encoding="utf-8") as dec:
            dec.write("cycle,candidate_id,decision,decided_on,reason,overrides\n")
            n = rep = 0
            while n < a.results:
                for line in base:
                    if n == a.results:
                        break
                    v = json.loads(line)
                    v["candidate"]["id"] = cid = f"{v['candidate']['id']}-r{rep}"
                    out.write(json.dumps(v, separators=(",", ":"), ensure_ascii=False) + "\n")
                    dec.write(f"2026-h1,{cid},{decide[v['verdict']]},2026-07-01,Decided in the meeting.,\n")
                    n += 1
                rep += 1
        size = results.stat().st_size / 1e6
        rc, wall, mb = _timed([a.ladder, "report", str(results), "--out", str(work / "r.html"),
                               "--decisions", str(decisions)])
        page = (work / "r.html").stat().st_size / 1e6 if rc == 0 else 0.0
    load = os.getloadavg()[0]
    print(f"ladder report --decisions over {a.results:,} results ({size:.0f} MB; page {page:.0f} MB), "
          f"load average {load:.1f}:")
    print(f"  exit {rc}, wall {wall:.2f} s, peak memory {mb:.0f} MB")
    ok_s, ok_mb = rc == 0 and wall <= TARGET_S, rc == 0 and mb <= TARGET_MB
    print(f"  {'PASS' if ok_s else 'FAIL'}  wall <= {TARGET_S:g} s")
    print(f"  {'PASS' if ok_mb else 'FAIL'}  peak memory <= {TARGET_MB:g} MB")
    return 0 if ok_s and ok_mb else 1


if __name__ == "__main__":
    sys.exit(main())
