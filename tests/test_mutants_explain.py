"""How an explanation describes a condition (engine.core.explain.describe), at the words the
mutation run found unpinned: a mean with `gt` or `gte`, and "each" before what a record builds on."""
from __future__ import annotations

import pytest

from engine.core.explain import describe

LINK = {"evidence": "decision"}


@pytest.mark.parametrize("mean, words", [
    ({"field": "rating", "gte": 4, "min_records": 3}, "with mean rating ≥ 4"),
    ({"field": "rating", "gt": 4, "min_records": 3}, "with mean rating > 4"),
])
def test_a_mean_says_its_comparison_and_its_number(mean, words):
    got = describe({"evidence": "stakeholder_feedback", "mean": mean})
    assert got.startswith("at least 3 stakeholder feedback record(s) " + words), got


@pytest.mark.parametrize("extra, each", [
    ({}, False), ({"min_count": 1}, False), ({"min_count": 2}, True), ({"min_people": 2}, True),
    ({"distinct": {"field": "from.relationship", "min": 2}}, True),
    ({"mean": {"field": "rating", "gte": 4, "min_records": 2}}, True),
])
def test_each_is_said_only_when_several_records_build_on_the_link(extra, each):
    got = describe({"evidence": "stakeholder_feedback", "linked_to": LINK, **extra})
    assert (", each building on " in got) is each and ", building on " in got.replace("each ", ""), got


F1 = {"eid": "d1", "type": "decision", "role": "led", "scope": "team"}
F2 = {"eid": "d2", "type": "decision", "role": "contributed", "scope": "org"}


def test_a_records_failures_name_each_predicate_it_fails_in_words():
    from engine.core.explain import failures

    cond = {"evidence": "decision", "where": {"role": "led", "scope": {"in": ["org", "company"]}}}
    assert failures(F1, cond) == ["scope is team; needs org or company"]
    assert failures(F2, cond) == ["role is contributed; needs led"]
    assert failures({**F1, "scope": "org"}, cond) == []


def test_a_clause_matches_the_records_of_its_type_that_fail_nothing():
    from engine.core.explain import clause_matches

    grouped = {"decision": [F1, F2], "artifact": [{"eid": "a1", "type": "artifact", "role": "led"}]}
    assert clause_matches(grouped, {"evidence": "decision", "where": {"role": "led"}}) == {"d1"}
    assert clause_matches(grouped, {"evidence": "discovery"}) == set()


def test_the_links_to_a_match_are_those_the_about_names_in_its_order():
    from engine.core.explain import links_to_match

    about = {"r1": ["x", "y", "z"]}
    assert links_to_match({"eid": "r1"}, about, {"z", "x"}) == ["x", "z"]
    assert links_to_match({"eid": "r2"}, about, {"x"}) == []
