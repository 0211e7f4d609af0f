"""The committee's word beside the rules: decisions files, packet hashes, reverify, calibrate, compare."""
from __future__ import annotations

import csv
import io
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT
from engine.outputs import results as results_mod
from engine.core.evidence import packet_sha256
from engine.base.loader import load_file

DECISIONS = FIXTURES / "decisions-2026-h1.csv"
THREE = [FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml",
         FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml",
         FIXTURES / "hollis-penrake-mid-to-senior-insufficient.yaml"]


@pytest.fixture(scope="module")
def cycle_results(tmp_path_factory) -> Path:
    """Every bundled fixture through `ladder batch`, once for this module."""
    from click.testing import CliRunner

    from cli import main

    out = tmp_path_factory.mktemp("cycle") / "results.jsonl"
    r = CliRunner().invoke(main, ["batch", *map(str, sorted(FIXTURES.glob("*.yaml"))), "--out", str(out),
                                  "--jobs", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    return out


def _verdict(cid: str, verdict: str, *, target: str = "senior-pm", current: str = "mid-pm", unmet=(), gaps=None,
             org: str | None = None, track: str = "management", criteria=None, rules: str = "sha256:r1") -> dict:
    """A minimal verdict line (the fields calibrate and compare read), in batch's key order."""
    criteria = criteria or ["senior-pm.aligns-teams", "senior-pm.moves-key-metrics", "senior-pm.area-direction"]
    cand = {"id": cid, **({"org": org} if org else {})}
    return {"candidate": cand, "track": track, "current_level": current, "target_level": target, "path": [target],
            "as_of": "2026-06-30", "verdict": verdict, "headline": "h", "levels": [],
            "criteria": [{"id": c, "level": target, "required": True, "status": "unmet" if c in unmet else "met"}
                         for c in criteria],
            "unmet": list(unmet), "gaps": list(unmet if gaps is None else gaps), "supporting_gaps": [],
            "warnings": [], "rules_version": rules, "schema_version": "sha256:s", "packet_sha256": f"sha256:{cid}"}


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows), encoding="utf-8")
    return path


def _write_csv(path: Path, rows: list[tuple]) -> Path:
    lines = ["cycle,candidate_id,decision,decided_on,reason,overrides"]
    lines += [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- packets: optional committee fields, and the content hash --------------------------------------
def test_packet_schema_accepts_committee_notes_cycle_and_extensions(run_cli, tmp_path):
    """A chair can record the committee's word, notes, the cycle and their own x- fields in a
    packet: all optional, none read by the rules, so the verdict is the one without them."""
    src = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["notes"] = "Prepared by the chair."
    data["x-hris"] = {"imported": True}
    data["committee"] = {"decision": "promoted", "decided_on": "2026-07-11", "reason": "Ready.",
                         "overrides": "senior-pm.aligns-teams=met", "x-minute": 4}
    data["candidate"].update(org="Payments", manager="emp-0001", cycle="2026-h1", **{"x-grade": "L5"})
    data["evidence"][0]["x-ticket"] = "PAY-12"
    p = tmp_path / "noor.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    run_cli("validate", p)
    plain = json.loads(run_cli("evaluate", src, "--format", "json").stdout)
    extra = json.loads(run_cli("evaluate", p, "--format", "json").stdout)
    assert extra["candidate"] == {**plain["candidate"], "org": "Payments", "cycle": "2026-h1", "manager": "emp-0001"}
    assert {k: v for k, v in extra.items() if k not in ("candidate", "packet_sha256")} == \
        {k: v for k, v in plain.items() if k not in ("candidate", "packet_sha256")}


def test_a_candidate_field_at_the_top_says_where_it_goes(run_cli, tmp_path):
    data = yaml.safe_load((FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml").read_text(encoding="utf-8"))
    data["cycle"] = "2026-h1"
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = run_cli("validate", p, exit_code=3).stdout
    assert "unknown field 'cycle' (it belongs under candidate:)" in out


def test_packet_sha256_ignores_format_and_key_order_but_not_content(tmp_path):
    """The hash is over the canonical form: the same packet as JSON, or its YAML keys reordered,
    hashes alike; a changed rating does not; the committee's section is not part of it."""
    src = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    data = load_file(src).data
    base = packet_sha256(data)
    as_json = tmp_path / "noor.json"
    as_json.write_text(json.dumps(dict(reversed(list(data.items()))), indent=3), encoding="utf-8")
    assert packet_sha256(load_file(as_json).data) == base
    assert packet_sha256({**data, "committee": {"decision": "promoted"}}) == base
    changed = json.loads(json.dumps(data))
    fb = next(e for e in changed["evidence"] if e["type"] == "stakeholder_feedback")
    fb["rating"] = 1 if fb["rating"] != 1 else 2
    assert packet_sha256(changed) != base
    assert packet_sha256({**data, "notes": "x"}) != base


def test_every_verdict_carries_hash_and_versions(run_cli, cycle_results):
    line = json.loads(cycle_results.read_text(encoding="utf-8").splitlines()[0])
    assert line["packet_sha256"].startswith("sha256:") and len(line["packet_sha256"]) == 71
    assert line["schema_version"].startswith("sha256:") and line["rules_version"].startswith("sha256:")
    one = json.loads(run_cli("evaluate", THREE[0], "--format", "json").stdout)
    assert one["packet_sha256"] == packet_sha256(load_file(THREE[0]).data)


# -- decisions files ---------------------------------------------------------------------------------
def test_example_decisions_file_is_valid_against_the_cycle(run_cli, cycle_results):
    out = run_cli("validate", "--decisions", DECISIONS, "--results", cycle_results).stdout
    assert "27 decision(s), each with a verdict" in out


def test_decisions_problems_are_located_and_never_echo_reasons(run_cli, tmp_path, cycle_results):
    f = _write_csv(tmp_path / "d.csv", [
        ("2026-h1", "emp-0852", "promotd", "2026-02-30", "Confidential words about Amara", "senior-pm.aligns-team=met"),
        ("2026-h1", "emp-0852", "promoted", "2026-07-01", "", ""),
        ("2026-h1", "emp-9999", "promoted", "2026-07-01", "", ""),
        ("2026-h1", "emp-1054", "promoted", "26-07-01", "", "senior-pm.moves-key-metrics=met;director.manages-pms=unmet"),
        ("2026-h1", "emp-0988", "deferred", "2026-07-01", "", "senior-pm.aligns-teams=maybe"),
    ])
    r = run_cli("validate", "--decisions", f, "--results", cycle_results, exit_code=3)
    out = r.stdout
    for expected in [f"{f}:2: decision: 'promotd' is not a decision; did you mean 'promoted'?",
                     f"{f}:2: decided_on: '2026-02-30' is not a real calendar date",
                     f"{f}:2: overrides: unknown criterion 'senior-pm.aligns-team'; did you mean 'senior-pm.aligns-teams'?",
                     f"{f}:3: candidate_id: 'emp-0852' already has a decision for cycle '2026-h1' at line 2",
                     f"{f}:4: candidate_id: no verdict for 'emp-9999'",
                     f"{f}:5: decided_on: '26-07-01' is not a date in the form YYYY-MM-DD",
                     f"{f}:6: overrides: 'senior-pm.aligns-teams=maybe' is not criterion-id=met or criterion-id=unmet"]:
        assert expected in out, out
    assert "Confidential" not in out + r.stderr


def test_decisions_checked_against_verdicts(run_cli, tmp_path, cycle_results):
    """With --results: an override must contradict the tool, on a criterion the candidate was assessed on."""
    f = _write_csv(tmp_path / "d.csv", [
        ("2026-h1", "emp-1054", "promoted", "2026-07-01", "", "senior-pm.moves-key-metrics=met;director.manages-pms=unmet")])
    out = run_cli("validate", "--decisions", f, "--results", cycle_results, exit_code=3).stdout
    assert f"{f}:2: overrides: senior-pm.moves-key-metrics=met agrees with the tool's verdict" in out
    assert f"{f}:2: overrides: 'director.manages-pms' was not assessed for 'emp-1054'" in out


def test_yaml_decisions_with_listed_overrides_and_bad_header(run_cli, tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text("- cycle: 2026-h1\n  candidate_id: emp-1054\n  decision: promoted\n  decided_on: 2026-07-09\n"
                 "  overrides: [senior-pm.aligns-teams=met]\n- cycle: 2026-h1\n  candidate_id: emp-0988\n"
                 "  decision: promoted\n  decided_on: 2026-7-9\n  x-minute: 3\n", encoding="utf-8")
    out = run_cli("validate", "--decisions", y, exit_code=3).stdout
    assert f"{y}:9: /1/decided_on: '2026-7-9' is not a date in the form YYYY-MM-DD" in out
    assert out.count(str(y)) == 1  # only that problem: listed overrides and x- keys are fine
    h = tmp_path / "h.csv"
    h.write_text("cycle,candidate,decision,decided_on\n2026-h1,emp-1,promoted,2026-07-01\n", encoding="utf-8")
    out = run_cli("validate", "--decisions", h, exit_code=3).stdout
    assert f"{h}:1: candidate: unknown column 'candidate'; did you mean 'candidate_id'?" in out
    assert f"{h}:1: candidate_id: missing column 'candidate_id'" in out


def test_yaml_decisions_of_the_wrong_type_say_what_was_found(run_cli, tmp_path):
    """A YAML number where text belongs, or a row written as a list, is named by its kind."""
    y = tmp_path / "d.yaml"
    y.write_text("- cycle: 2026-h1\n  candidate_id: 1054\n  decision: promoted\n  decided_on: 2026-07-09\n"
                 "- [2026-h1, emp-0988, promoted]\n", encoding="utf-8")
    out = run_cli("validate", "--decisions", y, exit_code=3).stdout
    assert f"{y}:2: /0/candidate_id: must be text, not a number" in out
    assert f"{y}:5: /1: must be a mapping with cycle, candidate_id, decision, decided_on, not a list" in out


@pytest.mark.parametrize("content", [b"\xff\xfe\x00", b"", b"cycle,candidate_id\n\"unterminated\n", b"[1, 2"])
def test_broken_decisions_files_are_problems_not_tracebacks(run_cli, tmp_path, content):
    f = tmp_path / ("d.csv" if content[:1] != b"[" else "d.yaml")
    f.write_bytes(content)
    r = run_cli("validate", "--decisions", f, exit_code=3)
    assert str(f) in r.stdout


def test_decisions_schema_agrees_with_the_example_file():
    """schemas/decisions.schema.json is the definition: the example's rows are valid under it."""
    import csv

    import jsonschema

    schema = json.loads((ROOT / "schemas" / "decisions.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    import io

    rows = list(csv.DictReader(io.StringIO(DECISIONS.read_text(encoding="utf-8"))))
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert not list(v.iter_errors(rows))
    assert list(v.iter_errors([{**rows[0], "overrides": "x=maybe"}]))


# -- calibrate -----------------------------------------------------------------------------------------
COHORT_12 = [  # (id, tool verdict, decision, org, unmet, overrides)
    ("c01", "ready", "promoted", "north", (), ""), ("c02", "ready", "promoted", "north", (), ""),
    ("c03", "ready", "promoted", "north", (), ""), ("c04", "ready", "promoted", "north", (), ""),
    ("c05", "ready", "not_promoted", "north", (), "senior-pm.moves-key-metrics=unmet"),
    ("c06", "not_ready", "not_promoted", "north", ("senior-pm.aligns-teams",), ""),
    ("c07", "not_ready", "not_promoted", "north", ("senior-pm.aligns-teams",), ""),
    ("c08", "not_ready", "not_promoted", "south", ("senior-pm.aligns-teams",), ""),
    ("c09", "not_ready", "promoted", "south", ("senior-pm.aligns-teams",), "senior-pm.aligns-teams=met"),
    ("c10", "not_ready", "deferred", "south", ("senior-pm.aligns-teams", "senior-pm.moves-key-metrics"), ""),
    ("c11", "insufficient_evidence", "deferred", "south", ("senior-pm.aligns-teams",), ""),
    ("c12", "insufficient_evidence", "not_promoted", "south", ("senior-pm.area-direction",), ""),
]


@pytest.fixture
def cohort(tmp_path) -> tuple[Path, Path]:
    """Twelve candidates whose matrix and kappa are worked out by hand below."""
    v = COHORT_12
    res = _write_jsonl(tmp_path / "r.jsonl", [_verdict(c, t, org=o, unmet=u) for c, t, _, o, u, _ in v])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", c, d, "2026-07-01", "", ov) for c, _, d, _, _, ov in v])
    return res, dec


def test_calibrate_matrix_agreement_and_kappa_by_hand(run_cli, cohort):
    """Worked by hand. Matrix (tool rows x committee columns promoted / not_promoted / deferred):
        ready                  4 1 0   (row 5)
        not_ready              1 3 1   (row 5)
        insufficient_evidence  0 1 1   (row 2)
        columns                5 5 2,  n = 12
    Agreement pairs ready-promoted, not_ready-not_promoted, insufficient-deferred: (4+3+1)/12 = 2/3.
    Chance: (5*5 + 5*5 + 2*2) / 144 = 54/144 = 3/8. Kappa = (2/3 - 3/8) / (1 - 3/8) = (7/24)/(15/24) = 7/15."""
    res, dec = cohort
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    assert d["matrix"] == {"ready": {"promoted": 4, "not_promoted": 1, "deferred": 0},
                           "not_ready": {"promoted": 1, "not_promoted": 3, "deferred": 1},
                           "insufficient_evidence": {"promoted": 0, "not_promoted": 1, "deferred": 1}}
    assert d["agreement"] == round(float(Fraction(2, 3)), 4) == 0.6667
    assert d["kappa"] == round(float(Fraction(7, 15)), 4) == 0.4667
    crit = {c["id"]: c for c in d["criteria"]}
    assert crit["senior-pm.aligns-teams"]["overridden_to_met"] == 1 and crit["senior-pm.aligns-teams"]["overridden_to_unmet"] == 0
    assert crit["senior-pm.aligns-teams"]["tool_unmet"] == 6  # c06..c11
    assert crit["senior-pm.moves-key-metrics"]["overridden_to_unmet"] == 1 and crit["senior-pm.moves-key-metrics"]["tool_met"] == 11
    assert d["disagreed_most"][0]["id"] == "senior-pm.aligns-teams" and "ladder audit --base HEAD" in d["disagreed_most"][0]["try"]


def test_calibrate_lists_each_disagreement_with_its_reason(run_cli, cohort):
    """Every candidate the committee decided otherwise than the rules (or overrode a criterion
    for) is listed once, by candidate id: what the rules said, what the committee decided, the
    overrides that counted and the committee's reason; agreeing candidates are not listed."""
    res, dec = cohort
    text = dec.read_text(encoding="utf-8").replace("2026-h1,c09,promoted,2026-07-01,,",
                                                   "2026-h1,c09,promoted,2026-07-01,Spoke for <b>them</b> | =1+1,")
    dec.write_text(text, encoding="utf-8")
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    got = [(r["candidate"], r["rules_said"], r["committee_decided"], r["overrides"]) for r in d["disagreements"]]
    assert got == [("c05", "ready", "not_promoted", ["senior-pm.moves-key-metrics -> unmet"]),
                   ("c09", "not_ready", "promoted", ["senior-pm.aligns-teams -> met"]),
                   ("c10", "not_ready", "deferred", []),
                   ("c12", "insufficient_evidence", "not_promoted", [])]
    assert d["disagreements"][1]["reason"] == "Spoke for <b>them</b> | =1+1"
    out = run_cli("calibrate", "--results", res, "--decisions", dec).stdout
    assert "  c09 (senior-pm): not_ready -> promoted; senior-pm.aligns-teams -> met; reason: Spoke for" in out
    md = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "markdown").stdout
    row = next(x for x in md.splitlines() if x.startswith("| c09 |"))
    assert "<b>" not in row and row.count(" | ") == 5  # the reason's pipe cannot add a column
    page = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "html").stdout
    assert "<b>them</b>" not in page and "&lt;b&gt;them&lt;/b&gt;" in page


def test_calibrate_says_to_copy_an_installed_ladder_before_editing_it(monkeypatch, tmp_path):
    """The bundled rules of an installed ladder live in site-packages: the hint is to copy them
    (`ladder init COPY --bundled`) and audit the copy, never to edit the installed file."""
    from engine.committee import calibrate as C
    from engine.base import resources
    from engine.book.rules import load_rules

    installed = tmp_path / "site-packages" / "ladder" / "engine" / "_bundled" / "rules"
    shutil.copytree(ROOT / "rules", installed)
    book = load_rules(installed)
    monkeypatch.setattr(resources, "default_rules_dir", lambda: installed)
    rows = [{"id": "senior-pm.aligns-teams", "level": "senior-pm", "overridden_to_met": 2, "overridden_to_unmet": 0}]
    s = C.suggestions(C.Calibration("r", "d", None), book, rows)[0]
    assert s["copy_first"] == "ladder init COPY --bundled" and s["rules_file"] == "COPY/rules/senior-pm.yaml"
    assert s["try"] == "ladder audit --rules COPY/rules --base HEAD --packets PACKETS"
    checkout = load_rules(ROOT / "rules")  # a checkout's own rules/: edited where they are
    monkeypatch.setattr(resources, "default_rules_dir", lambda: ROOT / "rules")
    s = C.suggestions(C.Calibration("r", "d", None), checkout, rows)[0]
    assert s["copy_first"] is None and s["rules_file"].endswith("senior-pm.yaml") and "COPY" not in s["try"]


def test_calibrate_suppresses_small_groups_and_cells(run_cli, cohort):
    """org north has 7 candidates (shown, with cells of 1-4 hidden), south 5 (shown: 5 is enough);
    a group under 5 shows nothing but that it is small."""
    res, dec = cohort
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    org = {g["id"]: g for g in d["groups"]["org"]}
    assert org["north"]["candidates"] == 7
    assert org["north"]["matrix"]["ready"] == {"promoted": None, "not_promoted": None, "deferred": 0}
    assert org["south"]["candidates"] == 5
    # drop two south candidates' decisions: south falls to 3 and is suppressed entirely
    lines = [x for x in dec.read_text(encoding="utf-8").splitlines() if not x.startswith(("2026-h1,c08", "2026-h1,c09"))]
    dec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    assert {g["id"]: g for g in d["groups"]["org"]}["south"] == {"id": "south", "suppressed": True}
    assert d["unmatched"]["verdicts_without_decision"] == 2
    text = run_cli("calibrate", "--results", res, "--decisions", dec).stdout
    assert "  south: fewer than 5 candidates\n" in text and "  north: 7 candidates, agreement" in text


def test_calibrate_formats(run_cli, cohort):
    res, dec = cohort
    text = run_cli("calibrate", "--results", res, "--decisions", dec).stdout
    assert "agreement 66.7%, Cohen's kappa 0.4667" in text
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    north = {g["id"]: g for g in d["groups"]["org"]}["north"]  # the per-group lines read like the cohort's
    assert f"north: 7 candidates, agreement {north['agreement'] * 100:.1f}%, kappa " in text
    md = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "markdown").stdout
    assert "| ready | 4 | 1 | 0 |" in md
    page = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "<td>4</td>" in page
    again = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "html").stdout
    assert page == again


def test_calibrate_on_the_bundled_cycle(run_cli, cycle_results):
    d = json.loads(run_cli("calibrate", "--results", cycle_results, "--decisions", DECISIONS, "--format", "json").stdout)
    assert d["candidates"] == 27
    assert {c["id"] for c in d["criteria"]} == {"senior-pm.aligns-teams", "mid-pm.useful-documentation",
                                                "mid-pm.dependable", "senior-pm.moves-key-metrics"}


def test_calibrate_html_escapes_what_it_reads(run_cli, tmp_path):
    rows = [_verdict(f"c{i}", "ready", org="<script>alert(1)</script>") for i in range(6)]
    res = _write_jsonl(tmp_path / "r.jsonl", rows)
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", f"c{i}", "promoted", "2026-07-01", "", "") for i in range(6)])
    page = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "html").stdout
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_calibrate_bad_lines_are_located_and_exit_3(run_cli, cohort):
    res, dec = cohort
    with res.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({**_verdict("c99", "ready"), "verdict": "maybe"}) + "\n")
    r = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json", exit_code=3)
    assert f"{res}:13: not valid JSON" in r.stderr
    assert f"{res}:14: /verdict: must be one of ready, not_ready, insufficient_evidence" in r.stderr
    assert json.loads(r.stdout)["candidates"] == 12  # the good lines still count
    r = run_cli("calibrate", "--results", res.with_name("missing.jsonl"), "--decisions", dec, exit_code=2)
    assert "missing.jsonl: no such file" in r.stderr


def test_calibrate_counts_decisions_without_a_verdict(run_cli, cohort, tmp_path):
    """A decision whose candidate has no verdict in the results is counted, not silently dropped;
    with --cycle, only that cycle's decisions are counted."""
    res, dec = cohort
    lines = res.read_text(encoding="utf-8").splitlines(keepends=True)
    res.write_text("".join(lines[:10]), encoding="utf-8")  # c11 and c12 were never evaluated
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    assert d["candidates"] == 10
    assert d["unmatched"]["decisions_without_verdict"] == 2 and d["unmatched"]["verdicts_without_decision"] == 0
    text = run_cli("calibrate", "--results", res, "--decisions", dec).stdout
    assert "0 verdict(s) without a decision, 2 decision(s) without a verdict" in text
    with dec.open("a", encoding="utf-8") as fh:  # a later cycle's decision is not this cycle's to pair
        fh.write("2026-h2,c13,promoted,2026-12-01,,\n")
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--cycle", "2026-h1",
                           "--format", "json").stdout)
    assert d["unmatched"]["decisions_without_verdict"] == 2


def test_validate_decisions_needs_a_cycle_when_a_verdict_matches_several(run_cli, tmp_path):
    """validate --results, like calibrate: a candidate decided in two cycles, a verdict naming none:
    a located problem saying to pass --cycle, not a traceback; --cycle settles it."""
    res = _write_jsonl(tmp_path / "r.jsonl", [_verdict("c1", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "deferred", "2026-01-01", "", ""),
                                          ("2026-h2", "c1", "promoted", "2026-07-01", "", "")])
    r = run_cli("validate", "--decisions", dec, "--results", res, exit_code=3)
    assert f"{res}:1: candidate 'c1' has decisions in several cycles (2026-h1, 2026-h2)" in r.stdout
    assert "pass --cycle" in r.stdout and "Traceback" not in r.stdout + r.stderr
    run_cli("validate", "--decisions", dec, "--results", res, "--cycle", "2026-h2")


def test_calibrate_needs_a_cycle_when_decisions_span_several(run_cli, tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_verdict("c1", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "deferred", "2026-01-01", "", ""),
                                          ("2026-h2", "c1", "promoted", "2026-07-01", "", "")])
    r = run_cli("calibrate", "--results", res, "--decisions", dec, exit_code=3)
    assert "pass --cycle" in r.stderr
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--cycle", "2026-h2",
                           "--format", "json").stdout)
    assert d["matrix"]["ready"]["promoted"] == 1 and d["agreement"] == 1.0


# -- compare -------------------------------------------------------------------------------------------
def test_compare_per_candidate_and_cohort(run_cli, tmp_path):
    old = _write_jsonl(tmp_path / "old.jsonl", [
        _verdict("up", "not_ready", unmet=["senior-pm.a", "senior-pm.b"]),
        _verdict("same", "not_ready", unmet=["senior-pm.a"]),
        _verdict("down", "ready", unmet=[]),
        _verdict("promoted", "ready", current="mid-pm", target="senior-pm"),
        _verdict("gone", "ready"),
    ])
    new = _write_jsonl(tmp_path / "new.jsonl", [
        _verdict("up", "ready", unmet=[]),
        _verdict("same", "not_ready", unmet=["senior-pm.b"]),
        _verdict("down", "not_ready", unmet=["senior-pm.c"]),
        _verdict("promoted", "not_ready", current="senior-pm", target="director", unmet=["director.x"],
                 criteria=["director.x"]),
        _verdict("fresh", "ready"),
    ])
    d = json.loads(run_cli("compare", old, new, "--format", "json").stdout)
    by = {c["candidate"]: c for c in d["candidates"]}
    assert [c["candidate"] for c in d["candidates"]] == ["up", "same", "down", "promoted", "fresh", "gone"]
    assert by["up"]["movement"] == "up" and by["up"]["closed"] == ["senior-pm.a", "senior-pm.b"]
    assert by["same"]["movement"] == "stayed"
    assert (by["same"]["closed"], by["same"]["opened"]) == (["senior-pm.a"], ["senior-pm.b"])
    assert by["down"]["movement"] == "fell_back" and by["down"]["opened"] == ["senior-pm.c"]
    assert by["promoted"]["movement"] == "up" and by["promoted"]["criteria_compared"] is False
    assert by["fresh"]["movement"] == "new" and by["gone"]["movement"] == "left"
    assert d["cohort"] == {**d["cohort"], "moved_up": 2, "stayed": 1, "fell_back": 1, "new": 1, "left": 1,
                                "closed": 3, "opened": 2}
    text = run_cli("compare", old, new).stdout
    assert "up: up: not_ready for senior-pm -> ready for senior-pm; closed senior-pm.a, senior-pm.b" in text
    assert "2 moved up, 1 stayed, 1 fell back; 1 new, 1 not in the new results" in text
    md = run_cli("compare", old, new, "--format", "markdown").stdout
    assert "| down | fell back | ready (senior-pm) | not_ready (senior-pm) |  | senior-pm.c |" in md


def test_compare_with_decisions_knows_a_promotion_the_new_packet_does_not_show(run_cli, tmp_path):
    """A candidate promoted on the old verdict whose new packet still gives the old current level
    moved up all the same, and is flagged; each candidate with a decision shows it (the reason
    escaped for each output); without --decisions the output has no decision keys at all."""
    old = _write_jsonl(tmp_path / "old.jsonl", [
        _verdict("stale", "ready"), _verdict("moved", "ready"), _verdict("kept", "not_ready", unmet=["senior-pm.a"]),
        _verdict("none", "not_ready", unmet=["senior-pm.a"])])
    new = _write_jsonl(tmp_path / "new.jsonl", [
        _verdict("stale", "ready"), _verdict("moved", "not_ready", current="senior-pm", target="director"),
        _verdict("kept", "not_ready", unmet=["senior-pm.a"]), _verdict("none", "not_ready", unmet=["senior-pm.a"])])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "stale", "promoted", "2026-07-01", "=HYPERLINK(\"x\") \x1b[31m", ""),
                                          ("2026-h1", "moved", "promoted", "2026-07-01", "", ""),
                                          ("2026-h1", "kept", "not_promoted", "2026-07-01", "Not yet.", "")])
    plain = json.loads(run_cli("compare", old, new, "--format", "json").stdout)
    assert [c["movement"] for c in plain["candidates"]] == ["stayed", "up", "stayed", "stayed"]
    assert not any("decision" in c or "flags" in c for c in plain["candidates"]) and "with_decision" not in plain["cohort"]
    d = json.loads(run_cli("compare", old, new, "--format", "json", "--decisions", dec).stdout)
    by = {c["candidate"]: c for c in d["candidates"]}
    assert by["stale"]["movement"] == "up" and by["stale"]["decision"]["decision"] == "promoted"
    assert by["stale"]["flags"] and "still gives mid-pm as the current level" in by["stale"]["flags"][0]
    assert by["moved"]["movement"] == "up" and "flags" not in by["moved"]
    assert by["kept"]["decision"]["reason"] == "Not yet." and by["kept"]["movement"] == "stayed"
    assert "decision" not in by["none"]
    assert (d["cohort"]["with_decision"], d["cohort"]["promoted_still_claiming_old_level"]) == (3, 1)
    text = run_cli("compare", old, new, "--decisions", dec).stdout
    line = next(x for x in text.splitlines() if x.startswith("stale:"))
    assert "committee 2026-h1: promoted" in line and "FLAG: promoted in 2026-h1" in line and "\x1b" not in text
    assert "1 promoted but still giving the old current level (flagged)" in text
    rows = list(csv.reader(io.StringIO(run_cli("compare", old, new, "--decisions", dec, "--format", "csv").stdout)))
    assert rows[0][-4:] == ["decision_cycle", "decision", "decision_reason", "flags"]
    stale = next(r for r in rows if r[0] == "stale")
    assert stale[-3] == "promoted" and not stale[-2].startswith("=")
    md = run_cli("compare", old, new, "--decisions", dec, "--format", "markdown").stdout
    assert "| committee | flags |" in md and "2026-h1: promoted" in md


def test_compare_with_a_broken_decisions_file_exits_3_naming_it(run_cli, tmp_path):
    old = _write_jsonl(tmp_path / "old.jsonl", [_verdict("a", "ready")])
    bad = tmp_path / "d.csv"
    bad.write_text("cycle,candidate_id,decision,decided_on,reason,overrides\n2026-h1,a,maybe,2026-07-01,,\n",
                   encoding="utf-8")
    r = run_cli("compare", old, old, "--decisions", bad, exit_code=3)
    assert "d.csv" in r.stderr and "decision" in r.stderr


def test_compare_csv_is_safe_against_formula_injection(run_cli, tmp_path):
    """A hand-edited results file must not put a formula into a committee's spreadsheet."""
    old = _write_jsonl(tmp_path / "old.jsonl", [_verdict("=HYPERLINK(\"http://x\")", "not_ready", unmet=["+a"])])
    new = _write_jsonl(tmp_path / "new.jsonl", [_verdict("=HYPERLINK(\"http://x\")", "ready", unmet=[]),
                                                _verdict("@SUM(1)", "ready"), _verdict("-2+3", "ready")])
    out = run_cli("compare", old, new, "--format", "csv").stdout
    import csv
    import io

    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "candidate_id"
    cells = [c for r in rows[1:] for c in r]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells), cells
    assert "'=HYPERLINK(\"http://x\")" in cells and "'@SUM(1)" in cells and "'-2+3" in cells and "'+a" in cells


def test_compare_the_bundled_cycles(run_cli, tmp_path, cycle_results):
    new = tmp_path / "h2.jsonl"
    run_cli("batch", FIXTURES / "cycle-2026-h2", "--out", new, "--jobs", "1", "--quiet")
    d = json.loads(run_cli("compare", cycle_results, new, "--format", "json").stdout)
    by = {c["candidate"]: c for c in d["candidates"]}
    assert by["emp-1054"]["movement"] == "up" and "senior-pm.aligns-teams" in by["emp-1054"]["closed"]
    assert by["emp-1519"]["movement"] == "up" and by["emp-1519"]["new"]["target_level"] == "senior-pm"
    assert by["cand-ext-0815"]["movement"] == "stayed"
    assert d["cohort"]["left"] == len(list(FIXTURES.glob("*.yaml"))) - 3  # all but the three in h2
    assert run_cli("compare", cycle_results, new).stdout == run_cli("compare", cycle_results, new).stdout


def test_compare_bad_input(run_cli, tmp_path):
    good = _write_jsonl(tmp_path / "g.jsonl", [_verdict("a", "ready")])
    r = run_cli("compare", good, tmp_path / "none.jsonl", exit_code=2)
    assert "none.jsonl: no such file" in r.stderr
    bad = tmp_path / "b.jsonl"
    bad.write_bytes(b'{"candidate": {"id": "a"}}\n[]\n\n' + json.dumps(_verdict("b", "ready")).encode() + b"\r\n")
    r = run_cli("compare", good, bad, "--format", "json", exit_code=3)
    assert f"{bad}:1: /verdict: must be one of" in r.stderr and f"{bad}:2: not a verdict" in r.stderr
    assert [c["candidate"] for c in json.loads(r.stdout)["candidates"]] == ["b", "a"]


# -- reverify --------------------------------------------------------------------------------------------
@pytest.fixture
def recorded(run_cli, tmp_path) -> Path:
    out = tmp_path / "results.jsonl"
    run_cli("batch", *THREE, "--out", out, "--jobs", "1", "--quiet")
    return out


def test_reverify_replays_and_reformatting_does_not_matter(run_cli, tmp_path, recorded):
    out = run_cli("reverify", recorded, *THREE, "--jobs", "1").stdout
    assert "3 of 3 packet(s) replay their recorded verdict" in out
    # the same packet as JSON, with a committee section added after the verdict, still replays
    data = load_file(THREE[1]).data
    p = tmp_path / "noor.json"
    p.write_text(json.dumps({**data, "committee": {"decision": "promoted"}}, indent=1), encoding="utf-8")
    assert "1 of 1 packet(s) replay" in run_cli("reverify", recorded, p, "--jobs", "1").stdout


def test_reverify_catches_a_tampered_verdict(run_cli, tmp_path, recorded):
    """Someone edits a recorded verdict: the replay differs, names the line and what changed."""
    lines = recorded.read_text(encoding="utf-8").splitlines(keepends=True)
    # noor's overall verdict (an earlier line may hold "ready" for an included level, not its verdict)
    lines[1] = lines[1].replace('"verdict":"ready"', '"verdict":"not_ready"', 1)
    text = "".join(lines)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(text, encoding="utf-8")
    r = run_cli("reverify", tampered, *THREE, "--jobs", "1", exit_code=1)
    assert f"{THREE[1]} (emp-0988): does not replay {tampered}:2" in r.stdout
    assert "verdict: not_ready -> ready" in r.stdout
    # a reason reworded by hand is caught too, though no status changed
    text = recorded.read_text(encoding="utf-8").replace('"reason":"met by', '"reason":"met, says the chair, by', 1)
    tampered.write_text(text, encoding="utf-8")
    d = json.loads(run_cli("reverify", tampered, *THREE, "--jobs", "1", "--format", "json", exit_code=1).stdout)
    assert d["differs"] == 1 and d["replays"] == 2


def test_reverify_catches_a_changed_packet_and_changed_rules(run_cli, tmp_path, recorded):
    changed = tmp_path / "caspian.yaml"
    changed.write_text(THREE[0].read_text(encoding="utf-8").replace("rating: 3", "rating: 4"), encoding="utf-8")
    r = run_cli("reverify", recorded, changed, "--jobs", "1", exit_code=1)
    assert "the packet changed since" in r.stdout and "1 changed since their verdict" in r.stdout
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    f = rules / "senior-pm.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("min_count: 2\n", "min_count: 3\n", 1), encoding="utf-8")
    r = run_cli("reverify", recorded, *THREE, "--rules", rules, "--jobs", "1", exit_code=1)
    assert "rules_version: sha256:" in r.stdout
    assert "does not replay" in r.stdout


def test_reverify_says_which_recorded_lines_no_packet_checked(run_cli, recorded):
    """Given one packet of three, reverify says the other two lines went unchecked: a replay of a
    part must not read as a replay of the whole file."""
    r = run_cli("reverify", recorded, THREE[1], "--jobs", "1")
    assert "1 of 1 packet(s) replay their recorded verdict" in r.stdout
    assert f"2 of 3 verdict line(s) in {recorded} had no packet given to check them" in r.stdout
    d = json.loads(run_cli("reverify", recorded, *THREE, "--jobs", "1", "--format", "json").stdout)
    assert (d["verdict_lines"], d["lines_not_checked"]) == (3, 0)


def test_reverify_replays_redacted_no_plan_and_target_runs(run_cli, tmp_path):
    out = tmp_path / "r.jsonl"
    run_cli("batch", *THREE, "--out", out, "--jobs", "1", "--quiet", "--redact", "--no-plan", "--target", "director")
    r = run_cli("reverify", out, *THREE, "--jobs", "1")
    assert "3 of 3 packet(s) replay" in r.stdout


def test_reverify_with_workers_matches_in_process(run_cli, recorded, tmp_path):
    text = recorded.read_text(encoding="utf-8").replace('"verdict":"ready"', '"verdict":"not_ready"', 1)
    t = tmp_path / "t.jsonl"
    t.write_text(text, encoding="utf-8")
    one = run_cli("reverify", t, *THREE, "--jobs", "1", "--format", "json", exit_code=1).stdout
    two = run_cli("reverify", t, *THREE, "--jobs", "2", "--format", "json", exit_code=1).stdout
    assert one == two


def test_reverify_unrecorded_unreadable_and_old_lines(run_cli, tmp_path, recorded):
    other = FIXTURES / "wren-halloway-external-to-associate-not-ready.yaml"
    r = run_cli("reverify", recorded, other, "--jobs", "1")
    assert "no recorded verdict" in r.stdout
    r = run_cli("reverify", recorded, tmp_path / "nope.yaml", "--jobs", "1", exit_code=1)
    assert "no such file" in r.stdout
    old = tmp_path / "old.jsonl"
    lines = [json.loads(x) for x in recorded.read_text(encoding="utf-8").splitlines()]
    old.write_text("".join(json.dumps({k: v for k, v in d.items() if k != "packet_sha256"}) + "\n" for d in lines),
                   encoding="utf-8")
    r = run_cli("reverify", old, THREE[0], "--jobs", "1", exit_code=1)
    assert "carry no packet_sha256" in r.stdout
    r = run_cli("reverify", tmp_path / "missing.jsonl", THREE[0], exit_code=2)
    assert "missing.jsonl: no such file" in r.stderr


def test_reverify_ignores_the_clock(run_cli, tmp_path):
    """A verdict made with --today in the future replays today: the clock only gates the period."""
    data = load_file(THREE[1]).data
    data["period"]["end"] = "2099-01-01"
    p = tmp_path / "future.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.jsonl"
    run_cli("batch", p, "--out", out, "--jobs", "1", "--quiet", "--today", "2099-01-02")
    assert "1 of 1 packet(s) replay" in run_cli("reverify", out, p, "--jobs", "1").stdout


# -- the results reader ---------------------------------------------------------------------------------
def test_results_fast_path_equals_the_whole_parse(cycle_results):
    """summarise reads batch lines in pieces; it must give what the whole parse gives, always."""
    lines = [x for x in results_mod.iter_lines(str(cycle_results)) if isinstance(x, results_mod.Line)]
    assert len(lines) == len(list(FIXTURES.glob("*.yaml")))  # every bundled fixture
    for line in lines:
        fast = results_mod._fast(line)
        assert fast is not None
        assert fast == results_mod._summary(results_mod.parse(line), line.number)


def test_results_reader_cuts_lines_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(results_mod, "CHUNK", 7)
    monkeypatch.setattr(results_mod, "MAX_LINE_BYTES", 40)
    f = tmp_path / "r.jsonl"
    f.write_bytes(b'{"a":1}\r\n\n' + b"x" * 100 + b'\n{"b":22222222222}\n{"c":3}')
    got = list(results_mod.iter_lines(str(f)))
    assert [bytes(x.raw) if isinstance(x, results_mod.Line) else "long" for x in got] == \
        [b'{"a":1}', "long", b'{"b":22222222222}', b'{"c":3}']
    assert [x.line for x in got if not isinstance(x, results_mod.Line)] == [3]
    assert [x.number for x in got if isinstance(x, results_mod.Line)] == [1, 4, 5]
    assert f.read_bytes()[got[2].offset:].startswith(b'{"b"')


def test_blank_lines_in_a_decisions_csv_are_not_rows(run_cli, tmp_path, cycle_results):
    """A spreadsheet export often ends with (or holds) empty lines: they are skipped, not
    reported as rows with the wrong number of cells (a mutation survivor)."""
    lines = DECISIONS.read_text(encoding="utf-8").splitlines()
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("\n".join(lines[:3] + ["", ",,,,,"] + lines[3:] + ["", ""]) + "\n", encoding="utf-8")
    out = run_cli("validate", "--decisions", spaced, "--results", cycle_results).stdout
    assert "27 decision(s), each with a verdict" in out


def test_a_yaml_decisions_file_that_is_not_a_list_is_located(run_cli, tmp_path):
    f = tmp_path / "d.yaml"
    f.write_text("cycle: 2026-h1\ncandidate_id: emp-1\n", encoding="utf-8")
    out = run_cli("validate", "--decisions", f, exit_code=3).stdout
    assert f"{f}:1: a decisions file is a list of decisions" in out


def test_who_decided_is_an_id_shown_wherever_the_decision_is(run_cli, tmp_path, cohort):
    """decided_by (optional): the committee's or chair's id, checked like an id (a name with a
    space, or a line break, is refused and located), and shown by calibrate, compare and the
    report beside the decision."""
    res, dec = cohort
    rows = dec.read_text(encoding="utf-8").splitlines()
    head, body = rows[0] + ",decided_by", [r + ",product-committee" for r in rows[1:]]
    good = tmp_path / "d.csv"
    good.write_text("\n".join([head] + body) + "\n", encoding="utf-8")
    run_cli("validate", "--decisions", good)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([head, body[0].rsplit(",", 1)[0] + ",Jane Doe"]) + "\n", encoding="utf-8")
    out = run_cli("validate", "--decisions", bad, exit_code=3).stdout
    assert f"{bad}:2: decided_by: a 8-character text is not a valid id" in out and "Jane" not in out  # a name is never echoed
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", good, "--format", "json").stdout)
    assert {r["decided_by"] for r in d["disagreements"]} == {"product-committee"}
    text = run_cli("calibrate", "--results", res, "--decisions", good).stdout
    assert "  c09 (senior-pm): not_ready -> promoted (by product-committee)" in text
    run_cli("report", res, "--out", tmp_path / "r.html", "--decisions", good)
    assert "(decided 2026-07-01 by product-committee" in (tmp_path / "r.html").read_text(encoding="utf-8")
    cmp = json.loads(run_cli("compare", res, res, "--decisions", good, "--format", "json").stdout)
    assert {c["decision"]["decided_by"] for c in cmp["candidates"] if "decision" in c} == {"product-committee"}


def test_calibrate_and_compare_read_the_packets_own_committee_sections(run_cli, tmp_path):
    """The decision a chair wrote into a packet (`committee:`, with the packet's cycle) counts in
    calibrate and shows in compare, given the packets (--packets); a decisions file's row for the
    same candidate and cycle comes first; without either source, calibrate is a usage error."""
    folder = tmp_path / "h1"
    folder.mkdir()
    picks = {"noor-ashgrove-mid-to-senior-ready.yaml": ("promoted", ""),
             "caspian-thistlewood-mid-to-senior-not-ready.yaml": ("promoted", "senior-pm.aligns-teams=met"),
             "bram-ellingworth-apm-to-mid-not-ready.yaml": ("not_promoted", "")}
    for name, (dec, over) in picks.items():
        d = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
        d["candidate"]["cycle"] = "2026-h1"
        d["committee"] = {"decision": dec, "decided_on": "2026-07-08", **({"overrides": over} if over else {})}
        (folder / name).write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    res = tmp_path / "r.jsonl"
    run_cli("batch", folder, "--out", res, "--quiet")
    cal = json.loads(run_cli("calibrate", "--results", res, "--packets", folder, "--format", "json").stdout)
    assert sum(n for row in cal["matrix"].values() for n in row.values() if n) == 3
    assert [r["candidate"] for r in cal["disagreements"]] == ["emp-1054"]  # Caspian, promoted over one criterion
    f = tmp_path / "d.csv"
    f.write_text("cycle,candidate_id,decision,decided_on,reason,overrides\n2026-h1,emp-1054,deferred,2026-07-09,,\n",
                 encoding="utf-8")
    cal = json.loads(run_cli("calibrate", "--results", res, "--packets", folder, "--decisions", f,
                             "--format", "json").stdout)
    assert next(r for r in cal["disagreements"] if r["candidate"] == "emp-1054")["committee_decided"] == "deferred"
    out = run_cli("compare", res, res, "--packets", folder).stdout
    assert "emp-1054" in out and "committee 2026-h1: promoted" in out
    r = run_cli("calibrate", "--results", res, exit_code=2)
    assert "--decisions FILE, or the packets" in r.stderr
