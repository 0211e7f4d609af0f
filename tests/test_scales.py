"""Ordered value sets (issue 28, point 1): a pack's vocabulary declares `scales:` (lowest first), a
field of `type: scale` holds one member, and a rule compares it by its place in the scale
(`level: {gte: skilled}`). The comparison is written, when the rules load, as the `in` list of the
members it allows, so the engine fires an ordinary `in` pattern; lint and packet checks locate
every misuse; a pack without scales is unchanged."""
from __future__ import annotations

import json
import shutil
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.book.compiler import compile_path, leaf_pattern
from engine.core.evaluator import Evaluator
from engine.core.evidence import check_document
from engine.book.fields import evidence_fields, scales_as_lists
from engine.base.loader import Document
from engine.book.rules import load_rules

from conftest import ROOT

SCALE = ["aware", "adept", "skilled", "expert"]
ORDER = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b,
         "lt": lambda a, b: a < b}
VOCAB = """\
vocabulary_version: 1
scales:
  proficiency: [aware, adept, skilled, expert]
extend:
  stakeholder_feedback:
    fields:
      from.standing: {type: scale, scale: proficiency}
types:
  assessment:
    fields:
      level: {type: scale, scale: proficiency, required: true}
"""
# Every order comparison that some member satisfies: gt expert and lt aware can never hold (lint).
CASES = [(op, m) for op in ORDER for m in SCALE if (op, m) not in (("gt", "expert"), ("lt", "aware"))]
TODAY = "2026-06-30"


def criterion(cid: str, evidence: str, where: str) -> str:
    return f"""\
  - id: senior-pm.{cid}
    title: Probe {cid}
    source: "Level 2 · What success looks like"
    required: false
    condition:
      evidence: {evidence}
      where: {where}
"""


def make_pack(root: Path, criteria: str, vocabulary: str = VOCAB) -> Path:
    d = root / "rules"
    shutil.copytree(ROOT / "rules", d)
    (d / "vocabulary.yaml").write_text(vocabulary, encoding="utf-8")
    lv = d / "senior-pm.yaml"
    lv.write_text(lv.read_text(encoding="utf-8") + criteria, encoding="utf-8")
    return d


PROBES = criterion("eq", "assessment", "{level: expert}") + criterion("in", "assessment", "{level: {in: [aware, skilled]}}") + \
    "".join(criterion(f"{op}-{m}", "assessment", f"{{level: {{{op}: {m}}}}}") for op, m in CASES) + \
    criterion("voice", "stakeholder_feedback", "{from.standing: {gt: adept}}") + \
    criterion("band", "assessment", "{level: {gte: adept, lt: expert}}")


@lru_cache(maxsize=1)
def probe_book(root: str):
    book = load_rules(make_pack(Path(root), PROBES))
    return book, Evaluator(book)


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    return probe_book(str(tmp_path_factory.mktemp("scales")))


def packet_data(*records: dict) -> dict:
    return {"schema_version": 1,
            "candidate": {"id": "emp-1", "current_level": "mid-pm", "target_level": "senior-pm"},
            "period": {"start": "2025-07-01", "end": "2026-06-30"},
            "evidence": [{"id": f"e{i}", "date": "2026-03-01", "title": f"Record {i}", **r}
                         for i, r in enumerate(records, 1)]}


def statuses(probes, *records: dict) -> dict[str, str]:
    book, ev = probes
    data = packet_data(*records)
    pk = check_document(Document("p.json", data, json.dumps(data), "json"), book)
    return {c.id.removeprefix("senior-pm."): c.status for c in ev.evaluate(pk).criteria}


def assessment(level: str) -> dict:
    return {"type": "assessment", "level": level}


def feedback(standing: str | None) -> dict:
    giver = {"id": "g1", "relationship": "peer", **({"standing": standing} if standing else {})}
    return {"type": "stakeholder_feedback", "rating": 4, "from": giver}


# -- exactly at each member -------------------------------------------------------------------
@pytest.mark.parametrize("op, threshold, value, status", [
    ("gte", "skilled", "skilled", "met"), ("gte", "skilled", "adept", "unmet"), ("gte", "skilled", "expert", "met"),
    ("gt", "skilled", "skilled", "unmet"), ("gt", "skilled", "expert", "met"), ("gt", "adept", "skilled", "met"),
    ("lte", "adept", "adept", "met"), ("lte", "adept", "skilled", "unmet"), ("lte", "adept", "aware", "met"),
    ("lt", "adept", "adept", "unmet"), ("lt", "adept", "aware", "met"), ("lt", "skilled", "adept", "met"),
    ("gte", "aware", "aware", "met"), ("lte", "expert", "expert", "met"),
    ("gt", "aware", "aware", "unmet"), ("lt", "expert", "expert", "unmet"),
])
def test_a_comparison_holds_exactly_at_its_boundary(probes, op, threshold, value, status):
    assert statuses(probes, assessment(value))[f"{op}-{threshold}"] == status


def test_every_comparison_against_every_member_matches_the_scale_order(probes):
    for value in SCALE:
        got = statuses(probes, assessment(value))
        for op, m in CASES:
            want = ORDER[op](SCALE.index(value), SCALE.index(m))
            assert got[f"{op}-{m}"] == ("met" if want else "unmet"), (op, m, value)
        assert got["band"] == ("met" if value in ("adept", "skilled") else "unmet"), value


def test_a_nested_scale_field_is_compared_and_a_missing_one_never_holds(probes):
    assert statuses(probes, feedback("skilled"))["voice"] == "met"
    assert statuses(probes, feedback("adept"))["voice"] == "unmet"
    assert statuses(probes, feedback(None))["voice"] == "unmet"


# -- the engine against a plain reading of the scale order ------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(levels=st.lists(st.sampled_from(SCALE), max_size=4),
       standings=st.lists(st.one_of(st.none(), st.sampled_from(SCALE)), max_size=3))
def test_the_engine_agrees_with_the_index_in_the_declared_list(probes, levels, standings):
    got = statuses(probes, *[assessment(v) for v in levels], *[feedback(s) for s in standings])
    for op, m in CASES:
        want = any(ORDER[op](SCALE.index(v), SCALE.index(m)) for v in levels)
        assert got[f"{op}-{m}"] == ("met" if want else "unmet"), (op, m, levels)
    assert got["band"] == ("met" if any(1 <= SCALE.index(v) < 3 for v in levels) else "unmet")
    assert got["voice"] == ("met" if any(s is not None and SCALE.index(s) > 1 for s in standings) else "unmet")


def test_the_probe_pack_lints_clean_and_eq_and_in_take_members(run_cli, probes):
    """`level` of a pack's own type is its scale's field, not a ladder level id."""
    run_cli("rules", "lint", "--rules", probes[0].directory)
    assert statuses(probes, assessment("expert"))["eq"] == "met"
    assert statuses(probes, assessment("adept"))["in"] == "unmet"
    assert statuses(probes, assessment("skilled"))["in"] == "met"


def test_a_string_field_of_its_own_named_level_takes_its_own_values(tmp_path, run_cli):
    d = make_pack(tmp_path, criterion("x", "assessment", "{level: {in: [junior, senior]}}"),
                  vocabulary="vocabulary_version: 1\ntypes:\n  assessment:\n    fields:\n"
                             "      level: {type: string, values: [junior, senior]}\n")
    run_cli("rules", "lint", "--rules", d)


# -- how it is compiled and explained ---------------------------------------------------------
def test_an_order_comparison_compiles_to_an_ordinary_in_pattern(probes):
    book, _ = probes
    by_id = {c.id: c for c in book.all_criteria()}
    assert by_id["senior-pm.gte-skilled"].condition["where"] == {"level": {"in": ["skilled", "expert"]}}
    assert by_id["senior-pm.lt-adept"].condition["where"] == {"level": {"in": ["aware"]}}
    assert by_id["senior-pm.band"].condition["where"] == {"level": {"in": ["adept", "skilled"]}}
    assert by_id["senior-pm.voice"].condition["where"] == {"from.standing": {"in": ["skilled", "expert"]}}
    terms = leaf_pattern(by_id["senior-pm.gte-skilled"].condition)["$and"]
    assert {"$or": [{"level": "skilled"}, {"level": "expert"}]} in terms
    assert {"level": "aware"} in leaf_pattern(by_id["senior-pm.lt-adept"].condition)["$and"]
    relational = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("$gt", "$gte", "$lt", "$lte") and set(v) & {"level", "from.standing"}:
                    relational.append(node)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(compile_path(book, ("senior-pm",)).rules)
    assert relational == []  # the engine tests members for equality only


def test_an_unmet_comparison_is_explained_by_the_members_it_allows(probes):
    book, ev = probes
    data = packet_data(assessment("adept"))
    v = ev.evaluate(check_document(Document("p.json", data, json.dumps(data), "json"), book))
    crit = next(c for c in v.criteria if c.id == "senior-pm.gte-skilled")
    assert crit.status == "unmet" and "level is skilled or expert" in crit.reason, crit.reason


# -- lint -------------------------------------------------------------------------------------
def line_of(path: Path, text: str, after: str | None = None) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0 if after is None else next(i for i, ln in enumerate(lines) if after in ln)
    return next(i for i, ln in enumerate(lines[start:], start + 1) if text in ln)


RULE_ERRORS = [
    ("not-a-member", criterion("x", "assessment", "{level: {gte: skiled}}"), "level: {gte: skiled}",
     "/where/level: gte on assessment.level compares members of the scale proficiency; 'skiled' is not one; "
     "did you mean 'skilled'? (lowest first: aware, adept, skilled, expert)"),
    ("a-number", criterion("x", "assessment", "{level: {lt: 3}}"), "level: {lt: 3}",
     "lt on assessment.level compares members of the scale proficiency; 3 is not one"),
    ("in-not-a-member", criterion("x", "assessment", "{level: {in: [skilled, master]}}"), "level: {in:",
     "'master' can never occur in assessment.level"),
    ("nested-not-a-member", criterion("x", "stakeholder_feedback", "{from.standing: {lte: Expert}}"),
     "from.standing: {lte: Expert}", "'Expert' is not one; did you mean 'expert'?"),
    ("string-field", criterion("x", "shipped_outcome", "{risk: {gte: medium}}"), "risk: {gte: medium}",
     "/where/risk: gte compares numbers; shipped_outcome.risk is string (or the members of a scale: a field "
     "whose values are ordered is declared type: scale in vocabulary.yaml)"),
    ("number-field", criterion("x", "stakeholder_feedback", "{rating: {gte: high}}"), "rating: {gte: high}",
     "gte compares numbers; stakeholder_feedback.rating is a number, not 'high'"),
    ("above-the-top", criterion("x", "assessment", "{level: {gt: expert}}"), "level: {gt: expert}",
     "gt expert can never hold: expert is the top of the scale proficiency"),
    ("below-the-bottom", criterion("x", "assessment", "{level: {lt: aware}}"), "level: {lt: aware}",
     "lt aware can never hold: aware is the bottom of the scale proficiency"),
    ("empty-band", criterion("x", "assessment", "{level: {gte: skilled, lt: adept}}"), "level: {gte: skilled",
     "assessment.level: no member of the scale proficiency satisfies all of gte skilled, lt adept"),
]


@pytest.mark.parametrize("case, crit, marker, message", RULE_ERRORS, ids=[c[0] for c in RULE_ERRORS])
def test_lint_locates_a_bad_comparison_on_a_scale(tmp_path, run_cli, case, crit, marker, message):
    d = make_pack(tmp_path, crit)
    f = d / "senior-pm.yaml"
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"{f}:{line_of(f, marker, after='senior-pm.x')}: " in r.stderr and message in r.stderr, r.stderr


VOCAB_ERRORS = [
    ("duplicate", VOCAB.replace("[aware, adept, skilled, expert]", "[aware, adept, adept, expert]"),
     "proficiency:", "/scales/proficiency/2: 'adept' is in scale proficiency twice"),
    ("one-member", VOCAB.replace("[aware, adept, skilled, expert]", "[expert]"), "proficiency:",
     "/scales/proficiency: scale proficiency has 1 member: a scale orders at least two values, lowest first"),
    ("no-members", VOCAB.replace("[aware, adept, skilled, expert]", "[]"), "proficiency:",
     "scale proficiency has 0 members"),
    ("unknown-scale", VOCAB.replace("level: {type: scale, scale: proficiency", "level: {type: scale, scale: proficency"),
     "level: {type: scale", "/types/assessment/fields/level/scale: unknown scale 'proficency'; did you mean "
     "'proficiency'? (scales declared: proficiency"),
    ("nested-unknown-scale", VOCAB.replace("standing: {type: scale, scale: proficiency}",
                                           "standing: {type: scale, scale: rank}"),
     "from.standing:", "/extend/stakeholder_feedback/fields/from.standing/scale: unknown scale 'rank'"),
    ("no-scale-named", VOCAB.replace("level: {type: scale, scale: proficiency, required: true}", "level: {type: scale}"),
     "level: {type: scale", "a scale field names its scale: {type: scale, scale: NAME}"),
    ("scale-on-a-string", VOCAB.replace("level: {type: scale, scale: proficiency, required: true}",
                                        "level: {type: string, values: [a, b], scale: proficiency}"),
     "level: {type: string", "/types/assessment/fields/level/scale: scale does not apply to a string field"),
    ("bad-member", VOCAB.replace("[aware, adept, skilled, expert]", "[aware, Adept]"), "proficiency:",
     "/scales/proficiency/1"),
]


@pytest.mark.parametrize("case, vocab, marker, message", VOCAB_ERRORS, ids=[c[0] for c in VOCAB_ERRORS])
def test_lint_locates_a_bad_scale_declaration(tmp_path, run_cli, case, vocab, marker, message):
    d = make_pack(tmp_path, "", vocabulary=vocab)
    f = d / "vocabulary.yaml"
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"{f}:{line_of(f, marker)}: " in r.stderr and message in r.stderr, r.stderr


# -- packets ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def probe_dir(probes):
    return Path(probes[0].directory)


@pytest.mark.parametrize("record, field, pointer, message", [
    (assessment("skiled"), "level: skiled", "/evidence/0/level",
     "'skiled' is not allowed for level; did you mean 'skilled'? (one of: aware, adept, skilled, expert)"),
    (assessment("Expert"), "level: Expert", "/evidence/0/level", "did you mean 'expert'?"),
    (feedback("master"), "standing: master", "/evidence/0/from/standing", "'master' is not allowed for standing"),
    ({"type": "assessment"}, "- id: e1", "/evidence/0",
     "missing required field 'level' (one of: aware, adept, skilled, expert)"),
])
def test_a_packet_value_outside_the_scale_is_refused_with_file_line_and_field(
        tmp_path, run_cli, probe_dir, record, field, pointer, message):
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(packet_data(record), sort_keys=False), encoding="utf-8")
    out = run_cli("validate", p, "--rules", probe_dir, "--today", TODAY, exit_code=3).stdout
    assert f"{p}:{line_of(p, field)}: {pointer}: " in out and message in out, out


def test_a_scale_field_in_a_packet_of_the_pack_is_valid_and_the_bundled_pack_knows_no_such_type(
        tmp_path, run_cli, probe_dir):
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(packet_data(assessment("skilled"), feedback("aware")), sort_keys=False))
    run_cli("validate", p, "--rules", probe_dir, "--today", TODAY)
    run_cli("validate", p, "--today", TODAY, exit_code=3)


def test_the_packet_schema_lists_the_members_lowest_first(run_cli, probes):
    book, _ = probes
    f = evidence_fields(book.packet_schema)
    assert (f["assessment"]["level"].enum, f["assessment"]["level"].scale) == (tuple(SCALE), "proficiency")
    assert f["stakeholder_feedback"]["from.standing"].scale == "proficiency"
    assert f["stakeholder_feedback"]["from.relationship"].scale is None


# -- a pack without scales --------------------------------------------------------------------
def test_a_pack_without_scales_compiles_its_conditions_as_written():
    book = load_rules(ROOT / "rules")
    types = evidence_fields(book.packet_schema)
    for c in book.all_criteria():
        assert scales_as_lists(c.condition, types) is c.condition, c.id
    assert not any(f.scale for fs in types.values() for f in fs.values())


# -- examples/kestrel: an `assessment` type rated on its `proficiency` scale -----------------------
KESTREL = ROOT / "examples" / "kestrel"


def test_kestrels_rated_skilled_counts_givers_at_or_above_skilled(run_cli):
    v = json.loads(run_cli("evaluate", KESTREL / "fixtures" / "ivy-l3-to-l4-ready.yaml", "--rules",
                           KESTREL / "rules", "--format", "json").stdout)
    crit = next(c for c in v["criteria"] if c["id"] == "product-l4.rated-skilled")
    assert (crit["status"], crit["evidence"], v["verdict"]) == ("met", ["ev-5", "ev-6"], "ready")
    book = load_rules(KESTREL / "rules")
    cond = next(c.condition for c in book.all_criteria() if c.id == "product-l4.rated-skilled")
    assert cond["where"]["level"] == {"in": ["skilled", "expert"]}


@pytest.mark.parametrize("peer, status", [("skilled", "met"), ("adept", "unmet"), ("expert", "met")])
def test_kestrels_peer_rating_decides_the_second_giver_at_the_boundary(tmp_path, run_cli, peer, status):
    data = yaml.safe_load((KESTREL / "fixtures" / "ivy-l3-to-l4-ready.yaml").read_text(encoding="utf-8"))
    next(e for e in data["evidence"] if e["id"] == "ev-6")["level"] = peer
    p = tmp_path / "ivy.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    v = json.loads(run_cli("evaluate", p, "--rules", KESTREL / "rules", "--format", "json", "--no-plan").stdout)
    assert next(c["status"] for c in v["criteria"] if c["id"] == "product-l4.rated-skilled") == status


def test_a_plan_proposes_members_that_satisfy_a_required_scale_criterion(tmp_path, run_cli):
    """The planner takes a pack's own `level` field for its scale, not for a ladder level."""
    d = tmp_path / "rules"
    shutil.copytree(KESTREL / "rules", d)
    lv = d / "product-l4.yaml"
    head, tail = lv.read_text(encoding="utf-8").split("  - id: product-l4.rated-skilled")
    lv.write_text(head + "  - id: product-l4.rated-skilled" + tail.replace("required: false", "required: true"),
                  encoding="utf-8")
    v = json.loads(run_cli("evaluate", KESTREL / "fixtures" / "hal-l3-to-l4-ready.yaml", "--rules", d,
                           "--format", "json").stdout)
    planned = [r for r in v["plan"] if r["type"] == "assessment"]
    assert v["verdict"] != "ready" and len(planned) == 2, v.get("plan_note")
    assert all(r["level"] in ("skilled", "expert") and r["skill"] == "craft" for r in planned)
    assert len({r["by"]["id"] for r in planned}) == 2  # min_people 2: two givers
