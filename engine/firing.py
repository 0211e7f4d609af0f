"""The one module that touches durable_rules.

It registers compiled plans (engine.compiler) on a thread-free host and fires them over one
candidate's facts at a time. What comes back is ladder's own `Firing` value: which nodes fired,
which evidence each leaf matched, and the aggregates the engine's thresholds were checked on.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

from durable import engine as _dr  # the only import of durable_rules in ladder

from .compiler import KIND, Plan


class EngineFailure(RuntimeError):
    """The rules engine reported an error while firing (never expected; a bug if seen)."""


@dataclass
class Firing:
    marked: set[int] = field(default_factory=set)  # nodes whose rule fired: met
    found: dict[int, list[str]] = field(default_factory=dict)  # leaf -> evidence ids it matched
    aggs: dict[int, dict] = field(default_factory=dict)  # aggregate leaf -> the values asserted
    actions: int = 0  # consequences run by the engine for this candidate


class _QuietHost(_dr.Host):
    def _run(self) -> None:  # no background timer threads: actions run inside assert_* calls
        pass


def _get(fact: dict, dotted: str) -> Any:
    cur: Any = fact
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


class RulesEngine:
    """One host per process; plans registered once by content-hash name and reused."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._live: dict[str, dict[str, Firing]] = {}  # plan name -> sid -> firing in progress
        self._sids = itertools.count(1)

    def ensure(self, plan: Plan) -> None:
        if plan.name in self._live:
            return
        live: dict[str, Firing] = {}
        rules = copy.deepcopy(plan.rules)  # registration pops "run" from the dict
        for body in rules.values():
            body["run"] = self._action(plan, live, body["run"])
        self._host.register_rulesets({plan.name: rules})
        self._live[plan.name] = live

    def unregister(self, plan_name: str) -> None:
        """Free a plan's C ruleset (durable_rules has no public API for this)."""
        import durable_rules_engine

        r = self._host._ruleset_directory.pop(plan_name, None)
        if r is not None:
            self._host._ruleset_list.remove(r)
            durable_rules_engine.delete_ruleset(r._handle)
        self._live.pop(plan_name, None)

    def _action(self, plan: Plan, live: dict[str, Firing], spec: str) -> Callable:
        if spec == "noop":
            return lambda c: None
        verb, _, num = spec.partition(":")
        idx = int(num)
        parent = plan.nodes[idx].parent
        agg = plan.nodes[idx].agg

        def mark(c: Any, fr: Firing) -> None:
            if idx in fr.marked:
                return
            fr.marked.add(idx)
            if parent is not None:
                c.assert_fact({KIND: "$part", "node": idx})

        def matched(c: Any) -> list[dict]:
            return [t._d["e0"] for t in c.m]

        if verb == "hit":
            def hit(c: Any) -> None:
                fr = live[c.s.sid]
                fr.actions += 1
                fr.found[idx] = sorted({f["eid"] for f in matched(c)})
                mark(c, fr)
            return hit
        if verb == "collect":
            assert agg is not None
            fname = agg.get("field")

            def collect(c: Any) -> None:
                fr = live[c.s.sid]
                fr.actions += 1
                facts = {f["eid"]: f for f in matched(c)}  # distinct records, not join tuples
                fr.found[idx] = sorted(facts)
                values = {"n": len(facts)}
                if fname is not None:
                    got = [_get(f, fname) for f in facts.values()]
                    got = [g for g in got if g is not None]
                    values["distinct"] = len({repr(g) for g in got})
                    if got and all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in got):
                        values["mean"] = round(sum(got) / len(got), 6)
                fr.aggs[idx] = values
                c.assert_fact({KIND: "$agg", "node": idx, **values})
            return collect
        if verb == "mark":
            def on_mark(c: Any) -> None:
                fr = live[c.s.sid]
                fr.actions += 1
                mark(c, fr)
            return on_mark
        raise ValueError(f"unknown action {spec}")  # pragma: no cover - compiler emits only these

    def fire(self, plan: Plan, facts: list[dict]) -> Firing:
        """Assert all evidence, then the gate (negation and counts are eager), read, forget."""
        self.ensure(plan)
        live = self._live[plan.name]
        sid = str(next(self._sids))
        fr = live[sid] = Firing()
        try:
            if facts:  # an empty batch segfaults the engine
                for f in facts:
                    f["sid"] = sid
                self._host.assert_facts(plan.name, facts)
            state = self._host.assert_fact(plan.name, {"sid": sid, KIND: "$go"})
            if isinstance(state, dict) and "exception" in state:
                raise EngineFailure(str(state["exception"]))
            return fr
        finally:
            live.pop(sid, None)
            for f in facts:
                f.pop("sid", None)
            try:  # at most 1,024 live sessions per ruleset: always delete
                self._host.delete_state(plan.name, sid)
            except Exception:  # noqa: BLE001 - an unknown sid raises; nothing to free then
                pass


_ENGINE: RulesEngine | None = None


def rules_engine() -> RulesEngine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = RulesEngine()
    return _ENGINE
