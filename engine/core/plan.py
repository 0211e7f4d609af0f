"""A plan that really makes the candidate ready: the evidence records that, added to the packet,
turn a not_ready or insufficient_evidence verdict into ready. The pipeline's plan stage
(engine.core.pipeline.plan) runs it once per verdict that needs one; reporters only show the result.

Records are synthesised in plain Python from the rules (each open criterion's condition: values
chosen to satisfy every predicate with the operator table; counts, distinct values and means topped
up from what the packet already has; enough recent records where evidence is insufficient; the
cheapest open supporting criteria where a level is short of them). Nothing here decides readiness.

Sufficiency is proved at run time, minimality by construction (and by the property tests): the
planner reads the open criteria against the packet with the records planned so far (_Reading), so
a record another one makes unneeded is left out and two records that can be one are merged before
anything is fired; then ONE firing proves the plan: the packet with it appended is checked as any
packet is (schema, semantic checks, no new integrity warning) and the engine finds it ready. Where
the reading and the engine disagree, the proved longer plan is minimised by firing instead. When
no proved plan is found within the bounds, there is no plan and a note says why.

The plan is built greedily from the cheapest way to close each gap; it is not searched for a
global minimum.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson

from ..base.errors import LadderError
from ..base.loader import Document
from ..book.compiler import LINK
from ..book.conditions import item_clauses
from ..book.fields import person_key
from ..book.integrity import norm_title
from ..book.operators import MISSING, OPERATORS, Need, holds, ops_of
from ..org.anchors import for_book
from .evidence import Packet, check_document
from .explain import about_of, by_type, clause_matches, failed_predicates, field_value, links_to_match
from .facts import build_facts
from .verdict import READY

if TYPE_CHECKING:
    from .evaluator import Evaluator
    from .verdict import Verdict

ROUNDS = 3  # synthesise, fire, top up what is still open: at most this many times
MAX_RECORDS = 60  # a plan longer than this is no plan a person can act on
MEAN_BOUND = 40  # records added to lift a mean before giving up on it


class _NoPlan(Exception):
    """No plan within the bounds; the message says why."""


class _Synth:
    """Builds records for one packet: ids, person ids and titles that clash with nothing in it."""

    def __init__(self, packet: Packet, book: Any, path: tuple[str, ...]):
        self.packet, self.book, self.path = packet, book, path
        self.defs = book.packet_schema.data["$defs"]
        self.end = dt.date.fromisoformat(packet.end)
        self.ids = {ev["id"] for ev in packet.evidence}
        people = {person_key(packet.candidate_id)}
        fields = book.people  # the field each type names its person in (engine.book.fields.person_fields)
        for ev in packet.evidence:
            if ev["type"] in fields:
                people.add(person_key(field_value(ev, fields[ev["type"]])))
        self.people = people - {None}
        self.titles = {(ev["type"], norm_title(ev.get("title"))) for ev in packet.evidence}
        self.n_rec = self.n_person = 0
        self.probe = False
        self.free: dict[
            tuple[str, str], set[str]
        ] = {}  # (type, title) -> fields given only because the schema requires them
        target_order = book.levels[packet.target].order
        # mentees must be more junior than the target (engine.core.evidence): lowest level first
        self.below = [lv for lv in book.ordered_levels() if book.levels[lv].order < target_order]

    def probe_copy(self) -> _Synth:
        """A copy to plan into and throw away, whose records only say that a record is needed
        (all _Reading asks): what it makes takes no id, person or title of this one."""
        other = object.__new__(_Synth)
        other.__dict__.update(self.__dict__)
        other.ids, other.people, other.titles, other.free = set(self.ids), set(self.people), set(self.titles), {}
        other.probe = True
        return other

    # -- identities ------------------------------------------------------------------------------
    def new_id(self) -> str:
        while True:
            self.n_rec += 1
            rid = f"plan-{self.n_rec:02d}"
            if rid not in self.ids:
                self.ids.add(rid)
                return rid

    def new_person(self) -> str:
        while True:
            self.n_person += 1
            pid = f"plan-person-{self.n_person:02d}"
            if person_key(pid) not in self.people:
                self.people.add(person_key(pid))
                return pid

    def title(self, etype: str, base: str) -> str:
        base = base[:180]
        t, n = f"Planned: {base}", 1
        while (etype, norm_title(t)) in self.titles:
            n += 1
            t = f"Planned: {base} ({n})"
        self.titles.add((etype, norm_title(t)))
        return t

    # -- schema ----------------------------------------------------------------------------------
    def _resolve(self, prop: dict) -> dict:
        while "$ref" in prop:
            prop = self.defs[prop["$ref"].rsplit("/", 1)[1]]
        return prop

    def prop(self, etype: str, dotted: str) -> dict:
        cur = self.defs[etype]
        for part in dotted.split("."):
            cur = self._resolve(cur.get("properties", {}).get(part, {}))
        return cur

    def value(
        self, prop: dict, preds: list[tuple[str, Any]], required: bool, fname: str, prefer_max: bool = False
    ) -> Any:
        """A value of the field's schema type satisfying every predicate (MISSING: leave it out).
        How each operator is satisfied is the operator table's (engine.book.operators, `need`)."""
        needs = [OPERATORS[op].need(arg) for op, arg in preds]
        if any(n.present is False for n in needs):
            return MISSING
        if not required and needs and all(n.absent for n in needs):
            return MISSING  # an absent field satisfies each of them
        leaf = fname.rsplit(".", 1)[-1]
        typ = prop.get("type")
        if typ == "array":
            return self._list(prop, preds, needs, fname)
        if (leaf == "level" or fname == "mentee.level") and "enum" not in prop:  # a ladder level (not a pack's own)
            domain: list[Any] = list(self.below)
        elif "enum" in prop:
            domain = list(prop["enum"])
        elif typ == "boolean":
            domain = [True, False]
        elif typ in ("integer", "number"):
            return self._number(prop, preds, needs, typ, prefer_max)
        else:
            domain = []
        # a value a predicate names (eq, in) comes first, in the rule's order
        wanted = [x for n in needs for x in n.values]
        for v in wanted + domain:
            if all(holds(v, op, arg) for op, arg in preds) and (not domain or v in domain):
                return v
        raise _NoPlan(f"no value of {fname} satisfies its predicates")

    @staticmethod
    def _number(prop: dict, preds: list[tuple[str, Any]], needs: list[Need], typ: str, prefer_max: bool) -> Any:
        lo, hi = prop.get("minimum", -(10**6)), prop.get("maximum", 10**6)
        step = 1 if typ == "integer" else 0.5
        for n in needs:
            if n.low is not None:
                lo = max(lo, n.low + step if n.strict else n.low)
            if n.high is not None:
                hi = min(hi, n.high - step if n.strict else n.high)
        if typ == "integer":
            lo, hi = -(-lo // 1), hi // 1
            lo, hi = int(lo), int(hi)
        # a small bounded scale (a rating) reads best at its top; otherwise the least that satisfies
        pick_max = prefer_max or ("maximum" in prop and prop["maximum"] <= 10)
        for v in ([hi, lo] if pick_max else [lo, hi]) + [x for n in needs for x in n.values]:
            if lo <= v <= hi and all(holds(v, op, arg) for op, arg in preds):
                return v
        raise _NoPlan("no number satisfies the predicates")

    def _list(self, prop: dict, preds: list[tuple[str, Any]], needs: list[Need], fname: str) -> Any:
        items: list[Any] = []
        for n in needs:
            items += [x for x in n.items if x not in items]
        for n in needs:
            if n.one_of and not any(x in items for x in n.one_of):
                items.append(n.one_of[0])
        if not items and not any(n.present for n in needs):
            return MISSING
        if not items:
            item = self._resolve(prop.get("items", {}))
            items = [item["enum"][0] if "enum" in item else self.below[0]]
        if not all(holds(items, op, arg) for op, arg in preds):
            raise _NoPlan(f"no list for {fname} satisfies its predicates")
        return items

    # -- records ---------------------------------------------------------------------------------
    def record(self, cond: dict, title: str, fixed: dict[str, Any] | None = None) -> dict:
        """One record of the condition's type satisfying every predicate of the leaf (a probe
        only says that one is needed)."""
        if self.probe:
            return {"type": cond["evidence"], "title": ""}
        etype = cond["evidence"]
        defn = self.defs[etype]
        required = set(defn.get("required", []))
        fixed = fixed or {}
        preds: dict[str, list] = {}
        for fname, pred in cond.get("where", {}).items():
            preds.setdefault(fname, []).extend(ops_of(pred))
        rec: dict[str, Any] = {
            "id": self.new_id(),
            "type": etype,
            "date": self.end.isoformat(),
            "title": self.title(etype, title),
        }
        nested: dict[str, dict] = {}
        for fname, ps in preds.items():
            if fname in fixed:
                continue
            top, _, sub = fname.partition(".")
            if sub:
                sp = self.prop(etype, top)
                v = self.value(self.prop(etype, fname), ps, sub in sp.get("required", []), fname)
                if v is not MISSING:
                    nested.setdefault(top, {})[sub] = v
            else:
                v = self.value(self.prop(etype, fname), ps, fname in required, fname)
                if v is not MISSING:
                    rec[fname] = v
        for fname, v in fixed.items():
            top, _, sub = fname.partition(".")
            if sub:
                nested.setdefault(top, {})[sub] = v
            else:
                rec[fname] = v
        for ai in item_clauses(cond):  # several clauses: one item each, in the same record
            rec.setdefault(ai["field"], []).append(self.item(etype, ai))
        person = self.book.people.get(etype)  # the field naming a person: a new person each time
        if person is not None:
            top, _, sub = person.partition(".")
            if not sub:
                rec.setdefault(top, self.new_person())
            elif top in defn.get("properties", {}) and (top in required or top in nested):
                nested.setdefault(top, {}).setdefault(sub, self.new_person())
        for top, obj in nested.items():
            sp = self.prop(etype, top)
            for sub in sp.get("required", []):
                if sub not in obj:
                    obj[sub] = self.value(self.prop(etype, f"{top}.{sub}"), [], True, f"{top}.{sub}")
            rec[top] = obj
        free = set()
        for fname in defn.get("required", []):
            if fname not in rec:
                rec[fname] = self.value(self.prop(etype, fname), [], True, fname)
                free.add(fname)
        self.free[(etype, rec["title"])] = free  # required by the schema, not by the rule: a merge may change it
        if etype == "mentoring":
            # `date` is when mentoring began: early enough for its months (engine.book.integrity)
            rec["date"] = _months_before(self.end, int(rec["months"]) - 1).isoformat()
        return rec

    def item(self, etype: str, ai: dict) -> dict:
        """A list item (a metric) satisfying the any_item predicates; `improved` is derived from
        baseline and result (engine.core.facts), so it is written as a real movement (or none)."""
        iprop = self._resolve(self.prop(etype, ai["field"]).get("items", {}))
        out: dict[str, Any] = {}
        for f, pred in ai["where"].items():
            ps = ops_of(pred)
            if f == "improved":
                up = all(holds(True, op, arg) for op, arg in ps)
                base = 100 + self.n_rec
                out.update(baseline=base, result=base * 2 if up else base, higher_is_better=True)
                continue
            v = self.value(self._resolve(iprop.get("properties", {}).get(f, {})), ps, False, f)
            if v is not MISSING:
                out[f] = v
        return out


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


# -- what each condition still needs -----------------------------------------------------------
def _needs(s: _Synth, cond: dict, grouped: dict[str, list[dict]], title: str) -> list[dict]:
    """Records that close this condition given the facts already there (raises _NoPlan)."""
    if "all_of" in cond:
        return [r for c in cond["all_of"] for r in _needs(s, c, grouped, title)]
    if "at_least" in cond:
        return _cheapest(
            s, cond["at_least"], [lambda c=c: _needs(s, c, grouped, title) for c in cond["of"]], "at_least"
        )
    if "any_of" in cond:
        best: list[dict] | None = None
        why = "no alternative can be met"
        for alt in cond["any_of"]:
            try:
                got = _needs(s, alt, grouped, title)
            except _NoPlan as exc:
                why = str(exc)
                got = None
            if got is not None and (best is None or len(got) < len(best)):
                if best is not None:
                    _release(s, best)
                best = got
            elif got is not None:
                _release(s, got)
        if best is None:
            raise _NoPlan(why)
        return best
    matching = [f for f in grouped.get(cond["evidence"], ()) if not failed_predicates(f, cond)]
    if "linked_to" in cond:  # only records whose about names a record the clause matches
        targets = clause_matches(grouped, cond["linked_to"])
        about = about_of(grouped)
        matching = [f for f in matching if links_to_match(f, about, targets)]
    if "min_people" in cond:  # a record naming no person matches nothing (engine.book.compiler's leaf)
        matching = [f for f in matching if person_key(field_value(f, s.book.people[cond["evidence"]])) is not None]
    recs = _leaf_needs(s, cond, matching, title)
    if "min_people" in cond:  # every planned record names a new person; top up to enough people
        pf = s.book.people[cond["evidence"]]
        have = {person_key(field_value(f, pf)) for f in matching} - {None}
        extra = cond["min_people"] - len(have) - len(recs)
        if extra > 0 and "distinct" in cond:  # new people bring values not seen yet where any are left
            fname = cond["distinct"]["field"]
            seen = {field_value(f, fname) for f in matching} | {field_value(r, fname) for r in recs}
            preds = ops_of(cond.get("where", {}).get(fname, {}))
            allowed = [
                v for v in s.prop(cond["evidence"], fname).get("enum", []) if all(holds(v, o, a) for o, a in preds)
            ]
            fresh = [v for v in allowed if v not in seen] + allowed
            recs += [s.record(cond, title, {fname: fresh[k % len(fresh)]} if fresh else None) for k in range(extra)]
        else:
            recs += [s.record(cond, title) for _ in range(extra)]
    if "linked_to" in cond and recs:
        recs = _link(s, cond["linked_to"], recs, grouped, title)
    return recs


def _link(s: _Synth, clause: dict, recs: list[dict], grouped: dict[str, list[dict]], title: str) -> list[dict]:
    """The records planned for a leaf with linked_to, each naming in its about a record its clause
    matches: one the packet has, else one more planned record (listed first)."""
    have = sorted(clause_matches(grouped, clause))
    inner = [] if have else [s.record(clause, title + " (what it builds on)")]
    if s.probe:  # a probe only says how many records are needed
        return inner + recs
    target = have[0] if have else inner[0]["id"]
    for r in recs:
        r["about"] = [target]
    return inner + recs


def _cheapest(s: _Synth, need: int, options: list, what: str) -> list[dict]:
    """The records of the `need` cheapest options that can be met (each option a thunk returning
    its records, or raising _NoPlan); the others' records are given back."""
    got = []
    for i, option in enumerate(options):
        try:
            got.append((len(recs := option()), i, recs))
        except _NoPlan:
            continue
    if len(got) < need:
        raise _NoPlan(f"{what}: {need} needed, only {len(got)} can be met by added evidence")
    got.sort(key=lambda o: (o[0], o[1]))
    for _, _, recs in got[need:]:
        _release(s, recs)
    return [r for _, _, recs in got[:need] for r in recs]


def _leaf_needs(s: _Synth, cond: dict, matching: list[dict], title: str) -> list[dict]:
    if "regularly" in cond:  # a record dated in each period still empty, latest first
        reg = cond["regularly"]
        have = {f["age_days"] // reg["of_days"] for f in matching}
        empty = [k for k in range(reg["periods"]) if k not in have]
        k = reg["min_periods"] - len(have)
        return [
            s.record(cond, title, {"date": (s.end - dt.timedelta(days=p * reg["of_days"])).isoformat()})
            for p in empty[: max(k, 0)]
        ]
    if "distinct" in cond:
        fname, want = cond["distinct"]["field"], cond["distinct"]["min"]
        have = {field_value(f, fname) for f in matching} - {MISSING, None}
        k = want - len(have)
        if k <= 0:
            return []
        prop = s.prop(cond["evidence"], fname)
        preds = ops_of(cond.get("where", {}).get(fname, {}))
        domain = [v for v in prop.get("enum", []) if v not in have and all(holds(v, op, a) for op, a in preds)]
        if len(domain) < k:
            raise _NoPlan(f"not enough different {fname} values for {want}")
        return [s.record(cond, title, {fname: v}) for v in domain[:k]]
    if "mean" in cond:
        m = cond["mean"]
        fname = m["field"]
        vals = [v for f in matching if isinstance(v := field_value(f, fname), (int, float))]
        preds = ops_of(cond.get("where", {}).get(fname, {}))
        top = s.value(s.prop(cond["evidence"], fname), preds, True, fname, prefer_max=True)
        k = 0
        while True:
            n, total = len(vals) + k, sum(vals) + k * top
            mean = total / n if n else 0
            if n >= m["min_records"] and (mean >= m["gte"] if "gte" in m else mean > m["gt"]):
                break
            k += 1
            if k > MEAN_BOUND:
                raise _NoPlan(f"the mean {fname} cannot reach its threshold within {MEAN_BOUND} records")
        return [s.record(cond, title, {fname: top}) for _ in range(k)]
    k = cond.get("min_count", 1) - len({f.get("_grp", f["eid"]) for f in matching})  # repeats count once
    return [s.record(cond, title) for _ in range(max(k, 0))]


def _release(s: _Synth, recs: list[dict]) -> None:
    """Give back the titles of records not used (ids are only numbered at the end)."""
    for r in recs:
        s.titles.discard((r["type"], norm_title(r.get("title"))))


# -- proving -----------------------------------------------------------------------------------
def _with(packet: Packet, records: list[dict], book: Any) -> Packet:
    """The packet with the records appended, checked as any packet is (raises LadderError); a
    record's `planned` marker is left out (the plan is proved as the real records it stands for)."""
    records = [{k: v for k, v in r.items() if k != "planned"} if "planned" in r else r for r in records]
    cand: dict[str, Any] = {
        "id": packet.candidate_id,
        "current_level": packet.current,
        "target_level": packet.target,
        "track": packet.from_track or packet.track,
    }
    if packet.name:
        cand["name"] = packet.name
    version = packet.data.get("schema_version", 1) if isinstance(packet.data, dict) else 1
    data = {
        "schema_version": version,
        "candidate": cand,
        "period": {"start": packet.start, "end": packet.end},
        "evidence": list(packet.evidence) + records,
    }
    # template=True: the people a plan invents are named plan-person-N, a placeholder no packet may
    # keep (engine.core.evidence.template_problems); the packet's own data passed every check already
    checked = check_document(
        Document(packet.source, data, "{}", "json"), book, template=True, anchors=for_book(book, packet.today)
    )
    assert checked is not None
    return checked


def _number(plan: list[dict], packet: Packet) -> None:
    """Ids plan-01, plan-02, ... in order, skipping any the packet uses; a planned record's about
    follows the records it names to their new ids."""
    taken = {ev["id"] for ev in packet.evidence}
    renamed: dict[str, str] = {}
    n = 0
    for r in plan:
        n += 1
        while f"plan-{n:02d}" in taken:
            n += 1
        renamed[r["id"]] = f"plan-{n:02d}"  # (planned ids never clash with the packet's: _Synth.new_id)
        r["id"] = f"plan-{n:02d}"
    for r in plan:
        if "about" in r:
            r["about"] = [renamed.get(x, x) for x in r["about"]]


def prove(evaluator: Evaluator, packet: Packet, records: list[dict]) -> Packet | None:
    """The packet with the records appended when it is valid, raises no integrity warning the
    packet did not have, and the engine finds it ready; else None."""
    try:
        combined = _with(packet, records, evaluator.book)
    except LadderError:
        return None
    if _new_warnings(packet, combined):
        return None
    return combined if evaluator.status(combined) == READY else None


def _new_warnings(packet: Packet, combined: Packet) -> list:
    """Warnings the appended records raise (by path and message), not a count that could hide one."""
    had = {(w.path, w.message) for w in packet.warnings}
    return [w for w in combined.warnings if (w.path, w.message) not in had]


def _round(
    s: _Synth, evaluator: Evaluator, combined: Packet, v: Verdict, facts: list[dict] | None = None
) -> list[dict]:
    """The records to add for what is still open, built so that none is redundant: each open
    criterion is read against the packet's facts AND the records already planned in this round
    (a record planned for one criterion that also closes a later one leaves that one nothing to
    add), and each set of options picks the cheapest given the same. `facts`: the combined
    packet's facts when the caller has them already (read only here)."""
    book, path = evaluator.book, s.path
    if facts is None:
        facts = build_facts(combined, book, path)
    grouped = by_type(list(facts))
    add: list[dict] = []

    def planned(recs: list[dict]) -> list[dict]:
        """Take these records into the plan: their facts join what later criteria are read against."""
        if recs:
            for f in build_facts(dataclasses.replace(combined, evidence=recs, by_id={}), book, path):
                if f.get("_kind") == LINK:  # a planned record's about (by_type keeps them apart)
                    grouped.setdefault(LINK, []).append(f)
                    continue
                grouped["*"].append(f)
                grouped.setdefault(f["type"], []).append(f)
            add.extend(recs)
        return recs

    def option(c: Any) -> Any:
        return lambda: _needs(s, _cond(book, c.id), grouped, c.title)

    for lr in v.levels:
        for c in v.criteria:
            if c.level == lr.id and c.required and not c.met:
                try:
                    planned(_needs(s, _cond(book, c.id), grouped, c.title))
                except _NoPlan as exc:
                    raise _NoPlan(f"required criterion {c.id} cannot be met by added evidence: {exc}") from None
        for a in lr.aspects_short:  # a competency short of its own threshold: its cheapest open criteria
            open_ = [
                c for c in v.criteria if c.level == lr.id and not c.required and not c.met and c.aspect == a["aspect"]
            ]
            planned(
                _cheapest(s, a["needed"] - a["met"], [option(c) for c in open_], f"{lr.id}'s {a['aspect']} criteria")
            )
        short = lr.supporting_needed - lr.supporting_met
        if short > 0:
            planned(
                _cheapest(
                    s,
                    short,
                    [option(c) for c in v.criteria if c.level == lr.id and not c.required and not c.met],
                    f"{lr.id}'s supporting criteria",
                )
            )
    # recent evidence: each level's window must hold enough records it can use (the types its
    # criteria read, as engine.book.compiler's sufficiency rule counts them), counting those added
    for lr in v.levels:
        if lr.carried:  # an included level below: no evidence policy of its own
            continue
        pol = book.level_rules[lr.id].policy
        usable = book.level_rules[lr.id].usable_types
        recent = len(
            {
                f.get("_grp", f["eid"])
                for f in facts  # repeats count once, as the engine counts
                if f.get("type") in usable and f["age_days"] <= pol.within_days
            }
        )  # (a link fact has no type)
        recent += sum(
            1 for r in add if r["type"] in usable and (s.end - dt.date.fromisoformat(r["date"])).days <= pol.within_days
        )
        filler = "learning" if "learning" in usable else ("artifact" if "artifact" in usable else sorted(usable)[0])
        for _ in range(pol.min_records - recent):
            add.append(s.record({"evidence": filler, "where": {}}, f"recent evidence for {book.levels[lr.id].title}"))
    return add


def _cond(book: Any, cid: str) -> dict:
    for cr in book.all_criteria():
        if cr.id == cid:
            return cr.condition
    raise KeyError(cid)


def make_plan(evaluator: Evaluator, packet: Packet, verdict: Verdict) -> tuple[list[dict] | None, str | None]:
    """(records, None) for a proved, minimal plan; (None, why) when there is none within the bounds.
    Never raises: a plan is advice, and failing to find one must not lose the verdict."""
    try:
        return _make_plan(evaluator, packet, verdict)
    except Exception as exc:  # noqa: BLE001
        return None, f"internal error ({type(exc).__name__}) while planning; please report it"


def _make_plan(evaluator: Evaluator, packet: Packet, verdict: Verdict) -> tuple[list[dict] | None, str | None]:
    if verdict.verdict == READY:
        return [], None
    s = _Synth(packet, evaluator.book, tuple(verdict.path))
    reading = _Reading(s, evaluator, packet, verdict)
    plan: list[dict] = []
    v = verdict
    combined = packet
    try:
        for _ in range(ROUNDS):
            # the first round reads the packet itself, whose facts the planner's reading built
            add = _round(s, evaluator, combined, v, reading.base if combined is packet else None)
            if not add:
                raise _NoPlan("the open criteria cannot be closed by added evidence")
            plan += add
            if len(plan) > MAX_RECORDS:
                raise _NoPlan(f"more than {MAX_RECORDS} records would be needed")
            # Minimal by construction: leave out what the others make unneeded and merge what can
            # be one record, as the planner reads the open criteria; then one firing proves it.
            small = [dict(r) for r in _merge(reading, _reduce(reading, plan))]
            if reduced := small != plan:
                _number(small, packet)
                if prove(evaluator, packet, small) is not None:
                    plan = small
                    break
            _number(plan, packet)
            try:
                combined = _with(packet, plan, evaluator.book)
            except LadderError as exc:
                raise _NoPlan(
                    "the records that would close the gaps do not make a valid packet: "
                    + "; ".join(p.message for p in exc.problems[:3])
                ) from None
            if new := _new_warnings(packet, combined):
                raise _NoPlan("the records that would close the gaps raise an integrity warning: " + new[0].message)
            if evaluator.status(combined) == READY:
                if reduced:  # the reading and the engine disagree: minimise by firing instead
                    plan = _minimise(evaluator, packet, combined, plan)
                break
            v = evaluator.evaluate(combined)  # what is still open, for the next round
        else:
            raise _NoPlan(f"no ready plan found in {ROUNDS} rounds of added evidence")
    except _NoPlan as exc:
        return None, str(exc)
    # Each record is marked as planned (advice, not evidence: engine.core.evidence refuses a packet
    # holding one); it was proved above without the marker.
    return [{**_ordered(r), "planned": True} for r in plan], None


class _Reading:
    """The planner's own reading of which open criteria a set of added records closes (see
    covers): the packet's facts built once, each planned record's facts once, and each
    criterion's reading kept for the records of the types it reads (dropping a shipped outcome
    cannot open a feedback criterion)."""

    def __init__(self, s: _Synth, evaluator: Evaluator, packet: Packet, verdict: Verdict):
        self.s, self.book, self.packet, self.verdict = s, evaluator.book, packet, verdict
        self.path = s.path
        self.base = build_facts(packet, self.book, self.path)
        self.mine: dict[tuple[str, str], list[dict]] = {}
        self.conds = {cr.id: cr.condition for cr in self.book.all_criteria()}
        self.types = {cr.id: frozenset(cr.evidence_types) for cr in self.book.all_criteria()}
        self.known: dict[tuple, bool] = {}  # (criterion, the records of its types) -> closed

    def _facts(self, r: dict) -> list[dict]:
        key = (r["id"], r["title"])
        got = self.mine.get(key)
        if got is None:
            got = self.mine[key] = build_facts(
                dataclasses.replace(self.packet, evidence=[r], by_id={}), self.book, self.path
            )
        return got

    def covers(self, records: list[dict]) -> bool:
        """True when the planner would add nothing more to the packet with these records: every
        criterion open in the verdict is closed by them as _needs reads it, and each level's
        window holds enough records. A reading, not a verdict: a plan it shapes is proved by
        firing before it is given."""
        facts = self.base + [f for r in records for f in self._facts(r)]
        grouped: dict[str, list[dict]] | None = None
        sc = self.s.probe_copy()

        def closed(c: Any) -> bool:
            nonlocal grouped
            types = self.types[c.id]
            key = (c.id, tuple(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records if r["type"] in types))
            got = self.known.get(key)
            if got is None:
                if grouped is None:
                    grouped = by_type(facts)
                try:
                    got = not _needs(sc, self.conds[c.id], grouped, c.title)
                except _NoPlan:
                    got = False
                self.known[key] = got
            return got

        v = self.verdict
        for lr in v.levels:
            mine = [c for c in v.criteria if c.level == lr.id and not c.met]
            if not all(closed(c) for c in mine if c.required):
                return False
            for a in lr.aspects_short:
                if not _enough(
                    closed, [c for c in mine if not c.required and c.aspect == a["aspect"]], a["needed"] - a["met"]
                ):
                    return False
            if not _enough(closed, [c for c in mine if not c.required], lr.supporting_needed - lr.supporting_met):
                return False
        for lr in v.levels:
            if lr.carried:
                continue
            pol = self.book.level_rules[lr.id].policy
            usable = self.book.level_rules[lr.id].usable_types
            recent = len(
                {f.get("_grp", f["eid"]) for f in facts if f.get("type") in usable and f["age_days"] <= pol.within_days}
            )
            if recent < pol.min_records:
                return False
        return True


def _enough(closed: Any, options: list, need: int) -> bool:
    """At least `need` of the options are closed (stops at the need-th)."""
    if need <= 0:
        return True
    n = 0
    for c in options:
        n += closed(c)
        if n >= need:
            return True
    return False


def _reduce(reading: _Reading, plan: list[dict]) -> list[dict]:
    """Leave out, last first, each record the others make unneeded."""
    i = len(plan) - 1
    while i >= 0 and len(plan) > 1:
        trial = plan[:i] + plan[i + 1 :]
        if reading.covers(trial):
            plan = trial
        i -= 1
    return plan


def _merge(reading: _Reading, plan: list[dict]) -> list[dict]:
    """Merge two records of a type into one where nothing conflicts (one launch can show two
    things) and the merged plan still covers; then leave out what a merged record made unneeded."""
    merged, tries = False, 0
    while tries < MAX_MERGES:
        hit = None
        for i, j in ((a, b) for a in range(len(plan)) for b in range(a + 1, len(plan))):
            m = _merged(plan[i], plan[j], reading.s.free)
            if m is None:
                continue
            tries += 1
            trial = [dict(r) for r in plan[:i]] + [m] + [dict(r) for r in plan[i + 1 : j] + plan[j + 1 :]]
            if reading.covers(trial):
                hit = trial
                break
            if tries >= MAX_MERGES:
                break
        if hit is None:
            break
        plan, merged = hit, True
    return _reduce(reading, plan) if merged else plan


def _minimise(evaluator: Evaluator, packet: Packet, combined: Packet, plan: list[dict]) -> list[dict]:
    """Drop each record whose removal still gives ready, firing each time (the fallback when the
    planner's reading and the engine disagree). A subset of the proved packet's planned records
    needs no new check: dropping a record breaks no schema or semantic rule, and planned records
    repeat nothing, so no warning can appear. When a record was dropped the rest are numbered
    again and proved exactly as they will be given."""
    if len(plan) == 1:  # without its one record the packet is the one the engine found not ready
        return plan
    n_before = len(plan)
    i = len(plan) - 1
    while i >= 0:
        trial = plan[:i] + plan[i + 1 :]
        fewer = dataclasses.replace(combined, evidence=list(packet.evidence) + trial, by_id={})
        if evaluator.status(fewer) == READY:
            plan = trial
        i -= 1
    if len(plan) != n_before:
        _number(plan, packet)
        if prove(evaluator, packet, plan) is None:
            raise RuntimeError("the minimised plan did not prove ready")
    return plan


MAX_MERGES = 20  # merge attempts per plan, each proved


def _merged(a: dict, b: dict, free: dict[tuple[str, str], set[str]]) -> dict | None:
    """One record saying what both say (same type and date, no field in conflict but one the
    schema alone asked for), or None."""
    if a["type"] != b["type"] or a["date"] != b["date"] or a["type"] == "mentoring":
        return None
    if a["id"] in b.get("about", ()) or b["id"] in a.get("about", ()):  # a record cannot build on itself
        return None
    free_a, free_b = free.get((a["type"], a["title"]), set()), free.get((b["type"], b["title"]), set())
    out = dict(a)
    for k, vb in b.items():
        if k in ("id", "type", "date", "title"):
            continue
        va = a.get(k, MISSING)
        if va is MISSING or va == vb or k in free_a:
            out[k] = vb
        elif k in free_b:
            continue
        elif isinstance(va, list) and isinstance(vb, list):
            out[k] = va + [x for x in vb if x not in va]
        elif (
            isinstance(va, dict)
            and isinstance(vb, dict)
            and {k2: v for k2, v in va.items() if k2 != "id"} == {k2: v for k2, v in vb.items() if k2 != "id"}
        ):
            out[k] = va
        else:
            return None
    out["title"] = (a["title"] + " / " + b["title"].removeprefix("Planned: "))[:200]
    free[(out["type"], out["title"])] = {k for k in free_a & free_b if out.get(k) == a.get(k)}
    return out


_FIRST = ("id", "type", "date", "title")


def _ordered(r: dict) -> dict:
    return {**{k: r[k] for k in _FIRST if k in r}, **{k: v for k, v in r.items() if k not in _FIRST}}
