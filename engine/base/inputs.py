"""Packet sources: files, folders, JSONL files (one packet a line) and `-` (stdin: JSONL or YAML
documents for a batch; one YAML or JSON packet for validate and evaluate).

Sources are streamed: nothing holds a whole batch. Every input yields exactly one Item, even
when it cannot be read (the item then carries the problem), so a batch accounts for every packet.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import Problem
from .loader import Document, ParseFailure, decode, load_file, open_input, parse_text

PACKET_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
MAX_LINE_BYTES = 5 * 1024 * 1024
STDIN_MAX = 64 * 1024 * 1024  # one packet on stdin; --max-bytes then applies as to a file


@dataclass(frozen=True)
class Item:
    """One packet to come: a file to read, a JSONL line already read, or a problem found early."""

    source: str  # "file", or "file:line" for a JSONL line
    kind: str  # file | line | doc (a YAML or JSON document read from stdin) | problem
    payload: str | bytes | None = None  # line text (kind=line)
    line: int = 0
    problem: Problem | None = None
    file: str = ""  # the file (or "<stdin>") a JSONL line came from
    label: str = ""  # how output names the source when not by `source` (`batch --redact`)

    @property
    def shown(self) -> str:
        """The source as output shows it."""
        return self.label or self.source


@dataclass
class Selection:
    """Which files of the inputs are read, and what a reader is told about it: `exclude` globs
    (`--exclude`, matched against a file's or folder's path below the folder given, and against
    its name; `*` crosses `/`), how many files came from each subfolder of a folder given, and how
    many the globs left out."""

    exclude: tuple[str, ...] = ()
    from_subfolders: Counter = field(default_factory=Counter)  # "folder/sub" -> packet files read there
    excluded: int = 0

    def __post_init__(self) -> None:
        self.exclude = tuple(g.rstrip("/") for g in self.exclude if g.strip("/"))

    def left_out(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(name, g) for g in self.exclude)

    def lines(self) -> list[str]:
        """What the run's summary says about the files read (nothing when there is nothing to say)."""
        out = []
        if self.from_subfolders:
            n = sum(self.from_subfolders.values())
            out.append(
                f"{n} file(s) came from subfolders (folders are read with their subfolders; --exclude GLOB "
                "leaves some out): " + ", ".join(f"{d}/ {k}" for d, k in sorted(self.from_subfolders.items()))
            )
        if self.excluded:
            out.append(f"{self.excluded} file(s) left out by --exclude {' '.join(self.exclude)}")
        return out

    def as_dict(self) -> dict:
        return {"from_subfolders": dict(sorted(self.from_subfolders.items())), "excluded": self.excluded}


def _walk(folder: str, sel: Selection | None = None) -> Iterator[str]:
    """Recursive and sorted; symlinked folders are not followed (no loops). With a selection:
    excluded files and folders are left out (and counted), files below a subfolder counted."""
    for root, dirs, files in os.walk(folder, followlinks=False, onerror=None):
        rel_root = os.path.relpath(root, folder).replace(os.sep, "/")
        rel_root = "" if rel_root == "." else rel_root + "/"
        if sel is not None and sel.exclude:
            kept = [d for d in dirs if not sel.left_out(rel_root + d)]
            sel.excluded += sum(_count_packet_files(os.path.join(root, d)) for d in dirs if d not in kept)
            dirs[:] = kept
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(PACKET_SUFFIXES):
                if sel is not None:
                    if sel.left_out(rel_root + f):
                        sel.excluded += 1
                        continue
                    if rel_root:
                        sel.from_subfolders[os.path.join(folder, rel_root.split("/", 1)[0]).replace(os.sep, "/")] += 1
                yield os.path.join(root, f)


def _count_packet_files(folder: str) -> int:
    return sum(1 for _ in _walk(folder))


STDIN = "<stdin>"


def iter_inputs(
    paths: list[str], stdin=None, one_packet: bool = False, selection: Selection | None = None
) -> Iterator[Item]:
    """Every input's items. `-` is stdin: with one_packet (validate, evaluate) the whole of it is
    one YAML or JSON packet; else JSONL, or YAML documents separated by `---` lines. `selection`:
    --exclude globs to apply, and the tally of what was read (Selection)."""
    for p in paths:
        if p == "-":
            if one_packet:
                yield stdin_packet(stdin or sys.stdin.buffer)
            else:
                own = None if stdin else _own_stdin()
                try:
                    yield from _stream(stdin or own)
                finally:
                    if own is not None and own is not sys.stdin.buffer:
                        own.close()
            continue
        if os.path.isdir(p):
            for f in _walk(p, selection):
                yield from _file_items(f)
            continue
        if selection is not None and selection.exclude and selection.left_out(p.replace(os.sep, "/")):
            selection.excluded += 1
            continue
        yield from _file_items(p)


def _own_stdin():
    """Standard input through a file object of our own (over a duplicate of fd 0) where there is
    one: batch reads it in a thread (engine.base.workers.Prefetch), and a worker forked meanwhile closes
    sys.stdin as it starts, which would wait forever on the lock the reading thread holds."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test harness: no file descriptor
        return sys.stdin.buffer
    return os.fdopen(os.dup(fd), "rb")


def visible(path: str) -> str:
    """A path as output can show it: bytes of a name that are not UTF-8 (which os.fsdecode keeps
    as lone surrogates, unwritable in UTF-8) escaped as \\xff; any other path unchanged."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def _file_items(path: str) -> Iterator[Item]:
    shown = visible(path)
    if shown != path:  # its source could be written nowhere (JSONL, CSV, HTML are UTF-8): one error line
        yield Item(
            shown,
            "problem",
            problem=Problem(
                shown,
                "",
                "the file name is not UTF-8 (its bytes are shown escaped); rename the file to read it",
                kind="encoding",
            ),
        )
        return
    if path.lower().endswith(".jsonl"):
        try:
            fh = open_input(path)  # never blocks on a fifo; refuses sockets and devices
        except ParseFailure as exc:
            yield Item(path, "problem", problem=exc.problem)
            return
        except OSError as exc:
            yield Item(path, "problem", problem=Problem(path, "", f"cannot read: {exc.strerror or exc}", kind="io"))
            return
        with fh:
            try:
                yield from _lines(fh, path)
            except OSError as exc:
                yield Item(
                    path,
                    "problem",
                    problem=Problem(path, "", f"read failed part-way: {exc.strerror or exc}", kind="io"),
                )
        return
    yield Item(path, "file")


def _lines(fh, name: str) -> Iterator[Item]:
    fh = _bytes(fh)
    for n, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), start=1):
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # skip the rest of an oversized line, then report it as one packet
            while True:
                more = fh.readline(MAX_LINE_BYTES)
                if not more or more.endswith(b"\n"):
                    break
            yield Item(
                f"{name}:{n}",
                "problem",
                line=n,
                file=name,
                problem=Problem(
                    name, "", f"line is longer than the limit of {MAX_LINE_BYTES} bytes", line=n, kind="io"
                ),
            )
            continue
        if not raw.strip():
            continue  # blank lines are not packets
        yield Item(f"{name}:{n}", "line", payload=raw, line=n, file=name)


def stdin_packet(fh=None) -> Item:
    """All of stdin as one packet (YAML or JSON, told apart by its first character)."""
    fh = fh or sys.stdin.buffer
    raw = fh.read(STDIN_MAX + 1)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if len(raw) > STDIN_MAX:
        return Item(
            STDIN,
            "problem",
            problem=Problem(STDIN, "", f"more than {STDIN_MAX} bytes on stdin: not a packet", kind="io"),
        )
    return Item(STDIN, "doc", payload=raw, line=1, file=STDIN)


def _stream(fh) -> Iterator[Item]:
    """Batch's stdin: JSONL when the first non-blank line starts with `{`, else YAML documents
    (`cat packet.yaml | ladder batch -` is one packet, not one JSON error per YAML line)."""
    head: list[bytes] = []
    fh = _bytes(fh)
    for raw in iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""):
        head.append(raw)
        if raw.strip():
            break
    if not head or head[-1].lstrip()[:1] == b"{":
        yield from _lines(_Replay(head, fh), STDIN)
        return
    yield from _yaml_documents(_Replay(head, fh))


def _bytes(fh):
    """`fh` read as bytes: a text stream (a test harness's stdin) ends with "", not b"", so a loop
    waiting for b"" would never end on one."""
    return fh if isinstance(fh, _Replay) else _Replay([], fh)


class _Replay:
    """A file's first lines (already read) followed by the rest of it, as bytes whatever the file."""

    def __init__(self, head: list[bytes], fh):
        self.head, self.fh = list(head), fh

    def readline(self, size: int = -1) -> bytes:
        if self.head:
            return self.head.pop(0)
        raw = self.fh.readline(size)
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw


def _yaml_documents(fh) -> Iterator[Item]:
    """One item per YAML document, each ended by a `---` line (or the end of the input)."""
    doc: list[bytes] = []
    start, size, skipping = 1, 0, False
    for n, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), start=1):
        if raw.rstrip() in (b"---", b"..."):
            if doc and b"".join(doc).strip():
                yield Item(f"{STDIN}:{start}", "doc", payload=b"".join(doc), line=start, file=STDIN)
            doc, start, size, skipping = [], n + 1, 0, False
            continue
        if skipping:
            continue
        doc.append(raw)
        size += len(raw)
        if size > MAX_LINE_BYTES:
            yield Item(
                f"{STDIN}:{start}",
                "problem",
                line=start,
                file=STDIN,
                problem=Problem(
                    STDIN, "", f"document is longer than the limit of {MAX_LINE_BYTES} bytes", line=start, kind="io"
                ),
            )
            doc, skipping = [], True
    if doc and b"".join(doc).strip():
        yield Item(f"{STDIN}:{start}", "doc", payload=b"".join(doc), line=start, file=STDIN)


def redacted(items: Iterator[Item]) -> Iterator[Item]:
    """The items, each labelled `input-N` (`input-N:LINE` for a JSONL line) instead of its path: a
    file named after a person is personal data. N counts distinct files in input order, so the
    label is the same in every output of a run and the same run to run; stdin keeps its name."""
    numbers: dict[str, int] = {}
    for item in items:
        name = item.file or item.source
        if name == "<stdin>":
            yield item
            continue
        n = numbers.setdefault(name, len(numbers) + 1)
        yield replace(item, label=f"input-{n}" + (f":{item.line}" if item.file else ""))


def load_item(item: Item, max_bytes: int) -> Document:
    """Parse an item into a Document; raises ParseFailure with a located problem."""
    if item.kind == "problem":
        assert item.problem is not None
        raise ParseFailure(item.problem)
    if item.kind == "file":
        return load_file(item.source, max_bytes)
    raw = item.payload if isinstance(item.payload, bytes) else str(item.payload).encode()
    if item.kind == "doc":
        if len(raw) > max_bytes:
            raise ParseFailure(
                Problem(
                    item.file, "", f"packet is larger than the limit of {max_bytes} bytes", line=item.line, kind="io"
                )
            )
        text = decode(raw, item.file)
        fmt = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
        return parse_text(text, item.file, fmt, line_offset=item.line - 1)
    if len(raw) > max_bytes:
        raise ParseFailure(
            Problem(item.file, "", f"packet is larger than the limit of {max_bytes} bytes", line=item.line, kind="io")
        )
    try:
        text = decode(raw, item.file)
    except ParseFailure as exc:
        p = exc.problem
        raise ParseFailure(Problem(p.source, p.path, p.message, line=item.line, kind=p.kind)) from None
    # Without its line end: a packet cut off before it ends "at" the next line, which is not its own.
    return parse_text(text.rstrip("\r\n"), item.file, "json", line_offset=item.line - 1)


def count_inputs(paths: list[str], exclude: tuple[str, ...] = ()) -> int | None:
    """How many packets, for a progress bar; None when it cannot be known up front (stdin)."""
    total = 0
    sel = Selection(exclude)
    for p in paths:
        if p == "-":
            return None
        if not os.path.isdir(p) and sel.exclude and sel.left_out(p.replace(os.sep, "/")):
            continue
        files = list(_walk(p, sel)) if os.path.isdir(p) else [p]
        for f in files:
            if f.lower().endswith(".jsonl"):
                try:
                    if not stat.S_ISREG(os.stat(f).st_mode):
                        return None  # counting a pipe would consume it (or wait on a fifo forever)
                    with open(f, "rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                except OSError:
                    total += 1
            else:
                total += 1
    return total


def exists_or_dash(p: str) -> bool:
    return p == "-" or Path(p).exists() or Path(p).is_symlink()
