"""Bring your own ladder (issue 15): a company's pack is the authority on its levels, tracks and
sources, and works end to end (validate, evaluate, batch, rules test, audit) with no workaround.

examples/kestrel is such a pack: four levels with digits in their ids, its own track and its own
source labels."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from engine.book.rules import load_rules
from engine.book.schema import bundled_packet_schema

from conftest import FIXTURES, ROOT

KESTREL = ROOT / "examples" / "kestrel"
KRULES = KESTREL / "rules"
KFIX = KESTREL / "fixtures"
TODAY = "2026-06-30"


def kpacket(tmp_path: Path, name: str = "p.yaml", **cand) -> Path:
    data = {"schema_version": 1,
            "candidate": {"id": "kw-9", "current_level": "product-l1", "target_level": "product-l2", **cand},
            "period": {"start": "2025-01-01", "end": "2025-12-31"},
            "evidence": [{"id": "e1", "type": "shipped_outcome", "date": "2025-03-01", "title": "Saved searches",
                          "role": "led", "scope": "feature", "on_time": True}]}
    data["candidate"] = {k: v for k, v in data["candidate"].items() if v is not None}
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


# -- the pack is the authority ------------------------------------------------------------------
def test_bundled_pack_keeps_the_bundled_schema_byte_for_byte():
    """Specialising by the bundled ladder changes nothing: every recorded schema_version still replays."""
    assert load_rules().packet_schema.data == bundled_packet_schema().data
    assert load_rules().packet_schema.version == bundled_packet_schema().version


def test_the_bundled_schema_is_a_valid_json_schema_and_another_is_still_checked():
    """read_packet_schema skips the metaschema check for the bundled schema's content and for a
    content it already found valid: the bundled one must be valid, and an invalid one is refused
    every time it is read."""
    import jsonschema

    from engine.base.errors import RulesError
    from engine.book.schema import read_packet_schema

    data = bundled_packet_schema().data
    jsonschema.validators.validator_for(data).check_schema(data)
    assert read_packet_schema(json.dumps(data).encode(), "s.json") == bundled_packet_schema()
    bad = json.dumps({**data, "minProperties": "two"}).encode()
    for _ in range(2):
        with pytest.raises(RulesError, match="not a valid JSON Schema"):
            read_packet_schema(bad, "s.json")
    fine = {**data, "description": "another"}
    for _ in range(2):
        assert read_packet_schema(json.dumps(fine).encode(), "s.json").data == fine


def test_pack_schema_takes_the_packs_levels_and_tracks():
    schema = load_rules(KRULES).packet_schema.data
    cand = schema["properties"]["candidate"]["properties"]
    assert cand["track"]["enum"] == ["product"]
    assert cand["current_level"]["pattern"] == cand["target_level"]["pattern"] == "^[a-z][a-z0-9-]*$"


def test_level_ids_with_digits_and_the_packs_track_validate(tmp_path, run_cli):
    p = kpacket(tmp_path, track="product")
    run_cli("validate", p, "--rules", KRULES, "--today", TODAY)
    r = run_cli("evaluate", p, "--rules", KRULES, "--today", TODAY, "--format", "json")
    v = json.loads(r.stdout)
    assert (v["track"], v["current_level"], v["target_level"]) == ("product", "product-l1", "product-l2")


def test_the_bundled_ladder_still_rejects_digits_with_its_own_message(tmp_path, run_cli):
    """The bundled pack has no digits in its ids: its packets are checked exactly as before."""
    p = kpacket(tmp_path)
    r = run_cli("validate", p, "--today", TODAY, exit_code=3)
    assert "'product-l1' is not a level id: use lower-case letters and '-' (e.g. senior-pm)" in r.stdout + r.stderr


def test_unknown_level_hint_lists_ids_a_packet_can_use(tmp_path, run_cli):
    p = kpacket(tmp_path, current_level="product-l9")
    r = run_cli("validate", p, "--rules", KRULES, "--today", TODAY, exit_code=3)
    out = r.stdout + r.stderr
    assert "unknown level 'product-l9'" in out
    assert "(known: product-l1, product-l2, product-l3, product-l4, or external)" in out


def test_a_track_the_pack_does_not_have_is_rejected_naming_the_packs_tracks(tmp_path, run_cli):
    p = kpacket(tmp_path, track="management")
    r = run_cli("validate", p, "--rules", KRULES, "--today", TODAY, exit_code=3)
    assert "'management' is not allowed for track (one of: product)" in r.stdout + r.stderr


def test_track_option_on_evaluate_and_batch(tmp_path, run_cli):
    """--track judges on another track of the ladder; an unknown one is a usage error (exit 2)."""
    fx = ROOT / "fixtures" / "noor-ashgrove-mid-to-senior-ready.yaml"
    v = json.loads(run_cli("evaluate", fx, "--track", "ic", "--format", "json", "--no-plan").stdout)
    assert v["track"] == "ic"
    out = tmp_path / "out.jsonl"
    run_cli("batch", fx, "--track", "ic", "--out", out, "--jobs", "1", "--quiet", "--no-plan")
    assert json.loads(out.read_text().splitlines()[0])["track"] == "ic"
    r = run_cli("evaluate", fx, "--track", "icc", exit_code=2)
    assert "--track: unknown track 'icc'; did you mean 'ic'? (this ladder's tracks: management, ic)" in r.stderr
    run_cli("batch", fx, "--track", "nope", "--out", out, "--jobs", "1", exit_code=2)


def test_track_option_that_does_not_hold_the_target_is_located_on_the_command_line(tmp_path, run_cli):
    fx = ROOT / "fixtures" / "linnea-quillfeather-apm-to-mid-ready.yaml"
    r = run_cli("evaluate", fx, "--track", "ic", "--target", "director", exit_code=3)
    assert "director is not on the ic track (it is on: management)" in r.stdout + r.stderr
    assert "/candidate/track" not in r.stdout + r.stderr


# -- sources ------------------------------------------------------------------------------------
def _copy_pack(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    shutil.copytree(KRULES, d)
    return d


def test_source_is_free_text_without_source_forms(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    lad = d / "ladder.yaml"
    lad.write_text("\n".join(ln for ln in lad.read_text().splitlines() if not ln.startswith("source_")) + "\n")
    f = d / "product-l1.yaml"
    f.write_text(f.read_text().replace('"PM1 — Delivery"', '"Our handbook, chapter 2 (delivery)"'))
    run_cli("rules", "lint", "--rules", d)


def test_a_source_outside_the_packs_forms_is_a_located_error_with_its_example(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    f = d / "product-l1.yaml"
    f.write_text(f.read_text().replace('"PM1 — Delivery"', '"Level 1 · Delivery"'))
    line = next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if "Level 1 · Delivery" in ln)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert (f"{f}:{line}: /criteria/0/source: source 'Level 1 · Delivery' is not in this ladder's form for "
            "sources (ladder.yaml source_forms); e.g. 'PM2 — Delivery'") in r.stderr


def test_the_bundled_pack_keeps_its_source_forms(tmp_path, run_cli):
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    f = d / "mid-pm.yaml"
    f.write_text(f.read_text().replace('"Level 1 · What success looks like"', '"Level 7 · Nowhere"', 1))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "source 'Level 7 · Nowhere' is not in this ladder's form" in r.stderr


def test_a_retired_source_pattern_says_exactly_which_source_forms_to_write(tmp_path, run_cli):
    """A pack written for an earlier ladder keeps its meaning: lint names the source_forms that replace
    its pattern, and writing them in makes the pack lint clean."""
    d = _copy_pack(tmp_path)
    lad = d / "ladder.yaml"
    text = lad.read_text()
    forms_line = next(ln for ln in text.splitlines() if ln.startswith("source_forms:"))
    lad.write_text(text.replace(forms_line, 'source_pattern: "^(PM[1-4]|Every level) — [A-Z][A-Za-z ]+$"'))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    want = 'source_forms: ["PM1 — *", "PM2 — *", "PM3 — *", "PM4 — *", "Every level — *"]'
    assert f"{lad}:5: /source_pattern: source_pattern (a regular expression) is no longer read" in r.stderr
    assert r.stderr.rstrip().endswith(f"for this pattern write: {want}"), r.stderr
    lad.write_text(text.replace(forms_line, want))
    run_cli("rules", "lint", "--rules", d)


def test_lint_says_when_the_packet_schema_rejects_the_packs_own_ids(tmp_path, run_cli):
    """A packet schema beside the rules folder that cannot hold the pack's ids: every packet naming
    them would be rejected, so lint says so on the level's line."""
    d = _copy_pack(tmp_path)
    schema = json.loads((ROOT / "schemas" / "packet.schema.json").read_text())
    schema["properties"]["candidate"]["properties"]["current_level"]["pattern"] = "^[a-z]+$"
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "packet.schema.json").write_text(json.dumps(schema))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    line = next(i for i, ln in enumerate((d / "ladder.yaml").read_text().splitlines(), 1) if "id: product-l1" in ln)
    assert (f"{d / 'ladder.yaml'}:{line}: the packet schema rejects 'product-l1' (level id) as a candidate's "
            "current_level: no packet could name it") in r.stderr


# -- the example pack end to end ---------------------------------------------------------------
def test_example_pack_lints_clean(run_cli):
    r = run_cli("rules", "lint", "--rules", KRULES)
    assert "rules ok" in r.stdout


def test_example_pack_rules_test_passes(run_cli):
    r = run_cli("rules", "test", "--rules", KRULES)
    assert "0 failed" in r.stdout


@pytest.mark.parametrize("fixture", sorted(p.name for p in KFIX.glob("*.yaml")))
def test_example_fixtures_validate_and_evaluate_to_the_verdict_in_their_name(fixture, run_cli):
    f = KFIX / fixture
    run_cli("validate", f, "--rules", KRULES)
    v = json.loads(run_cli("evaluate", f, "--rules", KRULES, "--format", "json").stdout)
    want = {"ready": "ready", "not-ready": "not_ready", "insufficient": "insufficient_evidence"}
    suffix = next(k for k in ("not-ready", "insufficient", "ready") if f.stem.endswith(k))
    assert v["verdict"] == want[suffix]
    assert v["target_level"].startswith("product-l") and v["track"] == "product"


def test_example_pack_batches(tmp_path, run_cli):
    out = tmp_path / "out.jsonl"
    run_cli("batch", KFIX, "--rules", KRULES, "--out", out, "--jobs", "2", "--quiet")
    lines = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert len(lines) == len(list(KFIX.glob("*.yaml"))) and all("verdict" in ln for ln in lines)
    # verdicts print ids a packet can use: each one pasted back in validates
    for ln in lines:
        p = kpacket(tmp_path, current_level=ln["current_level"], target_level=ln["target_level"])
        run_cli("validate", p, "--rules", KRULES, "--today", TODAY)


# -- authoring: rules test, lint ---------------------------------------------------------------
def _pack_with_fixtures(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "pack"
    shutil.copytree(KESTREL, root)
    return root / "rules", root / "fixtures"


def test_a_fixture_states_its_expected_verdict_and_rules_test_checks_it(tmp_path, run_cli):
    """A golden recorded from a wrong verdict would pass forever; the fixture's intent does not."""
    rules, fx = _pack_with_fixtures(tmp_path)
    f = fx / "bo-l1-to-l2-ready.yaml"
    f.write_text(f.read_text().replace("x-expected-verdict: ready", "x-expected-verdict: not_ready"))
    r = run_cli("rules", "test", "--rules", rules, exit_code=1)
    assert "expected verdict not_ready (x-expected-verdict), got ready" in r.stdout
    r = run_cli("rules", "test", "--rules", rules, "--update", exit_code=1)  # --update cannot paper over it
    assert "expected verdict not_ready" in r.stdout


def test_update_removes_stale_golden_new_files(tmp_path, run_cli):
    rules, fx = _pack_with_fixtures(tmp_path)
    stale = fx / "expected" / "bo-l1-to-l2-ready.golden.new"
    orphan = fx / "expected" / "someone-removed.golden.new"
    stale.write_text("{}")
    orphan.write_text("{}")
    run_cli("rules", "test", "--rules", rules)  # a passing case's leftover snapshot goes
    assert not stale.exists() and orphan.exists()
    run_cli("rules", "test", "--rules", rules, "--update")
    assert not orphan.exists()


def test_golden_diff_names_a_title_change_as_a_title_change(tmp_path, run_cli):
    rules, fx = _pack_with_fixtures(tmp_path)
    f = rules / "product-l2.yaml"
    f.write_text(f.read_text().replace("Ships features on time, more than once", "Ships on time, again and again"))
    r = run_cli("rules", "test", "--rules", rules, exit_code=1)
    assert ("product-l2.ships-on-time: title changed: 'Ships features on time, more than once' -> "
            "'Ships on time, again and again'") in r.stdout
    assert "explanation changed" not in r.stdout


@pytest.mark.parametrize("old, new, message", [
    ("kind: {in: [trade-off, prioritisation, say-no]}", "kind: {in: say-no}",
     "/criteria/5/condition/where/kind/in: in needs a list, not a single value: write in: [say-no]"),
    ("kind: {in: [trade-off, prioritisation, say-no]}", "kind: [say-no]",
     "/criteria/5/condition/where/kind: a list is not a value to compare: write kind: {in: [say-no]}"),
    ("      min_people: 2\n", "      min_people: 2\n      min_count: 2\n      distinct: {field: from.relationship, min: 2}\n",
     "/criteria/4/condition: distinct and min_count cannot go together in one condition"),
])
def test_precise_messages_for_common_authoring_mistakes(tmp_path, run_cli, old, new, message):
    d = _copy_pack(tmp_path)
    f = d / "product-l2.yaml"
    f.write_text(f.read_text().replace(old, new, 1))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert message in r.stderr and "not a valid condition" not in r.stderr


def test_every_lint_warning_has_a_line_and_can_be_acknowledged_per_criterion(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    f = d / "product-l3.yaml"
    text = f.read_text()
    f.write_text(text.replace("    acknowledge:\n      required-below: \"at PM3 craft shows in the area's strategy; "
                              "the framework makes it a supporting signal\"\n", ""))
    r = run_cli("rules", "lint", "--rules", d)
    line = next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if "id: product-l3.strategy-doc" in ln)
    assert (f"{f}:{line}: craft is required at product-l2 (product-l2.clear-specs) but only supporting at "
            "product-l3 (product-l3.strategy-doc; product track) [required-below] (warning)") in r.stdout
    run_cli("rules", "lint", "--rules", d, "--strict", exit_code=4)
    r = run_cli("rules", "lint", "--rules", KRULES, "--strict")  # (rule books are cached by folder)
    assert "acknowledged: at PM3 craft shows" in r.stdout and "rules ok, 2 acknowledged" in r.stdout


def test_an_acknowledgement_no_warning_needs_is_a_warning(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    f = d / "product-l2.yaml"
    f.write_text(f.read_text().replace("    aspect: judgement\n", "    aspect: judgement\n    acknowledge:\n"
                                       "      demands-less: \"we ask for fewer decisions on purpose\"\n", 1))
    r = run_cli("rules", "lint", "--rules", d)
    assert "product-l2.makes-calls acknowledges a demands-less warning that lint does not raise" in r.stdout


def test_demand_warnings_compare_only_counts_of_the_same_kind(tmp_path, run_cli):
    """A distinct count is not compared with a min_count of records of another theme (the issue's
    unrelated warning); the same kind of count still is."""
    d = _copy_pack(tmp_path)
    f2, f3 = d / "product-l2.yaml", d / "product-l3.yaml"
    f2.write_text(f2.read_text().replace("        rating: {gte: 4}\n      min_people: 2",
                                         "        rating: {gte: 4}\n        themes: {contains: delivery}\n"
                                         "      min_count: 3"))
    l3 = f3.read_text()
    f3.write_text(l3.replace("      min_people: 2", "      distinct: {field: from.relationship, min: 2}", 1))  # cross-team's
    assert "demands-less" not in run_cli("rules", "lint", "--rules", d).stdout
    d2 = tmp_path / "again"
    shutil.copytree(d, d2)  # (rule books are cached by folder)
    f3 = d2 / "product-l3.yaml"
    # the same kind of count over the same records (cross-team's relationships dropped: with them it
    # counts a stricter kind of record, which is no warning: tests/test_rules.py)
    f3.write_text(l3.replace("        from.relationship: {in: [cross-functional, peer, partner]}\n"
                             "        rating: {gte: 4}\n      min_people: 2",
                             "        rating: {gte: 4}\n        themes: {contains: delivery}\n      min_count: 2"))
    assert "product-l3.cross-team asks for 2 stakeholder_feedback record(s) but the level below asks for 3 " \
           "(product-l2.trusted)" in run_cli("rules", "lint", "--rules", d2).stdout


def test_init_scaffolds_a_pack_that_lints_tests_and_evaluates_clean(tmp_path, run_cli):
    d = tmp_path / "our-ladder"
    r = run_cli("init", d)
    assert f"wrote {d / 'rules' / 'ladder.yaml'}" in r.stdout
    assert run_cli("rules", "lint", "--rules", d / "rules", "--strict").stdout.strip() == "rules ok"
    assert "1 passed, 0 failed" in run_cli("rules", "test", "--rules", d / "rules").stdout
    fx = next((d / "fixtures").glob("*.yaml"))
    v = json.loads(run_cli("evaluate", fx, "--rules", d / "rules", "--format", "json").stdout)
    assert v["verdict"] == "ready" and v["target_level"] == "pm-1"
    assert not list(d.rglob("*.new"))


def test_init_bundled_copies_the_ladder_that_judges_alike(tmp_path, run_cli):
    """`ladder init DIR --bundled` is the bundled ladder to change: every level file and path
    profile, and a packet gets the very same verdict (same rules_version) under the copy."""
    run_cli("init", tmp_path / "copy", "--bundled")
    bundled = sorted(p.relative_to(ROOT / "rules") for p in (ROOT / "rules").rglob("*.yaml"))
    assert sorted(p.relative_to(tmp_path / "copy" / "rules") for p in (tmp_path / "copy" / "rules").rglob("*.yaml")) \
        == bundled
    fx = FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml"
    mine = run_cli("evaluate", fx, "--rules", tmp_path / "copy" / "rules", "--format", "json").stdout
    assert mine == run_cli("evaluate", fx, "--format", "json").stdout


def test_init_refuses_a_folder_that_has_files(tmp_path, run_cli):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    r = run_cli("init", tmp_path / "x", exit_code=2)
    assert "already exists and is not an empty folder" in r.stderr
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


# -- the language -------------------------------------------------------------------------------
def test_any_time_ignores_the_default_window_on_the_engine(tmp_path, run_cli):
    """product-l4.grows-people says `any_time: true`: a mentee promoted before the period counts;
    the same record under a criterion with the default window does not."""
    data = yaml.safe_load((KFIX / "dee-l3-to-l4-insufficient.yaml").read_text())
    data["evidence"][1]["date"] = "2021-02-01"  # long before the period and the 730-day window
    data["evidence"].append({"id": "ev-3", "type": "decision", "date": "2021-03-01", "title": "Sunset the old app",
                             "kind": "sunset", "stakes": "high", "ambiguity": "high"})
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data))
    v = json.loads(run_cli("evaluate", p, "--rules", KRULES, "--format", "json", "--no-plan").stdout)
    status = {c["id"]: c for c in v["criteria"]}
    assert status["product-l4.grows-people"]["status"] == "met"
    assert status["product-l4.grows-people"]["evidence"] == ["ev-2"]
    assert status["product-l4.hard-calls"]["status"] == "unmet"
    show = run_cli("rules", "show", "--rules", KRULES).stdout
    assert "a mentoring record where outcome is promoted dated any time" in show


def test_any_time_with_within_days_is_a_precise_error(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    f = d / "product-l4.yaml"
    f.write_text(f.read_text().replace("      any_time: true ", "      any_time: true\n      within_days: 90 "))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "any_time and within_days cannot go together in one condition" in r.stderr


def test_schema_prints_the_schema_the_pack_checks_packets_with(run_cli):
    """`ladder schema --rules DIR`: the effective schema, for editors and other tools."""
    d = json.loads(run_cli("schema", "--rules", KRULES).stdout)
    assert d == load_rules(KRULES).packet_schema.data
    assert d["properties"]["candidate"]["properties"]["track"]["enum"] == ["product"]
    assert json.loads(run_cli("schema").stdout) == bundled_packet_schema().data


def test_new_writes_a_template_for_the_packs_levels(run_cli):
    """A pack's own template: its level ids, refused until its placeholders are replaced, then valid."""
    import re

    r = run_cli("new", "--target", "product-l2", "--rules", KRULES)
    assert "product-l2" in r.stdout
    refused = run_cli("validate", "-", "--rules", KRULES, input=r.stdout, exit_code=3)
    assert "/candidate/id: the template's placeholder id" in refused.stdout + refused.stderr
    filled = r.stdout.replace("emp-0000", "emp-4242").replace("Firstname Lastname", "Ottilie Brackwater")
    filled = re.sub(r"title: '?Example: ", "title: 'Supplier portal relaunch: ", filled)
    filled = re.sub(r"plan-person-(\d+)", r"emp-50\1", filled)
    run_cli("validate", "-", "--rules", KRULES, input=filled)


def test_example_pack_audits(run_cli, tmp_path, monkeypatch):
    """audit reads the pack at two revisions: the pack as it was at 302178c (before any_time and
    the language of issue 15; kept in tests/data so the test needs no history, a shallow clone
    included) and as it is now, committed in a repository made here. The only flips are the
    fixtures written for later language: fay is short of the craft threshold that did not exist,
    gus meets balanced-launch that did not, jo (issue 28) has a vision linked to customer
    research, which the old pack neither reads nor counts as evidence for PM4, and lu (issue 28)
    meets monthly-update, three updates under one title that the pack's policy lets recur. The
    fixtures with Kestrel's own vocabulary (experiment, assessment, from.stage, from.org: hal, ivy,
    kit, nia, oz, pia, quin) are invalid under the old pack: validity changes, not flips."""
    import shutil
    import subprocess

    repo = tmp_path / "repo"
    pack = repo / "rules"
    shutil.copytree(ROOT / "tests" / "data" / "kestrel-rules-302178c", pack)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), "-c", "user.name=pack test", "-c", "user.email=t@example.org",
                               *args], check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "the pack at 302178c")
    base = git("rev-parse", "HEAD")
    shutil.rmtree(pack)
    shutil.copytree(KRULES, pack)
    git("add", "-A")
    git("commit", "-qm", "the pack now")
    monkeypatch.chdir(repo)
    r = run_cli("audit", "--base", base, "--rules", pack, "--packets", KFIX, "--format", "json")
    d = json.loads(r.stdout)
    assert "product-l4.grows-people" in json.dumps(d["rule_diff"]) and not d["invalid"]
    assert "min_supporting_per_aspect" in json.dumps(d["rule_diff"])
    assert sorted((f["candidate"]["id"], f["base"], f["head"]) for f in d["flips"]) == [
        ("kw-0106", "ready", "not_ready"), ("kw-0107", "not_ready", "ready"),
        ("kw-0111", "not_ready", "ready"), ("kw-0131", "insufficient_evidence", "ready")]
    assert sorted(c["candidate"]["id"] for c in d["validity_changes"]) == [
        "kw-0108", "kw-0109", "kw-0110", "kw-0113", "kw-0114", "kw-0115", "kw-0116"]


@pytest.mark.parametrize("fixtures", [FIXTURES, KFIX], ids=["bundled", "kestrel"])
def test_each_fixture_is_its_own_candidate(fixtures):
    """A batch over a fixture folder takes one candidate id in two packets for one person
    entered twice (it flags both lines), so each fixture has its own id. Two fixtures written on
    separate branches once shared one."""
    ids = [yaml.safe_load(p.read_text(encoding="utf-8"))["candidate"]["id"] for p in sorted(fixtures.glob("*.yaml"))]
    assert len(ids) >= 5
    assert sorted(set(ids)) == sorted(ids)
