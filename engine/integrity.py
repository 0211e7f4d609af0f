"""Integrity warnings: what a committee should look at in a valid packet.

Every field of a packet is its author's claim. Errors (engine.evidence) refuse what a packet
cannot say; these warnings flag what it should not need to say: the same record twice, one
person under several relationships (one voice), and claims far from plausible. Each
warning is located by JSON path and line, names fields, never echoes free text, and is shown in
every output format.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .errors import Problem
from .loader import Document

MATERIALITY = 0.01  # a metric that moved less than 1 % of its baseline did not move (policy)
_HIGHER_BETTER = re.compile(r"conversion|revenue|retention|activation|satisfaction|\bnps\b|engagement|adoption|"
                            r"\barpu\b|per visitor|per user|signups?|sign-ups?", re.I)
_EARLY_LEVELS = ("associate-pm", "mid-pm")  # where a team of reports or a company P&L is far above the level


_PUNCT = str.maketrans({c: " " for c in ".,;:!?-_/()[]'\"&+"})


def _norm_title(t: Any) -> str | None:
    """Case, spacing and punctuation do not make a title new."""
    return " ".join(t.casefold().translate(_PUNCT).split()) or None if isinstance(t, str) else None


def _metric_key(ms: list) -> tuple:
    """The metric values of a record, whatever their order (numbers compare by value)."""
    keys = [(str(m.get("kind")), m.get("baseline"), m.get("result"), m.get("higher_is_better", True)) for m in ms]
    return tuple(keys) if len(keys) == 1 else tuple(sorted(keys, key=repr))


def _person(pid: Any) -> str | None:
    return pid.strip().casefold() or None if isinstance(pid, str) else None


def _feedback(warn, ptr, ev, voices, track, current, end, i) -> None:
    who = _person(ev["from"].get("id"))
    rel = ev["from"]["relationship"]
    if who is not None:
        prev = voices.setdefault(who, (rel, i))
        if prev[0] != rel:
            warn(f"{ptr}/from", f"the same person (from.id) is given as {prev[0]} at /evidence/{prev[1]} "
                 f"and as {rel} here: one person is one voice")


def _leadership(warn, ptr, ev, voices, track, current, end, i) -> None:
    reports = max(ev.get("reports") or 0, ev.get("people") or 0)
    if track == "ic" and reports:
        warn(ptr, "direct reports on the individual-contributor track: check the track or the record")
    elif current in _EARLY_LEVELS and reports >= 8:
        warn(ptr, f"{reports} people reporting is far above {current}: check the record")


def _ownership(warn, ptr, ev, voices, track, current, end, i) -> None:
    if current in _EARLY_LEVELS and ev.get("area") == "p-and-l" and ev.get("scope") in ("portfolio", "company"):
        warn(ptr, f"owning a {ev['scope']} P&L is far above {current}: check the record")


def _mentoring(warn, ptr, ev, voices, track, current, end, i) -> None:
    began = dt.date.fromisoformat(ev["date"])
    elapsed = (end.year - began.year) * 12 + end.month - began.month + 1
    if ev["months"] > elapsed:
        warn(f"{ptr}/months", f"{ev['months']} months of mentoring, but it began {elapsed} month(s) before "
             "the period ends")


_PLAUSIBILITY = {"stakeholder_feedback": _feedback, "people_leadership": _leadership,
                 "business_ownership": _ownership, "mentoring": _mentoring}


def _metric_warnings(warn, ptr: str, ms: list) -> None:
    for j, m in enumerate(ms):
        base, res = m.get("baseline"), m.get("result")
        if res != base and isinstance(base, (int, float)) and isinstance(res, (int, float)):
            scale = abs(base) if base else abs(res)
            if scale and abs(res - base) < MATERIALITY * scale:
                warn(f"{ptr}/metrics/{j}", f"moved {abs(res - base) / scale:.2%} of its baseline, below the "
                     f"{MATERIALITY:.0%} a change must reach to count as moved")
        if m.get("higher_is_better") is False and _HIGHER_BETTER.search(str(m.get("name", ""))):
            warn(f"{ptr}/metrics/{j}/higher_is_better", "false for a metric of a kind that is better higher (its "
                 "name): check it")


def integrity_warnings(doc: Document, track: str | None, current: str, end: dt.date) -> list[Problem]:
    """The warnings for a valid packet, in evidence order. `track` is the candidate's track, or
    None for a move between tracks."""
    out: list[Problem] = []

    def warn(pointer: str, message: str) -> None:
        out.append(Problem(doc.source, pointer, message, line=doc.locate(pointer), kind="integrity",
                           severity="warning"))

    seen_metrics: dict[tuple, int] = {}
    seen_titles: dict[tuple, int] = {}
    voices: dict[str, tuple[str, int]] = {}
    for i, ev in enumerate(doc.data["evidence"]):
        etype = ev["type"]
        ms = ev.get("metrics")
        first = None
        if ms:
            first = seen_metrics.setdefault((etype, ev["date"], _metric_key(ms)), i)
            why = "the same date and metric values"
        title = ev.get("title")
        if (first is None or first == i) and title is not None:
            first = seen_titles.setdefault((etype, _norm_title(title)), i)
            why = "the same title"
        if first is not None and first != i:
            warn(f"/evidence/{i}", f"repeats the {etype} at /evidence/{first} ({why}): is it the same record twice?")
            continue
        if etype in _PLAUSIBILITY:
            _PLAUSIBILITY[etype](warn, f"/evidence/{i}", ev, voices, track, current, end, i)
        if ms:
            _metric_warnings(warn, f"/evidence/{i}", ms)
    return out
