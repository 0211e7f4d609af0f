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
