"""From a checked packet to a verdict: compile (cached), fire, read what fired, explain."""

from __future__ import annotations

from ..base.errors import UsageError
from ..base.words import counted
from ..book.compiler import KIND, Ruleset, compile_path
from ..book.rules import RuleBook
from .evidence import Packet
from .explain import by_type, cited, partial, unmet_reason
from .facts import build_facts, build_facts_without
from .firing import Firing, RulesEngine, rules_engine
from .verdict import INSUFFICIENT, NOT_READY, READY, CriterionResult, LevelResult, Verdict


class Evaluator:
    """Evaluates packets against one rule book. Cheap to keep; plans compile once per path."""

    def __init__(self, book: RuleBook, engine: RulesEngine | None = None):
        self.book = book
        self.engine = engine or rules_engine()
        self._rulesets: dict[tuple[tuple[str, ...], tuple[str, ...], frozenset[str]], Ruleset] = {}
        self._carried: dict[tuple[str, str, str], tuple[str, ...]] = {}

    def ruleset(
        self, path: tuple[str, ...], carried: tuple[str, ...] = (), given: frozenset[str] = frozenset()
    ) -> Ruleset:
        """The compiled ruleset of a path (`given`: criteria whose status is given, see evaluate_known)."""
        ruleset = self._rulesets.get((path, carried, given))
        if ruleset is None:
            ruleset = self._rulesets[(path, carried, given)] = compile_path(self.book, path, carried, given)
            self.engine.ensure(ruleset)
        return ruleset

    def close(self) -> None:
        """Free the engine rulesets this evaluator registered (audits load two rule books)."""
        for ruleset in self._rulesets.values():
            self.engine.unregister(ruleset.name)
        self._rulesets.clear()

    def path(self, packet: Packet) -> tuple[str, ...]:
        """The levels this book judges the packet at (skip-level: every level in between)."""
        if packet.ladder != self.book.ladder_version:
            # Level ids were resolved, and the packet checked, with another ladder or schema.
            raise UsageError(
                summary=f"{packet.source}: the packet was checked with another ladder or packet "
                "schema than these rules use; check it with these rules"
            )
        carried = self.carried(packet)
        return carried + tuple(self.book.path(packet.track, packet.current, packet.target))

    def carried(self, packet: Packet) -> tuple[str, ...]:
        """The levels below the promotion whose required criteria it includes (RuleBook.carried)."""
        key = (packet.track, packet.current, packet.target)
        got = self._carried.get(key)
        if got is None:
            got = self._carried[key] = tuple(self.book.carried(*key))
        return got

    def evaluate(self, packet: Packet, explain: bool = True) -> Verdict:
        """The verdict: what fired, counted and explained. It carries no plan: planning is the
        pipeline's next stage (engine.core.pipeline.plan).

        explain=False (an audit, which shows statuses and level figures only): the same firing,
        statuses, level verdicts and figures, without the words: no citations, reasons, near
        misses or headline. Such a verdict is for comparing, never for showing."""
        path = self.path(packet)
        ruleset = self.ruleset(path, self.carried(packet))
        facts = build_facts(packet, self.book, path)
        return self._verdict(packet, ruleset, facts, self.engine.fire(ruleset, facts), explain)

    def evaluate_known(self, packet: Packet, known: dict[str, str]) -> Verdict:
        """The verdict without explanations (as evaluate(explain=False)), with the status of each
        criterion in `known` (criterion id -> met | unmet) given rather than fired again: an
        audit's head verdict, when the base already fired those criteria with the same
        definitions on the same path (engine.audit.impact._Pairer.known says when). The engine
        still decided every status: a given one when the base's ruleset fired.

        Every other criterion, each level's sufficient-evidence rule and per-aspect thresholds are
        fired by the engine as in evaluate, over facts built for the criteria not known; a known
        criterion that a per-aspect threshold counts is a rule of its own in the ruleset that fires
        on a `$given` fact asserted for it when its status is met, so the engine counts it towards
        the threshold; one that no threshold counts is marked met in the firing as given. The
        level verdicts come from the same code as evaluate's (`_levels`).

        Right only under these assumptions, which the caller guarantees and
        tests/test_audit_differential.py checks against two full evaluations:
        * a criterion's status depends only on its own condition and the facts its rules read
          (compile_path builds each criterion's tree from its condition alone; its nodes assert
          facts only for its own parent); so a criterion fired under another rule book with the
          same condition, on the same packet, checked alike, has the same status;
        * the facts a criterion reads are the same under both books: the same checked packet
          (same ladder and packet schema, so the same level ids, integrity policy and default
          window) and fields_read covering every field its rules test (facts for the criteria not
          known carry at least those; a field no remaining rule reads changes no match);
        * the known criteria are on this packet's path here, at the same level and with the same
          carried levels as where they were fired."""
        path = self.path(packet)
        carried = self.carried(packet)
        given = frozenset(known)
        ruleset = self.ruleset(path, carried, given)
        facts = build_facts_without(packet, self.book, path, given)
        met = [ruleset.roots[cid] for cid, status in known.items() if status == "met"]
        # a known criterion under a per-aspect threshold is marked by its rule, so the engine counts
        # it; one under none has no rule (compile_path) and is marked here
        facts += [{KIND: "$given", "node": idx} for idx in met if ruleset.nodes[idx].parent is not None]
        fr = self.engine.fire(ruleset, facts)
        fr.marked.update(idx for idx in met if ruleset.nodes[idx].parent is None)
        return self._verdict(packet, ruleset, facts, fr, False)

    def _verdict(self, packet: Packet, ruleset: Ruleset, facts: list[dict], fr: Firing, explain: bool) -> Verdict:
        results: list[CriterionResult] = []
        grouped = None
        for cr in ruleset.criteria:
            idx = ruleset.roots[cr.id]
            if not explain:
                results.append(
                    CriterionResult(
                        cr.id,
                        cr.level,
                        cr.title,
                        cr.source,
                        cr.required,
                        "met" if idx in fr.marked else "unmet",
                        [],
                        "",
                        aspect=cr.aspect,
                        window=cr.window,
                    )
                )
            elif idx in fr.marked:
                ids = cited(ruleset, fr, idx)
                by_id = packet.by_id
                results.append(
                    CriterionResult(
                        cr.id,
                        cr.level,
                        cr.title,
                        cr.source,
                        cr.required,
                        "met",
                        ids,
                        f"met by {', '.join(ids)}" if ids else "met",
                        found=ids,
                        basis=cr.basis,
                        basis_note=cr.basis_note,
                        aspect=cr.aspect,
                        verified=any("verified_by" in by_id[i] for i in ids),
                        window=cr.window,
                    )
                )
            else:
                if grouped is None:
                    grouped = by_type(facts)
                reason, misses = unmet_reason(ruleset, fr, idx, grouped)
                ids = partial(ruleset, fr, idx)
                results.append(
                    CriterionResult(
                        cr.id,
                        cr.level,
                        cr.title,
                        cr.source,
                        cr.required,
                        "unmet",
                        ids,
                        reason,
                        found=ids,
                        misses=misses,
                        basis=cr.basis,
                        basis_note=cr.basis_note,
                        aspect=cr.aspect,
                        window=cr.window,
                    )
                )
        levels = []
        for lv, lv_verdict, (req_met, req, sup_met, sup) in self._levels(ruleset, fr):
            pol = self.book.level_rules[lv].policy
            if lv in ruleset.carried:  # required criteria only: nothing supporting, no evidence policy of its own
                levels.append(
                    LevelResult(
                        lv,
                        self.book.levels[lv].title,
                        lv_verdict,
                        req_met,
                        req,
                        0,
                        0,
                        0,
                        0,
                        0,
                        pol.within_days,
                        carried=True,
                    )
                )
                continue
            # the records the engine counted (a record entered twice is one), as the verdict counted them
            node = ruleset.sufficiency[lv]
            recent = fr.aggs.get(node, {}).get("n", len(fr.found.get(node, [])))
            levels.append(
                LevelResult(
                    lv,
                    self.book.levels[lv].title,
                    lv_verdict,
                    req_met,
                    req,
                    sup_met,
                    sup,
                    pol.min_supporting,
                    recent,
                    pol.min_records,
                    pol.within_days,
                    _aspects(ruleset, fr, lv),
                    basis=pol.basis,
                    basis_note=pol.basis_note,
                )
            )
        overall = _overall([lr.verdict for lr in levels])
        # Required gaps first: the smallest set of things to close.
        v = Verdict(
            packet.candidate_id,
            packet.name,
            packet.track,
            packet.current,
            packet.target,
            list(ruleset.path),
            overall,
            "",
            levels,
            results,
            self.book.version,
            packet.end,
            packet.source,
            fr.actions,
            packet.warnings,
            packet_sha256=packet.sha256,
            schema_version=self.book.packet_schema.version,
            org=packet.org,
            cycle=packet.cycle,
            manager=packet.manager,
            from_track=packet.from_track,
            lateral=self.book.lateral(packet.current, packet.target),
        )
        if explain:
            v.headline = headline(v)
        if any(c.window for c in results):
            v.default_window = self.book.default_window
        v.checked = packet.checked  # engine.org.anchors: what the packet was checked against
        return v

    def status(self, packet: Packet) -> str:
        """Only the overall verdict (ready / not_ready / insufficient_evidence): the same firing
        and the same counting as evaluate, without explanations (engine.ruleset proves with it)."""
        path = self.path(packet)
        ruleset = self.ruleset(path, self.carried(packet))
        fr = self.engine.fire(ruleset, build_facts(packet, self.book, path))
        return _overall([lv_verdict for _, lv_verdict, _ in self._levels(ruleset, fr)])

    def _levels(self, ruleset: Ruleset, fr: Firing) -> list[tuple[str, str, tuple[int, int, int, int]]]:
        """Per level on the path: its verdict and (required met, required, supporting met,
        supporting), counted from what fired. The one place a level's verdict is decided."""
        tally = {lv: [0, 0, 0, 0] for lv in ruleset.path}
        for cr in ruleset.criteria:
            t = tally[cr.level]
            t[0 if cr.required else 2] += ruleset.roots[cr.id] in fr.marked
            t[1 if cr.required else 3] += 1
        out = []
        for lv in ruleset.path:
            req_met, req, sup_met, sup = tally[lv]
            if lv in ruleset.carried:  # the level below, included: its required criteria decide it
                out.append((lv, READY if req_met == req else NOT_READY, (req_met, req, 0, 0)))
                continue
            pol = self.book.level_rules[lv].policy
            # each per-aspect threshold is an engine node: met when its rule fired
            aspects_met = all(ruleset.aspects[(lv, a)] in fr.marked for a, _ in pol.per_aspect)
            supporting_ok = sup_met >= pol.min_supporting and aspects_met
            out.append(
                (
                    lv,
                    _level_verdict(ruleset.sufficiency[lv] in fr.marked, req_met == req, supporting_ok),
                    (req_met, req, sup_met, sup),
                )
            )
        return out


def _aspects(ruleset: Ruleset, fr: Firing, level: str) -> list[dict]:
    """A level's per-aspect thresholds for the verdict: each one's need, and how many of its
    criteria fired (words only: whether the threshold holds is its own node's firing)."""
    out = []
    for (lv, aspect), idx in ruleset.aspects.items():
        if lv == level:
            node = ruleset.nodes[idx]
            out.append({"aspect": aspect, "needed": node.need, "met": sum(c in fr.marked for c in node.children)})
    return out


def _level_verdict(sufficient: bool, required_met: bool, supporting_met: bool) -> str:
    if not sufficient:
        return INSUFFICIENT
    return READY if required_met and supporting_met else NOT_READY


def _overall(level_verdicts: list[str]) -> str:
    if INSUFFICIENT in level_verdicts:
        return INSUFFICIENT
    return READY if all(v == READY for v in level_verdicts) else NOT_READY


def headline(v: Verdict) -> str:
    if v.move and v.lateral:  # not a promotion: say so before anything else
        return (
            f"lateral move from {v.current_level} ({v.from_track} track) to {v.target_level} ({v.track} "
            f"track), judged on {v.target_level}'s criteria: " + _headline(v)
        )
    return _headline(v)


def _headline(v: Verdict) -> str:
    target = v.target_level
    if v.verdict == INSUFFICIENT:
        lows = [lr for lr in v.levels if lr.verdict == INSUFFICIENT]
        lr = lows[0]
        return (
            f"insufficient evidence to judge {target}: {lr.recent_records} record(s) dated within "
            f"{lr.recent_window_days} days of {v.as_of}; at least {lr.recent_needed} needed"
        )
    req_total = sum(lr.required_total for lr in v.levels)
    req_met = sum(lr.required_met for lr in v.levels)
    if not req_total:  # a pack whose levels here have supporting criteria only: its pass mark is the count
        return _supporting_only_headline(v)
    if v.verdict == READY:
        return (
            f"ready for {target}: all {req_total} required criteria met, and "
            f"{sum(lr.supporting_met for lr in v.levels)} supporting "
            f"(at least {sum(lr.supporting_needed for lr in v.levels)} needed)"
        )
    parts = []
    if req_met < req_total:
        parts.append(f"{req_total - req_met} of {req_total} required criteria open")
    short = [lr for lr in v.levels if lr.supporting_met < lr.supporting_needed]
    for lr in short:
        parts.append(
            f"{lr.id} needs "
            + counted(lr.supporting_needed - lr.supporting_met, "more supporting criterion", "more supporting criteria")
            + f" ({lr.supporting_met} of {lr.supporting_needed} met)"
        )
    return f"not ready for {target}: " + "; ".join(parts + _aspects_short(v))


def _supporting_only_headline(v: Verdict) -> str:
    """No level on the path has a required criterion: say how many supporting criteria are met,
    of how many, against how many are needed (`8 of 10 supporting criteria met, 6 needed`), per
    level when the path has several, instead of "all 0 required criteria met"."""
    judged = [lr for lr in v.levels if not lr.carried]  # a carried level has no criteria here
    figures = [
        (lr.id, f"{lr.supporting_met} of {lr.supporting_total} supporting criteria met, {lr.supporting_needed} needed")
        for lr in judged
    ]
    if v.verdict == READY:
        words = [f"{lv}: {f}" if len(figures) > 1 else f for lv, f in figures]
        return f"ready for {v.target_level}: " + "; ".join(words)
    short = [(lr.id, f) for lr, (_, f) in zip(judged, figures) if lr.supporting_met < lr.supporting_needed]
    words = [f"{lv}: {f}" if len(figures) > 1 else f for lv, f in short]
    return f"not ready for {v.target_level}: " + "; ".join(words + _aspects_short(v))


def _aspects_short(v: Verdict) -> list[str]:
    parts = []
    for lr in v.levels:
        for a in lr.aspects_short:
            parts.append(
                f"{lr.id} needs "
                + counted(
                    a["needed"] - a["met"],
                    f"more supporting {a['aspect']} criterion",
                    f"more supporting {a['aspect']} criteria",
                )
                + f" ({a['met']} of {a['needed']} met)"
            )
    return parts
