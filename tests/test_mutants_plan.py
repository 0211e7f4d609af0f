"""Plans (engine.core.plan) as a person reads them: the records planned for a mean, a level short
of an aspect's or the window's records, a plan that cannot be proved, and the ids and titles a plan
gives; each test pins what a slip there would change. Written against the survivors of a mutation
run (docs/development.md).

The packets are fictional candidates entering the ladder at associate-pm (target as of their
period's end); the rule packs are the bundled rules copied to tmp_path with associate-pm.yaml
edited as data.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import shutil

import pytest
import yaml

from conftest import ROOT
from engine.base.loader import Document
from engine.book.rules import load_rules
from engine.core import plan as P
from engine.core.evaluator import Evaluator
from engine.core.evidence import check_document
from engine.core.verdict import READY

END = "2026-02-28"

# Odalys Brackenridge, external candidate for associate-pm. With the bundled rules she meets
# writes-stories (ev-02), learns-the-product (ev-03), guided-research (ev-01) and
# works-with-makers (ev-04: a cross-functional colleague rating 3); curiosity-noticed (a rating of
# 4 or more with a curiosity theme) is open.
BASE = {
    "schema_version": 1,
    "candidate": {"id": "cand-ext-9001", "name": "Odalys Brackenridge", "current_level": "external",
                  "target_level": "associate-pm"},
    "period": {"start": "2025-03-01", "end": END},
    "evidence": [
        {"id": "ev-01", "type": "discovery", "date": "2025-04-22", "title": "Interviews with ferry passengers",
         "method": "user-interviews", "role": "led", "scope": "product-area", "participants": 9,
         "finding": "validated"},
        {"id": "ev-02", "type": "artifact", "date": "2025-08-04", "title": "PRD for timetable alerts",
         "kind": "prd", "role": "led", "scope": "feature", "audience": "cross-functional"},
        {"id": "ev-03", "type": "learning", "date": "2025-12-02", "title": "How harbour booking systems work",
         "area": "domain", "form": "deep-dive"},
        {"id": "ev-04", "type": "stakeholder_feedback", "date": "2026-01-20",
         "from": {"id": "ref-6101", "relationship": "cross-functional"}, "rating": 3},
        {"id": "ev-05", "type": "stakeholder_feedback", "date": "2026-01-27",
         "from": {"id": "ref-6102", "relationship": "peer"}, "rating": 2},
    ],
}


def _pack(tmp_path, edit, level: str = "associate-pm") -> Evaluator:
    """An evaluator of the bundled rules with LEVEL.yaml edited (as data) by `edit`."""
    d = tmp_path / "pack"
    shutil.copytree(ROOT / "rules", d / "rules")
    shutil.copytree(ROOT / "schemas", d / "schemas")
    f = d / "rules" / f"{level}.yaml"
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    edit(data)
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Evaluator(load_rules(d / "rules"))


def _criterion(data: dict, cid: str) -> dict:
    return next(c for c in data["criteria"] if c["id"] == f"{data['level']}.{cid}")


def _packet(ev: Evaluator, evidence=None, drop=(), **period):
    data = copy.deepcopy(BASE)
    data["evidence"] = [e for e in data["evidence"] if e["id"] not in drop] + list(evidence or [])
    data["period"].update(period)
    return check_document(Document("p.json", data, json.dumps(data), "json"), ev.book)


def _plan(ev: Evaluator, packet, firings: list | None = None):
    """make_plan for the packet's verdict; `firings` collects one entry per engine firing."""
    v = ev.evaluate(packet)
    assert v.verdict != READY
    if firings is not None:
        status = ev.status
        ev.status = lambda p: firings.append(1) or status(p)  # (this evaluator only: a fresh one per test)
    return P.make_plan(ev, packet, v)


def _brief(records) -> list[tuple]:
    """(id, type, title) of each planned record."""
    return [(r["id"], r["type"], r["title"]) for r in records]


# -- a mean lifted to its threshold (plan._leaf_needs) ------------------------------------------
CURIOSITY = "Planned: A manager or peer has seen curiosity and follow-through in action"


def _mean(tmp_path, **mean) -> Evaluator:
    """curiosity-noticed as the mean rating of the feedback (ev-04 rates 3, ev-05 rates 2)."""
    where = mean.pop("where", None)

    def edit(d):
        cond = {"evidence": "stakeholder_feedback", "mean": {"field": "rating", **mean}}
        if where:
            cond["where"] = where
        _criterion(d, "curiosity-noticed")["condition"] = cond

    return _pack(tmp_path, edit)


def test_a_mean_is_lifted_with_top_ratings_until_it_reaches_gte_exactly(tmp_path):
    """(3 + 2 + 5k) / (2 + k) ≥ 4 first holds at k = 3, exactly 4: three records rated 5, each
    from a new person."""
    ev = _mean(tmp_path, gte=4, min_records=2)
    recs, note = _plan(ev, _packet(ev))
    assert note is None
    assert recs == [
        {"id": f"plan-0{i}", "type": "stakeholder_feedback", "date": END,
         "title": CURIOSITY + ("" if i == 1 else f" ({i})"), "rating": 5,
         "from": {"id": f"plan-person-0{i}", "relationship": "manager"}, "planned": True}
        for i in (1, 2, 3)
    ]


def test_a_mean_that_must_exceed_gt_takes_one_more_record_than_reaching_it(tmp_path):
    """gt 4: three records make the mean exactly 4, which is not more than 4; four make 25/6."""
    ev = _mean(tmp_path, gt=4, min_records=2)
    recs, note = _plan(ev, _packet(ev))
    assert note is None and [r["rating"] for r in recs] == [5, 5, 5, 5]


def test_a_mean_already_high_enough_is_topped_up_to_exactly_min_records(tmp_path):
    """The mean 2.5 already passes gte 2; min_records 6 asks for four more records, not five."""
    ev = _mean(tmp_path, gte=2, min_records=6)
    recs, note = _plan(ev, _packet(ev))
    assert note is None and [r["rating"] for r in recs] == [5, 5, 5, 5]


def test_a_mean_is_lifted_with_the_highest_value_its_where_allows(tmp_path):
    """where rating < 5: the planned ratings are 4 (the highest integer below 5), and
    (3 + 2 + 4k) / (2 + k) ≥ 3.5 first holds at k = 4, exactly 3.5."""
    ev = _mean(tmp_path, gte=3.5, min_records=2, where={"rating": {"lt": 5}})
    recs, note = _plan(ev, _packet(ev))
    assert note is None and [r["rating"] for r in recs] == [4, 4, 4, 4]


def test_a_mean_needing_exactly_mean_bound_records_is_planned(tmp_path):
    """MEAN_BOUND (40) is how many records a plan may add to lift a mean: (5 + 5k) / (2 + k)
    reaches 4.88 at k = 40 (4.8809...), not at 39 (4.8780...)."""
    assert P.MEAN_BOUND == 40
    ev = _mean(tmp_path, gte=4.88, min_records=2)
    recs, note = _plan(ev, _packet(ev))
    assert note is None and len(recs) == 40 and {r["rating"] for r in recs} == {5}


def test_a_mean_needing_one_more_than_mean_bound_gets_no_plan_and_says_why(tmp_path):
    """4.881 needs 41 records (4.8837...): no plan, and the note names the mean and the bound."""
    ev = _mean(tmp_path, gte=4.881, min_records=2)
    assert _plan(ev, _packet(ev)) == (
        None,
        "required criterion associate-pm.curiosity-noticed cannot be met by added evidence: "
        "the mean rating cannot reach its threshold within 40 records",
    )


def test_a_mean_whose_where_excludes_a_value_still_plans_records_carrying_the_field(tmp_path):
    """where rating ≠ 1 (an absent rating would satisfy it): each planned record must carry its
    rating all the same, for the mean to count it."""
    ev = _mean(tmp_path, gte=4, min_records=2, where={"rating": {"ne": 1}})
    recs, note = _plan(ev, _packet(ev))
    assert note is None and [r["rating"] for r in recs] == [5, 5, 5]


def test_a_mean_over_a_field_without_a_small_scale_is_lifted_with_its_maximum(tmp_path):
    """A mean over participants (ev-01 has 9) is lifted by one record with the schema's maximum,
    not by its minimum (0), which could never lift it."""
    def edit(d):
        _criterion(d, "curiosity-noticed")["condition"] = {
            "evidence": "discovery", "mean": {"field": "participants", "gte": 20, "min_records": 2}}

    ev = _pack(tmp_path, edit)
    recs, note = _plan(ev, _packet(ev))
    assert note is None and [(r["type"], r["participants"]) for r in recs] == [("discovery", 10_000_000)]


def test_a_mean_already_met_inside_all_of_adds_nothing(tmp_path):
    """all_of [the mean rating ≥ 2 over 2 records (met: 2.5), a technical learning record]: the
    plan is the learning record alone."""
    def edit(d):
        _criterion(d, "curiosity-noticed")["condition"] = {"all_of": [
            {"evidence": "stakeholder_feedback", "mean": {"field": "rating", "gte": 2, "min_records": 2}},
            {"evidence": "learning", "where": {"area": {"in": ["technical"]}}},
        ]}

    ev = _pack(tmp_path, edit)
    recs, note = _plan(ev, _packet(ev))
    assert note is None and [(r["type"], r.get("area")) for r in recs] == [("learning", "technical")]


@pytest.mark.parametrize("extra, fits", [(21, True), (22, False)])
def test_a_plan_of_exactly_max_records_is_given_and_one_more_is_not(tmp_path, extra, fits):
    """MAX_RECORDS (60): 39 feedback records for a mean (min_records 41; the mean itself already
    passes) and `extra` learning records for learns-the-product (min_count extra + 1)."""
    assert P.MAX_RECORDS == 60

    def edit(d):
        _criterion(d, "curiosity-noticed")["condition"] = {
            "evidence": "stakeholder_feedback", "mean": {"field": "rating", "gte": 2, "min_records": 41}}
        _criterion(d, "learns-the-product")["condition"]["min_count"] = extra + 1

    ev = _pack(tmp_path, edit)
    recs, note = _plan(ev, _packet(ev))
    if fits:
        assert note is None
        assert [r["type"] for r in recs] == ["learning"] * 21 + ["stakeholder_feedback"] * 39
    else:
        assert (recs, note) == (None, "more than 60 records would be needed")


# -- a level short of an aspect's supporting criteria (plan._round, _Reading.covers) -----------
CURIOUS = {"id": "ev-06", "type": "stakeholder_feedback", "date": "2026-02-02",
           "from": {"id": "ref-6103", "relationship": "manager"}, "rating": 4, "themes": ["technical-curiosity"]}
SHIPPED = {"id": "ev-07", "type": "shipped_outcome", "date": "2025-11-03", "title": "Live departure boards",
           "role": "contributed", "scope": "feature"}


def _delivery(d, needed=2):
    """Two delivery criteria must be met: supports-delivery and a new one, a PRD written for
    executives (which writes-stories would take too); a documentation criterion asks for user
    stories."""
    d["policy"]["min_supporting_per_aspect"] = {"delivery": needed}
    d["criteria"].append({
        "id": "associate-pm.prd-for-executives", "title": "Has written a PRD executives read",
        "source": "Level 1 · Core responsibilities", "required": False, "aspect": "delivery",
        "condition": {"evidence": "artifact", "where": {"kind": {"in": ["prd"]}, "audience": {"in": ["executive"]}}},
    })
    d["criteria"].append({  # another aspect's: the user stories planned for writes-stories would meet it
        "id": "associate-pm.user-stories", "title": "Has written user stories",
        "source": "Level 1 · Core responsibilities", "required": False, "aspect": "documentation",
        "condition": {"evidence": "artifact", "where": {"kind": {"in": ["user-stories"]}}},
    })


def test_a_level_short_of_an_aspect_gets_one_record_closing_it_and_the_open_required_criterion(tmp_path):
    """writes-stories (required) is open (ev-02 left out) and delivery has 1 of its 2 criteria
    (ev-07). The planner first plans user stories for writes-stories, then the PRD for executives;
    the PRD closes writes-stories too, so the stories are left out: one record, proved by one
    firing (the user stories would meet another aspect's criterion, not delivery's)."""
    ev = _pack(tmp_path, _delivery)
    firings: list = []
    recs, note = _plan(ev, _packet(ev, [CURIOUS, SHIPPED], drop={"ev-02"}), firings)
    assert note is None
    assert recs == [{"id": "plan-01", "type": "artifact", "date": END, "title": "Planned: Has written a PRD executives read",
                     "kind": "prd", "audience": "executive", "planned": True}]
    assert len(firings) == 1


def test_an_aspect_whose_open_criterion_cannot_be_met_gets_no_plan_and_says_why(tmp_path):
    """The PRD for executives asks for a kind that is prd and not prd: delivery's one open
    criterion cannot be met, so no plan, and the note says which criteria fell short."""
    def edit(d):
        _delivery(d)
        _criterion(d, "prd-for-executives")["condition"]["where"]["kind"] = {"in": ["prd"], "ne": "prd"}

    ev = _pack(tmp_path, edit)
    recs, note = _plan(ev, _packet(ev, [CURIOUS, SHIPPED], drop={"ev-02"}))
    assert (recs, note) == (None, "associate-pm's delivery criteria: 1 needed, only 0 can be met by added evidence")


# -- what a planned record holds (plan._Synth) --------------------------------------------------
def _required(tmp_path, cond: dict, level: str = "associate-pm") -> Evaluator:
    """The level with one more required criterion, `cond`."""
    def edit(d):
        d["criteria"].append({"id": f"{level}.extra", "title": "Extra", "source": "Level 1 · Core responsibilities",
                              "required": True, "aspect": "extra", "condition": cond})

    return _pack(tmp_path, edit, level)


def _one(ev, packet=None) -> dict:
    """The plan's one record for the extra criterion (curiosity-noticed met by ev-06)."""
    recs, note = _plan(ev, packet or _packet(ev, [CURIOUS]))
    assert note is None and len(recs) == 1, (recs, note)
    return {k: v for k, v in recs[0].items() if k not in ("id", "date", "title", "planned")}


def test_a_field_that_must_not_be_given_is_left_out(tmp_path):
    ev = _required(tmp_path, {"evidence": "learning", "where": {"area": {"in": ["technical"]}, "form": {"exists": False}}})
    assert _one(ev) == {"type": "learning", "area": "technical"}


@pytest.mark.parametrize("pred, want", [({"gt": 50}, 51), ({"gte": 50}, 50), ({"lt": 5}, 0), ({"gt": 50, "lt": 52}, 51)])
def test_a_number_without_a_small_scale_is_the_least_that_satisfies(tmp_path, pred, want):
    """participants (0 to 10,000,000; ev-01 has 9): the least value satisfying the bounds, strict
    ones by a step."""
    ev = _required(tmp_path, {"evidence": "discovery", "where": {"participants": pred}})
    assert _one(ev)["participants"] == want


def test_a_list_that_must_be_given_holds_its_first_allowed_value(tmp_path):
    ev = _required(tmp_path, {"evidence": "learning", "where": {"themes": {"exists": True}}})
    assert _one(ev) == {"type": "learning", "area": "technical", "themes": ["documentation"]}


def test_a_metric_field_an_absent_value_satisfies_is_left_out_of_the_item(tmp_path):
    """any_item metrics where improved and kind ≠ quality: the planned metric moves up (baseline
    to twice it) and gives no kind, which satisfies ≠ quality already."""
    ev = _required(tmp_path, {"evidence": "shipped_outcome", "any_item": {
        "field": "metrics", "where": {"improved": True, "kind": {"ne": "quality"}}}})
    rec = _one(ev)
    assert rec["metrics"] == [{"baseline": 101, "result": 202, "higher_is_better": True}]


# Linnea Quillfeather, associate PM, ready for mid-pm with the bundled rules (fixture).
LINNEA = ROOT / "fixtures" / "linnea-quillfeather-apm-to-mid-ready.yaml"


def _linnea(ev: Evaluator):
    from engine.base.loader import load_file

    return check_document(load_file(LINNEA), ev.book)


def test_a_list_of_levels_that_must_be_given_names_the_lowest_level_below_the_target(tmp_path):
    ev = _required(tmp_path, {"evidence": "people_leadership", "where": {"levels": {"exists": True}}}, "mid-pm")
    assert _one(ev, _linnea(ev))["levels"] == ["associate-pm"]


def test_records_that_would_raise_an_integrity_warning_are_no_plan_and_the_note_quotes_it(tmp_path):
    """8 reports is far above associate-pm (the ladder's plausibility policy: at most 7)."""
    ev = _required(tmp_path, {"evidence": "people_leadership", "where": {"reports": {"gte": 8}}}, "mid-pm")
    assert _plan(ev, _linnea(ev)) == (None, "the records that would close the gaps raise an integrity warning: "
                                      "8 people reporting is far above associate-pm (policy: at most 7): check the record")


def test_records_that_would_not_make_a_valid_packet_are_no_plan_and_the_note_names_three_problems(tmp_path):
    """A pack that asks for four learning records confirmed by emp-1187, its head of learning,
    say: for emp-1187's own packet (Linnea's) every planned record would be verified by the
    candidate, which no packet may hold. The note quotes the first three of the four problems."""
    ev = _required(tmp_path, {"evidence": "learning", "where": {"verified_by": {"eq": "emp-1187"}},
                              "min_count": 4}, "mid-pm")
    problem = "a record cannot be verified by the candidate; name who confirms it"
    assert _plan(ev, _linnea(ev)) == (
        None, "the records that would close the gaps do not make a valid packet: " + "; ".join([problem] * 3))


# -- the fallback minimiser (plan._minimise): drop each record whose removal still gives ready --
NEEDED = {"id": "plan-02", "type": "stakeholder_feedback", "date": END, "title": "Planned: curiosity seen",
          "from": {"id": "plan-person-01", "relationship": "manager"}, "rating": 5, "themes": ["initiative"]}


def _spare(n: int) -> dict:
    return {"id": f"plan-0{n}", "type": "learning", "date": END, "title": f"Planned: spare {n}", "area": "craft"}


def _minimised(plan: list[dict], ev: Evaluator | None = None):
    """_minimise over a proved plan for Odalys (bundled rules: only curiosity-noticed is open,
    which NEEDED closes); the firings it made."""
    ev = ev or Evaluator(load_rules())
    packet = _packet(ev)
    combined = P._with(packet, plan, ev.book)
    assert ev.status(combined) == READY
    firings: list = []
    status = ev.status
    ev.status = lambda p: firings.append(1) or status(p)
    return P._minimise(ev, packet, combined, copy.deepcopy(plan)), len(firings)


def test_the_fallback_keeps_a_one_record_plan_without_firing():
    """Without its one record the packet is the one found not ready: nothing to fire."""
    assert _minimised([dict(NEEDED, id="plan-01")]) == ([dict(NEEDED, id="plan-01")], 0)


@pytest.mark.parametrize("order", [(1, "n"), ("n", 1), (1, "n", 3), (1, 3, "n"), ("n", 1, 3)])
def test_the_fallback_drops_every_record_not_needed_and_numbers_the_rest_again(order):
    """Whatever the order, only the needed record is left, numbered plan-01 and proved: one
    firing per record tried, and one for the proof."""
    plan = [NEEDED if x == "n" else _spare(x) for x in order]
    assert _minimised(plan) == ([dict(NEEDED, id="plan-01")], len(plan) + 1)


def test_the_fallback_keeps_a_plan_with_nothing_to_drop_as_it_is_without_proving_it_again(tmp_path):
    """Two records both needed (the spare one for a level asking for 7 recent records; Odalys
    has 5): one firing per record tried, none to prove the same plan again."""
    ev = _pack(tmp_path, lambda d: d["policy"]["sufficient_evidence"].update(min_records=7))
    plan = [_spare(1), NEEDED]
    assert _minimised(plan, ev) == ([_spare(1), NEEDED], 2)


# -- merging, ids, and what make_plan always returns ----------------------------------------------
def test_two_feedback_records_from_the_same_kind_of_person_are_merged_into_one(tmp_path):
    """curiosity-noticed and a required collaboration feedback: one record says both (their
    givers differ only in the invented id)."""
    ev = _required(tmp_path, {"evidence": "stakeholder_feedback", "where": {"themes": {"contains": "collaboration"}}})
    recs, note = _plan(ev, _packet(ev))
    assert note is None
    assert [{k: v for k, v in r.items() if k not in ("title", "date")} for r in recs] == [
        {"id": "plan-01", "type": "stakeholder_feedback", "themes": ["technical-curiosity", "collaboration"],
         "rating": 5, "from": {"id": "plan-person-01", "relationship": "manager"}, "planned": True}]


def test_plan_ids_skip_only_the_ids_the_packet_uses(tmp_path):
    """Odalys's ev-05 is called plan-01: the plan's record is plan-02."""
    ev = Evaluator(load_rules())
    data = copy.deepcopy(BASE)
    data["evidence"][4]["id"] = "plan-01"
    packet = check_document(Document("p.json", data, json.dumps(data), "json"), ev.book)
    recs, note = _plan(ev, packet)
    assert note is None and [r["id"] for r in recs] == ["plan-02"]


def test_a_ready_verdict_has_the_empty_plan():
    ev = Evaluator(load_rules())
    packet = _packet(ev, [CURIOUS])
    v = ev.evaluate(packet)
    assert v.verdict == READY and P.make_plan(ev, packet, v) == ([], None)


def test_an_error_while_planning_is_a_note_not_an_exception(monkeypatch):
    ev = Evaluator(load_rules())

    def broken(*a, **k):
        raise ZeroDivisionError

    monkeypatch.setattr(P, "_round", broken)
    assert _plan(ev, _packet(ev)) == (None, "internal error (ZeroDivisionError) while planning; please report it")


@pytest.mark.parametrize("of_days, ages", [(90, [90, 180]), (30, [0, 30])])
def test_regular_records_are_planned_in_the_latest_empty_periods(tmp_path, of_days, ages):
    """learns-the-product in 3 of the last 4 periods of `of_days` days; ev-03 (88 days old) is in
    period 0 of 90 days, or period 2 of 30: the plan fills the latest empty ones."""
    def edit(d):
        _criterion(d, "learns-the-product")["condition"]["regularly"] = {
            "of_days": of_days, "periods": 4, "min_periods": 3}

    ev = _pack(tmp_path, edit)
    recs, note = _plan(ev, _packet(ev, [CURIOUS]))
    end = dt.date.fromisoformat(END)
    assert note is None and [(end - dt.date.fromisoformat(r["date"])).days for r in recs] == ages


def test_a_record_without_the_distinct_field_brings_no_value_of_it(tmp_path):
    """learns-the-product in 2 different forms: ev-03 is a deep-dive and ev-08 gives no form, so
    one more is planned, in the first form not seen yet."""
    ev = _pack(tmp_path, lambda d: _criterion(d, "learns-the-product")["condition"].update(
        distinct={"field": "form", "min": 2}))
    formless = {"id": "ev-08", "type": "learning", "date": "2026-01-05", "title": "Ferry engine basics",
                "area": "technical"}
    recs, note = _plan(ev, _packet(ev, [CURIOUS, formless]))
    assert note is None and [(r["type"], r["area"], r["form"]) for r in recs] == [("learning", "technical", "course")]


# -- titles of records left out are given back (plan._release) ----------------------------------
TWO = {"evidence": "learning", "where": {"form": {"in": ["course"]}}, "min_count": 2}  # two records
ONE = {"evidence": "artifact", "where": {"kind": {"in": ["spec"]}}}  # one record (Odalys has no spec)
LEAF = {"evidence": "learning", "where": {"form": {"in": ["shadowing"]}}}


@pytest.mark.parametrize("choice", [
    {"any_of": [TWO, ONE]}, {"any_of": [ONE, TWO]}, {"at_least": 1, "of": [TWO, ONE]}, {"at_least": 1, "of": [ONE, TWO]}])
def test_the_titles_of_records_left_out_are_given_back_to_the_next_record(tmp_path, choice):
    """all_of [one of (two courses, one spec), a shadowing]: the spec is cheaper, so the two
    courses' titles are given back whichever alternative comes first, and the shadowing takes the
    first one again."""
    ev = _required(tmp_path, {"all_of": [choice, LEAF]})
    recs, note = _plan(ev, _packet(ev, [CURIOUS]))
    assert note is None
    assert [(r["id"], r["type"], r["title"], r.get("kind"), r.get("form")) for r in recs] == [
        ("plan-01", "artifact", "Planned: Extra", "spec", None),
        ("plan-02", "learning", "Planned: Extra", None, "shadowing")]


# -- min_people with distinct: each person added brings a value not seen yet where any is left --
def _people(tmp_path, relationships: list[str], people: int) -> Evaluator:
    """A required feedback criterion: rated 4 or more by `people` people in 2 different
    relationships among `relationships` (Odalys's ev-06, from her manager, matches)."""
    return _required(tmp_path, {"evidence": "stakeholder_feedback",
                                "where": {"rating": {"gte": 4}, "from.relationship": {"in": relationships}},
                                "distinct": {"field": "from.relationship", "min": 2}, "min_people": people})


def _givers(recs) -> list[tuple]:
    return [(r["id"], r["from"]["id"], r["from"]["relationship"]) for r in recs]


def test_people_added_for_min_people_bring_relationships_not_seen_yet(tmp_path):
    """4 people in 2 relationships: the manager is there; the second relationship is a peer;
    the two more people are cross-functional and an executive, the allowed relationships neither
    the packet nor the plan has yet, in the schema's order."""
    ev = _people(tmp_path, ["manager", "peer", "cross-functional", "executive"], 4)
    recs, note = _plan(ev, _packet(ev, [CURIOUS]))
    assert note is None
    assert _givers(recs) == [("plan-01", "plan-person-01", "peer"), ("plan-02", "plan-person-02", "cross-functional"),
                             ("plan-03", "plan-person-03", "executive")]


def test_people_added_for_min_people_repeat_the_allowed_relationships_in_turn_once_all_are_seen(tmp_path):
    """5 people, only a manager or a peer allowed: after the peer the distinct values are used
    up, so the three more people are a manager, a peer and a manager again."""
    ev = _people(tmp_path, ["manager", "peer"], 5)
    recs, note = _plan(ev, _packet(ev, [CURIOUS]))
    assert note is None
    assert _givers(recs) == [("plan-01", "plan-person-01", "peer"), ("plan-02", "plan-person-02", "manager"),
                             ("plan-03", "plan-person-03", "peer"), ("plan-04", "plan-person-04", "manager")]


# -- later rounds read the packet with the records added so far (plan._round) ----------------------
def test_a_mentoring_that_must_be_newer_than_its_months_allow_gets_no_plan_after_every_round(tmp_path):
    """mid-pm asks for 6 months of mentoring begun within 30 days: a planned mentoring begins 5
    months before the period ends, so each round's packet, read again with the records added so
    far, is still not ready, and after the last round there is no plan."""
    ev = _required(tmp_path, {"evidence": "mentoring", "where": {"months": {"gte": 6}}, "within_days": 30}, "mid-pm")
    assert _plan(ev, _linnea(ev)) == (None, "no ready plan found in 3 rounds of added evidence")
