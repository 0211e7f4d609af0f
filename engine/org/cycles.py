"""The cycle calendar: `cycles:` in ladder.yaml, or `--cycles FILE` (a YAML or JSON list of
`{id, start, end}`, optionally under a top-level `cycles:` key; the file wins over the pack).

With a calendar, a packet's `candidate.cycle` must be one of its cycles and the packet's period
must end inside that cycle. Without one (or for a packet naming no cycle), a period that ends
more than STALE_DAYS before the day of the run is a warning that names the gap: a cycle's
evidence moved back years is no longer passed off as this cycle's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ..base.errors import Problem
from .people import MAX_BYTES, DirectoryError

STALE_DAYS = 365  # a period that ended more than a year before the day of the run (policy)
_CYCLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Calendar:
    source: str
    digest: str  # sha256 of the canonical content: the cycles sorted by id, as {id, start, end}
    cycles: dict[str, tuple[dt.date, dt.date]]


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    if isinstance(v, str) and len(v) == 10:
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def calendar_of(rows: Any, source: str, locate, prefix: str = "") -> Calendar:
    """Check and index a list of cycles; DirectoryError (exit 2) lists every problem."""
    probs: list[Problem] = []

    def add(ptr: str, msg: str) -> None:
        probs.append(Problem(source, prefix + ptr, msg, line=locate(prefix + ptr), kind="cycles"))

    cycles: dict[str, tuple[dt.date, dt.date]] = {}
    if not isinstance(rows, list):
        add("", "a cycle calendar is a list of {id, start, end}")
        rows = []
    for i, c in enumerate(rows):
        if not isinstance(c, dict):
            add(f"/{i}", "each cycle is a mapping {id, start, end}")
            continue
        cid = c.get("id")
        if not isinstance(cid, str) or not _CYCLE_RE.match(cid):
            add(f"/{i}/id", "missing or not a valid cycle id (1-64 letters, digits, '.', '_' or '-')")
            continue
        if cid in cycles:
            add(f"/{i}/id", f"cycle {cid!r} is listed twice")
            continue
        start, end = _date(c.get("start")), _date(c.get("end"))
        for k, v in (("start", start), ("end", end)):
            if v is None:
                add(f"/{i}/{k}", "missing or not a date (YYYY-MM-DD)")
        unknown = sorted(k for k in c if k not in ("id", "start", "end"))
        if unknown:
            add(f"/{i}/{unknown[0]}", "unknown field (a cycle has id, start and end)")
        if start and end:
            if start > end:
                add(f"/{i}/start", f"cycle {cid} starts ({start}) after it ends ({end})")
            cycles[cid] = (start, end)
    if probs:
        raise DirectoryError(probs)
    canon = [{"id": k, "start": s.isoformat(), "end": e.isoformat()} for k, (s, e) in sorted(cycles.items())]
    return Calendar(
        source, "sha256:" + hashlib.sha256(orjson.dumps(canon, option=orjson.OPT_SORT_KEYS)).hexdigest(), cycles
    )


def load_calendar(path: str) -> Calendar:
    from ..base.loader import decode, guess_format, parse_text, read_bytes

    try:
        text = decode(read_bytes(path, MAX_BYTES), path)
        doc = parse_text(text, path, guess_format(path, text))
    except Exception as exc:  # noqa: BLE001 - ParseFailure: located already
        prob = getattr(exc, "problem", None)
        raise DirectoryError([prob] if prob else [], summary=f"{path}: cannot be read") from None
    data, prefix = doc.data, ""
    if isinstance(data, dict) and "cycles" in data:
        data, prefix = data["cycles"], "/cycles"
    return calendar_of(data, path, doc.locate, prefix)


def pack_calendar(book: Any) -> Calendar | None:
    """ladder.yaml `cycles:`, or None. A broken one is the pack's fault: RulesError (exit 4)."""
    rows = (book.raw.get("ladder") or {}).get("cycles")
    if rows is None:
        return None
    from ..base.errors import RulesError

    def locate(ptr: str) -> int | None:  # only for a message: read ladder.yaml again then
        try:
            from ..base.loader import load_file

            return load_file(book.ladder_file).locate(ptr)
        except Exception:  # noqa: BLE001 - a message without a line is still a message
            return None

    try:
        return calendar_of(rows, book.ladder_file or "ladder.yaml", locate, "/cycles")
    except DirectoryError as exc:
        raise RulesError(exc.problems) from None


def cycle_problems(doc: Any, cal: Calendar) -> list[Problem]:
    """A packet's cycle against the calendar: it exists, and the period ends inside it."""
    data = doc.data if isinstance(doc.data, dict) else {}
    cand = got if isinstance(got := data.get("candidate"), dict) else {}
    cyc = cand.get("cycle")
    if not isinstance(cyc, str):
        return []
    out = []
    if cyc not in cal.cycles:
        known = sorted(cal.cycles)
        out.append(
            Problem(
                doc.source,
                "/candidate/cycle",
                f"{cyc!r} is not a cycle of the calendar ({cal.source}; "
                f"known: {', '.join(known[-10:])}{', ...' if len(known) > 10 else ''})",
                line=doc.locate("/candidate/cycle"),
                kind="cycles",
            )
        )
        return out
    period = got if isinstance(got := data.get("period"), dict) else {}
    end = _date(period.get("end"))
    start, stop = cal.cycles[cyc]
    if end is not None and not start <= end <= stop:
        out.append(
            Problem(
                doc.source,
                "/period/end",
                f"the period ends on {end}, outside cycle {cyc} ({start} to "
                f"{stop}): evidence for this cycle ends inside it",
                line=doc.locate("/period/end"),
                kind="cycles",
            )
        )
    return out


def stale_warning(doc: Any, end: dt.date | None, today: dt.date) -> Problem | None:
    """A period that ended more than STALE_DAYS before the day of the run (no day: no warning)."""
    if end is None or today == dt.date.max or (today - end).days <= STALE_DAYS:
        return None
    data = doc.data if isinstance(doc.data, dict) else {}
    cand = got if isinstance(got := data.get("candidate"), dict) else {}
    cyc = cand.get("cycle")
    days = (today - end).days
    gap = f"{days // 365} year(s) and {days % 365} day(s)" if days >= 365 else f"{days} day(s)"
    named = f" for cycle {cyc}" if isinstance(cyc, str) else ""
    return Problem(
        doc.source,
        "/period/end",
        f"the period{named} ended on {end}, {gap} before the day of the run "
        f"({today}): is this the right period? (a cycle calendar, --cycles FILE, checks it)",
        line=doc.locate("/period/end"),
        kind="cycles",
        severity="warning",
    )
