"""The compiled rules stay inside the part of durable_rules 2.0.28 that is memory-safe.

Error 102 ("Could not create ruleset") came from an uninitialised read in the engine's rule
compiler: an `$or` as the last test inside `$iany` leaves a node whose operand is never set, and
whether creation failed depended on what the heap held (1 batch run in 10-20). These tests put
the worst heap content there on purpose, so they fail every time the compiler emits that shape.
"""
from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.book.compiler import compile_path, compile_signals, leaf_pattern
from engine.core.firing import RulesEngine
from engine.book.career_paths import load_paths
from engine.book.rules import EXTERNAL, load_rules

BOOK = load_rules()
ROOT = Path(__file__).resolve().parent.parent


def _every_path() -> list[tuple[str, ...]]:
    paths = set()
    for track, levels in BOOK.tracks.items():
        for current in [EXTERNAL, *levels]:
            for target in levels:
                if current == EXTERNAL or BOOK.levels[target].order > BOOK.levels[current].order:
                    paths.add(tuple(BOOK.path(track, current, target)))
    return sorted(paths)


def _every_plan():
    """Every bundled level path's plan, and the adjacent paths' plan (the same compiler)."""
    paths = load_paths(BOOK)
    return [compile_path(BOOK, path) for path in _every_path()] + [
        compile_signals([(p.id, p.signals) for p in paths.paths.values()])]


def _iany_bodies(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$iany":
                yield from v.values()
            yield from _iany_bodies(v)
    elif isinstance(node, list):
        for v in node:
            yield from _iany_bodies(v)


def _has_or(node) -> bool:
    return "$or" in json.dumps(node)


def _spray_heap(byte: int) -> None:
    """Leave freed heap blocks holding `byte` where the engine's next allocations will land."""
    blocks = [bytes([byte]) * n for n in (512, 1024, 4096, 16384, 65536, 262144) for _ in range(4)]
    del blocks


# Run in a fresh interpreter that imports nothing but the engine's C core: the heap of a long
# test process (or one that imported more) is too busy for the spray to land where the engine
# allocates; in this one it lands every time (40 failures in 40 tries of the naive shape).
_PROBE = r"""
import json, sys
import durable_rules_engine as dre
patterns = json.loads(sys.stdin.read())
# Where freed blocks land depends on their sizes and number, and on the interpreter: several
# sprays, so that at least one puts the bytes under the engine's next allocation.
SPRAYS = [(sizes, reps) for sizes in ((1024, 4096, 16384, 65536, 262144), (600, 700, 800, 900, 1000, 1200, 1500),
                                      (520, 560, 640, 800, 1024, 2048, 4096), (1024, 2048, 4096, 8192))
          for reps in (1, 4, 16)]
out = []
for n, pattern in enumerate(patterns):
    counts = []
    for sizes, reps in SPRAYS:
        failures = 0
        for byte in (0x09, 0x0C):  # JSON_IDENTIFIER and JSON_EXPRESSION in the engine's json.h
            for i in range(10):
                blocks = [bytes([byte]) * k for k in sizes for _ in range(reps)]
                del blocks
                text = json.dumps({"r": {"all": [{"e0": pattern}], "cap": 10}})
                try:
                    dre.delete_ruleset(dre.create_ruleset(f"p{n}-{byte}-{i}", text))
                except Exception:
                    failures += 1
        counts.append(failures)
    out.append(counts)
print(json.dumps(out))
"""


def _failures_after_spray(patterns: list[dict]) -> list[list[int]]:
    """For each pattern, per spray: how many of 20 creations of a one-rule ruleset fail, each
    right after freed heap blocks were filled with the operand type codes the engine rejects."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"}  # the same heap each run
    proc = subprocess.run([sys.executable, "-I", "-c", _PROBE], input=json.dumps(patterns), capture_output=True,
                          text=True, timeout=120, check=True, env=env)
    return json.loads(proc.stdout)


ITEM_CHOICE = {"evidence": "shipped_outcome",
               "any_item": {"field": "metrics", "where": {"kind": {"in": ["user", "business"]}, "improved": True}}}
NAIVE = {"$and": [{"_kind": "ev"}, {"$iany": {"metrics": {"$and": [
    {"$i.improved": True}, {"$or": [{"$i.kind": "user"}, {"$i.kind": "business"}]}]}}}]}


def test_the_engine_hazard_is_real_and_every_compiled_item_test_avoids_it():
    """The root cause, shown: the naive shape (an `$or` last inside `$iany`) fails under this
    heap content; the shape the compiler emits for the same condition, and every item test of
    every bundled plan, never does."""
    bundled = []
    for plan in _every_plan():
        for rule in plan.rules.values():
            for pat in rule.get("all", []):
                body = next(iter(pat.values()))
                if list(_iany_bodies(body)) and body not in bundled:
                    bundled.append(body)
    assert bundled  # the bundled ladder has item tests (a metric that moved)
    naive, compiled, *rest = _failures_after_spray([NAIVE, leaf_pattern(ITEM_CHOICE), *bundled])
    assert max(naive) > 0, naive  # some spray makes the engine refuse the naive shape
    assert sum(compiled) == 0, compiled  # and no spray ever refuses what the compiler emits
    assert [sum(r) for r in rest] == [0] * len(bundled)


def test_every_bundled_plan_registers():
    """And every whole plan registers, a few times over, after the same treatment."""
    for plan in _every_plan():
        for byte in (0x09, 0x0C):
            engine = RulesEngine()
            _spray_heap(byte)
            engine.ensure(plan)
            engine.unregister(plan.name)


def test_no_choice_inside_an_item_test():
    """Structural: nothing inside `$iany` is an `$or`, for every bundled plan."""
    for plan in _every_plan():
        for body in _iany_bodies(plan.rules):
            assert not _has_or(body), (plan.name, body)


@pytest.mark.parametrize("where", [
    {"kind": {"in": ["user", "business"]}, "improved": True},
    {"kind": {"not_in": ["user", "quality"]}, "unit": {"ne": "%"}},
    {"kind": {"in": ["user", "business", "quality"]}, "improved": {"ne": False}},
    {"kind": {"in": ["user"]}},
])
def test_any_item_choices_mean_the_same_on_the_engine(where):
    """`$iany(A and (B or C))` is rewritten as `$iany(A and B) or $iany(A and C)`: the engine
    must still require one item to satisfy every test (not one test per item)."""
    from engine.core.explain import _MISSING, _holds  # the reference meaning of a predicate

    def holds(item: dict, field: str, pred) -> bool:
        ops = pred if isinstance(pred, dict) else {"eq": pred}
        return all(_holds(item.get(field, _MISSING), op, arg) for op, arg in ops.items())

    cond = {"evidence": "shipped_outcome", "any_item": {"field": "metrics", "where": where}}
    body = leaf_pattern(cond)
    assert not any(_has_or(b) for b in _iany_bodies(body))
    values = {"kind": ["user", "business", "quality", None], "improved": [True, False, None],
              "unit": ["%", "x", None]}
    items = [{k: v for k, v in zip(values, combo) if v is not None}
             for combo in itertools.product(*values.values())]
    engine = RulesEngine()
    from engine.book.compiler import Node, Ruleset

    rules = {"n0": {"all": [{"e0": body}], "cap": 1000, "run": "hit:0"},
             "sink": {"all": [{"m": {"$ex": {"_kind": 1}}}, {"never": {"_kind": "$never"}}], "run": "noop"}}
    plan = Ruleset(f"probe#{abs(hash(json.dumps(body, sort_keys=True)))}", (), [Node(0, "leaf", "c", "x", None)],
                {"c": 0}, {}, rules, [])
    facts, expect = [], set()
    for i, (a, b) in enumerate(itertools.combinations_with_replacement(range(len(items)), 2)):
        eid = f"e{i}"
        facts.append({"_kind": "ev", "eid": eid, "type": "shipped_outcome", "age_days": 1,
                      "metrics": [items[a], items[b]]})
        if any(all(holds(item, f, p) for f, p in where.items()) for item in (items[a], items[b])):
            expect.add(eid)
    fired = engine.fire(plan, facts)
    assert set(fired.found.get(0, [])) == expect


def test_every_session_fires_something_whatever_the_evidence(tmp_path):
    """delete_state on a session where no consequence ran segfaults the engine: for every path,
    a packet with no evidence, with only records no level on its path can use, and with records
    just outside each level's recency window must evaluate (in a child process, so a crash is a
    failure, not the end of the test run)."""
    import random

    from conftest import bench_generator

    gen = bench_generator()
    end = dt.date(2026, 6, 30)
    packets = []
    for path in _every_path():
        target = path[-1]
        for ages in ([], [10], [400], [549], [731], [2000]):
            for etype in gen.EVIDENCE_TYPES:
                g = gen.Gen(random.Random(f"{target}{etype}{ages}"), "emp-1", gen.ORDER[target], target,
                            dt.date(2019, 1, 1), end)
                p = {"schema_version": 1, "candidate": {"id": "emp-1", "current_level": "external",
                                                       "target_level": target},
                     "period": {"start": "2019-01-01", "end": end.isoformat()}, "evidence": []}
                for k, age in enumerate(ages):
                    rec = getattr(g, etype)()
                    if rec is None:
                        continue
                    rec.pop("_within", None)
                    rec["date"] = (end - dt.timedelta(days=age)).isoformat()
                    title = g.title(rec)
                    p["evidence"].append({"id": f"ev-{k}", "type": rec.pop("type"), "date": rec.pop("date"),
                                          **({"title": title} if title else {}), **rec})
                packets.append(p)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(p, default=str) + "\n" for p in packets), encoding="utf-8")
    cp = subprocess.run([sys.executable, "-c", "import cli; cli.run()", "batch", str(src), "--out", "-", "--jobs",
                         "1", "--quiet", "--today", "2026-06-30"], cwd=ROOT, capture_output=True, timeout=300)
    lines = cp.stdout.decode().splitlines()
    assert cp.returncode in (0, 3) and len(lines) == len(packets), cp.stderr.decode()[-500:]
    assert not [ln for ln in lines if '"internal"' in ln or '"crash"' in ln]
