"""The results-file reader (engine/outputs/results.py), held against a plain reference: the
chunked line cutter is compared, on generated files, with the same cut made by bytes.split; each
test pins what a slip in the reader would change. Written against the survivors of a mutation run
(docs/development.md)."""
from __future__ import annotations

import copy
import functools
import tempfile
from pathlib import Path

import orjson
from click.testing import CliRunner
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli import main
from engine.outputs import results as results_mod

from conftest import FIXTURES


def _reference(data: bytes, limit: int) -> list[tuple]:
    """What iter_lines must give: one entry per line of the file (its number counts blank lines),
    a line over `limit` bytes (its CR included) a problem, a blank line nothing, CRLF cut to LF."""
    out, offset = [], 0
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()  # the file ends with a line ending: no line after it
    for number, piece in enumerate(pieces, 1):
        if len(piece) > limit:
            out.append(("problem", number, f"line is longer than the limit of {limit} bytes"))
        else:
            raw = piece[:-1] if piece.endswith(b"\r") else piece
            if raw.strip():
                out.append(("line", number, offset, raw))
        offset += len(piece) + 1
    return out


def _got(path, source: str) -> list[tuple]:
    out = []
    for x in results_mod.iter_lines(str(path)):
        if isinstance(x, results_mod.Line):
            assert x.where == f"{source}:{x.number}"
            out.append(("line", x.number, x.offset, bytes(x.raw)))
        else:
            assert (x.source, x.path, x.kind) == (source, "", "io")
            out.append(("problem", x.line, x.message))
    return out


FILES = st.lists(st.sampled_from([b"a", b"b", b" ", b"\t", b"\r", b"\n", b"\n", b"\r\n", b"{}"]), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=FILES, chunk=st.integers(1, 12), limit=st.integers(1, 10))
@example(parts=[b"\n", b"a", b"b", b"\r"], chunk=12, limit=10)  # an empty first line, a CR last in the chunk
@example(parts=[b"a", b"b", b"\r", b"\n", b"\r", b"\n"], chunk=3, limit=3)  # a CRLF line cut by the chunk
def test_the_chunked_reader_cuts_every_file_as_split_does(tmp_path, monkeypatch, parts, chunk, limit):
    monkeypatch.setattr(results_mod, "CHUNK", chunk)
    monkeypatch.setattr(results_mod, "MAX_LINE_BYTES", limit)
    data = b"".join(parts)
    f = tmp_path / "r.jsonl"
    f.write_bytes(data)
    assert _got(f, str(f)) == _reference(data, limit)


def test_a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(results_mod, "CHUNK", 4)
    monkeypatch.setattr(results_mod, "MAX_LINE_BYTES", 6)
    f = tmp_path / "r.jsonl"
    for tail in (b"", b"\n"):  # the last line with and without its line ending
        f.write_bytes(b"123456\n1234567\n12345\r\n123456\r\n" + b"abcdef" + tail)
        assert _got(f, str(f)) == [
            ("line", 1, 0, b"123456"),
            ("problem", 2, "line is longer than the limit of 6 bytes"),
            ("line", 3, 15, b"12345"),
            ("problem", 4, "line is longer than the limit of 6 bytes"),  # its CR counts
            ("line", 5, 30, b"abcdef"),
        ]


# -- summarise's fast path against the whole parse -------------------------------------------------------
@functools.cache
def _batch_bytes() -> bytes:
    """One verdict line as `ladder batch` writes it."""
    out = Path(tempfile.mkdtemp()) / "r.jsonl"
    r = CliRunner().invoke(main, ["batch", str(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"), "--out", str(out),
                                  "--quiet"])
    assert r.exit_code == 0, r.output
    return out.read_bytes().splitlines()[0]


def _batch_line() -> dict:
    return orjson.loads(_batch_bytes())


ODD = [None, 1, 1.5, True, "", "x", [], ["a", 1], ["a"], {}, {"id": 1}]
WHERE = ["candidate", "candidate.id", "candidate.org", "candidate.cycle", "track", "current_level", "target_level",
         "path", "verdict", "unmet", "gaps", "rules_version", "criteria", "headline", "supporting_gaps"]


def _reference_summary(line: results_mod.Line):
    d = results_mod.parse(line, criteria=False)
    if isinstance(d, results_mod.Problem) or "error" in d:
        return d
    return results_mod._summary(d, line.number)


def _same(a, b) -> bool:
    if isinstance(a, results_mod.Problem) or isinstance(b, results_mod.Problem):
        return str(a) == str(b)
    return a == b


@settings(max_examples=400, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(WHERE), st.sampled_from([*ODD, "drop"])), max_size=3),
       number=st.integers(1, 10**6))
def test_summarise_reads_every_line_as_the_whole_parse_does(edits, number):
    d = _batch_line()
    for where, value in edits:
        head, _, key = where.partition(".")
        target, name = (d, head) if not key else (d.get(head), key)
        if not isinstance(target, dict):
            continue
        if value == "drop":
            target.pop(name, None)
        else:
            target[name] = copy.deepcopy(value)
    line = results_mod.Line.of(orjson.dumps(d), number, "r.jsonl")
    assert _same(results_mod.summarise(line), _reference_summary(line))


def test_a_line_as_batch_writes_it_takes_the_fast_path_and_gives_the_whole_parses_summary():
    line = results_mod.Line.of(orjson.dumps(_batch_line()), 7, "r.jsonl")
    fast = results_mod._fast(line)
    assert fast is not None and fast == _reference_summary(line)
    assert fast.line == 7 and fast.candidate == _batch_line()["candidate"]["id"]
    # a line made from bytes alone: the whole of them, at the start of a file of its own
    assert (line.source, line.number, line.offset, bytes(line.raw)) == ("r.jsonl", 7, 0, _batch_bytes())


# -- what the whole parse says of each broken line ---------------------------------------------------------
def _edited(**edits) -> bytes:
    d = _batch_line()
    for key, value in edits.items():
        head, _, sub = key.partition("__")
        target, name = (d, head) if not sub else (d[head], sub)
        if value is _DROP:
            del target[name]
        else:
            target[name] = value
    return orjson.dumps(d)


_DROP = object()
BROKEN = [
    (b"{nope", "", "not valid JSON (unexpected character, expected a string key)"),
    (b"[1, 2]", "", "not a verdict: a results line is a JSON object"),
    (_edited(candidate=_DROP), "/candidate/id", "missing: not a verdict line (ladder batch writes candidate.id)"),
    (_edited(candidate__id=7), "/candidate/id", "missing: not a verdict line (ladder batch writes candidate.id)"),
    (_edited(verdict="promoted"), "/verdict", "must be one of ready, not_ready, insufficient_evidence"),
    (_edited(track=None), "/track", "missing or not text"),
    (_edited(current_level=_DROP), "/current_level", "missing or not text"),
    (_edited(target_level=3), "/target_level", "missing or not text"),
    (_edited(path="mid-pm"), "/path", "missing or not a list of ids"),
    (_edited(unmet=["a", 1]), "/unmet", "missing or not a list of ids"),
    (_edited(criteria={}), "/criteria", "missing or not a list"),
    (_edited(criteria=[{"id": "a", "status": "met"}, {"id": "b", "status": "maybe"}]), "/criteria/1",
     "needs an id and a status of met or unmet"),
    (_edited(criteria=[{"status": "met"}]), "/criteria/0", "needs an id and a status of met or unmet"),
    (_edited(criteria=["a"]), "/criteria/0", "needs an id and a status of met or unmet"),
    (_edited(candidate__org=5), "/candidate/org", "must be text"),
    (_edited(candidate__cycle=["2026-h1"]), "/candidate/cycle", "must be text"),
]


@pytest.mark.parametrize(("raw", "pointer", "message"), BROKEN)
def test_each_broken_line_is_a_located_problem(raw, pointer, message):
    got = results_mod.parse(results_mod.Line.of(raw, 12, "r.jsonl"))
    assert isinstance(got, results_mod.Problem)
    assert (got.source, got.line, got.path, got.message, got.kind) == ("r.jsonl", 12, pointer, message, "results")
    assert str(got) == f"r.jsonl:12: {pointer + ': ' if pointer else ''}{message}"


def test_an_error_line_and_a_verdict_line_parse_as_themselves():
    err = {"source": "p.yaml", "error": {"code": 3, "problems": []}}
    assert results_mod.parse(results_mod.Line.of(orjson.dumps(err))) == err
    assert results_mod.parse(results_mod.Line.of(_batch_bytes())) == _batch_line()
    assert results_mod.summarise(results_mod.Line.of(orjson.dumps(err))) == err


def test_a_summary_reads_no_criterion_so_broken_criteria_break_only_what_reads_them():
    # gaps given: the criteria are not a summary's business (the fast path never looks at them)
    line = results_mod.Line.of(_edited(criteria=[1, 2]), 3, "r.jsonl")
    assert isinstance(results_mod.summarise(line), results_mod.Summary)
    assert str(results_mod.parse(line)) == "r.jsonl:3: /criteria/0: needs an id and a status of met or unmet"
    # without gaps, a summary works them out from the criteria, so then it checks them
    line = results_mod.Line.of(_edited(criteria=[1, 2], gaps=_DROP), 3, "r.jsonl")
    assert str(results_mod.summarise(line)) == "r.jsonl:3: /criteria/0: needs an id and a status of met or unmet"


def test_without_gaps_a_summary_takes_the_unmet_required_criteria():
    d = _batch_line()
    d.pop("gaps")
    d["unmet"] = ["senior-pm.x", "senior-pm.y", "senior-pm.z"]
    d["criteria"] = [{"id": "senior-pm.x", "status": "unmet", "required": True},
                     {"id": "senior-pm.y", "status": "unmet", "required": False},
                     {"id": "senior-pm.z", "status": "unmet", "required": "yes"},
                     {"id": "senior-pm.w", "status": "met", "required": True}]
    s = results_mod.summarise(results_mod.Line.of(orjson.dumps(d)))
    assert s.gaps == frozenset({"senior-pm.x"}) and s.unmet == frozenset(d["unmet"])
    d["rules_version"] = 5  # not text: the summary shows none
    assert results_mod.summarise(results_mod.Line.of(orjson.dumps(d))).rules_version == ""


def test_the_verdict_at_an_offset_is_read_back_and_anything_else_is_none(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_bytes(b"[1]\n" + _batch_bytes() + b"\nnot json\n")
    assert results_mod.read_verdict_at(str(f), 4) == _batch_line()
    assert results_mod.read_verdict_at(str(f), 0) is None  # a list, not a verdict
    assert results_mod.read_verdict_at(str(f), 5 + len(_batch_bytes())) is None
    assert results_mod.read_verdict_at(str(tmp_path / "gone.jsonl"), 0) is None


def test_problems_are_listed_up_to_the_cap_and_the_rest_counted():
    ps = [results_mod.Problem("r.jsonl", "", f"p{i}", line=i) for i in range(1, results_mod.MAX_PROBLEMS + 3)]
    text = results_mod.problems_text(ps[: results_mod.MAX_PROBLEMS])
    assert text.splitlines()[-1] == f"r.jsonl:{results_mod.MAX_PROBLEMS}: p{results_mod.MAX_PROBLEMS}"
    assert len(text.splitlines()) == results_mod.MAX_PROBLEMS  # exactly the cap: nothing more to say
    text = results_mod.problems_text(ps)
    assert len(text.splitlines()) == results_mod.MAX_PROBLEMS + 1
    assert text.splitlines()[-1] == "... and 2 more problem(s)"
    assert results_mod.problems_text(ps[: results_mod.MAX_PROBLEMS + 1]).splitlines()[-1] == "... and 1 more problem(s)"
    # a caller that kept only the first 100 says how many it dropped
    capped = results_mod.problems_text(ps[: results_mod.MAX_PROBLEMS], more=4).splitlines()
    assert len(capped) == results_mod.MAX_PROBLEMS + 1 and capped[-1] == "... and 4 more problem(s)"
    assert results_mod.MAX_PROBLEMS == 100


# -- a results file that cannot be read ------------------------------------------------------------------
def _usage_error(path) -> list[str]:
    with pytest.raises(results_mod.UsageError) as exc:
        list(results_mod.iter_lines(str(path)))
    return [str(p) for p in exc.value.problems]


def test_a_results_file_that_cannot_be_opened_says_why_by_its_path(tmp_path, monkeypatch):
    assert _usage_error(tmp_path / "gone.jsonl") == [f"{tmp_path / 'gone.jsonl'}: no such file"]
    assert _usage_error(tmp_path) == [
        f"{tmp_path}: is a folder; pass a results file (JSONL, as ladder batch --out writes)"]

    def refused(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(results_mod, "open_input", refused)
    assert _usage_error(tmp_path / "r.jsonl") == [f"{tmp_path / 'r.jsonl'}: cannot read: Permission denied"]


def test_a_read_that_fails_part_way_is_a_problem_after_the_lines_read_before(tmp_path, monkeypatch):
    import io

    class Failing(io.BytesIO):
        def read(self, n=-1):
            got = super().read(n)
            if not got:
                raise OSError(5, "Input/output error")
            return got

    monkeypatch.setattr(results_mod, "open_input", lambda path: Failing(b'{"a":1}\n{"b":2}\n'))
    got = list(results_mod.iter_lines("r.jsonl"))
    assert [bytes(x.raw) for x in got[:2]] == [b'{"a":1}', b'{"b":2}']
    assert [str(x) for x in got[2:]] == ["r.jsonl: read failed part-way: Input/output error"]
    assert got[2].kind == "io"


def test_statuses_are_each_criterions_met_or_unmet():
    d = _batch_line()
    got = results_mod.statuses(d)
    assert got == {c["id"]: c["status"] for c in d["criteria"]} and set(got.values()) <= {"met", "unmet"}
    assert sorted(k for k, v in got.items() if v == "unmet") == sorted(d["unmet"])
