"""The rule language (docs/rules.md), proved end to end.

Three layers: every operator compiled to durable_rules and decided by the engine on small packets
against a probe level; every authoring mistake rejected at load time with `file:line` and a
message an author can act on; and the rule tooling (`ladder rules lint | show | test`).
Rule folders are built in tmp_path, either a minimal two-level ladder or a copy of rules/ with
one edit, so the real rules are never touched.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT

from engine import Evaluator, check_document, load_rules
from engine.base.loader import Document
from engine.outputs.report import verdict_dict

RULES = ROOT / "rules"
GUIDE = ROOT / "docs" / "guide.txt"  # the guide the ladder encodes, as given
END = dt.date(2026, 6, 30)  # period.end, the as-of date of every probe packet

# -- a minimal ladder with one probe level: one criterion per behaviour under test ------------------
PROBE_CRITERIA: dict[str, dict] = {
    "eq-short": {"evidence": "shipped_outcome", "where": {"risk": "high"}},
    "eq": {"evidence": "shipped_outcome", "where": {"on_time": {"eq": True}}},
    "ne": {"evidence": "shipped_outcome", "where": {"risk": {"ne": "high"}}},
    "in": {"evidence": "decision", "where": {"kind": {"in": ["pivot", "sunset"]}}},
    "not-in": {"evidence": "decision", "where": {"stakes": {"not_in": ["high", "medium"]}}},
    "gt": {"evidence": "risk_raised", "where": {"teams": {"gt": 3}}},
    "gte": {"evidence": "risk_raised", "where": {"teams": {"gte": 3}}},
    "lt": {"evidence": "risk_raised", "where": {"teams": {"lt": 3}}},
    "lte": {"evidence": "risk_raised", "where": {"teams": {"lte": 3}}},
    "range": {"evidence": "risk_raised", "where": {"teams": {"gte": 2, "lte": 3}}},
    "exists": {"evidence": "learning", "where": {"shared": {"exists": True}}},
    "absent": {"evidence": "learning", "where": {"shared": {"exists": False}}},
    "contains": {"evidence": "artifact", "where": {"themes": {"contains": "alignment"}}},
    "contains-any": {"evidence": "artifact", "where": {"themes": {"contains_any": ["vision", "influence"]}}},
    "any-item": {"evidence": "business_ownership",
                 "any_item": {"field": "metrics", "where": {"kind": "operational", "improved": True}}},
    "within-30": {"evidence": "executive_engagement", "within_days": 30},
    "min-count-3": {"evidence": "discovery", "where": {"role": "led"}, "min_count": 3},
    "distinct-3": {"evidence": "stakeholder_feedback", "distinct": {"field": "from.relationship", "min": 3}},
    "mean-gte-4": {"evidence": "stakeholder_feedback", "where": {"sought_input": True},
                   "mean": {"field": "rating", "gte": 4, "min_records": 3}},
    "mean-gt-4": {"evidence": "stakeholder_feedback", "where": {"sought_input": True},
                  "mean": {"field": "rating", "gt": 4, "min_records": 3}},
    # `teams` is optional on shipped_outcome: a mean over a field some records lack
    "mean-teams": {"evidence": "shipped_outcome", "where": {"scope": "portfolio"},
                   "mean": {"field": "teams", "gte": 3, "min_records": 2}},
    "all-of": {"all_of": [{"evidence": "mentoring", "where": {"formal": True}},
                          {"evidence": "people_leadership", "where": {"activity": "hiring"}}]},
    "any-of": {"any_of": [{"evidence": "mentoring", "where": {"outcome": "promoted"}},
                          {"evidence": "people_leadership", "where": {"activity": "coaching"}}]},
    "nested": {"any_of": [{"all_of": [{"evidence": "org_initiative", "where": {"kind": "process"}},
                                      {"evidence": "org_initiative", "where": {"adoption": "adopted"}}]},
                          {"evidence": "org_initiative", "where": {"reach": "company"}, "min_count": 2}]},
}

MINI_LADDER = """\
ladder_version: 1
levels:
  - {id: base, title: Base, guide_level: "Level 1", order: 1}
  - {id: probe, title: Probe, guide_level: "Level 2", order: 2, aliases: [prb]}
tracks:
  management: [base, probe]
"""
MINI_BASE = """\
level: base
policy:
  min_supporting: 0
  sufficient_evidence: {min_records: 1, within_days: 30}
criteria:
  - id: base.learns
    title: Learns something
    source: "Level 1 · Test"
    required: true
    condition: {evidence: learning}
"""
# A small level file for the authoring-error tests: each test edits one line of it.
MINI_PROBE = """\
level: probe
policy:
  min_supporting: 1
  sufficient_evidence: {min_records: 1, within_days: 365}
criteria:
  - id: probe.ships
    title: Ships outcomes that move a metric
    source: "Level 2 · Test"
    required: true
    condition:
      evidence: shipped_outcome
      where:
        role: {in: [led, co-led]}
        end_to_end: true
      any_item:
        field: metrics
        where: {kind: business, improved: true}
  - id: probe.mentors
    title: Mentors a more junior PM
    source: "Level 2 · Test"
    required: false
    condition:
      evidence: mentoring
      where:
        months: {gte: 3}
  - id: probe.risky
    title: Has led a high-risk piece of work
    source: "Level 2 · Test"
    required: false
    condition:
      evidence: shipped_outcome
      where:
        role: led
        risk: high
"""


def write_mini(d: Path, criteria: dict[str, dict] | None = None, policy: dict | None = None,
               supporting: tuple[str, ...] = ()) -> Path:
    """A two-level ladder; `probe` holds `criteria` (required unless named in `supporting`), or
    MINI_PROBE if none are given."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "ladder.yaml").write_text(MINI_LADDER, encoding="utf-8")
    (d / "base.yaml").write_text(MINI_BASE, encoding="utf-8")
    if criteria is None:
        (d / "probe.yaml").write_text(MINI_PROBE, encoding="utf-8")
        return d
    probe = {"level": "probe",
             "policy": policy or {"min_supporting": 0, "sufficient_evidence": {"min_records": 1, "within_days": 3660}},
             "criteria": [{"id": f"probe.{k}", "title": f"Probe {k}", "source": "Level 2 · Test",
                           "required": k not in supporting, "condition": c} for k, c in criteria.items()]}
    (d / "probe.yaml").write_text(yaml.safe_dump(probe, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return d


def day(age: int) -> str:
    return (END - dt.timedelta(days=age)).isoformat()


def packet(evidence: list[dict]) -> dict:
    return {"schema_version": 1,
            "candidate": {"id": "probe-1", "current_level": "base", "target_level": "probe"},
            "period": {"start": "2016-01-01", "end": END.isoformat()}, "evidence": evidence}


def rec(eid: str, etype: str, age: int = 10, **fields) -> dict:
    """One evidence record with the fields its type requires filled in."""
    need = {"shipped_outcome": {"title": "Probe work", "role": "contributed", "scope": "feature"},
            "decision": {"title": "Probe work", "kind": "trade-off"},
            "risk_raised": {"title": "Probe work", "kind": "risk"}, "learning": {"title": "Probe work", "area": "domain"},
            "artifact": {"title": "Probe work", "kind": "spec"}, "business_ownership": {"area": "revenue"},
            "executive_engagement": {"forum": "exec-team"}, "discovery": {"title": "Probe work", "method": "survey"},
            "org_initiative": {"title": "Probe work", "kind": "tooling"},
            "stakeholder_feedback": {"from": {"relationship": "peer"}, "rating": 4},
            "mentoring": {"months": 6, "mentee": {"level": "base"}},
            "people_leadership": {"activity": "managing"}}[etype]
    if "title" in need:
        need["title"] = f"Probe work {eid}"  # distinct titles: the same title twice counts once
    return {"id": eid, "type": etype, "date": day(age), **need, **fields}


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """Evaluate evidence against the probe level: criterion short name -> (status, cited ids)."""
    book = load_rules(write_mini(tmp_path_factory.mktemp("probe") / "rules", PROBE_CRITERIA))
    ev = Evaluator(book)

    def run(*evidence: dict) -> dict[str, tuple[str, list[str]]]:
        data = packet(list(evidence))
        doc = Document("probe.json", data, json.dumps(data, indent=1), "json")
        v = verdict_dict(ev.evaluate(check_document(doc, book)))
        run.last = v
        return {c["id"].removeprefix("probe."): (c["status"], c["evidence"])
                for c in v["criteria"] if c["level"] == "probe"}

    yield run
    ev.close()


MET, UNMET = "met", "unmet"


# -- operators -------------------------------------------------------------------------------
def test_eq_shorthand_and_explicit(probe):
    """`field: value` and `{eq: value}` are the same test; only matching records are cited."""
    r = probe(rec("a", "shipped_outcome", risk="high", on_time=True), rec("b", "shipped_outcome", risk="low"))
    assert r["eq-short"] == (MET, ["a"])
    assert r["eq"] == (MET, ["a"])
    r = probe(rec("b", "shipped_outcome", risk="low", on_time=False))
    assert r["eq-short"] == (UNMET, [])
    assert r["eq"] == (UNMET, [])


def test_ne_is_true_when_the_field_is_missing(probe):
    """`ne` matches a different value and a missing field: absence is not the excluded value."""
    r = probe(rec("hi", "shipped_outcome", risk="high"), rec("lo", "shipped_outcome", risk="low"),
              rec("none", "shipped_outcome"))
    assert r["ne"] == (MET, ["lo", "none"])
    assert probe(rec("hi", "shipped_outcome", risk="high"))["ne"] == (UNMET, [])


def test_in_and_not_in(probe):
    """`in` needs one of the values; `not_in` excludes them and, like ne, accepts a missing field."""
    r = probe(rec("p", "decision", kind="pivot", stakes="high"), rec("s", "decision", kind="sunset", stakes="low"),
              rec("t", "decision", kind="trade-off"), rec("m", "decision", kind="pricing", stakes="medium"))
    assert r["in"] == (MET, ["p", "s"])
    assert r["not-in"] == (MET, ["s", "t"])
    r = probe(rec("t", "decision", kind="trade-off", stakes="high"), rec("m", "decision", stakes="medium"))
    assert r["in"] == (UNMET, [])
    assert r["not-in"] == (UNMET, [])


def test_numeric_comparisons_at_their_boundaries(probe):
    """gt/gte/lt/lte differ exactly at the threshold; a record without the field never compares."""
    r = probe(rec("t2", "risk_raised", teams=2), rec("t3", "risk_raised", teams=3), rec("t4", "risk_raised", teams=4),
              rec("t-", "risk_raised"))
    assert r["gt"] == (MET, ["t4"])
    assert r["gte"] == (MET, ["t3", "t4"])
    assert r["lt"] == (MET, ["t2"])
    assert r["lte"] == (MET, ["t2", "t3"])
    assert r["range"] == (MET, ["t2", "t3"])  # two operators on one field: both must hold
    r = probe(rec("t3", "risk_raised", teams=3), rec("t-", "risk_raised"))
    assert r["gt"] == (UNMET, [])
    assert r["lt"] == (UNMET, [])
    assert r["gte"] == (MET, ["t3"]) and r["lte"] == (MET, ["t3"])


def test_exists_true_and_false(probe):
    """`exists: true` needs the field given (even false); `exists: false` needs it absent."""
    r = probe(rec("given", "learning", shared=False), rec("absent", "learning"))
    assert r["exists"] == (MET, ["given"])
    assert r["absent"] == (MET, ["absent"])
    r = probe(rec("given", "learning", shared=True))
    assert r["absent"] == (UNMET, [])


def test_contains_and_contains_any_on_list_fields(probe):
    """List fields match by membership: contains one value, contains_any one of several."""
    r = probe(rec("al", "artifact", themes=["alignment", "delivery"]), rec("vi", "artifact", themes=["vision"]),
              rec("no", "artifact", themes=["delivery"]), rec("nil", "artifact"))
    assert r["contains"] == (MET, ["al"])
    assert r["contains-any"] == (MET, ["vi"])
    r = probe(rec("no", "artifact", themes=["delivery"]), rec("nil", "artifact"))
    assert r["contains"] == (UNMET, []) and r["contains-any"] == (UNMET, [])


def test_any_item_uses_improved_with_higher_is_better_false(probe):
    """`improved` is derived from baseline/result/higher_is_better: a cost that fell improved."""
    fell = {"kind": "operational", "baseline": 40, "result": 25, "higher_is_better": False}
    rose = {"kind": "operational", "baseline": 25, "result": 40, "higher_is_better": False}
    other = {"kind": "business", "baseline": 40, "result": 25, "higher_is_better": False}
    r = probe(rec("fell", "business_ownership", metrics=[other, fell]),
              rec("rose", "business_ownership", metrics=[rose]),
              rec("wrong-kind", "business_ownership", metrics=[other]),
              rec("split", "business_ownership", metrics=[rose, other]))  # no one element has both
    assert r["any-item"] == (MET, ["fell"])
    r = probe(rec("rose", "business_ownership", metrics=[rose]), rec("no-baseline", "business_ownership",
                                                                    metrics=[{"kind": "operational", "result": 1}]))
    assert r["any-item"] == (UNMET, [])


def test_within_days_counts_exactly_n_days_and_not_n_plus_1(probe):
    """within_days: N means age_days <= N before period.end; one day older is out of the window."""
    r = probe(rec("d30", "executive_engagement", age=30), rec("d31", "executive_engagement", age=31))
    assert r["within-30"] == (MET, ["d30"])
    assert probe(rec("d31", "executive_engagement", age=31))["within-30"] == (UNMET, [])


def test_min_count_needs_n_records_not_n_minus_1(probe):
    """min_count N is met by N matching records and cites them all; N-1 are reported as found."""
    led = [rec(f"l{i}", "discovery", role="led") for i in range(3)]
    other = rec("c", "discovery", role="contributed")
    assert probe(*led[:2], other)["min-count-3"] == (UNMET, ["l0", "l1"])
    assert probe(*led, other)["min-count-3"] == (MET, ["l0", "l1", "l2"])


def test_distinct_counts_different_values_once(probe):
    """distinct: duplicates of one value count once, so two peers and a manager are 2, not 3."""
    fb = lambda eid, rel: rec(eid, "stakeholder_feedback", **{"from": {"relationship": rel}})  # noqa: E731
    r = probe(fb("p1", "peer"), fb("p2", "peer"), fb("m", "manager"))
    assert r["distinct-3"] == (UNMET, ["m", "p1", "p2"])
    r = probe(fb("p1", "peer"), fb("p2", "peer"), fb("m", "manager"), fb("x", "executive"))
    assert r["distinct-3"] == (MET, ["m", "p1", "p2", "x"])


def test_mean_threshold_and_min_records(probe):
    """mean: just below the threshold fails, at it passes (gte) or fails (gt); too few records fail."""
    fb = lambda eid, rating: rec(eid, "stakeholder_feedback", rating=rating, sought_input=True,  # noqa: E731
                                 **{"from": {"id": f"giver-{eid}", "relationship": "peer"}})  # not one record thrice
    unrelated = rec("u", "stakeholder_feedback", rating=1)  # not sought_input: outside the mean
    r = probe(fb("a", 4), fb("b", 4), fb("c", 3), unrelated)  # mean 3.67
    assert r["mean-gte-4"] == (UNMET, ["a", "b", "c"])
    r = probe(fb("a", 4), fb("b", 4), fb("c", 4), unrelated)  # mean 4.0
    assert r["mean-gte-4"] == (MET, ["a", "b", "c"])
    assert r["mean-gt-4"] == (UNMET, ["a", "b", "c"])
    r = probe(fb("a", 5), fb("b", 5))  # mean 5, but only 2 records
    assert r["mean-gte-4"] == (UNMET, ["a", "b"])
    assert r["mean-gt-4"] == (UNMET, ["a", "b"])


def test_mean_counts_a_record_entered_twice_once(probe):
    """A copy of a record (the same content under another id: one record, engine.book.integrity) adds
    nothing to a mean: ratings 5, 3, 3 average 3.67 however many times the 5 is entered. Counted
    per copy, two copies of the 5 would make it 4.2 and meet the threshold."""
    def fb(eid: str, rating: int, giver: str) -> dict:
        r = rec(eid, "stakeholder_feedback", rating=rating, sought_input=True,
                **{"from": {"id": giver, "relationship": "peer"}})
        r["title"] = f"Feedback from {giver}"
        return r

    honest = [fb("a", 5, "g1"), fb("b", 3, "g2"), fb("c", 3, "g3")]
    assert probe(*honest)["mean-gte-4"][0] == UNMET
    copies = [{**fb("a", 5, "g1"), "id": f"a{k}"} for k in range(2)]
    assert probe(*honest, *copies)["mean-gte-4"][0] == UNMET


def test_mean_counts_only_records_that_carry_the_field(probe):
    """min_records counts records with a value to average: one record with teams is not a mean of 2."""
    so = lambda eid, **kw: rec(eid, "shipped_outcome", scope="portfolio", **kw)  # noqa: E731
    assert probe(so("t5", teams=5), so("none"))["mean-teams"] == (UNMET, ["t5"])
    assert probe(so("t5", teams=5), so("t3", teams=3), so("none"))["mean-teams"] == (MET, ["t3", "t5"])


def test_all_of_needs_every_part_and_cites_each(probe):
    """all_of is met only when every part is; the citation is the union of the parts' evidence."""
    mentor = rec("mt", "mentoring", formal=True)
    hire = rec("hr", "people_leadership", activity="hiring")
    assert probe(mentor, hire)["all-of"] == (MET, ["hr", "mt"])
    status, found = probe(mentor)["all-of"]
    assert (status, found) == (UNMET, ["mt"])  # the part that is there is shown as found
    reason = next(c["reason"] for c in probe.last["criteria"] if c["id"] == "probe.all-of")
    assert reason.startswith("needs all of its parts; open: a people leadership record where activity is hiring")
    assert "mentoring" not in reason  # the part that is met is not named as open


def test_any_of_needs_one_part(probe):
    """any_of is met by either alternative and cites whichever matched."""
    assert probe(rec("pr", "mentoring", outcome="promoted"))["any-of"] == (MET, ["pr"])
    assert probe(rec("co", "people_leadership", activity="coaching"))["any-of"] == (MET, ["co"])
    assert probe(rec("gr", "mentoring", outcome="grew"))["any-of"] == (UNMET, [])


def test_nested_all_of_inside_any_of(probe):
    """A composite inside a composite: either both halves of the all_of, or the other branch."""
    proc = rec("proc", "org_initiative", kind="process", adoption="piloted")
    adopted = rec("adop", "org_initiative", kind="tooling", adoption="adopted")
    assert probe(proc, adopted)["nested"] == (MET, ["adop", "proc"])
    assert probe(proc)["nested"] == (UNMET, ["proc"])
    wide = [rec(f"w{i}", "org_initiative", reach="company") for i in range(2)]
    assert probe(*wide)["nested"] == (MET, ["w0", "w1"])
    assert probe(wide[0])["nested"] == (UNMET, ["w0"])


def test_sufficiency_window_decides_insufficient_evidence(probe):
    """No record inside the level's window means insufficient_evidence, whatever the criteria say."""
    probe(rec("old", "shipped_outcome", age=3661, risk="high"))
    assert probe.last["verdict"] == "insufficient_evidence"
    probe(rec("new", "shipped_outcome", age=3660, risk="high"))
    assert probe.last["verdict"] == "not_ready"  # in the window now; most probe criteria are unmet


def test_min_supporting_decides_ready(tmp_path):
    """ready = every required criterion met and at least min_supporting of the supporting ones."""
    crit = {"req": PROBE_CRITERIA["gte"], "sup-a": PROBE_CRITERIA["exists"], "sup-b": PROBE_CRITERIA["contains"]}
    policy = {"min_supporting": 1, "sufficient_evidence": {"min_records": 1, "within_days": 365}}
    book = load_rules(write_mini(tmp_path / "rules", crit, policy, supporting=("sup-a", "sup-b")))
    ev = Evaluator(book)

    def verdict(*evidence: dict) -> str:
        data = packet(list(evidence))
        return ev.evaluate(check_document(Document("p.json", data, json.dumps(data), "json"), book)).verdict

    req, sup = rec("r", "risk_raised", teams=3), rec("s", "learning", shared=True)
    assert verdict(req, sup) == "ready"
    assert verdict(req) == "not_ready"  # 0 of 1 supporting
    assert verdict(sup, rec("a", "artifact", themes=["alignment"])) == "not_ready"  # required open
    ev.close()



def test_a_level_of_supporting_criteria_only_gets_a_headline_of_counts(tmp_path, run_cli):
    """No required criterion on the path: the headline gives supporting criteria met, of how many,
    and how many are needed, never "all 0 required criteria met"; one short of the threshold is
    not ready, the threshold itself is ready. Text, JSON, markdown and the HTML report carry it."""
    crit = {"sup-a": PROBE_CRITERIA["gte"], "sup-b": PROBE_CRITERIA["exists"], "sup-c": PROBE_CRITERIA["contains"]}
    policy = {"min_supporting": 2, "sufficient_evidence": {"min_records": 1, "within_days": 365}}
    rules = write_mini(tmp_path / "rules", crit, policy, supporting=tuple(crit))
    a, b, c = rec("a", "risk_raised", teams=3), rec("b", "learning", shared=True), rec("c", "artifact",
                                                                                         themes=["alignment"])
    cases = [([a], "not ready for probe: 1 of 3 supporting criteria met, 2 needed"),
             ([a, b], "ready for probe: 2 of 3 supporting criteria met, 2 needed"),
             ([a, b, c], "ready for probe: 3 of 3 supporting criteria met, 2 needed")]
    for i, (evidence, want) in enumerate(cases):
        pk = tmp_path / f"p{i}.json"
        pk.write_text(json.dumps(packet(evidence)))
        v = json.loads(run_cli("evaluate", pk, "--rules", rules, "--format", "json").stdout)
        assert v["headline"] == want
        assert "required criteria" not in v["headline"]
        assert want in run_cli("evaluate", pk, "--rules", rules).stdout
        assert want in run_cli("evaluate", pk, "--rules", rules, "--format", "markdown").stdout
    out, page = tmp_path / "r.jsonl", tmp_path / "r.html"
    run_cli("batch", *(tmp_path / f"p{i}.json" for i in range(3)), "--rules", rules, "--out", out, "--html", page,
            "--quiet")
    html = page.read_text(encoding="utf-8")
    assert all(want in html for _, want in cases)


def test_a_supporting_only_level_short_of_an_aspect_says_which(tmp_path):
    """The count is met but a per-aspect threshold is not: the headline names the aspect."""
    crit = {"sup-a": PROBE_CRITERIA["gte"], "sup-b": PROBE_CRITERIA["exists"]}
    probe = {"level": "probe",
             "policy": {"min_supporting": 1, "min_supporting_per_aspect": {"craft": 1},
                        "sufficient_evidence": {"min_records": 1, "within_days": 365}},
             "criteria": [{"id": f"probe.{k}", "title": f"Probe {k}", "source": "Level 2 · Test", "required": False,
                           "aspect": "craft" if k == "sup-b" else "delivery", "condition": c}
                          for k, c in crit.items()]}
    rules = write_mini(tmp_path / "rules")
    (rules / "probe.yaml").write_text(yaml.safe_dump(probe, sort_keys=False, allow_unicode=True), encoding="utf-8")
    book = load_rules(rules)
    ev = Evaluator(book)
    data = packet([rec("a", "risk_raised", teams=3)])
    v = ev.evaluate(check_document(Document("p.json", data, json.dumps(data), "json"), book))
    ev.close()
    assert v.headline == "not ready for probe: probe needs 1 more supporting craft criterion (0 of 1 met)"


def test_cli_evaluate_with_custom_rules(tmp_path, run_cli):
    """`--rules DIR` reaches the engine: a custom level is evaluated and cited through the CLI."""
    rules = write_mini(tmp_path / "rules", {"gte": PROBE_CRITERIA["gte"]})
    pk = tmp_path / "p.json"
    pk.write_text(json.dumps(packet([rec("t3", "risk_raised", teams=3), rec("t2", "risk_raised", teams=2)])))
    v = json.loads(run_cli("evaluate", pk, "--rules", rules, "--format", "json").stdout)
    assert v["verdict"] == "ready"
    assert [(c["id"], c["status"], c["evidence"]) for c in v["criteria"]] == [("probe.gte", "met", ["t3"])]


# -- errors at load time: exit 4, file:line, a message that says what to fix -------------------
def copy_rules(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    shutil.copytree(RULES, d)
    return d


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str, last: bool | None = None) -> int:
    """The line holding `needle`: the only one, or the first/last of several."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    assert hits and (last is not None or len(hits) == 1), f"{needle!r} in {path.name}: lines {hits}"
    return hits[-1] if last else hits[0]


def lint_fails(run_cli, rules: Path) -> str:
    r = run_cli("rules", "lint", "--rules", rules, exit_code=4)
    return r.stderr + r.stdout


RISKY = "        role: led\n        risk: high\n"  # the last criterion of MINI_PROBE


@pytest.mark.parametrize("case, old, new, needle, message", [
    ("unknown-field", "end_to_end: true", "end_to_ends: true", "end_to_ends",
     "/criteria/0/condition/where/end_to_ends: shipped_outcome has no field 'end_to_ends'; "
     "did you mean 'end_to_end'?"),
    ("enum-value", "risk: high", "risk: extreme", "risk:",
     "/criteria/2/condition/where/risk: 'extreme' can never occur in shipped_outcome.risk"),
    ("gt-on-string", "risk: high", "risk: {gt: 2}", "risk:",
     "/criteria/2/condition/where/risk: gt compares numbers; shipped_outcome.risk is string"),
    ("tenure-months", RISKY, RISKY + "        tenure_months: {gte: 18}\n", "tenure_months",
     "/criteria/2/condition/where/tenure_months: 'tenure_months' gates on tenure or time in level"),
    ("months-in-level", RISKY, RISKY + "        months_in_level: {gte: 18}\n", "months_in_level",
     "/criteria/2/condition/where/months_in_level: 'months_in_level' gates on tenure or time in level"),
    ("age-days", RISKY, RISKY + "        age_days: {lte: 30}\n", "age_days",
     "/criteria/2/condition/where/age_days: shipped_outcome has no field 'age_days'"),
    ("metric-name", "where: {kind: business, improved: true}", "where: {name: conversion}", "name: conversion",
     "/criteria/0/condition/any_item/where/name: shipped_outcome.metrics[] has no field 'name'"),
    ("contains-on-string", "risk: high", "risk: {contains: high}", "risk:",
     "/criteria/2/condition/where/risk: contains needs a list field; shipped_outcome.risk is string"),
    ("duplicate-id", "id: probe.risky", "id: probe.mentors", "- id: probe.mentors",
     "/criteria/2/id: duplicate criterion id 'probe.mentors'"),
    ("id-prefix", "id: probe.risky", "id: base.risky", "base.risky",
     "/criteria/2/id: criterion id must start with 'probe.'"),
    ("min-supporting", "min_supporting: 1", "min_supporting: 3", "min_supporting",
     "/policy/min_supporting: asks for 3 supporting criteria but the level has only 2"),
    ("python-tag", "risk: high", "risk: !!python/object/apply:os.system [echo]", "risk:",
     "not valid YAML: YAML tags that construct objects are not allowed"),
    ("duplicate-key", RISKY, RISKY + "        role: co-led\n", "role: co-led",
     "not valid YAML: duplicate key 'role'"),
])
def test_lint_error_in_a_level_file(tmp_path, run_cli, case, old, new, needle, message):
    """Every authoring mistake is a located error (exit 4), never a rule that silently never fires."""
    rules = write_mini(tmp_path / "rules")
    f = rules / "probe.yaml"
    edit(f, old, new)
    line = line_of(f, needle, last=True)
    out = lint_fails(run_cli, rules)
    assert f"{f}:{line}: " in out and message in out, out


ONE_OF = ("role: {in: [led, co-led]}", "role: {one_of: [led, co-led]}")


def test_unknown_operator_is_named(tmp_path, run_cli):
    """The author should be told which operator is unknown and on which line it is."""
    rules = write_mini(tmp_path / "rules")
    f = rules / "probe.yaml"
    edit(f, *ONE_OF)
    out = lint_fails(run_cli, rules)
    assert f"{f}:{line_of(f, 'one_of')}:" in out and "one_of" in out, out


def test_level_cycle_in_a_track(tmp_path, run_cli):
    """A track that returns to a level would make the skip-level path loop: rejected in ladder.yaml."""
    rules = write_mini(tmp_path / "rules")
    f = rules / "ladder.yaml"
    edit(f, "management: [base, probe]", "management: [base, probe, base]")
    out = lint_fails(run_cli, rules)
    assert f"{f}:{line_of(f, 'management:')}: /tracks/management: level 'base' appears twice: the track has a " \
           "cycle" in out, out


def test_missing_level_file(tmp_path, run_cli):
    """Every level in ladder.yaml needs its file; a missing one is named, not an empty level."""
    rules = write_mini(tmp_path / "rules")
    (rules / "probe.yaml").unlink()
    assert f"{rules}/probe.yaml: level 'probe' has no rules file" in lint_fails(run_cli, rules)


def test_real_rules_reject_a_python_tag_and_a_duplicate_key(tmp_path, run_cli):
    """The bundled files go through the same safe loader: no object tags, no silently lost keys."""
    rules = copy_rules(tmp_path)
    f = rules / "senior-pm.yaml"
    edit(f, "        role: led\n        risk: high\n",
         "        role: led\n        risk: !!python/object/apply:os.system [echo]\n")
    out = lint_fails(run_cli, rules)
    assert f"{f}:{line_of(f, 'os.system')}: not valid YAML: YAML tags that construct objects" in out, out
    f = rules / "ladder.yaml"
    edit(f, "default_track: management", "default_track: management\nladder_version: 1")
    out = lint_fails(run_cli, rules)
    assert f"{f}:{line_of(f, 'ladder_version', last=True)}: not valid YAML: duplicate key 'ladder_version'" in out


# -- warnings ---------------------------------------------------------------------------------
def test_bundled_rules_lint_clean_even_strict(run_cli):
    """The shipped rules carry no warnings, so --strict in CI only fails on a new problem."""
    assert "rules ok" in run_cli("rules", "lint", "--strict").stdout


def test_higher_level_demanding_fewer_of_a_stricter_kind_is_not_a_warning(tmp_path, run_cli):
    """One launch at director against two at senior-pm, but the director's launch must be
    cross-team or wider, move a business metric and be unflagged: every record it counts the
    senior criterion counts too, so it asks for fewer of a stricter kind. Not a warning (it was
    one while lint compared counts only), and lint --strict passes."""
    rules = copy_rules(tmp_path)
    f = rules / "director.yaml"
    edit(f, "        where: {kind: business, improved: true}\n      within_days: 730\n      min_count: 2\n",
         "        where: {kind: business, improved: true}\n      within_days: 730\n")
    r = run_cli("rules", "lint", "--rules", rules, "--strict")
    assert "demands-less" not in r.stdout and r.stdout.strip().endswith("rules ok"), r.stdout
    # an operational metric instead of a user one: neither counts every record of the other (a
    # folder of its own: rules are read once per folder and process)
    rules = Path(shutil.copytree(rules, tmp_path / "rules-2"))
    f = rules / "director.yaml"
    edit(f, "        where: {kind: business, improved: true}\n      within_days: 730\n",
         "        where: {kind: {in: [business, operational]}, improved: true}\n      within_days: 730\n")
    r = run_cli("rules", "lint", "--rules", rules, "--strict")  # a note does not fail --strict
    note = ("director.drives-business-growth asks for 1 shipped_outcome record(s) and the level below 2 "
            "(senior-pm.moves-key-metrics), under conditions lint cannot compare; it cannot tell whether the higher "
            "level demands less (management track) [demands-less] (note)")
    assert note in r.stdout and r.stdout.strip().endswith("rules ok, 1 note(s)"), r.stdout


def test_higher_level_demanding_fewer_of_the_same_records_is_a_warning(tmp_path, run_cli):
    """The same edit, with the director's condition made as broad as senior-pm's (scope from
    product-area, a business or user metric, flags allowed): one record where senior-pm asks for
    two of them. A warning: exit 0, and exit 4 under --strict."""
    rules = copy_rules(tmp_path)
    f = rules / "director.yaml"
    edit(f, "      unflagged: true\n      where:\n        role: {in: [led, co-led]}\n"
            "        scope: {in: [cross-team, portfolio, company]}\n      any_item:\n        field: metrics\n"
            "        where: {kind: business, improved: true}\n      within_days: 730\n      min_count: 2\n",
         "      where:\n        role: {in: [led, co-led]}\n"
         "        scope: {in: [product-area, cross-team, portfolio, company]}\n      any_item:\n        field: metrics\n"
         "        where: {kind: {in: [user, business]}, improved: true}\n      within_days: 730\n")
    r = run_cli("rules", "lint", "--rules", rules)
    want = ("director.drives-business-growth asks for 1 shipped_outcome record(s) but the level below asks for 2 "
            "(senior-pm.moves-key-metrics); a higher level should not demand less (management track) [demands-less] (warning)")
    assert want in r.stdout and "rules ok, 1 warning(s)" in r.stdout, r.stdout
    r = run_cli("rules", "lint", "--rules", rules, "--strict", exit_code=4)
    assert want in r.stderr


def _two_levels(d: Path, lo: dict, hi: dict) -> Path:
    """The mini ladder with one criterion of aspect `delivery` in base (`lo`) and in probe (`hi`)."""
    write_mini(d)
    for level, cond, order in (("base", lo, 1), ("probe", hi, 2)):
        data = {"level": level, "policy": {"min_supporting": 0,
                                           "sufficient_evidence": {"min_records": 1, "within_days": 365}},
                "criteria": [{"id": f"{level}.risks", "title": f"Raises risks at {level}", "source": f"Level {order} · T",
                              "required": True, "aspect": "delivery", "condition": cond}]}
        (d / f"{level}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return d


DEMANDS_LESS = "probe.risks asks for 1 risk_raised record(s) but the level below asks for 2 (base.risks)"
CANNOT_TELL = ("probe.risks asks for 1 risk_raised record(s) and the level below 2 (base.risks), under conditions "
               "lint cannot compare; it cannot tell whether the higher level demands less (management track) "
               "[demands-less]")


@pytest.mark.parametrize("lo_where, hi_where, hi_count, outcome", [
    ({"teams": {"gte": 3}}, {"teams": {"gte": 3}}, 1, "warning"),        # the same records, fewer
    ({"teams": {"gte": 3}}, {"teams": {"gte": 3}}, 2, None),             # as many: the boundary
    ({"teams": {"gte": 3}}, {"teams": {"gte": 2}}, 1, "warning"),        # a lower threshold: broader
    ({"teams": {"gte": 3}}, {}, 1, "warning"),                           # no threshold at all
    ({"teams": {"gte": 3}}, {"teams": {"gt": 2}}, 1, "warning"),         # > 2 holds for every value >= 3
    ({"teams": {"gte": 3}}, {"teams": {"gte": 4}}, 1, None),             # a higher threshold: stricter
    ({"teams": {"gte": 3}}, {"teams": {"gt": 3}}, 1, None),              # > 3: stricter by one step
    ({"kind": {"in": ["risk", "blocker"]}}, {"kind": "risk"}, 1, None),  # a subset of the values: stricter
    ({"kind": "risk"}, {"kind": {"in": ["risk", "blocker"]}}, 1, "warning"),  # a superset: broader
    ({"kind": {"in": ["risk", "blocker"]}}, {"kind": {"in": ["risk", "bottleneck"]}}, 1, "note"),  # overlapping
    ({"teams": {"gte": 3}}, {"resolved": True}, 1, "note"),              # another field: cannot compare
    ({"teams": {"gte": 3}}, {"teams": {"gte": 2}, "resolved": True}, 1, "note"),  # broader on one, stricter on another
    ({"kind": {"ne": "risk"}}, {"kind": {"not_in": ["risk", "blocker"]}}, 1, None),  # excludes more: stricter
])
def test_demands_less_compares_where_clauses(tmp_path, run_cli, lo_where, hi_where, hi_count, outcome):
    """Fewer records one level up is a warning only when the higher criterion counts every record
    the lower one does (its where is no stricter); fewer records of a provably stricter kind is no
    warning; anything lint cannot prove either way is a note that says it cannot tell (and does
    not fail --strict)."""
    lo = {"evidence": "risk_raised", "where": lo_where, "min_count": 2}
    hi = {"evidence": "risk_raised", "where": hi_where} if hi_where else {"evidence": "risk_raised"}
    if hi_count > 1:
        hi["min_count"] = hi_count
    d = _two_levels(tmp_path / "rules", lo, hi)
    problems = json.loads(run_cli("rules", "lint", "--rules", d, "--format", "json").stdout)["problems"]
    mine = [(p["message"], p.get("severity")) for p in problems if "demands-less" in p["message"]]
    if outcome is None:
        assert mine == []
    elif outcome == "warning":
        assert [(m.split(";")[0], sev) for m, sev in mine] == [(DEMANDS_LESS, "warning")], mine
    else:
        assert mine == [(CANNOT_TELL, "note")], mine
        r = run_cli("rules", "lint", "--rules", d)
        assert f"{CANNOT_TELL} (note)" in r.stdout and "1 note(s)" in r.stdout


def test_demands_less_compares_windows_and_flags(tmp_path, run_cli):
    """The window and `unflagged` are part of which records count: a wider window one level up
    counts every record the lower one does (a warning), a narrower one or `unflagged` only at the
    higher level is stricter (none)."""
    def lint_for(lo_extra: dict, hi_extra: dict, name: str) -> list[str]:
        lo = {"evidence": "risk_raised", "min_count": 2, **lo_extra}
        hi = {"evidence": "risk_raised", **hi_extra}
        d = _two_levels(tmp_path / name, lo, hi)
        return [p.get("severity", "error") for p in json.loads(run_cli("rules", "lint", "--rules", d, "--format",
                                                                       "json").stdout)["problems"]
                if "demands-less" in p["message"]]
    assert lint_for({"within_days": 365}, {"within_days": 366}, "a") == ["warning"]
    assert lint_for({"within_days": 365}, {"within_days": 365}, "b") == ["warning"]
    assert lint_for({"within_days": 365}, {"within_days": 364}, "c") == []
    assert lint_for({}, {"unflagged": True}, "d") == []
    assert lint_for({"unflagged": True}, {}, "e") == ["warning"]
    assert lint_for({"within_days": 365}, {"any_time": True}, "f") == ["warning"]


def test_small_level_and_duplicate_condition_warnings(tmp_path, run_cli):
    """Fewer than 6 criteria and two criteria with one condition are flagged, with the rule's line."""
    d = write_mini(tmp_path / "rules", {"a": PROBE_CRITERIA["gte"], "b": PROBE_CRITERIA["gte"]})
    r = run_cli("rules", "lint", "--rules", d, "--format", "json")
    msgs = [p["message"] for p in json.loads(r.stdout)["problems"]]
    assert "probe has 2 criteria; a level should have at least 6" in msgs
    assert "probe.b has the same condition as probe.a [same-condition]" in msgs
    assert json.loads(r.stdout)["ok"] is True


# -- show -------------------------------------------------------------------------------------
def test_show_json_matches_the_contract(run_cli):
    """Scripts read `rules show --format json`: the contract's keys and types must hold."""
    d = json.loads(run_cli("rules", "show", "--format", "json").stdout)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", d["rules_version"])
    assert [lv["id"] for lv in d["levels"]] == ["associate-pm", "mid-pm", "senior-pm", "director", "principal-pm",
                                                "vp"]
    for lv in d["levels"]:
        assert {"id", "title", "order", "tracks", "criteria"} <= set(lv)
        assert isinstance(lv["order"], int) and lv["tracks"] and all(isinstance(t, str) for t in lv["tracks"])
        for c in lv["criteria"]:
            assert {"id", "title", "source", "required", "evidence_types"} <= set(c)
            assert c["id"].startswith(lv["id"] + ".") and isinstance(c["required"], bool)
            assert c["evidence_types"] and all(isinstance(t, str) for t in c["evidence_types"])
    assert next(lv for lv in d["levels"] if lv["id"] == "principal-pm")["tracks"] == ["ic"]


def test_show_level_resolves_aliases_and_rejects_unknown(run_cli):
    """`--level gpm` is the director level; a typo is a usage error (exit 2) with a hint."""
    d = json.loads(run_cli("rules", "show", "--level", "gpm", "--format", "json").stdout)
    assert [lv["id"] for lv in d["levels"]] == ["director"]
    r = run_cli("rules", "show", "--level", "directr", exit_code=2)
    assert "unknown level 'directr'; did you mean 'director'?" in r.stderr


# -- rules_version ----------------------------------------------------------------------------
def _version(run_cli, rules: Path) -> str:
    return json.loads(run_cli("rules", "show", "--rules", rules, "--format", "json").stdout)["rules_version"]


def test_rules_version_ignores_formatting_but_not_thresholds(tmp_path, run_cli):
    """Verdicts cite rules_version: a reformat must keep it, a changed threshold must change it."""
    rules = copy_rules(tmp_path)
    before = _version(run_cli, rules)
    for name in ("senior-pm.yaml", "ladder.yaml"):
        f = rules / name
        data = yaml.safe_load(f.read_text())
        reordered = dict(reversed(list(data.items())))
        f.write_text("# reformatted: keys reordered, 4-space indent, flow style gone\n"
                     + yaml.safe_dump(reordered, sort_keys=False, indent=4, width=200, allow_unicode=True)
                     + "# trailing comment\n")
    assert (rules / "senior-pm.yaml").read_text() != (RULES / "senior-pm.yaml").read_text()
    assert _version(run_cli, rules) == before
    changed = shutil.copytree(rules, tmp_path / "changed")  # a new path: loaded rule books are cached by path
    f = changed / "senior-pm.yaml"
    data = yaml.safe_load(f.read_text())
    crit = next(c for c in data["criteria"] if c["id"] == "senior-pm.stakeholder-confidence")
    crit["condition"]["min_people"] = 4
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    assert _version(run_cli, changed) != before


# -- golden tests -----------------------------------------------------------------------------
GOLDEN_CASES = ["noor-ashgrove-mid-to-senior-ready", "caspian-thistlewood-mid-to-senior-not-ready",
                "hollis-penrake-mid-to-senior-insufficient"]


def test_rules_test_diffs_updates_and_writes_junit(tmp_path, run_cli):
    """A changed verdict fails with a per-criterion diff and a .golden.new; only --update rewrites."""
    fx = tmp_path / "fixtures"
    fx.mkdir()
    for name in GOLDEN_CASES:
        shutil.copy(FIXTURES / f"{name}.yaml", fx)
    r = run_cli("rules", "test", "--fixtures", fx, "--update")
    assert "0 passed, 0 failed, 3 updated" in r.stdout
    assert "3 passed, 0 failed" in run_cli("rules", "test", "--fixtures", fx).stdout

    golden = fx / "expected" / f"{GOLDEN_CASES[1]}.golden"
    recorded = json.loads(golden.read_text())
    crit = next(c for c in recorded["criteria"] if c["status"] == "met")
    crit["status"] = "unmet"
    golden.write_text(json.dumps(recorded, indent=1))
    junit = tmp_path / "junit.xml"
    r = run_cli("rules", "test", "--fixtures", fx, "--junit", junit, exit_code=1)
    assert f"FAIL    {fx / (GOLDEN_CASES[1] + '.yaml')}" in r.stdout
    assert f"  {crit['id']}: unmet -> met (" in r.stdout
    assert "2 passed, 1 failed" in r.stdout
    new = Path(str(golden) + ".new")
    assert new.exists() and json.loads(new.read_text())["criteria"] != recorded["criteria"]

    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "3" and suite.get("failures") == "1"
    failed = [tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert failed == [f"{GOLDEN_CASES[1]}.yaml"]
    assert sorted(tc.get("name") for tc in suite.iter("testcase")) == sorted(f"{n}.yaml" for n in GOLDEN_CASES)
    assert crit["id"] in suite.find(".//failure").text

    snapshot = json.loads(new.read_text())
    r = run_cli("rules", "test", "--fixtures", fx, "--update")
    assert "1 updated" in r.stdout
    assert json.loads(golden.read_text()) == snapshot
    assert not new.exists()  # --update settles the snapshot: no stale .golden.new is left
    assert "3 passed, 0 failed" in run_cli("rules", "test", "--fixtures", fx).stdout


# -- the guide is paraphrased, not copied ------------------------------------------------------
def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


@pytest.mark.skipif(not GUIDE.exists(), reason="docs/guide.txt is not in this checkout")
def test_no_rule_text_copies_the_guide():
    """Titles, rationales and basis notes paraphrase the guide (contract §3): no run of 8+ words is copied."""
    words = _words(GUIDE.read_text(encoding="utf-8"))
    grams = {tuple(words[i:i + 8]) for i in range(len(words) - 7)}
    copied = []
    for f in sorted(RULES.glob("*.yaml")) + sorted(RULES.glob("paths/*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        for c in data.get("criteria", []) + data.get("signals", []) + [{"id": f.name, **data}]:
            for key in ("title", "rationale", "basis_note"):
                w = _words(c.get(key) or "")
                copied += [(c["id"], key, " ".join(w[i:i + 8])) for i in range(len(w) - 7)
                           if tuple(w[i:i + 8]) in grams]
    assert not copied, copied


@pytest.mark.parametrize("where, message", [
    ({"rating": "4"}, "stakeholder_feedback.rating is a number, not '4'"),
    ({"rating": {"in": [4, True]}}, "stakeholder_feedback.rating is a number, not True"),
    ({"sought_input": "yes"}, "stakeholder_feedback.sought_input is true or false, not 'yes'"),
])
def test_a_value_of_the_wrong_type_is_a_lint_error(where, message, run_cli, tmp_path):
    """A rule comparing a number field with text (or a boolean with a word) would never match a
    valid packet: lint refuses it and says which value (a mutation survivor: the number check)."""
    rules = write_mini(tmp_path / "rules", {"typed": {"evidence": "stakeholder_feedback", "where": where}})
    assert message in lint_fails(run_cli, rules)
    ok = write_mini(tmp_path / "ok", {"typed": {"evidence": "stakeholder_feedback", "where": {"rating": 4}}})
    run_cli("rules", "lint", "--rules", ok)


def test_a_changed_explanation_and_a_broken_fixture_are_named(tmp_path, run_cli):
    """rules test says which criterion's explanation changed (status unchanged), and a fixture
    that no longer validates is an error naming the fixture and the problem."""
    fx = tmp_path / "fixtures"
    fx.mkdir()
    shutil.copy(FIXTURES / f"{GOLDEN_CASES[1]}.yaml", fx)
    run_cli("rules", "test", "--fixtures", fx, "--update")
    golden = fx / "expected" / f"{GOLDEN_CASES[1]}.golden"
    recorded = json.loads(golden.read_text())
    crit = next(c for c in recorded["criteria"] if c["status"] == "unmet")
    crit["reason"] = "an older wording"
    golden.write_text(json.dumps(recorded, indent=1))
    r = run_cli("rules", "test", "--fixtures", fx, exit_code=1)
    assert f"  {crit['id']}: explanation changed" in r.stdout
    broken = fx / "broken.yaml"
    broken.write_text("schema_version: 1\ncandidate: {id: emp-1}\n", encoding="utf-8")
    r = run_cli("rules", "test", "--fixtures", fx, exit_code=1)
    assert f"ERROR   {broken}\n" in r.stdout
    assert "missing required field 'evidence'" in r.stdout


def test_a_rules_folder_edited_while_a_process_runs_is_read_again(tmp_path):
    """The rule book and path profiles are cached by content, not by folder name: an edit is
    seen by the next load in the same process (and an unchanged folder is the same book)."""
    import shutil

    from engine.book.career_paths import load_paths

    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    first = load_rules(d)
    assert load_rules(d) is first  # unchanged: read once
    lv = d / "senior-pm.yaml"
    lv.write_text(lv.read_text(encoding="utf-8").replace("Keeps people in several roles aligned",
                                                          "Keeps people in many roles aligned"), encoding="utf-8")
    again = load_rules(d)
    assert again is not first and again.version != first.version
    assert any(c.title.startswith("Keeps people in many roles") for c in again.all_criteria())
    prof = d / "paths" / "founder-gm.yaml"
    before = load_paths(again)
    prof.write_text(prof.read_text(encoding="utf-8").replace("title: Founder / general manager",
                                                             "title: Founder or general manager"), encoding="utf-8")
    assert load_paths(load_rules(d)).paths["founder-gm"].title == "Founder or general manager"
    assert before.paths["founder-gm"].title == "Founder / general manager"
