"""Impact: every packet through the pipeline under both rule books (in this process or in
batch's worker pool), keeping only what differs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..base import clock
from ..base.errors import LadderError, Problem
from ..base.inputs import Item
from ..base.loader import DEFAULT_MAX_BYTES
from ..book.rules import Criterion, RuleBook, canonical_json
from ..core import pipeline
from ..core.evaluator import Evaluator
from ..core.evidence import Packet
from ..core.pipeline import Result
from ..core.verdict import Verdict
from ..org.anchors import Anchors, for_book
from .diff import RuleDiff, diff_rules, diff_schemas
from .result import AuditResult, InvalidPacket, PacketChange, Side, StatusChange, Tally, _level_changes


@dataclass(frozen=True)
class Identity:
    """How criteria correspond between the versions (from the rule diff): a renamed criterion is
    its old self under a new id; an added or removed one (its level added or removed included) has
    no counterpart, so its status on a packet is an outcome of the change, not a status change."""

    renamed: tuple[tuple[str, str], ...] = ()  # (old id, new id)
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, d: RuleDiff) -> Identity:
        added = {c.id for c in d.of("added")}
        removed = {c.id for c in d.of("removed")}
        for contents in d.level_contents.values():
            (added if contents["change"] == "added" else removed).update(contents["criteria"])
        return cls(tuple((c.old_id, c.id) for c in d.of("renamed")), frozenset(added), frozenset(removed))

    def fresh(self, c: StatusChange) -> bool:
        """A criterion only one version has (added or removed), seen on the side that has it."""
        return (c.base is None and c.id in self.added) or (c.head is None and c.id in self.removed)


def _status_changes(a: Verdict, b: Verdict, ident: Identity = Identity()) -> list[StatusChange]:
    """Criteria whose status or required flag differs, in the head verdict's order; a renamed
    criterion is compared with its old self (and carries its old id)."""
    old_of = {new: old for old, new in ident.renamed}
    new_of = dict(ident.renamed)
    ca, cb = {c.id: c for c in a.criteria}, {c.id: c for c in b.criteria}
    out = []
    for cid in [c.id for c in b.criteria] + [c.id for c in a.criteria if c.id not in cb and new_of.get(c.id) not in cb]:
        old = old_of.get(cid, cid) if cid in cb else cid
        x, y = ca.get(old), cb.get(cid)
        sc = StatusChange(
            cid,
            x.status if x else None,
            y.status if y else None,
            x.required if x else None,
            y.required if y else None,
            old_id=old if old != cid and x is not None else "",
        )
        if sc.status_changed or sc.kind_changed:
            out.append(sc)
    return out


def assess(
    base: RuleBook | None,
    head: RuleBook,
    items: Iterable[Item],
    max_bytes: int = DEFAULT_MAX_BYTES,
    base_side: Side | None = None,
    head_side: Side | None = None,
    jobs: int = 1,
    reuse: bool = True,
    today: dt.date | None = None,
) -> AuditResult:
    """Evaluate every packet under both books; keep only what differs. Packets are checked as of
    `today` (None: the system's day, read once here for every worker).

    Per packet: parse once; validate once per book only when the ladders (levels, tracks,
    aliases) differ, since only they shape validation; evaluate once per book, or once in all
    when the books are the same rules. Both books' rulesets live in one engine host per process.
    With jobs > 1 the packets go to worker processes in chunks, in input order; each worker
    compares a packet's two outcomes and sends back only the row the result keeps, so the result
    is the same as with jobs 1. With `reuse` (the CLI's audit): verdicts are made without
    explanations (an audit shows statuses and level figures only); a packet whose path has the same
    criteria and policies in both books is evaluated once (see _Pairer.path_unchanged); on a path
    that differs, the head fires only the criteria that differ and takes the others' statuses from
    the base verdict (see _Pairer.known). reuse=False evaluates every packet in full under each
    book: the reference tests/test_audit_differential.py holds the shortcuts to.
    """
    res = AuditResult(
        base_side or Side(None, None, base.version if base else ""),
        head_side or Side(None, None, head.version),
        diff_rules(base, head),
    )
    res.base.schema_version = base.packet_schema.version if base else ""
    res.head.schema_version = head.packet_schema.version
    res.schema_diff = diff_schemas(base.packet_schema.data, head.packet_schema.data) if base else []
    res.level_order = head.ordered_levels() + [
        lv for lv in (base.ordered_levels() if base else []) if lv not in head.levels
    ]
    res.new_pack = base is None
    today = today or clock.today()
    if jobs > 1:
        _assess_parallel(res, base, head, items, max_bytes, jobs, reuse, today)
        return res
    pairer = _Pairer(base, head, max_bytes, reuse, today)
    try:
        for item in items:
            _add(res, pairer.row(item))
    finally:
        pairer.close()
    return res


def _definition(c: Criterion) -> dict:
    """A criterion as compile_path and build_facts read it: all its fields but where it is written."""
    return {k: v for k, v in dataclasses.asdict(c).items() if k not in ("file", "line")}


def _path_rules(book: RuleBook, path: tuple[str, ...]) -> str:
    """Everything of `book` that compile_path, build_facts and Evaluator.evaluate read for `path`,
    besides the ladder: each level's policy and criteria (all their fields but file and line)."""
    out = []
    for lv in path:
        lr = book.level_rules.get(lv)
        if lr is None:
            return f"(no level {lv})"
        out.append([lv, dataclasses.asdict(lr.policy), [_definition(c) for c in lr.criteria]])
    return canonical_json(out)


class _Pairer:
    """Both books' evaluators in one process: a packet in, the row the result keeps out."""

    def __init__(
        self, base: RuleBook | None, head: RuleBook, max_bytes: int, reuse: bool = False, today: dt.date | None = None
    ):
        self.base, self.head, self.max_bytes = base, head, max_bytes
        # what every packet is checked against under each book, built once (the pack's own, as of the day)
        day = today or clock.today()
        self.anchors = (for_book(base, day) if base is not None else None, for_book(head, day))
        self.ident = Identity.of(diff_rules(base, head))
        self.explain = not reuse  # the fast audit makes verdicts without explanations (it never shows them)
        if base is None:  # a new pack: every packet is judged under the head only
            self.ev_head = Evaluator(head)
            return
        # Checking a packet depends on the ladder and the packet schema only (RuleBook.ladder_version):
        # when both revisions have the same, one check serves both; facts are built per book.
        self.same_ladder = base.ladder_version == head.ladder_version
        self.same_rules = base.version == head.version and base.packet_schema == head.packet_schema
        self.ev_base = Evaluator(base)  # an audit compares verdicts; it never plans
        self.ev_head = self.ev_base if self.same_rules else Evaluator(head)
        self.reuse = reuse and self.same_ladder and not self.same_rules
        self._same_path: dict[tuple[str, ...], bool] = {}
        self._unchanged: dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]] = {}

    def row(self, item: Item) -> _Row:
        if self.base is None:
            return _new_row(item, self.head, self.ev_head, self.max_bytes, self.explain, self.anchors[1])
        b, h = _pair(
            item,
            self.base,
            self.head,
            self.ev_base,
            self.ev_head,
            self.same_ladder,
            self.same_rules,
            self.max_bytes,
            self if self.reuse else None,
            self.explain,
            self.anchors,
        )
        return _compare(item, b, h, self.ident)

    def path_unchanged(self, packet: Packet) -> bool:
        """True when the head would judge this packet exactly as the base did, so the base verdict
        serves both. Only called when one check served both books (same ladder and packet schema,
        so the same checked packet, the same path and the same level-id resolution). A verdict is
        then a function of the packet and the path's criteria and policies: the compiled ruleset is
        built from them alone (compile_path), and so are the facts (fields_read reads the path's
        criteria; resolve comes from the ladder). Equal criteria and policies on the path, equal
        verdicts; anything else on the path that differs (a title, a source) also disables it.
        The path itself must be the same under both books: the levels carried below the promotion
        follow each level's `includes`, which is not in the ladder."""
        try:
            path = self.ev_base.path(packet)
            if self.ev_head.path(packet) != path:
                return False
        except LadderError:
            return False
        same = self._same_path.get(path)
        if same is None:
            assert self.base is not None  # reuse is only set up with a base
            same = self._same_path[path] = _path_rules(self.base, path) == _path_rules(self.head, path)
        return same

    def known(self, packet: Packet, vb: Verdict | None) -> dict[str, str] | None:
        """The base verdict's status of every criterion the head may take rather than fire again
        (Evaluator.evaluate_known), or None to evaluate the head in full. Only called when one
        check served both books (as path_unchanged) and the path's rules differ. A criterion is
        taken when, on this packet, both books judge the same levels with the same carried ones,
        and the head's criterion has the same id, level and definition (_definition: condition,
        required flag and all) as the base's: it then compiles to the same rules over the same
        facts (evaluate_known states the assumptions), so the engine decided its status already.
        Whatever differs (a changed, added or renamed criterion; every policy) is fired under the
        head; a removed one is simply not on the head's path."""
        if vb is None:
            return None
        try:
            path, carried = self.ev_head.path(packet), self.ev_head.carried(packet)
            if path != tuple(vb.path) or carried != self.ev_base.carried(packet):
                return None
        except LadderError:
            return None
        ids = self._unchanged.get((path, carried))
        if ids is None:
            ids = self._unchanged[(path, carried)] = self._unchanged_criteria(path, carried)
        status = {c.id: c.status for c in vb.criteria}
        if not ids or not ids <= status.keys():
            return None
        return {cid: status[cid] for cid in sorted(ids)}

    def _unchanged_criteria(self, path: tuple[str, ...], carried: tuple[str, ...]) -> frozenset[str]:
        """Criteria the head compiles for this path with the same id, level and definition as the base."""
        assert self.base is not None
        out: set[str] = set()
        for lv in path:
            lb, lh = self.base.level_rules.get(lv), self.head.level_rules.get(lv)
            if lb is None or lh is None:
                continue
            was = {c.id: _definition(c) for c in lb.criteria}
            out.update(
                c.id
                for c in lh.criteria
                if (lv not in carried or c.required) and c.id in was and was[c.id] == _definition(c)
            )
        return frozenset(out)

    def close(self) -> None:
        if self.base is None:
            self.ev_head.close()
            return
        self.ev_base.close()
        if self.ev_head is not self.ev_base:
            self.ev_head.close()


# -- worker processes (audit --jobs N): batch's pool, this module's task --------------------------
_AUDIT_WORKER: dict[str, Any] = {}


def _init_audit_worker(base: RuleBook | None, head: RuleBook, max_bytes: int, reuse: bool, today: str) -> None:
    # the parent's day, however the worker started
    _AUDIT_WORKER["pairer"] = _Pairer(base, head, max_bytes, reuse, dt.date.fromisoformat(today))


def _audit_chunk(items: list[Item]) -> list[_Row]:
    pairer: _Pairer = _AUDIT_WORKER["pairer"]
    return [pairer.row(item) for item in items]


def _crashed_row(item: Item) -> _Row:
    from ..committee.batch import CRASH_MESSAGE

    return _Row(
        "invalid",
        None,
        None,
        InvalidPacket(item.source, None, Problem(item.source, "", CRASH_MESSAGE, kind="crash"), 1),
    )


def _assess_parallel(
    res: AuditResult,
    base: RuleBook | None,
    head: RuleBook,
    items: Iterable[Item],
    max_bytes: int,
    jobs: int,
    reuse: bool,
    today: dt.date,
) -> None:
    from ..base.workers import WorkerPool, in_order

    pool = WorkerPool(
        jobs, _init_audit_worker, (base, head, max_bytes, reuse, today.isoformat()), _audit_chunk, _crashed_row
    )
    in_order(pool, items, lambda row: _add(res, row))


def _pair(
    item: Item,
    base: RuleBook,
    head: RuleBook,
    ev_base: Evaluator,
    ev_head: Evaluator,
    same_ladder: bool,
    same_rules: bool,
    max_bytes: int,
    reuse: _Pairer | None = None,
    explain: bool = True,
    anchors: tuple[Anchors | None, Anchors | None] = (None, None),
) -> tuple[Result, Result]:
    """One packet through the pipeline under both books: parsed once; checked once when the
    books check alike (same ladder and packet schema); evaluated under each book (facts built
    for it), or once when `reuse` says the head would judge it exactly as the base
    (path_unchanged), or under the head for only the criteria that differ (known). `anchors`: what
    each book checks a packet against (None: the pack's own, as of the system's day)."""
    doc = pipeline.load(item, max_bytes)
    if isinstance(doc, Result):
        return doc, doc
    pb = pipeline.check(doc, base, anchors=anchors[0])
    ph = pb if same_ladder else pipeline.check(doc, head, anchors=anchors[1])
    ob = pipeline.evaluate(pb, ev_base, explain) if isinstance(pb, Packet) else pb
    if ph is pb and same_rules:
        return ob, ob
    if reuse is not None and ph is pb and isinstance(pb, Packet):
        if reuse.path_unchanged(pb):
            return ob, ob
        known = reuse.known(pb, ob.verdict)
        if known is not None:
            return ob, pipeline.evaluate(pb, ev_head, known=known)
    oh = pipeline.evaluate(ph, ev_head, explain) if isinstance(ph, Packet) else ph
    return ob, oh


@dataclass
class _Row:
    """What the result keeps of one packet: its kind, the tally keys, and the entry to list."""

    kind: str  # invalid | validity_changes | flips | status_changes | unchanged | new (no pack at the base)
    level: str | None  # target level and track for the totals (None for invalid packets)
    track: str | None
    entry: PacketChange | InvalidPacket | None = None
    evaluated: bool = False
    outcomes: tuple[tuple[str, str], ...] = ()  # (added or removed criterion, its status where it exists)


def _new_row(
    item: Item, head: RuleBook, ev: Evaluator, max_bytes: int, explain: bool = True, anchors: Anchors | None = None
) -> _Row:
    """A packet under a pack the base does not have: its head verdict, and every criterion on its
    path as an added criterion's outcome."""
    doc = pipeline.load(item, max_bytes)
    ph = doc if isinstance(doc, Result) else pipeline.check(doc, head, anchors=anchors)
    oh = pipeline.evaluate(ph, ev, explain) if isinstance(ph, Packet) else ph
    v = oh.verdict
    if v is None:
        problems = oh.problems
        return _Row("invalid", None, None, InvalidPacket(item.source, oh.candidate, problems[0], len(problems)))
    pc = PacketChange(item.source, v.candidate_id, v.track, v.current_level, v.target_level, None, v.verdict)
    return _Row("new", v.target_level, v.track, pc, True, tuple((c.id, c.status) for c in v.criteria))


def _compare(item: Item, b: Result, h: Result, ident: Identity = Identity()) -> _Row:
    vb, vh = b.verdict, h.verdict
    if vb is None and vh is None:
        problems = h.problems or b.problems
        return _Row(
            "invalid", None, None, InvalidPacket(item.source, h.candidate or b.candidate, problems[0], len(problems))
        )
    some = vh or vb
    assert some is not None
    if vb is None or vh is None:
        bad = b if vb is None else h
        return _Row(
            "validity_changes",
            some.target_level,
            some.track,
            PacketChange(
                item.source,
                some.candidate_id,
                some.track,
                some.current_level,
                some.target_level,
                vb.verdict if vb else None,
                vh.verdict if vh else None,
                problem=bad.problems[0],
                problems=len(bad.problems),
            ),
        )
    changes = [] if vb is vh else _status_changes(vb, vh, ident)
    fresh = [c for c in changes if ident.fresh(c)]
    outcomes = tuple((c.id, c.base or c.head or "") for c in fresh)
    pc = PacketChange(
        item.source,
        vh.candidate_id,
        vh.track,
        vh.current_level,
        vh.target_level,
        vb.verdict,
        vh.verdict,
        changes,
        base_target_level=vb.target_level if vb.target_level != vh.target_level else None,
        levels=[] if vb is vh else _level_changes(vb, vh),
    )
    if pc.flipped:  # a flip lists every criterion that explains it, added and removed ones too
        return _Row("flips", some.target_level, some.track, pc, True, outcomes)
    # Without a flip, an added or removed criterion's status is its outcome (counted by criterion),
    # not a change in this packet's criteria.
    pc.criteria = [c for c in changes if not ident.fresh(c)]
    if any(c.status_changed for c in pc.criteria) or pc.base_target_level is not None:
        return _Row("status_changes", some.target_level, some.track, pc, True, outcomes)
    return _Row("unchanged", some.target_level, some.track, None, True, outcomes)


def _add(res: AuditResult, row: _Row) -> None:
    res.packets += 1
    if row.kind == "invalid":
        assert isinstance(row.entry, InvalidPacket)
        res.invalid.append(row.entry)
        return
    assert row.level is not None and row.track is not None  # only an invalid packet has neither
    tallies = [res.by_level.setdefault(row.level, Tally()), res.by_track.setdefault(row.track, Tally())]
    for t in tallies:
        t.packets += 1
        setattr(t, row.kind, getattr(t, row.kind) + 1)
    res.evaluated += row.evaluated
    for cid, status in row.outcomes:
        res.outcomes.setdefault(cid, Counter())[status] += 1
    listed = {
        "validity_changes": res.validity,
        "flips": res.flips,
        "status_changes": res.status_only,
        "new": res.new,
    }.get(row.kind)
    if listed is not None:
        assert isinstance(row.entry, PacketChange)
        listed.append(row.entry)
