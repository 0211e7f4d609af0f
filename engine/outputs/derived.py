"""What a batch writes beside its JSONL, all derived from the JSONL lines themselves: the summary
CSV (a row per packet), the criteria CSV (a row per candidate x criterion) and the HTML report;
and the flag on every line of a candidate id that more than one input names.

Deriving everything from the lines, after the run, keeps the CSV and the report saying exactly
what the JSONL says, and lets a repeated candidate be flagged on its first line too.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO

import orjson

from ..base.errors import OutputError, first_problem
from ..base.escape import csv_line, csv_text
from ..base.output import AtomicWriter

try:
    import fcntl
except ImportError:  # not POSIX: engine.base.output takes no locks either
    fcntl = None  # type: ignore[assignment]

SUMMARY_HEADER = [
    "candidate_id",
    "name",
    "source",
    "org",
    "manager",
    "cycle",
    "track",
    "current_level",
    "target_level",
    "as_of",
    "verdict",
    "required_met",
    "required_total",
    "supporting_met",
    "supporting_needed",
    "supporting_short",
    "required_gaps",
    "supporting_gaps",
    "warnings",
    "also_in",
    "invalid_reason",
    "rules_version",
    "numbers_basis",
    "plan_records",
    "warning_text",
    "paths_fit",
]
CRITERIA_HEADER = [
    "candidate_id",
    "source",
    "org",
    "cycle",
    "track",
    "target_level",
    "verdict",
    "criterion_id",
    "level",
    "required",
    "status",
    "evidence_count",
    "verified",
    "basis",
    "basis_note",
]
INVALID = "invalid"  # the verdict column of a packet that could not be evaluated
ALSO_IN = "also_in"  # a line's key: the other inputs naming the same candidate id
SHARED = "shared_outcomes"  # a line's key: its outcomes another candidate claims too (engine.book.outcomes)


def _cand(d: dict) -> dict:
    return got if isinstance(got := d.get("candidate"), dict) else {}


def summary_row(d: dict) -> list[Any]:
    """One packet's row: a verdict line's figures, or an error line's first problem."""
    c = _cand(d)
    also = ";".join(d.get(ALSO_IN, []))
    if "error" in d:
        row = (
            [c.get("id"), "", d.get("source"), "", "", "", "", "", "", "", INVALID]
            + [""] * 8
            + [also, first_problem((d.get("error") or {}).get("problems") or []), "", "", "", "", ""]
        )
        return row
    levels = d.get("levels", [])
    short = [g for g in d.get("supporting_gaps", [])]
    plan = d.get("plan")
    warnings = d.get("warnings", [])
    row = [
        c.get("id"),
        c.get("name"),
        d.get("source"),
        c.get("org"),
        c.get("manager"),
        c.get("cycle"),
        d.get("track"),
        d.get("current_level"),
        d.get("target_level"),
        d.get("as_of"),
        d.get("verdict"),
        sum(lv["required_met"] for lv in levels),
        sum(lv["required_total"] for lv in levels),
        # every supporting criterion met, as text and JSON count them (not capped at what is needed)
        sum(lv["supporting_met"] for lv in levels),
        sum(lv["supporting_needed"] for lv in levels),
        supporting_short(short),
        ";".join(dict.fromkeys(d.get("gaps", []))),
        ";".join(dict.fromkeys(cid for g in short for cid in g["closest"])),
        len(warnings),
        also,
        "",
        d.get("rules_version"),
        # "policy": supporting_needed and the evidence needed are the ladder's numbers, not the guide's
        "policy" if any(lv.get("basis") == "policy" for lv in levels) else "",
        # records the plan would add (empty: no plan was made or needed; "none found": no plan within the bounds)
        "" if "plan" not in d else ("none found" if plan is None else len(plan)),
        " | ".join(f"{w.get('path', '')}: {w.get('message', '')}" for w in warnings),
        # batch --paths: each adjacent path's fit, strongest first (empty without --paths)
        "; ".join(f"{p.get('id')}={p.get('fit')}" for p in d.get("paths") or [] if isinstance(p, dict)),
    ]
    return row


def supporting_short(gaps: list[dict]) -> int:
    """How many more supporting criteria the candidate needs, over the levels on the path. Per level
    the larger of its overall shortfall and its aspects' shortfalls together: an aspect's criteria
    count toward the overall number too, so the two are not added."""
    overall: dict[str, int] = {}
    aspects: dict[str, int] = {}
    for g in gaps:
        into = aspects if "aspect" in g else overall
        into[g["level"]] = into.get(g["level"], 0) + g["more"]
    return sum(max(overall.get(lv, 0), aspects.get(lv, 0)) for lv in {**overall, **aspects})


def criteria_rows(d: dict) -> Iterator[list[Any]]:
    """The long form, for pivot tables: a row per criterion of an evaluated packet (none for an
    error line). evidence_count: records cited (met) or found toward it (unmet)."""
    if "error" in d:
        return
    c = _cand(d)
    head = [
        c.get("id"),
        d.get("source"),
        c.get("org"),
        c.get("cycle"),
        d.get("track"),
        d.get("target_level"),
        d.get("verdict"),
    ]
    for cr in d.get("criteria", []):
        # basis "policy" also for a criterion that relies on the ladder's default window (its "window")
        basis = "policy" if cr.get("window") else cr.get("basis", "")
        yield [
            x
            for x in head
            + [
                cr["id"],
                cr["level"],
                cr["required"],
                cr["status"],
                len(cr.get("evidence", [])),
                cr.get("verified", ""),
                basis,
                cr.get("basis_note") or (f"default window {cr['window']['days']} days" if cr.get("window") else ""),
            ]
        ]


def flag_repeats(d: dict, repeated: dict[str, list[str]], shared: Any = None) -> dict:
    """The line with `also_in` (the other inputs naming its candidate id) after `source`, and
    `shared_outcomes` (its outcomes other candidates claim too) after that, on a verdict line."""
    cid = _cand(d).get("id")
    srcs = repeated.get(cid) if cid is not None else None
    claims = shared.get(cid) if shared and cid is not None and "error" not in d else None
    if not srcs and not claims:
        return d
    out = {}
    for k, v in d.items():
        out[k] = v
        if k == "source":
            if srcs:
                out[ALSO_IN] = [s for s in srcs if s != d.get("source")] or srcs[1:]
            if claims:
                out[SHARED] = claims
    return out


def splice_also_in(line: str, source: str, earlier: list[str]) -> str:
    """A streamed line with `also_in` (the inputs before it naming the same candidate) after
    `source`, where flag_repeats puts it; the rest of the line as it was."""
    head = '{"source":' + orjson.dumps(source).decode() + ","
    if not line.startswith(head):
        d = orjson.loads(line)
        return orjson.dumps(flag_repeats(d, {str((d.get("candidate") or {}).get("id")): earlier + [source]})).decode()
    return (
        head
        + '"'
        + ALSO_IN
        + '":'
        + orjson.dumps([s for s in earlier if s != source] or earlier).decode()
        + ","
        + line[len(head) :]
    )


class Stream(AtomicWriter):
    """`--out -`: each line goes to standard output as it is decided (in input order), flushed, so a
    pipe sees every verdict at once and a reader that goes away stops the run (BrokenPipeError).
    What only the whole run knows is not on the streamed lines: a repeated candidate's line names
    the inputs before it (`also_in`), not those after; `shared_outcomes` is given only in files;
    the run's summary on stderr lists both. With derived outputs (CSVs, HTML) the lines are also
    kept in a temporary file, which derive() reads back for them."""

    def __init__(self, keep: bool) -> None:
        self.path, self.stdout, self.removed, self.private, self.through = "-", True, [], False, False
        self.tmp = None
        self.fh = sys.stdout
        self.copy: TextIO | None = None
        if keep:
            fd, self.tmp = tempfile.mkstemp(prefix=".ladder-batch.", suffix=".jsonl")
            self.copy = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def write(self, text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from None
        if self.copy is not None:
            self.copy.write(text)

    def finish(self) -> None:
        if self.copy is not None and not self.copy.closed:
            self.copy.flush()

    def commit(self) -> None:
        self.abort()  # every line is out already; only the copy is left to remove

    def abort(self) -> None:
        if self.copy is not None and not self.copy.closed:
            self.copy.close()
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None


class Spool(AtomicWriter):
    """`--out -`: the lines wait in a temporary file until the run ends (a repeated candidate is
    flagged on its first line too), then go to stdout."""

    def __init__(self) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".ladder-batch.", suffix=".jsonl")
        self.path, self.stdout, self.tmp, self.removed = "-", False, tmp, []
        self.private, self.through = False, False
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def finish(self) -> None:
        if not self.fh.closed:
            self.fh.flush()

    def commit(self) -> None:
        if self.tmp is None:
            return
        self.fh.close()
        try:
            with open(self.tmp, encoding="utf-8", newline="") as src:
                shutil.copyfileobj(src, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # as engine.base.output says it for stdout (a full disk: exit 74)
            raise OutputError(
                summary=f"cannot write to standard output: {exc.strerror or exc}; the output is incomplete"
            ) from None
        finally:
            os.unlink(self.tmp)
            self.tmp = None


def _relock(w: AtomicWriter) -> None:
    """Reading a partial file by its name and closing it drops the writer's POSIX lock on it
    (engine.base.output: the lock says the file is not a killed run's leftover): take it again."""
    if fcntl is not None and not w.stdout and not w.fh.closed and not isinstance(w, Spool):
        fcntl.lockf(w.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def derive(
    writer: AtomicWriter,
    repeated: dict[str, list[str]],
    summary: AtomicWriter | None,
    criteria: AtomicWriter | None,
    report: Any | None,
    titles: list | None,
    shared: Any = None,
    lines: list | None = None,
) -> AtomicWriter:
    """Read the finished JSONL back once: write the CSVs and feed the report (engine.outputs.report_html
    .Report) from its lines. Returns the writer holding the lines to keep: `writer`, or a new one
    with every repeated candidate flagged (the caller aborts the old one).

    `lines`, (candidate id of a verdict line or None, source) per line in order: with it, and
    nothing but flags to write, a line that only gains `shared_outcomes` is not parsed again; the
    key is spliced in after `source`, where flag_repeats puts it."""
    stream = isinstance(writer, Stream)  # its lines are out already: flags go to the tables only
    if isinstance(writer, Stream):
        assert writer.copy is not None  # derived outputs keep a copy of the streamed lines
        writer.copy.flush()
    else:
        writer.fh.flush()
    tables = []
    for w, header in ((summary, SUMMARY_HEADER), (criteria, CRITERIA_HEADER)):
        if w:
            w.write(csv_line(header))
        tables.append(w)
    flag = bool(repeated or shared)
    flagged = (
        (Spool() if isinstance(writer, Spool) else AtomicWriter(writer.path, writer.private))
        if flag and not stream
        else writer
    )
    try:
        assert writer.tmp is not None  # a file's lines, or a stream's kept copy
        with open(writer.tmp, "rb") as fh:
            splice = lines if not tables[0] and not tables[1] and report is None and not stream else None
            for n, raw in enumerate(fh):
                if splice is not None:
                    cid, src = splice[n]
                    claims = shared.get(cid) if shared and cid is not None and cid not in repeated else None
                    if cid is None or cid not in repeated:
                        head = b'{"source":' + orjson.dumps(src) + b","
                        if claims and raw.startswith(head):
                            raw = head + b'"' + SHARED.encode() + b'":' + orjson.dumps(claims) + b"," + raw[len(head) :]
                        flagged.write(raw.decode())
                        continue
                d = orjson.loads(raw)
                if flag:
                    d2 = flag_repeats(d, repeated, shared)
                    if not stream:
                        flagged.write((orjson.dumps(d2) + b"\n").decode() if d2 is not d else raw.decode())
                    d = d2
                if tables[0]:
                    tables[0].write(csv_line(summary_row(d)))
                if tables[1]:
                    tables[1].write(csv_text(criteria_rows(d)))
                if report is not None:
                    report.add(d, titles[n] if titles else None)
    except BaseException:
        if flagged is not writer:
            flagged.abort()
        raise
    finally:
        _relock(writer)
    return flagged
