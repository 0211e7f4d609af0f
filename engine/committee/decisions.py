"""Decisions files: what a promotion committee decided, one row per candidate per cycle.

CSV (a header row, then a row per decision) or YAML (a list of the same keys), checked against
schemas/decisions.schema.json and the rule book (criterion ids in `overrides`), every problem
located by file, line and column name. `check_against_results` adds what only the verdicts
know: that each candidate has one, and that each override contradicts what the tool found.
Reasons are free text about a person: never echoed in a message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from ..base.errors import Problem
from ..base.loader import DEFAULT_MAX_BYTES, Document, ParseFailure, check_tree, decode, parse_text, read_bytes
from ..base.resources import load_schema
from ..base.suggest import did_you_mean
from ..book.rules import RuleBook

DECISIONS = ("promoted", "not_promoted", "deferred")
COLUMNS = ("cycle", "candidate_id", "decision", "decided_on", "reason", "overrides", "decided_by")
REQUIRED = ("cycle", "candidate_id", "decision", "decided_on")
MAX_BYTES = 256 * 1024 * 1024  # a decisions file is a few hundred bytes a row: this is a million rows
MAX_PROBLEMS = 500
# Always fullmatch: `$` also matches before a final newline, so `.match` let "id\n" through.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOKEN = re.compile(r"[A-Za-z0-9._:+@/=-]{1,60}")


@dataclass(frozen=True, slots=True)
class Decision:
    cycle: str
    candidate: str
    decision: str  # promoted | not_promoted | deferred
    decided_on: str
    overrides: tuple[tuple[str, str], ...]  # (criterion id, met | unmet), in file order
    line: int
    source: str = ""
    reason: str = ""  # the committee's own words: shown where the decision is listed, never in an error
    decided_by: str = ""  # who decided: the committee's or the chair's id (optional)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass
class Decisions:
    source: str
    rows: list[Decision] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _show(value: Any) -> str:
    """A value fit to echo: short tokens only (ids, dates, words); anything else by its length."""
    if isinstance(value, str) and _TOKEN.fullmatch(value):
        return repr(value)
    if isinstance(value, str):
        return f"a {len(value)}-character text"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing",
    }.get(type(value), "a value")


def parse_overrides(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """`a.b=met; c.d=unmet` -> pairs, and a message for each malformed part."""
    pairs, bad = [], []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        cid, eq, value = (x.strip() for x in part.partition("="))
        if not eq or value not in ("met", "unmet") or not _ID.fullmatch(cid):
            bad.append(f"{_show(part)} is not criterion-id=met or criterion-id=unmet")
            continue
        pairs.append((cid, value))
    return pairs, bad


_ROW_VALIDATOR: Any = None


def _row_schema_ok(row: dict) -> bool:
    """schemas/decisions.schema.json is the definition of a valid row; the checks below explain."""
    global _ROW_VALIDATOR
    if _ROW_VALIDATOR is None:
        schema = load_schema("decisions")
        _ROW_VALIDATOR = jsonschema_rs.validator_for(
            {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/decision"}, validate_formats=True
        )
    return _ROW_VALIDATOR.is_valid(row)


class _Checker:
    def __init__(self, source: str, book: RuleBook | None):
        self.out = Decisions(source)
        self.book = book
        self.known = {c.id for c in book.all_criteria()} if book is not None else None
        self.seen: dict[tuple[str, str], int] = {}

    def add(self, line: int | None, path: str, message: str, severity: str = "error") -> None:
        if len(self.out.problems) < MAX_PROBLEMS:
            self.out.problems.append(
                Problem(self.out.source, path, message, line=line, kind="decisions", severity=severity)
            )
        elif len(self.out.problems) == MAX_PROBLEMS:
            self.out.problems.append(
                Problem(
                    self.out.source,
                    "",
                    f"more than {MAX_PROBLEMS} problems; only the first are listed",
                    kind="decisions",
                )
            )

    def row(self, row: dict, line: int, at: Any) -> None:
        """Check one row (column -> value); `at(column)` gives (line, path) for a problem."""
        before = len(self.out.problems)

        def bad(col: str, message: str, severity: str = "error") -> None:
            ln, path = at(col)
            self.add(ln, path, message, severity)

        for col in row:
            if col not in COLUMNS and not (isinstance(col, str) and col.startswith("x-")):
                bad(col, f"unknown column {_show(col)}{did_you_mean(str(col), COLUMNS)}")
        for col in REQUIRED:
            if row.get(col) in (None, ""):
                bad(col, f"missing {col}")
        for col in ("cycle", "candidate_id", "decision", "decided_on", "reason", "overrides", "decided_by"):
            v = row.get(col)
            if v is not None and not isinstance(v, str):
                bad(
                    col,
                    f"must be text, not {_show(v) if col != 'reason' else 'a ' + type(v).__name__}"
                    + (" (quote it: '2026-06-30')" if col == "decided_on" else ""),
                )
        cycle, cid, dec, day = (got if isinstance(got := row.get(c), str) else "" for c in REQUIRED)
        by = got if isinstance(got := row.get("decided_by"), str) else ""
        for col, v in (("cycle", cycle), ("candidate_id", cid), ("decided_by", by)):
            if v and not _ID.fullmatch(v):
                bad(col, f"{_show(v)} is not a valid id: 1-64 letters, digits, '.', '_' or '-'")
        if dec and dec not in DECISIONS:
            bad(
                "decision",
                f"{_show(dec)} is not a decision{did_you_mean(dec, DECISIONS)} (one of: {', '.join(DECISIONS)})",
            )
        if day:
            if not _DATE.fullmatch(day):
                bad("decided_on", f"{_show(day)} is not a date in the form YYYY-MM-DD")
            else:
                try:
                    dt.date.fromisoformat(day)
                except ValueError:
                    bad("decided_on", f"{_show(day)} is not a real calendar date")
        reason = row.get("reason")
        if isinstance(reason, str) and len(reason) > 4000:
            bad("reason", "is longer than 4000 characters")
        raw = row.get("overrides")
        pairs: list[tuple[str, str]] = []
        if isinstance(raw, str):
            pairs, msgs = parse_overrides(raw)
            for m in msgs:
                bad("overrides", m)
            seen: set[str] = set()
            for crit, _ in pairs:
                if crit in seen:
                    bad("overrides", f"{crit!r} is overridden twice in one row")
                seen.add(crit)
                if self.known is not None and crit not in self.known:
                    bad(
                        "overrides",
                        f"unknown criterion {crit!r}{did_you_mean(crit, self.known)} (ladder rules show lists them)",
                    )
        if cycle and cid:
            first = self.seen.setdefault((cycle, cid), line)
            if first != line:
                bad("candidate_id", f"{cid!r} already has a decision for cycle {cycle!r} at line {first}")
        if len(self.out.problems) == before and not _row_schema_ok(
            {k: v for k, v in row.items() if v not in (None, "") or k in REQUIRED}
        ):
            bad("", "does not match schemas/decisions.schema.json")
        if len(self.out.problems) == before:
            self.out.rows.append(
                Decision(
                    cycle,
                    cid,
                    dec,
                    day,
                    tuple(pairs),
                    line,
                    self.out.source,
                    reason.strip() if isinstance(reason, str) else "",
                    by,
                )
            )


def load_decisions(path: str, book: RuleBook | None = None) -> Decisions:
    """Read and check a decisions file (CSV by its .csv name, else YAML or JSON). Never raises for
    bad content: every problem is in `.problems`; `.rows` holds the valid rows."""
    chk = _Checker(path, book)
    try:
        text = decode(read_bytes(path, MAX_BYTES), path)
    except ParseFailure as exc:
        chk.out.problems.append(exc.problem)
        return chk.out
    if path.lower().endswith(".csv"):
        _read_csv(text, chk)
    else:
        _read_yaml(text, path, chk)
    return chk.out


def _read_csv(text: str, chk: _Checker) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        chk.add(reader.line_num, "", f"not valid CSV: {exc}")
        return
    if not header or not any(h.strip() for h in header):
        chk.add(1, "", f"no header row: the first line names the columns ({', '.join(COLUMNS)})")
        return
    header = [h.strip() for h in header]
    for h in header:
        if h not in COLUMNS and not h.startswith("x-"):
            chk.add(1, h, f"unknown column {_show(h)}{did_you_mean(h, COLUMNS)} (columns: {', '.join(COLUMNS)})")
    missing = [c for c in REQUIRED if c not in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    for c in missing:
        chk.add(1, c, f"missing column {c!r}")
    for c in dupes:
        chk.add(1, c, f"column {c!r} appears twice")
    if missing or dupes or chk.out.problems:
        return
    prev = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            chk.add(prev + 1, "", f"not valid CSV: {exc}")
            return
        line, prev = prev + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            chk.add(line, "", f"{len(cells)} cells for {len(header)} columns")
            continue
        row = {h: c.strip() if h != "reason" else c for h, c in zip(header, cells)}
        chk.row(row, line, lambda col, line=line: (line, col))


def _read_yaml(text: str, path: str, chk: _Checker) -> None:
    try:
        doc = parse_text(text, path, "json" if path.lower().endswith(".json") else "yaml", fast=False)
        check_tree(doc)
    except ParseFailure as exc:
        chk.out.problems.append(exc.problem)
        return
    rows, prefix = doc.data, ""
    if isinstance(rows, dict) and set(rows) == {"decisions"}:
        rows, prefix = rows["decisions"], "/decisions"
    if not isinstance(rows, list):
        chk.add(
            doc.locate(""),
            "",
            "a decisions file is a list of decisions (or a mapping with `decisions:`), one per candidate per cycle",
        )
        return
    for i, row in enumerate(rows):
        ptr = f"{prefix}/{i}"
        if not isinstance(row, dict):
            chk.add(doc.locate(ptr), ptr, f"must be a mapping with {', '.join(REQUIRED)}, not {_show(row)}")
            continue
        if isinstance(row.get("overrides"), list):  # YAML may list them: the same as `a=met; b=unmet`
            items = row["overrides"]
            if all(isinstance(x, str) for x in items):
                row = {**row, "overrides": "; ".join(items)}
        line = doc.locate(ptr) or 0
        chk.row(
            row, line, lambda col, ptr=ptr: (doc.locate(f"{ptr}/{col}" if col else ptr), f"{ptr}/{col}" if col else ptr)
        )


# -- against the verdicts ------------------------------------------------------------------------
def from_packet(doc: Document, book: RuleBook | None = None) -> Decisions:
    """A packet's own `committee:` section as a decision (cycle and candidate from the packet's
    candidate), checked as a row of a decisions file is, each problem located at its line; none
    when the packet has no section, or names no cycle (the section is then the case page's alone:
    a decision is per cycle)."""
    chk = _Checker(doc.source, book)
    data = doc.data if isinstance(doc.data, dict) else {}
    com, cand = data.get("committee"), data.get("candidate")
    if not isinstance(com, dict) or not isinstance(cand, dict) or not cand.get("cycle"):
        return chk.out
    row = {
        "cycle": cand.get("cycle"),
        "candidate_id": cand.get("id"),
        **{k: v for k, v in com.items() if k in COLUMNS and k not in ("cycle", "candidate_id")},
    }
    where = {"cycle": "/candidate/cycle", "candidate_id": "/candidate/id"}

    def at(col: str) -> tuple[int | None, str]:
        ptr = where.get(col, f"/committee/{col}" if col else "/committee")
        return doc.locate(ptr), ptr

    chk.row(row, 0, at)
    return chk.out


def from_packets(
    paths: list[str] | tuple[str, ...], book: RuleBook | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Decisions:
    """The `committee:` sections of every packet of `paths` (files, folders, JSONL), as
    decisions (from_packet); a packet that cannot be read is left to the commands that evaluate it."""
    from ..base.inputs import iter_inputs
    from ..core import pipeline

    out = Decisions(", ".join(paths))
    for item in iter_inputs(list(paths)):
        doc = pipeline.load(item, max_bytes)
        if isinstance(doc, pipeline.Result) or not isinstance(doc.data, dict):
            continue
        got = from_packet(doc, book)
        out.rows += got.rows
        out.problems += got.problems
    return out


class Matcher:
    """Which decision a verdict line is about: the same candidate id, and the same cycle when the
    line's packet names one (candidate.cycle) or --cycle picks one."""

    def __init__(self, rows: list[Decision], cycle: str | None = None):
        self.by_cid: dict[str, list[Decision]] = {}
        for d in rows:
            if cycle is None or d.cycle == cycle:
                mine = self.by_cid.setdefault(d.candidate, [])
                if not any(x.cycle == d.cycle for x in mine):  # a decisions file's row before the packet's own
                    mine.append(d)
        self.cycle = cycle

    def rows(self) -> list[Decision]:
        """Every decision kept (one per candidate and cycle: a file's row before a packet's own)."""
        return [d for found in self.by_cid.values() for d in found]

    def match(self, cid: str, line_cycle: str | None) -> Decision | str | None:
        """The decision, None when there is none, or a message when it is ambiguous."""
        found = self.by_cid.get(cid)
        if not found:
            return None
        want = line_cycle or self.cycle
        if want is not None:
            return next((d for d in found if d.cycle == want), None)
        if len(found) == 1:
            return found[0]
        return (
            f"candidate {cid!r} has decisions in several cycles ({', '.join(sorted(d.cycle for d in found))}) "
            "and the verdict names none: pass --cycle"
        )


def check_against_results(
    decisions: Decisions, results_path: str, book: RuleBook | None, cycle: str | None = None
) -> list[Problem]:
    """Problems only the verdicts reveal: a decision for a candidate with no verdict, an override
    of a criterion the candidate was not assessed on, an override the tool already agrees with.
    Reads the results once, keeping only the lines of candidates with a decision."""
    from ..outputs import results

    out: list[Problem] = []
    matcher = Matcher(decisions.rows, cycle)
    level_of = {c.id: c.level for c in book.all_criteria()} if book is not None else {}
    matched: set[int] = set()
    for item in results.iter_lines(results_path):
        if isinstance(item, Problem):
            out.append(item)
            continue
        s = results.summarise(item)
        if isinstance(s, Problem):
            out.append(s)
            continue
        if isinstance(s, dict):  # an error line: no verdict to check against
            continue
        d = matcher.match(s.candidate, s.cycle)
        if isinstance(d, str):
            out.append(Problem(results_path, "", d, line=item.number, kind="decisions"))
            continue
        if d is None:
            continue
        matched.add(d.line)
        for crit, value in d.overrides:
            tool = override_status(crit, s, level_of)
            if tool is None:
                out.append(not_assessed(d, crit, s.target, results_path, item.number))
            elif tool == value:
                out.append(
                    Problem(
                        d.source,
                        "overrides",
                        f"{crit}={value} agrees with the tool's verdict "
                        f"({results_path}:{item.number}): not an override",
                        line=d.line,
                        kind="decisions",
                    )
                )
    for d in decisions.rows:
        if d.line not in matched and (cycle is None or d.cycle == cycle):
            out.append(
                Problem(
                    d.source,
                    "candidate_id",
                    f"no verdict for {d.candidate!r} in {results_path}",
                    line=d.line,
                    kind="decisions",
                )
            )
    return sorted(out, key=lambda p: (p.source != decisions.source, p.source, p.line or 0))


def override_status(crit: str, s: Any, level_of: dict[str, str]) -> str | None:
    """What the tool found for `crit` in a verdict Summary: met, unmet, or None (not assessed)."""
    if crit in s.unmet:
        return "unmet"
    level = level_of.get(crit) or crit.split(".", 1)[0]
    return "met" if level in s.path else None


def not_assessed(d: Decision, crit: str, target: str, results_path: str, number: int) -> Problem:
    """An override of a criterion the verdict (line `number` of the results file) did not assess:
    calibrate and `validate --decisions --results` say it in the same words."""
    return Problem(
        d.source,
        "overrides",
        f"{crit!r} was not assessed for {d.candidate!r} (target {target}, {results_path}:{number})",
        line=d.line,
        kind="decisions",
    )
