"""Every number a criterion or a level policy holds, tested exactly at the number and one step
past it, generated from the rules themselves (so a new number is covered by itself).

For each criterion of the bundled ladder, a packet for its level is given the fewest records that
meet it from nothing (engine.core.plan's synthesis: N records for `min_count: N`, P people for
`min_people: P`, D values for `distinct`), then:
- counts: with those records the criterion is met; without any one of them it is not;
- windows (`within_days`, or the ladder's default window): every record dated exactly the window's
  number of days before the as-of date still meets it; one record a day older does not;
- numbers in `where` (`rating: {gte: 4}`, `months: {gte: 3}`): every record exactly at the number
  meets it; one record one step past it does not.
For each level's evidence policy: exactly `min_records` recent usable records are sufficient, one
fewer is insufficient evidence, and a record exactly at the window's edge counts while one a day
older does not. Met or unmet is always what the engine fired: nothing here re-implements a rule.
"""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from engine.org.anchors import for_book
from engine.base.errors import LadderError
from engine.core.evaluator import Evaluator
from engine.core.evidence import check_document
from engine.core.explain import by_type
from engine.base.loader import Document
from engine.book.operators import ops_of
from engine.core.plan import _needs, _Synth
from engine.book.rules import EXTERNAL, load_rules

from conftest import real_record

BOOK = load_rules()
EVAL = Evaluator(BOOK)
END = dt.date(2026, 6, 30)
START = dt.date(2023, 1, 1)  # long before every window, so a record at a window's edge is in the period
CRITERIA = list(BOOK.all_criteria())


def _below(level: str) -> tuple[str, str]:
    """(track, current level) of a candidate promoted to `level`: the level just below on its track."""
    lv = BOOK.levels[level]
    track = lv.tracks[0]
    lower = [x for x in BOOK.ordered_levels() if track in BOOK.levels[x].tracks and BOOK.levels[x].order < lv.order]
    return track, (lower[-1] if lower else EXTERNAL)


def _packet(level: str, records: list[dict]):
    track, current = _below(level)
    data = {"schema_version": 1,
            "candidate": {"id": "emp-4242", "name": "Tamsin Boundary", "current_level": current,
                          "target_level": level, "track": track},
            "period": {"start": START.isoformat(), "end": END.isoformat()},
            "evidence": [real_record(r) for r in records]}
    return check_document(Document("boundary.json", data, json.dumps(data), "json"), BOOK,
                          anchors=for_book(BOOK, END))  # checked as of the period's last day


def _status(level: str, cid: str, records: list[dict]) -> str:
    v = EVAL.evaluate(_packet(level, records))
    return next(c.status for c in v.criteria if c.id == cid)


def _fewest(c, cond: dict | None = None) -> list[dict]:
    """The fewest records that meet the criterion (or one alternative of it, `cond`) from nothing,
    as engine.core.plan synthesises them."""
    packet = _packet(c.level, [])
    s = _Synth(packet, BOOK, tuple(EVAL.path(packet)))
    recs = _needs(s, cond or c.condition, by_type([]), c.title)
    for i, r in enumerate(recs, start=1):
        r["id"] = f"ev-{i:02d}"
        if r["type"] == "mentoring":  # months back from the as-of date, as the planner dates it
            continue
        r["date"] = END.isoformat()
    return recs


def _leaves(cond: dict) -> list[dict]:
    if "evidence" in cond:
        return [cond]
    return [x for sub in cond.get("all_of", []) + cond.get("any_of", []) + cond.get("of", []) for x in _leaves(sub)]


@pytest.mark.parametrize("c", CRITERIA, ids=lambda c: c.id)
def test_the_fewest_records_meet_it_and_one_fewer_does_not(c):
    recs = _fewest(c)
    assert recs, f"{c.id}: met by an empty packet"
    assert _status(c.level, c.id, recs) == "met", c.id
    for i in range(len(recs)):
        assert _status(c.level, c.id, recs[:i] + recs[i + 1:]) == "unmet", f"{c.id}: met without {recs[i]['type']}"


def _window(c) -> int | None:
    """The one window every leaf of the criterion reads (its own, or the ladder's default)."""
    days = {leaf.get("within_days", leaf.get("default_window")) for leaf in _leaves(c.condition)}
    return days.pop() if len(days) == 1 and None not in days else None


# Mentoring is dated by when it began (its months back from the as-of date), so a criterion read
# from mentoring records alone has no one-day edge to test here.
WINDOWED = [c for c in CRITERIA if _window(c) is not None
            and any(leaf["evidence"] != "mentoring" for leaf in _leaves(c.condition))]


@pytest.mark.parametrize("c", WINDOWED, ids=lambda c: c.id)
def test_a_record_exactly_at_the_window_counts_and_a_day_older_does_not(c):
    days = _window(c)
    edge = (END - dt.timedelta(days=days)).isoformat()
    past = (END - dt.timedelta(days=days + 1)).isoformat()
    at = [{**r, "date": edge} if r["type"] != "mentoring" else r for r in _fewest(c)]
    assert _status(c.level, c.id, at) == "met", f"{c.id}: records {days} days old should count"
    first = next(i for i, r in enumerate(at) if r["type"] != "mentoring")
    older = [dict(r) for r in at]
    older[first]["date"] = past
    assert _status(c.level, c.id, older) == "unmet", f"{c.id}: a record {days + 1} days old should not count"


def _numeric_preds(c) -> list[tuple[str, str, str, float, dict]]:
    """(evidence type, field, operator, number, the records' condition) of each numeric comparison
    in a leaf's where. The records' condition is the criterion's, or for a leaf that is one
    alternative of a top-level any_of, that alternative (it alone meets the criterion)."""
    out = []
    alts = c.condition.get("any_of", [c.condition])
    for alt in alts:
        for leaf in _leaves(alt):
            for f, pred in leaf.get("where", {}).items():
                for op, arg in ops_of(pred):
                    if op in ("gte", "gt", "lte", "lt") and isinstance(arg, (int, float)) and not isinstance(arg, bool):
                        out.append((leaf["evidence"], f, op, arg, alt))
    return out


NUMERIC = [(c, p) for c in CRITERIA for p in _numeric_preds(c)]


def _set(r: dict, dotted: str, value) -> dict:
    r = copy.deepcopy(r)
    cur = r
    *head, last = dotted.split(".")
    for k in head:
        cur = cur.setdefault(k, {})
    cur[last] = value
    return r


@pytest.mark.parametrize("c, pred", NUMERIC, ids=[f"{c.id}:{p[1]}{p[2]}{p[3]}" for c, p in NUMERIC])
def test_a_number_in_where_holds_exactly_at_it_and_not_one_step_past(c, pred):
    etype, field, op, n, cond = pred
    step = 1 if isinstance(n, int) else 0.5
    at_value = n + step if op == "gt" else n - step if op == "lt" else n
    past = {"gte": n - step, "gt": n, "lte": n + step, "lt": n}[op]
    recs = _fewest(c, cond)
    at = [_set(r, field, at_value) if r["type"] == etype else r for r in recs]
    try:
        assert _status(c.level, c.id, at) == "met", f"{c.id}: {field} = {at_value} should meet {op} {n}"
    except LadderError as exc:  # the number itself is outside the schema's range: nothing to test
        pytest.fail(f"{c.id}: {field} = {at_value} is not a valid value: {exc}")
    first = next(i for i, r in enumerate(at) if r["type"] == etype)
    one = [dict(r) for r in at]
    one[first] = _set(at[first], field, past)
    try:
        got = _status(c.level, c.id, one)
    except LadderError:
        return  # one step past is outside the schema (e.g. a rating of 6): the schema is the boundary
    assert got == "unmet", f"{c.id}: {field} = {past} should not meet {op} {n}"


# -- each level's evidence policy ------------------------------------------------------------------
LEVELS = [lv for lv in BOOK.ordered_levels() if lv in BOOK.level_rules and BOOK.level_rules[lv].policy.min_records]


def _level_verdict(level: str, records: list[dict]) -> str:
    v = EVAL.evaluate(_packet(level, records))
    return next(lr.verdict for lr in v.levels if lr.id == level)


def _fillers(level: str, n: int, day: dt.date) -> list[dict]:
    usable = BOOK.level_rules[level].usable_types
    etype = "learning" if "learning" in usable else sorted(usable)[0]
    packet = _packet(level, [])
    s = _Synth(packet, BOOK, tuple(EVAL.path(packet)))
    out = []
    for i in range(n):
        r = s.record({"evidence": etype, "where": {}}, f"recent evidence {i}")
        out.append({**r, "id": f"ev-{i:02d}", "date": day.isoformat()})
    return out


@pytest.mark.parametrize("level", LEVELS)
def test_exactly_min_records_recent_records_are_sufficient_and_one_fewer_is_not(level):
    pol = BOOK.level_rules[level].policy
    assert _level_verdict(level, _fillers(level, pol.min_records, END)) != "insufficient_evidence"
    assert _level_verdict(level, _fillers(level, pol.min_records - 1, END)) == "insufficient_evidence"
    edge = END - dt.timedelta(days=pol.within_days)
    assert _level_verdict(level, _fillers(level, pol.min_records, edge)) != "insufficient_evidence"
    older = _fillers(level, pol.min_records, edge)
    older[0]["date"] = (edge - dt.timedelta(days=1)).isoformat()
    assert _level_verdict(level, older) == "insufficient_evidence"


def test_every_policy_criterion_has_its_boundary_pairs():
    """A criterion labelled policy is covered: by the count pair always, by the window pair when it
    has one window, by a where pair for each number in it. A new shape the generator cannot test
    fails here rather than going untested."""
    for c in CRITERIA:
        if c.basis != "policy":
            continue
        assert _fewest(c), c.id
    assert len(WINDOWED) >= 40 and len(NUMERIC) >= 5
