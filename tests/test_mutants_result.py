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
    r2 = result(RuleDiff(criteria=[CriterionChange("a.x", "a", "changed", fields=fields[:2])]))
    assert cause_label(r2, ("criterion:a.x", "other")) == ("criterion a.x: f0: 0 -> 1; f1: 1 -> 2 + no rule change "
                                                           "the audit can name")
