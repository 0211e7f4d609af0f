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

import orjson

from .errors import Problem
from .fields import person_key
from .loader import Document

MATERIALITY = 0.01  # a metric that moved less than 1 % of its baseline did not move (policy)
_HIGHER_BETTER = re.compile(r"conversion|revenue|retention|activation|satisfaction|\bnps\b|engagement|adoption|"
                            r"\barpu\b|per visitor|per user|signups?|sign-ups?", re.I)
_EARLY_LEVELS = ("associate-pm", "mid-pm")  # where a team of reports or a company P&L is far above the level


_PUNCT = str.maketrans({c: " " for c in ".,;:!?-_/()[]'\"&+"})


def norm_title(t: Any) -> str | None:
    """Case, spacing and punctuation do not make a title new."""
    return " ".join(t.casefold().translate(_PUNCT).split()) or None if isinstance(t, str) else None


def _metric_key(ms: list) -> tuple:
    """The metric values of a record, whatever their order (numbers compare by value)."""
    keys = [(str(m.get("kind")), m.get("baseline"), m.get("result"), m.get("higher_is_better", True)) for m in ms]
    return tuple(keys) if len(keys) == 1 else tuple(sorted(keys, key=repr))


def _feedback(warn, ptr, ev, voices, track, current, end, i) -> None:
    who = person_key(ev["from"].get("id"))
    rel = ev["from"]["relationship"]
    if who is not None:
        prev = voices.setdefault(who, (rel, i))
        if prev[0] != rel:
            warn(f"{ptr}/from", f"the same person (from.id) is given as {prev[0]} at /evidence/{prev[1]} "
                 f"and as {rel} here: one person is one voice", about_record=False)


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


_WHY = {"m": "the same date and metric values", "t": "the same title", "c": "the same content"}


def _repeat_keys(ev: dict) -> list[tuple]:
    keys = []
    if ev.get("metrics"):
        keys.append(("m", ev["type"], ev["date"], _metric_key(ev["metrics"])))
    if (t := norm_title(ev.get("title"))) is not None:
        keys.append(("t", ev["type"], t))
    else:  # a record with a title that repeats another's content repeats its title already
        keys.append(("c", orjson.dumps({k: v for k, v in ev.items() if k != "id"}, option=orjson.OPT_SORT_KEYS)))
    return keys


def _repeats(evidence: list[dict]) -> tuple[list[int], dict[int, str]]:
    """Each record's group (the least index of the records it repeats, itself when it repeats
    nothing) and, for a record that repeats an earlier one, why. "Repeats" is closed under
    every key (the same content but the id; the same type, date and metric values; the same
    type and normalised title), so groups depend neither on order nor on which copy came first."""
    parent = list(range(len(evidence)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple, int] = {}
    why: dict[int, str] = {}
    for i, ev in enumerate(evidence):
        for k in _repeat_keys(ev):
            j = seen.setdefault(k, i)
            if j != i:
                why.setdefault(i, _WHY[k[0]])
                a, b = root(i), root(j)
                parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(len(evidence))], why


def repeat_groups(evidence: list[dict], groups: list[int] | None = None) -> dict[str, str]:
    """Records that repeat one another (see _repeats), as evidence id -> the group's label (the
    least id in it); records that repeat nothing are left out. The engine counts a group once
    (engine.facts, engine.firing)."""
    if groups is None:
        groups, _ = _repeats(evidence)
    members: dict[int, list[str]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(evidence[i]["id"])
    return {eid: min(ids) for ids in members.values() if len(ids) > 1 for eid in ids}


def integrity_warnings(doc: Document, track: str | None, current: str, end: dt.date
                       ) -> tuple[list[Problem], frozenset[str], dict[str, str]]:
    """The warnings for a valid packet, in evidence order, and the ids of the records flagged by a
    warning about the record itself (an implausible claim, a metric that barely moved or runs the
    wrong way): what an `unflagged` condition leaves out. A repeat or a voice given under two
    relationships is not such a flag: which copy is warned about depends on order, and both are
    counted already (repeats once, voices by person). Third, the repeat groups (repeat_groups).
    `track` is the candidate's track, or None for a move between tracks."""
    out: list[Problem] = []
    flagged: set[str] = set()
    evidence = doc.data["evidence"]

    def warn(pointer: str, message: str, about_record: bool = True) -> None:
        out.append(Problem(doc.source, pointer, message, line=doc.locate(pointer), kind="integrity",
                           severity="warning"))
        if about_record:
            flagged.add(evidence[int(pointer.split("/")[2])]["id"])

    groups, why = _repeats(doc.data["evidence"])
    voices: dict[str, tuple[str, int]] = {}
    for i, ev in enumerate(doc.data["evidence"]):
        etype = ev["type"]
        ms = ev.get("metrics")
        if i in why:
            warn(f"/evidence/{i}", f"repeats the {etype} at /evidence/{groups[i]} ({why[i]}): is it the same "
                 "record twice? It counts once.", about_record=False)
        if etype in _PLAUSIBILITY:
            _PLAUSIBILITY[etype](warn, f"/evidence/{i}", ev, voices, track, current, end, i)
        if ms:
            _metric_warnings(warn, f"/evidence/{i}", ms)
    # a flag holds for every copy of a record, whichever copy came first
    flagged_groups = {groups[i] for i, ev in enumerate(evidence) if ev["id"] in flagged}
    flagged.update(ev["id"] for i, ev in enumerate(evidence) if groups[i] in flagged_groups)
    return out, frozenset(flagged), repeat_groups(evidence, groups)
