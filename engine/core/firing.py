"""The one module that touches durable_rules.

It registers compiled rulesets (engine.book.compiler) with the durable_rules C engine and fires them
over one candidate's facts at a time. What comes back is ladder's own `Firing` value: which
nodes fired, which evidence each leaf matched, and the aggregates the engine's thresholds were
checked against.

The engine decides; this module only drives it. It drives the C core directly with the same
calls durable's Python `Host` makes (assert, start_action_for_state, complete_and_start_action,
delete_state), minus the per-action Closure/Content/timer plumbing that is half of the cost
(docs/engine.md). There are no background threads: everything runs inside
`fire`, synchronously, so results are deterministic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..base import resources
from ..base.errors import DependencyError
from ..book.compiler import KIND, TAGGED, Ruleset
from ..book.fields import person_key

# The version this module drives: its C API, its limits and the workarounds for its bugs
# (docs/engine.md) were all established on this release and on no other.
DURABLE_RULES = "2.0.28"


def check_durable_rules() -> None:
    """Refuse any durable_rules but DURABLE_RULES (DependencyError says what to install)."""
    installed = resources.installed_version("durable_rules", "durable_rules_engine")
    if installed == DURABLE_RULES:
        return
    found = f"durable_rules {installed} is installed" if installed else "durable_rules is not installed"
    raise DependencyError(
        summary=(
            f"{found}, but ladder needs durable_rules {DURABLE_RULES}: it drives that version's C core directly "
            f"and relies on its exact behaviour. Fix: pip install 'durable-rules=={DURABLE_RULES}' (in the "
            f"environment ladder is installed in), or reinstall ladder."
        )
    )


check_durable_rules()  # at import, before the C core is loaded: never drive another version

# The C core of durable_rules, imported here only, and only when a RulesEngine is made: commands
# that fire nothing (--help, validate, schema) never load it.
_dre: Any = None


def preload() -> None:
    """Load the C core now (batch, before forking its workers: each inherits it, none imports it)."""
    _load_core()


def _load_core() -> None:
    global _dre
    if _dre is None:
        import durable_rules_engine

        _dre = durable_rules_engine


# Every fact goes into the engine as JSON and every consequence comes back as JSON; orjson does
# both several times faster than the json module (the engine takes any valid JSON text).
def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()  # the C API takes str


_loads = orjson.loads


class EngineFailure(RuntimeError):
    """The rules engine reported an error while firing (never expected; a bug if seen)."""


@dataclass
class Firing:
    marked: set[int] = field(default_factory=set)  # nodes whose rule fired: met
    found: dict[int, list[str]] = field(default_factory=dict)  # leaf -> evidence ids it matched
    aggs: dict[int, dict] = field(default_factory=dict)  # aggregate leaf -> the values asserted
    actions: int = 0  # consequences run by the engine for this candidate
    # a leaf with linked_to: each record it matched -> the records its about names that the clause matched
    links: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    pool: dict[int, dict[str, dict]] = field(default_factory=dict)  # a linked leaf's records so far, by id
    asserted: set[str] = field(default_factory=set)  # a linked aggregate's figures asserted so far (no fact twice)


def _get(fact: dict, dotted: str) -> Any:
    cur: Any = fact
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _check(result: Any, what: str) -> int:
    """Mirror of durable.engine.Ruleset._handle_result: codes 1/2 are errors, 3 means no state."""
    code = result[0]
    if code == 1:
        raise EngineFailure(f"{what}: no rule accepts this fact (the sink rule should)")
    if code == 2:
        raise EngineFailure(f"{what}: duplicate fact")
    return 0 if code == 3 else result[1]


Action = Callable[[Firing, str, Callable[[dict], None]], None]


class _Registered:
    def __init__(self, ruleset: Ruleset, handle: int, actions: dict[str, Action]):
        self.ruleset, self.handle, self.actions = ruleset, handle, actions


class RulesEngine:
    """Registered plans by content-hash name (several rule versions can live side by side)."""

    def __init__(self) -> None:
        _load_core()
        self._rulesets: dict[str, _Registered] = {}
        self._sid = 0

    def ensure(self, ruleset: Ruleset) -> None:
        if ruleset.name in self._rulesets:
            return
        actions = {rule: self._action(ruleset, body["run"]) for rule, body in ruleset.rules.items()}
        definition = {rule: {k: v for k, v in body.items() if k != "run"} for rule, body in ruleset.rules.items()}
        handle = _dre.create_ruleset(ruleset.name, json.dumps(definition, ensure_ascii=False))
        self._rulesets[ruleset.name] = _Registered(ruleset, handle, actions)

    def registered(self, ruleset_name: str) -> bool:
        return ruleset_name in self._rulesets

    def unregister(self, ruleset_name: str) -> None:
        """Free a ruleset's C ruleset."""
        reg = self._rulesets.pop(ruleset_name, None)
        if reg is not None:
            _dre.delete_ruleset(reg.handle)

    @staticmethod
    def _action(ruleset: Ruleset, spec: str) -> Action:
        """The consequence for one rule. It gets the engine's message as JSON text and parses only
        what it needs: a mark needs nothing, a hit or a count only the evidence ids."""
        if spec == "noop":
            return lambda fr, message, assert_fact: None
        verb, _, num = spec.partition(":")
        idx = int(num)
        parent = ruleset.nodes[idx].parent
        agg = ruleset.nodes[idx].agg
        linked = ruleset.nodes[idx].link is not None

        def mark(fr: Firing, assert_fact: Callable[[dict], None]) -> None:
            if idx in fr.marked:
                return
            fr.marked.add(idx)
            if parent is not None:
                assert_fact({KIND: "$part", "node": idx, "parent": parent})

        if verb == "tag":  # a linked_to clause's node: tag each record it matched, for the leaves that link to it

            def tag(fr: Firing, message: str, assert_fact: Callable[[dict], None]) -> None:
                new = sorted(set(_ids(message)) - set(fr.found.get(idx, ())))
                fr.found[idx] = sorted({*fr.found.get(idx, ()), *new})
                for eid in new:
                    assert_fact({KIND: TAGGED, "node": idx, "rec": eid})

            return tag
        if linked and verb in ("hit", "collect"):
            return _linked_action(idx, verb, agg, mark)
        if verb == "hit":

            def hit(fr: Firing, message: str, assert_fact: Callable[[dict], None]) -> None:
                fr.found[idx] = sorted(set(_ids(message)))
                mark(fr, assert_fact)

            return hit
        if verb == "collect":
            assert agg is not None
            fname = agg.get("field")
            pfield = agg.get("people_field")

            def collect(fr: Firing, message: str, assert_fact: Callable[[dict], None]) -> None:
                values: dict[str, Any]
                if fname is None and pfield is None and '"_grp":' not in message:
                    fr.found[idx] = sorted(set(_ids(message)))  # a count of records that repeat nothing
                    values = {"n": len(fr.found[idx])}
                else:
                    facts = {t["e0"]["eid"]: t["e0"] for t in _tuples(message)}  # records, not join tuples
                    fr.found[idx] = sorted(facts)
                    values = _figures(facts, agg)
                fr.aggs[idx] = values
                assert_fact({KIND: "$agg", "node": idx, **values})

            return collect
        if verb == "mark":
            return lambda fr, message, assert_fact: mark(fr, assert_fact)
        raise ValueError(f"unknown action {spec}")  # pragma: no cover - the compiler emits only these

    def fire(self, ruleset: Ruleset, facts: list[dict]) -> Firing:
        """Assert all evidence, then the gate (negation and counts are eager), read, forget."""
        self.ensure(ruleset)
        reg = self._rulesets[ruleset.name]
        h = reg.handle
        self._sid += 1
        sid = str(self._sid)
        fr = Firing()

        def assert_fact(fact: dict) -> None:
            fact["sid"] = sid
            _check(_dre.assert_fact(h, _dumps(fact)), ruleset.name)

        try:
            if facts:  # an empty batch segfaults the engine
                for f in facts:
                    f["sid"] = sid
                try:
                    payload = _dumps(facts)
                finally:
                    for f in facts:
                        del f["sid"]
                self._drive(reg, _check(_dre.assert_facts(h, payload), ruleset.name), fr, assert_fact)
            self._drive(
                reg, _check(_dre.assert_fact(h, _dumps({"sid": sid, KIND: "$go"})), ruleset.name), fr, assert_fact
            )
            return fr
        finally:
            # At most 1,024 live sessions per ruleset: always delete. (The compiled `ack` rule
            # guarantees state exists; deleting a session where nothing fired segfaults.)
            try:
                _dre.delete_state(h, sid)
            except Exception:  # noqa: BLE001 - an unknown sid raises; nothing to free then
                pass

    @staticmethod
    def _drive(reg: _Registered, state_handle: int, fr: Firing, assert_fact: Callable[[dict], None]) -> None:
        """Run every queued consequence, one at a time, as durable's Host does."""
        h = reg.handle
        result = _dre.start_action_for_state(h, state_handle)
        if not result:
            return
        pending = result[1]
        actions = reg.actions
        while pending:
            try:
                fr.actions += 1
                actions[_rule_name(pending)](fr, pending, assert_fact)
            except BaseException:
                _dre.abandon_action(h, state_handle)
                raise
            pending = _dre.complete_and_start_action(h, state_handle)


def _figures(facts: dict[str, dict], agg: dict) -> dict[str, Any]:
    """An aggregate leaf's figures over the records it matched (evidence id -> fact): how many, how
    many different values of its field and their mean, how many people."""
    fname = agg.get("field")
    pfield = agg.get("people_field")
    # a record entered twice (engine.book.integrity.repeat_groups) is one record, for every
    # figure: the count, the distinct values, the mean (its first id stands for it)
    one: dict[str, dict] = {}
    for eid in sorted(facts):
        one.setdefault(facts[eid].get("_grp", eid), facts[eid])
    values: dict[str, Any] = {"n": len(one)}
    if fname is not None:
        got = [g for g in (_get(f, fname) for f in one.values()) if g is not None]
        values["distinct"] = len({repr(g) for g in got})
        if got and all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in got):
            values["mean"] = round(sum(got) / len(got), 6)
    if pfield is not None:  # people, not records: one person's ids in any case are one
        people = {person_key(_get(f, pfield)) for f in facts.values()} - {None}
        values["people"] = len(people)
    return values


def _linked_action(
    idx: int, verb: str, agg: dict | None, mark: Callable[[Firing, Callable[[dict], None]], None]
) -> Action:
    """The consequence of a leaf with linked_to. Its matches are join tuples (a record, a link from
    it, the clause's tag on the link's target), which the engine may hand over in several calls
    (cap: a record naming several matched records is several tuples): each call adds to what
    the leaf found, and an aggregate asserts its figures again only when they changed. Records
    are counted, never tuples: one record linked to three matches is one record."""

    def linked(fr: Firing, message: str, assert_fact: Callable[[dict], None]) -> None:
        pairs = fr.links.setdefault(idx, {})
        pool = fr.pool.setdefault(idx, {})
        for t in _tuples(message):
            rec = t["e0"]
            pool.setdefault(rec["eid"], rec)
            got = pairs.setdefault(rec["eid"], [])
            if t["l"]["to"] not in got:
                got.append(t["l"]["to"])
                got.sort()
        fr.found[idx] = sorted(pool)
        if verb == "hit":
            mark(fr, assert_fact)
            return
        assert verb == "collect" and agg is not None
        values = _figures(pool, agg)
        fr.aggs[idx] = values
        fact = {KIND: "$agg", "node": idx, **values}
        key = _dumps(fact)
        if key not in fr.asserted:  # the same fact twice is refused by the engine
            fr.asserted.add(key)
            assert_fact(fact)

    return linked


# A consequence's message is `{"<rule>": [{"<alias>": <fact as we asserted it>, ...}, ...]}`: the
# engine hands back the JSON text each fact was asserted with. Rule names are ours (n12, d12, ack,
# sink), and evidence ids match `[A-Za-z0-9._-]+` (the packet schema). So names and ids are read
# off the text, without parsing every fact into dicts, which was the largest Python cost per
# consequence. `"eid":` can only be the key our evidence facts carry (no nested field has that
# name, and inside a JSON string a quote is always escaped).
_ID = re.compile(r'"eid":(?:"([A-Za-z0-9._-]+)")?')  # '' for a fact whose id does not read so


def _rule_name(message: str) -> str:
    if message.startswith('{"'):
        end = message.find('"', 2)
        if end > 2:
            return message[2:end]
    return next(iter(_loads(message)))  # pragma: no cover - not the engine's format


def _tuples(message: str) -> list[dict]:
    body = next(iter(_loads(message).values()))
    return body if isinstance(body, list) else [body]


def _ids(message: str) -> list[str]:
    """The evidence id of every matched fact; parsed in full unless each id reads as above."""
    found = _ID.findall(message)
    if "" in found:
        return [t["e0"]["eid"] for t in _tuples(message)]
    return found


_ENGINE: RulesEngine | None = None


def rules_engine() -> RulesEngine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = RulesEngine()
    return _ENGINE
