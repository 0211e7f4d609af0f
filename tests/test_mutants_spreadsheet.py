"""What `ladder import` says about each bad row (engine.outputs.spreadsheet.packets_from_tables), in
process: every refusal named by sheet, row and column, and the values each kind of column takes."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from engine.outputs.spreadsheet import CANDIDATES, EVIDENCE, Columns, _text, packets_from_tables

from conftest import ROOT

COLS = Columns(json.loads((ROOT / "schemas" / "packet.schema.json").read_text(encoding="utf-8")))
FILES = {EVIDENCE: "e.csv", CANDIDATES: "c.csv"}


def table(*rows: list) -> list:
    return [(n, {i: v for i, v in enumerate(row, start=1) if v != ""}) for n, row in enumerate(rows, start=1)]


CANDS = table(["candidate_id", "target_level", "period.start", "period.end"],
              ["emp-1", "senior-pm", "2026-01-01", "2026-06-30"])


def problems(evidence: list, cands: list = CANDS) -> list[str]:
    _, _, probs = packets_from_tables({EVIDENCE: evidence, CANDIDATES: cands}, FILES, COLS)
    return [f"{p.source}: {p.message}" for p in probs]


def packets(evidence: list, cands: list = CANDS) -> dict:
    pk, _, probs = packets_from_tables({EVIDENCE: evidence, CANDIDATES: cands}, FILES, COLS)
    assert probs == []
    return pk


HEAD = ["candidate_id", "type", "date", "title"]


def test_a_candidate_row_needs_an_id_and_comes_once():
    cands = table(["candidate_id", "target_level"], ["", "senior-pm"], ["emp-1", "senior-pm"], ["emp-1", "mid-pm"])
    got = problems(table(HEAD), cands)
    assert got == ["c.csv: sheet candidates, row 2, column candidate_id: empty: every candidate row needs one",
                   "c.csv: sheet candidates, row 4, column candidate_id: a candidate already given in an earlier row"]


def test_candidate_columns_fill_the_packet_in_their_places():
    cands = table(["candidate_id", "period.end", "period.start", "committee.chair", "packet.notes_x", "notes", "org"],
                  ["emp-1", "2026-06-30", "2026-01-01", "emp-9", "n", "hello", "growth"])
    pkt = packets(table(HEAD), cands)["emp-1"]
    assert list(pkt["period"]) == ["start", "end"]
    assert pkt["committee"] == {"chair": "emp-9"} and pkt["notes_x"] == "n" and pkt["notes"] == "hello"
    assert pkt["candidate"] == {"id": "emp-1", "org": "growth"}


@pytest.mark.parametrize("evidence, message", [
    (table(["title", "type"]), "e.csv: sheet evidence, row 1, column candidate_id: missing from the header row"),
    (table(["candidate_id", "title"]), "e.csv: sheet evidence, row 1, column type: missing from the header row"),
    ([], "e.csv: sheet evidence, row 1, column candidate_id: no evidence table (a sheet named evidence, with a "
         "header row)"),
    (table(HEAD, ["emp-2", "decision", "2026-03-01", "t"]),
     "e.csv: sheet evidence, row 2, column candidate_id: no row for this candidate in the candidates table"),
    (table(HEAD, ["", "decision", "2026-03-01", "t"]), "e.csv: sheet evidence, row 2, column candidate_id: empty"),
    (table(HEAD, ["emp-1", "", "2026-03-01", "t"]), "e.csv: sheet evidence, row 2, column type: empty"),
    (table(HEAD, ["emp-1", "decisoin", "2026-03-01", "t"]),
     "e.csv: sheet evidence, row 2, column type: not an evidence type (docs/packets.md lists them)"),
    (table(HEAD + ["nope"], ["emp-1", "decision", "2026-03-01", "t", "x"]),
     "e.csv: sheet evidence, row 2, column nope: not a field of decision (docs/packets.md lists its fields)"),
    (table(HEAD + ["metrics.kind"], ["emp-1", "shipped_outcome", "2026-03-01", "t", "user"]),
     "e.csv: sheet evidence, row 2, column metrics.kind: write it as metrics.1.kind"),
    (table(HEAD + ["teams"], ["emp-1", "shipped_outcome", "2026-03-01", "t", "2.5"]),
     "e.csv: sheet evidence, row 2, column teams: is not a whole number"),
    (table(HEAD + ["teams"], ["emp-1", "shipped_outcome", "2026-03-01", "t", True]),
     "e.csv: sheet evidence, row 2, column teams: is true/false, not a whole number"),
    (table(HEAD + ["on_time"], ["emp-1", "shipped_outcome", "2026-03-01", "t", "yes"]),
     "e.csv: sheet evidence, row 2, column on_time: is not true or false"),
])
def test_each_bad_evidence_row_is_named_by_sheet_row_and_column(evidence, message):
    assert problems(evidence) == [message]


@pytest.mark.parametrize("column, cell, value", [
    ("teams", "3", 3), ("teams", " +4 ", 4), ("teams", 5.0, 5), ("teams", 6, 6),
    ("on_time", "TRUE", True), ("on_time", " false", False), ("on_time", True, True),
    ("themes", "growth; ; retention", ["growth", "retention"]),
])
def test_each_kind_of_column_takes_its_values(column, cell, value):
    ev = packets(table(HEAD + [column], ["emp-1", "shipped_outcome", "2026-03-01", "t", cell]))["emp-1"]["evidence"][0]
    assert ev[column] == value and type(ev[column]) is type(value)


@pytest.mark.parametrize("cell, value", [("7", 7), ("-2", -2), ("1.5", 1.5), (".5", 0.5), ("2e3", 2000.0),
                                         (2.25, 2.25), ("x", None)])
def test_a_number_column_takes_whole_and_decimal_numbers(cell, value):
    from engine.outputs.spreadsheet import _value, _Where

    w = _Where("f", "s")
    assert _value("num", cell, w, 2, "c") == value
    assert (w.problems == []) is (value is not None)


@pytest.mark.parametrize("v, text", [(True, "true"), (False, "false"), (dt.datetime(2026, 3, 1), "2026-03-01"),
                                     (dt.datetime(2026, 3, 1, 9, 30), "2026-03-01T09:30:00"),
                                     (dt.date(2026, 3, 1), "2026-03-01"), (3.0, "3"), (3.5, "3.5"), ("x", "x")])
def test_a_cell_as_text(v, text):
    assert _text(v) == text


def test_evidence_ids_are_numbered_per_candidate_when_the_sheet_has_none():
    cands = table(["candidate_id"], ["emp-1"], ["emp-2"])
    ev = table(HEAD, ["emp-1", "decision", "2026-03-01", "a"], ["emp-2", "decision", "2026-03-01", "b"],
               ["emp-1", "decision", "2026-03-02", "c"])
    got = packets(ev, cands)
    assert [e["id"] for e in got["emp-1"]["evidence"]] == ["ev-01", "ev-02"]
    assert [e["id"] for e in got["emp-2"]["evidence"]] == ["ev-01"]
