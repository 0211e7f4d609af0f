"""Every policy number of the bundled ladder's integrity block and of each adjacent path, exactly
at the number and one step past it (issue 31, point 1; tests/test_policy_boundaries.py does the
criteria and the levels). The numbers are read from the rules themselves, so a changed number is
tested where it now stands; a numeric policy leaf no generator knows fails
`test_every_integrity_and_path_number_has_its_pair`."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from conftest import ROOT
from engine.book.integrity import _Ctx, _leadership, _repeats, moved, policy_from
from engine.core.career_fit import fit
from engine.book.career_paths import load_paths
from engine.book.rules import load_rules
from engine.core.verdict import SOME, STRONG, SignalResult

BOOK = load_rules(None)
LADDER = yaml.safe_load((ROOT / "rules" / "ladder.yaml").read_text(encoding="utf-8"))
BLOCK = LADDER["integrity"]
ORDERS = {lv: BOOK.levels[lv].order for lv in BOOK.levels}
POLICY = policy_from(BLOCK, ORDERS)


def _numeric_leaves(node, path=()):
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        yield ".".join(path)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _numeric_leaves(v, path + (str(k),))


# Each numeric leaf of the integrity block -> the generator that tests it (a pattern: * is a level)
COVERED = {"materiality.relative", "materiality.from_zero", "restatement.within_days",
           "plausibility.levels.*.max_reports"}


def _pattern(leaf: str) -> str:
    parts = leaf.split(".")
    if parts[:2] == ["plausibility", "levels"] and len(parts) == 4:
        parts[2] = "*"
    return ".".join(parts)


def test_every_integrity_and_path_number_has_its_pair():
    leaves = list(_numeric_leaves(BLOCK))
    assert leaves, "the bundled ladder has no integrity numbers: this test reads the wrong block"
    assert sorted({_pattern(x) for x in leaves} - COVERED) == []
    for p in load_paths(BOOK).paths.values():  # each path's one number: min_supporting
        assert isinstance(p.min_supporting, int)


# -- materiality ------------------------------------------------------------------------------------
def test_a_move_of_exactly_the_relative_threshold_counts_and_a_hair_less_does_not():
    r = BLOCK["materiality"]["relative"]
    assert POLICY.relative == r
    base = 1000.0
    step = base * r
    assert moved(base, base + step, True, POLICY) and not moved(base, base + step - 0.001, True, POLICY)
    assert moved(base, base - step, False, POLICY) and not moved(base, base - step + 0.001, False, POLICY)
    assert not moved(base, base + 10 * step, False, POLICY)  # the wrong way is never a move


def test_a_move_from_zero_must_reach_the_from_zero_threshold():
    f = BLOCK["materiality"]["from_zero"]
    assert POLICY.from_zero == f
    assert moved(0, f, True, POLICY) and not moved(0, f - 0.001, True, POLICY)


# -- restatement ------------------------------------------------------------------------------------
def _restated_pair(days_apart: int) -> list[dict]:
    day0 = dt.date(2026, 3, 1)
    rec = {"type": "shipped_outcome", "role": "led", "scope": "feature"}
    return [{**rec, "id": "ev-01", "title": "Checkout launch", "date": day0.isoformat(),
             "metrics": [{"kind": "business", "baseline": 2.0, "result": 3.0, "unit": "%"}]},
            {**rec, "id": "ev-02", "title": "Payments page release", "date": (day0 + dt.timedelta(days_apart)).isoformat(),
             "metrics": [{"kind": "business", "baseline": 200, "result": 300, "unit": "bp"}]}]


def test_the_same_metrics_in_other_units_within_the_window_are_one_outcome():
    days = BLOCK["restatement"]["within_days"]
    assert POLICY.restated_days == days
    groups, _ = _repeats(_restated_pair(days), POLICY)
    assert groups == [0, 0]  # exactly the window apart: one outcome told twice
    groups, _ = _repeats(_restated_pair(days + 1), POLICY)
    assert groups == [0, 1]  # a day more: two outcomes


# -- plausibility -----------------------------------------------------------------------------------
@pytest.mark.parametrize("level", sorted(BLOCK["plausibility"]["levels"]))
def test_reports_at_the_plausible_most_pass_and_one_more_warns(level):
    most = BLOCK["plausibility"]["levels"][level]["max_reports"]
    said = []

    def warn(ptr, message):
        said.append(message)

    ctx = _Ctx(POLICY, "management", level, dt.date(2026, 6, 30))
    _leadership(warn, "/evidence/0", {"type": "people_leadership", "reports": most}, {}, ctx, 0)
    assert said == []
    _leadership(warn, "/evidence/0", {"type": "people_leadership", "reports": most + 1}, {}, ctx, 0)
    assert len(said) == 1 and f"at most {most}" in said[0]


# -- adjacent paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path_id", sorted(load_paths(BOOK).paths))
def test_a_path_fits_strongly_at_its_supporting_number_and_not_one_below(path_id):
    p = load_paths(BOOK).paths[path_id]
    req = [SignalResult(f"r{i}", "", "", True, True, [], "") for i in range(1 + (p.min_supporting % 2))]
    def sup(k: int) -> list[SignalResult]:
        return [SignalResult(f"s{i}", "", "", False, i < k, [], "") for i in range(p.min_supporting + 2)]
    assert fit(p, req + sup(p.min_supporting)) == STRONG
    if p.min_supporting > 0:
        assert fit(p, req + sup(p.min_supporting - 1)) == SOME
