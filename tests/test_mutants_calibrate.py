"""calibrate, held to what it counts: every line of a results file accounted for once, overrides
sorted into counted, agreeing and not assessed, the most-disagreed list cut at its number.

Written against the survivors of a mutation run of engine/committee/calibrate.py
(docs/development.md).
"""
from __future__ import annotations

import json

import pytest

from conftest import ROOT
from test_committee import COHORT_12, _verdict, _write_csv, _write_jsonl

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


# -- every line of the text and markdown reports -----------------------------------------------------
COHORT = [*COHORT_12, ("c13", "ready", "promoted", "east", (), "")]  # test_committee's twelve and one more


def _cohort(t):
    res = _write_jsonl(t / "r.jsonl", [_verdict(c, tv, org=o, unmet=u) for c, tv, _, o, u, _ in COHORT])
    dec = _write_csv(t / "d.csv", [("2026-h1", c, d, "2026-07-01", "Said so." if c in ("c09", "c12") else "", ov)
                                   for c, _, d, _, _, ov in COHORT])
    return res, dec


EXPECTED = {
    'markdown': (
        '## Calibration: 13 candidates, cycle 2026-h1\n'
        '\n'
        "Agreement **69.2%**, Cohen's kappa **0.5000** (ready pairs with promoted, not ready with not promoted, insufficient evidence with deferred).\n"
        '\n'
        '| tool \\ committee | promoted | not_promoted | deferred |\n'
        '|---|---:|---:|---:|\n'
        '| ready | 5 | 1 | 0 |\n'
        '| not_ready | 1 | 3 | 1 |\n'
        '| insufficient_evidence | 0 | 1 | 1 |\n'
        '\n'
        '### Overrides by criterion\n'
        '\n'
        '| criterion | to met | tool unmet | to unmet | tool met |\n'
        '|---|---:|---:|---:|---:|\n'
        '| `senior-pm.aligns-teams` | 1 | 6 | 0 | 7 |\n'
        '| `senior-pm.moves-key-metrics` | 0 | 1 | 1 | 12 |\n'
        '\n'
        '### By level\n'
        '\n'
        '| level | candidates | agreement | kappa |\n'
        '|---|---:|---:|---:|\n'
        '| senior-pm | 13 | 69.2% | 0.5000 |\n'
        '\n'
        '### By track\n'
        '\n'
        '| track | candidates | agreement | kappa |\n'
        '|---|---:|---:|---:|\n'
        '| management | 13 | 69.2% | 0.5000 |\n'
        '\n'
        '### By org\n'
        '\n'
        '| org | candidates | agreement | kappa |\n'
        '|---|---:|---:|---:|\n'
        '| east | <5 | | |\n'
        '| north | 7 | 85.7% | 0.6957 |\n'
        '| south | 5 | 40.0% | 0.0000 |\n'
        '\n'
        '### Where the committee decided otherwise\n'
        '\n'
        '| candidate | target | rules said | committee decided | overrides | reason |\n'
        '|---|---|---|---|---|---|\n'
        '| c05 | senior-pm | ready | not_promoted | senior-pm.moves-key-metrics -\\> unmet |  |\n'
        '| c09 | senior-pm | not_ready | promoted | senior-pm.aligns-teams -\\> met | Said so. |\n'
        '| c10 | senior-pm | not_ready | deferred |  |  |\n'
        '| c12 | senior-pm | insufficient_evidence | not_promoted |  | Said so. |\n'
        '\n'
        '### Disagreed with most\n'
        '\n'
        '1. `senior-pm.aligns-teams`: overridden 1 time(s), mostly to met. Edit it in `rules/senior-pm.yaml`, then run `ladder audit --base HEAD --packets PACKETS`.\n'
        '1. `senior-pm.moves-key-metrics`: overridden 1 time(s), mostly to unmet. Edit it in `rules/senior-pm.yaml`, then run `ladder audit --base HEAD --packets PACKETS`.\n'
    ),
    'text': (
        'calibration: {dir}/r.jsonl against {dir}/d.csv (cycle 2026-h1)\n'
        "13 candidate(s) with a verdict and a decision; agreement 69.2%, Cohen's kappa 0.5000\n"
        '\n'
        '  tool \\ committee           promoted  not_promoted      deferred\n'
        '  ready                             5             1             0\n'
        '  not_ready                         1             3             1\n'
        '  insufficient_evidence             0             1             1\n'
        '\n'
        'not paired: 0 verdict(s) without a decision, 0 decision(s) without a verdict, 0 packet(s) not evaluated, 0 repeated verdict(s)\n'
        '\n'
        'overrides by criterion (the committee judged it met / unmet against the tool):\n'
        '  senior-pm.aligns-teams: to met 1 of 6 unmet, to unmet 0 of 7 met\n'
        '  senior-pm.moves-key-metrics: to met 0 of 1 unmet, to unmet 1 of 12 met\n'
        '\n'
        'by level (groups and cells under 5 candidates suppressed):\n'
        '  senior-pm: 13 candidates, agreement 69.2%, kappa 0.5000\n'
        '\n'
        'by track (groups and cells under 5 candidates suppressed):\n'
        '  management: 13 candidates, agreement 69.2%, kappa 0.5000\n'
        '\n'
        'by org (groups and cells under 5 candidates suppressed):\n'
        '  east: fewer than 5 candidates\n'
        '  north: 7 candidates, agreement 85.7%, kappa 0.6957\n'
        '  south: 5 candidates, agreement 40.0%, kappa 0.0000\n'
        '\n'
        'where the committee decided otherwise (candidate: rules said -> committee decided; overrides; reason):\n'
        '  c05 (senior-pm): ready -> not_promoted; senior-pm.moves-key-metrics -> unmet\n'
        '  c09 (senior-pm): not_ready -> promoted; senior-pm.aligns-teams -> met; reason: Said so.\n'
        '  c10 (senior-pm): not_ready -> deferred\n'
        '  c12 (senior-pm): insufficient_evidence -> not_promoted; reason: Said so.\n'
        '\n'
        'disagreed with most (candidates for a rule change):\n'
        '  senior-pm.aligns-teams: overridden 1 time(s), mostly to met; edit it in rules/senior-pm.yaml, then `ladder audit --base HEAD --packets PACKETS` lists whose verdict the change flips\n'
        '  senior-pm.moves-key-metrics: overridden 1 time(s), mostly to unmet; edit it in rules/senior-pm.yaml, then `ladder audit --base HEAD --packets PACKETS` lists whose verdict the change flips'
    ),
}


@pytest.mark.parametrize("fmt", sorted(EXPECTED))
def test_every_line_of_the_report(tmp_path, monkeypatch, fmt):
    monkeypatch.chdir(ROOT)  # rule files are named relative to the working directory
    res, dec = _cohort(tmp_path)
    out = calibrate.execute(BOOK, str(res), str(dec), fmt, cycle="2026-h1")
    assert out.stdout == EXPECTED[fmt].replace("{dir}", str(tmp_path))
    assert out.exit_code == 0 and out.stderr == ""


def _hostile_cohort(tmp_path, first_org: str, reason: str):
    """Six candidates whose files carry markup: target "<i>t</i>", org "<u>o</u>" (the first
    candidate's `first_org`), and the one overridden decision's `reason`; c0 not ready, decided
    promoted with A overridden to met."""
    rows = [_line(f"c{k}", "not_ready" if k == 0 else "ready", target="<i>t</i>", org="<u>o</u>" if k else first_org,
                  unmet=[A] if k == 0 else (), criteria=[A]) for k in range(6)]
    res = _write_jsonl(tmp_path / "r.jsonl", rows)
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", f"c{k}", "promoted", "2026-07-01",
                                          reason if k == 0 else "", f"{A}=met" if k == 0 else "")
                                         for k in range(6)])
    return res, dec


def test_every_text_the_files_give_reaches_the_html_page_escaped(tmp_path):
    # a results file and a decisions file may be written by someone who wants a different outcome:
    # the target level and org (results) and the reason (decisions) are theirs to write
    res, dec = _hostile_cohort(tmp_path, "<u>o</u>", "<b>said</b> & done")
    page = calibrate.execute(BOOK, str(res), str(dec), "html").stdout
    for raw, shown in (("<i>t</i>", "&lt;i&gt;t&lt;/i&gt;"), ("<u>o</u>", "&lt;u&gt;o&lt;/u&gt;"),
                       ("<b>said</b> & done", "&lt;b&gt;said&lt;/b&gt; &amp; done")):
        assert raw not in page
        assert shown in page, raw
    assert "<td>c0</td><td>&lt;i&gt;t&lt;/i&gt;</td><td>not_ready</td><td>promoted</td>" in page


def test_an_empty_calibration_says_n_a_and_lists_no_groups(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c2", "promoted", "2026-07-01", "", "")])
    text = calibrate.execute(BOOK, str(res), str(dec)).stdout
    assert "0 candidate(s) with a verdict and a decision; agreement n/a, Cohen's kappa n/a" in text
    assert "overrides by criterion (the committee judged it met / unmet against the tool):\n  none" in text
    assert "by level" not in text and "by org" not in text
    page = calibrate.execute(BOOK, str(res), str(dec), "html").stdout
    assert "<h2>By " not in page and "Calibration: 0 candidates" in page


def test_disagreements_are_listed_by_candidate_whatever_the_results_order(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line(c, "ready") for c in ("c3", "c1", "c2")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", c, "not_promoted", "2026-07-01", "", "") for c in ("c2", "c3", "c1")])
    d = calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec)), BOOK)
    assert [x["candidate"] for x in d["disagreements"]] == ["c1", "c2", "c3"]


def test_a_note_for_an_override_the_tool_agrees_with_is_located_in_the_decisions_file(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "", f"{A}=met")])
    [note] = calibrate.calibrate(BOOK, str(res), str(dec)).notes
    assert str(note) == f"{dec}:2: overrides: {A}=met agrees with the tool ({res}:1): not counted as an override"


def test_cells_under_five_are_suppressed_and_five_is_shown(tmp_path):
    from engine.outputs.report import SUPPRESS_BELOW

    assert SUPPRESS_BELOW == 5
    # org north: 5 ready-promoted and 4 not_ready-not_promoted; org south: 6 ready-promoted
    rows = [_line(f"n{k}", "ready", org="north") for k in range(5)]
    rows += [_line(f"m{k}", "not_ready", org="north", unmet=[A]) for k in range(4)]
    rows += [_line(f"s{k}", "ready", org="south") for k in range(6)]
    res = _write_jsonl(tmp_path / "r.jsonl", rows)
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", r["candidate"]["id"], "promoted" if r["verdict"] == "ready"
                                          else "not_promoted", "2026-07-01", "", "") for r in rows])
    groups = {g["id"]: g for g in calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec)), BOOK)["groups"]["org"]}
    north = groups["north"]["matrix"]
    assert north["ready"]["promoted"] == 5 and north["not_ready"]["not_promoted"] is None
    assert north["ready"]["deferred"] == 0  # an empty cell names nobody: shown
    assert groups["south"]["matrix"]["ready"]["promoted"] == 6


def test_a_tie_between_overrides_to_met_and_to_unmet_reads_as_met(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "not_ready", unmet=[A]), _line("c2", "ready")])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "", f"{A}=met"),
                                         ("2026-h1", "c2", "not_promoted", "2026-07-01", "", f"{A}=unmet")])
    d = calibrate.as_dict(calibrate.calibrate(BOOK, str(res), str(dec)), BOOK)
    assert [(s["id"], s["overrides"], s["committee_says"]) for s in d["disagreed_most"]] == [(A, 2, "met")]


def test_markdown_escapes_what_the_files_give_and_the_page_labels_each_groups_bar(tmp_path):
    res, dec = _hostile_cohort(tmp_path, "|x|", "<b>said</b>")
    md = calibrate.execute(BOOK, str(res), str(dec), "markdown").stdout
    assert "| c0 | \\<i\\>t\\</i\\> | not_ready | promoted |" in md
    assert "| \\|x\\| | <5 | | |" in md  # a suppressed group, its name escaped
    assert "| \\<b\\>said\\</b\\> |" in md
    page = calibrate.execute(BOOK, str(res), str(dec), "html").stdout
    assert "100.0% of 5" in page  # the org group's bar: its agreement of its candidates


def test_an_override_of_a_criterion_the_verdict_did_not_assess_is_refused_where_it_was_written(tmp_path):
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("c1", "ready")])  # judged for senior-pm
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "c1", "promoted", "2026-07-01", "",
                                          "director.drives-business-growth=met")])
    cal = calibrate.calibrate(BOOK, str(res), str(dec))
    assert [str(p) for p in cal.problems] == [
        f"{dec}:2: overrides: 'director.drives-business-growth' was not assessed for 'c1' (target senior-pm, "
        f"{res}:1)"]
    assert calibrate.as_dict(cal, BOOK)["criteria"] == []


def test_a_candidate_id_that_markdown_would_read_as_emphasis_is_escaped_in_the_table(tmp_path):
    # a valid id ("a._b_.c": letters, '.', '_') whose underscores stand beside punctuation would
    # render as emphasis on a pull-request page; the disagreements table escapes it
    res = _write_jsonl(tmp_path / "r.jsonl", [_line("a._b_.c", "not_ready", unmet=[A])])
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", "a._b_.c", "promoted", "2026-07-01", "", "")])
    md = calibrate.execute(BOOK, str(res), str(dec), "markdown").stdout
    assert "| a.\\_b\\_.c | " in md
    assert "a._b_.c" not in md
