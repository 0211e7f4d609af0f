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
