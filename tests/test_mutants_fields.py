"""What the rules' field checks say, exactly, and the scale rewriting at its edges (engine.book.fields).

Each test here pins a message or a boundary the mutation run found unguarded: a check that falls
through to a second, misleading error; a policy number (the longest look-back, min_periods equal to
periods) tested one step either side; the scale rewrite keeping an `in` beside order comparisons, the
other operators of a predicate, and the identity of a condition it does not change."""
from __future__ import annotations

import pytest

from engine.book.fields import (
    MAX_REGULAR_SPAN,
    Field,
    FieldChecker,
    _check_regularly,
    brief_value,
    person_key,
    scale_members,
    scales_as_lists,
)

LEVELS = {"associate-pm", "mid-pm", "senior-pm", "group-pm-director", "vp-cpo", "principal-pm"}
SCALE = ("aware", "adept", "skilled", "expert")
LVL = Field("string", SCALE, scale="proficiency")


def problems(cond: dict) -> list[tuple[str, str, str]]:
    return list(FieldChecker(LEVELS).check_condition(cond, "/c"))


# -- one located problem per mistake, never a second one that misleads -------------------------------
@pytest.mark.parametrize("cond, expected", [
    ({"evidence": "decision", "where": {"about": "d1"}},
     [("/c/where/about", "about names the records a record builds on; a rule follows it with linked_to "
       "(a clause the named records must match), not with where", "rules")]),
    ({"evidence": "decision", "where": {"years_in_role": {"gte": 2}}},
     [("/c/where/years_in_role", "'years_in_role' gates on tenure or time in level; the ladder measures "
       "impact, not the clock", "tenure")]),
    ({"evidence": "shipped_outcome", "any_item": {"field": "metricz", "where": {"kind": "user"}}},
     [("/c/any_item/field", "shipped_outcome has no list of records called 'metricz' (it has: metrics)", "rules")]),
    ({"evidence": "decision", "any_item": {"field": "metrics", "where": {"kind": "user"}}},
     [("/c/any_item/field", "decision has no list of records called 'metrics'", "rules")]),
    ({"evidence": "stakeholder_feedback", "mean": {"field": "ratin", "gte": 4}},
     [("/c/mean/field", "stakeholder_feedback has no field 'ratin'; did you mean 'rating'?", "rules")]),
    ({"evidence": "stakeholder_feedback", "mean": {"field": "from.relationship", "gte": 4}},
     [("/c/mean/field", "mean needs a numeric field; stakeholder_feedback.from.relationship is string", "rules")]),
    ({"evidence": "decision", "distinct": {"field": "communicated_to", "min": 2}},
     [("/c/distinct/field", "distinct needs a single-valued field; decision.communicated_to is list", "rules")]),
    ({"evidence": "decision", "distinct": {"field": "tenure_months", "min": 2}},
     [("/c/distinct/field", "decision has no field 'tenure_months'", "rules"),
      ("/c/distinct", "gates on tenure", "tenure")]),
    ({"evidence": "decision", "where": {"themes": {"gt": 1}}},
     [("/c/where/themes", "decision.themes is a list; use contains/contains_any (or any_item for records)",
       "rules")]),
    ({"evidence": "decision", "where": {"themes": "growth"}},
     [("/c/where/themes", "decision.themes is a list; use contains/contains_any (or any_item for records)",
       "rules")]),
    ({"evidence": "mentoring", "where": {"mentee.level": 5}},
     [("/c/where/mentee.level", "mentoring.mentee.level is text, not 5", "rules")]),
    ({"evidence": "mentoring", "where": {"mentee.level": "senior-pn"}},
     [("/c/where/mentee.level", "unknown level 'senior-pn'; did you mean 'senior-pm'?; use canonical level ids",
       "rules")]),
    ({"evidence": "stakeholder_feedback", "where": {"rating": {"gte": True}}},
     [("/c/where/rating", "gte compares numbers; stakeholder_feedback.rating is a number, not True", "rules")]),
    ({"evidence": "decision", "min_people": 2},
     [("/c/min_people", "min_people counts the people a record names; decision names none (it applies to: "
       "mentoring, stakeholder_feedback; a pack's own type names its person with person: in vocabulary.yaml)",
       "rules")]),
])
def test_each_mistake_is_one_exact_problem(cond, expected):
    assert problems(cond) == expected


def test_min_people_lists_the_types_that_name_a_person_in_name_order():
    checker = FieldChecker(LEVELS)
    checker.people = {"stakeholder_feedback": "from.id", "mentoring": "mentee.id"}  # not in name order
    (got,) = checker.check_condition({"evidence": "decision", "min_people": 2}, "/c")
    assert "(it applies to: mentoring, stakeholder_feedback;" in got[1]


def test_an_empty_band_on_a_scale_lists_the_scale_lowest_first():
    checker = FieldChecker(LEVELS)
    checker.types = {**checker.types, "assessment": {"level": LVL}}
    got = list(checker.check_condition({"evidence": "assessment", "where": {"level": {"gte": "skilled", "lt": "adept"}}},
                                       "/c"))
    assert got == [("/c/where/level", "assessment.level: no member of the scale proficiency satisfies all of "
                    "gte skilled, lt adept (lowest first: aware, adept, skilled, expert)", "rules")]


# -- policy numbers at their boundary ------------------------------------------------------------------
@pytest.mark.parametrize("periods, min_periods, ok", [(4, 4, True), (4, 5, False), (4, 3, True)])
def test_min_periods_may_equal_periods_but_not_exceed_them(periods, min_periods, ok):
    got = list(_check_regularly({"periods": periods, "of_days": 30, "min_periods": min_periods}, "/r"))
    assert (got == []) is ok, got


@pytest.mark.parametrize("periods, of_days, ok", [(10, 366, True), (1, MAX_REGULAR_SPAN, True),
                                                  (1, MAX_REGULAR_SPAN + 1, False), (3661, 1, False)])
def test_the_longest_look_back_is_allowed_and_one_day_more_is_not(periods, of_days, ok):
    got = list(_check_regularly({"periods": periods, "of_days": of_days, "min_periods": 1}, "/r"))
    assert (got == []) is ok, got
    if not ok:
        assert got == [("/r", f"{periods} periods of {of_days} days look back {periods * of_days} days; at most 3660",
                        "rules")]


def test_max_regular_span_is_ten_years_of_days():
    assert MAX_REGULAR_SPAN == 3660


@pytest.mark.parametrize("n, cut", [(58, False), (59, True)])
def test_a_value_shown_in_a_message_is_cut_after_sixty_characters(n, cut):
    v = "x" * n  # repr adds two quotes: 60 characters shown whole, 61 cut to 57 and an ellipsis
    assert brief_value(v) == (repr(v)[:57] + "..." if cut else repr(v))
    assert len(brief_value(v)) == 60


@pytest.mark.parametrize("op", ["gte", "gt", "lte", "lt"])
@pytest.mark.parametrize("val", SCALE)
def test_scale_members_against_the_order_itself(op, val):
    cmp = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}
    want = [m for m in SCALE if cmp[op](SCALE.index(m), SCALE.index(val))]
    assert scale_members(SCALE, op, val) == want


# -- the scale rewrite ------------------------------------------------------------------------------------
TYPES = {"assessment": {"level": LVL, "note": Field("string")},
         "review": {"items": Field("object-list", children=(("level", LVL),))}}


def test_an_in_beside_order_comparisons_narrows_the_members_and_other_operators_stay():
    cond = {"evidence": "assessment", "where": {"level": {"gte": "adept", "in": ["aware", "adept", "expert"],
                                                          "ne": "expert"}}}
    got = scales_as_lists(cond, TYPES)
    assert got["where"]["level"] == {"ne": "expert", "in": ["adept", "expert"]}
    assert cond["where"]["level"]["gte"] == "adept"  # the input is not changed in place


@pytest.mark.parametrize("pred, want", [
    ({"ne": "expert", "gte": "skilled"}, {"ne": "expert", "in": ["skilled", "expert"]}),
    ({"gte": "adept", "not_in": ["expert"]}, {"not_in": ["expert"], "in": ["adept", "skilled", "expert"]}),
])
def test_only_in_narrows_the_members_whatever_the_order_of_the_operators(pred, want):
    got = scales_as_lists({"evidence": "assessment", "where": {"level": pred}}, TYPES)
    assert got["where"]["level"] == want


def test_a_nested_condition_is_rewritten_inside_all_of():
    inner = {"evidence": "assessment", "where": {"level": {"gt": "skilled"}}}
    cond = {"all_of": [inner, {"evidence": "assessment", "where": {"note": "x"}}]}
    got = scales_as_lists(cond, TYPES)
    assert got == {"all_of": [{"evidence": "assessment", "where": {"level": {"in": ["expert"]}}},
                              {"evidence": "assessment", "where": {"note": "x"}}]}


def test_a_single_any_item_clause_stays_a_mapping():
    cond = {"evidence": "review", "any_item": {"field": "items", "where": {"level": {"lte": "adept"}}}}
    got = scales_as_lists(cond, TYPES)
    assert got["any_item"] == {"field": "items", "where": {"level": {"in": ["aware", "adept"]}}}
    listed = scales_as_lists({**cond, "any_item": [cond["any_item"]]}, TYPES)
    assert listed["any_item"] == [got["any_item"]]


def test_a_condition_without_a_scale_comparison_is_returned_as_it_is():
    cond = {"evidence": "assessment", "where": {"note": "x"},
            "linked_to": {"evidence": "assessment", "where": {"level": "expert"}}}
    assert scales_as_lists(cond, TYPES) is cond
    nested = {"any_of": [cond]}
    assert scales_as_lists(nested, TYPES) is nested


def test_linked_to_is_rewritten_too():
    cond = {"evidence": "assessment", "linked_to": {"evidence": "assessment", "where": {"level": {"gte": "expert"}}}}
    assert scales_as_lists(cond, TYPES)["linked_to"]["where"]["level"] == {"in": ["expert"]}


# -- person ids ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pid, key", [("ÉMP-0988 ", "émp0988"), ("émp_0988.", "émp0988"), ("—·—", None),
                                      ("EMP-0988", "emp0988"), ("--", None), (7, None)])
def test_person_key_folds_case_and_drops_separators_beyond_ascii(pid, key):
    assert person_key(pid) == key
