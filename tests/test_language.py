"""The language real frameworks need (issue 15): `at_least: K` of conditions, per-aspect
thresholds in a level's policy, several `any_item` clauses on one record, and `regularly` (N of
the last M periods). Each is decided by durable_rules on small packets against a probe level,
explained, and rejected with file:line when malformed. Rule folders are built in tmp_path."""
from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rules import packet, rec, write_mini

from engine import Evaluator, check_document, load_rules
from engine.core import pipeline
from engine.book.compiler import compile_path
from engine.base.loader import Document
from engine.outputs.report import verdict_dict, verdict_text

A = {"evidence": "mentoring", "where": {"formal": True}}
B = {"evidence": "people_leadership", "where": {"activity": "hiring"}}
C = {"evidence": "org_initiative", "where": {"kind": "process"}, "min_count": 2}  # an aggregate part
MARKERS = {"A": lambda i: [rec(f"a{i}", "mentoring", formal=True)],
           "B": lambda i: [rec(f"b{i}", "people_leadership", activity="hiring")],
           "C": lambda i: [rec(f"c{i}x", "org_initiative", kind="process"),
                           rec(f"c{i}y", "org_initiative", kind="process")]}

CRITERIA = {
    "least-1": {"at_least": 1, "of": [A, B, C]},
    "least-2": {"at_least": 2, "of": [A, B, C]},
    "least-3": {"at_least": 3, "of": [A, B, C]},
    "any-of": {"any_of": [A, B, C]},
    "all-of": {"all_of": [A, B, C]},
    "nested-least": {"at_least": 2,
                     "of": [{"all_of": [A, B]}, C, {"evidence": "decision", "where": {"kind": "pivot"}}]},
    "two-items": {"evidence": "shipped_outcome",
                  "any_item": [{"field": "metrics", "where": {"kind": "user", "improved": True}},
                               {"field": "metrics", "where": {"kind": "business", "improved": True}}]},
    "two-items-in": {"evidence": "shipped_outcome",
                     "any_item": [{"field": "metrics",
                                   "where": {"kind": {"in": ["user", "quality"]}, "improved": True}},
                                  {"field": "metrics", "where": {"kind": {"in": ["business", "operational"]}}}]},
    "same-item": {"evidence": "shipped_outcome",
                  "any_item": [{"field": "metrics", "where": {"kind": "user"}},
                               {"field": "metrics", "where": {"improved": True}}]},
    "regular": {"evidence": "stakeholder_feedback", "where": {"rating": {"gte": 4}},
                "regularly": {"periods": 4, "of_days": 91, "min_periods": 3}},
}


def metric(kind: str, up: bool) -> dict:
    return {"name": f"{kind} metric", "kind": kind, "baseline": 10, "result": 20 if up else 10}


@pytest.fixture(scope="module")
def lang(tmp_path_factory):
    """Evaluate evidence against the probe level: criterion short name -> the criterion's JSON."""
    book = load_rules(write_mini(tmp_path_factory.mktemp("lang") / "rules", CRITERIA))
    ev = Evaluator(book)

    def run(*evidence: dict) -> dict[str, dict]:
        data = packet(list(evidence))
        v = verdict_dict(ev.evaluate(check_document(Document("p.json", data, json.dumps(data), "json"), book)))
        return {c["id"].removeprefix("probe."): c for c in v["criteria"] if c["level"] == "probe"}

    yield run
    ev.close()


def status(c: dict) -> tuple[str, list[str]]:
    return c["status"], c["evidence"]


# -- at_least ------------------------------------------------------------------------------------
def test_at_least_exactly_k_is_met_and_one_fewer_is_not(lang):
    r = lang(*MARKERS["A"](1), *MARKERS["C"](1))
    assert status(r["least-2"]) == ("met", ["a1", "c1x", "c1y"])
    r = lang(*MARKERS["A"](1), rec("c1x", "org_initiative", kind="process"))  # C is one record short
    assert r["least-2"]["status"] == "unmet"
    assert r["least-1"]["status"] == "met"


def test_at_least_is_any_of_for_1_and_all_of_for_len_on_every_subset(lang):
    """Differential over all 8 subsets of the parts: at_least 1 and 3 agree with any_of and
    all_of, and at_least 2 is met exactly when two parts are."""
    for n in range(4):
        for present in itertools.combinations("ABC", n):
            r = lang(*[e for p in present for e in MARKERS[p](1)])
            assert r["least-1"]["status"] == r["any-of"]["status"], present
            assert r["least-3"]["status"] == r["all-of"]["status"], present
            assert (r["least-2"]["status"] == "met") == (len(present) >= 2), present
            if r["least-3"]["status"] == "met":
                assert r["least-3"]["evidence"] == r["all-of"]["evidence"]


def test_at_least_explains_what_is_met_and_what_is_still_needed(lang):
    r = lang(*MARKERS["B"](1), rec("c1x", "org_initiative", kind="process"),
             rec("m1", "mentoring", formal=False))
    c = r["least-2"]
    assert c["reason"] == (
        "needs at least 2 of its 3 parts; 1 met (by b1); still needs 1 more of: "
        "a mentoring record where formal is true; found none | "
        "at least 2 org initiative records where kind is process; found 1 (c1x); still needs 1 more record")
    assert c["nearest_misses"] == [{"evidence": "m1", "failed": ["formal is false; needs true"]}]
    assert c["evidence"] == ["b1", "c1x"]  # what the engine found towards it


def test_a_met_at_least_cites_only_the_parts_that_were_met(lang):
    """A part that is half there (an all_of with one of its two) is no citation of a met at_least."""
    r = lang(*MARKERS["A"](1), *MARKERS["C"](1), rec("d1", "decision", kind="pivot"))
    assert status(r["nested-least"]) == ("met", ["c1x", "c1y", "d1"])


def test_at_least_compiles_to_a_count_over_its_parts(tmp_path):
    book = load_rules(write_mini(tmp_path / "rules", {"k": CRITERIA["least-2"]}))
    plan = compile_path(book, ("probe",))
    root = plan.roots["probe.k"]
    rule = plan.rules[f"n{root}"]
    assert rule["count"] == 2 and rule["all"] == [{"p": {"$and": [{"_kind": "$part"}, {"parent": root}]}}]


# -- several any_item clauses on one record -------------------------------------------------------
def test_two_any_item_clauses_must_hold_on_the_same_record(lang):
    both = rec("s1", "shipped_outcome", metrics=[metric("user", True), metric("business", True)])
    assert status(lang(both)["two-items"]) == ("met", ["s1"])
    halves = [rec("s1", "shipped_outcome", metrics=[metric("user", True), metric("business", False)]),
              rec("s2", "shipped_outcome", metrics=[metric("business", True)])]
    c = lang(*halves)["two-items"]
    assert c["status"] == "unmet"
    assert c["reason"].startswith("needs a shipped outcome record with a metrics entry where kind is user and "
                                  "improved is true and a metrics entry where kind is business and improved is "
                                  "true; found none")
    assert {m["evidence"]: m["failed"] for m in c["nearest_misses"]} == {
        "s1": ["no metrics entry where kind is business and improved is true"],
        "s2": ["no metrics entry where kind is user and improved is true"]}


def test_one_item_may_satisfy_several_clauses(lang):
    assert lang(rec("s1", "shipped_outcome", metrics=[metric("user", True)]))["same-item"]["status"] == "met"
    r = lang(rec("s1", "shipped_outcome", metrics=[metric("user", False), metric("business", True)]))
    assert r["same-item"]["status"] == "met"  # a user entry, and another entry that improved
    assert lang(rec("s1", "shipped_outcome", metrics=[metric("user", False)]))["same-item"]["status"] == "unmet"


@pytest.mark.parametrize("kinds, met", [(("quality", "operational"), True), (("user", "business"), True),
                                        (("user", "user"), False), (("business", "operational"), False)])
def test_clauses_with_choices_mean_the_same_on_the_engine(lang, kinds, met):
    """`in` inside a clause is split into $iany alternatives (no $or inside $iany)."""
    r = lang(rec("s1", "shipped_outcome", metrics=[metric(kinds[0], True), metric(kinds[1], False)]))
    assert (r["two-items-in"]["status"] == "met") == met


# -- regularly ------------------------------------------------------------------------------------
def fb(eid: str, age: int, rating: int = 5) -> dict:
    return rec(eid, "stakeholder_feedback", age=age, rating=rating)


def test_regularly_exactly_min_periods_is_met_and_one_fewer_is_not(lang):
    c = lang(fb("q0", 0), fb("q1", 91), fb("q3", 363))["regular"]
    assert status(c) == ("met", ["q0", "q1", "q3"])
    c = lang(fb("q0", 0), fb("q1", 181))["regular"]
    assert c["status"] == "unmet"
    assert c["reason"] == (
        "needs stakeholder feedback records where rating ≥ 4 dated in at least 3 of the last 4 periods of 91 days "
        "before the as-of date; found records in 2 of the periods (days 0–90: q0; days 91–181: q1); still needs "
        "records in 1 more of the 4 periods (none yet in: days 182–272, days 273–363 before the as-of date)")


def test_regularly_counts_periods_not_records(lang):
    assert lang(fb("a", 0), fb("b", 30), fb("c", 60), fb("d", 90))["regular"]["status"] == "unmet"


def test_regularly_window_ends_with_the_last_period(lang):
    c = lang(fb("q0", 0), fb("q1", 91), fb("old", 364))["regular"]
    assert c["status"] == "unmet"
    assert c["nearest_misses"] == [{"evidence": "old",
                                    "failed": ["dated 364 days before the as-of date; needs within 363"]}]
    assert lang(fb("q0", 0), fb("q1", 91), fb("q3", 300, rating=3))["regular"]["status"] == "unmet"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 5)), max_size=8))
def test_regularly_is_met_exactly_when_enough_periods_hold_a_match(lang, feedback):
    """Differential: the engine's verdict against the definition (periods of 91 days back from
    the as-of date, only the last 4, only ratings of 4 or more, at least 3 of them)."""
    periods = {age // 91 for age, rating in feedback if rating >= 4 and age <= 4 * 91 - 1}
    got = lang(*[fb(f"f{i}", age, rating) for i, (age, rating) in enumerate(feedback)])["regular"]
    assert (got["status"] == "met") == (len(periods) >= 3)


# -- per-aspect thresholds ------------------------------------------------------------------------
ASPECT_LEVEL = {
    "level": "probe",
    "policy": {"min_supporting": 1, "min_supporting_per_aspect": {"discovery": 2},
               "sufficient_evidence": {"min_records": 1, "within_days": 3660}},
    "criteria": [
        {"id": "probe.learns", "title": "Probe learns", "source": "Level 2 · Test", "required": True,
         "condition": {"evidence": "learning"}},
        *[{"id": f"probe.d{i}", "title": f"Probe discovery {i}", "source": "Level 2 · Test", "required": False,
           "aspect": "discovery", "condition": {"evidence": "discovery", "where": {"method": m}}}
          for i, m in enumerate(["survey", "user-interviews", "data-analysis"])],
        {"id": "probe.ships", "title": "Probe ships", "source": "Level 2 · Test", "required": False,
         "aspect": "delivery", "condition": {"evidence": "shipped_outcome"}}]}


def aspect_rules(tmp_path: Path, policy: dict | None = None) -> Path:
    d = write_mini(tmp_path / "rules")
    level = {**ASPECT_LEVEL, "policy": {**ASPECT_LEVEL["policy"], **(policy or {})}}
    (d / "probe.yaml").write_text(yaml.safe_dump(level, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return d


def judge(rules: Path, *evidence: dict, plan: bool = False):
    book = load_rules(rules)
    data = packet([rec("l", "learning"), *evidence])
    ev = Evaluator(book)
    try:
        r = pipeline.evaluate(check_document(Document("p.json", data, json.dumps(data), "json"), book), ev)
        return (pipeline.plan(r, ev) if plan else r).verdict
    finally:
        ev.close()


def test_per_aspect_threshold_exactly_met_and_one_short(tmp_path):
    rules = aspect_rules(tmp_path)
    v = judge(rules, rec("d0", "discovery", method="survey"), rec("d1", "discovery", method="user-interviews"))
    assert v.verdict == "ready"
    assert verdict_dict(v)["levels"][-1]["aspects"] == [{"aspect": "discovery", "needed": 2, "met": 2}]
    v = judge(rules, rec("d0", "discovery", method="survey"), rec("s", "shipped_outcome"))
    assert v.verdict == "not_ready"  # min_supporting 1 is met twice over; discovery is one short
    assert v.headline == "not ready for probe: probe needs 1 more supporting discovery criterion (1 of 2 met)"
    d = verdict_dict(v)
    assert d["supporting_gaps"] == [{"level": "probe", "aspect": "discovery", "needed": 2, "met": 1, "more": 1,
                                     "closest": ["probe.d1", "probe.d2"]}]
    assert ("probe needs 1 more supporting discovery criterion (1 of 2 met), from: probe.d1, probe.d2"
            in verdict_text(v))


def test_a_level_without_per_aspect_thresholds_has_no_aspects_key(tmp_path):
    v = judge(write_mini(tmp_path / "rules"), rec("s", "shipped_outcome"))
    assert all("aspects" not in lv for lv in verdict_dict(v)["levels"])


def test_per_aspect_threshold_is_an_engine_rule(tmp_path):
    book = load_rules(aspect_rules(tmp_path))
    plan = compile_path(book, ("probe",))
    idx = plan.aspects[("probe", "discovery")]
    assert plan.rules[f"n{idx}"]["count"] == 2
    assert sorted(plan.nodes[idx].children) == sorted(plan.roots[f"probe.d{i}"] for i in range(3))


def test_a_plan_closes_a_per_aspect_shortfall(tmp_path):
    v = judge(aspect_rules(tmp_path), rec("d0", "discovery", method="survey"), plan=True)
    assert v.planned and v.plan is not None and [r["type"] for r in v.plan] == ["discovery"]


def test_a_plan_meets_every_new_construct_and_is_proved_on_the_engine(tmp_path):
    """The plan (engine.core.plan) synthesises records for at_least, several any_item clauses and
    regularly, and is kept only when the engine finds the packet with it ready."""
    rules = write_mini(tmp_path / "rules", {k: CRITERIA[k] for k in ("least-2", "two-items", "regular")})
    v = judge(rules, fb("q0", 0), plan=True)
    assert v.verdict == "not_ready" and v.planned and v.plan is not None, v.plan_note
    types = sorted(r["type"] for r in v.plan)
    assert types == ["mentoring", "people_leadership", "shipped_outcome", "stakeholder_feedback",
                     "stakeholder_feedback"]
    launch = next(r for r in v.plan if r["type"] == "shipped_outcome")
    assert sorted(m["kind"] for m in launch["metrics"]) == ["business", "user"]


# -- authoring mistakes: file:line and a message an author can act on ------------------------------
def lint_errors(run_cli, rules: Path) -> str:
    return run_cli("rules", "lint", "--rules", rules, exit_code=4).stderr


def line_of(f: Path, text: str) -> int:
    return next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if text in ln)


@pytest.mark.parametrize("cond, pointer, message", [
    ({"at_least": 4, "of": [A, B, C]}, "/criteria/0/condition/at_least",
     "at_least 4 of 3 conditions can never be met: use 1..3"),
    ({"at_least": 0, "of": [A, B]}, "/criteria/0/condition/at_least", "0 is less than the minimum of 1"),
    ({"at_least": 1, "of": A}, "/criteria/0/condition/of",
     "of needs a list, not a single mapping: begin each of its entries with '- '"),
    ({"evidence": "stakeholder_feedback", "regularly": {"periods": 4, "of_days": 91, "min_periods": 5}},
     "/criteria/0/condition/regularly/min_periods", "min_periods 5 of 4 periods can never be met: use 1..4"),
    ({"evidence": "stakeholder_feedback", "regularly": 3}, "/criteria/0/condition/regularly",
     "regularly needs a mapping ({periods, of_days, min_periods}), not 3"),
    ({"evidence": "stakeholder_feedback", "regularly": {"periods": 20, "of_days": 366, "min_periods": 3}},
     "/criteria/0/condition/regularly", "20 periods of 366 days look back 7320 days; at most 3660"),
    ({"evidence": "stakeholder_feedback", "within_days": 90,
      "regularly": {"periods": 4, "of_days": 91, "min_periods": 3}}, "/criteria/0/condition",
     "regularly and within_days cannot go together in one condition"),
    ({"evidence": "stakeholder_feedback", "min_count": 2,
      "regularly": {"periods": 4, "of_days": 91, "min_periods": 3}}, "/criteria/0/condition",
     "regularly and min_count cannot go together in one condition: regularly counts periods, not records"),
    ({"evidence": "shipped_outcome", "any_item": [{"field": "metrics", "where": {"kind": "user"}},
                                                  {"field": "metricz", "where": {"kind": "user"}}]},
     "/criteria/0/condition/any_item/1/field", "shipped_outcome has no list of records called 'metricz'"),
    ({"at_least": 1, "of": [A, {"evidence": "decision", "where": {"years_in_role": {"gte": 2}}}]},
     "/criteria/0/condition/of/1/where/years_in_role", "gates on tenure or time in level"),
])
def test_malformed_use_is_a_located_error(tmp_path, run_cli, cond, pointer, message):
    d = write_mini(tmp_path / "rules", {"x": cond})
    f = d / "probe.yaml"
    out = lint_errors(run_cli, d)
    found = re.search(rf"^{re.escape(str(f))}:(\d+): {re.escape(pointer)}: (.*)$", out, re.M)
    assert found and message in found.group(2), out
    assert int(found.group(1)) >= line_of(f, "condition:")  # on the condition's own lines
    assert "Traceback" not in out


@pytest.mark.parametrize("per_aspect, message", [
    ({"discovery": 4}, "asks for 4 supporting discovery criteria but the level has 3 (probe.d0, probe.d1, probe.d2)"),
    ({"discovry": 1}, "asks for 1 supporting discovry criteria but the level has 0; did you mean 'discovery'? "
                      "(supporting aspects here: delivery, discovery)"),
])
def test_a_per_aspect_threshold_no_criteria_can_meet_is_a_located_error(tmp_path, run_cli, per_aspect, message):
    d = aspect_rules(tmp_path, {"min_supporting_per_aspect": per_aspect})
    f = d / "probe.yaml"
    out = lint_errors(run_cli, d)
    aspect = next(iter(per_aspect))
    assert f"{f}:{line_of(f, aspect + ':')}: /policy/min_supporting_per_aspect/{aspect}: {message}" in out, out


def test_a_per_aspect_threshold_as_a_list_is_a_precise_error(tmp_path, run_cli):
    d = aspect_rules(tmp_path, {"min_supporting_per_aspect": ["discovery"]})
    assert "/policy/min_supporting_per_aspect: min_supporting_per_aspect needs a mapping" in lint_errors(run_cli, d)


def test_rules_show_words_every_construct(tmp_path, run_cli):
    show = run_cli("rules", "show", "--rules", aspect_rules(tmp_path)).stdout
    assert "ready: all required + 1 supporting (of them: at least 2 discovery)" in show
    d = write_mini(tmp_path / "more", {k: CRITERIA[k] for k in ("least-2", "two-items", "regular")})
    show = run_cli("rules", "show", "--rules", d).stdout
    assert "needs at least 2 of: (a mentoring record where formal is true); (a people leadership record" in show
    assert ("with a metrics entry where kind is user and improved is true and a metrics entry where kind is "
            "business and improved is true") in show
    assert "dated in at least 3 of the last 4 periods of 91 days before the as-of date" in show


def test_counted_nouns_agree_with_their_number():
    """The program's own sentences: "1 more record", never "1 more record(s)" or "1 more records"."""
    from engine.base.words import counted

    assert [counted(n, "more record", "more records") for n in (0, 1, 2)] == [
        "0 more records", "1 more record", "2 more records"]
    assert counted(1, "person", "different people") == "1 person"
    assert counted(3, "person", "different people") == "3 different people"
