#!/usr/bin/env python3
"""`ladder import` of 10,000 evidence records, from a CSV and from a workbook, each beside a
baseline measured in the same run (target: 10,000 records in at most 2 s).

    python bench/importing.py [--records 10000] [--rounds 3] [--ladder PATH] [--base PATH]

The records are realistic: packets from bench/generate.py (seed 20260630), written to the
spreadsheet layout by `ladder export` until at least --records rows, so the import reads what a
committee's sheet holds. The baseline is `ladder validate` of the same packets as JSON lines
(the work of checking them, without the sheet), so a figure can be read against this machine's
speed at that minute. Each row reports every run and the fastest (the least disturbed). With
--base (another build's `ladder`), its imports of the same files run in the same rounds, and each
import row is given as a ratio of this build's fastest to the base's.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_S = 2.0


def _run(cmd: list[str]) -> float:
    t = time.perf_counter()
    cp = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - t
    if cp.returncode != 0:
        sys.exit(f"failed ({cp.returncode}): {' '.join(cmd)}\n{cp.stderr.decode()[-2000:]}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ladder", default=str(Path(sys.executable).with_name("ladder")))
    ap.add_argument("--base", help="another build's ladder: its imports run in the same rounds, for a ratio")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        jsonl = t / "packets.jsonl"
        # enough packets for the records asked for (about 28 records a packet)
        n = max(1, a.records // 20)
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--count", str(n), "--seed", "20260630",
                        "--out", str(jsonl)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        packets = t / "packets"
        packets.mkdir()
        total = 0
        for i, line in enumerate(jsonl.read_text(encoding="utf-8").splitlines()):
            data = json.loads(line)
            (packets / f"p{i:05d}.json").write_text(line, encoding="utf-8")
            total += len(data["evidence"])
            if total >= a.records:
                break
        files = sorted(str(p) for p in packets.iterdir())
        kept = t / "kept.jsonl"
        kept.write_text("".join(Path(f).read_text(encoding="utf-8") + "\n" for f in files), encoding="utf-8")
        for out in ("cycle.csv", "cycle.xlsx"):
            subprocess.run([a.ladder, "export", *files, "--out", str(t / out)], check=True,
                           stdout=subprocess.DEVNULL)
        with open(t / "cycle.csv", newline="", encoding="utf-8") as f:
            rows = sum(1 for _ in csv.reader(f)) - 1
        cmds = {
            "validate the same packets (JSON lines)": [a.ladder, "validate", str(kept)],
            "import CSV": [a.ladder, "import", str(t / "cycle.csv"), "--candidates", str(t / "cycle-candidates.csv"),
                           "--out", str(t / "o-csv")],
            "import XLSX": [a.ladder, "import", str(t / "cycle.xlsx"), "--out", str(t / "o-xlsx")],
        }
        if a.base:
            for k in ("import CSV", "import XLSX"):
                cmds[f"{k} (base)"] = [a.base] + cmds[k][1:-1] + [cmds[k][-1] + "-base"]
        runs: dict[str, list[float]] = {k: [] for k in cmds}
        for r in range(a.rounds):
            order = list(cmds) if r % 2 == 0 else list(reversed(cmds))
            for k in order:
                runs[k].append(_run(cmds[k]))
    print(f"{rows:,} evidence records of {len(files):,} candidates, {a.rounds} interleaved rounds (seconds)")
    base = min(runs["validate the same packets (JSON lines)"])
    for k, ts in runs.items():
        best = min(ts)
        verdict = "" if k.startswith("validate") else \
            f"   {'PASS' if best <= TARGET_S else 'FAIL'} (<= {TARGET_S:.0f} s), {best / base:.2f}x validate"
        if f"{k} (base)" in runs:
            verdict += f", {best / min(runs[k + ' (base)']):.2f}x base"
        print(f"  {k:<40} {' '.join(f'{x:6.2f}' for x in ts)}   fastest {best:6.2f}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
