"""`ladder compare OLD.jsonl NEW.jsonl`: what changed for each candidate since the last cycle.

Per candidate (matched by candidate id): the verdict then and now, the unmet criteria closed
(unmet then, met now) and opened (met then, unmet now), and whether they moved up (promoted to a
higher level between the cycles, or a better verdict for the same level), stayed or fell back.
The old file is held as one compact Summary per candidate; the new one is streamed, and so is
the output, so memory does not grow with the new file.

With the committee's decisions (`--decisions FILE`, the files calibrate reads), each candidate
shows the decision made on the old verdict; a candidate promoted then whose new packet still
gives the old current level counts as moved up (promoted) and is flagged: the packet is stale.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..base.errors import EXIT_INVALID_PACKET, EXIT_OK, Outcome, Problem
from ..base.escape import csv_text, markdown as _md, terminal_lines
from ..book.rules import EXTERNAL, RuleBook
from ..core.verdict import INSUFFICIENT, NOT_READY, READY
from ..outputs.report import dumps
from ..outputs.results import Summary, iter_lines, problems_text, summarise
from .decisions import Decision, Matcher, from_packets, load_decisions

RANK = {INSUFFICIENT: 0, NOT_READY: 1, READY: 2}
UP, SAME, DOWN, NEW, LEFT = "up", "stayed", "fell_back", "new", "left"
FORMATS = ("text", "json", "markdown", "csv")
CSV_HEADER = [
    "candidate_id",
    "movement",
    "old_verdict",
    "new_verdict",
    "old_current_level",
    "new_current_level",
    "old_target_level",
    "new_target_level",
    "closed",
    "opened",
    "old_line",
    "new_line",
]


@dataclass
class Change:
    candidate: str
    movement: str
    old: Summary | None
    new: Summary | None
    closed: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    compared: bool = True  # False when the two verdicts judged different levels: criteria not compared
    decision: Decision | None = None  # the committee's decision on the old verdict (--decisions)
    flags: list[str] = field(default_factory=list)  # what a reader must look at (a stale current level)

    def as_dict(self) -> dict:
        o, n = self.old, self.new
        out = {
            "candidate": self.candidate,
            "movement": self.movement,
            "old": _side(o),
            "new": _side(n),
            "closed": self.closed,
            "opened": self.opened,
            "criteria_compared": self.compared,
        }
        if self.decision is not None:
            d = self.decision
            out["decision"] = {
                "cycle": d.cycle,
                "decision": d.decision,
                "decided_on": d.decided_on,
                "reason": d.reason,
                "overrides": [f"{c}={v}" for c, v in d.overrides],
                "decided_by": d.decided_by,
            }
        if self.flags:
            out["flags"] = self.flags
        return out


def _side(s: Summary | None) -> dict | None:
    if s is None:
        return None
    return {"verdict": s.verdict, "current_level": s.current, "target_level": s.target, "line": s.line}


@dataclass
class Cohort:
    counts: Counter = field(default_factory=Counter)
    rules_changed: int = 0  # pairs whose verdicts were made under different rules
    not_evaluated: Counter = field(default_factory=Counter)  # error lines, old / new
    duplicates: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    decisions: Matcher | None = None  # --decisions: the committee's decisions, by candidate and cycle

    def as_dict(self) -> dict:
        c = self.counts
        out = {
            "moved_up": c[UP],
            "stayed": c[SAME],
            "fell_back": c[DOWN],
            "new": c[NEW],
            "left": c[LEFT],
            "closed": c["closed"],
            "opened": c["opened"],
            "rules_changed": self.rules_changed,
            "not_evaluated": {"old": self.not_evaluated["old"], "new": self.not_evaluated["new"]},
            "duplicates": {"old": self.duplicates["old"], "new": self.duplicates["new"]},
        }
        if self.decisions is not None:
            out["with_decision"] = c["decided"]
            out["promoted_still_claiming_old_level"] = c["stale"]
        return out


def _order(book: RuleBook, level: str) -> int | None:
    if level == EXTERNAL:
        return -1
    lv = book.levels.get(level)
    return lv.order if lv is not None else None


def change(book: RuleBook, o: Summary, n: Summary) -> Change:
    a, b = _order(book, o.current), _order(book, n.current)
    if o.current != n.current and a is not None and b is not None and a != b:
        move = UP if b > a else DOWN  # promoted (or moved down) between the cycles
    else:
        r = RANK[n.verdict] - RANK[o.verdict]
        move = UP if r > 0 else DOWN if r < 0 else SAME
    if o.path == n.path:
        return Change(n.candidate, move, o, n, sorted(o.unmet - n.unmet), sorted(n.unmet - o.unmet))
    return Change(n.candidate, move, o, n, compared=False)


def _read(path: str, side: str, cohort: Cohort) -> Iterator[Summary]:
    seen: set[str] = set()
    for item in iter_lines(path):
        s = item if isinstance(item, Problem) else summarise(item)
        if isinstance(s, Problem):
            cohort.problems.append(s)
        elif isinstance(s, dict):
            cohort.not_evaluated[side] += 1
        elif s.candidate in seen:
            cohort.duplicates[side] += 1
            cohort.problems.append(
                Problem(
                    path,
                    "/candidate/id",
                    f"{s.candidate!r} appears again (counted once, at its first line)",
                    line=s.line,
                    kind="results",
                    severity="warning",
                )
            )
        else:
            seen.add(s.candidate)
            yield s


def changes(book: RuleBook, old_path: str, new_path: str, cohort: Cohort) -> Iterator[Change]:
    """Every candidate of NEW in its order, then those only in OLD in theirs."""
    old: dict[str, Summary] = {s.candidate: s for s in _read(old_path, "old", cohort)}
    for n in _read(new_path, "new", cohort):
        o = old.pop(n.candidate, None)
        if o is None:
            c = Change(n.candidate, NEW, None, n, compared=False)
        else:
            c = change(book, o, n)
            if cohort.decisions is not None:
                _decided(c, o, n, cohort, old_path)
            cohort.rules_changed += o.rules_version != n.rules_version
            cohort.counts["closed"] += len(c.closed)
            cohort.counts["opened"] += len(c.opened)
        cohort.counts[c.movement] += 1
        yield c
    for o in old.values():
        cohort.counts[LEFT] += 1
        yield Change(o.candidate, LEFT, o, None, compared=False)


def _decided(c: Change, o: Summary, n: Summary, cohort: Cohort, old_path: str) -> None:
    """The committee's decision on the old verdict; a promotion the new packet does not show (its
    current level is still the old one) is a promotion all the same, and flagged."""
    assert cohort.decisions is not None
    d = cohort.decisions.match(o.candidate, o.cycle)
    if isinstance(d, str):
        cohort.problems.append(Problem(old_path, "", d, line=o.line, kind="decisions", severity="warning"))
        return
    if d is None:
        return
    c.decision = d
    cohort.counts["decided"] += 1
    if d.decision == "promoted" and n.current == o.current:
        c.movement = UP
        c.flags.append(
            f"promoted in {d.cycle} (decided {d.decided_on}), but the new packet still gives "
            f"{o.current} as the current level: a stale packet"
        )
        cohort.counts["stale"] += 1


# -- reporters: each a stream of text -------------------------------------------------------------
DECISION_COLUMNS = ["decision_cycle", "decision", "decision_reason", "flags"]  # with --decisions only


def render_csv(items: Iterator[Change], cohort: Cohort) -> Iterator[str]:
    with_d = cohort.decisions is not None
    yield csv_text([CSV_HEADER + (DECISION_COLUMNS if with_d else [])])
    for c in items:
        o, n = c.old, c.new
        row = [
            c.candidate,
            c.movement,
            o.verdict if o else "",
            n.verdict if n else "",
            o.current if o else "",
            n.current if n else "",
            o.target if o else "",
            n.target if n else "",
            ";".join(c.closed),
            ";".join(c.opened),
            str(o.line) if o else "",
            str(n.line) if n else "",
        ]
        if with_d:
            d = c.decision
            row += [d.cycle if d else "", d.decision if d else "", d.reason if d else "", "; ".join(c.flags)]
        yield csv_text([row])


def render_json(items: Iterator[Change], cohort: Cohort) -> Iterator[str]:
    yield '{"candidates":['
    first = True
    for c in items:
        yield ("" if first else ",") + dumps(c.as_dict())
        first = False
    yield '],"cohort":' + dumps(cohort.as_dict()) + "}\n"


def _verdicts(c: Change) -> str:
    o, n = c.old, c.new
    before = f"{o.verdict} for {o.target}" if o else "(not in the old results)"
    after = f"{n.verdict} for {n.target}" if n else "(not in the new results)"
    return f"{before} -> {after}"


def _criteria(c: Change) -> str:
    if not c.compared:
        return "" if c.old is None or c.new is None else "; judged for other levels, criteria not compared"
    parts = []
    if c.closed:
        parts.append("closed " + ", ".join(c.closed))
    if c.opened:
        parts.append("opened " + ", ".join(c.opened))
    return ("; " + "; ".join(parts)) if parts else ""


def _committee(c: Change) -> str:
    d = c.decision
    if d is None:
        return ""
    return (
        f"; committee {d.cycle}: {d.decision.replace('_', ' ')}"
        + (f" by {d.decided_by}" if d.decided_by else "")
        + (f" ({d.reason})" if d.reason else "")
        + "".join(f"; FLAG: {f}" for f in c.flags)
    )


def _summary_lines(cohort: Cohort) -> list[str]:
    d = cohort.as_dict()
    return [
        f"{d['moved_up']} moved up, {d['stayed']} stayed, {d['fell_back']} fell back; {d['new']} new, "
        f"{d['left']} not in the new results",
        f"{d['closed']} unmet criteria closed, {d['opened']} opened"
        + (
            f"; {d['rules_changed']} candidate(s) judged under different rules in the two files"
            if d["rules_changed"]
            else ""
        )
        + (
            f"; not evaluated: {d['not_evaluated']['old']} old, {d['not_evaluated']['new']} new"
            if any(d["not_evaluated"].values())
            else ""
        ),
    ] + (
        [
            f"{d['with_decision']} candidate(s) with a committee decision on the old verdict; "
            f"{d['promoted_still_claiming_old_level']} promoted but still giving the old current level (flagged)"
        ]
        if "with_decision" in d
        else []
    )


def _changed(c: Change) -> bool:
    return c.movement != SAME or bool(c.closed or c.opened or c.flags) or not c.compared


def render_text(items: Iterator[Change], cohort: Cohort) -> Iterator[str]:
    """A line per changed candidate, as it is read; each line escaped whole (escape.terminal_lines),
    so a candidate id or level from an edited results file cannot start a line of its own."""
    unchanged, left = 0, []
    for c in items:
        if c.movement == LEFT:
            left.append(c.candidate)  # one line for them all: often most of the last cycle
        elif not _changed(c):
            unchanged += 1
        else:
            yield (
                terminal_lines(
                    [f"{c.candidate}: {c.movement.replace('_', ' ')}: {_verdicts(c)}{_criteria(c)}{_committee(c)}"]
                )
                + "\n"
            )
    if unchanged:
        yield f"{unchanged} candidate(s) with the same verdict and the same unmet criteria\n"
    if left:
        yield terminal_lines([f"{len(left)} candidate(s) not in the new results: {', '.join(left)}"]) + "\n"
    yield terminal_lines(_summary_lines(cohort)) + "\n"


def render_markdown(items: Iterator[Change], cohort: Cohort) -> Iterator[str]:
    with_d = cohort.decisions is not None
    yield (
        "## Since the last cycle\n\n| candidate | movement | then | now | closed | opened |"
        + (" committee | flags |\n|---|---|---|---|---|---|---|---|\n" if with_d else "\n|---|---|---|---|---|---|\n")
    )
    unchanged, left = 0, []
    for c in items:
        if c.movement == LEFT:
            left.append(c.candidate)
            continue
        if not _changed(c):
            unchanged += 1
            continue
        o, n = c.old, c.new
        cells = [
            c.candidate,
            c.movement.replace("_", " "),
            f"{o.verdict} ({o.target})" if o else "",
            f"{n.verdict} ({n.target})" if n else "",
            ", ".join(c.closed),
            ", ".join(c.opened) if c.compared or not (o and n) else "other levels: not compared",
        ]
        if with_d:
            d = c.decision
            cells += [
                f"{d.cycle}: {d.decision.replace('_', ' ')}" + (f" ({d.reason})" if d.reason else "") if d else "",
                "; ".join(c.flags),
            ]
        yield "| " + " | ".join(_md(x) for x in cells) + " |\n"
    yield "\n" + (f"{unchanged} candidate(s) unchanged.\n\n" if unchanged else "")
    if left:
        yield f"Not in the new results ({len(left)}): {_md(', '.join(left))}.\n\n"
    yield "".join(f"- {line}\n" for line in _summary_lines(cohort))


RENDER = {"text": render_text, "json": render_json, "markdown": render_markdown, "csv": render_csv}


class Streamed(Outcome):
    """Output made while the input is read; exit_code and stderr are known once it is consumed."""

    def __init__(
        self,
        book: RuleBook,
        old: str,
        new: str,
        fmt: str,
        decisions: tuple[str, ...] = (),
        packets: tuple[str, ...] = (),
    ):
        self.cohort = Cohort()
        if decisions or packets:
            rows = []
            for f in decisions:
                got = load_decisions(f, book)
                self.cohort.problems.extend(got.problems)
                rows += got.rows
            if packets:  # the old cycle's packets: their committee: sections, after the files' rows
                own = from_packets(packets, book)
                self.cohort.problems.extend(own.problems)
                rows += own.rows
            self.cohort.decisions = Matcher(rows)
        # Read OLD now, so an unreadable file is an error before any output.
        self._items = changes(book, old, new, self.cohort)
        self._first = next(self._items, None)
        self.fmt = fmt
        super().__init__(self._chunks(), EXIT_OK, "")

    def _all(self) -> Iterator[Change]:
        if self._first is not None:
            yield self._first
            yield from self._items

    def _chunks(self) -> Iterator[str]:
        yield from RENDER[self.fmt](self._all(), self.cohort)
        errors = [p for p in self.cohort.problems if p.severity == "error"]
        self.exit_code = EXIT_INVALID_PACKET if errors else EXIT_OK
        self.stderr = problems_text([p for p in self.cohort.problems])


def execute(
    book: RuleBook,
    old: str,
    new: str,
    fmt: str = "text",
    decisions: tuple[str, ...] = (),
    packets: tuple[str, ...] = (),
) -> Outcome:
    return Streamed(book, old, new, fmt, tuple(decisions), tuple(packets))
