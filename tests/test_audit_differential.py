"""Audit is evaluation done twice: a differential test over random rule changes.

For each generated change to the bundled rules (thresholds and windows up and down, a predicate
on a field no rule reads yet, criteria added, removed and renamed, a level's policy, a level's
`includes` dropped (other levels carried below a promotion), an alias in the ladder, an enum value
added to the packet schema and used by a rule), the audit's verdict
flips, criterion changes and validity changes must equal what evaluating every packet separately
under each revision gives. Any shortcut the audit takes (one check for both revisions, facts,
compiled plans) is only right if this holds for every change.

The CLI's audit (`reuse=True`) takes more shortcuts than one check: it makes verdicts without
explanations, evaluates once a packet whose path has the same rules in both revisions, and on a
path that differs fires under the head only the criteria that differ, taking the others' statuses
from the base verdict (engine.audit.impact._Pairer.known, Evaluator.evaluate_known, where the
assumptions are stated). So besides equalling separate evaluation, its result must equal the full
audit's (`reuse=False`: every packet evaluated in full under each revision) byte for byte in every
output format, for every generated change, from the bundled rules and from a base with per-aspect
thresholds on every level (the thresholds the engine counts from given statuses).
"""
from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, bench_generator
from engine.audit import assess
from engine.audit.render import RENDERERS
from engine.base.errors import EvidenceError, RulesError
from engine.core.evaluator import Evaluator
from engine.core.evidence import check_document
from engine.book.fields import evidence_fields
from engine.base.inputs import Item, load_item
from engine.base.loader import Document, load_file
from engine.book.rules import build_rulebook
from engine.book.schema import PacketSchema, bundled_packet_schema

RULE_FILES = {f.name: load_file(f).data for f in sorted((ROOT / "rules").glob("*.yaml"))}
SCHEMA = bundled_packet_schema().data
_gen = bench_generator()
# Enough packets that most changes bite: every path of the generator's mix, ready and not.
PACKETS = [_gen.dumps(_gen.make_packet(11, i)) for i in range(70)]
ITEMS = [Item(f"mem.jsonl:{i + 1}", "line", text, i + 1, file="mem.jsonl") for i, text in enumerate(PACKETS)]


def _book(files: dict[str, dict], schema: dict):
    docs = {name: Document(f"mem/{name}", data, json.dumps(data, indent=1), "json") for name, data in files.items()}
    return build_rulebook(docs, "mem", PacketSchema(schema))


BASE = _book(copy.deepcopy(RULE_FILES), SCHEMA)


def _with_aspect_thresholds(files: dict) -> dict:
    """Every level with a per-aspect threshold of 1 on the aspect of its first supporting criterion."""
    files = copy.deepcopy(files)
    for name in _level_files(files):
        aspects = [c["aspect"] for c in files[name]["criteria"] if not c["required"] and c.get("aspect")]
        if aspects:
            files[name]["policy"]["min_supporting_per_aspect"] = {aspects[0]: 1}
    return files


def _leaves(cond: dict, out: list) -> list:
    if "evidence" in cond:
        out.append(cond)
    for sub in cond.get("all_of", cond.get("any_of", [])):
        _leaves(sub, out)
    return out


def _level_files(files: dict) -> list[str]:
    return sorted(n for n in files if n != "ladder.yaml")


@st.composite
def changes(draw, start=None):
    """(rule files, packet schema, a description) after one or two random changes."""
    files, schema = copy.deepcopy(RULE_FILES if start is None else start), copy.deepcopy(SCHEMA)
    said = []
    for _ in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(_level_files(files)))
        level = files[name]
        crits = level["criteria"]
        i = draw(st.integers(0, len(crits) - 1))
        cr = crits[i]
        leaves = _leaves(cr["condition"], [])
        leaf = draw(st.sampled_from(leaves)) if leaves else None
        kind = draw(st.sampled_from(["threshold", "window", "unread-field", "add", "remove", "rename", "policy",
                                     "required", "alias", "schema-enum", "where-edit", "aspect", "includes"]))
        if kind == "threshold" and leaf is not None and "distinct" not in leaf and "mean" not in leaf:
            leaf["min_count"] = max(1, leaf.get("min_count", 1) + draw(st.sampled_from([-1, 1, 2])))
        elif kind == "window" and leaf is not None:
            leaf["within_days"] = draw(st.sampled_from([90, 180, 365, 548, 730, 1095]))
        elif kind == "unread-field" and leaf is not None and leaf["evidence"] != "*":
            fields = evidence_fields()[leaf["evidence"]]
            read = set(leaf.get("where", {}))
            options = sorted(f for f, spec in fields.items() if f not in read and "." not in f
                             and f not in ("id", "type", "date", "title", "notes", "links", "quote")
                             and spec.type in ("string", "boolean", "integer"))
            if options:
                fname = draw(st.sampled_from(options))
                spec = fields[fname]
                if spec.enum:
                    pred = draw(st.sampled_from([{"ne": spec.enum[0]}, {"in": list(spec.enum[:2])},
                                                 {"exists": True}]))
                elif spec.type == "boolean":
                    pred = draw(st.sampled_from([True, False, {"exists": False}]))
                elif spec.type == "integer":
                    pred = {"gte": draw(st.integers(1, 5))}
                else:
                    pred = {"exists": draw(st.booleans())}
                leaf.setdefault("where", {})[fname] = pred
        elif kind == "add":
            new = copy.deepcopy(cr)
            new["id"] = f"{level['level']}.added-{len(crits)}"
            new["required"] = draw(st.booleans())
            crits.append(new)
        elif kind == "remove" and len(crits) > 1:
            crits.pop(i)
        elif kind == "rename":
            cr["id"] = f"{level['level']}.renamed-{i}"
        elif kind == "required":
            cr["required"] = not cr["required"]
        elif kind == "policy":
            pol = level["policy"]
            pol["min_supporting"] = max(0, pol["min_supporting"] + draw(st.sampled_from([-1, 1])))
            pol["sufficient_evidence"]["min_records"] = max(
                1, pol["sufficient_evidence"]["min_records"] + draw(st.sampled_from([-1, 0, 2])))
        elif kind == "where-edit" and leaf is not None and leaf.get("where"):
            fname = draw(st.sampled_from(sorted(leaf["where"])))
            pred = leaf["where"][fname]
            if isinstance(pred, dict) and isinstance(pred.get("in"), list) and len(pred["in"]) > 1:
                pred["in"] = pred["in"][:-1]  # one value fewer accepted
            else:
                del leaf["where"][fname]  # one test fewer
        elif kind == "aspect":
            aspects = sorted({c["aspect"] for c in crits if not c["required"] and c.get("aspect")})
            if aspects:
                pol = level["policy"]
                per = pol.setdefault("min_supporting_per_aspect", {})
                a = draw(st.sampled_from(aspects))
                per[a] = draw(st.sampled_from([1, 2])) if per.get(a) != 1 else 2
        elif kind == "includes" and "includes" in level:
            del level["includes"]  # the levels carried below a promotion change, not the ladder
        elif kind == "alias":
            lad = files["ladder.yaml"]
            lad["levels"][0].setdefault("aliases", []).append("entry-pm")
        elif kind == "schema-enum":
            enum = schema["$defs"]["audience"]["enum"]
            if "investors" not in enum:
                enum.append("investors")
            arts = [c for c in crits if any(lf["evidence"] == "artifact" for lf in _leaves(c["condition"], []))]
            if arts:
                target = next(lf for lf in _leaves(arts[0]["condition"], []) if lf["evidence"] == "artifact")
                target.setdefault("where", {})["audience"] = {"in": ["leadership", "investors"]}
        else:
            continue
        said.append(f"{kind} {cr['id']}")
    supporting = sum(not c["required"] for c in files[name]["criteria"])
    files[name]["policy"]["min_supporting"] = min(files[name]["policy"]["min_supporting"], supporting)
    return files, schema, said


def _separately(book) -> dict[str, tuple[str | None, dict]]:
    """source -> (verdict or None when invalid, {criterion: status}), each packet on its own."""
    ev = Evaluator(book)
    out = {}
    try:
        for item in ITEMS:
            try:
                v = ev.evaluate(check_document(load_item(item, 5 * 2**20), book))
            except EvidenceError:
                out[item.source] = (None, {})
                continue
            out[item.source] = (v.verdict, {c.id: c.status for c in v.criteria})
    finally:
        ev.close()
    return out


BASE_ALONE = _separately(BASE)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(changes())
def test_audit_equals_evaluating_each_revision_separately(change):
    files, schema, said = change
    try:
        head = _book(files, schema)
    except RulesError:  # the change broke the rules (lint would refuse it): nothing to audit
        return
    alone = _separately(head)
    fast, full = (assess(BASE, head, ITEMS, reuse=reuse) for reuse in (True, False))
    for result in (fast, full):
        _same_as_alone(result, alone, said)
    _same_as_full(fast, full, said)


def _renders(result) -> dict[str, str]:
    return {fmt: render(result) for fmt, render in RENDERERS.items()}


def _same_as_full(fast, full, said):
    """The fast audit's result is the full one's: every format's output, byte for byte, and the
    figures no format shows in full (level figures of every listed packet included)."""
    assert _renders(fast) == _renders(full), said
    assert (fast.packets, fast.evaluated, fast.outcomes) == (full.packets, full.evaluated, full.outcomes), said
    for a, b in ((fast.flips, full.flips), (fast.status_only, full.status_only), (fast.validity, full.validity),
                 (fast.invalid, full.invalid)):
        assert [p.as_dict() for p in a] == [p.as_dict() for p in b], said


ASPECT_FILES = _with_aspect_thresholds(RULE_FILES)
ASPECT_BASE = _book(copy.deepcopy(ASPECT_FILES), SCHEMA)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(changes(ASPECT_FILES))
def test_the_fast_audit_equals_the_full_audit_with_aspect_thresholds(change):
    """From a base whose every level has a per-aspect threshold: a changed criterion's status
    and the statuses given from the base verdict are counted together by the engine."""
    files, schema, said = change
    try:
        head = _book(files, schema)
    except RulesError:
        return
    _same_as_full(assess(ASPECT_BASE, head, ITEMS, reuse=True), assess(ASPECT_BASE, head, ITEMS, reuse=False),
                  said)


def test_the_fast_audit_takes_statuses_from_the_base_and_the_comparison_can_fail(monkeypatch):
    """The head of a one-threshold change fires only the criteria that differ (the others' statuses
    come from the base verdict), and the result is the full audit's; a given status turned the other
    way (what a wrong shortcut would do) makes the comparison fail."""
    from engine.core.evaluator import Evaluator

    files = copy.deepcopy(RULE_FILES)
    lf = next(lf for cr in files["senior-pm.yaml"]["criteria"] if cr["required"]
              for lf in _leaves(cr["condition"], []) if "distinct" not in lf and "mean" not in lf)
    lf["min_count"] = lf.get("min_count", 1) + 1
    head = _book(files, SCHEMA)
    full = assess(BASE, head, ITEMS, reuse=False)
    assert full.flips or full.status_only  # the change bites
    real = Evaluator.evaluate_known
    calls = []

    def spy(self, packet, known):
        calls.append(known)
        return real(self, packet, known)

    monkeypatch.setattr(Evaluator, "evaluate_known", spy)
    _same_as_full(assess(BASE, head, ITEMS, reuse=True), full, ["senior-pm threshold"])
    assert calls and all(known for known in calls)  # the shortcut was taken, with statuses given

    def wrong(self, packet, known):
        return real(self, packet, {cid: "unmet" if st == "met" else "met" for cid, st in known.items()})

    monkeypatch.setattr(Evaluator, "evaluate_known", wrong)
    with pytest.raises(AssertionError):
        _same_as_full(assess(BASE, head, ITEMS, reuse=True), full, ["a wrong shortcut"])


def _same_as_alone(result, alone, said, base_alone=None):
    """The audit's rows equal the two separate evaluations. A criterion the rule diff calls renamed
    is compared with its old self; without a flip, one only a version has (added or removed) is
    counted as that criterion's outcome (met/unmet where it exists), not as a status change."""
    base_alone = BASE_ALONE if base_alone is None else base_alone
    d = result.diff
    renamed = {c.old_id: c.id for c in d.of("renamed")}
    added = {c.id for c in d.of("added")} | {c for lv in d.level_contents.values() if lv["change"] == "added"
                                             for c in lv["criteria"]}
    removed = {c.id for c in d.of("removed")} | {c for lv in d.level_contents.values() if lv["change"] == "removed"
                                                 for c in lv["criteria"]}
    want_flips, want_status, want_validity, want_outcomes = {}, {}, {}, {}
    for src, (vb, sb) in base_alone.items():
        vh, sh = alone[src]
        if vb is None or vh is None:
            if vb != vh:
                want_validity[src] = (vb, vh)
            continue
        sb = {renamed[c] if renamed.get(c) in sh else c: st for c, st in sb.items()}
        crit = {c: (sb.get(c), sh.get(c)) for c in sb.keys() | sh.keys() if sb.get(c) != sh.get(c)}
        for c, (x, y) in crit.items():
            if (x is None and c in added) or (y is None and c in removed):
                want_outcomes.setdefault(c, Counter())[x or y] += 1
        if vb != vh:
            want_flips[src] = (vb, vh, crit)
            continue
        crit = {c: v for c, v in crit.items() if not ((v[0] is None and c in added) or (v[1] is None and c in removed))}
        if crit:
            want_status[src] = crit
    assert {c: dict(n) for c, n in result.outcomes.items()} == {c: dict(n) for c, n in want_outcomes.items()}, said

    def statuses(pc):
        return {c.id: (c.base, c.head) for c in pc.criteria if c.base != c.head}

    got_flips = {p.source: (p.base, p.head, statuses(p)) for p in result.flips}
    got_status = {p.source: statuses(p) for p in result.status_only if statuses(p)}
    got_validity = {p.source: (p.base, p.head) for p in result.validity}
    assert got_flips == want_flips, said
    assert got_status == want_status, said
    assert got_validity == want_validity, said
    assert result.packets == len(ITEMS)


def test_the_differential_test_can_fail():
    """A change known to flip verdicts does flip some of these packets: the comparison above is
    not vacuous."""
    files = copy.deepcopy(RULE_FILES)
    for name in _level_files(files):
        for cr in files[name]["criteria"]:
            if cr["required"]:
                for lf in _leaves(cr["condition"], []):
                    if "distinct" not in lf and "mean" not in lf:
                        lf["min_count"] = max(2, lf.get("min_count", 1))
    head = _book(files, SCHEMA)
    assert assess(BASE, head, ITEMS).flips
    assert sum(v == "ready" for v, _ in BASE_ALONE.values()) >= 5  # the packets span verdicts


@pytest.mark.parametrize("verdicts", [BASE_ALONE])
def test_the_packets_cover_every_path(verdicts):
    assert len({v for v, _ in verdicts.values()}) >= 2


def _rename_everything(files: dict, only=lambda cr: True) -> tuple[dict, list[tuple[str, str]]]:
    files = copy.deepcopy(files)
    pairs = []
    for name in _level_files(files):
        for cr in files[name]["criteria"]:
            if not only(cr):
                continue
            new = cr["id"] + "-renamed"
            pairs.append((cr["id"], new))
            cr["id"] = new
    return files, pairs


def test_a_pure_rename_is_followed_not_reported_as_every_packet_changing():
    """Every criterion renamed, nothing else: separately, every packet's criteria look different
    (old ids gone, new ids there); the audit compares each with its old self, so nothing changed."""
    files, pairs = _rename_everything(RULE_FILES)
    head = _book(files, SCHEMA)
    alone = _separately(head)
    assert any(set(BASE_ALONE[s][1]) != set(alone[s][1]) for s in alone if alone[s][0])  # the ids do differ
    for reuse in (True, False):
        result = assess(BASE, head, ITEMS, reuse=reuse)
        assert sorted((c.old_id, c.id) for c in result.diff.of("renamed")) == sorted(pairs)
        assert not result.flips and not result.status_only and not result.outcomes
        _same_as_alone(result, alone, ["rename all"])


def test_a_rename_with_a_threshold_change_elsewhere_is_still_followed():
    """Renames (of the supporting criteria) and a real change (the required ones) in one commit:
    the flips are the threshold's, and each renamed criterion shown carries its old id."""
    files, pairs = _rename_everything(RULE_FILES, lambda cr: not cr["required"])
    for name in _level_files(files):
        for cr in files[name]["criteria"]:
            if cr["required"]:
                for lf in _leaves(cr["condition"], []):
                    if "distinct" not in lf and "mean" not in lf and "regularly" not in lf:
                        lf["min_count"] = max(2, lf.get("min_count", 1))
    head = _book(files, SCHEMA)
    result = assess(BASE, head, ITEMS)
    assert sorted((c.old_id, c.id) for c in result.diff.of("renamed")) == sorted(pairs)
    _same_as_alone(result, _separately(head), ["rename and raise"])
    assert result.flips and all(c.old_id and c.id == c.old_id + "-renamed" for p in result.flips for c in p.criteria
                                if c.id.endswith("-renamed"))


def test_a_new_pack_is_all_added_and_judged_as_the_head_alone_judges():
    """A pull request that adds a pack (no folder at the base): every level and criterion is added,
    each packet's verdict is the head's own, and each criterion's met/unmet count is what separate
    evaluations give; nothing is a flip or a status change."""
    head = _book(copy.deepcopy(RULE_FILES), SCHEMA)
    alone = _separately(head)
    for jobs in (1, 2):
        result = assess(None, head, ITEMS, jobs=jobs)
        assert result.new_pack and result.diff.levels_added == head.ordered_levels()
        assert not result.flips and not result.status_only and not result.validity
        assert {p.source: p.head for p in result.new} == {s: v for s, (v, _) in alone.items() if v is not None}
        assert {i.source for i in result.invalid} == {s for s, (v, _) in alone.items() if v is None}
        want: dict[str, Counter] = {}
        for v, statuses in alone.values():
            for cid, st in statuses.items():
                want.setdefault(cid, Counter())[st] += 1
        assert result.outcomes == want
        assert {o["id"] for o in result.outcome_rows()} == {c for v in RULE_FILES.values() for c in
                                                              [cr["id"] for cr in v.get("criteria", [])]}
