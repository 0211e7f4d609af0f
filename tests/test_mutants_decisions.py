"""Decisions files, held to what they promise: overrides parsed part by part, unknown columns
named with a suggestion, extension columns kept out of the way, problems capped at 500 and the
rest said in one line.

Written against the survivors of a mutation run of engine/committee/decisions.py
(docs/development.md).
"""
from __future__ import annotations

import pytest

from engine.book.rules import load_rules
from engine.committee.decisions import MAX_PROBLEMS, load_decisions, parse_overrides

BOOK = load_rules(None)
HEADER = "cycle,candidate_id,decision,decided_on,reason,overrides\n"


def test_overrides_are_parsed_part_by_part_and_a_malformed_part_is_never_a_pair():
    pairs, bad = parse_overrides("a.b=maybe; c.d=met;; e.f = unmet; =met; g.h; i.j=met=unmet")
    assert pairs == [("c.d", "met"), ("e.f", "unmet")]
    assert bad == ["'a.b=maybe' is not criterion-id=met or criterion-id=unmet",
                   "'=met' is not criterion-id=met or criterion-id=unmet",
                   "'g.h' is not criterion-id=met or criterion-id=unmet",
                   "'i.j=met=unmet' is not criterion-id=met or criterion-id=unmet"]


def test_an_unknown_key_in_a_yaml_row_is_named_with_a_suggestion_and_x_keys_are_allowed(tmp_path):
    p = tmp_path / "d.yaml"
    p.write_text("decisions:\n  - cycle: 2026-h1\n    candidate_id: c1\n    decision: promoted\n"
                 "    decided_on: 2026-07-01\n    decidd_by: chair-1\n    x-note: kept out of the way\n",
                 encoding="utf-8")
    d = load_decisions(str(p), BOOK)
    assert [str(x) for x in d.problems] == [
        f"{p}:6: /decisions/0/decidd_by: unknown column 'decidd_by'; did you mean 'decided_by'?"]
    assert d.errors == d.problems and d.rows == []
    p.write_text("decisions:\n  - cycle: 2026-h1\n    candidate_id: c1\n    decision: promoted\n"
                 "    decided_on: 2026-07-01\n    x-note: kept out of the way\n", encoding="utf-8")
    d = load_decisions(str(p), BOOK)
    assert d.problems == [] and d.errors == [] and [r.candidate for r in d.rows] == ["c1"]


def test_problems_stop_at_the_cap_with_one_line_saying_so(tmp_path):
    for rows, listed in ((MAX_PROBLEMS, MAX_PROBLEMS), (MAX_PROBLEMS + 1, MAX_PROBLEMS + 1),
                         (MAX_PROBLEMS + 40, MAX_PROBLEMS + 1)):
        p = tmp_path / "d.csv"
        p.write_text(HEADER + "".join(f"2026-h1,c{k},maybe,2026-07-01,,\n" for k in range(rows)), encoding="utf-8")
        d = load_decisions(str(p), BOOK)
        assert len(d.problems) == listed, rows
        if rows > MAX_PROBLEMS:
            assert str(d.problems[-1]) == f"{p}: more than {MAX_PROBLEMS} problems; only the first are listed"
            assert all("maybe" in str(x) or "decision" in str(x) for x in d.problems[:-1])
        else:
            assert "more than" not in str(d.problems[-1])


def test_a_date_that_is_no_calendar_day_is_refused(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + "2026-h1,c1,promoted,2026-02-30,,\n2026-h1,c2,promoted,2026-02-28,,\n", encoding="utf-8")
    d = load_decisions(str(p), BOOK)
    assert [r.candidate for r in d.rows] == ["c2"]
    assert [str(x) for x in d.problems] == [f"{p}:2: decided_on: '2026-02-30' is not a real calendar date"]





@pytest.mark.parametrize("col, value, message", [
    ("cycle", "2026", "cycle: must be text, not a number"),
    ("candidate_id", "[c1]", "candidate_id: must be text, not a list"),
    ("decision", "{a: 1}", "decision: must be text, not a mapping"),
    ("decided_on", "20260701", "decided_on: must be text, not a number (quote it: '2026-06-30')"),
    ("reason", "5", "reason: must be text, not a int"),
    ("overrides", "true", "overrides: must be text, not true/false"),
    ("decided_by", "1.5", "decided_by: must be text, not a number"),
])
def test_each_column_must_be_text(tmp_path, col, value, message):
    row = {"cycle": "2026-h1", "candidate_id": "c1", "decision": "promoted", "decided_on": "2026-07-01"}
    row[col] = value
    p = tmp_path / "d.yaml"
    p.write_text("decisions:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in row.items()) + "\n", encoding="utf-8")
    d = load_decisions(str(p), BOOK)
    assert d.rows == []
    assert any(str(x).endswith(f"/decisions/0/{message}") for x in d.problems), [str(x) for x in d.problems]


def _csv(tmp_path, text: str):
    p = tmp_path / "d.csv"
    p.write_text(text, encoding="utf-8")
    return p, load_decisions(str(p), BOOK)


def test_a_reason_of_4000_characters_is_kept_and_one_more_is_refused(tmp_path):
    p, d = _csv(tmp_path, HEADER + f"2026-h1,c1,promoted,2026-07-01,{'r' * 4000},\n"
                                   f"2026-h1,c2,promoted,2026-07-01,{'r' * 4001},\n")
    assert [r.candidate for r in d.rows] == ["c1"]
    assert [str(x) for x in d.problems] == [f"{p}:3: reason: is longer than 4000 characters"]


def test_an_override_twice_in_a_row_or_of_an_unknown_criterion_is_refused(tmp_path):
    p, d = _csv(tmp_path, HEADER + "2026-h1,c1,promoted,2026-07-01,,senior-pm.aligns-teams=met;"
                                   "senior-pm.aligns-teams=unmet\n"
                                   "2026-h1,c2,promoted,2026-07-01,,senior-pm.align-teams=met\n")
    assert d.rows == []
    assert [str(x) for x in d.problems] == [
        f"{p}:2: overrides: 'senior-pm.aligns-teams' is overridden twice in one row",
        f"{p}:3: overrides: unknown criterion 'senior-pm.align-teams'; did you mean 'senior-pm.aligns-teams'? "
        "(ladder rules show lists them)"]


def test_a_second_decision_for_one_candidate_and_cycle_names_the_first(tmp_path):
    p, d = _csv(tmp_path, HEADER + "2026-h1,c1,promoted,2026-07-01,,\n2026-h2,c1,promoted,2026-12-01,,\n"
                                   "2026-h1,c1,deferred,2026-07-02,,\n")
    assert [(r.cycle, r.candidate) for r in d.rows] == [("2026-h1", "c1"), ("2026-h2", "c1")]
    assert [str(x) for x in d.problems] == [
        f"{p}:4: candidate_id: 'c1' already has a decision for cycle '2026-h1' at line 2"]


@pytest.mark.parametrize("text, problems", [
    ("", ["{p}:1: no header row: the first line names the columns (cycle, candidate_id, decision, decided_on, "
          "reason, overrides, decided_by)"]),
    ("cycle,candidate_id,decision\n", ["{p}:1: decided_on: missing column 'decided_on'"]),
    ("cycle,candidate_id,decision,decided_on,cycle\n", ["{p}:1: cycle: column 'cycle' appears twice"]),
    ("cycle,candidate_id,decision,decided_on,x-a,x-b\n2026-h1,c1,promoted,2026-07-01,1,2\n", []),
    (HEADER + "2026-h1,c1,promoted\n", ["{p}:2: 3 cells for 6 columns"]),
    (HEADER + '2026-h1,c1,promoted,2026-07-01,"open quote,\n', ["{p}:2: not valid CSV: unexpected end of data"]),
    (HEADER + "\n  ,,,,,\n2026-h1,c1,promoted,2026-07-01,,\n", []),  # blank rows are skipped
])
def test_the_header_and_the_shape_of_each_row(tmp_path, text, problems):
    p, d = _csv(tmp_path, text)
    assert [str(x) for x in d.problems] == [m.format(p=p) for m in problems]


def test_a_missing_value_is_named_whether_left_out_or_left_empty(tmp_path):
    p, d = _csv(tmp_path, HEADER + "2026-h1,c1,,2026-07-01,,\n")
    assert [str(x) for x in d.problems] == [f"{p}:2: decision: missing decision"]
    y = tmp_path / "d.yaml"
    y.write_text("decisions:\n  - cycle: 2026-h1\n    candidate_id: c1\n    decision: promoted\n", encoding="utf-8")
    d = load_decisions(str(y), BOOK)
    assert [x.message for x in d.problems] == ["missing decided_on"]


def test_rows_without_a_cycle_are_not_taken_for_one_candidates_second_decision(tmp_path):
    p, d = _csv(tmp_path, HEADER + ",c1,promoted,2026-07-01,,\n,c1,deferred,2026-07-01,,\n")
    assert [str(x) for x in d.problems] == [f"{p}:2: cycle: missing cycle", f"{p}:3: cycle: missing cycle"]


def test_a_header_that_is_not_csv_and_repeated_columns_in_order(tmp_path):
    p, d = _csv(tmp_path, '"cycle,candidate_id\n')
    assert [str(x) for x in d.problems] == [f"{p}:1: not valid CSV: unexpected end of data"]
    p, d = _csv(tmp_path, "decision,cycle,candidate_id,decision,decided_on,cycle\n")
    assert [str(x) for x in d.problems] == [f"{p}:1: cycle: column 'cycle' appears twice",
                                            f"{p}:1: decision: column 'decision' appears twice"]
