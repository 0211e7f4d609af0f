"""Record references (issue 28): a record names the records it builds on (`about: [ids]`), and a
leaf's `linked_to: <clause>` is met by records whose about names a record the clause matches.

The engine decides: the differential test fires generated packets with random links through
durable_rules and compares each status and citation with a plain-Python reading of
docs/rules.md ("Linked records"). The rest pins the boundaries, the packet checks, the words,
lint and the planner.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings, strategies as st
from test_rules import packet, rec, write_mini

from engine import Evaluator, check_document, load_rules
from engine.base.errors import EvidenceError, RulesError
from engine.base.loader import Document
from engine.book.compiler import LINK, TAGGED
from engine.core.facts import build_facts
from engine.core.plan import make_plan, prove
from engine.outputs.report import verdict_dict

RESEARCH = {"evidence": "discovery", "where": {"method": "user-interviews"}}
VISION = {"kind": "vision"}
CRITERIA: dict[str, dict] = {
    "plain": {"evidence": "artifact", "where": VISION, "linked_to": RESEARCH},
    "two": {"evidence": "artifact", "where": VISION, "min_count": 2, "linked_to": RESEARCH},
    "window": {"evidence": "artifact", "where": VISION, "within_days": 100,
               "linked_to": {**RESEARCH, "within_days": 200}},
    "kinds": {"evidence": "artifact", "where": {"kind": {"in": ["vision", "strategy"]}},
              "distinct": {"field": "kind", "min": 2}, "linked_to": {"evidence": "discovery"}},
    "with-call": {"all_of": [{"evidence": "artifact", "where": VISION, "linked_to": RESEARCH},
                             {"evidence": "decision", "where": {"kind": "pivot"}}]},
}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_rules(write_mini(tmp_path_factory.mktemp("links") / "rules", CRITERIA))


@pytest.fixture(scope="module")
def ev(book):
    e = Evaluator(book)
    yield e
    e.close()


def checked(book, evidence: list[dict]):
    data = packet(evidence)
    return check_document(Document("p.json", data, json.dumps(data, indent=1), "json"), book)


def run(book, ev, *evidence: dict) -> dict[str, dict]:
    v = verdict_dict(ev.evaluate(checked(book, list(evidence))))
    return {c["id"].removeprefix("probe."): c for c in v["criteria"] if c["level"] == "probe"}


def status(book, ev, *evidence: dict) -> dict[str, str]:
    return {k: c["status"] for k, c in run(book, ev, *evidence).items()}


def vision(eid: str, about: list[str] | None = None, age: int = 10, kind: str = "vision", **f) -> dict:
    return rec(eid, "artifact", age, kind=kind, **({"about": about} if about is not None else {}), **f)


def research(eid: str, method: str = "user-interviews", age: int = 10, **f) -> dict:
    return rec(eid, "discovery", age, method=method, **f)


# -- the engine decides: a differential test against the documented meaning ---------------------
def _matches(r: dict, cond: dict) -> bool:
    """docs/rules.md: the leaf's type, every `where` predicate (eq or in here), its window."""
    if r["type"] != cond["evidence"] or r["age"] > cond.get("within_days", 10**6):
        return False
    for f, p in cond.get("where", {}).items():
        allowed = p["in"] if isinstance(p, dict) else [p]
        if r.get(f) not in allowed:
            return False
    return True


def _reading(records: list[dict], cond: dict) -> tuple[bool, set[str]]:
    """A condition's status and citation as docs/rules.md reads it, in plain Python."""
    if "all_of" in cond:
        got = [_reading(records, c) for c in cond["all_of"]]
        return all(m for m, _ in got), {e for _, ids in got for e in ids}
    by_id = {r["id"]: r for r in records}
    if "linked_to" not in cond:
        ids = {r["id"] for r in records if _matches(r, cond)}
        return bool(ids), ids
    clause = cond["linked_to"]
    linked = {r["id"]: [t for t in r.get("about", []) if _matches(by_id[t], clause)]
              for r in records if _matches(r, cond)}
    linked = {k: v for k, v in linked.items() if v}  # a record whose about names a match of the clause
    if "distinct" in cond:
        met = len({by_id[k][cond["distinct"]["field"]] for k in linked}) >= cond["distinct"]["min"]
    else:
        met = len(linked) >= cond.get("min_count", 1)
    return met, (set(linked) | {t for ts in linked.values() for t in ts}) if met else set()


@st.composite
def packets(draw) -> list[dict]:
    n_art, n_disc = draw(st.integers(0, 6)), draw(st.integers(0, 5))
    ages = st.sampled_from([0, 60, 100, 101, 150, 200, 201, 400])
    out = [{"id": f"a{i}", "type": "artifact", "kind": draw(st.sampled_from(["vision", "strategy", "spec"])),
            "age": draw(ages)} for i in range(n_art)]
    out += [{"id": f"d{i}", "type": "discovery", "method": draw(st.sampled_from(["user-interviews", "survey"])),
             "age": draw(ages)} for i in range(n_disc)]
    out.append({"id": "c0", "type": "decision", "kind": draw(st.sampled_from(["pivot", "trade-off"])), "age": 5})
    ids = [r["id"] for r in out]
    for r in out:
        others = [i for i in ids if i != r["id"]]
        if others and r["type"] != "decision":
            about = draw(st.lists(st.sampled_from(others), max_size=3, unique=True))
            if about:
                r["about"] = about
    return out


def _as_records(gen: list[dict]) -> list[dict]:
    out = []
    for r in gen:
        fields = {k: v for k, v in r.items() if k not in ("id", "type", "age")}
        out.append(rec(r["id"], r["type"], r["age"], **fields))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(gen=packets())
def test_the_engine_decides_links_as_documented(book, ev, gen):
    got = run(book, ev, *_as_records(gen))
    for key, cond in CRITERIA.items():
        met, cites = _reading(gen, cond)
        assert got[key]["status"] == ("met" if met else "unmet"), (key, gen)
        if met:
            assert set(got[key]["evidence"]) == cites, (key, gen)


# -- boundaries ---------------------------------------------------------------------------------
def test_exactly_the_count_linked_meets_it_and_one_fewer_does_not(book, ev):
    base = [research("d1"), vision("a1", ["d1"])]
    assert status(book, ev, *base, vision("a2", ["d1"]))["two"] == "met"
    assert status(book, ev, *base, vision("a2"))["two"] == "unmet"
    # one record linked to several matches is still one record
    assert status(book, ev, research("d1"), research("d2"), vision("a1", ["d1", "d2"]))["two"] == "unmet"


def test_a_link_to_a_record_the_clause_does_not_match_does_not_count(book, ev):
    assert status(book, ev, research("d1", method="survey"), vision("a1", ["d1"]))["plain"] == "unmet"
    assert status(book, ev, research("d1"), vision("a1", ["d1"]))["plain"] == "met"
    # a record of another type, however it looks, is not what the clause names
    assert status(book, ev, vision("a0"), vision("a1", ["a0"]))["plain"] == "unmet"


def test_links_are_not_symmetric(book, ev):
    """The record that builds on names what it builds on: research naming the vision links nothing."""
    assert status(book, ev, research("d1", about=["a1"]), vision("a1"))["plain"] == "unmet"


def test_the_clause_has_its_own_window(book, ev):
    assert status(book, ev, research("d1", age=200), vision("a1", ["d1"], age=100))["window"] == "met"
    assert status(book, ev, research("d1", age=201), vision("a1", ["d1"], age=100))["window"] == "unmet"
    assert status(book, ev, research("d1", age=200), vision("a1", ["d1"], age=101))["window"] == "unmet"


def test_gaming_an_about_naming_many_records_meets_no_more_than_the_rule_says(book, ev):
    many = [research(f"d{i}") for i in range(8)]
    got = status(book, ev, *many, vision("a1", [f"d{i}" for i in range(8)]))
    assert got["plain"] == "met" and got["two"] == "unmet"  # eight links, one vision
    # distinct counts values of the linked records, not links
    assert status(book, ev, *many, vision("a1", ["d0", "d1"]), vision("a2", ["d2"]))["kinds"] == "unmet"
    assert status(book, ev, *many, vision("a1", ["d0"]), vision("a2", ["d2"], kind="strategy"))["kinds"] == "met"


def test_a_repeated_record_counts_once(book, ev):
    """Two visions with the same title on the same date are one record entered twice."""
    a1 = vision("a1", ["d1"], title="Area vision 2026")
    a2 = vision("a2", ["d1"], title="Area vision 2026")
    v = ev.evaluate(checked(book, [research("d1"), a1, a2]))
    two = next(c for c in v.criteria if c.id == "probe.two")
    assert two.status == "unmet" and "count as 1" in two.reason


def test_a_linked_leaf_inside_all_of_is_a_part_like_any_other(book, ev):
    got = status(book, ev, research("d1"), vision("a1", ["d1"]), rec("c1", "decision", kind="pivot"))
    assert got["with-call"] == "met"
    assert status(book, ev, research("d1"), vision("a1"), rec("c1", "decision", kind="pivot"))["with-call"] == "unmet"


def test_link_facts_only_for_types_a_linked_to_follows(book):
    facts = build_facts(checked(book, [research("d1", about=["a1"]), vision("a1", ["d1"])]), book, ("probe",))
    assert [f for f in facts if f["_kind"] == LINK] == [{"_kind": LINK, "from": "a1", "to": "d1"}]
    assert all("about" not in f for f in facts)


def test_the_compiled_rule_joins_record_link_and_tag_by_equality(ev):
    rules = ev.ruleset(("probe",)).rules
    joined = [r for r in rules.values() if len(r["all"]) == 3 and "l" in r["all"][1]]
    assert joined
    for r in joined:
        assert r["all"][1]["l"]["$and"] == [{"_kind": LINK}, {"from": {"e0": "eid"}}]
        m = r["all"][2]["m"]["$and"]
        assert m[0] == {"_kind": TAGGED} and m[2] == {"rec": {"l": "to"}}


# -- the packet: about names other records of the same packet -----------------------------------
def _problems(book, evidence: list[dict]) -> list:
    with pytest.raises(EvidenceError) as exc:
        checked(book, evidence)
    return exc.value.problems


def test_an_unknown_id_in_about_is_a_located_error(book, tmp_path, run_cli):
    probs = _problems(book, [research("d1"), vision("a1", ["d1", "d9"])])
    assert [(p.path, p.kind) for p in probs] == [("/evidence/1/about/1", "semantic")]
    assert "'d9'" in probs[0].message and "no record of this packet" in probs[0].message
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(packet([research("d1"), vision("a1", ["d1", "d9"])]), sort_keys=False))
    rules = Path(book.directory)
    out = run_cli("validate", f, "--rules", rules, exit_code=3)
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1) if "d9" in t)
    assert f"p.yaml:{line}: /evidence/1/about/1: about names 'd9'" in out.stderr + out.stdout


def test_a_record_naming_itself_or_an_id_twice_is_refused(book):
    probs = _problems(book, [research("d1"), vision("a1", ["a1", "d1", "d1"])])
    assert [p.path for p in probs] == ["/evidence/1/about/0", "/evidence/1/about/2"]
    assert "cannot build on itself" in probs[0].message and "twice" in probs[1].message


def test_about_is_ids_only(book):
    probs = _problems(book, [research("d1"), vision("a1", ["Customer calls with ACME about churn"])])
    assert probs and all("ACME" not in p.message for p in probs)


def test_a_v1_packet_without_about_is_unchanged(book, ev):
    assert status(book, ev, research("d1"), vision("a1"))["plain"] == "unmet"


# -- words ---------------------------------------------------------------------------------------
def test_an_unmet_link_says_which_records_match_all_but_the_link(book, ev):
    got = run(book, ev, research("d1", method="survey"), vision("a1", ["d1"]), vision("a2"))["plain"]
    assert got["reason"] == (
        "needs an artifact record where kind is vision, building on a discovery record where method is "
        "user-interviews (named in its about); found none that builds on one: 2 artifact record(s) match otherwise "
        "(a1, a2), but none names such a record in its about")
    assert got["nearest_misses"] == [
        {"evidence": "a1", "failed": ["its about names d1; none is a discovery record where method is user-interviews"]},
        {"evidence": "a2", "failed": ["names no record it builds on (about); needs one naming a discovery record "
                                      "where method is user-interviews"]}]


def test_a_met_link_cites_both_records(book, ev):
    got = run(book, ev, research("d1"), research("d2", method="survey"), vision("a1", ["d1", "d2"]))["plain"]
    assert got["status"] == "met" and got["evidence"] == ["a1", "d1"] and got["reason"] == "met by a1, d1"


def test_an_aggregate_short_of_linked_records_counts_them(book, ev):
    got = run(book, ev, research("d1"), vision("a1", ["d1"]), vision("a2"))["two"]
    assert got["reason"].startswith("needs at least 2 artifact records where kind is vision, each building on a "
                                    "discovery record where method is user-interviews (named in its about); "
                                    "found 1 (a1); still needs 1 more record")
    assert got["nearest_misses"][0]["evidence"] == "a2"


# -- lint ----------------------------------------------------------------------------------------
def _lint(run_cli, rules: Path) -> str:
    out = run_cli("rules", "lint", "--rules", rules, exit_code=4)
    return out.stderr + out.stdout


def _line(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


def test_lint_locates_an_unknown_clause_type_and_about_in_where(tmp_path, run_cli):
    d = write_mini(tmp_path / "rules", {"x": {"evidence": "artifact", "where": {"about": {"contains": "a1"}},
                                              "linked_to": {"evidence": "discovry"}}})
    out = _lint(run_cli, d)
    f = d / "probe.yaml"
    assert (f"probe.yaml:{_line(f, 'discovry')}: /criteria/0/condition/linked_to/evidence: unknown evidence type "
            "'discovry'; did you mean 'discovery'?") in out
    assert f"probe.yaml:{_line(f, 'about:')}: /criteria/0/condition/where/about: about names the records" in out


def test_lint_refuses_linked_to_from_a_type_whose_schema_has_no_about(tmp_path, run_cli):
    pack = tmp_path / "pack"
    d = write_mini(pack / "rules", {"x": {"evidence": "artifact", "linked_to": {"evidence": "discovery"}}})
    (pack / "schemas").mkdir()
    schema = json.loads((ROOT / "schemas" / "packet.schema.json").read_text())
    del schema["$defs"]["artifact"]["properties"]["about"]
    (pack / "schemas" / "packet.schema.json").write_text(json.dumps(schema, indent=2))
    out = _lint(run_cli, d)
    assert (f"probe.yaml:{_line(d / 'probe.yaml', 'linked_to:')}: /criteria/0/condition/linked_to: artifact records "
            "cannot name records they build on") in out


def test_a_clause_takes_no_count(tmp_path):
    d = write_mini(tmp_path / "rules", {"x": {"evidence": "artifact",
                                              "linked_to": {"evidence": "discovery", "min_count": 2}}})
    with pytest.raises(RulesError) as exc:
        load_rules(d)
    assert any(p.path.startswith("/criteria/0/condition") for p in exc.value.problems)


# -- the planner ---------------------------------------------------------------------------------
def _plan(book, ev, *evidence: dict):
    p = checked(book, list(evidence))
    v = ev.evaluate(p)
    records, why = make_plan(ev, p, v)
    return p, records, why


def test_the_planner_plans_the_record_built_on_and_the_link(book, ev):
    p, records, why = _plan(book, ev, rec("c1", "decision", kind="pivot"))
    assert why is None and records
    by_id = {r["id"]: r for r in records}
    linked = [r for r in records if r.get("about")]
    assert linked and all(t in by_id and by_id[t]["type"] == "discovery" for r in linked for t in r["about"])
    bare = [{k: v for k, v in r.items() if k != "planned"} for r in records]
    assert prove(ev, p, bare) is not None  # ready, proved by one firing


def test_the_planner_links_to_a_record_the_packet_has(book, ev):
    p, records, why = _plan(book, ev, research("d1"), rec("c1", "decision", kind="pivot"))
    assert why is None
    assert {t for r in records for t in r.get("about", [])} <= {"d1"} | {r["id"] for r in records}
    assert all(r["type"] == "artifact" for r in records)  # nothing new to build on
    assert prove(ev, p, [{k: v for k, v in r.items() if k != "planned"} for r in records]) is not None


# -- the example pack ----------------------------------------------------------------------------
KESTREL = ROOT / "examples" / "kestrel"


def test_kestrels_linked_fixture_turns_on_the_link(tmp_path, run_cli):
    fx = KESTREL / "fixtures" / "jo-l3-to-l4-ready.yaml"
    data = yaml.safe_load(fx.read_text())
    assert data["x-expected-verdict"] == "ready"
    for ev_ in data["evidence"]:
        ev_.pop("about", None)
    f = tmp_path / "jo.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    got = json.loads(run_cli("evaluate", f, "--rules", KESTREL / "rules", "--format", "json", "--no-plan").stdout)
    assert got["verdict"] == "not_ready"
    crit = next(c for c in got["criteria"] if c["id"] == "product-l4.vision-from-customers")
    assert crit["status"] == "unmet"


def test_copy_of_kestrel_lints_clean(tmp_path, run_cli):
    shutil.copytree(KESTREL / "rules", tmp_path / "rules")
    run_cli("rules", "lint", "--rules", tmp_path / "rules", "--strict")
