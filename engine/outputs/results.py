"""Results files: what `ladder batch` writes (JSONL, a verdict or an error line per packet), read
back line by line for reverify, calibrate and compare.

Files are streamed: a line at a time, never the whole file. Each line becomes a `Line` (its
number, byte offset and bytes) and, on demand, a `Summary` of the verdict: the few fields the
cohort commands need. A line that is neither a verdict nor an error line is a located problem
(`results.jsonl:7: /verdict: ...`), never an exception.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeGuard

import orjson

from ..base.errors import Problem, UsageError
from ..base.inputs import MAX_LINE_BYTES
from ..base.loader import ParseFailure, open_input
from ..core.verdict import INSUFFICIENT, NOT_READY, READY

VERDICTS = (READY, NOT_READY, INSUFFICIENT)
MAX_PROBLEMS = 100  # per command: enough to fix a file by; a broken 100k-line file must not flood stderr


class Line:
    """One line of a results file: a window on the chunk it was read in (no copy until needed)."""

    __slots__ = ("source", "number", "offset", "buf", "start", "end")

    def __init__(self, source: str, number: int, offset: int, buf: bytes, start: int, end: int):
        self.source, self.number, self.offset = source, number, offset  # offset: of the line in the file
        self.buf, self.start, self.end = buf, start, end

    @classmethod
    def of(cls, raw: bytes, number: int = 1, source: str = "<line>") -> Line:
        return cls(source, number, 0, raw, 0, len(raw))

    @property
    def raw(self) -> memoryview:
        """The line's bytes, without its line ending."""
        return memoryview(self.buf)[self.start : self.end]

    @property
    def where(self) -> str:
        return f"{self.source}:{self.number}"


@dataclass(frozen=True, slots=True)
class Summary:
    """What calibrate and compare read of a verdict line."""

    candidate: str
    org: str | None
    cycle: str | None
    track: str
    current: str
    target: str
    path: tuple[str, ...]
    verdict: str
    unmet: frozenset[str]
    gaps: frozenset[str]  # the unmet required criteria
    rules_version: str
    line: int


CHUNK = 1 << 20


def iter_lines(path: str) -> Iterator[Line | Problem]:
    """Every non-blank line of a results file, or a located problem for a line too long to be one.
    A file that cannot be opened is a UsageError (exit 2): there is nothing to read.

    Read a megabyte at a time and cut into lines in place: a verdict line is about 8 KB, and
    copying each into its own bytes object (readline) cost as much as finding what we need in it."""
    try:
        fh = open_input(path)
    except ParseFailure as exc:
        raise UsageError([exc.problem]) from None
    except FileNotFoundError:
        raise UsageError([Problem(path, "", "no such file", kind="io")]) from None
    except IsADirectoryError:
        raise UsageError(
            [Problem(path, "", "is a folder; pass a results file (JSONL, as ladder batch --out writes)", kind="io")]
        ) from None
    except OSError as exc:
        raise UsageError([Problem(path, "", f"cannot read: {exc.strerror or exc}", kind="io")]) from None
    with fh:
        try:
            yield from _cut(fh, path)
        except OSError as exc:
            yield Problem(path, "", f"read failed part-way: {exc.strerror or exc}", kind="io")


def _cut(fh, path: str) -> Iterator[Line | Problem]:
    number, base, buf, skipping = 0, 0, b"", False  # base: file offset of buf[0]
    while True:
        chunk = fh.read(CHUNK)
        if chunk:
            buf = buf + chunk if buf else chunk
        pos, size = 0, len(buf)
        while pos < size:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if chunk and size - pos <= MAX_LINE_BYTES:
                    break  # the rest of this line comes with the next chunk
                nl = size  # the last line has no line ending, or it is too long to wait for
            number += not skipping
            if skipping or nl - pos > MAX_LINE_BYTES:
                if not skipping:
                    yield Problem(
                        path, "", f"line is longer than the limit of {MAX_LINE_BYTES} bytes", line=number, kind="io"
                    )
                skipping = nl == size and bool(chunk)  # the long line goes on in the next chunk
                pos = nl + 1
                continue
            end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl  # CRLF
            if buf[pos:end].strip():
                yield Line(path, number, base + pos, buf, pos, end)
            pos = nl + 1
        base += min(pos, size)
        buf = buf[pos:] if pos < size else b""
        if not chunk:
            return


def parse(line: Line, *, criteria: bool = True) -> dict | Problem:
    """The line as a mapping that is a verdict or an error line, or the problem with it.
    `criteria=False` leaves the criteria list unchecked while the line gives its `gaps` (a summary
    reads nothing else of it)."""
    try:
        data = orjson.loads(line.raw)
    except orjson.JSONDecodeError as exc:
        return _bad(line, "", f"not valid JSON ({str(exc).split(':')[0]})")
    if not isinstance(data, dict):
        return _bad(line, "", "not a verdict: a results line is a JSON object")
    if "error" in data:
        return data
    problem = _check_verdict(line, data, criteria)
    return problem or data


def _bad(line: Line, path: str, message: str) -> Problem:
    return Problem(line.source, path, message, line=line.number, kind="results")


def _is_ids(v: object) -> TypeGuard[list[str]]:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_verdict(line: Line, d: dict, criteria: bool = True) -> Problem | None:
    cand = d.get("candidate")
    if not isinstance(cand, dict) or not isinstance(cand.get("id"), str):
        return _bad(line, "/candidate/id", "missing: not a verdict line (ladder batch writes candidate.id)")
    if d.get("verdict") not in VERDICTS:
        return _bad(line, "/verdict", f"must be one of {', '.join(VERDICTS)}")
    for key in ("track", "current_level", "target_level"):
        if not isinstance(d.get(key), str):
            return _bad(line, f"/{key}", "missing or not text")
    for key in ("path", "unmet"):
        if not _is_ids(d.get(key)):
            return _bad(line, f"/{key}", "missing or not a list of ids")
    if criteria or not _is_ids(d.get("gaps")):
        crits = d.get("criteria")
        if not isinstance(crits, list):
            return _bad(line, "/criteria", "missing or not a list")
        for i, c in enumerate(crits):
            if not isinstance(c, dict) or not isinstance(c.get("id"), str) or c.get("status") not in ("met", "unmet"):
                return _bad(line, f"/criteria/{i}", "needs an id and a status of met or unmet")
    for key in ("org", "cycle"):
        if key in cand and not isinstance(cand[key], str):
            return _bad(line, f"/candidate/{key}", "must be text")
    return None


def statuses(d: dict) -> dict[str, str]:
    """criterion id -> met | unmet, of a checked verdict line."""
    return {c["id"]: c["status"] for c in d["criteria"]}


_intern = sys.intern  # level, track and criterion ids repeat on every line: keep one copy of each


def _ids(xs: list[str]) -> frozenset[str]:
    return frozenset(map(_intern, xs))


def summarise(line: Line) -> Summary | dict | Problem:
    """A verdict line's Summary; an error line's mapping; or the problem with the line.

    A line as `ladder batch` writes it is read in three small pieces (the head up to `criteria`,
    `unmet` and `gaps`, the versions at the end) instead of whole: 4 against 17 us a line, most
    of calibrate's and compare's time over 100,000 results. JSON strings escape every quote, so
    `],"unmet":[` cannot occur inside one; anything unexpected falls back to the whole parse,
    which is the definition. A summary reads no criterion, so neither path checks the criteria
    list of a line that gives its gaps (reverify, which reads them, does)."""
    got = _fast(line)
    if got is not None:
        return got
    d = parse(line, criteria=False)
    if isinstance(d, Problem) or "error" in d:
        return d
    return _summary(d, line.number)


def _summary(d: dict, number: int) -> Summary:
    cand = d["candidate"]
    unmet = d["unmet"]
    gaps = d.get("gaps")
    if not _is_ids(gaps):
        req = {c["id"] for c in d["criteria"] if c.get("required") is True}
        gaps = [c for c in unmet if c in req]
    rv = d.get("rules_version")
    return Summary(
        cand["id"],
        cand.get("org"),
        cand.get("cycle"),
        _intern(d["track"]),
        _intern(d["current_level"]),
        _intern(d["target_level"]),
        tuple(map(_intern, d["path"])),
        _intern(d["verdict"]),
        _ids(unmet),
        _ids(gaps),
        _intern(rv) if isinstance(rv, str) else "",
        number,
    )


_SOURCE = b'{"source":'
_HEAD, _HEADLINE, _UNMET, _SUP, _RULES = (
    b'{"candidate":',
    b',"headline":',
    b'],"unmet":[',
    b'],"supporting_gaps":',
    b',"rules_version":"',
)


def _fast(line: Line) -> Summary | None:
    buf, a, z = line.buf, line.start, line.end
    if not (buf.startswith(_HEAD, a, z) or buf.startswith(_SOURCE, a, z)):  # batch lines lead with source
        return None
    i = buf.find(_HEADLINE, a, z)
    j = buf.find(_UNMET, i, z)
    k = buf.find(_SUP, j, z)
    r = buf.rfind(_RULES, k, z)
    if i < 0 or j < 0 or k < 0 or r < 0:
        return None
    try:
        head = orjson.loads(buf[a:i] + b"}")  # candidate, track, levels, path, as_of, verdict
        lists = orjson.loads(b"{" + buf[j + 2 : k + 1] + b"}")  # unmet, gaps
        rv = orjson.loads(b"{" + buf[r + 1 : z]).get("rules_version")
    except orjson.JSONDecodeError:
        return None
    cand, unmet, gaps, path = head.get("candidate"), lists.get("unmet"), lists.get("gaps"), head.get("path")
    track, cur, tgt, verdict = (
        head.get("track"),
        head.get("current_level"),
        head.get("target_level"),
        head.get("verdict"),
    )
    if not (
        type(cand) is dict
        and type(cand.get("id")) is str
        and len(lists) == 2
        and type(unmet) is list
        and type(gaps) is list
        and type(path) is list
        and type(track) is str
        and type(cur) is str
        and type(tgt) is str
        and verdict in VERDICTS
        and type(rv) is str
        and type(cand.get("org", "")) is str
        and type(cand.get("cycle", "")) is str
    ):
        return None
    it = sys.intern  # ids repeat on every line: one copy each (and a TypeError for anything but text)
    try:
        return Summary(
            cand["id"],
            cand.get("org"),
            cand.get("cycle"),
            it(track),
            it(cur),
            it(tgt),
            tuple(map(it, path)),
            it(verdict),
            frozenset(map(it, unmet)),
            frozenset(map(it, gaps)),
            it(rv),
            line.number,
        )
    except TypeError:  # a list holding something other than ids: the whole parse says what
        return None


def read_verdict_at(path: str, offset: int) -> dict | None:
    """The verdict line at a byte offset (reverify shows what changed in a line it found before)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            raw = fh.readline(MAX_LINE_BYTES + 1)
        d = orjson.loads(raw)
    except (OSError, orjson.JSONDecodeError):
        return None
    return d if isinstance(d, dict) else None


def problems_text(problems: list[Problem], more: int = 0) -> str:
    lines = [str(p) for p in problems[:MAX_PROBLEMS]]
    extra = len(problems) - MAX_PROBLEMS + more
    if extra > 0:
        lines.append(f"... and {extra} more problem(s)")
    return "\n".join(lines)
