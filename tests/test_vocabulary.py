"""Vocabulary a pack can extend (issue 15, point 3): rules/vocabulary.yaml adds themes, enum values
and optional fields to the packet schema's evidence types, and evidence types of the pack's own.
The pack's packet schema (validation, `ladder schema`) and its rules gain them; lint locates every
problem with the file; the bundled pack is unaffected."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from engine.core.evidence import check_document
from engine.core.facts import build_facts
from engine.base.loader import load_file
from engine.book.rules import load_rules
from engine.book.schema import bundled_packet_schema

from conftest import ROOT

KRULES = ROOT / "examples" / "kestrel" / "rules"
KFIX = ROOT / "examples" / "kestrel" / "fixtures"
TODAY = "2026-06-30"

FIELDS = """\
vocabulary_version: 1
themes: [experimentation]
extend:
  artifact:
    fields:
      kind: {type: string, values: [experiment-brief]}
  shipped_outcome:
    fields:
      channel: {type: string, values: [web, ios, android]}
      experiments: {type: integer, minimum: 0, maximum: 50}
      confidence: {type: number, minimum: 0, maximum: 1}
      reviewed: {type: boolean}
      platforms: {type: list, values: [web, ios, android]}
      context: {type: text, max_length: 200}
"""


def pack(tmp_path: Path, vocabulary: str, base: Path = ROOT / "rules") -> Path:
    """A copy of a pack (default: the bundled rules) with this vocabulary.yaml."""
    d = tmp_path / "rules"
    shutil.copytree(base, d)
    (d / "vocabulary.yaml").write_text(vocabulary, encoding="utf-8")
    return d


def packet(tmp_path: Path, *records: dict, name: str = "p.yaml") -> Path:
    data = {"schema_version": 1, "candidate": {"id": "emp-1", "current_level": "mid-pm", "target_level": "senior-pm"},
            "period": {"start": "2025-07-01", "end": "2026-06-30"},
            "evidence": [{"id": f"e{i}", "date": "2026-03-01", **r} for i, r in enumerate(records, 1)]}
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def scaffold(tmp_path: Path, run_cli) -> Path:
    """A copy of `ladder init`'s pack in a folder of its own (the rules are read once per folder and
    process, and init has read the one it wrote)."""
    run_cli("init", tmp_path / "init")
    return Path(shutil.copytree(tmp_path / "init", tmp_path / "pack"))


def line_of(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


SHIPPED = {"type": "shipped_outcome", "title": "Saved searches", "role": "led", "scope": "feature"}


# -- values and themes ------------------------------------------------------------------------
def test_an_added_value_and_theme_are_accepted_by_the_pack_and_rejected_by_the_bundled_pack(tmp_path, run_cli):
    d = pack(tmp_path, FIELDS)
    p = packet(tmp_path, {"type": "artifact", "title": "Checkout test brief", "kind": "experiment-brief",
                          "themes": ["experimentation", "delivery"]})
    run_cli("validate", p, "--rules", d, "--today", TODAY)
    out = run_cli("validate", p, "--today", TODAY, exit_code=3).stdout
    assert f"{p}:{line_of(p, 'kind: experiment-brief')}: /evidence/0/kind: 'experiment-brief' is not allowed " \
           "for kind" in out
    assert "/evidence/0/themes/0: 'experimentation' is not allowed for themes" in out


def test_values_added_to_a_shared_definition_apply_to_that_type_only(tmp_path, run_cli):
    """`role` is one definition every type shares; a value added on artifact is artifact's alone."""
    d = pack(tmp_path, "vocabulary_version: 1\nextend:\n  artifact:\n    fields:\n"
                       "      role: {type: string, values: [reviewed]}\n")
    ok = packet(tmp_path, {"type": "artifact", "title": "Spec", "kind": "spec", "role": "reviewed"})
    run_cli("validate", ok, "--rules", d, "--today", TODAY)
    no = packet(tmp_path, {**SHIPPED, "role": "reviewed"}, name="no.yaml")
    assert "/evidence/0/role: 'reviewed' is not allowed for role" in run_cli(
        "validate", no, "--rules", d, "--today", TODAY, exit_code=3).stdout


# -- new optional fields of each type ---------------------------------------------------------
def test_new_optional_fields_of_every_type_validate(tmp_path, run_cli):
    d = pack(tmp_path, FIELDS)
    p = packet(tmp_path, {**SHIPPED, "channel": "ios", "experiments": 3, "confidence": 0.8, "reviewed": True,
                          "platforms": ["web", "ios"], "context": "Shipped behind a flag"}, SHIPPED)
    run_cli("validate", p, "--rules", d, "--today", TODAY)


@pytest.mark.parametrize("field, value, message", [
    ("channel", "desktop", "'desktop' is not allowed for channel (one of: web, ios, android)"),
    ("experiments", "three", "must be a whole number, not 'three'"),
    ("experiments", 51, "51 is out of range: must be at most 50"),
    ("confidence", "high", "must be a number, not 'high'"),
    ("reviewed", "yes", "must be true or false, not 'yes'"),
    ("platforms", ["web", "tv"], "'tv' is not allowed for platforms"),
    ("platforms", "web", "must be a list, not 'web'"),
    ("context", 7, "must be text, not 7"),
])
def test_a_bad_value_of_a_new_field_names_file_line_and_field(tmp_path, run_cli, field, value, message):
    d = pack(tmp_path, FIELDS)
    p = packet(tmp_path, {**SHIPPED, field: value})
    out = run_cli("validate", p, "--rules", d, "--today", TODAY, exit_code=3).stdout
    line = line_of(p, f"{field}:")
    where = f"/evidence/0/{field}" + ("/1" if value == ["web", "tv"] else "")
    assert f"{p}:{line + (2 if value == ['web', 'tv'] else 0)}: {where}: {message}" in out, out



@pytest.mark.parametrize("field, value, message", [
    # a value that differs only in case is named, however far apart the spellings are ('RICE'/'rice')
    ("method", "RICE", "'RICE' is not allowed for method; did you mean 'rice'? (one of: rice, kano, moscow)"),
    ("method", "Kano", "'Kano' is not allowed for method; did you mean 'kano'?"),
    ("channel", "IOS", "'IOS' is not allowed for channel; did you mean 'ios'? (one of: web, ios, android)"),
    ("platforms", ["web", "Android"], "'Android' is not allowed for platforms; did you mean 'android'?"),
    ("risk", "HIGH", "'HIGH' is not allowed for risk; did you mean 'high'?"),  # a bundled value
    ("method", "wsjf", "'wsjf' is not allowed for method (one of: rice, kano, moscow)"),  # nothing close: no hint
])
def test_a_value_in_the_wrong_case_gets_a_did_you_mean(tmp_path, run_cli, field, value, message):
    d = pack(tmp_path, FIELDS + "      method: {type: string, values: [rice, kano, moscow]}\n")
    p = packet(tmp_path, {**SHIPPED, field: value})
    out = run_cli("validate", p, "--rules", d, "--today", TODAY, exit_code=3).stdout
    assert message in out, out


def test_fields_added_to_a_bundled_type_stay_optional_and_bundled_packets_still_validate(tmp_path, run_cli):
    d = pack(tmp_path, FIELDS)
    for fx in sorted((ROOT / "fixtures").glob("*.yaml"))[:8]:
        run_cli("validate", fx, "--rules", d)


# -- a new evidence type in rules and in the engine -------------------------------------------
def test_a_new_type_is_used_by_a_rule_and_fired_by_the_engine(run_cli):
    """examples/kestrel's `experiment` (vocabulary.yaml) counts for product-l4.settles-by-experiment."""
    v = json.loads(run_cli("evaluate", KFIX / "hal-l3-to-l4-ready.yaml", "--rules", KRULES,
                           "--format", "json").stdout)
    crit = next(c for c in v["criteria"] if c["id"] == "product-l4.settles-by-experiment")
    assert (crit["status"], crit["evidence"], v["verdict"]) == ("met", ["ev-4", "ev-5"], "ready")


def test_a_new_type_that_does_not_match_leaves_the_criterion_unmet_with_a_reason(tmp_path, run_cli):
    data = yaml.safe_load((KFIX / "hal-l3-to-l4-ready.yaml").read_text())
    data["evidence"][4]["acted_on"] = False
    p = tmp_path / "eve.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    v = json.loads(run_cli("evaluate", p, "--rules", KRULES, "--format", "json", "--no-plan").stdout)
    crit = next(c for c in v["criteria"] if c["id"] == "product-l4.settles-by-experiment")
    assert crit["status"] == "unmet" and v["verdict"] == "not_ready"
    assert "needs at least 2 experiment records where acted_on is true" in crit["reason"]


def test_a_plan_proposes_records_of_a_new_type_that_prove_ready(tmp_path, run_cli):
    """The plan is synthesised from the pack's schema, so it can write records of the pack's types."""
    d = pack(tmp_path, (KRULES / "vocabulary.yaml").read_text(), base=KRULES)
    lv = d / "product-l4.yaml"
    head, tail = lv.read_text().split("  - id: product-l4.settles-by-experiment")
    lv.write_text(head + "  - id: product-l4.settles-by-experiment" + tail.replace("required: false", "required: true"))
    data = yaml.safe_load((KFIX / "hal-l3-to-l4-ready.yaml").read_text())
    data["evidence"] = [e for e in data["evidence"] if e["type"] != "experiment"]
    p = tmp_path / "eve.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    v = json.loads(run_cli("evaluate", p, "--rules", d, "--format", "json").stdout)
    planned = [r for r in v["plan"] if r["type"] == "experiment"]
    assert v["verdict"] != "ready" and len(planned) == 2
    assert all(r["acted_on"] is True and r["result"] in ("win", "loss", "flat") for r in planned)


def test_facts_carry_the_new_fields_rules_read_and_never_free_text():
    book = load_rules(KRULES)
    pk = check_document(load_file(KFIX / "hal-l3-to-l4-ready.yaml"), book)
    facts = [f for f in build_facts(pk, book, ("product-l4",)) if f["type"] == "experiment"]
    assert [(f["acted_on"], f["result"]) for f in facts] == [(True, "win"), (True, "flat")]
    assert not any({"hypothesis", "title", "arms"} & set(f) for f in facts)


def test_every_operator_family_works_on_declared_fields(tmp_path, run_cli):
    """distinct, mean, contains_any, gte on fields a vocabulary declares, compiled and fired."""
    d = scaffold(tmp_path, run_cli)
    (d / "rules" / "vocabulary.yaml").write_text(
        "vocabulary_version: 1\ntypes:\n  experiment:\n    fields:\n"
        "      result: {type: string, values: [win, loss, flat], required: true}\n"
        "      arms: {type: integer, minimum: 2, maximum: 20}\n"
        "      lift: {type: number, minimum: -100, maximum: 100}\n"
        "      surfaces: {type: list, values: [web, ios, android]}\n")
    lv = d / "rules" / "pm-1.yaml"
    lv.write_text(lv.read_text() + """\
  - id: pm-1.experiments
    title: Runs experiments across surfaces and results
    source: "PM1 — Insight"
    required: true
    condition:
      all_of:
        - evidence: experiment
          where: {arms: {gte: 3}, surfaces: {contains_any: [ios, android]}}
        - evidence: experiment
          distinct: {field: result, min: 2}
        - evidence: experiment
          mean: {field: lift, gte: 1.5, min_records: 2}
""")
    run_cli("rules", "lint", "--rules", d / "rules")
    fx = next((d / "fixtures").glob("*.yaml"))
    data = yaml.safe_load(fx.read_text())
    data["evidence"] += [
        {"id": "x1", "type": "experiment", "date": "2025-05-01", "title": "Checkout copy test", "result": "win",
         "arms": 3, "lift": 2.0, "surfaces": ["ios"]},
        {"id": "x2", "type": "experiment", "date": "2025-06-01", "title": "Onboarding tour test", "result": "flat",
         "lift": 1.0}]
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    v = json.loads(run_cli("evaluate", p, "--rules", d / "rules", "--format", "json").stdout)
    crit = next(c for c in v["criteria"] if c["id"] == "pm-1.experiments")
    assert crit["status"] == "met" and v["verdict"] == "ready", crit
    data["evidence"][-1]["lift"] = 0.5  # mean 1.25 < 1.5
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    v = json.loads(run_cli("evaluate", p, "--rules", d / "rules", "--format", "json", "--no-plan").stdout)
    assert next(c for c in v["criteria"] if c["id"] == "pm-1.experiments")["status"] == "unmet"


def test_a_rule_on_a_declared_text_field_is_an_error(tmp_path, run_cli):
    d = pack(tmp_path, "vocabulary_version: 1\ntypes:\n  experiment:\n    fields:\n"
                       "      hypothesis: {type: text}\n", base=KRULES)
    lv = d / "product-l4.yaml"
    lv.write_text(lv.read_text().replace("        acted_on: true\n", "        hypothesis: pricing\n"))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"{lv}:{line_of(lv, 'hypothesis: pricing')}:" in r.stderr
    assert "experiment has no field 'hypothesis' (free text is not matched by rules)" in r.stderr


# -- the effective schema ---------------------------------------------------------------------
def test_ladder_schema_of_the_example_pack_includes_its_vocabulary(run_cli):
    schema = json.loads(run_cli("schema", "--rules", KRULES).stdout)
    assert "experiment" in schema["$defs"]["evidence"]["properties"]["type"]["enum"]
    exp = schema["$defs"]["experiment"]
    assert exp["required"] == ["id", "type", "date", "title", "result"]
    assert exp["properties"]["hypothesis"]["x-ladder-free-text"] is True
    bundled = json.loads(run_cli("schema").stdout)
    assert "experiment" not in bundled["$defs"] and bundled == bundled_packet_schema().data
    assert "### experiment" in run_cli("schema", "--rules", KRULES, "--format", "markdown").stdout


def test_a_pack_without_a_vocabulary_keeps_its_rules_version(tmp_path):
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    assert load_rules(d).version == load_rules().version
    (d / "vocabulary.yaml").write_text("# nothing declared yet\n")
    assert load_rules(d).version == load_rules().version
    assert load_rules(d).packet_schema == bundled_packet_schema()


def test_the_scaffolds_commented_example_lints_clean_once_uncommented(tmp_path, run_cli):
    d = scaffold(tmp_path, run_cli)
    f = d / "rules" / "vocabulary.yaml"
    lines = f.read_text().splitlines()
    start = lines.index("#") + 1
    f.write_text("\n".join(ln[2:] for ln in lines[start:]) + "\n")
    run_cli("rules", "lint", "--rules", d / "rules", "--strict")
    assert "experiment" in json.loads(run_cli("schema", "--rules", d / "rules").stdout)["$defs"]


# -- lint: every problem with the fragment, located -------------------------------------------
BAD = [
    ("unknown-type", "extend:\n  artefact:\n    fields:\n      x: {type: boolean}\n", "artefact:",
     "/extend/artefact: unknown evidence type 'artefact'; did you mean 'artifact'?"),
    ("incompatible", "extend:\n  shipped_outcome:\n    fields:\n      risk: {type: integer}\n", "risk:",
     "/extend/shipped_outcome/fields/risk/type: shipped_outcome.risk is already a field of type string; it "
     "cannot be redefined as integer"),
    ("redefined", "extend:\n  shipped_outcome:\n    fields:\n      on_time: {type: boolean}\n", "on_time:",
     "shipped_outcome.on_time is already a boolean field; only a field with a fixed list of values can be "
     "extended"),
    ("value-twice", "extend:\n  artifact:\n    fields:\n      kind: {type: string, values: [spec]}\n", "kind:",
     "/extend/artifact/fields/kind/values/0: 'spec' is already allowed for artifact.kind"),
    ("theme-twice", "themes: [delivery]\n", "themes:", "/themes/0: 'delivery' is already a theme"),
    ("themes-per-type", "extend:\n  artifact:\n    fields:\n      themes: {type: list, values: [x]}\n", "themes:",
     "themes are one vocabulary for every evidence type"),
    ("required-on-bundled", "extend:\n  artifact:\n    fields:\n      reviewed: {type: boolean, required: true}\n",
     "reviewed:", "/extend/artifact/fields/reviewed/required: a field added to an existing evidence type stays "
     "optional"),
    ("envelope-on-bundled", "extend:\n  artifact:\n    fields:\n      type: {type: string, values: [memo]}\n",
     "type:", "/extend/artifact/fields/type: 'type' is a field every record has; it cannot be redeclared"),
    ("type-clash", "types:\n  artifact:\n    fields: {}\n", "artifact:",
     "/types/artifact: 'artifact' is already an evidence type of the packet schema: add to it under extend:"),
    ("def-clash", "types:\n  metric:\n    fields: {}\n", "metric:",
     "/types/metric: 'metric' clashes with the packet schema's definition of the same name"),
    ("envelope", "types:\n  experiment:\n    fields:\n      title: {type: text}\n", "title:",
     "/types/experiment/fields/title: 'title' is a field every record has already"),
    ("fact-name", "types:\n  experiment:\n    fields:\n      age_days: {type: integer}\n", "age_days:",
     "'age_days' is a name ladder keeps for free text or for its own facts"),
    ("tenure", "types:\n  experiment:\n    fields:\n      years_in_role: {type: integer}\n", "years_in_role:",
     "'years_in_role' reads as tenure or time in level"),
    ("no-values", "types:\n  experiment:\n    fields:\n      result: {type: string}\n", "result:",
     "a string field needs values: (the fixed list of what it may hold); free text is type: text"),
    ("key-not-for-type", "types:\n  experiment:\n    fields:\n      ok: {type: boolean, values: [a]}\n", "ok:",
     "/types/experiment/fields/ok/values: values does not apply to a boolean field"),
    ("min-above-max", "types:\n  experiment:\n    fields:\n      arms: {type: integer, minimum: 5, maximum: 2}\n",
     "arms:", "minimum 5 is above maximum 2"),
    ("fractional-bound", "types:\n  experiment:\n    fields:\n      arms: {type: integer, minimum: 1.5}\n",
     "arms:", "an integer field's minimum and maximum are whole numbers"),
    ("unknown-field-type", "types:\n  experiment:\n    fields:\n      seen: {type: date}\n", "seen:",
     "/types/experiment/fields/seen/type: 'date' is not one of"),
    ("unknown-key", "typs:\n  experiment: {}\n", "typs:", "unknown key"),
    ("dotted-not-an-object", "extend:\n  shipped_outcome:\n    fields:\n      risk.level: {type: boolean}\n",
     "risk.level:", "shipped_outcome has no object field 'risk' to add 'level' to"),
    ("dotted-on-a-flat-field", "types:\n  experiment:\n    fields:\n      arm: {type: integer}\n"
     "      arm.size: {type: integer}\n", "arm.size:", "'arm' is declared as a field of its own"),
    ("dotted-twice", "extend:\n  stakeholder_feedback:\n    fields:\n      from.team.name: {type: boolean}\n",
     "from.team.name:", "'from.team.name' is not a name of lower-case letters and '_'"),
    ("dotted-free-text", "extend:\n  stakeholder_feedback:\n    fields:\n      from.role: {type: string, values: [x]}\n",
     "from.role:", "stakeholder_feedback.from.role is already a field of type text"),
]


@pytest.mark.parametrize("case, body, marker, message", BAD, ids=[b[0] for b in BAD])
def test_lint_locates_each_problem_of_the_vocabulary(tmp_path, run_cli, case, body, marker, message):
    d = pack(tmp_path, "vocabulary_version: 1\n" + body)
    f = d / "vocabulary.yaml"
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"{f}:{line_of(f, marker)}: " in r.stderr and message in r.stderr, r.stderr


@pytest.mark.parametrize("text, message", [
    ("- experiment\n", "the vocabulary file must be a mapping starting with vocabulary_version: 1"),
    ("themes: [x-ray]\n", "'vocabulary_version' is a required property"),
    ("vocabulary_version: 1\nthemes: [oops\n", "vocabulary.yaml:3: not valid YAML"),
])
def test_a_malformed_vocabulary_file_is_a_rules_error_not_a_traceback(tmp_path, run_cli, text, message):
    d = pack(tmp_path, text)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert message in r.stderr, r.stderr
    run_cli("validate", ROOT / "fixtures" / "noor-ashgrove-mid-to-senior-ready.yaml", "--rules", d, exit_code=4)


def test_a_nested_field_of_a_bundled_type_is_declared_validated_and_counted_by_distinct(tmp_path, run_cli):
    """`from.counterpart` (issue 28, point 3): a field of the feedback giver, declared in the
    vocabulary, checked in packets at its own pointer, carried into the engine's facts and usable
    by `distinct`: feedback from two kinds of counterpart meets "at least 2", two from one does not."""
    d = pack(tmp_path, "vocabulary_version: 1\nextend:\n  stakeholder_feedback:\n    fields:\n"
                       "      from.counterpart: {type: string, values: [design, engineering, data]}\n")
    lv = d / "senior-pm.yaml"
    lv.write_text(lv.read_text(encoding="utf-8") + """\
  - id: senior-pm.counterparts
    title: Works with several disciplines, as their feedback shows
    source: "Level 2 · What success looks like"
    required: false
    basis: policy
    basis_note: "2 disciplines: a probe of a nested declared field"
    condition:
      evidence: stakeholder_feedback
      distinct: {field: from.counterpart, min: 2}
""", encoding="utf-8")
    run_cli("rules", "lint", "--rules", d)

    def fb(i: int, who: str) -> dict:
        return {"type": "stakeholder_feedback", "rating": 5,
                "from": {"id": f"g{i}", "relationship": "cross-functional", "counterpart": who}}

    def status(*records: dict) -> str:
        v = json.loads(run_cli("evaluate", packet(tmp_path, *records), "--rules", d, "--format", "json",
                               "--no-plan", "--today", TODAY).stdout)
        return next(c["status"] for c in v["criteria"] if c["id"] == "senior-pm.counterparts")

    assert status(fb(1, "design"), fb(2, "engineering")) == "met"
    assert status(fb(1, "design"), fb(2, "design")) == "unmet"
    r = run_cli("validate", packet(tmp_path, fb(1, "marketing")), "--rules", d, exit_code=3)
    assert "/evidence/0/from/counterpart" in r.stdout
    # the bundled pack knows no such field
    run_cli("validate", packet(tmp_path, fb(1, "design")), exit_code=3)
