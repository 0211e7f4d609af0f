#!/usr/bin/env python3
"""CPU time per packet of one build's engine, in process (no start-up, no workers, no I/O).

    python bench/inprocess.py TREE PACKETS.jsonl [--no-plan]

TREE is a checkout of ladder (its engine/ is imported from there, so two checkouts can be
compared with one interpreter: run them alternately and compare the figures of the same round).
The first 50 packets warm up; the figure is process CPU time over all packets.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time


def _engine(module: str, flat: str):
    """engine.<module>, or engine.<flat> in an earlier build whose engine/ was one flat folder
    (so two builds can be compared with this one script)."""
    import importlib

    try:
        return importlib.import_module(f"engine.{module}")
    except ModuleNotFoundError:
        return importlib.import_module(f"engine.{flat}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree")
    ap.add_argument("packets")
    ap.add_argument("--no-plan", action="store_true")
    ap.add_argument("--stages", action="store_true",
                    help="also print CPU per packet of each pipeline stage (load, check, evaluate, plan, JSON)")
    ap.add_argument("--count-firings", action="store_true",
                    help="also count engine firings by phase of engine.core.plan (build, minimise, merge)")
    ap.add_argument("--plan-steps", action="store_true",
                    help="also time the plan stage's steps: the planner's reading, the rounds that build records, "
                         "leaving out and merging, and the proof (the combined packet checked, and fired once)")
    a = ap.parse_args()
    sys.path.insert(0, a.tree)
    batch = _engine("committee.batch", "batch")
    iter_inputs = _engine("base.inputs", "inputs").iter_inputs
    clock = _engine("base.clock", "clock")
    if hasattr(clock, "set_today"):  # an earlier build kept the day of the run in the clock module
        clock.set_today(dt.date(2026, 11, 30))
    fields = getattr(batch.BatchOptions, "__dataclass_fields__", {})
    batch._init_worker(batch.BatchOptions(plan=not a.no_plan, **({"today": "2026-11-30"} if "today" in fields else {})))
    items = list(iter_inputs([a.packets]))
    counts = _instrument() if a.count_firings else None
    steps = _plan_steps() if a.plan_steps else None
    for it in items[:50]:
        batch.process_item(it)
    if counts is not None:
        counts.clear()
    if steps is not None:
        steps.update(dict.fromkeys(steps, 0.0))  # the warm-up does not count
    t = time.process_time()
    for it in items:
        batch.process_item(it)
    us = 1e6 * (time.process_time() - t) / len(items)
    print(f"{a.tree} plans={'off' if a.no_plan else 'on'}: {us:.0f} us/packet CPU over {len(items)} packets")
    if counts is not None:
        print("engine firings by phase:", dict(sorted(counts.items())))
    if steps is not None:
        print("plan steps, CPU us per packet (over all packets): "
              + ", ".join(f"{k} {1e6 * v / len(items):.0f}" for k, v in steps.items()))
    if a.stages:
        _stages(items, not a.no_plan)
    return 0


def _stages(items, with_plan: bool) -> None:
    """CPU per packet of each stage, the pipeline's own functions called one after another."""
    batch, pipeline = _engine("committee.batch", "batch"), _engine("core.pipeline", "pipeline")
    report = _engine("outputs.report", "report")
    dumps, verdict_dict = report.dumps, report.verdict_dict

    ev = batch._WORKER["evaluator"]
    spent = dict.fromkeys(("load", "check", "evaluate", "plan", "JSON"), 0.0)
    clock_ = time.process_time
    planned = 0
    for it in items:
        t0 = clock_()
        doc = pipeline.load(it)
        t1 = clock_()
        spent["load"] += t1 - t0
        if isinstance(doc, pipeline.Result):
            continue
        packet = pipeline.check(doc, ev.book)
        t2 = clock_()
        spent["check"] += t2 - t1
        if isinstance(packet, pipeline.Result):
            continue
        r = pipeline.evaluate(packet, ev)
        t3 = clock_()
        spent["evaluate"] += t3 - t2
        if with_plan:
            pipeline.plan(r, ev)
            planned += r.verdict is not None and r.verdict.plan is not None
        t4 = clock_()
        spent["plan"] += t4 - t3
        if r.verdict is not None:
            dumps(verdict_dict(r.verdict))
        spent["JSON"] += clock_() - t4
    n = len(items)
    print("CPU per packet by stage (us): " + ", ".join(f"{k} {1e6 * v / n:.0f}" for k, v in spent.items())
          + (f"; {planned} of {n} packets got a plan" if with_plan else ""))


def _plan_steps() -> dict[str, float]:
    """Time engine.core.plan's steps by wrapping them (each step's own time, what it calls included)."""
    P = _engine("core.plan", "plan")
    batch = _engine("committee.batch", "batch")
    spent: dict[str, float] = {}

    def timed(name, fn):
        spent[name] = 0.0

        def wrapped(*args, **kw):
            t0 = time.process_time()
            try:
                return fn(*args, **kw)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t0
        return wrapped

    P._make_plan = timed("whole plan", P._make_plan)
    init = P._Reading.__init__
    reading = timed("reading (facts of the packet)", lambda self, *a, **k: init(self, *a, **k))

    def _init(self, *a, **k):
        reading(self, *a, **k)

    P._Reading.__init__ = _init
    P._round = timed("rounds (records built)", P._round)
    P._reduce = timed("leaving out", P._reduce)
    P._merge = timed("merging", P._merge)
    P._with = timed("proof: combined packet checked", P._with)
    ev = batch._WORKER["evaluator"]
    ev.status = timed("proof: one firing", ev.status)
    return spent


def _instrument():
    """Count Evaluator.status calls (each one firing) by the plan phase that made them."""
    from collections import Counter

    batch, P = _engine("committee.batch", "batch"), _engine("core.plan", "plan")

    counts: Counter[str] = Counter()
    phase = ["verdict"]
    ev = batch._WORKER["evaluator"]
    status = ev.status

    def counted(p):
        counts[phase[0]] += 1
        return status(p)

    ev.status = counted

    def during(name, fn):
        def wrapped(*args, **kw):
            old = phase[0]
            phase[0] = name if name != "merge" or old == "build" else old
            try:
                return fn(*args, **kw)
            finally:
                phase[0] = old
        return wrapped

    P._make_plan = during("build", P._make_plan)
    P._minimise = during("minimise", P._minimise)
    P.prove = during("merge", P.prove)
    return counts


if __name__ == "__main__":
    sys.exit(main())
