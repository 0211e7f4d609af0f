"""Evidence integrity: claims a packet cannot make, however it is written.

Each case is a way a committee member could game a verdict, written as the smallest change to
one valid packet; each must be refused with a located error that says what to fix.
"""
from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml
from test_validate import BASE, problems_in

from engine import clock


def _with(change) -> list:
    data = copy.deepcopy(BASE)
    change(data)
    return problems_in(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("giver", ["EMP-1042", " emp-1042", "Emp-1042 "])
def test_feedback_from_the_candidate_in_another_case_is_refused(giver):
    found = _with(lambda d: d["evidence"][2]["from"].update(id=giver))
    assert {p.path for p in found} == {"/evidence/2/from/id"}, found  # (padding is also a schema error)
    assert any(p.kind == "semantic" and "candidate's own id" in p.message for p in found), found


def test_mentoring_themselves_in_another_case_is_refused():
    found = _with(lambda d: d["evidence"][1]["mentee"].update(id="EMP-1042"))
    assert [p.path for p in found] == ["/evidence/1/mentee/id"]


@pytest.mark.parametrize("title", ["TBD", "x", ".", "...", "Lorem ipsum dolor", "  tbd  ", "123", "n/a", "???"])
def test_placeholder_titles_are_refused(title):
    found = _with(lambda d: d["evidence"][0].update(title=title))
    assert [p.path for p in found] == ["/evidence/0/title"], found
    assert found[0].message == "placeholder text, not a title: say what the work was"  # never echoes the text


@pytest.mark.parametrize("title", ["Checkout redesign", "B2B invoicing", "Q3 launch: 2FA", "Ré-écriture"])
def test_real_titles_pass(title):
    assert _with(lambda d: d["evidence"][0].update(title=title)) == []


def test_a_period_ending_after_today_is_refused():
    """period.end is the packet's own claim: dated in the future, every record could be too."""
    try:
        clock.set_today(dt.date(2026, 6, 29))
        found = _with(lambda d: None)
        assert [p.path for p in found] == ["/period/end"]
        assert "--today" in found[0].message
        clock.set_today(dt.date(2026, 6, 30))
        assert _with(lambda d: None) == []
    finally:
        clock.set_today(None)


def test_today_replays_a_cycle_from_the_command_line(run_cli):
    """--today is the day of the run for validate, evaluate and batch; the period may not end after it."""
    from conftest import FIXTURES

    fx = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"  # period ends 2026-06-30
    r = run_cli("evaluate", fx, "--today", "2026-06-29", exit_code=3)
    assert "/period/end" in r.stderr and "--today" in r.stderr
    run_cli("evaluate", fx, "--today", "2026-06-30")
    run_cli("validate", fx, "--today", "2026-06-29", exit_code=3)
    out = run_cli("batch", fx, "--out", "-", "--today", "2026-06-29", "--quiet", exit_code=3).stdout
    assert '"/period/end"' in out
