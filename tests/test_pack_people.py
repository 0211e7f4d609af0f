"""People, not records, on a pack's own evidence types (issue 28): a pack's vocabulary names the
field a type's records are from or about (`person: by.id`), and everything that knows the
bundled types' people knows it: min_people (compiled, decided by durable_rules), explanations,
lint, the planner, the check that a record's person is never the candidate, and the people
directory. The bundled types behave exactly as before: a pack's declarations change nothing
about them (the differential tests at the end; tests/test_golden.py and tests/test_exact.py hold
the bundled ladder's verdicts byte for byte)."""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from test_rules import day, packet, rec, write_mini

from engine import Evaluator, check_document, load_rules
from engine.base.errors import EvidenceError
from engine.base.loader import Document
from engine.book.compiler import compile_path, leaf_pattern
from engine.book.fields import PERSON_FIELD, person_fields, person_key
from engine.book.schema import bundled_packet_schema
from engine.core.plan import make_plan, prove
from engine.outputs.report import verdict_dict

TODAY = "2026-07-01"
VOCABULARY = """\
vocabulary_version: 1
scales:
  proficiency: [aware, adept, skilled, expert]
extend:
  executive_engagement:
    person: sponsor                   # a flat id field of a bundled type, added here
    fields:
      sponsor: {type: id}
types:
  assessment:
    person: by.id
    fields:
      level: {type: scale, scale: proficiency, required: true}
      by.id: {type: id, required: true}
      by.relationship: {type: string, values: [manager, skip-level, peer, cross-functional, customer], required: true}
      skill: {type: string, values: [craft, delivery]}
"""
SKILLED = {"level": {"gte": "skilled"}}
CRITERIA: dict[str, dict] = {
    "two": {"evidence": "assessment", "where": SKILLED, "min_people": 2},
    "three": {"evidence": "assessment", "where": SKILLED, "min_people": 3},
    "two-of-three-kinds": {"evidence": "assessment", "where": SKILLED, "min_people": 2,
                           "distinct": {"field": "by.relationship", "min": 2}},
    "sponsors": {"evidence": "executive_engagement", "min_people": 2},
    # bundled types, for the differential: as the bundled ladder uses min_people
    "voices": {"evidence": "stakeholder_feedback", "where": {"rating": {"gte": 4}}, "min_people": 3},
    "mentees": {"evidence": "mentoring", "where": {"months": {"gte": 3}}, "min_people": 2},
}
BUNDLED_KINDS = ("voices", "mentees")


def mini(d: Path, criteria: dict[str, dict], vocabulary: str | None = VOCABULARY,
         supporting: tuple[str, ...] = ()) -> Path:
    write_mini(d, criteria, supporting=supporting)
    if vocabulary is not None:
        (d / "vocabulary.yaml").write_text(vocabulary, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_rules(mini(tmp_path_factory.mktemp("people") / "rules", CRITERIA))


@pytest.fixture(scope="module")
def ev(book):
    e = Evaluator(book)
    yield e
    e.close()


def rating(eid: str, giver: str | None, level: str = "skilled", rel: str = "peer", age: int = 10) -> dict:
    by = {"relationship": rel, **({"id": giver} if giver is not None else {})}
    return {"id": eid, "type": "assessment", "date": day(age), "title": f"Review {eid}", "level": level,
            "skill": "craft", "by": by}


def checked(book, evidence: list[dict]):
    data = packet(evidence)
    return check_document(Document("p.json", data, json.dumps(data, indent=1), "json"), book)


def run(book, ev, *evidence: dict) -> dict[str, dict]:
    v = verdict_dict(ev.evaluate(checked(book, list(evidence))))
    return {c["id"].removeprefix("probe."): c for c in v["criteria"] if c["level"] == "probe"}


def status(book, ev, *evidence: dict) -> dict[str, str]:
    return {k: c["status"] for k, c in run(book, ev, *evidence).items()}


# -- boundaries ------------------------------------------------------------------------------------
@pytest.mark.parametrize("crit, n", [("two", 2), ("three", 3)])
def test_exactly_n_different_givers_meet_min_people_and_one_fewer_does_not(book, ev, crit, n):
    givers = [rating(f"a{i}", f"kw-{i:04d}") for i in range(n)]
    assert status(book, ev, *givers)[crit] == "met"
    assert status(book, ev, *givers[:-1])[crit] == "unmet"
    # many ratings from n-1 people are still n-1 people
    again = [rating(f"b{i}", f"kw-{i % (n - 1):04d}") for i in range(2 * n)]
    assert status(book, ev, *again)[crit] == "unmet"


def test_one_giver_written_in_any_case_or_with_other_separators_is_one_person(book, ev):
    same = [rating("a1", "kw-0144"), rating("a2", "KW-0144"), rating("a3", "kw_0144"), rating("a4", "Kw.0144")]
    got = run(book, ev, *same)["two"]
    assert got["status"] == "unmet"
    assert "found 4 (a1, a2, a3, a4), from 1 person; still needs 1 more different person" in got["reason"]
    assert status(book, ev, *same, rating("a5", "kw-0145"))["two"] == "met"
    assert {person_key(r["by"]["id"]) for r in same} == {"kw0144"}


def test_a_rating_below_the_bar_or_naming_no_giver_counts_for_nobody(book, ev):
    assert status(book, ev, rating("a1", "kw-1"), rating("a2", "kw-2", level="adept"))["two"] == "unmet"
    # the schema requires by.id on this pack's type; a pack whose id is optional is counted alike:
    # the compiled leaf asks for the person field to exist ($ex), as for feedback's from.id
    assert {"$ex": {"by.id": 1}} in leaf_pattern(CRITERIA["two"], book.people)["$and"]


def test_min_people_and_distinct_must_both_hold(book, ev):
    two_peers = [rating("a1", "kw-1"), rating("a2", "kw-2")]
    assert status(book, ev, *two_peers)["two-of-three-kinds"] == "unmet"
    assert status(book, ev, *two_peers, rating("a3", "kw-1", rel="manager"))["two-of-three-kinds"] == "met"
    # one person as peer and manager: two relationships, one voice
    assert status(book, ev, rating("a1", "kw-1"), rating("a2", "KW_1", rel="manager"))["two-of-three-kinds"] == "unmet"


def test_a_flat_person_field_on_an_extended_bundled_type(book, ev):
    def talk(eid: str, sponsor: str | None) -> dict:
        return rec(eid, "executive_engagement", **({"sponsor": sponsor} if sponsor else {}))
    assert status(book, ev, talk("x1", "exec-1"), talk("x2", "EXEC_1"))["sponsors"] == "unmet"
    assert status(book, ev, talk("x1", "exec-1"), talk("x2", "exec-2"))["sponsors"] == "met"
    got = run(book, ev, talk("x1", "exec-1"), talk("x2", None))["sponsors"]
    assert got["status"] == "unmet" and "records that name no person count for nobody" in got["reason"]


def test_the_rule_books_person_fields_are_the_bundled_ones_and_the_packs(book):
    assert dict(book.people) == {**PERSON_FIELD, "assessment": "by.id", "executive_engagement": "sponsor"}
    assert dict(person_fields(bundled_packet_schema())) == PERSON_FIELD
    assert dict(load_rules(ROOT / "rules").people) == PERSON_FIELD


def test_the_compiled_leaf_is_an_aggregate_over_the_givers(book):
    """docs/rules.md shows this form: the collector's people_field is the pack's person field and the
    threshold is a literal of the decision rule, so durable_rules decides."""
    rs = compile_path(book, ("probe",))
    idx = rs.roots["probe.two"]
    node = rs.nodes[idx]
    assert node.kind == "agg" and node.agg == {"n": 1, "people_field": "by.id", "people": 2}
    assert rs.rules[f"n{idx}"]["all"] == [{"e0": {"$and": [
        {"_kind": "ev"}, {"type": "assessment"}, {"$or": [{"level": "skilled"}, {"level": "expert"}]},
        {"$ex": {"by.id": 1}}]}}]
    assert rs.rules[f"d{idx}"]["all"] == [{"a": {"$and": [{"_kind": "$agg"}, {"node": idx}, {"$gte": {"n": 1}},
                                                          {"$gte": {"people": 2}}]}}]


# -- the candidate is never the person -----------------------------------------------------------
def _write(tmp_path: Path, evidence: list[dict], name: str = "p.yaml", **cand) -> Path:
    data = packet(evidence)
    data["candidate"].update(cand)
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def _line(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in ln)


def test_the_candidate_as_giver_is_refused_with_file_line_and_pointer(book, tmp_path, run_cli):
    d = mini(tmp_path / "rules", CRITERIA)
    p = _write(tmp_path, [rating("a1", "kw-1"), rating("a2", "PROBE_1")])
    r = run_cli("validate", p, "--rules", d, "--today", TODAY, exit_code=3)
    assert (f"{p}:{_line(p, 'PROBE_1')}: /evidence/1/by/id: the candidate's own id: assessment names in by.id "
            "the person the record is from or about, never the candidate") in r.stdout + r.stderr, r.stdout
    with pytest.raises(EvidenceError) as exc:
        checked(book, [rec("x1", "executive_engagement", sponsor="probe-1")])
    assert [p.path for p in exc.value.problems] == ["/evidence/0/sponsor"]


def test_a_planners_placeholder_person_is_refused_in_a_real_packet(book):
    with pytest.raises(EvidenceError) as exc:
        checked(book, [rating("a1", "plan-person-01")])
    assert [(p.path, p.message) for p in exc.value.problems] == [
        ("/evidence/0/by/id", "a placeholder person id: name the real person")]


# -- the people directory --------------------------------------------------------------------------
DIRECTORY = """\
id,name,level,track,manager,org,status
boss-1,B,probe,management,,product,active
probe-1,P,base,management,boss-1,product,active
kw-1,K,engineer,,boss-1,eng,active
kw-2,L,base,management,boss-1,product,active
"""


@pytest.mark.parametrize("giver, rel, problem", [
    ("kw-1", "peer", None),
    ("KW_2", "peer", None),
    ("boss-1", "manager", None),
    ("kw-9", "peer", "/evidence/0/by/id: 'kw-9' is not in the people directory"),
    ("kw-1", "manager", "/evidence/0/by/relationship: manager, but kw-1 is not in the candidate's manager chain"),
    ("cust-7", "customer", None),  # outside the company (ladder.yaml people.external_relationships)
    ("kw-2", "customer", "/evidence/0/by/relationship: customer, but kw-2 is in the people directory"),
])
def test_with_a_directory_a_giver_must_be_in_it_like_a_feedback_giver(tmp_path, run_cli, giver, rel, problem):
    d = mini(tmp_path / "rules", CRITERIA)
    people = tmp_path / "people.csv"
    people.write_text(DIRECTORY, encoding="utf-8")
    p = _write(tmp_path, [rating("a1", giver, rel=rel)])
    r = run_cli("validate", p, "--rules", d, "--people", people, "--today", TODAY,
                exit_code=0 if problem is None else 3)
    if problem is not None:
        at = _line(p, f"id: {giver}" if "/by/id" in problem else f"relationship: {rel}")
        assert f"{p}:{at}: {problem}" in r.stdout, r.stdout
    run_cli("validate", p, "--rules", d, "--today", TODAY)  # without a directory: nothing to hold it against


def test_an_external_candidates_givers_need_not_be_in_the_directory(tmp_path, run_cli):
    d = mini(tmp_path / "rules", CRITERIA)
    people = tmp_path / "people.csv"
    people.write_text(DIRECTORY + "new-1,N,engineer,,,eng,active\n", encoding="utf-8")
    p = _write(tmp_path, [rating("a1", "ref-1")], id="new-1", current_level="external")
    run_cli("validate", p, "--rules", d, "--people", people, "--today", TODAY)


# -- lint ----------------------------------------------------------------------------------------------
def _lint(run_cli, d: Path) -> str:
    return run_cli("rules", "lint", "--rules", d, exit_code=4).stderr


@pytest.mark.parametrize("old, new, marker, message", [
    ("person: by.id", "person: by.idd", "person: by.idd",
     "/types/assessment/person: person names 'by.idd', which is no field of assessment; did you mean 'by.id'?"),
    ("person: by.id", "person: by.relationship", "person: by.relationship",
     "/types/assessment/person: person names assessment.by.relationship, a string field; the person a record is "
     "from or about is named by an id field (type: id)"),
    ("person: by.id", "person: level", "person: level",
     "/types/assessment/person: person names assessment.level, a scale field"),
    ("person: by.id", "person: verified_by", "person: verified_by",
     "/types/assessment/person: 'verified_by' is a field every record has"),
    ("    person: sponsor ", "    person: sponsor\n  stakeholder_feedback:\n    person: from.id\n ",
     "person: from.id", "/extend/stakeholder_feedback/person: stakeholder_feedback names its person in from.id "
     "already"),
    ("      skill: {", "      by.note: {type: text}\n      skill: {", "by.note:",
     "/types/assessment/fields/by.note/type: by.note: a field of an object field is never free text"),
    ("      skill: {", "      by: {type: boolean}\n      skill: {", "by.id:",
     "/types/assessment/fields/by.id: 'by' is declared as a field of its own"),
])
def test_lint_locates_a_person_field_that_is_not_an_id_of_the_type(tmp_path, run_cli, old, new, marker, message):
    assert old in VOCABULARY
    d = mini(tmp_path / "rules", {"two": CRITERIA["two"]}, VOCABULARY.replace(old, new, 1))
    f = d / "vocabulary.yaml"
    out = _lint(run_cli, d)
    assert f"{f}:{_line(f, marker)}: {message}" in out, out


def test_min_people_on_a_type_that_names_no_person_names_the_types_that_do(tmp_path, run_cli):
    d = mini(tmp_path / "rules", {"two": CRITERIA["two"]}, VOCABULARY.replace("    person: by.id\n", ""))
    out = _lint(run_cli, d)
    assert (f"probe.yaml:{_line(d / 'probe.yaml', 'min_people')}: /criteria/0/condition/min_people: min_people "
            "counts the people a record names; assessment names none (it applies to: executive_engagement, "
            "mentoring, stakeholder_feedback; a pack's own type names its person with person: in vocabulary.yaml)"
            ) in out, out


def test_a_type_id_field_takes_a_person_id_and_nothing_else(book):
    with pytest.raises(EvidenceError) as exc:
        checked(book, [rating("a1", "kw 1")])
    assert [p.path for p in exc.value.problems] == ["/evidence/0/by/id"]
    with pytest.raises(EvidenceError) as exc:
        checked(book, [{**rating("a1", "kw-1"), "by": {"id": "kw-1", "relationship": "peer", "team": "x"}}])
    assert [p.path for p in exc.value.problems] == ["/evidence/0/by"]


# -- the planner ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_book(tmp_path_factory):
    crits = {"two": CRITERIA["two"], "sponsors": CRITERIA["sponsors"]}
    return load_rules(mini(tmp_path_factory.mktemp("plan") / "rules", crits))


@pytest.mark.parametrize("have, planned", [
    ([], 2),
    ([rating("a1", "kw-1")], 1),
    ([rating("a1", "kw-1"), rating("a2", "KW_1")], 1),  # one person twice: one more person
    ([rating("a1", "probe-2"), rating("a2", "kw-1", level="aware")], 1),
])
def test_the_planner_proves_a_plan_of_distinct_new_givers(plan_book, have, planned):
    ev = Evaluator(plan_book)
    try:
        talks = [rec("x1", "executive_engagement", sponsor="exec-1")]
        p = checked(plan_book, have + talks)
        records, why = make_plan(ev, p, ev.evaluate(p))
        assert why is None, why
        mine = [r for r in records if r["type"] == "assessment"]
        assert len(mine) == planned and len(records) == planned + 1  # and one sponsor: a second person
        givers = {person_key(r["by"]["id"]) for r in mine} | {person_key(r["sponsor"]) for r in records
                                                                if r["type"] == "executive_engagement"}
        assert len(givers) == len(records)  # each planned record names a new person
        assert not givers & {person_key(x) for x in ("probe-1", "kw-1", "exec-1")}
        assert all(r["level"] in ("skilled", "expert") for r in mine)
        bare = [{k: v for k, v in r.items() if k != "planned"} for r in records]
        assert prove(ev, p, bare) is not None  # ready, proved by one firing
    finally:
        ev.close()


# -- the bundled types behave as before ---------------------------------------------------------------
@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The same criteria over the bundled types only, with no vocabulary at all."""
    crits = {k: CRITERIA[k] for k in BUNDLED_KINDS}
    b = load_rules(mini(tmp_path_factory.mktemp("plain") / "rules", crits, vocabulary=None))
    e = Evaluator(b)
    yield b, e
    e.close()


def _feedback(rng: random.Random, i: int) -> dict:
    who = rng.choice(["kw-1", "KW-1", "kw_1", "kw-2", "Kw.2", "kw-3", "kw-4", None])
    if rng.random() < 0.5:
        return rec(f"m{i}", "mentoring", months=rng.choice([2, 3, 6]),
                   mentee={"level": "base", **({"id": who} if who else {})})
    return rec(f"f{i}", "stakeholder_feedback", rating=rng.choice([3, 4, 5]),
               **{"from": {"relationship": rng.choice(["peer", "manager", "cross-functional"]),
                           **({"id": who} if who else {})}})


def _reading(records: list[dict], kind: str) -> bool:
    """docs/rules.md, "People, not records", read plainly: the different people among the records
    that match the leaf (compared as person_key compares them: case and separators aside)."""
    cond = CRITERIA[kind]
    field = PERSON_FIELD[cond["evidence"]]
    top, sub = field.split(".")
    ok = {"voices": lambda r: r["rating"] >= 4, "mentees": lambda r: r["months"] >= 3}[kind]
    people = {"".join(c for c in r[top][sub].lower() if c.isalnum()) for r in records
              if r["type"] == cond["evidence"] and ok(r) and sub in r[top]}
    return len(people) >= cond["min_people"]


def test_min_people_on_the_bundled_types_is_unchanged_by_a_packs_person_fields(book, ev, plain):
    """A pack that declares person fields of its own judges feedback and mentoring exactly as a
    pack without any: the same statuses, citations and reasons, as docs/rules.md reads them."""
    pbook, pev = plain
    rng = random.Random(28)
    for n in range(200):
        records = [_feedback(rng, i) for i in range(rng.randint(0, 7))]
        got = run(book, ev, *records) if records else {}
        want = run(pbook, pev, *records) if records else {}
        for kind in BUNDLED_KINDS:
            if not records:
                continue
            assert got[kind] == want[kind], (n, kind, records)
            assert (got[kind]["status"] == "met") == _reading(records, kind), (n, kind, records)


def test_the_bundled_ladder_compiles_to_the_same_rules_beside_a_packs_person_fields(tmp_path):
    """The bundled rules with a vocabulary that declares person fields of a pack's own compile every
    level to the very same ruleset (its name is the hash of the compiled rules)."""
    bundled = load_rules(ROOT / "rules")
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    (d / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    packed = load_rules(d)
    assert packed.people != bundled.people
    for lv in bundled.ordered_levels():
        assert compile_path(packed, (lv,)).name == compile_path(bundled, (lv,)).name, lv


def test_kestrels_fixture_of_one_giver_twice_is_not_ready(run_cli):
    kestrel = ROOT / "examples" / "kestrel"
    fx = kestrel / "fixtures" / "kit-l3-to-l4-not-ready.yaml"
    v = json.loads(run_cli("evaluate", fx, "--rules", kestrel / "rules", "--format", "json", "--no-plan").stdout)
    crit = next(c for c in v["criteria"] if c["id"] == "product-l4.rated-skilled")
    assert (v["verdict"], crit["status"]) == ("not_ready", "unmet")
    assert "from 1 person" in crit["reason"]


def test_new_writes_kestrels_assessment_with_its_giver_as_a_placeholder(tmp_path, run_cli):
    """`ladder new` plans the template like any packet: the assessment names a new person, which a
    packet may not keep (and a linked_to clause's type is found for its example too)."""
    kestrel = ROOT / "examples" / "kestrel"
    out = run_cli("new", "--rules", kestrel / "rules", "--target", "product-l4").stdout
    assert "    by:" in out and "      id: plan-person-" in out
    p = tmp_path / "t.yaml"
    p.write_text(out, encoding="utf-8")
    r = run_cli("validate", p, "--rules", kestrel / "rules", "--today", TODAY, exit_code=3)
    assert "/by/id: a placeholder person id: name the real person" in r.stdout, r.stdout
