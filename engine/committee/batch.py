"""Batch evaluation: many packets, worker processes, one output line per packet in input order.

Workers are processes (engine.base.workers), each with one engine built once. A worker that dies (the
engine's C core can segfault) takes no packet with it: the packets it held are retried one by
one on a fresh worker, and a packet that kills a worker twice is reported as an error line.
Memory stays flat: inputs are streamed and only a bounded window of packets is in flight.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..base.errors import EvidenceError, first_problem
from ..base.escape import terminal_lines
from ..base.inputs import Item, Selection, iter_inputs, redacted
from ..base.loader import DEFAULT_MAX_BYTES, ParseFailure
from ..base.workers import WorkerPool, in_order
from ..book.outcomes import SharedOutcomes, fingerprints
from ..core import pipeline
from ..outputs.report import dumps, paths_list, verdict_dict


@dataclass
class BatchOptions:
    rules_dir: str | None = None
    target: str | None = None
    jobs: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    redact: bool = False
    validate_only: bool = False  # `ladder validate` on a large input: check, do not evaluate
    plan: bool = True  # a not-ready verdict carries its plan (engine.core.plan); --no-plan leaves it out
    today: str | None = None  # the day of the run, read once in the parent (workers may not be forked)
    track: str | None = None  # --track: every packet judged on this track instead of its own
    paths: bool = False  # each verdict line gains `paths`, the adjacent paths' fit (engine.core.career_fit)
    titles: bool = False  # --html: send each packet's evidence titles back for the report's appendix
    people: str | None = None  # --people FILE: the directory, read once per worker (engine.org.anchors)
    cycles: str | None = None  # --cycles FILE: the cycle calendar (default: the pack's)
    require_people: bool = False  # --require-people (the parent has checked it)
    exclude: tuple[str, ...] = ()  # --exclude GLOB: files and folders of the inputs left out (engine.base.inputs)


def line_options(opts: BatchOptions, anchors: Any) -> dict:
    """A verdict line's `options`: what it was made with, so `ladder reverify` replays it exactly."""
    return {
        "target": opts.target,
        "track": opts.track,
        "paths": opts.paths,
        "plan": opts.plan,
        "redact": opts.redact,
        "today": opts.today,
        "people": anchors.people.digest if anchors.people is not None else None,
        "cycles": anchors.calendar.digest if anchors.calendar is not None else None,
    }


@dataclass
class Outcome:
    """What the parent needs of one packet: its output line and a summary row."""

    line: str
    ok: bool
    candidate: str | None
    current: str | None = None
    target: str | None = None
    verdict: str | None = None
    unmet: list[str] = field(default_factory=list)
    source: str = ""
    problems: list = field(default_factory=list)  # validate_only: the packet's problems
    kind: str = ""  # validate_only: the input item's kind (file | line | problem)
    warnings: int = 0  # integrity warnings on the evaluated packet (engine.book.integrity)
    reason: str = ""  # why the packet could not be evaluated: its first problem
    titles: dict | None = None  # evidence id -> [type, date, title] (BatchOptions.titles)
    claims: list = field(default_factory=list)  # (evidence id, outcome fingerprint): engine.book.outcomes.fingerprints


# -- worker side ------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(opts: BatchOptions) -> None:
    from ..book.rules import load_rules
    from ..core.evaluator import Evaluator

    book = load_rules(opts.rules_dir)
    from ..org.anchors import load_anchors

    # once per worker, as of the parent's day (checked by the parent first)
    anchors = load_anchors(
        book, opts.people, opts.cycles, today=dt.date.fromisoformat(opts.today) if opts.today is not None else None
    )
    _WORKER.update(
        opts=opts,
        book=book,
        evaluator=Evaluator(book),
        assessor=None,
        anchors=anchors,
        options=line_options(opts, anchors),
    )
    if opts.paths and not opts.validate_only:
        from ..book.career_paths import load_paths
        from ..core.career_fit import PathAssessor

        _WORKER["assessor"] = PathAssessor(book, load_paths(book))  # checked by the parent first


def error_outcome(item: Item, kind: str, problems: list[dict], cid: str | None) -> Outcome:
    line = dumps(
        {"source": item.shown, "candidate": {"id": cid} if cid else None, "error": {"kind": kind, "problems": problems}}
    )
    return Outcome(line, False, cid, source=item.shown, reason=first_problem(problems))


def process_item(item: Item) -> Outcome:
    opts: BatchOptions = _WORKER["opts"]
    if opts.validate_only:
        problems = validate_item(item, _WORKER["book"], opts.max_bytes, _WORKER["anchors"])
        return Outcome("", not problems, None, source=item.source, problems=problems, kind=item.kind)
    r = pipeline.run(
        item, _WORKER["evaluator"], opts.target, opts.max_bytes, opts.track, _WORKER["anchors"], with_plan=opts.plan
    )
    v = r.verdict
    if v is None:
        return error_outcome(item, r.kind, [p.as_dict() for p in r.problems], r.candidate)
    d = {"source": item.shown, **verdict_dict(v, opts.redact)}
    assessor = _WORKER["assessor"]
    if assessor is not None:  # appended: the verdict's keys and bytes are those of a run without
        assert r.packet is not None
        fits = pipeline.fit(r.packet, assessor)
        if isinstance(fits, pipeline.Result):
            return error_outcome(item, fits.kind, [p.as_dict() for p in fits.problems], fits.candidate)
        d["paths"] = paths_list(fits)
    d["options"] = _WORKER["options"]
    titles = None
    if opts.titles and not opts.redact and r.packet is not None:
        titles = {e["id"]: [e.get("type"), e.get("date"), e.get("title")] for e in r.packet.evidence}
    claims = fingerprints(r.packet.evidence, _WORKER["book"].integrity.once) if r.packet is not None else []
    return Outcome(
        dumps(d),
        True,
        v.candidate_id,
        v.current_level,
        v.target_level,
        v.verdict,
        d["unmet"],
        item.shown,
        warnings=len(v.warnings),
        titles=titles,
        claims=claims,
    )


def validate_item(item: Item, book: Any, max_bytes: int, anchors: Any = None) -> list:
    """Every problem of one input (empty when valid): what `ladder validate` reports per packet."""
    from ..base.inputs import load_item
    from ..core.evidence import check_document

    try:
        check_document(load_item(item, max_bytes), book, normalised=False, anchors=anchors)
    except ParseFailure as exc:
        return [exc.problem]
    except EvidenceError as exc:
        return exc.problems
    return []


def _process_chunk(items: list[Item]) -> list[Outcome]:
    return [process_item(i) for i in items]


# -- parent side ------------------------------------------------------------------------------
CRASH_MESSAGE = (
    "the rules engine crashed on this packet (twice); it was not evaluated. Please report it with "
    "the packet's shape, not its content"
)


def _crash_outcome(item: Item) -> Outcome:
    return error_outcome(item, "crash", [{"path": "", "message": CRASH_MESSAGE}], None)


def run_batch(
    paths: list[str],
    opts: BatchOptions,
    emit: Callable[[Outcome], None],
    stdin=None,
    selection: Selection | None = None,
) -> None:
    """Evaluate every input, calling emit(outcome) once per packet, in input order (`selection`:
    --exclude globs, and the tally of the files read: engine.base.inputs.Selection)."""
    from ..core.firing import preload

    preload()
    items = iter_inputs(paths, stdin, selection=selection)
    pool = WorkerPool(opts.jobs, _init_worker, (opts,), _process_chunk, _crash_outcome)
    in_order(pool, redacted(items) if opts.redact else items, emit, live="-" in paths)


# -- summary, progress, safe output -----------------------------------------------------------
class Summary:
    def __init__(self) -> None:
        self.total = 0
        self.invalid = 0
        self.by_verdict: Counter[str] = Counter()
        self.by_target: Counter[str] = Counter()
        self.unmet: Counter[str] = Counter()
        self.warned = 0  # evaluated packets with integrity warnings
        self.warnings = 0
        self.first: dict[str, str] = {}  # candidate id -> the first input that named it
        self.repeated: dict[str, list[str]] = {}  # candidate id -> every input naming it, when more than one
        self.failed: list[tuple[str, str]] = []  # (source, first problem), the first MAX_FAILED
        self.counted: set[str] = set()  # candidates whose verdict is in the counts
        self.outcomes = SharedOutcomes()  # the same outcome claimed by two candidates (engine.book.outcomes)
        self.lines: list[tuple[str | None, str]] = []  # per output line: (candidate of a verdict, source)

    MAX_FAILED = 20

    def add(self, o: Outcome) -> None:
        self.total += 1
        cid = o.candidate
        if cid is not None:
            if cid in self.first:
                self.repeated.setdefault(cid, [self.first[cid]]).append(o.source)
            else:
                self.first[cid] = o.source
        self.lines.append((cid if o.ok else None, o.source))
        if cid is not None and o.claims:
            self.outcomes.add(cid, o.claims)
        if not o.ok:
            self.invalid += 1
            if len(self.failed) < self.MAX_FAILED:
                self.failed.append((o.source, o.reason))
            return
        if cid is not None:
            if cid in self.counted:
                return  # one candidate, counted once: by its first evaluated input
            self.counted.add(cid)
        self.by_verdict[o.verdict or ""] += 1
        self.by_target[o.target or ""] += 1
        self.unmet.update(o.unmet)
        self.warned += o.warnings > 0
        self.warnings += o.warnings

    def text(self, streamed: bool = False) -> str:
        """The run's summary for stderr. `streamed` (`--out -`): lines went out as they were decided,
        so a repeated candidate is flagged only on its later lines and shared outcomes only here."""
        lines = [
            f"{self.total} packet(s): "
            + ", ".join(f"{self.by_verdict[k]} {k}" for k in ("ready", "not_ready", "insufficient_evidence"))
            + f", {self.invalid} could not be evaluated"
        ]
        if self.repeated:
            extra = sum(len(v) - 1 for v in self.repeated.values())
            lines.append(
                f"{len(self.repeated)} candidate id(s) in more than one input, counted once (by the first "
                f"evaluated); {extra} later input(s) left out of the verdict counts, flagged "
                + ('on each later line, as streamed ("also_in"):' if streamed else 'on every line ("also_in"):')
            )
            lines += [f"  {cid}: {', '.join(srcs)}" for cid, srcs in list(self.repeated.items())[: self.MAX_FAILED]]
        shared = self.outcomes.text(self.MAX_FAILED)
        if shared and streamed:
            shared[0] = shared[0].replace(
                "flagged on each of their lines",
                "named here only (streamed lines cannot know a later claim; --out FILE flags each line)",
            )
        lines += shared
        if self.failed:
            lines.append("could not be evaluated:")
            lines += [f"  {src}: {why}" for src, why in self.failed]
            if self.invalid > len(self.failed):
                lines.append(f"  ... and {self.invalid - len(self.failed)} more (each has an error line)")
        if self.warned:
            lines.append(
                f"{self.warned} packet(s) carry {self.warnings} integrity warning(s) for the committee "
                'to look at (each verdict line lists them under "warnings")'
            )
        if self.by_target:
            lines.append("by target level: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_target.items())))
        if self.unmet:
            lines.append("most often unmet:")
            top = sorted(self.unmet.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            lines += [f"  {n:>6}  {cid}" for cid, n in top]
        return terminal_lines(lines)  # each line escaped whole: sources and ids come from files


class Progress:
    def __init__(self, enabled: bool, total: int | None, stream=None):
        self.enabled, self.total, self.stream = enabled, total, stream or sys.stderr
        self.done = 0
        self.t0 = time.monotonic()
        self.last = 0.0

    def tick(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and self.done != self.total:
            return
        self.last = now
        rate = self.done / max(now - self.t0, 1e-9)
        if self.total:
            eta = (self.total - self.done) / rate if rate else 0
            bar_w = 24
            filled = int(bar_w * self.done / self.total)
            msg = f"\r[{'#' * filled}{'.' * (bar_w - filled)}] {self.done}/{self.total} {rate:,.0f}/s ETA {eta:,.0f}s "
        else:
            msg = f"\r{self.done} done {rate:,.0f}/s "
        self.stream.write(msg)
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
