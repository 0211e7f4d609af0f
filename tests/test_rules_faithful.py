"""The bundled ladder is faithful to the guide (issue "A verdict a committee can defend", item 3).

Each case is a packet that the rules before this change called ready, that the guide says is not
(or the reverse for Level 1 entry), and the evidence that makes it ready now. The packets are the
fixtures, edited in memory: a record removed or added.
"""
from __future__ import annotations

import csv
import html
import json

import pytest
import yaml
from conftest import FIXTURES

from engine import Evaluator, check_document, load_rules
from engine.base.loader import Document
from engine.outputs.report import verdict_dict


@pytest.fixture(scope="module")
def judge():
    book = load_rules()
    ev = Evaluator(book)

    def run(data: dict) -> dict:
        doc = Document("case.json", data, json.dumps(data, indent=1), "json")
        return verdict_dict(ev.evaluate(check_document(doc, book)))

    yield run
    ev.close()


def fixture(name: str) -> dict:
    data = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))  # dates as the text a packet holds


def without(data: dict, *ids: str) -> dict:
    return {**data, "evidence": [r for r in data["evidence"] if r["id"] not in ids]}


def status(v: dict, cid: str) -> str:
    return next(c["status"] for c in v["criteria"] if c["id"] == cid)


# -- 1. Director requires managing PMs --------------------------------------------------------------
def test_director_needs_a_record_of_managing_pms(judge):
    """Beatrix without her managing record meets every other director criterion (ready under the old
    rules, where people leadership was supporting and her coaching record sufficed): now not ready."""
    full = fixture("beatrix-lowmoor-senior-to-director-ready")
    v = judge(without(full, "ev-15"))
    assert v["verdict"] == "not_ready"
    assert v["gaps"] == ["director.manages-pms"]
    assert status(v, "director.builds-a-team") == "met"  # coaching still counts, as supporting
    assert judge(full)["verdict"] == "ready"


def test_managing_people_who_are_not_pms_is_not_enough(judge):
    full = fixture("beatrix-lowmoor-senior-to-director-ready")
    ev15 = next(r for r in full["evidence"] if r["id"] == "ev-15")
    data = {**without(full, "ev-15")}
    data["evidence"] = data["evidence"] + [{**ev15, "levels": []}]
    data["evidence"][-1].pop("levels")
    v = judge(data)
    assert v["verdict"] == "not_ready" and v["gaps"] == ["director.manages-pms"]


# -- 2. VP requires business ownership and board or investor exposure -------------------------------
def test_vp_needs_business_ownership(judge):
    full = fixture("sunniva-marchbank-principal-to-vp-ready")
    v = judge(without(full, "ev-13"))
    assert v["verdict"] == "not_ready" and v["gaps"] == ["vp.business-fluency"]
    assert judge(full)["verdict"] == "ready"


def test_vp_needs_board_or_investor_exposure(judge):
    """Without the board presentation Sunniva has exec-team and analyst work only: not ready. An
    investor pitch she advised on would do; attending the board meeting would not."""
    full = fixture("sunniva-marchbank-principal-to-vp-ready")
    v = judge(without(full, "ev-14"))
    assert v["verdict"] == "not_ready" and v["gaps"] == ["vp.board-exposure"]
    board = next(r for r in full["evidence"] if r["id"] == "ev-14")
    base = without(full, "ev-14")
    attended = {**base, "evidence": base["evidence"] + [{**board, "part": "attended"}]}
    assert judge(attended)["gaps"] == ["vp.board-exposure"]
    pitch = {**base, "evidence": base["evidence"] + [{**board, "forum": "investors", "part": "advised"}]}
    assert judge(pitch)["verdict"] == "ready"


def test_old_ready_vp_without_both_is_not_ready(judge):
    """Sunniva as she was before this change (no P&L, no board): both new required criteria open."""
    v = judge(without(fixture("sunniva-marchbank-principal-to-vp-ready"), "ev-13", "ev-14"))
    assert v["verdict"] == "not_ready" and v["gaps"] == ["vp.business-fluency", "vp.board-exposure"]


# -- 3. Entry at Level 1 does not require shipping, but does require the Level 1 foundations --------
def test_entry_without_a_shipped_outcome_can_be_ready(judge):
    """Priya has shipped nothing (the client shelved her prototype): not ready before, ready now."""
    data = fixture("priya-oakhurst-external-to-associate-ready")
    assert not any(r["type"] == "shipped_outcome" for r in data["evidence"])
    v = judge(data)
    assert v["verdict"] == "ready"
    assert status(v, "associate-pm.supports-delivery") == "unmet"


ENTRY = {"schema_version": 1,
         "candidate": {"id": "cand-x", "current_level": "external", "target_level": "associate-pm"},
         "period": {"start": "2025-06-01", "end": "2026-05-31"}}


def test_entry_needs_learning_and_noticed_follow_through(judge):
    """A spec, a shipped feature, guided research and a fair rating from engineering met the old
    Associate PM rules (stories + shipped, two supporting). The guide's Level 1 asks for curiosity and
    dependability that someone has seen: without them, not ready; with them, ready."""
    records = [
        {"id": "a", "type": "artifact", "date": "2025-09-08", "title": "Spec", "kind": "spec"},
        {"id": "s", "type": "shipped_outcome", "date": "2025-12-01", "title": "Tool", "role": "contributed",
         "scope": "feature"},
        {"id": "d", "type": "discovery", "date": "2025-10-14", "title": "Calls", "method": "field-research",
         "guided": True},
        {"id": "f", "type": "stakeholder_feedback", "date": "2026-04-10",
         "from": {"relationship": "cross-functional"}, "rating": 3, "themes": ["delivery"]},
    ]
    v = judge({**ENTRY, "evidence": records})
    assert v["verdict"] == "not_ready"
    assert v["gaps"] == ["associate-pm.learns-the-product", "associate-pm.curiosity-noticed"]
    more = [{"id": "l", "type": "learning", "date": "2026-01-10", "title": "How the API works", "area": "technical"},
            {"id": "m", "type": "stakeholder_feedback", "date": "2026-04-20", "from": {"relationship": "manager"},
             "rating": 4, "themes": ["dependability"]}]
    assert judge({**ENTRY, "evidence": records + more})["verdict"] == "ready"
    no_ship = [r for r in records + more if r["id"] != "s"]
    assert judge({**ENTRY, "evidence": no_ship})["verdict"] == "ready"


# -- 4. Numbers the guide does not give are labelled policy ---------------------------------------
from test_rules import copy_rules, edit, write_mini  # noqa: E402

from engine.authoring.ruletools import policy_numbers  # noqa: E402


@pytest.mark.parametrize("cond, numbers", [
    ({"evidence": "learning"}, []),
    ({"evidence": "learning", "min_count": 1}, []),  # the default "at least one" is no number
    ({"evidence": "learning", "where": {"shared": True, "area": "technical"}}, []),  # booleans, text
    ({"evidence": "learning", "min_count": 2}, ["min_count 2"]),
    ({"evidence": "learning", "within_days": 548}, ["within_days 548"]),
    ({"evidence": "stakeholder_feedback", "where": {"rating": {"gte": 4}}}, ["rating gte 4"]),
    ({"evidence": "stakeholder_feedback", "where": {"rating": 5}}, ["rating eq 5"]),  # a number by equality
    ({"evidence": "risk_raised", "where": {"teams": {"in": [3, 4]}}}, ["teams in [3, 4]"]),
    ({"evidence": "stakeholder_feedback", "distinct": {"field": "from.relationship", "min": 3}},
     ["distinct from.relationship min 3"]),
    ({"evidence": "stakeholder_feedback", "mean": {"field": "rating", "gt": 3.5, "min_records": 3}},
     ["mean rating gt 3.5 over 3 records"]),
    ({"evidence": "business_ownership", "any_item": {"field": "metrics", "where": {"result": {"gt": 0}}}},
     ["metrics[].result gt 0"]),
    ({"any_of": [{"evidence": "learning"}, {"all_of": [{"evidence": "learning", "min_count": 3},
                                                        {"evidence": "decision"}]}]}, ["min_count 3"]),
])
def test_what_counts_as_a_policy_number(cond, numbers):
    assert policy_numbers(cond) == numbers


def test_bundled_ladder_rejects_an_unlabelled_number(tmp_path, run_cli):
    """Removing a label from one bundled criterion (or a level's policy block) fails lint: exit 4."""
    rules = copy_rules(tmp_path)
    f = rules / "vp.yaml"
    text = f.read_text(encoding="utf-8")
    start = text.index("  - id: vp.hiring")
    block = text[start:]
    label = next(line for line in block.splitlines(keepends=True) if "basis_note:" in line)
    f.write_text(text[:start] + block.replace("    basis: policy\n", "", 1).replace(label, "", 1), encoding="utf-8")
    r = run_cli("rules", "lint", "--rules", rules, exit_code=4)
    assert "vp.hiring: hires gte 2: a number the guide does not give; label the criterion basis: policy" in r.stderr

    rules2 = copy_rules(tmp_path / "b")
    f = rules2 / "mid-pm.yaml"
    text = f.read_text(encoding="utf-8")
    head, rest = text.split("criteria:", 1)
    head = "\n".join(line for line in head.splitlines() if not line.startswith("  basis")) + "\n"
    f.write_text(head + "criteria:" + rest, encoding="utf-8")
    r = run_cli("rules", "lint", "--rules", rules2, exit_code=4)
    # located: the level's file and its policy block, where the label goes
    assert (f"{f}: /policy: mid-pm: the policy block's numbers (min_supporting, sufficient_evidence) are not in "
            "the guide") in r.stderr


def test_a_company_pack_opts_in(tmp_path, run_cli):
    """A pack without `label_policy_numbers` lints as before; with it, every number needs a label."""
    crits = {"count": {"evidence": "learning", "min_count": 2}, "plain": {"evidence": "decision"},
             "x": {"evidence": "artifact"}, "y": {"evidence": "discovery"}, "z": {"evidence": "mentoring"},
             "w": {"evidence": "risk_raised"}}
    d = write_mini(tmp_path / "rules", crits)
    assert "rules ok" in run_cli("rules", "lint", "--rules", d).stdout  # warnings only (a small base level)
    d = write_mini(tmp_path / "opted-in", crits)  # a new path: loaded rule books are cached by path
    lad = d / "ladder.yaml"
    lad.write_text(lad.read_text(encoding="utf-8") + "label_policy_numbers: true\n", encoding="utf-8")
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "probe.count: min_count 2: a number the guide does not give" in r.stderr
    assert "probe: the policy block's numbers" in r.stderr and "base: the policy block's numbers" in r.stderr
    assert "probe.plain" not in r.stderr


def test_basis_needs_a_note_and_a_note_needs_basis(tmp_path, run_cli):
    d = write_mini(tmp_path / "rules")
    f = d / "probe.yaml"
    edit(f, "    required: false\n    condition:\n      evidence: mentoring",
         "    required: false\n    basis: policy\n    condition:\n      evidence: mentoring")
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "basis_note" in r.stderr


def test_a_label_without_a_number_is_a_warning(tmp_path, run_cli):
    d = write_mini(tmp_path / "rules")
    edit(d / "probe.yaml", "    title: Has led a high-risk piece of work\n",
         "    title: Has led a high-risk piece of work\n    basis: policy\n    basis_note: no number here at all\n")
    r = run_cli("rules", "lint", "--rules", d)
    assert "probe.risky is labelled basis: policy but holds no number [label-without-number] (warning)" in r.stdout


def test_policy_is_shown_in_every_output(run_cli, tmp_path):
    """A criterion's own policy number, and the ladder's default window a criterion relies on, say
    "policy" in JSON, text, markdown, the HTML report and both CSVs; a criterion that gives its own
    window (and no other number) would not, but every bundled one holds a number."""
    fx = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    note = "2 launches in 730 days: repeated metric movement within two years, not one past success"
    window_note = load_rules().default_window[2]
    v = json.loads(run_cli("evaluate", fx, "--format", "json").stdout)
    crit = {c["id"]: c for c in v["criteria"]}
    assert crit["senior-pm.moves-key-metrics"]["basis"] == "policy"
    assert crit["senior-pm.moves-key-metrics"]["basis_note"] == note
    assert "window" not in crit["senior-pm.moves-key-metrics"]  # its own within_days: labelled by its note
    # guide's words, but the evidence window is the ladder's default: labelled by the window
    assert crit["senior-pm.area-direction"]["basis"] == "guide" and "basis_note" not in crit["senior-pm.area-direction"]
    assert crit["senior-pm.area-direction"]["window"] == {"days": 730, "basis": "policy"}
    assert v["default_window"] == {"days": 730, "basis": "policy", "basis_note": window_note}
    text = run_cli("evaluate", fx).stdout
    assert "[required · policy] senior-pm.moves-key-metrics" in text and f"      policy: {note}" in text
    assert "[required · policy] senior-pm.area-direction" in text
    assert f"within 730 days of the as-of date wherever a criterion gives no window of its own ({window_note})" in text
    md = run_cli("evaluate", fx, "--format", "markdown").stdout
    assert f"| required · policy<br>policy: {note} |" in md
    assert "| required · policy | " in md and window_note in md
    out = tmp_path / "r.jsonl"
    run_cli("batch", fx, "--out", out, "--summary", tmp_path / "s.csv", "--criteria-csv", tmp_path / "c.csv")
    rows = list(csv.DictReader((tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()))
    by = {r["criterion_id"]: r for r in rows}
    assert (by["senior-pm.moves-key-metrics"]["basis"], by["senior-pm.moves-key-metrics"]["basis_note"]) == ("policy", note)
    assert (by["senior-pm.area-direction"]["basis"], by["senior-pm.area-direction"]["basis_note"]) == \
        ("policy", "default window 730 days")
    summary = list(csv.DictReader((tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["numbers_basis"] for r in summary] == ["policy"]
    run_cli("report", out, "--out", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f'<code>senior-pm.moves-key-metrics</code> ' in page and f'<i class="pol">policy: {html.escape(note)}</i>' in page
    assert '<code>senior-pm.area-direction</code> Sets' in page and '<i class="pol">policy (default window)</i>' in page
    assert html.escape(window_note) in page
    show = json.loads(run_cli("rules", "show", "--level", "senior-pm", "--format", "json").stdout)
    lv = show["levels"][0]
    assert lv["policy"]["basis"] == "policy" and lv["policy"]["basis_note"]
    sc = {c["id"]: c for c in lv["criteria"]}
    assert sc["senior-pm.moves-key-metrics"]["basis"] == "policy"
    assert f"      policy: {note}" in run_cli("rules", "show", "--level", "senior-pm").stdout
    assert f"required<br>policy: {note}" in run_cli("rules", "show", "--format", "markdown").stdout


def test_coverage_lists_every_policy_number():
    """rules/COVERAGE.md has a row for every criterion and level labelled policy, with its note."""
    cov = (FIXTURES.parent / "rules" / "COVERAGE.md").read_text(encoding="utf-8")
    book = load_rules()
    for c in book.all_criteria():
        if c.basis == "policy":
            assert f"| `{c.id}` |" in cov and c.basis_note in cov, c.id
    for lv, lr in book.level_rules.items():
        assert f"| `{lv}` policy |" in cov and lr.policy.basis_note in cov, lv
    days, basis, note = book.default_window
    assert basis == "policy" and f"| `ladder.yaml` default window | default_window_days {days} | {note} |" in cov
    for part, block in book.raw["ladder"]["integrity"].items():
        assert block["basis"] == "policy" and f"| `ladder.yaml` integrity: {part} |" in cov \
            and block["rationale"] in cov, part


def test_an_unlabelled_default_window_is_a_lint_error(tmp_path, run_cli):
    """With label_policy_numbers, the ladder's default window is a number like any other: without
    default_window_basis: policy, lint names ladder.yaml, its line and the field."""
    import shutil

    d = tmp_path / "rules"
    shutil.copytree(FIXTURES.parent / "rules", d)
    f = d / "ladder.yaml"
    text = f.read_text(encoding="utf-8")
    kept = [ln for ln in text.splitlines(keepends=True) if not ln.startswith("default_window_")
            or ln.startswith("default_window_days")]
    f.write_text("".join(kept), encoding="utf-8")
    line = next(i for i, ln in enumerate(kept, 1) if ln.startswith("default_window_days"))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"ladder.yaml:{line}: /default_window_days: default_window_days 730: a number the guide does not give" \
        in r.stderr, r.stderr
    # a label without its note is a schema error, never a silent "policy" with nothing to show
    f.write_text(text.replace('default_window_note: "two years', 'x_note: "two years'), encoding="utf-8")
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "default_window_note" in r.stderr and "ladder.yaml" in r.stderr
