"""Integrity policy as documented: what a pack without the block gets, and the P&L scope order.

Written against the survivors of a mutation run of engine/book/integrity.py (docs/development.md):
a member dropped from the scope order, a default number or word changed. Each test reads what it
holds the code to from the documentation or the bundled ladder, not from the code.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
import yaml

from conftest import ROOT
from engine.book.integrity import _Ctx, _ownership, default_policy, policy_from
from engine.book.rules import load_rules

BOOK = load_rules(None)
ORDERS = {lv: BOOK.levels[lv].order for lv in BOOK.levels}
BLOCK = yaml.safe_load((ROOT / "rules" / "ladder.yaml").read_text(encoding="utf-8"))["integrity"]
RULES_DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def _documented_scopes() -> list[str]:
    found = re.search(r"scopes, narrowest first: ([a-z, -]+)\)", RULES_DOC)
    assert found, "docs/rules.md no longer lists the scopes narrowest first"
    return [s.strip() for s in found.group(1).split(",")]


SCOPES = _documented_scopes()


def test_the_documented_scope_order_names_every_scope_a_packet_may_give():
    schema = json.loads((ROOT / "schemas" / "packet.schema.json").read_text(encoding="utf-8"))
    assert sorted(SCOPES) == sorted(schema["$defs"]["scope"]["enum"])
    assert len(SCOPES) == 5


def test_a_pack_without_the_block_gets_what_the_bundled_ladder_writes_out():
    # docs/rules.md: "The bundled ladder writes the defaults out" (its IC track's no-reports rule and
    # the directory's who-may-verify are the bundled ladder's own additions)
    bundled = policy_from(BLOCK, ORDERS)
    for blockless in (default_policy(ORDERS), policy_from(None, ORDERS), policy_from({}, ORDERS)):
        mine = dataclasses.replace(blockless, no_reports_tracks=bundled.no_reports_tracks)
        assert mine == bundled
        assert blockless.no_reports_tracks == frozenset()


def test_a_part_left_out_keeps_its_default_and_a_part_given_replaces_it():
    base = default_policy(ORDERS)
    only_words = policy_from({"higher_is_better": {"words": ["tickets closed"]}}, ORDERS)
    assert only_words.words == (("tickets", "closed"),)
    assert dataclasses.replace(only_words, words=base.words) == base
    only_once = policy_from({"does_not_recur": {"types": ["decision"]}}, ORDERS)
    assert only_once.once == frozenset({"decision"})
    assert dataclasses.replace(only_once, once=base.once) == base


def _pl_warnings(level: str, scope: str) -> list[str]:
    said: list[str] = []
    ctx = _Ctx(policy_from(BLOCK, ORDERS), "management", level, dt.date(2026, 6, 30))
    _ownership(lambda ptr, msg: said.append(msg), "/evidence/0",
               {"type": "business_ownership", "area": "p-and-l", "scope": scope}, {}, ctx, 0)
    return said


@pytest.mark.parametrize("level", sorted(BLOCK["plausibility"]["levels"]))
@pytest.mark.parametrize("scope", SCOPES)
def test_a_pl_up_to_the_levels_widest_scope_passes_and_any_wider_warns(level, scope):
    limit = BLOCK["plausibility"]["levels"][level]["max_pl_scope"]
    said = _pl_warnings(level, scope)
    if SCOPES.index(scope) <= SCOPES.index(limit):
        assert said == []
    else:
        assert len(said) == 1 and f"owning a {scope} P&L is far above {level}" in said[0]
        assert f"up to {limit} scope" in said[0]


def test_a_level_without_a_plausibility_entry_is_never_warned_about_its_pl():
    free = sorted(set(ORDERS) - set(BLOCK["plausibility"]["levels"]))
    assert free
    for level in free:
        assert _pl_warnings(level, "company") == []


@pytest.mark.parametrize("limit", SCOPES)
def test_a_packs_own_widest_scope_is_a_boundary_whichever_scope_it_is(limit):
    # a pack may set any scope as a level's widest: each one is exactly a boundary
    policy = policy_from({"plausibility": {"levels": {"mid-pm": {"max_pl_scope": limit}}}}, ORDERS)
    ctx = _Ctx(policy, "management", "mid-pm", dt.date(2026, 6, 30))
    for scope in SCOPES:
        said: list[str] = []
        _ownership(lambda ptr, msg: said.append(msg), "/evidence/0",
                   {"type": "business_ownership", "area": "p-and-l", "scope": scope}, {}, ctx, 0)
        assert len(said) == (SCOPES.index(scope) > SCOPES.index(limit)), (limit, scope, said)


# -- a record that runs for months (mentoring) ------------------------------------------------------
@pytest.mark.parametrize("day, months, expected", [
    ("2025-07-01", 12, "2025-07-01"),  # on the period's first day: its own date
    ("2025-08-15", 12, "2025-08-15"),  # inside the period: its own date, however long it runs
    ("2025-06-21", 1, "2025-07-01"),  # one month from ten days before: runs into the period
    ("2025-06-01", 1, "2025-06-01"),  # one month from a month before ends on the first day: no overlap
    ("2025-06-21", 0, "2025-06-21"),  # no months: its own date
    ("2025-06-21", "3", "2025-06-21"),  # not a whole number of months: its own date
    ("2025-06-21", True, "2025-06-21"),
])
def test_a_record_counts_from_the_period_start_only_when_it_began_before_and_runs_into_it(day, months, expected):
    from engine.book.integrity import effective_date

    assert effective_date({"type": "mentoring", "date": day, "months": months}, "2025-07-01") == expected


@pytest.mark.parametrize("day, months, expected", [
    ("2025-01-31", 1, "2025-02-28"),  # the month's last day when the day is past its end
    ("2024-01-31", 1, "2024-02-29"),  # a leap year
    ("2025-03-15", 1, "2025-04-15"),
    ("2025-12-15", 1, "2026-01-15"),  # across the year's end
    ("2025-11-30", 3, "2026-02-28"),
    ("2025-05-31", 12, "2026-05-31"),
    ("2025-05-31", 0, "2025-05-31"),
])
def test_months_after_is_the_same_day_that_many_months_on_clipped_to_the_months_end(day, months, expected):
    from engine.book.integrity import months_after

    assert months_after(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(expected)


# -- one voice under two relationships --------------------------------------------------------------
def _feedback_warnings(relationships: list[str]) -> tuple[list, frozenset]:
    from engine.base.loader import Document
    from engine.book.integrity import integrity_warnings

    evidence = [{"id": f"ev-{k}", "type": "stakeholder_feedback", "date": "2026-03-0" + str(k + 1),
                 "from": {"id": "p-ines-okafor", "relationship": rel}, "sentiment": "positive"}
                for k, rel in enumerate(relationships)]
    doc = Document("packet.json", {"evidence": evidence}, "", "json")
    out, flagged, _ = integrity_warnings(doc, "management", "mid-pm", dt.date(2026, 6, 30),
                                         policy_from(BLOCK, ORDERS))
    return out, flagged


def test_one_person_under_one_relationship_twice_is_no_warning():
    out, flagged = _feedback_warnings(["peer", "peer"])
    assert out == [] and flagged == frozenset()


def test_one_person_under_two_relationships_is_one_warning_that_names_the_first_and_flags_no_record():
    out, flagged = _feedback_warnings(["peer", "manager", "peer"])
    assert [(p.path, p.message) for p in out] == [
        ("/evidence/1/from", "the same person (from.id) is given as peer at /evidence/0 and as manager here: "
                             "one person is one voice")]
    assert flagged == frozenset()  # both are counted as one person already: no record is left out


# -- a metric that barely moved ---------------------------------------------------------------------
@pytest.mark.parametrize("base, res, message", [
    (1000, 1004, "moved 0.40% of its baseline, below the 1% a change must reach to count as moved (policy)"),
    (-1000, -996, "moved 0.40% of its baseline, below the 1% a change must reach to count as moved (policy)"),
    (1000, 996, "moved 0.40% of its baseline, below the 1% a change must reach to count as moved (policy)"),
    (0, 0.5, "moved from 0 to less than 1, the least a change from 0 must reach to count as moved (policy)"),
    (0, -0.5, "moved from 0 to less than 1, the least a change from 0 must reach to count as moved (policy)"),
])
def test_a_metric_below_materiality_is_warned_with_its_share_of_the_baseline(base, res, message):
    from engine.book.integrity import _metric_warnings

    said: list[tuple[str, str]] = []
    _metric_warnings(lambda ptr, msg: said.append((ptr, msg)), "/evidence/2", {},
                     [{"kind": "business", "baseline": base, "result": res}], policy_from(BLOCK, ORDERS))
    assert said == [("/evidence/2/metrics/0", message)]
