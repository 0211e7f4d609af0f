"""Cycle calendars (engine/org/cycles.py): every problem of a calendar located and whole, the
digest independent of the order cycles are listed in, a packet's cycle and period against it at
their boundaries, and the stale-period warning's arithmetic. Each test pins what a slip there
would change. Written against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from engine.base.errors import RulesError
from engine.book.rules import load_rules
from engine.org import cycles
from engine.org.people import DirectoryError

from conftest import ROOT

D = dt.date


def _problems(rows, prefix: str = "") -> list[str]:
    with pytest.raises(DirectoryError) as exc:
        cycles.calendar_of(rows, "cal.yaml", lambda ptr: None, prefix)
    return [f"{p.path}: {p.message}" for p in exc.value.problems]


def test_dates_are_calendar_days_written_yyyy_mm_dd_or_dates_never_datetimes():
    assert cycles._date(D(2026, 1, 31)) == D(2026, 1, 31)
    assert cycles._date("2026-01-31") == D(2026, 1, 31)
    for bad in (dt.datetime(2026, 1, 31, 9, 0), "2026-02-30", "2026-1-31", "20260131", 20260131, None):
        assert cycles._date(bad) is None, bad


def test_every_problem_of_a_calendar_is_located_and_whole():
    assert _problems({"id": "2026-h1"}) == [": a cycle calendar is a list of {id, start, end}"]
    assert _problems(["2026-h1"], "/cycles") == ["/cycles/0: each cycle is a mapping {id, start, end}"]
    assert _problems([{"id": "-bad", "start": "x", "zeta": 1}]) == [
        "/0/id: missing or not a valid cycle id (1-64 letters, digits, '.', '_' or '-')"]  # nothing else of it
    assert _problems([{"id": "h1", "start": "2026-01-01", "end": "2026-06-30"},
                      {"id": "h1", "start": "2026-07-01", "end": "2026-12-31"}]) == ["/1/id: cycle 'h1' is listed twice"]
    assert _problems([{"id": "h1", "start": "2026-01-01", "end": "2026-6-30", "zeta": 1, "alpha": 2}]) == [
        "/0/end: missing or not a date (YYYY-MM-DD)", "/0/alpha: unknown field (a cycle has id, start and end)"]
    assert _problems([{"id": "h1", "start": "2026-07-01", "end": "2026-06-30"}]) == [
        "/0/start: cycle h1 starts (2026-07-01) after it ends (2026-06-30)"]


def test_a_one_day_cycle_is_a_cycle():
    cal = cycles.calendar_of([{"id": "d1", "start": "2026-03-01", "end": "2026-03-01"}], "cal.yaml", lambda p: None)
    assert cal.cycles == {"d1": (D(2026, 3, 1), D(2026, 3, 1))}


def test_the_digest_does_not_depend_on_the_order_cycles_are_listed_in():
    rows = [{"id": f"c{k}", "start": f"2026-0{k}-01", "end": f"2026-0{k}-28"} for k in range(1, 6)]
    a = cycles.calendar_of(rows, "a.yaml", lambda p: None)
    b = cycles.calendar_of(list(reversed(rows)), "b.yaml", lambda p: None)
    assert a.digest == b.digest and a.digest.startswith("sha256:")
    assert cycles.calendar_of(rows[:4], "a.yaml", lambda p: None).digest != a.digest


def test_a_calendar_file_in_yaml_or_json_as_a_list_or_under_cycles(tmp_path):
    rows = [{"id": "2026-h1", "start": "2026-01-01", "end": "2026-06-30"}]
    (tmp_path / "cal.yml").write_text("cycles:\n  - id: 2026-h1\n    start: 2026-01-01\n    end: 2026-06-30\n",
                                      encoding="utf-8")
    (tmp_path / "cal.json").write_text(json.dumps(rows), encoding="utf-8")
    for name in ("cal.yml", "cal.json"):
        assert cycles.load_calendar(str(tmp_path / name)).cycles == {"2026-h1": (D(2026, 1, 1), D(2026, 6, 30))}
    (tmp_path / "bad.yaml").write_text("cycles:\n  - id: 2026-h1\n    start: 2026-01-01\n", encoding="utf-8")
    with pytest.raises(DirectoryError) as exc:
        cycles.load_calendar(str(tmp_path / "bad.yaml"))
    assert [(p.path, p.line) for p in exc.value.problems] == [("/cycles/0/end", 2)]
    (tmp_path / "listed.json").write_text(json.dumps(["cycles"]), encoding="utf-8")  # a list, not {cycles: ...}
    with pytest.raises(DirectoryError) as exc:
        cycles.load_calendar(str(tmp_path / "listed.json"))
    assert [(p.path, p.message) for p in exc.value.problems] == [("/0", "each cycle is a mapping {id, start, end}")]
    (tmp_path / "broken.yaml").write_text("cycles: [", encoding="utf-8")
    with pytest.raises(DirectoryError) as exc:
        cycles.load_calendar(str(tmp_path / "broken.yaml"))
    assert exc.value.summary == f"{tmp_path / 'broken.yaml'}: cannot be read"
    assert [p.source for p in exc.value.problems] == [str(tmp_path / "broken.yaml")]


def test_a_broken_calendar_in_the_pack_is_a_rules_error_located_in_ladder_yaml(tmp_path):
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    ladder = tmp_path / "rules" / "ladder.yaml"
    ladder.write_text(ladder.read_text(encoding="utf-8") + "cycles:\n  - id: 2026-h1\n    start: 2026-07-01\n"
                      "    end: 2026-06-30\n", encoding="utf-8")
    with pytest.raises(RulesError) as exc:
        cycles.pack_calendar(load_rules(tmp_path / "rules"))
    [p] = exc.value.problems
    lines = ladder.read_text(encoding="utf-8").splitlines()
    assert (p.source, p.path, p.message) == (
        str(ladder), "/cycles/0/start", "cycle 2026-h1 starts (2026-07-01) after it ends (2026-06-30)")
    assert p.line == lines.index("    start: 2026-07-01") + 1


class _Doc:
    """What the cycle checks read of a packet's document: its source, data and where a field is."""

    def __init__(self, data: dict):
        self.source, self.data = "p.yaml", data

    def locate(self, ptr: str) -> int:
        return 7


def _doc(cycle: str, end: str) -> _Doc:
    return _Doc({"candidate": {"id": "emp-1", "cycle": cycle}, "period": {"end": end}})


def _cal(n: int) -> cycles.Calendar:
    rows = [{"id": f"c{k:02d}", "start": "2026-01-01", "end": "2026-06-30"} for k in reversed(range(n))]
    return cycles.calendar_of(rows, "cal.yaml", lambda p: None)


@pytest.mark.parametrize("n", [10, 11])
def test_an_unknown_cycle_lists_the_last_ten_known_and_says_when_there_are_more(n):
    [p] = cycles.cycle_problems(_doc("c99", "2026-06-30"), _cal(n))
    known = ", ".join(f"c{k:02d}" for k in range(n - 10, n)) + (", ..." if n > 10 else "")
    assert p.message == f"'c99' is not a cycle of the calendar (cal.yaml; known: {known})"
    assert (p.path, p.line, p.kind) == ("/candidate/cycle", 7, "cycles")


@pytest.mark.parametrize(("end", "inside"), [("2026-01-01", True), ("2026-06-30", True), ("2025-12-31", False),
                                             ("2026-07-01", False)])
def test_the_period_ends_inside_its_cycle_first_and_last_day_included(end, inside):
    got = cycles.cycle_problems(_doc("c00", end), _cal(1))
    assert [p.message for p in got] == ([] if inside else [
        f"the period ends on {end}, outside cycle c00 (2026-01-01 to 2026-06-30): evidence for this cycle ends inside it"])


@pytest.mark.parametrize(("days", "gap"), [(365, None), (366, "1 year(s) and 1 day(s)"),
                                           (400, "1 year(s) and 35 day(s)"), (800, "2 year(s) and 70 day(s)")])
def test_a_period_more_than_a_year_old_is_warned_with_its_age(days, gap):
    end = D(2025, 1, 1)
    w = cycles.stale_warning(_doc("c00", "2025-01-01"), end, end + dt.timedelta(days=days))
    if gap is None:
        assert w is None
    else:
        assert w.message.startswith(f"the period for cycle c00 ended on 2025-01-01, {gap} before the day of the run")
        assert w.severity == "warning"


@pytest.mark.parametrize(("days", "gap"), [(40, "40 day(s)"), (364, "364 day(s)"), (365, "1 year(s) and 0 day(s)"),
                                           (729, "1 year(s) and 364 day(s)"), (730, "2 year(s) and 0 day(s)")])
def test_under_a_shorter_stale_policy_the_age_is_told_in_days_below_a_year(monkeypatch, days, gap):
    # STALE_DAYS is policy: a pack that warns after 30 days tells a younger age in days
    monkeypatch.setattr(cycles, "STALE_DAYS", 30)
    end = D(2025, 1, 1)
    w = cycles.stale_warning(_doc("c00", "2025-01-01"), end, end + dt.timedelta(days=days))
    assert w.message.startswith(f"the period for cycle c00 ended on 2025-01-01, {gap} before the day of the run")
