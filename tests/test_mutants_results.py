"""The results-file reader (engine/outputs/results.py), held against a plain reference: the
chunked line cutter is compared, on generated files, with the same cut made by bytes.split; each
test pins what a slip in the reader would change. Written against the survivors of a mutation run
(docs/development.md)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.outputs import results as results_mod


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
