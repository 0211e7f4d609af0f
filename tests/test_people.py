"""Evidence anchored to the organisation's own records (issue 23, parts 1-3): the people
directory (--people), the cycle calendar (--cycles), and plans that are advice, not evidence.

The corpus in tests/people/ (one packet per case, a fictional directory and calendar) must get
what tests/people/manifest.yaml says, with and without the records; the rest checks the files'
own errors, the notes every output carries without a directory, batch lines that record their
options, and reverify replaying them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, real_record

HERE = ROOT / "tests" / "people"
CASES = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))
TODAY = ["--today", "2026-11-30"]
ANCHORS = ["--people", HERE / "people.csv", "--cycles", HERE / "cycles.yaml"]
NOOR = HERE / "packets" / "as-recorded.yaml"


def test_every_packet_has_a_case_and_every_case_a_packet():
    assert sorted(c["packet"] for c in CASES) == sorted(p.name for p in (HERE / "packets").glob("*.yaml"))


@pytest.mark.parametrize("mode", ["without", "with"])
@pytest.mark.parametrize("case", CASES, ids=[c["packet"].removesuffix(".yaml") for c in CASES])
def test_a_packet_gets_what_the_manifest_says(case, mode, run_cli):
    want = case[mode]
    extra = ANCHORS if mode == "with" else []
    r = run_cli("evaluate", HERE / "packets" / case["packet"], "--format", "json", "--no-plan", *TODAY, *extra,
                exit_code=want.get("exit", 0))
    if want.get("exit") == 3:
        for e in want["errors"]:
            assert any(f": {e['path']}: " in line and e["says"] in line for line in r.stderr.splitlines()), \
                (e, r.stderr)
        assert "Ashgrove" not in r.stderr and "Tamsin" not in r.stderr  # names are never echoed
        return
    v = json.loads(r.stdout)
    assert v["verdict"] == want["verdict"]
    for w in want.get("warnings", []):
        assert any(x["path"] == w["path"] and w["says"] in x["message"] for x in v["warnings"]), v["warnings"]
    if mode == "with":
        assert v["checked_against"]["people"].startswith("sha256:")
        assert v["checked_against"]["cycles"].startswith("sha256:")
        assert "not_checked" not in v["checked_against"]
    else:
        assert v["checked_against"]["people"] is None
        assert any("not checked against a directory" in n for n in v["checked_against"]["not_checked"])


@pytest.mark.parametrize("fmt, says", [("text", "Not checked: people and verification were not checked"),
                                       ("markdown", "- Not checked: people and verification were not checked")])
def test_every_format_says_when_people_were_not_checked(fmt, says, run_cli):
    out = run_cli("evaluate", NOOR, "--format", fmt, *TODAY).stdout
    assert says in out
    out = run_cli("evaluate", NOOR, "--format", fmt, *TODAY, *ANCHORS).stdout
    assert "Not checked" not in out


def test_the_output_is_byte_identical_run_to_run(run_cli):
    a = run_cli("evaluate", NOOR, "--format", "json", *TODAY, *ANCHORS).stdout
    b = run_cli("evaluate", NOOR, "--format", "json", *TODAY, *ANCHORS).stdout
    assert a == b


def test_the_directory_is_the_same_whatever_its_format(run_cli, tmp_path):
    import csv

    rows = list(csv.DictReader((HERE / "people.csv").read_text(encoding="utf-8").splitlines()))
    as_yaml = tmp_path / "people.yaml"
    as_yaml.write_text(yaml.safe_dump({"people": rows}), encoding="utf-8")
    as_json = tmp_path / "people.json"
    as_json.write_text(json.dumps(list(reversed(rows))), encoding="utf-8")
    digests = set()
    for f in (HERE / "people.csv", as_yaml, as_json):
        out = run_cli("people", "check", f).stdout
        assert "14 people" in out and "1 left" in out
        digests.add(out.rsplit("sha256:", 1)[1])
        v = json.loads(run_cli("evaluate", NOOR, "--format", "json", *TODAY, "--people", f).stdout)
        assert v["verdict"] == "ready"
    assert len(digests) == 1  # the digest is of the content, not the file


@pytest.mark.parametrize("text, where, says", [
    ("id,name,level\nemp-1,A,mid-pm\nEMP_1,B,senior-pm\n", ":3: /1/id:", "the same person as 'emp-1'"),
    ("id,name,level,manager\nemp-1,A,mid-pm,emp-2\n", ":2: /0/manager:", "'emp-2' is not a person"),
    ("id,name,level,manager\nemp-1,A,mid-pm,emp-2\nemp-2,B,director,emp-1\n", "/manager:", "loops back"),
    ("id,name,level\nemp-1,A,senoir-pm\n", ":2: /0/level:", "did you mean 'senior-pm'"),
    ("id,name,level,status\nemp-1,A,mid-pm,gone\n", ":2: /0/status:", "is not a status"),
    ("id,name,level,track\nemp-1,A,director,ic\n", ":2: /0/track:", "director is not on the ic track"),
    ("name,level\nA,mid-pm\n", ":1:", "the header has no id column"),
    ("- {id: emp-1, name: A}\n", ":1: /0/level:", "missing"),
])
def test_a_bad_directory_is_a_located_usage_error(text, where, says, run_cli, tmp_path):
    f = tmp_path / ("people.yaml" if text.startswith("-") else "people.csv")
    f.write_text(text, encoding="utf-8")
    r = run_cli("people", "check", f, exit_code=2)
    assert where in r.stderr and says in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    for name in ("A,", "B,"):
        assert f": {name}" not in r.stderr
    r = run_cli("evaluate", NOOR, *TODAY, "--people", f, exit_code=2)
    assert says in r.stderr


def test_a_bad_calendar_is_a_located_usage_error(run_cli, tmp_path):
    f = tmp_path / "cycles.yaml"
    f.write_text("- {id: 2026-h1, start: 2026-07-01, end: 2026-06-30}\n- {id: 2026-h1, start: 2026-01-01, "
                 "end: 2026-02-30}\n", encoding="utf-8")
    r = run_cli("evaluate", NOOR, *TODAY, "--cycles", f, exit_code=2)
    assert ":1: /0/start: cycle 2026-h1 starts (2026-07-01) after it ends" in r.stderr
    assert ":2: /1/id: cycle '2026-h1' is listed twice" in r.stderr


def test_require_people_makes_the_directory_mandatory(run_cli, tmp_path):
    r = run_cli("evaluate", NOOR, *TODAY, "--require-people", exit_code=2)
    assert "give --people FILE" in r.stderr
    run_cli("batch", NOOR, "--out", tmp_path / "r.jsonl", "--require-people", exit_code=2)
    run_cli("validate", NOOR, *TODAY, "--require-people", "--people", HERE / "people.csv")


def test_a_pack_can_require_the_directory_and_carry_the_calendar(run_cli, tmp_path):
    import shutil

    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    lad = pack / "ladder.yaml"
    lad.write_text(lad.read_text(encoding="utf-8") + "people: {required: true}\n"
                   + (HERE / "cycles.yaml").read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    r = run_cli("evaluate", NOOR, *TODAY, "--rules", pack, exit_code=2)
    assert "ladder.yaml people: required: true" in r.stderr
    bad = HERE / "packets" / "unknown-cycle.yaml"
    r = run_cli("evaluate", bad, *TODAY, "--rules", pack, "--people", HERE / "people.csv", exit_code=3)
    assert "is not a cycle of the calendar" in r.stderr


def test_validate_checks_against_the_directory(run_cli):
    r = run_cli("validate", HERE / "packets" / "peer-as-manager.yaml", NOOR, *TODAY, *ANCHORS, exit_code=3)
    assert "/evidence/11/from/relationship" in r.stdout + r.stderr
    r = run_cli("validate", NOOR, *TODAY)
    assert "not checked: people and verification were not checked against a directory" in r.stdout


def test_batch_lines_record_their_options_and_reverify_replays_them(run_cli, tmp_path):
    out = tmp_path / "r.jsonl"
    packets = [NOOR, HERE / "packets" / "moved-back-fourteen-years.yaml"]
    run_cli("batch", *packets, "--out", out, "--jobs", "2", *TODAY, "--people", HERE / "people.csv", "--quiet")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    o = lines[0]["options"]
    assert o["today"] == "2026-11-30" and o["people"] == lines[0]["checked_against"]["people"]
    assert o["cycles"] is None and o["track"] is None and o["plan"] is True
    stale = lines[1]
    assert any(w["path"] == "/period/end" for w in stale["warnings"])  # as of the recorded day
    r = run_cli("reverify", out, *packets, "--people", HERE / "people.csv", "--jobs", "1")
    assert "2 of 2 packet(s) replay" in r.stdout
    r = run_cli("reverify", out, *packets, "--people", HERE / "people.csv", "--jobs", "2")
    assert "2 of 2 packet(s) replay" in r.stdout
    r = run_cli("reverify", out, *packets, "--jobs", "1", exit_code=1)
    assert "replay with the same --people FILE" in r.stdout
    report = tmp_path / "r.html"
    r = run_cli("report", out, "--out", report, "--people", HERE / "people.csv", "--cycles", HERE / "cycles.yaml")
    assert "2 verdict(s) were not made against the people directory and cycle calendar given" in r.stderr


def test_a_plan_is_marked_planned_and_proved_without_the_marker(run_cli, tmp_path):
    bram = ROOT / "fixtures" / "bram-ellingworth-apm-to-mid-not-ready.yaml"
    v = json.loads(run_cli("evaluate", bram, "--format", "json", *TODAY).stdout)
    assert v["plan"] and all(r["planned"] is True for r in v["plan"])
    data = yaml.safe_load(bram.read_text(encoding="utf-8"))
    pasted = tmp_path / "pasted.yaml"
    pasted.write_text(yaml.safe_dump({**data, "evidence": data["evidence"] + v["plan"]}), encoding="utf-8")
    r = run_cli("evaluate", pasted, *TODAY, exit_code=3)
    assert "replace it with the real record" in r.stderr
    real = [real_record(rec) for rec in v["plan"]]
    pasted.write_text(yaml.safe_dump({**data, "evidence": data["evidence"] + real}), encoding="utf-8")
    assert json.loads(run_cli("evaluate", pasted, "--format", "json", *TODAY).stdout)["verdict"] == "ready"


def test_people_ids_are_compared_without_case_separators_or_trailing_dots():
    from engine.book.fields import person_key

    assert person_key("emp_0988") == person_key("EMP-0988 ") == person_key("emp-0988.") == person_key("emp.0988")
    assert person_key("emp-0988") != person_key("emp-0989")
    assert person_key("...") is None and person_key(None) is None


def test_a_pack_can_require_verified_evidence_for_a_criterion(run_cli, tmp_path):
    """A criterion whose condition asks for `verified_by` counts only confirmed records; with a
    directory, only a verifier the directory allows can confirm one (durable_rules decides)."""
    import shutil

    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    lvl = pack / "senior-pm.yaml"
    text = lvl.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    crit = next(c for c in doc["criteria"] if c["required"] and c["condition"].get("evidence") == "shipped_outcome")
    crit["condition"].setdefault("where", {})["verified_by"] = {"exists": True}
    lvl.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    data = yaml.safe_load(NOOR.read_text(encoding="utf-8"))
    confirmed = tmp_path / "confirmed.yaml"
    for e in data["evidence"]:
        if e["type"] == "shipped_outcome":
            e["verified_by"] = "emp-2210"  # a senior PM under the same manager: allowed
    confirmed.write_text(yaml.safe_dump(data), encoding="utf-8")
    v = json.loads(run_cli("evaluate", confirmed, "--format", "json", "--no-plan", *TODAY, "--rules", pack,
                           *ANCHORS).stdout)
    assert {c["id"]: c["status"] for c in v["criteria"]}[crit["id"]] == "met"
    for e in data["evidence"]:
        e.pop("verified_by", None)
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data), encoding="utf-8")
    v = json.loads(run_cli("evaluate", bare, "--format", "json", "--no-plan", *TODAY, "--rules", pack,
                           *ANCHORS).stdout)
    assert {c["id"]: c["status"] for c in v["criteria"]}[crit["id"]] == "unmet"


def test_referees_outside_the_company_can_be_entered_and_never_stand_in_for_colleagues(run_cli, tmp_path):
    """mentor, instructor and reference: who knew a candidate outside the company (a bootcamp
    instructor, a former colleague's reference). An external candidate's instructor is valid with
    or without the directory; a listed colleague entered as one is refused with the directory;
    and such a voice never counts as one of the "several kinds of partner" alignment asks for."""
    tamsin = yaml.safe_load((ROOT / "fixtures" / "tamsin-brightwater-external-to-associate-ready.yaml").read_text())
    fb = next(e for e in tamsin["evidence"] if e["type"] == "stakeholder_feedback")
    fb["from"] = {"id": "ref-7001", "relationship": "instructor", "role": "Bootcamp instructor"}
    p = tmp_path / "tamsin.yaml"
    p.write_text(yaml.safe_dump(tamsin, sort_keys=False), encoding="utf-8")
    for extra in ([], ANCHORS):
        assert json.loads(run_cli("evaluate", p, "--format", "json", *TODAY, *extra).stdout)["verdict"] == "ready"
    fb["from"]["id"] = "emp-0150"  # a director of the company, in the directory
    p.write_text(yaml.safe_dump(tamsin, sort_keys=False), encoding="utf-8")
    err = run_cli("evaluate", p, *TODAY, *ANCHORS, exit_code=3).stderr
    assert "instructor, but emp-0150 is in the people directory" in err

    def aligns(rel: str) -> str:
        noor = yaml.safe_load(NOOR.read_text(encoding="utf-8"))
        for e in noor["evidence"]:
            if e["type"] == "stakeholder_feedback" and e["from"]["relationship"] == "manager":
                e["from"]["relationship"] = rel
        q = tmp_path / f"noor-{rel}.yaml"
        q.write_text(yaml.safe_dump(noor, sort_keys=False), encoding="utf-8")
        v = json.loads(run_cli("evaluate", q, "--format", "json", *TODAY, exit_code=None).stdout)
        return next(c["status"] for c in v["criteria"] if c["id"] == "senior-pm.aligns-teams")

    assert aligns("skip-level") == "met"  # another colleague: still three kinds of partner
    assert aligns("reference") == "unmet"  # a referee is not a partner in the work
