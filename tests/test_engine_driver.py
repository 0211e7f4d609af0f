"""ladder's own driver of durable_rules' C core against durable_rules' own Python host.

engine/core/firing.py (RulesEngine.fire) makes the calls durable's `Host` makes (assert, start an
action, complete it and start the next, delete the state) but skips the Host's per-consequence
Closure/Content/timer plumbing and reads rule names and evidence ids off the engine's message
text (docs/engine.md). This registers the same compiled ruleset (engine.book.compiler.compile_path)
with a `durable.engine.Host`, its consequences written against the Host's own API (the Closure's
`m` and `assert_fact`, messages parsed by the Host), and checks on every fixture that the same
rules fire: the same nodes marked, the same evidence ids found per node, the same aggregates, the
same number of consequences.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import durable_rules_engine
import pytest
from conftest import FIXTURES
from durable.engine import Host

from engine import check_document, load_rules
from engine.book.compiler import KIND, Ruleset, compile_path
from engine.core.facts import build_facts
from engine.core.firing import RulesEngine
from engine.base.loader import load_file

PACKETS = sorted(FIXTURES.glob("*.yaml"))
BOOK = load_rules()


class SyncHost(Host):
    """durable's Host without its two background dispatch threads (timers and queued events,
    which ladder never uses): every consequence runs inside the assert call, as in firing.py."""

    def _run(self) -> None:
        pass


class Record:
    """What the Host's consequences saw for one packet: the same fields as firing.Firing."""

    def __init__(self) -> None:
        self.marked: set[int] = set()
        self.found: dict[int, list[str]] = {}
        self.aggs: dict[int, dict] = {}
        self.actions = 0
        self.errors: list[str] = []


def _get(fact: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        fact = fact.get(part) if isinstance(fact, dict) else None
    return fact


def _matched(c) -> list[dict]:
    """The facts of a `cap` consequence: the Host gives a list of Content, one per match."""
    return [m._d["e0"] for m in c.m]


def _consequence(plan: Ruleset, spec: str, current: Callable[[], Record]) -> Callable[[Any], None]:
    """The action for one rule, from the compiler's action name, as a Host callable `f(c)`."""
    verb, _, num = spec.partition(":")

    def mark(rec: Record, idx: int, c) -> None:
        if idx not in rec.marked:
            rec.marked.add(idx)
            if plan.nodes[idx].parent is not None:
                c.assert_fact({KIND: "$part", "node": idx})  # the Closure adds the sid

    def run(c) -> None:
        rec = current()
        rec.actions += 1
        try:
            if verb == "noop":
                return
            idx = int(num)
            if verb == "hit":
                rec.found[idx] = sorted({f["eid"] for f in _matched(c)})
                mark(rec, idx, c)
            elif verb == "collect":
                facts = {f["eid"]: f for f in _matched(c)}
                rec.found[idx] = sorted(facts)
                values: dict[str, Any] = {"n": len(facts)}
                fname = plan.nodes[idx].agg.get("field")
                if fname is not None:
                    got = [g for g in (_get(f, fname) for f in facts.values()) if g is not None]
                    values["distinct"] = len({repr(g) for g in got})
                    if got and all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in got):
                        values["mean"] = round(sum(got) / len(got), 6)
                pfield = plan.nodes[idx].agg.get("people_field")
                if pfield is not None:
                    values["people"] = len({p.strip().casefold() for p in (_get(f, pfield) for f in facts.values())
                                            if isinstance(p, str)})
                rec.aggs[idx] = values
                c.assert_fact({KIND: "$agg", "node": idx, **values})
            elif verb == "mark":
                mark(rec, idx, c)
            else:
                rec.errors.append(f"unknown action {spec}")
        except Exception as exc:  # the Host would only store it in the state: record it instead
            rec.errors.append(f"{spec}: {type(exc).__name__}: {exc}")
            raise

    return run


class HostDriver:
    """Plans registered with one SyncHost; `fire` mirrors RulesEngine.fire through the Host API."""

    def __init__(self) -> None:
        self.host = SyncHost()
        self.current = Record()
        self.names: set[str] = set()
        self.sessions = 0

    def ensure(self, plan: Ruleset) -> None:
        if plan.name in self.names:
            return
        definition = copy.deepcopy(plan.rules)
        for body in definition.values():
            body["run"] = _consequence(plan, body["run"], lambda: self.current)
        self.host.register_rulesets({plan.name: definition})
        self.names.add(plan.name)

    def fire(self, plan: Ruleset, facts: list[dict]) -> Record:
        self.ensure(plan)
        self.sessions += 1
        sid = f"host-{self.sessions}"
        self.current = rec = Record()
        try:
            if facts:
                self.host.assert_facts(plan.name, [dict(f, sid=sid) for f in facts])
            self.host.assert_fact(plan.name, {"sid": sid, KIND: "$go"})
        finally:
            self.host.delete_state(plan.name, sid)
        return rec

    def close(self) -> None:
        for name in self.names:
            durable_rules_engine.delete_ruleset(self.host.get_ruleset(name)._handle)


@pytest.fixture(scope="module")
def drivers():
    direct, host = RulesEngine(), HostDriver()
    yield direct, host
    host.close()
    for name in host.names:
        direct.unregister(name)


SEEN: dict[str, int] = {"marked": 0, "found": 0, "aggs": 0, "packets": 0}


@pytest.mark.parametrize("path", PACKETS, ids=[p.stem for p in PACKETS])
def test_same_rules_fire_as_under_durables_host(drivers, path: Path):
    direct, host = drivers
    packet = check_document(load_file(path), BOOK)
    levels = tuple(BOOK.path(packet.track, packet.current, packet.target))
    plan = compile_path(BOOK, levels)
    facts = build_facts(packet, BOOK, levels)

    ours = direct.fire(plan, facts)
    theirs = host.fire(plan, copy.deepcopy(facts))

    assert theirs.errors == []
    assert ours.marked == theirs.marked
    assert ours.found == theirs.found
    assert ours.aggs == theirs.aggs
    assert ours.actions == theirs.actions
    SEEN["packets"] += 1
    SEEN["marked"] += len(ours.marked)
    SEEN["found"] += sum(map(len, ours.found.values()))
    SEEN["aggs"] += len(ours.aggs)


def test_the_comparison_covered_real_firings(drivers):
    """Not a vacuous agreement: the fixtures above fired rules, cited evidence and counted. Run on
    its own (or with -k), it makes the per-fixture comparisons itself first."""
    if SEEN["packets"] != len(PACKETS):
        for k in SEEN:
            SEEN[k] = 0
        for path in PACKETS:
            test_same_rules_fire_as_under_durables_host(drivers, path)
    assert len(PACKETS) >= 20
    assert SEEN["marked"] > 100 and SEEN["found"] > 100 and SEEN["aggs"] > 10, SEEN
