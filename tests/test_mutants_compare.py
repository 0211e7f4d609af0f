"""compare, held to what it claims: how a candidate moved, the CSV's columns, the formats offered.

Written against the survivors of a mutation run of engine/committee/compare.py
(docs/development.md): the rank of verdicts, a promotion between cycles, a candidate who joined
from outside, the order of closed criteria, the CSV header, the formats the command line offers.
"""
from __future__ import annotations

import csv
import io
import itertools

import click
import pytest

from engine.book.rules import EXTERNAL, load_rules
from engine.committee import calibrate, compare
from engine.outputs.results import Summary

BOOK = load_rules(None)
ORDER = ["insufficient_evidence", "not_ready", "ready"]  # docs: a verdict's rank, lowest first


def _s(verdict: str, current: str = "mid-pm", target: str = "senior-pm", unmet=(), line: int = 1) -> Summary:
    return Summary("emp-1", None, None, "management", current, target, (current, target), verdict,
                   frozenset(unmet), frozenset(), "sha256:r", line)


@pytest.mark.parametrize("old, new", list(itertools.product(ORDER, ORDER)))
def test_at_the_same_level_a_candidate_moves_by_the_rank_of_the_verdict(old, new):
    step = ORDER.index(new) - ORDER.index(old)
    expected = compare.UP if step > 0 else compare.DOWN if step < 0 else compare.SAME
    assert compare.change(BOOK, _s(old), _s(new)).movement == expected


@pytest.mark.parametrize("old, new", list(itertools.product(ORDER, ORDER)))
def test_a_candidate_promoted_between_cycles_moved_up_whatever_the_verdicts(old, new):
    c = compare.change(BOOK, _s(old, "mid-pm", "senior-pm"), _s(new, "senior-pm", "director"))
    assert c.movement == compare.UP
    assert c.compared is False  # two different levels judged: their criteria are not compared
    back = compare.change(BOOK, _s(old, "senior-pm", "director"), _s(new, "mid-pm", "senior-pm"))
    assert back.movement == compare.DOWN


def test_a_candidate_who_joined_from_outside_moved_up_on_joining():
    c = compare.change(BOOK, _s("ready", EXTERNAL, "associate-pm"), _s("insufficient_evidence", "associate-pm",
                                                                         "mid-pm"))
    assert c.movement == compare.UP


def test_criteria_closed_and_opened_are_listed_in_order():
    old = _s("not_ready", unmet={"senior-pm.z", "senior-pm.b", "senior-pm.m", "senior-pm.a", "senior-pm.q"})
    new = _s("not_ready", unmet={"senior-pm.k", "senior-pm.c", "senior-pm.y", "senior-pm.e", "senior-pm.a"})
    c = compare.change(BOOK, old, new)
    assert c.closed == ["senior-pm.b", "senior-pm.m", "senior-pm.q", "senior-pm.z"]
    assert c.opened == ["senior-pm.c", "senior-pm.e", "senior-pm.k", "senior-pm.y"]


def test_the_csv_has_one_named_column_for_each_field_of_a_row():
    c = compare.change(BOOK, _s("not_ready", unmet={"senior-pm.a"}, line=3), _s("ready", line=7))
    cohort = compare.Cohort()
    rows = list(csv.reader(io.StringIO("".join(compare.render_csv(iter([c]), cohort)))))
    assert rows[0] == ["candidate_id", "movement", "old_verdict", "new_verdict", "old_current_level",
                       "new_current_level", "old_target_level", "new_target_level", "closed", "opened",
                       "old_line", "new_line"]
    assert dict(zip(rows[0], rows[1])) == {
        "candidate_id": "emp-1", "movement": "up", "old_verdict": "not_ready", "new_verdict": "ready",
        "old_current_level": "mid-pm", "new_current_level": "mid-pm", "old_target_level": "senior-pm",
        "new_target_level": "senior-pm", "closed": "senior-pm.a", "opened": "", "old_line": "3", "new_line": "7"}


@pytest.mark.parametrize("command, engine_formats, renderers", [
    ("compare", compare.FORMATS, compare.RENDER), ("calibrate", calibrate.FORMATS, calibrate.RENDER)])
def test_the_command_line_offers_exactly_the_formats_the_engine_renders(command, engine_formats, renderers):
    from cli import main

    [fmt] = [p for p in main.commands[command].params if p.name == "fmt"]
    assert isinstance(fmt.type, click.Choice)
    assert tuple(fmt.type.choices) == tuple(engine_formats) == tuple(renderers)


# -- every line of a cohort's comparison ---------------------------------------------------------
def _cohort(t):
    from test_committee import _verdict, _write_csv, _write_jsonl

    A, M, D = "senior-pm.aligns-teams", "senior-pm.moves-key-metrics", "senior-pm.area-direction"
    old = _write_jsonl(t / "old.jsonl", [
        _verdict("emp-a", "not_ready", unmet=[A, M]),  # closes both: up
        _verdict("emp-b", "ready"),  # opens one: fell back (the committee did not promote)
        _verdict("emp-c", "not_ready", unmet=[A]),  # the same: unchanged
        _verdict("emp-d", "ready"),  # promoted by the committee, still mid-pm in the new packet: flagged
        _verdict("emp-e", "not_ready", unmet=[D]),  # not in the new results
        _verdict("emp-g", "not_ready", unmet=[A]),  # judged for another level next time
        _verdict("emp-a", "ready"),  # a second line: counted once, warned
        {"source": "x.yaml", "error": "invalid packet", "problems": []},  # not evaluated
    ])
    new = _write_jsonl(t / "new.jsonl", [
        _verdict("emp-a", "ready"),
        _verdict("emp-b", "not_ready", unmet=[D]),
        _verdict("emp-c", "not_ready", unmet=[A]),
        _verdict("emp-d", "ready", rules="sha256:r2"),  # under other rules
        _verdict("emp-g", "not_ready", target="director", unmet=["director.x"], criteria=["director.x"]),
        _verdict("emp-f", "insufficient_evidence", current="senior-pm", target="director", criteria=["director.x"]),
    ])
    dec = _write_csv(t / "d.csv", [("2026-h1", "emp-d", "promoted", "2026-07-01", "Ready.", ""),
                                  ("2026-h1", "emp-b", "not_promoted", "2026-07-02", "", "")])
    return old, new, dec


EXPECTED = {
    ('markdown', False): (
        '## Since the last cycle\n'
        '\n'
        '| candidate | movement | then | now | closed | opened |\n'
        '|---|---|---|---|---|---|\n'
        '| emp-a | up | not_ready (senior-pm) | ready (senior-pm) | senior-pm.aligns-teams, senior-pm.moves-key-metrics |  |\n'
        '| emp-b | fell back | ready (senior-pm) | not_ready (senior-pm) |  | senior-pm.area-direction |\n'
        '| emp-g | stayed | not_ready (senior-pm) | not_ready (director) |  | other levels: not compared |\n'
        '| emp-f | new |  | insufficient_evidence (director) |  |  |\n'
        '\n'
        '2 candidate(s) unchanged.\n'
        '\n'
        'Not in the new results (1): emp-e.\n'
        '\n'
        '- 1 moved up, 3 stayed, 1 fell back; 1 new, 1 not in the new results\n'
        '- 2 unmet criteria closed, 1 opened; 1 candidate(s) judged under different rules in the two files; not evaluated: 1 old, 0 new\n'
    ),
    ('markdown', True): (
        '## Since the last cycle\n'
        '\n'
        '| candidate | movement | then | now | closed | opened | committee | flags |\n'
        '|---|---|---|---|---|---|---|---|\n'
        '| emp-a | up | not_ready (senior-pm) | ready (senior-pm) | senior-pm.aligns-teams, senior-pm.moves-key-metrics |  |  |  |\n'
        '| emp-b | fell back | ready (senior-pm) | not_ready (senior-pm) |  | senior-pm.area-direction | 2026-h1: not promoted |  |\n'
        '| emp-d | up | ready (senior-pm) | ready (senior-pm) |  |  | 2026-h1: promoted (Ready.) | promoted in 2026-h1 (decided 2026-07-01), but the new packet still gives mid-pm as the current level: a stale packet |\n'
        '| emp-g | stayed | not_ready (senior-pm) | not_ready (director) |  | other levels: not compared |  |  |\n'
        '| emp-f | new |  | insufficient_evidence (director) |  |  |  |  |\n'
        '\n'
        '1 candidate(s) unchanged.\n'
        '\n'
        'Not in the new results (1): emp-e.\n'
        '\n'
        '- 2 moved up, 2 stayed, 1 fell back; 1 new, 1 not in the new results\n'
        '- 2 unmet criteria closed, 1 opened; 1 candidate(s) judged under different rules in the two files; not evaluated: 1 old, 0 new\n'
        '- 2 candidate(s) with a committee decision on the old verdict; 1 promoted but still giving the old current level (flagged)\n'
    ),
    ('text', False): (
        'emp-a: up: not_ready for senior-pm -> ready for senior-pm; closed senior-pm.aligns-teams, senior-pm.moves-key-metrics\n'
        'emp-b: fell back: ready for senior-pm -> not_ready for senior-pm; opened senior-pm.area-direction\n'
        'emp-g: stayed: not_ready for senior-pm -> not_ready for director; judged for other levels, criteria not compared\n'
        'emp-f: new: (not in the old results) -> insufficient_evidence for director\n'
        '2 candidate(s) with the same verdict and the same unmet criteria\n'
        '1 candidate(s) not in the new results: emp-e\n'
        '1 moved up, 3 stayed, 1 fell back; 1 new, 1 not in the new results\n'
        '2 unmet criteria closed, 1 opened; 1 candidate(s) judged under different rules in the two files; not evaluated: 1 old, 0 new\n'
    ),
    ('text', True): (
        'emp-a: up: not_ready for senior-pm -> ready for senior-pm; closed senior-pm.aligns-teams, senior-pm.moves-key-metrics\n'
        'emp-b: fell back: ready for senior-pm -> not_ready for senior-pm; opened senior-pm.area-direction; committee 2026-h1: not promoted\n'
        'emp-d: up: ready for senior-pm -> ready for senior-pm; committee 2026-h1: promoted (Ready.); FLAG: promoted in 2026-h1 (decided 2026-07-01), but the new packet still gives mid-pm as the current level: a stale packet\n'
        'emp-g: stayed: not_ready for senior-pm -> not_ready for director; judged for other levels, criteria not compared\n'
        'emp-f: new: (not in the old results) -> insufficient_evidence for director\n'
        '1 candidate(s) with the same verdict and the same unmet criteria\n'
        '1 candidate(s) not in the new results: emp-e\n'
        '2 moved up, 2 stayed, 1 fell back; 1 new, 1 not in the new results\n'
        '2 unmet criteria closed, 1 opened; 1 candidate(s) judged under different rules in the two files; not evaluated: 1 old, 0 new\n'
        '2 candidate(s) with a committee decision on the old verdict; 1 promoted but still giving the old current level (flagged)\n'
    ),
}


@pytest.mark.parametrize("fmt, with_decisions", sorted(EXPECTED))
def test_every_line_of_a_cohorts_comparison(tmp_path, fmt, with_decisions):
    old, new, dec = _cohort(tmp_path)
    out = compare.execute(BOOK, str(old), str(new), fmt, decisions=(str(dec),) if with_decisions else ())
    assert "".join(out.stdout) == EXPECTED[(fmt, with_decisions)].replace("{dir}", str(tmp_path))
    assert out.exit_code == 0
    assert out.stderr == f"{old}:7: /candidate/id: 'emp-a' appears again (counted once, at its first line)"


def test_the_json_says_whose_criteria_were_compared(tmp_path):
    import json

    old, new, dec = _cohort(tmp_path)
    d = json.loads("".join(compare.execute(BOOK, str(old), str(new), "json").stdout))
    assert {c["candidate"]: (c["movement"], c["criteria_compared"]) for c in d["candidates"]} == {
        "emp-a": ("up", True), "emp-b": ("fell_back", True), "emp-c": ("stayed", True), "emp-d": ("stayed", True),
        "emp-g": ("stayed", False),  # judged for another level
        "emp-f": ("new", False), "emp-e": ("left", False)}  # one side only: nothing to compare
    assert [c["candidate"] for c in d["candidates"]] == ["emp-a", "emp-b", "emp-c", "emp-d", "emp-g", "emp-f",
                                                         "emp-e"]  # the new file's order, then the leavers
    assert d["cohort"] == {"moved_up": 1, "stayed": 3, "fell_back": 1, "new": 1, "left": 1, "closed": 2, "opened": 1,
                           "rules_changed": 1, "not_evaluated": {"old": 1, "new": 0}, "duplicates": {"old": 1, "new": 0}}


def test_a_candidate_who_stayed_but_closed_a_criterion_is_listed(tmp_path):
    from test_committee import _verdict, _write_jsonl

    A, M = "senior-pm.aligns-teams", "senior-pm.moves-key-metrics"
    old = _write_jsonl(tmp_path / "old.jsonl", [_verdict("emp-h", "not_ready", unmet=[A, M])])
    new = _write_jsonl(tmp_path / "new.jsonl", [_verdict("emp-h", "not_ready", unmet=[A])])
    text = "".join(compare.execute(BOOK, str(old), str(new), "text").stdout)
    assert text.splitlines()[0] == (
        "emp-h: stayed: not_ready for senior-pm -> not_ready for senior-pm; closed senior-pm.moves-key-metrics")


def test_markdown_cells_and_the_leavers_line_escape_what_the_results_say(tmp_path):
    from test_committee import _verdict, _write_jsonl

    old = _write_jsonl(tmp_path / "old.jsonl", [_verdict("emp|x<b>", "not_ready"), _verdict("gone*<i>", "ready")])
    new = _write_jsonl(tmp_path / "new.jsonl", [_verdict("emp|x<b>", "ready")])
    md = "".join(compare.execute(BOOK, str(old), str(new), "markdown").stdout)
    assert "| emp\\|x\\<b\\> | up |" in md
    assert "Not in the new results (1): gone\\*\\<i\\>.\n" in md
    assert "<b>" not in md and "<i>" not in md
