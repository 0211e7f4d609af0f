"""Derived outputs (engine/outputs/derived.py): the summary and criteria rows' columns, the
shortfall of supporting criteria, `also_in` and `shared_outcomes` on a line, and the writers
behind `--out -` (streamed, or spooled) with the read-back that feeds the CSVs. Written against
the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import errno
import io
import json
import os
import sys

import orjson
import pytest

from engine.base.errors import OutputError
from engine.base.output import AtomicWriter
from engine.outputs import derived
from engine.outputs.derived import (
    CRITERIA_HEADER, SUMMARY_HEADER, Spool, Stream, criteria_rows, derive, flag_repeats, splice_also_in,
    summary_row, supporting_short,
)


def _verdict(**extra) -> dict:
    d = {"source": "p.yaml", "candidate": {"id": "c1"}, "verdict": "not_ready", "target_level": "senior-pm",
         "levels": [{"id": "senior-pm", "required_met": 1, "required_total": 2, "supporting_met": 1,
                     "supporting_needed": 2, "basis": None}],
         "criteria": [], "gaps": [], "supporting_gaps": [], "warnings": [], "rules_version": "sha256:x"}
    d.update(extra)
    return d


def _col(row, name):
    return row[SUMMARY_HEADER.index(name)]


# -- the rows -----------------------------------------------------------------------------------
def test_numbers_basis_says_policy_only_when_a_level_takes_the_ladders_numbers():
    assert _col(summary_row(_verdict()), "numbers_basis") == ""
    two = [{**_verdict()["levels"][0], "basis": None}, {**_verdict()["levels"][0], "id": "x", "basis": "policy"}]
    assert _col(summary_row(_verdict(levels=two)), "numbers_basis") == "policy"


def test_warning_text_gives_each_warnings_path_and_message():
    ws = [{"path": "/evidence/0", "message": "looks odd"}, {"message": "no path"}]
    assert _col(summary_row(_verdict(warnings=ws)), "warning_text") == "/evidence/0: looks odd | : no path"
    assert _col(summary_row(_verdict(warnings=ws)), "warnings") == 2


@pytest.mark.parametrize(("gaps", "short"), [
    ([], 0),
    ([{"level": "a", "more": 2}], 2),
    ([{"level": "a", "more": 1, "aspect": "x"}, {"level": "a", "more": 1, "aspect": "y"}], 2),  # aspects add up
    ([{"level": "a", "more": 3}, {"level": "a", "more": 1, "aspect": "x"}], 3),  # overall covers the aspect
    ([{"level": "a", "more": 1}, {"level": "a", "more": 2, "aspect": "x"}], 2),  # the aspect needs more
    ([{"level": "a", "more": 1}, {"level": "b", "more": 2, "aspect": "x"}], 3),  # levels add up
])
def test_supporting_short_takes_per_level_the_larger_of_overall_and_aspects(gaps, short):
    assert supporting_short(gaps) == short


def test_the_criteria_rows_give_verified_and_the_basis():
    crit = [{"id": "s.a", "level": "senior-pm", "required": True, "status": "met", "evidence": ["e1", "e2"],
             "verified": "2 of 2"},
            {"id": "s.b", "level": "senior-pm", "required": False, "status": "unmet", "window": {"days": 730}}]
    rows = list(criteria_rows(_verdict(criteria=crit)))
    col = {n: i for i, n in enumerate(CRITERIA_HEADER)}
    assert [r[col["verified"]] for r in rows] == ["2 of 2", ""]
    assert [r[col["evidence_count"]] for r in rows] == [2, 0]
    assert [r[col["basis"]] for r in rows] == ["", "policy"]
    assert [r[col["basis_note"]] for r in rows] == ["", "default window 730 days"]
    assert list(criteria_rows({"source": "x", "error": {"problems": []}})) == []


# -- also_in and shared_outcomes ------------------------------------------------------------------
def test_an_error_line_is_never_flagged_with_shared_outcomes():
    err = {"source": "p.yaml", "candidate": {"id": "c1"}, "error": {"problems": []}}
    assert flag_repeats(err, {}, {"c1": [["e1", "c2"]]}) is err
    ok = _verdict()
    assert list(flag_repeats(ok, {}, {"c1": [["e1", "c2"]]}))[:2] == ["source", "shared_outcomes"]


def test_also_in_names_the_other_inputs_or_the_same_file_named_twice():
    d = _verdict()
    assert flag_repeats(d, {"c1": ["p.yaml", "q.yaml"]})["also_in"] == ["q.yaml"]
    assert flag_repeats(d, {"c1": ["p.yaml", "p.yaml"]})["also_in"] == ["p.yaml"]
    assert flag_repeats(d, {"c1": ["p.yaml", "p.yaml", "p.yaml"]})["also_in"] == ["p.yaml", "p.yaml"]


def test_splice_puts_also_in_after_source_and_leaves_the_rest_as_it_was():
    line = orjson.dumps(_verdict()).decode()
    spliced = splice_also_in(line, "p.yaml", ["a.yaml", "p.yaml"])
    assert spliced == line.replace('"source":"p.yaml",', '"source":"p.yaml","also_in":["a.yaml"],', 1)
    assert json.loads(splice_also_in(line, "p.yaml", ["p.yaml"]))["also_in"] == ["p.yaml"]
    # a line whose first key is not the source is parsed and flagged as a file's line is
    other = orjson.dumps({"candidate": {"id": "c1"}, "source": "p.yaml", "verdict": "ready"}).decode()
    got = splice_also_in(other, "p.yaml", ["a.yaml"])
    assert json.loads(got) == {"candidate": {"id": "c1"}, "source": "p.yaml", "also_in": ["a.yaml"],
                               "verdict": "ready"}
    assert list(json.loads(got)) == ["candidate", "source", "also_in", "verdict"]
    # the same file named before it: also_in names it, as a file's line would
    assert json.loads(splice_also_in(other, "p.yaml", ["p.yaml"]))["also_in"] == ["p.yaml"]


# -- the writers of --out - -------------------------------------------------------------------------
class _Out(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushed: list[str] = []

    def flush(self):
        self.flushed.append(self.getvalue())
        super().flush()


def test_a_stream_flushes_each_line_and_keeps_a_copy_it_removes(monkeypatch):
    out = _Out()
    monkeypatch.setattr(sys, "stdout", out)
    s = Stream(keep=True)
    s.write("one\n")
    assert out.flushed[-1] == "one\n"  # out at once, not at exit
    s.write("two\n")
    s.finish()
    with open(s.tmp, encoding="utf-8") as fh:
        assert fh.read() == "one\ntwo\n"  # the copy holds every line, flushed
    tmp = s.tmp
    s.commit()
    assert not os.path.exists(tmp) and s.copy.closed and s.tmp is None
    s.abort()  # twice is harmless
    bare = Stream(keep=False)
    bare.write("x\n")
    assert bare.tmp is None and bare.copy is None and out.getvalue() == "one\ntwo\nx\n"


def test_a_spool_holds_the_lines_until_the_end_then_writes_them_once(monkeypatch):
    out = _Out()
    monkeypatch.setattr(sys, "stdout", out)
    s = Spool()
    s.write("one\n")
    s.write("two\n")
    s.finish()
    assert out.getvalue() == ""
    with open(s.tmp, encoding="utf-8") as fh:
        assert fh.read() == "one\ntwo\n"
    tmp = s.tmp
    s.commit()
    assert out.getvalue() == "one\ntwo\n" and out.flushed and not os.path.exists(tmp)
    s.commit()  # once only
    assert out.getvalue() == "one\ntwo\n"


def test_a_spool_that_cannot_write_to_standard_output_says_why_and_leaves_nothing(monkeypatch):
    class Full(io.StringIO):
        def write(self, text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sys, "stdout", Full())
    s = Spool()
    s.write("one\n")
    tmp = s.tmp
    with pytest.raises(OutputError) as err:
        s.commit()
    assert str(err.value) == "cannot write to standard output: No space left on device; the output is incomplete"
    assert not os.path.exists(tmp)


def _line(cid: str, source: str) -> str:
    return orjson.dumps(_verdict(source=source, candidate={"id": cid})).decode() + "\n"


def test_derive_reads_back_a_streams_copy_for_the_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdout", _Out())
    s = Stream(keep=True)
    for i in range(3):
        s.write(_line(f"c{i}", f"p{i}.yaml"))
    summary = AtomicWriter(str(tmp_path / "s.csv"))
    got = derive(s, {}, summary, None, None, None)
    summary.commit()
    assert got is s
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert len(rows) == 4 and [r.split(",")[0] for r in rows[1:]] == ["c0", "c1", "c2"]
    s.commit()


def test_derive_keeps_the_outputs_lock_after_reading_it_back(tmp_path):
    """Reading the partial file by its name drops its POSIX lock; derive takes it again, so another
    run never removes it as a killed run's leftover."""
    import fcntl  # POSIX, as CI is
    w = AtomicWriter(str(tmp_path / "out.jsonl"))
    w.write(_line("c1", "p.yaml"))
    derive(w, {}, None, None, None, None)
    pid = os.fork()
    if pid == 0:  # another process: the lock is held, so it cannot take it
        fd = os.open(w.tmp, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os._exit(1)
        except OSError:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    w.commit()


def test_derive_writes_flagged_lines_to_a_new_file_and_removes_it_on_failure(tmp_path):
    w = AtomicWriter(str(tmp_path / "out.jsonl"))
    w.write(_line("c1", "p.yaml"))
    w.write(_line("c1", "q.yaml"))
    flagged = derive(w, {"c1": ["p.yaml", "q.yaml"]}, None, None, None, None)
    assert flagged is not w
    w.abort()
    flagged.commit()
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [d["also_in"] for d in lines] == [["q.yaml"], ["p.yaml"]]

    w = AtomicWriter(str(tmp_path / "out2.jsonl"))
    w.write(_line("c1", "p.yaml"))
    w.write("not json\n")
    with pytest.raises(orjson.JSONDecodeError):
        derive(w, {"c1": ["p.yaml", "q.yaml"]}, None, None, None, None)
    w.abort()
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]  # the flagged copy went with the failure


def test_derive_splices_shared_outcomes_into_lines_without_parsing_them(tmp_path):
    w = AtomicWriter(str(tmp_path / "out.jsonl"))
    for cid, src in (("c1", "p.yaml"), ("c2", "q.yaml"), ("c3", "r.yaml")):
        w.write(_line(cid, src))
    shared = {"c1": [["e1", "c2"]], "c2": [["e9", "c1"]]}
    lines = [("c1", "p.yaml"), ("c2", "q.yaml"), (None, "r.yaml")]
    flagged = derive(w, {}, None, None, None, None, shared=shared, lines=lines)
    w.abort()
    flagged.commit()
    got = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [d.get("shared_outcomes") for d in got] == [[["e1", "c2"]], [["e9", "c1"]], None]
    assert [list(d)[:2] for d in got[:2]] == [["source", "shared_outcomes"]] * 2
