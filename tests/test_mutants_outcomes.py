"""Killed mutants of engine/book/outcomes.py (tools/mutate.py): a pack's two-word direction phrases
("win rate", "active users") count only as the whole phrase, in order, wherever it stands in the
metric's name."""
from __future__ import annotations

import pytest


def _policy():
    from engine.book.integrity import DEFAULT_WORDS, IntegrityPolicy, _phrases

    return IntegrityPolicy(words=_phrases(DEFAULT_WORDS))


@pytest.mark.parametrize("name, says", [
    ("win rate", True),                # the whole name is the phrase
    ("enterprise win rate", True),     # the phrase ends the name
    ("weekly active users", True),
    ("active incidents", False),       # the phrase's first word alone is not the phrase
    ("users made active", False),      # its words apart and out of order are not the phrase
    ("rate of wins", False),
])
def test_a_two_word_direction_phrase_counts_only_whole_and_in_order(name, says):
    from engine.book.integrity import says_higher_is_better

    assert says_higher_is_better(_policy(), name) is says


def test_a_phrase_longer_than_the_name_or_empty_is_not_found():
    from engine.book.outcomes import has_phrase

    assert has_phrase(("win", "rate"), ("win", "rate"))
    assert not has_phrase(("rate",), ("win", "rate"))
    assert not has_phrase(("win", "rate"), ())


def test_the_same_launch_titled_in_other_case_and_spacing_is_one_shared_outcome():
    from engine.book.outcomes import SharedOutcomes, fingerprints

    once = frozenset({"shipped_outcome"})
    shared = SharedOutcomes()
    shared.add("ada", fingerprints([{"id": "e1", "type": "shipped_outcome", "title": "Checkout Redesign"}], once))
    shared.add("bo", fingerprints([{"id": "e7", "type": "shipped_outcome", "title": "checkout   redesign."}], once))
    flags = shared.flags()
    assert [f["also_claimed_by"] for f in flags.get("ada")] == [["bo"]]
    assert [f["evidence"] for f in flags.get("bo")] == ["e7"]


def test_a_record_without_a_title_has_no_fingerprint():
    from engine.book.outcomes import fingerprints

    got = fingerprints([{"id": "e1", "type": "shipped_outcome"}, {"id": "e2", "type": "shipped_outcome", "title": "X"}],
                       frozenset({"shipped_outcome"}))
    assert [eid for eid, _ in got] == ["e2"]


def _from_zero(result_a, result_b) -> list[dict]:
    a = {"id": "a", "type": "shipped_outcome", "date": "2026-03-01", "title": "Referral program",
         "metrics": [{"kind": "business", "baseline": 0, "result": result_a}]}
    b = {"id": "b", "type": "shipped_outcome", "date": "2026-03-03", "title": "Partner launch",
         "metrics": [{"kind": "business", "baseline": 0, "result": result_b}]}
    return [a, b]


def test_two_launches_that_each_moved_a_metric_from_zero_are_two_outcomes():
    """0 -> 500 and 0 -> 73 within days are other figures, not one launch restated."""
    from engine.book.integrity import repeat_groups

    assert repeat_groups(_from_zero(500, 73), policy=_policy()) == {}


def test_a_metric_from_zero_restated_in_other_units_is_one_outcome():
    from engine.book.integrity import repeat_groups

    assert repeat_groups(_from_zero(2.1, 210), policy=_policy()) == {"a": "a", "b": "a"}


def _claims(pairs):
    from engine.book.outcomes import SharedOutcomes, fingerprints

    once = frozenset({"shipped_outcome"})
    shared, fp = SharedOutcomes(), {}
    for cid, title in pairs:
        got = fingerprints([{"id": f"{cid}-1", "type": "shipped_outcome", "title": title}], once)
        fp[title] = got[0][1]
        shared.add(cid, got)
    return shared, fp


def test_the_batch_summary_names_each_shared_outcome_and_its_candidates_in_sorted_order():
    shared, fp = _claims([("zoe", "Checkout redesign"), ("ada", "Checkout redesign"), ("mo", "Search revamp"),
                          ("bo", "Search revamp"), ("cy", "Solo launch")])
    lines = shared.text(limit=10)
    assert lines[0].startswith("2 outcome(s) claimed by more than one candidate")
    want = sorted([(fp["Checkout redesign"], "ada, zoe"), (fp["Search revamp"], "bo, mo")])
    assert lines[1:] == [f"  outcome {f}: {names}" for f, names in want]
    # the same claims in another order: the same lines
    again, _ = _claims([("bo", "Search revamp"), ("mo", "Search revamp"), ("ada", "Checkout redesign"),
                        ("cy", "Solo launch"), ("zoe", "Checkout redesign")])
    assert again.text(limit=10) == lines


def test_the_batch_summary_counts_what_it_does_not_name():
    from engine.book.outcomes import MAX_NAMED

    many = [(f"pm{k:02d}", "Checkout redesign") for k in range(MAX_NAMED + 2)]
    shared, fp = _claims(many + [("x1", "Search revamp"), ("x2", "Search revamp")])
    line = next(x for x in shared.text(limit=5) if fp["Checkout redesign"] in x)
    assert line.endswith(" and 2 more") and line.count(", ") == MAX_NAMED - 1
    lines = shared.text(limit=1)
    assert len(lines) == 3 and lines[2] == "  ... and 1 more outcome(s)"


def test_a_line_names_at_most_max_named_other_claimants_sorted_and_counts_the_rest():
    from engine.book.outcomes import MAX_NAMED

    names = [f"pm{k:02d}" for k in range(MAX_NAMED + 3)]  # 13 claimants: each line has 12 others
    shared, fp = _claims([(c, "Checkout redesign") for c in reversed(names)])
    flags = shared.flags()
    first = flags.get("pm00")
    assert first == [{"evidence": "pm00-1", "outcome": fp["Checkout redesign"],
                      "also_claimed_by": names[1:MAX_NAMED + 1], "and_more": 2}]
    last = flags.get(names[-1])[0]
    assert last["also_claimed_by"] == names[:MAX_NAMED] and last["and_more"] == 2
    few, fp2 = _claims([("bo", "Search revamp"), ("ada", "Search revamp")])
    assert few.flags().get("bo") == [{"evidence": "bo-1", "outcome": fp2["Search revamp"], "also_claimed_by": ["ada"]}]


def test_a_line_names_ten_other_claimants_and_counts_only_beyond_them():
    from engine.book.outcomes import MAX_NAMED

    assert MAX_NAMED == 10  # the documented number of other claimants named on a line
    eleven = [f"pm{k:02d}" for k in range(11)]  # each line has exactly ten others: all named, none counted
    shared, fp = _claims([(c, "Checkout redesign") for c in eleven])
    flag = shared.flags().get("pm00")[0]
    assert flag["also_claimed_by"] == eleven[1:] and "and_more" not in flag
    ten = eleven[:10]
    shared, fp = _claims([(c, "Checkout redesign") for c in ten])
    assert shared.text(limit=5)[1] == f"  outcome {fp['Checkout redesign']}: " + ", ".join(ten)


def test_the_summary_says_more_outcomes_only_when_there_are_more():
    shared, _ = _claims([("a", "One"), ("b", "One"), ("c", "Two"), ("d", "Two")])
    assert len(shared.text(limit=2)) == 3
    assert shared.text(limit=1)[-1] == "  ... and 1 more outcome(s)"


def test_a_candidates_flags_are_in_evidence_order():
    from engine.book.outcomes import SharedOutcomes, fingerprints

    once = frozenset({"shipped_outcome"})
    shared = SharedOutcomes()
    shared.add("bo", fingerprints([{"id": "b1", "type": "shipped_outcome", "title": "Zeta"},
                                   {"id": "b2", "type": "shipped_outcome", "title": "Alpha"}], once))
    shared.add("ada", fingerprints([{"id": "e9", "type": "shipped_outcome", "title": "Zeta"},
                                    {"id": "e2", "type": "shipped_outcome", "title": "Alpha"}], once))
    assert [f["evidence"] for f in shared.flags().get("ada")] == ["e2", "e9"]


def test_one_claimant_beyond_the_ten_named_is_counted():
    twelve = [f"pm{k:02d}" for k in range(12)]  # each line: eleven others, ten named, one counted
    shared, _ = _claims([(c, "Checkout redesign") for c in twelve])
    flag = shared.flags().get("pm00")[0]
    assert flag["also_claimed_by"] == twelve[1:11] and flag["and_more"] == 1
