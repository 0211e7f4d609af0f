"""Packet sources (engine/base/inputs.py) at the limits they enforce: a JSONL line, a YAML document
on stdin and stdin as one packet, each exactly at its limit and one byte past it; and the file
names a folder is read for. Written against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import io

import pytest

from engine.base import inputs
from engine.base.inputs import MAX_LINE_BYTES, STDIN_MAX, _lines, _yaml_documents, iter_inputs, stdin_packet


def test_the_limits_are_the_documented_ones():
    """SECURITY.md, Bounded time and memory, gives both."""
    assert MAX_LINE_BYTES == 5 * 1024 * 1024  # a JSONL line, or a YAML document in a stream on stdin
    assert STDIN_MAX == 64 * 1024 * 1024  # stdin read as one packet


def _jsonl(*lines: bytes) -> list:
    return list(_lines(io.BytesIO(b"".join(lines)), "big.jsonl"))


@pytest.mark.parametrize("newline", [b"\n", b""])
def test_a_jsonl_line_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(newline):
    body = b'{"x": "' + b"a" * (MAX_LINE_BYTES - 9) + b'"}'
    assert len(body) == MAX_LINE_BYTES
    [item] = _jsonl(body + newline)
    assert item.kind == "line" and item.payload.rstrip(b"\n") == body
    over = b'{"x": "' + b"a" * (MAX_LINE_BYTES - 8) + b'"}'
    items = _jsonl(over + newline, *([b'{"next": 1}\n'] if newline else []))
    assert items[0].kind == "problem"
    assert items[0].problem.message == f"line is longer than the limit of {MAX_LINE_BYTES} bytes"
    if newline:  # the rest of the long line skipped, the next one read
        assert [i.kind for i in items] == ["problem", "line"]
        assert items[0].line == 1 and items[1].line == 2 and items[1].payload == b'{"next": 1}\n'
    else:
        assert len(items) == 1


def test_a_yaml_document_on_stdin_of_exactly_the_limit_is_read_and_one_byte_more_is_refused():
    line = b"k: " + b"a" * 1020 + b"\n"  # 1,024 bytes
    doc = line * (MAX_LINE_BYTES // 1024)
    assert len(doc) == MAX_LINE_BYTES
    [item] = list(_yaml_documents(io.BytesIO(doc + b"---\nnext: 1\n")))[:1]
    assert item.kind == "doc" and len(item.payload) == MAX_LINE_BYTES
    items = list(_yaml_documents(io.BytesIO(doc + b"x\n---\nnext: 1\n")))
    assert [i.kind for i in items] == ["problem", "doc"]
    assert items[0].problem.message == f"document is longer than the limit of {MAX_LINE_BYTES} bytes"
    assert items[1].payload == b"next: 1\n" and items[1].line == MAX_LINE_BYTES // 1024 + 3


def test_stdin_as_one_packet_of_exactly_the_limit_is_read_and_one_byte_more_is_refused():
    item = stdin_packet(io.BytesIO(b"a" * STDIN_MAX))
    assert item.kind == "doc" and len(item.payload) == STDIN_MAX
    item = stdin_packet(io.BytesIO(b"a" * (STDIN_MAX + 1)))
    assert item.kind == "problem"
    assert item.problem.message == f"more than {STDIN_MAX} bytes on stdin: not a packet"


def test_a_folder_is_read_for_every_packet_suffix_in_any_case(tmp_path):
    for name in ("a.yaml", "b.yml", "c.json", "d.jsonl", "E.YML", "f.txt", "g.yaml.bak"):
        (tmp_path / name).write_text('{"x": 1}\n' if name.endswith(("jsonl", "json")) else "x: 1\n")
    got = sorted(i.source.rsplit("/", 1)[-1] for i in iter_inputs([str(tmp_path)]))
    assert got == ["E.YML", "a.yaml", "b.yml", "c.json", "d.jsonl:1"]


# -- folders: order, subfolders, --exclude ----------------------------------------------------------
def test_a_folder_is_read_in_sorted_order_and_its_subfolders_tallied(tmp_path):
    names = ["q", "b", "z", "a", "m", "k", "c", "y", "d", "x", "e", "w"]
    for n in names:
        (tmp_path / n / "deep").mkdir(parents=True)
        (tmp_path / n / f"{n}.yaml").write_text("x: 1\n")
        (tmp_path / n / "deep" / "p.yaml").write_text("x: 1\n")
    (tmp_path / "top.yaml").write_text("x: 1\n")
    sel = inputs.Selection()
    got = [i.source[len(str(tmp_path)) + 1:] for i in iter_inputs([str(tmp_path)], selection=sel)]
    want = ["top.yaml"] + [p for n in sorted(names) for p in (f"{n}/{n}.yaml", f"{n}/deep/p.yaml")]
    assert got == want
    assert sel.as_dict() == {"from_subfolders": {f"{tmp_path}/{n}": 2 for n in sorted(names)}, "excluded": 0}
    assert list(sel.as_dict()["from_subfolders"]) == [f"{tmp_path}/{n}" for n in sorted(names)]
    [line] = sel.lines()
    assert line.startswith("24 file(s) came from subfolders")
    assert line.endswith(": " + ", ".join(f"{tmp_path}/{n}/ 2" for n in sorted(names)))


def test_exclude_matches_a_files_name_below_the_folder_by_a_glob(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("sub/skip1.yaml", "sub/keep.yaml", "skip2.yaml"):
        (tmp_path / name).write_text("x: 1\n")
    sel = inputs.Selection(exclude=("skip*",))
    got = [i.source[len(str(tmp_path)) + 1:] for i in iter_inputs([str(tmp_path)], selection=sel)]
    assert got == ["sub/keep.yaml"] and sel.excluded == 2


# -- stdin -------------------------------------------------------------------------------------------
def test_a_given_stdin_is_the_one_read():
    [item] = list(iter_inputs(["-"], stdin=io.BytesIO(b"x: 1\n"), one_packet=True))
    assert item.kind == "doc" and item.payload == b"x: 1\n"


def _fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


def test_batchs_own_stdin_is_closed_after_it_is_read(tmp_path, monkeypatch):
    """Batch reads standard input through a duplicate of fd 0 of its own, closed when done."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"a": 1}\n{"a": 2}\n')
    with open(src, "rb") as fh:
        monkeypatch.setattr(inputs.sys, "stdin", io.TextIOWrapper(fh))
        before = _fds()
        items = list(iter_inputs(["-"]))
        assert [i.payload for i in items] == [b'{"a": 1}\n', b'{"a": 2}\n']
        assert _fds() == before


def test_a_harness_stdin_without_a_descriptor_is_read_and_left_open(monkeypatch):
    class Harness:
        buffer = io.BytesIO(b'{"a": 1}\n')

    monkeypatch.setattr(inputs.sys, "stdin", Harness())
    assert [i.payload for i in iter_inputs(["-"])] == [b'{"a": 1}\n']
    assert not Harness.buffer.closed


def test_a_text_stream_is_read_as_utf8_bytes_and_ends():
    """A harness's stdin may be text: it ends with "", not b"" (reading it once never ended)."""
    [item] = list(_lines(io.StringIO('{"a": "é"}\n'), "<stdin>"))
    assert item.payload == '{"a": "é"}\n'.encode()
    assert [i.payload for i in iter_inputs(["-"], stdin=io.StringIO('{"a": 1}\n\n{"a": 2}'))] == [
        b'{"a": 1}\n', b'{"a": 2}']
    assert [i.payload for i in iter_inputs(["-"], stdin=io.StringIO("a: 1\n---\nb: 2\n"))] == [b"a: 1\n", b"b: 2\n"]
    assert list(iter_inputs(["-"], stdin=io.StringIO(""))) == []


# -- files that cannot be read ------------------------------------------------------------------------
def test_a_file_name_that_is_not_utf8_is_one_problem_naming_it_escaped(tmp_path):
    import os

    os.close(os.open(os.path.join(os.fsencode(tmp_path), b"bad\xff.yaml"), os.O_CREAT | os.O_WRONLY))
    [item] = list(iter_inputs([str(tmp_path)]))
    assert item.kind == "problem" and item.source == f"{tmp_path}/bad\\xff.yaml"
    assert (item.problem.source, item.problem.path, item.problem.kind) == (item.source, "", "encoding")
    assert item.problem.message == "the file name is not UTF-8 (its bytes are shown escaped); rename the file to read it"


def test_a_jsonl_that_cannot_be_opened_is_one_problem_naming_it(tmp_path):
    import os
    import socket

    missing = str(tmp_path / "missing.jsonl")
    [item] = list(iter_inputs([missing]))
    assert (item.source, item.kind, item.problem.source, item.problem.kind) == (missing, "problem", missing, "io")
    assert item.problem.message == "cannot read: No such file or directory"
    dev = tmp_path / "z.jsonl"
    os.symlink("/dev/zero", dev)
    [item] = list(iter_inputs([str(dev)]))
    assert (item.source, item.kind, item.problem.source) == (str(dev), "problem", str(dev))
    assert item.problem.message.startswith("not a regular file")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "s.jsonl"))
        [item] = list(iter_inputs([str(tmp_path / "s.jsonl")]))
        assert item.kind == "problem" and item.problem.source == str(tmp_path / "s.jsonl")


def test_a_jsonl_that_fails_part_way_keeps_what_was_read_and_says_so(tmp_path, monkeypatch):
    import errno

    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n')

    def failing(fh, name):
        yield from list(_lines(fh, name))[:1]
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(inputs, "_lines", failing)
    items = list(iter_inputs([str(path)]))
    assert [i.kind for i in items] == ["line", "problem"]
    assert (items[1].source, items[1].problem.source, items[1].problem.kind) == (str(path), str(path), "io")
    assert items[1].problem.message == "read failed part-way: Input/output error"


# -- labels, loading, counting ------------------------------------------------------------------------
def test_redact_labels_each_file_by_its_order_and_keeps_stdin():
    items = [inputs.Item("a/x.yaml", "file"), inputs.Item("b.jsonl:1", "line", line=1, file="b.jsonl"),
             inputs.Item("b.jsonl:3", "line", line=3, file="b.jsonl"), inputs.Item("a/x.yaml", "file"),
             inputs.Item("<stdin>:1", "doc", line=1, file="<stdin>")]
    got = [i.shown for i in inputs.redacted(iter(items))]
    assert got == ["input-1", "input-2:1", "input-2:3", "input-1", "<stdin>:1"]


def _item(kind: str, payload: bytes, line: int = 4) -> inputs.Item:
    return inputs.Item(f"f.jsonl:{line}", kind, payload=payload, line=line, file="f.jsonl")


def test_a_stdin_document_is_json_or_yaml_by_its_first_character_and_bounded():
    from engine.base.inputs import load_item
    from engine.base.loader import ParseFailure

    assert load_item(_item("doc", b'  {"a": 1}'), 100).fmt == "json"
    assert load_item(_item("doc", b'["a"]'), 100).fmt == "json"
    assert load_item(_item("doc", b"a: 1\n"), 100).fmt == "yaml"
    assert load_item(_item("doc", b"a: 1\n"), 5).data == {"a": 1}  # exactly the limit
    with pytest.raises(ParseFailure) as err:
        load_item(_item("doc", b"a: 12\n"), 5)
    p = err.value.problem
    assert (p.source, p.message, p.line, p.kind) == ("f.jsonl", "packet is larger than the limit of 5 bytes", 4, "io")


def test_a_jsonl_line_is_bounded_and_located_on_its_own_line():
    from engine.base.inputs import load_item
    from engine.base.loader import ParseFailure

    assert load_item(_item("line", b'{"a": 1}\r\n'), 10).data == {"a": 1}  # exactly the limit, line end included
    with pytest.raises(ParseFailure) as err:
        load_item(_item("line", b'{"a": 1}\r\n'), 9)
    assert (err.value.problem.message, err.value.problem.line) == ("packet is larger than the limit of 9 bytes", 4)
    with pytest.raises(ParseFailure) as err:
        load_item(_item("line", b'{"a": "\xff"}\n'), 100)
    assert (err.value.problem.source, err.value.problem.line, err.value.problem.kind) == ("f.jsonl", 4, "encoding")
    with pytest.raises(ParseFailure) as err:
        load_item(_item("line", b'{"a": \n'), 100)  # cut off: located on its own line, not the next
    assert err.value.problem.line == 4


def test_count_inputs_counts_packets_up_front_or_says_it_cannot(tmp_path):
    import os

    from engine.base.inputs import count_inputs

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.yaml").write_text("x: 1\n")
    (tmp_path / "d" / "skip.yaml").write_text("x: 1\n")
    (tmp_path / "d" / "l.jsonl").write_bytes(b'{"a": 1}\n\n  \n{"a": 2}\n')
    (tmp_path / "one.json").write_text("{}")
    (tmp_path / "skip.json").write_text("{}")
    paths = [str(tmp_path / "d"), str(tmp_path / "one.json"), str(tmp_path / "skip.json")]
    assert count_inputs(paths) == 6  # the JSONL's two packets, not its blank lines
    assert count_inputs(paths, ("skip*",)) == 4
    assert count_inputs([*paths, "-"]) is None
    os.mkfifo(tmp_path / "f.jsonl")
    assert count_inputs([str(tmp_path / "f.jsonl")]) is None  # counting a fifo would consume it
    assert count_inputs([str(tmp_path / "gone.jsonl")]) == 1  # unreadable: one problem to come


def test_exists_or_dash():
    from engine.base.inputs import exists_or_dash

    assert exists_or_dash("-") and not exists_or_dash("/no/such/file")


def test_the_subfolder_tally_is_told_in_order_whatever_order_the_folders_are_given(tmp_path):
    for top in ("zeta", "alpha"):
        (tmp_path / top / "sub").mkdir(parents=True)
        (tmp_path / top / "sub" / "p.yaml").write_text("x: 1\n")
    sel = inputs.Selection()
    list(iter_inputs([str(tmp_path / "zeta"), str(tmp_path / "alpha")], selection=sel))
    keys = [f"{tmp_path}/alpha/sub", f"{tmp_path}/zeta/sub"]
    assert list(sel.as_dict()["from_subfolders"]) == keys
    assert sel.lines()[0].endswith(": " + ", ".join(f"{k}/ 1" for k in keys))


# -- the survivors of the run at a08cebb that the tests above left -------------------------------------------
def test_a_line_three_times_the_limit_is_one_problem_and_the_next_line_is_read():
    long = b"a" * (3 * MAX_LINE_BYTES) + b"\n"
    items = _jsonl(long, b'{"next": 1}\n')
    assert [(i.kind, i.line) for i in items] == [("problem", 1), ("line", 2)]
    assert (items[0].problem.source, items[0].problem.path, items[0].problem.line) == ("big.jsonl", "", 1)


def test_an_oversized_stdin_is_one_problem_located_at_stdin():
    item = stdin_packet(io.BytesIO(b"a" * (STDIN_MAX + 1)))
    assert (item.problem.source, item.problem.path, item.problem.kind) == ("<stdin>", "", "io")


def test_a_syntax_error_in_a_stdin_packet_is_on_the_line_it_is_on():
    from engine.base.inputs import load_item
    from engine.base.loader import ParseFailure

    item = stdin_packet(io.BytesIO(b"a: 1\nb: 2\nb: 3\n"))  # a duplicate key, on line 3
    assert item.line == 1
    with pytest.raises(ParseFailure) as err:
        load_item(item, 1000)
    assert err.value.problem.line == 3


def _stdin(data: bytes) -> list:
    return list(inputs._stream(io.BytesIO(data)))


def test_stdin_jsonl_is_one_item_a_line_and_its_first_line_is_bounded_too():
    assert [(i.kind, i.line) for i in _stdin(b'\n{"a": 1}\n{"b": 2}\n')] == [("line", 2), ("line", 3)]
    over = b'{"x": "' + b"a" * (MAX_LINE_BYTES - 8) + b'"}\n'
    assert [(i.kind, i.line) for i in _stdin(over + b'{"b": 2}\n')] == [("problem", 1), ("line", 2)]
    exact = b'{"x": "' + b"a" * (MAX_LINE_BYTES - 9) + b'"}\n'
    [item] = _stdin(exact)
    assert item.kind == "line" and item.payload == exact


def test_stdin_yaml_documents_end_at_three_dashes_or_three_dots_and_blank_ones_are_no_packet():
    items = _stdin(b"a: 1\n...\n\n  \n---\nb: 2\n---\n---\nc: 3\n")
    assert [(i.kind, i.line, i.payload) for i in items] == [
        ("doc", 1, b"a: 1\n"), ("doc", 6, b"b: 2\n"), ("doc", 9, b"c: 3\n")]


def test_a_later_stdin_document_of_exactly_the_limit_is_read():
    line = b"k: " + b"a" * 1020 + b"\n"
    doc = line * (MAX_LINE_BYTES // 1024)
    items = list(_yaml_documents(io.BytesIO(b"first: 1\n---\n" + doc + b"---\nlast: 1\n")))
    assert [(i.kind, len(i.payload)) for i in items] == [("doc", 9), ("doc", MAX_LINE_BYTES), ("doc", 8)]


def test_after_an_oversized_document_its_rest_is_skipped_to_the_next_separator():
    line = b"k: " + b"a" * 1020 + b"\n"
    big = line * (MAX_LINE_BYTES // 1024 + 3)  # three lines past the limit
    items = list(_yaml_documents(io.BytesIO(big + b"---\nlast: 1\n")))
    assert [(i.kind, i.line) for i in items] == [("problem", 1), ("doc", MAX_LINE_BYTES // 1024 + 5)]
    assert (items[0].problem.source, items[0].problem.path, items[0].problem.line) == ("<stdin>", "", 1)


def test_a_syntax_error_in_a_later_stdin_document_is_on_its_line_of_stdin():
    from engine.base.inputs import load_item
    from engine.base.loader import ParseFailure

    items = _stdin(b"a: 1\n---\nb: 2\nb: 3\n")  # a duplicate key, on line 4 of stdin
    with pytest.raises(ParseFailure) as err:
        load_item(items[1], 1000)
    assert (err.value.problem.source, err.value.problem.line) == ("<stdin>", 4)


def test_a_file_named_on_the_command_line_is_excluded_by_the_same_glob(tmp_path):
    (tmp_path / "skip1.yaml").write_text("x: 1\n")
    (tmp_path / "keep.yaml").write_text("x: 1\n")
    sel = inputs.Selection(exclude=("skip*",))
    got = list(iter_inputs([str(tmp_path / "skip1.yaml"), str(tmp_path / "keep.yaml")], selection=sel))
    assert [i.source for i in got] == [str(tmp_path / "keep.yaml")] and sel.excluded == 1


def test_stdin_as_one_packet_from_a_text_stream_is_its_utf8_bytes():
    item = stdin_packet(io.StringIO("name: Zoë\n"))
    assert item.kind == "doc" and item.payload == "name: Zoë\n".encode()


def test_a_blank_last_stdin_document_is_no_packet():
    assert [(i.kind, i.line) for i in _stdin(b"a: 1\n---\n\n  \n")] == [("doc", 1)]


def test_a_jsonl_line_over_the_limit_is_located_in_its_file():
    from engine.base.inputs import load_item
    from engine.base.loader import ParseFailure

    with pytest.raises(ParseFailure) as err:
        load_item(_item("line", b'{"a": 1}\n'), 5)
    assert (err.value.problem.source, err.value.problem.path) == ("f.jsonl", "")
