"""The example cycle of docs/committee.md runs as written: two cycles of a fictional company from
their workbooks, checked against the directory and calendar of the time, decided, calibrated,
replayed and compared. The commands are read from the doc, so the doc cannot drift from them."""
from __future__ import annotations

import csv
import json
import re
import shlex

from conftest import ROOT


DOC = ROOT / "docs" / "committee.md"
MARK = "<!-- the example cycle: tests/test_example_cycle.py runs these lines -->"


def _commands() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(re.escape(MARK) + r"\n```sh\n(.*?)```", text, re.S)
    assert block, "docs/committee.md lost its example-cycle block"
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def test_the_example_cycle_runs_as_documented(run_cli, tmp_path):
    cmds = _commands()
    assert [c[:2] for c in cmds] == [["ladder", w] for w in (
        "import", "validate", "batch", "report", "calibrate", "reverify", "import", "batch", "compare", "report",
        "case")]
    out = {}
    for i, cmd in enumerate(cmds):
        args = [str(ROOT / a) if a.startswith("examples/") else str(tmp_path / a) if a.startswith("cycle/") else a
                for a in cmd[1:]]
        out[i] = run_cli(*args)  # every step exits 0: valid packets, replayed verdicts
    assert "all 30 packet(s) valid" in out[1].stdout
    h1 = [json.loads(line) for line in (tmp_path / "cycle" / "h1.jsonl").read_text(encoding="utf-8").splitlines()]
    h2 = [json.loads(line) for line in (tmp_path / "cycle" / "h2.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [v["verdict"] for v in h1].count("ready") == 3 and len(h1) == 30
    assert [v["verdict"] for v in h2].count("ready") == 7 and len(h2) == 25
    # checked against the organisation's records, every one
    assert all(v["checked_against"]["people"] and v["checked_against"]["cycles"] for v in h1 + h2)
    assert "agreement 93.3%" in out[4].stdout
    assert "30 of 30 packet(s) replay their recorded verdict" in out[5].stdout
    assert "9 moved up, 16 stayed, 0 fell back" in out[8].stdout
    assert "committee 2026-h1: promoted" in out[8].stdout
    page = (tmp_path / "cycle" / "h1.html").read_text(encoding="utf-8")
    assert page.count('class="dec') >= 30  # each candidate's decision in their section
    assert "Rates by location" in page  # the directory's further column, a cohort group
    case = (tmp_path / "cycle" / "emp-1342.html").read_text(encoding="utf-8")
    assert "promoted" in case and "2026-h1" in case and "2026-h2" in case  # the decision and both cycles
    rows = list(csv.DictReader((tmp_path / "cycle" / "h1.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 30 and all(r["manager"] for r in rows if not r["candidate_id"].startswith("cand-ext"))


def test_the_decisions_and_directories_cover_the_cycle_they_belong_to():
    """Every h1 candidate has one decision; every person a packet names is in that cycle's
    directory (the walk's validate proves the relationships; this keeps the files in step)."""
    ex = ROOT / "examples"

    def rows(path):
        return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))

    ids = {r["candidate_id"] for r in rows(ex / "cycle-2026-h1" / "evidence-candidates.csv")}
    decided = [r["candidate_id"] for r in rows(ex / "cycle-2026-h1" / "decisions.csv")]
    assert sorted(decided) == sorted(ids) and len(ids) == 30
    h2 = {r["candidate_id"]: r for r in rows(ex / "cycle-2026-h2" / "evidence-candidates.csv")}
    people2 = {r["id"]: r for r in rows(ex / "cycle-2026-h2" / "people.csv")}
    promoted = {r["candidate_id"] for r in rows(ex / "cycle-2026-h1" / "decisions.csv")
                if r["decision"] == "promoted"}
    for cid in promoted & set(h2):
        assert h2[cid]["current_level"] == people2[cid]["level"]  # the promotion is in the next directory
