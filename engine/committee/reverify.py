"""`ladder reverify RESULTS.jsonl PACKET...`: do the recorded verdicts still replay, byte for byte?

The results file is indexed by packet_sha256 (line number, byte offset, and the digest of what
must replay). Each packet is then hashed; a packet whose hash is recorded is evaluated again with
the options its verdict was made with, read from the line itself (its target level; `--redact`
when the line has no name but the packet has one; `--no-plan` when a not-ready line has no plan),
and the new line must equal the recorded one byte for byte (less `source`: where a packet was
read from is not part of its verdict). A packet whose hash is not recorded but whose candidate
is has changed since its verdict. Packets are evaluated by the batch pool (batch speed).

The clock plays no part: the only check that reads it refuses a period ending after the day of
the run, and a recorded verdict shows its packet passed that check on the day it was made, so
reverify judges every packet as of a day no period ends after (the anchors' `today`), and
the stale-period warning as of the day its line recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..base.errors import EXIT_FAILURES, EXIT_OK, LadderError, Outcome, Problem
from ..base.escape import terminal_lines
from ..base.inputs import Item, iter_inputs
from ..base.loader import DEFAULT_MAX_BYTES
from ..base.workers import WorkerPool, in_order
from ..book.rules import RuleBook
from ..core import pipeline
from ..core.evidence import candidate_id, check_document, packet_sha256
from ..outputs.report import dumps, verdict_dict
from ..outputs.results import iter_lines, parse, read_verdict_at

REPLAYS, DIFFERS, CHANGED, UNRECORDED, UNREADABLE, NO_HASH = (
    "replays",
    "differs",
    "packet_changed",
    "no_verdict",
    "unreadable",
    "no_hash",
)
FAILING = (DIFFERS, CHANGED, UNREADABLE, NO_HASH)


@dataclass(frozen=True, slots=True)
class Entry:
    """A recorded verdict line, as much as replaying it needs."""

    line: int
    offset: int
    digest: bytes  # sha256 of the line less `source`
    target: str
    redacted: bool  # the line has no candidate name (maybe --redact: decided against the packet)
    plan: bool  # False: a not-ready line without a plan (made with --no-plan)
    candidate: str
    options: dict | None = None  # the line's `options` (engine.committee.batch.line_options): replayed exactly


@dataclass
class Index:
    by_hash: dict[str, list[Entry]] = field(default_factory=dict)
    by_candidate: dict[str, list[int]] = field(default_factory=dict)  # lines with a packet_sha256
    unhashed: dict[str, list[int]] = field(default_factory=dict)  # verdict lines made before packet_sha256
    problems: list[Problem] = field(default_factory=list)
    verdicts: int = 0


def comparable(d: dict) -> bytes:
    """What must replay: the verdict line without `source` (and `also_in`: where a packet was read
    from, and which other inputs named its candidate, are not what the verdict was made from)."""
    if "source" in d or "also_in" in d:
        d = {k: v for k, v in d.items() if k not in _WHERE}
    return orjson.dumps(d)


_WHERE = frozenset({"source", "also_in"})


def index(path: str) -> Index:
    idx = Index()
    for item in iter_lines(path):
        if isinstance(item, Problem):
            idx.problems.append(item)
            continue
        d = parse(item)
        if isinstance(d, Problem):
            idx.problems.append(d)
            continue
        if "error" in d:
            continue
        idx.verdicts += 1
        cid = d["candidate"]["id"]
        sha = d.get("packet_sha256")
        if not isinstance(sha, str):
            idx.unhashed.setdefault(cid, []).append(item.number)
            continue
        raw = bytes(item.raw) if "source" not in d and "also_in" not in d else comparable(d)
        plan = "plan" in d or "plan_note" in d or d["verdict"] == "ready"
        opts = got if isinstance(got := d.get("options"), dict) else None
        e = Entry(
            item.number,
            item.offset,
            hashlib.sha256(raw).digest(),
            d["target_level"],
            "name" not in d["candidate"],
            plan,
            cid,
            opts,
        )
        idx.by_hash.setdefault(sha, []).append(e)
        idx.by_candidate.setdefault(cid, []).append(item.number)
    return idx


@dataclass
class Check:
    """One packet's outcome, and for each recorded line of its hash whether it replays."""

    source: str
    status: str
    candidate: str | None = None
    sha: str | None = None
    lines: list[tuple[int, bool, list[str]]] = field(default_factory=list)  # (line, replays, what changed)
    problem: str = ""

    def as_dict(self) -> dict:
        d: dict[str, Any] = {
            "source": self.source,
            "status": self.status,
            "candidate": self.candidate,
            "packet_sha256": self.sha,
        }
        if self.lines:
            d["lines"] = [{"line": n, "replays": ok, "changes": ch} for n, ok, ch in self.lines]
        if self.problem:
            d["problem"] = self.problem
        return d


# -- worker side ------------------------------------------------------------------------------------
_STATE: dict[str, Any] = {}


def _setup(
    book: RuleBook | None,
    rules_dir: str | None,
    idx: Index,
    results: str,
    max_bytes: int,
    people: str | None = None,
    cycles: str | None = None,
) -> None:
    from ..book.rules import load_rules
    from ..core.evaluator import Evaluator
    from ..org.anchors import load_anchors

    book = book or load_rules(rules_dir)
    _STATE.update(
        book=book,
        evaluator=Evaluator(book),
        index=idx,
        results=results,
        max_bytes=max_bytes,
        anchors=load_anchors(book, people, cycles, today=dt.date.max),
    )


def _init_worker(
    rules_dir: str | None,
    idx: Index,
    results: str,
    max_bytes: int,
    people: str | None = None,
    cycles: str | None = None,
) -> None:
    _setup(None, rules_dir, idx, results, max_bytes, people, cycles)


def check_item(item: Item) -> Check:
    st = _STATE
    doc = pipeline.load(item, st["max_bytes"])
    if isinstance(doc, pipeline.Result):
        p = doc.problems[0] if doc.problems else None
        return Check(
            item.source,
            UNREADABLE,
            problem=(f"line {p.line}: " if p and p.line else "") + (p.message if p else "cannot be read"),
        )
    try:
        sha = packet_sha256(doc.data)
    except (TypeError, ValueError):  # not a packet at all (a top-level list of odd values)
        sha = None
    cid = candidate_id(doc.data)
    entries = st["index"].by_hash.get(sha, []) if sha else []
    if not entries:
        return Check(item.source, UNRECORDED, cid, sha)
    out = Check(item.source, REPLAYS, cid, sha)
    for e in entries:
        ok, changes = _replay(doc, e, st)
        out.lines.append((e.line, ok, changes))
        if not ok:
            out.status = DIFFERS
    return out


def _replay(doc: Any, e: Entry, st: dict) -> tuple[bool, list[str]]:
    book, ev, anchors = st["book"], st["evaluator"], st["anchors"]
    o = e.options or {}
    given = anchors.checked()
    for key, flag in (("people", "--people"), ("cycles", "--cycles")):
        if e.options is not None and o.get(key) != given[key]:
            return False, [
                f"made with {key} {o.get(key) or 'none'}; given {given[key] or 'none'}: replay with the "
                f"same {flag} FILE"
            ]
    if isinstance(o.get("today"), str):  # the day it was made: the stale-period warning depends on it
        try:
            anchors = dataclasses.replace(anchors, today=dt.date.fromisoformat(o["today"]))
        except ValueError:
            pass
    try:
        packet = check_document(doc, book, e.target, track_override=o.get("track"), anchors=anchors)
    except LadderError as exc:
        first = exc.problems[0] if exc.problems else None
        return False, [f"the packet is now invalid: {first}" if first else "the packet is now invalid"]
    assert packet is not None
    try:
        r = pipeline.evaluate(packet, ev)
        if r.verdict is None:  # the engine refused it, or an internal error: a replay that failed
            return False, [f"cannot be evaluated now: {r.problems[0] if r.problems else r.kind}"]
        if o.get("plan", e.plan):
            pipeline.plan(r, ev)
        v = r.verdict
        d = verdict_dict(v, redact=o["redact"] if "redact" in o else e.redacted and bool(packet.name))
        if o.get("paths"):
            from ..book.career_paths import load_paths
            from ..core.career_fit import PathAssessor
            from ..outputs.report import paths_list

            if "assessor" not in st:
                st["assessor"] = PathAssessor(book, load_paths(book))
            d["paths"] = paths_list(st["assessor"].assess(packet))
        if e.options is not None:
            d["options"] = e.options
    except LadderError as exc:
        return False, [f"cannot be evaluated now: {exc}"]
    new = dumps(d).encode()
    if hashlib.sha256(new).digest() == e.digest:
        return True, []
    old = read_verdict_at(st["results"], e.offset) or {}
    return False, _what_changed(old, d)


def _what_changed(old: dict, new: dict) -> list[str]:
    from ..outputs.report import diff_verdicts

    out = []
    for key in ("rules_version", "schema_version"):
        if old.get(key) != new.get(key):
            out.append(f"{key}: {old.get(key)} -> {new.get(key)}")
    statuses = [line.strip() for line in diff_verdicts(old, new)]
    return out + (
        statuses or ["the verdict's text differs (the same statuses: an explanation, plan, warning or field changed)"]
    )


def _chunk(items: list[Item]) -> list[Check]:
    return [check_item(i) for i in items]


def _crashed(item: Item) -> Check:
    return Check(item.source, UNREADABLE, problem="the rules engine crashed on this packet (twice)")


# -- parent side ------------------------------------------------------------------------------------
def run(
    book: RuleBook,
    results: str,
    packets: list[str],
    max_bytes: int,
    jobs: int,
    people: str | None = None,
    cycles: str | None = None,
) -> tuple[Index, list[Check]]:
    idx = index(results)
    checks: list[Check] = []
    try:
        # `< 1` would send --jobs 1 through a one-worker pool: the same checks, only slower
        # (test_reverify_with_workers_matches_in_process), so that mutant is equivalent
        if jobs <= 1:  # pragma: no mutate
            _setup(book, None, idx, results, max_bytes, people, cycles)
            checks = [check_item(i) for i in iter_inputs(packets)]
        else:
            pool = WorkerPool(
                jobs, _init_worker, (book.directory, idx, results, max_bytes, people, cycles), _chunk, _crashed
            )
            in_order(pool, iter_inputs(packets), checks.append)
    finally:
        _STATE.clear()
    for c in checks:
        if c.status != UNRECORDED or c.candidate is None:
            continue
        if c.candidate in idx.by_candidate:
            c.status = CHANGED
            c.problem = (
                f"no verdict for this packet's content; {results} has one for {c.candidate} at line(s) "
                f"{', '.join(map(str, idx.by_candidate[c.candidate][:5]))}: the packet changed since"
            )
        elif c.candidate in idx.unhashed:
            c.status = NO_HASH
            c.problem = (
                f"{results} line(s) {', '.join(map(str, idx.unhashed[c.candidate][:5]))} for {c.candidate} "
                "carry no packet_sha256 (made by an older ladder): run ladder batch again to record one"
            )
    return idx, checks


def _lines(idx: Index, checks: list[Check], results: str) -> Iterator[str]:
    for c in checks:
        who = f" ({c.candidate})" if c.candidate else ""
        if c.status == REPLAYS:
            continue
        if c.status == DIFFERS:
            for n, ok, changes in c.lines:
                if not ok:
                    yield f"{c.source}{who}: does not replay {results}:{n}"
                    yield from (f"    {x}" for x in changes)
        elif c.status == UNRECORDED:
            yield f"{c.source}{who}: no recorded verdict in {results} (not checked)"
        else:
            yield f"{c.source}{who}: {c.problem or c.status}"


def summary(idx: Index, checks: list[Check]) -> dict:
    n = {s: sum(c.status == s for c in checks) for s in (REPLAYS, DIFFERS, CHANGED, UNRECORDED, UNREADABLE, NO_HASH)}
    checked_lines = {n_ for c in checks for n_, _, _ in c.lines}
    return {
        "packets": len(checks),
        **n,
        "verdict_lines": idx.verdicts,
        "lines_not_checked": idx.verdicts - len(checked_lines),
        "ok": not any(c.status in FAILING for c in checks),
    }


def execute(
    book: RuleBook,
    results: str,
    packets: list[str],
    fmt: str = "text",
    max_bytes: int = DEFAULT_MAX_BYTES,
    jobs: int = 1,
    people: str | None = None,
    cycles: str | None = None,
) -> Outcome:
    idx, checks = run(book, results, packets, max_bytes, jobs, people, cycles)
    s = summary(idx, checks)
    code = EXIT_OK if s["ok"] else EXIT_FAILURES
    err = "\n".join(str(p) for p in idx.problems[:100])
    if fmt == "json":
        return Outcome(dumps({**s, "packets_checked": [c.as_dict() for c in checks if c.status != REPLAYS]}), code, err)
    out = list(_lines(idx, checks, results))
    out.append(
        f"{s[REPLAYS]} of {s['packets']} packet(s) replay their recorded verdict"
        + (f"; {s[DIFFERS]} do not" if s[DIFFERS] else "")
        + (f"; {s[CHANGED]} changed since their verdict" if s[CHANGED] else "")
        + (f"; {s[UNREADABLE]} cannot be read" if s[UNREADABLE] else "")
        + (f"; {s[NO_HASH]} with no packet_sha256 to check" if s[NO_HASH] else "")
        + (f"; {s[UNRECORDED]} have no recorded verdict" if s[UNRECORDED] else "")
    )
    if s["lines_not_checked"]:
        out.append(
            f"{s['lines_not_checked']} of {s['verdict_lines']} verdict line(s) in {results} had no packet "
            "given to check them"
        )
    return Outcome(terminal_lines(out), code, err)
