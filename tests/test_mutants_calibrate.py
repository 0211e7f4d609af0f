"""calibrate, held to what it counts: every line of a results file accounted for once, overrides
sorted into counted, agreeing and not assessed, the most-disagreed list cut at its number.

Written against the survivors of a mutation run of engine/committee/calibrate.py
(docs/development.md).
"""
from __future__ import annotations

import json

from conftest import FIXTURES  # noqa: F401 - the conftest puts tests/ on the path
from test_committee import _verdict, _write_csv, _write_jsonl

from engine.book.rules import load_rules
from engine.committee import calibrate

BOOK = load_rules(None)
A, M, D = "senior-pm.aligns-teams", "senior-pm.moves-key-metrics", "senior-pm.area-direction"


def _line(cid: str, verdict: str, cycle: str | None = None, **kw) -> dict:
    d = _verdict(cid, verdict, **kw)
    if cycle:
        d["candidate"]["cycle"] = cycle
    return d


def test_every_line_of_the_results_is_accounted_for_once(tmp_path):
    res = tmp_path / "r.jsonl"
    rows = [_line("c1", "ready"), _line("c2", "not_ready", unmet=[A]), _line("c1", "not_ready", unmet=[A]),
            _line("c3", "ready"), {"source": "x.yaml", "error": "invalid packet", "problems": []}]
    res.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n", encoding="utf-8")
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "", ""),
                                         ("2026-h1", "c2", "not_promoted", "2026-07-01", "", ""),
                                         ("2026-h1", "c9", "deferred", "2026-07-01", "", "")])
    cal = calibrate.calibrate(BOOK, str(res), str(dec))
    d = calibrate.as_dict(cal, BOOK)
    assert d["candidates"] == 2  # c1 (its first line) and c2
    assert d["unmatched"] == {"verdicts_without_decision": 1, "decisions_without_verdict": 1, "not_evaluated": 1,
                              "duplicate_verdicts": 1}
    assert [(p.line, p.kind, p.severity) for p in cal.problems] == [(6, "results", "error")]
    text = calibrate.render_text(d)
    assert ("not paired: 1 verdict(s) without a decision, 1 decision(s) without a verdict, 1 packet(s) not "
            "evaluated, 1 repeated verdict(s)") in text
    out = calibrate.execute(BOOK, str(res), str(dec))
    assert out.exit_code == 3 and out.stderr.startswith(f"{res}:6: ")


def test_nothing_left_out_is_counted_as_zero(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "", "")])
    d = calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec)), BOOK)
    assert d["unmatched"] == {"verdicts_without_decision": 0, "decisions_without_verdict": 0, "not_evaluated": 0,
                              "duplicate_verdicts": 0}
    assert (d["candidates"], d["agreement"]) == (1, 1.0)


def test_a_thousand_problems_are_kept_and_the_rest_counted(tmp_path):
    res = tmp_path / "r.jsonl"
    res.write_text("{broken\n" * 1001, encoding="utf-8")
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "", "")])
    cal = calibrate.calibrate(BOOK, str(res), str(dec))
    assert len(cal.problems) == 1000 and cal.more_problems == 1
    res.write_text("{broken\n" * 1000, encoding="utf-8")
    cal = calibrate.calibrate(BOOK, str(res), str(dec))
    assert len(cal.problems) == 1000 and cal.more_problems == 0


def test_with_a_cycle_only_that_cycles_verdicts_are_paired(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "ready", "2026-h1"), _line("c2", "ready", "2026-h2"),
                                              _line("c3", "ready")])  # c3 names no cycle: paired by the decision's
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "", ""),
                                         ("2026-h2", "c2", "promoted", "2026-12-01", "", ""),
                                         ("2026-h1", "c3", "promoted", "2026-07-01", "", "")])
    d = calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec), cycle="2026-h1"), BOOK)
    assert d["candidates"] == 2 and d["unmatched"]["verdicts_without_decision"] == 0
    d = calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec)), BOOK)
    assert d["candidates"] == 3


def test_a_verdict_whose_candidate_was_decided_in_several_cycles_is_a_located_problem(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "deferred", "2026-01-01", "", ""),
                                         ("2026-h2", "c1", "promoted", "2026-07-01", "", "")])
    cal = calibrate.calibrate(BOOK, str(res), str(dec))
    [p] = cal.problems
    assert str(p).startswith(f"{res}:1: candidate 'c1' has decisions in several cycles (2026-h1, 2026-h2)")
    assert calibrate.as_dict(cal, BOOK)["candidates"] == 0


def test_overrides_are_counted_noted_or_refused(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "not_ready", unmet=[A]), _line("c2", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [
        ("2026-h1", "c1", "promoted", "2026-07-01", "", f"{A}=met;{M}=met"),  # A counted; M met already: a note
        ("2026-h1", "c2", "promoted", "2026-07-01", "", "director.sets-org-strategy=met")])  # not assessed for c2
    cal = calibrate.calibrate(BOOK, str(res), str(dec))
    d = calibrate.as_dict(cal, BOOK)
    assert [(r["id"], r["overridden_to_met"], r["overridden_to_unmet"]) for r in d["criteria"]] == [(A, 1, 0)]
    [note] = cal.notes
    assert f"{M}=met agrees with the tool ({res}:1): not counted as an override" in str(note)
    assert len(cal.problems) == 1 and "director.sets-org-strategy" in str(cal.problems[0])
    assert [x["candidate"] for x in d["disagreements"]] == ["c1"]  # c2: ready and promoted, nothing counted
    assert d["disagreements"][0]["overrides"] == [f"{A} -> met"]


def test_the_most_disagreed_list_stops_at_its_number(tmp_path):
    crits = sorted(c.id for c in BOOK.all_criteria() if c.level == "senior-pm")[:7]
    assert len(crits) == 7
    rows, decs = [], []
    for k in range(7):  # criterion k overridden for k + 1 candidates
        for j in range(k + 1):
            cid = f"c{k}-{j}"
            rows.append(_line(cid, "not_ready", unmet=[crits[k]], criteria=crits))
            decs.append(("2026-h1", cid, "promoted", "2026-07-01", "", f"{crits[k]}=met"))
    res, dec = _write_jsonl(tmp_path / "r.jsonl", rows), _write_csv(tmp_path / "d.csv", decs)
    d = calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec)), BOOK)
    assert [r["id"] for r in d["criteria"]] == crits[::-1]  # most overridden first
    assert [(s["id"], s["overrides"]) for s in d["disagreed_most"]] == [(crits[k], k + 1) for k in (6, 5, 4, 3, 2)]
