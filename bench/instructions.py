"""Instructions per packet, stage by stage, counted by valgrind's callgrind.

Wall-clock figures on a shared VM move by up to half from one second to the next; instruction
counts do not (they repeat to within about 1 %), so they are the way to tell whether a change
made a stage cheaper. Each stage runs in-process over the same packets once and then twice more;
the difference, divided by the packets, leaves out start-up, imports and compiling the rules.

    python bench/instructions.py                 # 200 packets, all stages (a few minutes)
    python bench/instructions.py --stage all     # only the total

Needs valgrind on PATH. Stages are cumulative: parse; + schema and semantic checks (validate);
+ building facts (check); + firing, explaining and the verdict (evaluate); + JSON output (all).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("parse", "validate", "check", "evaluate", "all")

WORKLOAD = r"""
import sys
from engine import Evaluator, check_document, load_rules
from engine.base.inputs import iter_inputs, load_item
from engine.outputs.report import verdict_json

src, count, passes, stage = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
book = load_rules()
ev = Evaluator(book)
items = list(iter_inputs([src]))[:count]
for it in items:  # compile every path's rules first: not per-packet work
    ev.ruleset(ev.path(check_document(load_item(it, 5 * 2**20), book)))
for _ in range(passes):
    for it in items:
        doc = load_item(it, 5 * 2**20)
        if stage == "parse":
            continue
        if stage == "validate":
            check_document(doc, book, normalised=False)
            continue
        packet = check_document(doc, book)
        if stage == "check":
            continue
        verdict = ev.evaluate(packet)
        if stage == "all":
            verdict_json(verdict)
"""


def instructions(script: Path, packets: Path, count: int, passes: int, stage: str) -> int:
    # A fixed hash seed makes dict and set layouts, and so the garbage collector's timing, the
    # same in every run: otherwise one run's extra collection moves the count by a few percent.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          str(script), str(packets), str(count), str(passes), stage],
                         capture_output=True, text=True, check=True, env=env)
    m = re.search(r"Collected : (\d+)", out.stderr)
    if not m:
        raise SystemExit(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200, help="packets (default 200)")
    ap.add_argument("--seed", default="20260630", help="generator seed (default: the benchmark's)")
    ap.add_argument("--stage", choices=STAGES, action="append", help="a stage to count (default: all five)")
    a = ap.parse_args(argv)
    if not shutil.which("valgrind"):
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    stages = a.stage or list(STAGES)
    with tempfile.TemporaryDirectory() as tmp:
        packets, script = Path(tmp) / "packets.jsonl", Path(tmp) / "workload.py"
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--count", str(a.count), "--seed", a.seed,
                        "--out", str(packets)], check=True, capture_output=True)
        script.write_text(WORKLOAD, encoding="utf-8")
        print(f"instructions per packet, {a.count} packets (seed {a.seed}); stages are cumulative")
        previous = None
        for stage in stages:
            once = instructions(script, packets, a.count, 1, stage)
            thrice = instructions(script, packets, a.count, 3, stage)
            per = (thrice - once) / (2 * a.count)
            step = "" if previous is None else f"  (+{per - previous:,.0f})"
            print(f"  {stage:<9} {per:>12,.0f}{step}", flush=True)
            previous = per
    return 0


if __name__ == "__main__":
    sys.exit(main())
