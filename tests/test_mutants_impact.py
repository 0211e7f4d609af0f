"""The audit's pairing of packets and books (engine.audit.impact), in process: a new pack's rows
(valid, invalid, checked as of the day given), what a crashed worker's packet becomes, which
criteria a whole level's arrival or departure makes fresh, the rules a path reads when a level is
missing, and the evaluators freed when an audit ends. tests/test_audit_differential.py holds the
fast audit to the full one; these pin the rows and figures around it."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from engine import audit as audit_mod
from engine.audit import impact
from engine.audit.result import InvalidPacket, StatusChange
from engine.base.errors import Problem
from engine.base.inputs import iter_inputs
from engine.book.rules import load_rules
from engine.committee.batch import CRASH_MESSAGE

from conftest import FIXTURES, ROOT

READY = str(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml")
NOT_READY = str(FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml")
DUPLICATE = str(FIXTURES / "invalid" / "duplicate-evidence-id.yaml")


@pytest.fixture(scope="module")
def head():
    return load_rules(ROOT / "rules")


def test_a_new_pack_lists_each_valid_packet_as_new_and_counts_it_evaluated(head):
    res = audit_mod.assess(None, head, iter_inputs([READY, NOT_READY]))
    assert res.new_pack and res.packets == 2 and res.evaluated == 2 and not res.invalid
    assert [(p.candidate, p.base, p.head) for p in res.new] == [
        ("emp-0988", None, "ready"), ("emp-1054", None, "not_ready")]
    # every criterion on a new pack's path is an added criterion's outcome
    assert res.outcomes and all(sum(c.values()) >= 1 for c in res.outcomes.values())


def test_an_invalid_packet_under_a_new_pack_is_listed_with_its_first_problem_and_count(head):
    res = audit_mod.assess(None, head, iter_inputs([DUPLICATE]))
    (bad,) = res.invalid
    assert (bad.source, bad.candidate, bad.problems) == (DUPLICATE, "emp-1042", 1)
    assert bad.problem.source == DUPLICATE and "is used twice" in bad.problem.message
    assert res.packets == 1 and res.evaluated == 0 and res.new == []


def test_a_new_pack_checks_packets_as_of_the_day_given(head):
    res = audit_mod.assess(None, head, iter_inputs([READY]), today=dt.date(2020, 1, 1))
    (bad,) = res.invalid
    assert bad.problem.path == "/period/end" and "after today (2020-01-01)" in bad.problem.message
    assert audit_mod.assess(None, head, iter_inputs([READY]), today=dt.date(2026, 7, 1)).invalid == []


def test_a_crashed_workers_packet_is_an_invalid_row_naming_the_crash():
    item = SimpleNamespace(source="in/x.yaml")
    row = impact._crashed_row(item)
    assert (row.kind, row.level, row.track) == ("invalid", None, None)
    assert row.entry == InvalidPacket("in/x.yaml", None, Problem("in/x.yaml", "", CRASH_MESSAGE, kind="crash"), 1)


class _Diff:
    def __init__(self, added=(), removed=(), renamed=(), level_contents=None):
        self._of = {"added": [SimpleNamespace(id=i) for i in added], "removed": [SimpleNamespace(id=i) for i in removed],
                    "renamed": [SimpleNamespace(old_id=o, id=n) for o, n in renamed]}
        self.level_contents = level_contents or {}

    def of(self, kind):
        return self._of[kind]


def test_a_level_added_or_removed_makes_its_criteria_added_or_removed():
    d = _Diff(added=["a.x"], removed=["b.y"], renamed=[("c.old", "c.new")],
              level_contents={"new-level": {"change": "added", "criteria": ["n.1", "n.2"]},
                              "gone-level": {"change": "removed", "criteria": ["g.1"]}})
    ident = impact.Identity.of(d)
    assert ident.added == {"a.x", "n.1", "n.2"} and ident.removed == {"b.y", "g.1"}
    assert ident.renamed == (("c.old", "c.new"),)


@pytest.mark.parametrize("change, fresh", [
    (StatusChange("n.1", None, "met", None, True), True),   # added, seen at the head
    (StatusChange("n.1", "met", None, True, None), False),  # an added id seen only at the base: not fresh
    (StatusChange("g.1", "met", None, True, None), True),   # removed, seen at the base
    (StatusChange("g.1", None, "met", None, True), False),
    (StatusChange("k.1", None, "met", None, True), False),  # neither added nor removed
])
def test_fresh_means_only_the_side_that_has_the_criterion(change, fresh):
    ident = impact.Identity(added=frozenset({"n.1"}), removed=frozenset({"g.1"}))
    assert ident.fresh(change) is fresh


def test_the_rules_of_a_path_with_a_level_a_book_lacks(head):
    assert impact._path_rules(head, ("no-such-level",)) == "(no level no-such-level)"
    some = next(iter(head.level_rules))
    assert impact._path_rules(head, (some,)) != impact._path_rules(head, (some, "no-such-level"))


def test_an_audit_frees_the_engine_rulesets_of_both_books(head, monkeypatch):
    closed = []
    real = impact.Evaluator.close

    def spy(self):
        closed.append(self)
        real(self)

    monkeypatch.setattr(impact.Evaluator, "close", spy)
    audit_mod.assess(None, head, iter_inputs([READY]))
    assert len(closed) == 1  # a new pack: the head's evaluator
    closed.clear()
    audit_mod.assess(head, head, iter_inputs([READY]))
    assert len(closed) == 1  # the same rules: one evaluator serves both
    closed.clear()
    audit_mod.assess(head, load_rules(ROOT / "examples" / "kestrel" / "rules"), iter_inputs([READY]))
    assert len(closed) == 2 and closed[0] is not closed[1]  # two books: both evaluators


def _verdict(*criteria):
    return SimpleNamespace(criteria=[SimpleNamespace(id=i, status=s, required=r) for i, s, r in criteria])


def test_a_renamed_criterion_carries_its_old_id_only_when_the_base_judged_it():
    ident = impact.Identity(renamed=(("a.old", "a.new"),))
    head = _verdict(("a.new", "met", True))
    judged = impact._status_changes(_verdict(("a.old", "unmet", True)), head, ident)
    assert judged == [StatusChange("a.new", "unmet", "met", True, True, old_id="a.old")]
    not_judged = impact._status_changes(_verdict(), head, ident)
    assert not_judged == [StatusChange("a.new", None, "met", None, True, old_id="")]
    # a criterion only the base has is compared with nothing, under its own id
    gone = impact._status_changes(_verdict(("b.x", "met", False)), _verdict(), ident)
    assert gone == [StatusChange("b.x", "met", None, False, None, old_id="")]


def test_the_sides_given_are_the_sides_reported_and_levels_only_the_base_has_come_last(head):
    from engine.audit.result import Side

    kestrel = load_rules(ROOT / "examples" / "kestrel" / "rules")
    res = audit_mod.assess(kestrel, head, iter_inputs([]), base_side=Side("main", "a" * 40, kestrel.version),
                           head_side=Side(None, None, head.version))
    assert (res.base.rev, res.base.commit, res.head.rev) == ("main", "a" * 40, None)
    only_base = [lv for lv in kestrel.ordered_levels() if lv not in head.levels]
    assert only_base and res.level_order == head.ordered_levels() + only_base
    plain = audit_mod.assess(kestrel, head, iter_inputs([]))
    assert (plain.base.rev, plain.base.version, plain.head.version) == (None, kestrel.version, head.version)
