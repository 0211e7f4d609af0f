"""reverify, held to what it says: which lines replay, what a line records, and each message.

Written against the survivors of a mutation run of engine/committee/reverify.py
(docs/development.md): lines made before `options` were recorded, a results file with broken and
error lines, the JSON form of a packet's check, the messages for an unreadable packet, a changed
packet, a line made with a people directory, a packet the rules no longer accept.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pytest

from conftest import FIXTURES, ROOT
from engine.book.rules import load_rules
from engine.committee import reverify

THREE = [FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml",
         FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml",
         FIXTURES / "hollis-penrake-mid-to-senior-insufficient.yaml"]
BOOK = load_rules(None)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, separators=(",", ":"))) + "\n"
                            for r in rows), encoding="utf-8")
    return path


def _run(results: Path, packets, **kw) -> tuple[str, int]:
    out = reverify.execute(BOOK, str(results), [str(p) for p in packets], **kw)
    return out.stdout, out.exit_code


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    from click.testing import CliRunner

    from cli import main

    d = tmp_path_factory.mktemp("reverify")
    out = {}
    for name, extra in (("plan", []), ("no-plan", ["--no-plan"]), ("redact", ["--redact"]),
                        ("paths", ["--paths"]), ("people", ["--people", str(FIXTURES / "people.csv")])):
        out[name] = d / f"{name}.jsonl"
        packets = THREE[1:2] if name == "people" else THREE  # (the directory has only noor)
        r = CliRunner().invoke(main, ["batch", *map(str, packets), "--out", str(out[name]), "--jobs", "1", "--quiet",
                                      "--today", "2026-11-30", *extra])
        assert r.exit_code == 0, r.output
    return out


def test_where_a_line_was_read_from_is_not_what_must_replay():
    line = {"candidate": {"id": "emp-1"}, "verdict": "ready"}
    assert reverify.comparable(line) == orjson.dumps(line)
    for where in ({"source": "a.yaml"}, {"also_in": ["b.yaml"]}, {"source": "a.yaml", "also_in": ["b.yaml"]}):
        assert reverify.comparable({**line, **where}) == orjson.dumps(line)


@pytest.mark.parametrize("kind", ["plan", "no-plan", "redact"])
def test_a_line_made_before_options_were_recorded_replays_from_what_the_line_shows(batches, tmp_path, kind):
    # an older line has no `options`: plan or no plan, redacted or not, is read from the line itself
    rows = [{k: v for k, v in d.items() if k != "options"} for d in _lines(batches[kind])]
    assert any(d["verdict"] != "ready" for d in rows)
    old = _write(tmp_path / "old.jsonl", rows)
    text, code = _run(old, THREE)
    assert code == 0 and "3 of 3 packet(s) replay their recorded verdict" in text, text


def test_a_line_with_paths_replays_with_paths(batches):
    assert all("paths" in d for d in _lines(batches["paths"]))
    text, code = _run(batches["paths"], THREE)
    assert code == 0 and "3 of 3 packet(s) replay" in text, text
    assert reverify._STATE == {}  # nothing of one run (its rules, its path assessor) is left for the next


def test_a_line_made_with_a_people_directory_needs_the_same_one(batches):
    text, code = _run(batches["people"], THREE[1:2])
    assert code == 1
    # the line records the directory by its digest: which file held it is not what the verdict used
    assert re.search(r"\n +made with people sha256:[0-9a-f]{64}; given none: replay with the same --people FILE\n", text), text
    text, code = _run(batches["people"], THREE[1:2], people=str(FIXTURES / "people.csv"))
    assert code == 0, text


def test_a_results_file_with_broken_and_error_lines_indexes_only_its_verdicts(batches, tmp_path):
    rows = _lines(batches["plan"])
    unhashed = {k: v for k, v in rows[2].items() if k != "packet_sha256"}
    f = _write(tmp_path / "mixed.jsonl", [rows[0], "{not json", json.dumps([1, 2]),
                                           {"source": "x.yaml", "error": "invalid", "problems": []}, rows[1], unhashed])
    idx = reverify.index(str(f))
    assert idx.verdicts == 3  # the error line is no verdict; the broken ones are problems
    assert len(idx.problems) == 2 and {p.line for p in idx.problems} == {2, 3}
    assert sorted(idx.by_hash) == sorted([rows[0]["packet_sha256"], rows[1]["packet_sha256"]])
    assert idx.unhashed == {rows[2]["candidate"]["id"]: [6]}
    assert idx.by_candidate == {rows[0]["candidate"]["id"]: [1], rows[1]["candidate"]["id"]: [5]}
    e = idx.by_hash[rows[1]["packet_sha256"]][0]
    assert (e.line, e.target, e.redacted, e.plan, e.candidate) == (5, "senior-pm", False, True,
                                                                   rows[1]["candidate"]["id"])


def test_the_json_form_of_a_check_that_does_not_replay(batches, tmp_path):
    rows = _lines(batches["plan"])
    rows[1]["schema_version"] = "sha256:0000"
    f = _write(tmp_path / "t.jsonl", rows)
    out = reverify.execute(BOOK, str(f), [str(THREE[1])], fmt="json")
    d = json.loads(out.stdout)
    assert out.exit_code == 1 and (d["differs"], d["replays"]) == (1, 0)
    [c] = d["packets_checked"]
    assert c["source"] == str(THREE[1]) and c["status"] == "differs"
    assert c["candidate"] == rows[1]["candidate"]["id"] and c["packet_sha256"] == rows[1]["packet_sha256"]
    [line] = c["lines"]
    assert line["line"] == 2 and line["replays"] is False
    assert line["changes"][0] == f"schema_version: sha256:0000 -> {_lines(batches['plan'])[1]['schema_version']}"
    assert "problem" not in c


def test_text_names_only_what_does_not_replay(batches):
    other = FIXTURES / "wren-halloway-external-to-associate-not-ready.yaml"
    text, code = _run(batches["plan"], [THREE[0], other])
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == f"{other} (cand-ext-0815): no recorded verdict in {batches['plan']} (not checked)"
    assert not any(str(THREE[0]) in x for x in lines)  # it replays: nothing to say of it


def test_an_unreadable_packet_says_which_line(batches, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("candidate:\n  id: emp-1\n  name: [unclosed\n", encoding="utf-8")
    text, code = _run(batches["plan"], [bad])
    assert code == 1
    first = text.splitlines()[0]
    assert first.startswith(f"{bad}: line ") and "cannot be read" not in first


def test_a_packet_changed_since_names_at_most_five_of_its_lines(batches, tmp_path):
    row = _lines(batches["plan"])[0]
    f = _write(tmp_path / "six.jsonl", [row] * 6)
    changed = tmp_path / "changed.yaml"
    changed.write_text(THREE[0].read_text(encoding="utf-8").replace("rating: 3", "rating: 4"), encoding="utf-8")
    text, code = _run(f, [changed])
    assert code == 1
    assert (f"no verdict for this packet's content; {f} has one for {row['candidate']['id']} at line(s) "
            "1, 2, 3, 4, 5: the packet changed since") in text
    old = _write(tmp_path / "old.jsonl", [{k: v for k, v in row.items() if k != "packet_sha256"}] * 6)
    text, code = _run(old, [THREE[0]])
    assert f"{old} line(s) 1, 2, 3, 4, 5 for {row['candidate']['id']} carry no packet_sha256" in text


def test_a_packet_the_rules_no_longer_accept_does_not_replay(batches, tmp_path):
    kestrel = load_rules(str(ROOT / "examples" / "kestrel" / "rules"))
    out = reverify.execute(kestrel, str(batches["plan"]), [str(THREE[0])])
    assert out.exit_code == 1
    # the first of its problems, located
    assert out.stdout.splitlines()[1] == (
        f"    the packet is now invalid: {THREE[0]}:8: /candidate/current_level: unknown level 'mid-level-pm' "
        "(known: product-l1, product-l2, product-l3, product-l4, or external)"), out.stdout


def test_a_packet_that_cannot_be_opened_says_so_without_a_line(batches, tmp_path):
    text, code = _run(batches["plan"], [tmp_path / "nope.yaml"])
    assert code == 1
    assert text.splitlines()[0] == f"{tmp_path / 'nope.yaml'}: no such file"


def test_a_mixed_run_counts_each_outcome_once_in_its_summary(batches, tmp_path):
    rows = _lines(batches["plan"])
    caspian, noor, hollis = rows
    noor = {**noor, "verdict": "not_ready"}  # tampered: does not replay
    hollis_old = {k: v for k, v in hollis.items() if k != "packet_sha256"}  # made before hashes
    f = _write(tmp_path / "mixed.jsonl", [caspian, noor, hollis_old])
    changed = tmp_path / "changed.yaml"
    changed.write_text(THREE[0].read_text(encoding="utf-8").replace("rating: 3", "rating: 4"), encoding="utf-8")
    unreadable = tmp_path / "unreadable.yaml"
    unreadable.write_text("candidate: [\n", encoding="utf-8")
    other = FIXTURES / "wren-halloway-external-to-associate-not-ready.yaml"
    packets = [THREE[0], THREE[1], changed, unreadable, THREE[2], other]
    text, code = _run(f, packets)
    assert code == 1
    assert text.splitlines()[-2:] == [
        "1 of 6 packet(s) replay their recorded verdict; 1 do not; 1 changed since their verdict; "
        "1 cannot be read; 1 with no packet_sha256 to check; 1 have no recorded verdict",
        f"1 of 3 verdict line(s) in {f} had no packet given to check them"]  # the line made before hashes
    d = json.loads(reverify.execute(BOOK, str(f), [str(p) for p in packets], fmt="json").stdout)
    assert [c["status"] for c in d["packets_checked"]] == [
        "differs", "packet_changed", "unreadable", "no_hash", "no_verdict"]  # the one that replays is left out
    assert (d["replays"], d["differs"], d["packet_changed"], d["unreadable"], d["no_hash"], d["no_verdict"]) == (
        1, 1, 1, 1, 1, 1)
    assert d["ok"] is False and d["verdict_lines"] == 3 and d["lines_not_checked"] == 1


def test_at_most_a_hundred_broken_lines_are_told(batches, tmp_path):
    f = _write(tmp_path / "broken.jsonl", [_lines(batches["plan"])[0]] + ["{broken"] * 101)
    out = reverify.execute(BOOK, str(f), [str(THREE[0])])
    assert out.exit_code == 0
    told = out.stderr.splitlines()
    assert len(told) == 100 and told[0].startswith(f"{f}:2") and told[-1].startswith(f"{f}:101")
