"""What an audit result says (engine.audit.result), on results built by hand: a level only one
version judged, the summary's optional parts, the rank that orders a flip's causes (required
criterion, level policy, supporting criterion, ladder) and what each kind of cause is called."""
from __future__ import annotations

import pytest

from engine.audit.diff import CriterionChange, FieldChange, RuleDiff
from engine.audit.result import (
    AuditResult,
    LevelChange,
    PacketChange,
    Side,
    StatusChange,
    cause_label,
    cause_parts,
    flip_causes,
)

FIG = {"verdict": "ready", "required_met": 2, "required_total": 2, "supporting_met": 3, "supporting_total": 5,
       "supporting_needed": 2, "recent_records": 4, "recent_needed": 1, "recent_window_days": 365}


def result(diff: RuleDiff | None = None, **kw) -> AuditResult:
    return AuditResult(Side(None, None, "b"), Side(None, None, "h"), diff or RuleDiff(), **kw)


@pytest.mark.parametrize("base, head, text", [
    (None, FIG, "senior-pm: (absent) -> ready (required 2/2, supporting 3/5 (needs 2))"),
    (FIG, None, "senior-pm: ready (required 2/2, supporting 3/5 (needs 2)) -> (absent)"),
    ({**FIG, "aspects": [{"aspect": "craft", "needed": 1, "met": 0}]}, None,
     "senior-pm: ready (required 2/2, supporting 3/5 (needs 2), 0 of 1 in aspect craft) -> (absent)"),
])
def test_a_level_only_one_version_judged_shows_its_figures_and_absent(base, head, text):
    assert LevelChange("senior-pm", base, head).text() == text


def pc(base="ready", head="not_ready", criteria=(), levels=(), base_target=None) -> PacketChange:
    return PacketChange("p.yaml", "emp-1", "ic", "mid-pm", "senior-pm", base, head, list(criteria),
                        base_target_level=base_target, levels=list(levels))


def test_the_summary_names_validity_changes_and_a_new_packs_packets_only_when_there_are_any():
    plain = result(packets=3)
    assert plain.summary() == ("3 packet(s), 0 verdict flip(s), 0 criterion status change(s) without a flip "
                               "(in 0 packet(s)), 0 invalid")
    r = result(packets=3, validity=[pc("ready", None)], new_pack=True, new=[pc(None, "ready"), pc(None, "ready")])
    assert r.summary() == ("3 packet(s), 0 verdict flip(s), 0 criterion status change(s) without a flip "
                           "(in 0 packet(s)), 1 valid under one version only, 2 judged under the head only "
                           "(new pack), 0 invalid")


def diff_with_every_cause() -> RuleDiff:
    """In rule-diff order the supporting criterion comes before the required one, and the ladder and
    the level before both: the ranks alone must put the required criterion first."""
    return RuleDiff(
        ladder=[FieldChange("default_track", "ic", "mgmt")],
        levels={"senior-pm": [FieldChange("policy.min_supporting", 2, 3)]},
        criteria=[CriterionChange("senior-pm.sup", "senior-pm", "changed", fields=(FieldChange("x", 1, 2),)),
                  CriterionChange("senior-pm.req", "senior-pm", "changed", fields=(FieldChange("y", 1, 2),))],
    )


def test_a_flips_causes_rank_required_criterion_then_policy_then_supporting_then_ladder():
    r = result(diff_with_every_cause())
    p = pc(criteria=[StatusChange("senior-pm.sup", "met", "unmet", False, False),
                     StatusChange("senior-pm.req", "met", "unmet", True, True)],
           levels=[LevelChange("senior-pm", FIG, {**FIG, "verdict": "not_ready"})], base_target="mid-pm")
    assert flip_causes(r, p) == ("criterion:senior-pm.req", "level:senior-pm", "criterion:senior-pm.sup", "ladder")


def test_a_criterion_required_on_either_side_ranks_as_required():
    r = result(diff_with_every_cause())
    for base_req, head_req in ((True, False), (False, True)):
        p = pc(criteria=[StatusChange("senior-pm.sup", "met", "unmet", base_req, head_req)],
               levels=[LevelChange("senior-pm", FIG, {**FIG, "verdict": "not_ready"})])
        assert flip_causes(r, p) == ("criterion:senior-pm.sup", "level:senior-pm")


def test_a_flip_nothing_explains_is_the_schema_the_ladder_or_other():
    p = pc()
    assert flip_causes(result(schema_diff=[{"path": "x"}]), p) == ("schema",)
    assert flip_causes(result(RuleDiff(ladder=[FieldChange("t", 1, 2)])), p) == ("ladder",)
    assert flip_causes(result(), p) == ("other",)


@pytest.mark.parametrize("diff, key, parts", [
    (RuleDiff(), "criterion:gone.x", ("criterion", "gone.x", [])),
    (RuleDiff(criteria=[CriterionChange("a.new", "a", "renamed", old_id="a.old")]), "criterion:a.new",
     ("criterion", "a.new", ["renamed from a.old"])),
    (RuleDiff(criteria=[CriterionChange("a.x", "a", "added", required=True)]), "criterion:a.x",
     ("criterion", "a.x", ["added (required)"])),
    (RuleDiff(criteria=[CriterionChange("a.x", "a", "removed", required=False)]), "criterion:a.x",
     ("criterion", "a.x", ["removed (supporting)"])),
    (RuleDiff(levels_added=["vp"]), "level:vp", ("level", "vp", ["added"])),
    (RuleDiff(levels_removed=["vp"]), "level:vp", ("level", "vp", ["removed"])),
    (RuleDiff(levels={"vp": [FieldChange("policy.min_supporting", 1, 2)]}), "level:vp",
     ("level", "vp", ["policy.min_supporting: 1 -> 2"])),
    (RuleDiff(ladder=[FieldChange("default_track", "ic", "mgmt")]), "ladder",
     ("ladder", "", ["default_track: ic -> mgmt"])),
    (RuleDiff(levels_added=["vp"]), "ladder", ("ladder", "", ["levels added or removed"])),
    (RuleDiff(), "schema", ("packet schema", "", [])),
    (RuleDiff(), "other", ("no rule change the audit can name", "", [])),
])
def test_what_each_cause_is_called(diff, key, parts):
    assert cause_parts(result(diff), key) == parts


def test_a_cause_label_shows_at_most_two_fields_and_counts_the_rest():
    fields = tuple(FieldChange(f"f{i}", i, i + 1) for i in range(5))
    r = result(RuleDiff(criteria=[CriterionChange("a.x", "a", "changed", fields=fields)]))
    assert cause_label(r, ("criterion:a.x",)) == "criterion a.x: f0: 0 -> 1; f1: 1 -> 2; and 3 more changes"
    r1 = result(RuleDiff(criteria=[CriterionChange("a.x", "a", "changed", fields=fields[:3])]))
    assert cause_label(r1, ("criterion:a.x",), arrow="→") == "criterion a.x: f0: 0 → 1; f1: 1 → 2; and 1 more change"
    r4 = result(RuleDiff(criteria=[CriterionChange("a.x", "a", "changed", fields=fields[:4])]))
    assert cause_label(r4, ("criterion:a.x",)).endswith("; and 2 more changes")
    r2 = result(RuleDiff(criteria=[CriterionChange("a.x", "a", "changed", fields=fields[:2])]))
    assert cause_label(r2, ("criterion:a.x", "other")) == ("criterion a.x: f0: 0 -> 1; f1: 1 -> 2 + no rule change "
                                                           "the audit can name")


# -- the rest of the first run's survivors -----------------------------------------------------------------
def test_a_status_change_says_a_change_of_kind_too():
    c = StatusChange("a.x", "met", "met", True, False, old_id="a.w")
    assert c.text() == "a.x (was a.w): met, required -> supporting"
    assert c.as_dict() == {"id": "a.x", "base": "met", "head": "met", "renamed_from": "a.w",
                           "required": {"base": True, "head": False}}


def test_an_aspect_threshold_only_one_side_has_is_named_absent():
    b = {**FIG, "aspects": [{"aspect": "craft", "needed": 1, "met": 0}]}
    h = {**FIG, "aspects": [{"aspect": "scope", "needed": 2, "met": 2}]}
    assert LevelChange("senior-pm", b, h).text() == (
        "senior-pm: needed (absent) -> 2 in aspect scope; met (absent) -> 2 in aspect scope; "
        "needed 1 -> (absent) in aspect craft; met 0 -> (absent) in aspect craft")


@pytest.mark.parametrize("key, old, new, shown", [
    ("required_met", 2, 1, "required 2/2 -> 1/2"), ("required_total", 2, 3, "required 2/2 -> 2/3"),
    ("supporting_needed", 2, 4, "supporting 3/5 (needs 2) -> 3/5 (needs 4)"),
    ("supporting_met", 3, 4, "supporting 3/5 (needs 2) -> 4/5 (needs 2)"),
    ("supporting_total", 5, 6, "supporting 3/5 (needs 2) -> 3/6 (needs 2)"),
    ("recent_records", 4, 0, "recent 4 records (needs 1 within 365 days) -> 0 records (needs 1 within 365 days)"),
    ("recent_needed", 1, 2, "recent 4 records (needs 1 within 365 days) -> 4 records (needs 2 within 365 days)"),
    ("recent_window_days", 365, 180, "recent 4 records (needs 1 within 365 days) -> 4 records (needs 1 within 180 days)"),
])
def test_each_figure_that_changed_is_shown(key, old, new, shown):
    assert LevelChange("l", {**FIG, key: old}, {**FIG, key: new}).text() == f"l: {shown}"


def test_levels_only_the_base_judged_follow_the_heads():
    from types import SimpleNamespace as N

    from engine.audit.result import _FIGURES, _level_changes

    def lr(i, verdict):
        return N(id=i, aspects=[], **{k: (verdict if k == "verdict" else 1) for k in _FIGURES})

    a = N(levels=[lr("x", "ready"), lr("gone", "ready")])
    b = N(levels=[lr("x", "not_ready")])
    assert [c.id for c in _level_changes(a, b)] == ["x", "gone"]


def test_an_invalid_packet_counts_its_other_problems():
    from engine.audit.result import InvalidPacket
    from engine.base.errors import Problem

    p = Problem("f.yaml", "", "bad")
    assert InvalidPacket("f.yaml", None, p, 1).text() == str(p)
    assert InvalidPacket("f.yaml", None, p, 2).text() == f"{p} (and 1 more)"
    assert InvalidPacket("f.yaml", None, p, 3).text() == f"{p} (and 2 more)"


def test_a_side_is_labelled_by_revision_and_commit_or_as_the_working_tree():
    from engine.audit.result import WORKING_TREE

    assert Side("main", "0123456789abcdef", "v").label() == "main (0123456789ab)"
    assert Side(None, "0123456789abcdef", "v").label() == WORKING_TREE
    assert Side("main", None, "v").label() == WORKING_TREE


def test_a_packet_judged_for_another_target_says_so_and_an_invalid_one_has_no_levels():
    d = pc(base_target="mid-pm").as_dict()
    assert d["base_target_level"] == "mid-pm" and "levels" in d
    assert "base_target_level" not in pc().as_dict()


def test_outcome_rows_cover_added_and_removed_criteria_and_whole_levels():
    from collections import Counter

    diff = RuleDiff(criteria=[CriterionChange("a.x", "a", "added", required=True),
                              CriterionChange("a.y", "a", "removed", required=False),
                              CriterionChange("a.z", "a", "changed")],
                    level_contents={"vp": {"change": "added", "criteria": ["vp.1"]}})
    r = result(diff, outcomes={"a.x": Counter(met=2, unmet=1)})
    assert r.outcome_rows() == [
        {"id": "a.x", "level": "a", "change": "added", "met": 2, "unmet": 1},
        {"id": "a.y", "level": "a", "change": "removed", "met": 0, "unmet": 0},
        {"id": "vp.1", "level": "vp", "change": "added", "met": 0, "unmet": 0}]


def test_status_changes_by_criterion_most_first_then_by_id():
    changes = [[StatusChange("c", "met", "unmet")], [StatusChange("b", "met", "unmet")], [StatusChange("b", "met", "unmet"), StatusChange("a", "met", "unmet")],
               [StatusChange("c", "met", "unmet"), StatusChange("c", "met", "met", True, False)]]
    r = result(status_only=[pc("not_ready", "not_ready", criteria=cs) for cs in changes])
    assert r.status_by_criterion() == [("b", 2), ("c", 2), ("a", 1)]


def test_causes_of_equal_rank_follow_the_rule_diffs_order_not_the_alphabet():
    diff = RuleDiff(criteria=[CriterionChange("z.req", "z", "changed"), CriterionChange("a.req", "a", "changed")])
    p = pc(criteria=[StatusChange("a.req", "met", "unmet", True, True), StatusChange("z.req", "met", "unmet", True, True)])
    assert flip_causes(result(diff), p) == ("criterion:z.req", "criterion:a.req")


def test_a_criterion_of_a_level_added_or_removed_traces_to_that_level():
    diff = RuleDiff(levels_added=["vp"], criteria=[CriterionChange("s.req", "s", "changed")],
                    level_contents={"vp": {"change": "added", "criteria": ["vp.1"]}})
    p = pc(criteria=[StatusChange("s.req", "met", "unmet", False, False), StatusChange("vp.1", None, "unmet", None, True)])
    assert flip_causes(result(diff), p) == ("level:vp", "criterion:s.req")


@pytest.mark.parametrize("base, head, pushing", [
    ("ready", "not_ready", ["now-unmet", "gone-met", "new-unmet", "now-supporting"]),  # unmet now, or a met one gone
    ("not_ready", "ready", ["now-met", "gone-unmet", "new-met", "now-supporting", "now-required"]),
])
def test_a_flip_traces_only_to_the_criteria_that_push_its_way(base, head, pushing):
    from engine.audit.result import _towards

    every = [StatusChange("now-unmet", "met", "unmet"), StatusChange("gone-met", "met", None),
             StatusChange("now-met", "unmet", "met"), StatusChange("gone-unmet", "unmet", None),
             StatusChange("new-unmet", None, "unmet"), StatusChange("new-met", None, "met"),
             StatusChange("now-supporting", "unmet", "unmet", True, False),
             StatusChange("now-required", "met", "met", False, True)]
    got = [c.id for c in _towards(pc(base, head, criteria=every))]
    assert sorted(got) == sorted(pushing)
