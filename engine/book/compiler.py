"""Rules -> durable_rules rulesets (pure data; no engine import here).

Each criterion becomes a small tree of nodes. Every node is one engine rule:

* leaf, min_count 1:  [e0]                  cap   -> fired = met, cites every match
* leaf, aggregate:    [e0]                  cap   -> asserts an $agg fact (n, distinct, mean)
                      [$agg with thresholds]      -> fired = met (the threshold lives in the rule)
* all_of / any_of:    [$part of each child] (all / any) -> fired = met
* at_least K:         [$part whose parent is this node]  count K -> fired = met (K children fired)
* a level's per-aspect threshold is an at_least node over its supporting criteria of that aspect.
* a level's sufficient-evidence policy is an aggregate leaf over recent records.
* leaf with linked_to: the clause is a node of its own, [e0] cap -> asserts an $in fact per match;
                      the leaf's rule is [e0, l: link from e0, m: $in of the clause at l's target]
                      (equality joins only), hit or collect as above over the records e0 matched.

Leaf rules need no gate: a packet's evidence goes in as one batch before any consequence runs,
and a leaf has neither a negation nor a count that could be decided early (docs/engine.md), so each
leaf's single action sees every match. Joining every match to a gate fact cost ~12% of engine
time. The gate stays where eager evaluation matters: the trailing negation of `ack`.

A node inside a composite asserts a $part fact when it fires, which is what its parent matches.
Only literal tests, $iany over literals, and a gate are emitted: the memory-safe subset of the
engine (docs/engine.md). Dates arrive as integer day counts (`age_days`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import item_clauses, parts
from .fields import PERSON_FIELD
from .operators import OPERATORS, ops_of
from .rules import Criterion, RuleBook, canonical_json

KIND = "_kind"  # discriminator; cannot clash with evidence fields (none start with "_")
GATE = {"go": {KIND: "$go"}}
CAP = 1000  # > the 500 records a packet may hold, so one action sees every match


@dataclass
class Node:
    idx: int
    kind: str  # leaf | agg | all | any | least | given (a status given, not fired: _Builder.given)
    criterion: str | None  # the criterion id at the root of this node's tree; None for sufficiency
    level: str
    parent: int | None
    children: list[int] = field(default_factory=list)
    cond: dict | None = None  # the leaf condition (for explanations)
    agg: dict | None = None  # thresholds of an aggregate leaf
    need: int = 0  # an at_least node: how many children must fire
    link: int | None = None  # a leaf with linked_to: the node of its clause (kind "linkee")


@dataclass
class Ruleset:
    name: str
    path: tuple[str, ...]
    nodes: list[Node]
    roots: dict[str, int]  # criterion id -> root node
    sufficiency: dict[str, int]  # level -> node
    rules: dict[str, Any]  # ruleset body; "run" values are action names resolved by the host
    criteria: list[Criterion]
    aspects: dict[tuple[str, str], int] = field(default_factory=dict)  # (level, aspect) -> threshold node
    carried: tuple[str, ...] = ()  # levels of `path` judged on their required criteria only (RuleBook.carried)


def _pred(key: str, pred: Any) -> list[dict]:
    return [OPERATORS[op].pattern(key, arg) for op, arg in ops_of(pred)]


def leaf_pattern(cond: dict, people: Mapping[str, str] = PERSON_FIELD) -> dict:
    """A leaf's record pattern. `people`: the rule book's person fields (RuleBook.people), for min_people."""
    terms: list[dict] = [{KIND: "ev"}, {"type": cond["evidence"]}]
    for fname, pred in sorted(cond.get("where", {}).items()):
        terms += _pred(fname, pred)
    if "within_days" in cond:
        terms.append({"$lte": {"age_days": cond["within_days"]}})
    elif "default_window" in cond:  # the ladder's window: recent enough, and not before the period
        terms += [{"$lte": {"age_days": cond["default_window"]}}, {"$nex": {"before_start": 1}}]
    if cond.get("unflagged"):  # not a record with an unconfirmed integrity warning (engine.core.facts)
        terms.append({"$nex": {"_flagged": 1}})
    for ai in item_clauses(cond):  # several clauses: each its own $iany, all on this one fact
        inner = [t for f, p in sorted(ai["where"].items()) for t in _pred(f"$i.{f}", p)]
        terms.append(_any_item(ai["field"], inner))
    if "regularly" in cond:  # its window: the last `periods` periods
        reg = cond["regularly"]
        terms.append({"$lte": {"age_days": reg["periods"] * reg["of_days"] - 1}})
    for agg in ("distinct", "mean"):
        if agg in cond:  # only records carrying the field count towards min_records / distinct
            terms.append({"$ex": {cond[agg]["field"]: 1}})
    if "min_people" in cond:  # a record that names no person is nobody's voice
        terms.append({"$ex": {people[cond["evidence"]]: 1}})
    return {"$and": terms}


def _conjunctions(terms: list[dict]) -> list[list[dict]]:
    """The terms as a disjunction of conjunctions of literal tests (an `$or` term is a choice;
    each alternative is a literal test or an `$and` of them, as `_pred` emits)."""
    out: list[list[dict]] = [[]]
    for t in terms:
        alts = t["$or"] if "$or" in t else [t]
        out = [conj + (a["$and"] if "$and" in a else [a]) for conj in out for a in alts]
    return out


def _any_item(field: str, inner: list[dict]) -> dict:
    """ "Some item of the list satisfies every test", with no `$or` inside `$iany`.

    durable_rules 2.0.28 compiles an `$or` to a forward node whose operand it never initialises
    (rete.c createForwardAlpha), and createAlpha then reads that operand when the `$or` is the
    last thing inside an `$iany`: create_ruleset failed with error 102 whenever the heap
    happened to hold 0x09 or 0x0c there (1 run in 10-20 of some batches; docs/engine.md). So
    `$iany(A and (B or C))` is written `$iany(A and B) or $iany(A and C)`, the same condition."""
    alts = [{"$iany": {field: conj[0] if len(conj) == 1 else {"$and": conj}}} for conj in _conjunctions(inner)]
    return alts[0] if len(alts) == 1 else {"$or": alts}


def period_field(of_days: int) -> str:
    """The fact field holding a record's period index for periods of `of_days` days: 0 for the
    of_days days up to the as-of date, 1 for the ones before, ... (engine.core.facts derives it)."""
    return f"_p{of_days}"


def _simple(cond: dict) -> bool:
    return "evidence" in cond and "min_people" not in cond and _agg_spec(cond) is None and "linked_to" not in cond


LINK = "link"  # the _kind of a link fact: {_kind: link, from: <eid>, to: <eid>}, one per id a record's about names
TAGGED = "$in"  # the _kind of the fact a linked_to clause's node asserts per record it matched: {node, rec: <eid>}


def link_patterns(clause_node: int) -> list[dict]:
    """What a leaf with linked_to adds to its record pattern `e0`: a link fact from that record (l)
    to a record the clause's node matched (m). Equality joins only: the engine's safe subset."""
    return [
        {"l": {"$and": [{KIND: LINK}, {"from": {"e0": "eid"}}]}},
        {"m": {"$and": [{KIND: TAGGED}, {"node": clause_node}, {"rec": {"l": "to"}}]}},
    ]


BASE_FIELDS = frozenset({KIND, "eid", "type", "age_days"})  # every fact: identity, type, recency


@dataclass(frozen=True)
class Reads:
    """What the rules of a path read: per evidence type its fields, per list field its item fields.
    Facts carry only these, so less JSON crosses into the engine and back for every consequence
    (a path's rules read a fifth less than the whole book's)."""

    by_type: dict[str, frozenset[str]]
    items: dict[str, frozenset[str]]
    periods: dict[str, frozenset[int]]  # type -> the period lengths (days) `regularly` counts it by
    links: frozenset[str] = frozenset()  # types whose records some linked_to follows (their about: link facts)


def fields_read(criteria: Iterable[Criterion], people: Mapping[str, str] = PERSON_FIELD) -> Reads:
    """What these criteria read: a path's levels' criteria, or the adjacent paths' signals; `people`
    is the rule book's person fields (RuleBook.people).
    (Callers cache it: engine.core.facts builds one copy recipe per rule book and path from it.)"""
    keep: dict[str, set[str]] = {}
    item_keep: dict[str, set[str]] = {}
    periods: dict[str, set[int]] = {}
    links: set[str] = set()
    for cr in criteria:
        _fields(cr.condition, keep, item_keep, periods, links, people)
    return Reads(
        {t: frozenset(v) for t, v in keep.items()},
        {k: frozenset(v) for k, v in item_keep.items()},
        {t: frozenset(v) for t, v in periods.items()},
        frozenset(links),
    )


def _fields(
    cond: dict,
    keep_by_type: dict[str, set[str]],
    item_keep: dict[str, set[str]],
    periods: dict[str, set[int]],
    links: set[str],
    people: Mapping[str, str],
) -> None:
    if "evidence" not in cond:
        for sub in parts(cond):
            _fields(sub, keep_by_type, item_keep, periods, links, people)
        return
    if "linked_to" in cond:
        links.add(cond["evidence"])
        _fields(cond["linked_to"], keep_by_type, item_keep, periods, links, people)
    keep = keep_by_type.setdefault(cond["evidence"], set(BASE_FIELDS))
    keep.update(f.split(".")[0] for f in cond.get("where", {}))
    for ai in item_clauses(cond):
        keep.add(ai["field"])
        item_keep.setdefault(ai["field"], set()).update(ai["where"])
    if "regularly" in cond:
        periods.setdefault(cond["evidence"], set()).add(cond["regularly"]["of_days"])
    for agg in ("distinct", "mean"):
        if agg in cond:
            keep.add(cond[agg]["field"].split(".")[0])
    if "min_people" in cond:
        keep.add(people[cond["evidence"]].split(".")[0])


def _agg_spec(cond: dict, people: Mapping[str, str] = PERSON_FIELD) -> dict | None:
    spec: dict | None = None
    if "distinct" in cond:
        spec = {"field": cond["distinct"]["field"], "distinct": cond["distinct"]["min"], "n": 1}
    elif "mean" in cond:
        m = cond["mean"]
        spec = {"field": m["field"], "n": m["min_records"], **({"gte": m["gte"]} if "gte" in m else {"gt": m["gt"]})}
    elif "regularly" in cond:  # different periods among the matches: `distinct` of the period index
        reg = cond["regularly"]
        spec = {"field": period_field(reg["of_days"]), "distinct": reg["min_periods"], "n": 1}
    elif cond.get("min_count", 1) > 1:
        spec = {"n": cond["min_count"]}
    if "min_people" in cond:  # distinct people among the matches (counted in the consequence)
        spec = {**(spec or {"n": 1}), "people_field": people[cond["evidence"]], "people": cond["min_people"]}
    return spec


class _Builder:
    def __init__(self, people: Mapping[str, str] = PERSON_FIELD) -> None:
        self.nodes: list[Node] = []
        self.rules: dict[str, Any] = {}
        self.people = people  # the rule book's person fields, for min_people leaves

    def add(self, cond: dict, criterion: str | None, level: str, parent: int | None) -> int:
        idx = len(self.nodes)
        if "any_of" in cond and all(_simple(c) for c in cond["any_of"]):
            # One rule instead of one per alternative plus a join: "any record matching any
            # alternative" is a single pattern with $or (fewer engine actions per packet).
            self.nodes.append(Node(idx, "leaf", criterion, level, parent, cond=cond))
            pattern = {"$or": [leaf_pattern(c, self.people) for c in cond["any_of"]]}
            self.rules[f"n{idx}"] = {"all": [{"e0": pattern}], "cap": CAP, "run": f"hit:{idx}"}
            return idx
        if "evidence" in cond:
            agg = _agg_spec(cond, self.people)
            node = Node(idx, "agg" if agg else "leaf", criterion, level, parent, cond=cond, agg=agg)
            self.nodes.append(node)
            pats: list[dict] = [{"e0": leaf_pattern(cond, self.people)}]
            if "linked_to" in cond:
                node.link = self.linkee(cond["linked_to"], criterion, level)
                pats += link_patterns(node.link)
            self.rules[f"n{idx}"] = {"all": pats, "cap": CAP, "run": f"{'collect' if agg else 'hit'}:{idx}"}
            if agg:
                terms: list[dict] = [{KIND: "$agg"}, {"node": idx}, {"$gte": {"n": agg["n"]}}]
                if "distinct" in agg:
                    terms.append({"$gte": {"distinct": agg["distinct"]}})
                if "people" in agg:
                    terms.append({"$gte": {"people": agg["people"]}})
                if "gte" in agg:
                    terms.append({"$gte": {"mean": agg["gte"]}})
                if "gt" in agg:
                    terms.append({"$gt": {"mean": agg["gt"]}})
                self.rules[f"d{idx}"] = {"all": [{"a": {"$and": terms}}], "run": f"mark:{idx}"}
            return idx
        if "at_least" in cond:
            return self.at_least(cond["at_least"], cond["of"], criterion, level, parent)
        key = "all_of" if "all_of" in cond else "any_of"
        node = Node(idx, "all" if key == "all_of" else "any", criterion, level, parent)
        self.nodes.append(node)
        node.children = [self.add(sub, criterion, level, idx) for sub in cond[key]]
        pats = [{f"p{i}": {"$and": [{KIND: "$part"}, {"node": c}]}} for i, c in enumerate(node.children)]
        self.rules[f"n{idx}"] = {"all" if key == "all_of" else "any": pats, "run": f"mark:{idx}"}
        return idx

    def linkee(self, clause: dict, criterion: str | None, level: str) -> int:
        """A linked_to clause: a node of its own (no parent: its matches make nothing met) whose
        rule tags every record it matches with an $in fact, which the linking leaf's rule joins."""
        idx = len(self.nodes)
        self.nodes.append(Node(idx, "linkee", criterion, level, None, cond=clause))
        self.rules[f"n{idx}"] = {"all": [{"e0": leaf_pattern(clause, self.people)}], "cap": CAP, "run": f"tag:{idx}"}
        return idx

    def given(self, criterion: str, level: str) -> int:
        """A criterion whose status is given, not fired (Evaluator.evaluate_known): one rule that
        marks it on a `$given` fact naming its node, asserted only when its status is met, so that
        a per-aspect threshold over it counts it in the engine. (compile_path drops the rule when
        no threshold is over it: then nothing in the engine reads its status.)"""
        idx = len(self.nodes)
        self.nodes.append(Node(idx, "given", criterion, level, None))
        self.rules[f"n{idx}"] = {"all": [{"g": {"$and": [{KIND: "$given"}, {"node": idx}]}}], "run": f"mark:{idx}"}
        return idx

    def at_least(self, need: int, subs: list[dict], criterion: str | None, level: str, parent: int | None) -> int:
        """K of these conditions: the engine counts the $part facts its children assert (each
        child marks once, so K parts are K different children); `count: K` fires on the K-th."""
        idx = len(self.nodes)
        node = Node(idx, "least", criterion, level, parent, need=need)
        self.nodes.append(node)
        node.children = [self.add(sub, criterion, level, idx) for sub in subs]
        self._count_parts(idx, need)
        return idx

    def aspect(self, level: str, need: int, roots: list[int]) -> int:
        """A level's per-aspect threshold: an at_least node over criteria already compiled (their
        roots now assert a $part for it when they fire)."""
        idx = len(self.nodes)
        self.nodes.append(Node(idx, "least", None, level, None, children=list(roots), need=need))
        for r in roots:
            self.nodes[r].parent = idx
        self._count_parts(idx, need)
        return idx

    def _count_parts(self, idx: int, need: int) -> None:
        self.rules[f"n{idx}"] = {
            "all": [{"p": {"$and": [{KIND: "$part"}, {"parent": idx}]}}],
            "count": need,
            "run": f"mark:{idx}",
        }


def compile_signals(
    groups: list[tuple[str, tuple[Criterion, ...]]], people: Mapping[str, str] = PERSON_FIELD
) -> Ruleset:
    """The adjacent paths' signals (engine.book.career_paths), each group a path id and its signals, as one
    ruleset: a tree of nodes per signal exactly as for a criterion, no sufficiency policy (a path
    is a fit, not a verdict on enough evidence). Named `ladder-paths:<ids>#<sha256>`. `people`: the
    rule book's person fields (RuleBook.people)."""
    b = _Builder(people)
    roots: dict[str, int] = {}
    signals: list[Criterion] = []
    for pid, group in groups:
        for sig in group:
            roots[sig.id] = b.add(sig.condition, sig.id, pid, None)
            signals.append(sig)
    b.rules["sink"] = {"all": [{"m": {"$ex": {KIND: 1}}}, {"never": {KIND: "$never"}}], "run": "noop"}
    # Some rule must fire in every session (delete_state on a session where nothing fired
    # segfaults; see compile_path): with no sufficiency collector to lean on, the gate itself.
    b.rules["ack"] = {"all": [GATE], "run": "noop"}
    digest = hashlib.sha256(canonical_json(b.rules).encode()).hexdigest()[:16]
    ids = tuple(pid for pid, _ in groups)
    return Ruleset(f"ladder-paths:{'+'.join(ids)}#{digest}", ids, b.nodes, roots, {}, b.rules, signals)


def compile_path(
    book: RuleBook, path: tuple[str, ...], carried: tuple[str, ...] = (), given: frozenset[str] = frozenset()
) -> Ruleset:
    """`path` lists every level judged, lowest first; those in `carried` (the levels below the
    promotion a higher level includes) contribute their required criteria only: no supporting
    threshold and no sufficiency policy of their own (the promotion's levels have those).
    A criterion in `given` is compiled as a given status (_Builder.given), not its condition."""
    b = _Builder(book.people)
    roots: dict[str, int] = {}
    suff: dict[str, int] = {}
    aspects: dict[tuple[str, str], int] = {}
    criteria: list[Criterion] = []
    for lv in path:
        lr = book.level_rules[lv]
        if lv in carried:
            for cr in lr.criteria:
                if cr.required:
                    roots[cr.id] = b.given(cr.id, lv) if cr.id in given else b.add(cr.condition, cr.id, lv, None)
                    criteria.append(cr)
            continue
        pol = lr.policy
        suff[lv] = b.add(
            {"evidence": "*", "within_days": pol.within_days, "min_count": pol.min_records}, None, lv, None
        )
        for cr in lr.criteria:
            roots[cr.id] = b.given(cr.id, lv) if cr.id in given else b.add(cr.condition, cr.id, lv, None)
            criteria.append(cr)
        for aspect, need in pol.per_aspect:
            mine = [roots[cr.id] for cr in lr.criteria if not cr.required and cr.aspect == aspect]
            aspects[(lv, aspect)] = b.aspect(lv, need, mine)
    for idx in roots.values():
        if b.nodes[idx].kind == "given" and b.nodes[idx].parent is None:
            del b.rules[f"n{idx}"]  # no threshold counts it: its status is given straight to the verdict
    # The sufficiency leaf counts the records some criterion of its level can use: any of the
    # evidence types the level's criteria read (a pile of unrelated records is not evidence).
    usable: dict[str, dict] = {}  # level -> its sufficiency leaf's record test, recency included
    for lv, idx in suff.items():
        types = book.level_rules[lv].usable_types
        type_test = {"$or": [{"type": t} for t in types]} if len(types) > 1 else {"type": types[0]}
        terms = [type_test if t == {"type": "*"} else t for t in b.rules[f"n{idx}"]["all"][0]["e0"]["$and"]]
        b.rules[f"n{idx}"]["all"][0]["e0"]["$and"] = terms
        usable[lv] = {"$and": [type_test, {"$lte": {"age_days": book.level_rules[lv].policy.within_days}}]}
    # Every fact kind must be accepted by some rule, or a batch assert raises (docs/engine.md).
    b.rules["sink"] = {"all": [{"m": {"$ex": {KIND: 1}}}, {"never": {KIND: "$never"}}], "run": "noop"}
    # Some rule must fire in every session: delete_state on a session where no action ever ran
    # segfaults durable_rules 2.0.28 (found here; e.g. an empty packet), and skipping the delete
    # would leak one of the 1,024 session slots. A sufficiency collector fires whenever a record
    # it can use is recent enough for its level; this rule fires exactly when none is (the
    # complement of their union, as a trailing negation after the gate: the engine's safe
    # pattern), so each packet pays for one, not two.
    any_usable = {"$or": list(usable.values())} if len(usable) > 1 else next(iter(usable.values()))
    b.rules["ack"] = {"all": [GATE, {"n0$not": {"$and": [{KIND: "ev"}, any_usable]}}], "run": "noop"}
    digest = hashlib.sha256(canonical_json(b.rules).encode()).hexdigest()[:16]
    name = f"ladder:{'+'.join(('~' + lv) if lv in carried else lv for lv in path)}#{digest}"
    return Ruleset(name, tuple(path), b.nodes, roots, suff, b.rules, criteria, aspects, tuple(carried))
