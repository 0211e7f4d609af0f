"""Integrity warnings: what a committee should look at in a valid packet.

Every field of a packet is its author's claim. Errors (engine.core.evidence) refuse what a packet
cannot say; these warnings flag what it should not need to say: the same record twice, one
person under several relationships (one voice), and claims far from plausible. Each
warning is located by JSON path and line, names fields, never echoes free text, and is shown in
every output format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from ..base.errors import Problem
from ..base.loader import Document
from .fields import person_key
from .outcomes import has_phrase, metric_keys, norm_title, words_key

# -- the pack's integrity policy (ladder.yaml `integrity:`; docs/rules.md, "Integrity policy") -----
SCOPES = ("feature", "product-area", "cross-team", "portfolio", "company")  # narrowest first
DEFAULT_WORDS = (
    "revenue",
    "gmv",
    "mrr",
    "arr",
    "bookings",
    "conversion",
    "retention",
    "activation",
    "satisfaction",
    "nps",
    "csat",
    "engagement",
    "adoption",
    "arpu",
    "ltv",
    "signup",
    "signups",
    "sign up",
    "sign ups",
    "active users",
    "dau",
    "mau",
    "wau",
    "margin",
    "profit",
    "win rate",
)
DEFAULT_ONCE = ("shipped_outcome", "decision", "org_initiative")


@dataclass(frozen=True)
class IntegrityPolicy:
    """What the integrity checks measure against: the pack's `integrity:` block, or the defaults
    (IntegrityPolicy.defaults) for a pack without one."""

    relative: float = 0.01  # materiality: a move of less than this share of the baseline did not move
    from_zero: float = 1.0  # materiality: a move from 0 must reach this (no baseline to measure against)
    restated_days: int = 7  # one outcome restated in other units: dated at most this many days apart
    # level -> (the most people reporting that is plausible, the widest P&L scope that is)
    levels: tuple[tuple[str, int, str], ...] = ()
    no_reports_tracks: frozenset[str] = frozenset()
    words: tuple[tuple[str, ...], ...] = ()  # metric names that say higher is better (as folded words)
    once: frozenset[str] = frozenset(DEFAULT_ONCE)  # types that do not recur: the same title is one record
    who_may_verify: dict = field(default_factory=dict, compare=False, hash=False)  # for the people directory

    @property
    def by_level(self) -> dict[str, tuple[int, str]]:
        return {lv: (n, scope) for lv, n, scope in self.levels}


def _phrases(words) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({words_key(w) for w in words} - {()}))


def default_policy(level_orders: dict[str, int]) -> IntegrityPolicy:
    """The documented defaults for a pack without an `integrity:` block: the levels of its two
    lowest orders are early (8 or more reports, a portfolio or company P&L are far above them),
    no track is known to have no direct reports, and the default words and once-only types."""
    early = sorted(set(level_orders.values()))[:2]
    return IntegrityPolicy(
        levels=tuple((lv, 7, "cross-team") for lv, o in sorted(level_orders.items()) if o in early),
        words=_phrases(DEFAULT_WORDS),
    )


def policy_from(block: dict | None, level_orders: dict[str, int]) -> IntegrityPolicy:
    """The pack's policy: each part of the block given replaces its default; a part left out
    keeps the default (default_policy)."""
    base = default_policy(level_orders)
    if not block:
        return base
    mat = block.get("materiality", {})
    plaus = block.get("plausibility")
    return IntegrityPolicy(
        relative=float(mat.get("relative", base.relative)),
        from_zero=float(mat.get("from_zero", base.from_zero)),
        restated_days=int(block.get("restatement", {}).get("within_days", base.restated_days)),
        levels=base.levels
        if plaus is None or "levels" not in plaus
        else tuple(
            (lv, int(v.get("max_reports", 10**9)), v.get("max_pl_scope", "company"))
            for lv, v in sorted(plaus["levels"].items())
        ),
        no_reports_tracks=frozenset((plaus or {}).get("no_reports_tracks", base.no_reports_tracks)),
        words=_phrases(block["higher_is_better"]["words"]) if "higher_is_better" in block else base.words,
        once=frozenset(block["does_not_recur"]["types"]) if "does_not_recur" in block else base.once,
        who_may_verify={k: v for k, v in block.get("who_may_verify", {}).items() if k not in ("basis", "rationale")},
    )


def policy_problems(
    doc: Document, level_orders: dict[str, int], tracks: set[str], types: set[str]
) -> tuple[IntegrityPolicy, list[Problem]]:
    """ladder.yaml's `integrity:` block (its shape is checked by schemas/ladder.schema.json) as a
    policy, and what the schema cannot check: the levels, tracks and evidence types it names exist."""
    from ..base.suggest import did_you_mean

    block = doc.data.get("integrity") if isinstance(doc.data, dict) else None
    out = []

    def bad(ptr: str, what: str, name: str, known) -> None:
        out.append(
            Problem(
                doc.source,
                ptr,
                f"unknown {what} {name!r}{did_you_mean(name, sorted(known))}",
                line=doc.locate(ptr),
                kind="rules",
            )
        )

    plaus = (block or {}).get("plausibility", {})
    for lv in plaus.get("levels", {}):
        if lv not in level_orders:
            bad(f"/integrity/plausibility/levels/{lv}", "level", lv, level_orders)
    for k, t in enumerate(plaus.get("no_reports_tracks", [])):
        if t not in tracks:
            bad(f"/integrity/plausibility/no_reports_tracks/{k}", "track", t, tracks)
    for k, t in enumerate((block or {}).get("does_not_recur", {}).get("types", [])):
        if t not in types:
            bad(f"/integrity/does_not_recur/types/{k}", "evidence type", t, types)
    return policy_from(block, level_orders), out


def says_higher_is_better(policy: IntegrityPolicy, name: Any) -> bool:
    """The name's measure (the words before any "per": "revenue per visitor" measures revenue,
    "support contacts per 1k bookings" contacts) holds one of the policy's words or phrases."""
    return _says(policy.words, name) if isinstance(name, str) else False


@lru_cache(maxsize=16384)
def _says(phrases: tuple[tuple[str, ...], ...], name: str) -> bool:
    words = words_key(name)
    if "per" in words:
        words = words[: words.index("per")]
    present = set(words)
    return any(p[0] in present and has_phrase(words, p) for p in phrases)


def direction_problems(doc: Document, policy: IntegrityPolicy) -> list[Problem]:
    """An error for each metric marked `higher_is_better: false` whose name says higher is better
    (the pack's words), on a record nobody confirms (no verified_by): a falling GMV is not a win."""
    out = []
    evidence = doc.data.get("evidence") if isinstance(doc.data, dict) else None
    for i, ev in enumerate(evidence if isinstance(evidence, list) else []):
        if type(ev) is not dict or not isinstance(ev.get("metrics"), list) or ev.get("verified_by"):
            continue
        for j, m in enumerate(ev["metrics"]):
            if (
                isinstance(m, dict)
                and m.get("higher_is_better") is False
                and says_higher_is_better(policy, m.get("name"))
            ):
                ptr = f"/evidence/{i}/metrics/{j}/higher_is_better"
                out.append(
                    Problem(
                        doc.source,
                        ptr,
                        "false for a metric whose name says higher is better (the "
                        "ladder's integrity.higher_is_better words): write true, or have someone "
                        "confirm the record with verified_by",
                        line=doc.locate(ptr),
                        kind="semantic",
                    )
                )
    return out


def months_after(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    import calendar

    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def effective_date(ev: dict, start: str) -> str:
    """The date a record counts from: its own, except a record that runs for `months` (mentoring)
    and began before the period but runs into it counts from the period's start."""
    day = ev["date"]
    months = ev.get("months")
    if day >= start or type(months) is not int or months < 1:
        return day
    if months_after(dt.date.fromisoformat(day), months) > dt.date.fromisoformat(start):
        return start
    return day


def _feedback(warn, ptr, ev, voices, ctx, i) -> None:
    who = person_key(ev["from"].get("id"))
    rel = ev["from"]["relationship"]
    if who is not None:
        prev = voices.setdefault(who, (rel, i))
        if prev[0] != rel:
            warn(
                f"{ptr}/from",
                f"the same person (from.id) is given as {prev[0]} at /evidence/{prev[1]} "
                f"and as {rel} here: one person is one voice",
                about_record=False,
            )


@dataclass(frozen=True)
class _Ctx:
    policy: IntegrityPolicy
    track: str | None
    current: str
    end: dt.date


def _leadership(warn, ptr, ev, voices, ctx: _Ctx, i) -> None:
    reports = max(ev.get("reports") or 0, ev.get("people") or 0)
    limit = ctx.policy.by_level.get(ctx.current)
    if ctx.track in ctx.policy.no_reports_tracks and reports:
        warn(ptr, "direct reports on the individual-contributor track: check the track or the record")
    elif limit is not None and reports > limit[0]:
        warn(
            ptr, f"{reports} people reporting is far above {ctx.current} (policy: at most {limit[0]}): check the record"
        )


def _ownership(warn, ptr, ev, voices, ctx: _Ctx, i) -> None:
    limit = ctx.policy.by_level.get(ctx.current)
    scope = ev.get("scope")
    if (
        limit is not None
        and ev.get("area") == "p-and-l"
        and scope in SCOPES
        and SCOPES.index(scope) > SCOPES.index(limit[1])
    ):
        warn(ptr, f"owning a {scope} P&L is far above {ctx.current} (policy: up to {limit[1]} scope): check the record")


def _mentoring(warn, ptr, ev, voices, ctx: _Ctx, i) -> None:
    began = dt.date.fromisoformat(ev["date"])
    end = ctx.end
    elapsed = (end.year - began.year) * 12 + end.month - began.month + 1
    if ev["months"] > elapsed:
        warn(
            f"{ptr}/months",
            f"{ev['months']} months of mentoring, but it began {elapsed} month(s) before the period ends",
        )


_PLAUSIBILITY = {
    "stakeholder_feedback": _feedback,
    "people_leadership": _leadership,
    "business_ownership": _ownership,
    "mentoring": _mentoring,
}


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def moved(base: float, res: float, hib: bool, policy: IntegrityPolicy) -> bool:
    """A metric moved the right way by at least the policy's materiality: a share of the baseline
    (`relative`), or, from a baseline of 0, by at least `from_zero`."""
    change = (res - base) if hib else (base - res)
    if change <= 0:
        return False
    if base == 0:
        return abs(res) >= policy.from_zero
    return change >= policy.relative * abs(base)


def _metric_warnings(warn, ptr: str, ev: dict, ms: list, policy: IntegrityPolicy) -> None:
    for j, m in enumerate(ms):
        base, res = m.get("baseline"), m.get("result")
        if res != base and _num(base) and _num(res):
            if base == 0 and abs(res) < policy.from_zero:
                warn(
                    f"{ptr}/metrics/{j}",
                    f"moved from 0 to less than {policy.from_zero:g}, the least a change "
                    "from 0 must reach to count as moved (policy)",
                )
            elif base != 0 and abs(res - base) < policy.relative * abs(base):
                warn(
                    f"{ptr}/metrics/{j}",
                    f"moved {abs(res - base) / abs(base):.2%} of its baseline, below the "
                    f"{policy.relative:.0%} a change must reach to count as moved (policy)",
                )
        if m.get("higher_is_better") is False and says_higher_is_better(policy, m.get("name")):
            # (without verified_by this is an error: engine.core.evidence; confirmed, the committee still looks)
            warn(
                f"{ptr}/metrics/{j}/higher_is_better",
                "false for a metric of a kind that is better higher (its name): check it",
            )


_WHY = {
    "m": "the same metrics, in other units, within the restatement window (policy)",
    "t": "the same title",
    "d": "the same title and date",
    "c": "the same content",
    "p": "numbers that chain: one outcome in phases",
}


@lru_cache(maxsize=4096)
def _ordinal(day: str) -> int:
    return dt.date.fromisoformat(day).toordinal()


def _repeat_keys(ev: dict, policy: IntegrityPolicy) -> list[tuple]:
    keys: list[tuple] = []
    if (t := norm_title(ev.get("title"))) is not None:
        # a type that recurs (a monthly update, a quarterly review) repeats only on the same date
        keys.append(("t", ev["type"], t) if ev["type"] in policy.once else ("d", ev["type"], t, ev["date"]))
    else:  # a record with a title that repeats another's content repeats its title already
        keys.append(("c", orjson.dumps({k: v for k, v in ev.items() if k != "id"}, option=orjson.OPT_SORT_KEYS)))
    return keys


def _repeats(evidence: list[dict], policy: IntegrityPolicy | None = None) -> tuple[list[int], dict[int, str]]:
    """Each record's group (the least index of the records it repeats, itself when it repeats
    nothing) and, for a record that repeats an earlier one, why. "Repeats" is closed under
    every relation (the same content but the id; the same type and title key, on the same date
    for a type that recurs; the same type and metrics in units a power of ten apart, dated at
    most restated_days apart; a metric whose baseline is another record's result of the same
    type), so groups depend neither on order nor on which copy came first."""
    policy = policy or IntegrityPolicy(words=_phrases(DEFAULT_WORDS))
    parent = list(range(len(evidence)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    why: dict[int, str] = {}

    def join(i: int, j: int, reason: str) -> None:
        a, b = root(i), root(j)
        why.setdefault(max(i, j), _WHY[reason])
        parent[max(a, b)] = min(a, b)

    seen: dict[tuple, int] = {}
    restated: dict[tuple, list[tuple[int, int]]] = {}
    ends: dict[tuple, list[int]] = {}
    starts: list[tuple[int, tuple]] = []
    for i, ev in enumerate(evidence):
        for k in _repeat_keys(ev, policy):
            j = seen.setdefault(k, i)
            if j != i:
                join(i, j, k[0])
        ms = ev.get("metrics")
        if ms:
            rk, s, e = metric_keys(ms)
            restated.setdefault((ev["type"], rk), []).append((_ordinal(ev["date"]), i))
            for k in e:
                ends.setdefault((ev["type"],) + k, []).append(i)
            starts += [(i, (ev["type"],) + k) for k in s]
    for group in restated.values():  # the same metrics within a few days: one outcome, restated
        group.sort()
        for (d0, i0), (d1, i1) in zip(group, group[1:]):
            if d1 - d0 <= policy.restated_days:
                join(i0, i1, "m")
    for i, k in starts:  # a phase that begins where another ended continues it
        for j in ends.get(k, ()):
            if j != i:
                join(i, j, "p")
    return [root(i) for i in range(len(evidence))], why


def repeat_groups(
    evidence: list[dict], groups: list[int] | None = None, policy: IntegrityPolicy | None = None
) -> dict[str, str]:
    """Records that repeat one another (see _repeats), as evidence id -> the group's label (the
    least id in it); records that repeat nothing are left out. The engine counts a group once
    (engine.core.facts, engine.core.firing)."""
    if groups is None:
        groups, _ = _repeats(evidence, policy)
    members: dict[int, list[str]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(evidence[i]["id"])
    return {eid: min(ids) for ids in members.values() if len(ids) > 1 for eid in ids}


def integrity_warnings(
    doc: Document, track: str | None, current: str, end: dt.date, policy: IntegrityPolicy | None = None
) -> tuple[list[Problem], frozenset[str], dict[str, str]]:
    """The warnings for a valid packet, in evidence order, and the ids of the records flagged by a
    warning about the record itself (an implausible claim, a metric that barely moved or runs the
    wrong way): what an `unflagged` condition leaves out. A repeat or a voice given under two
    relationships is not such a flag: which copy is warned about depends on order, and both are
    counted already (repeats once, voices by person). Third, the repeat groups (repeat_groups).
    `track` is the candidate's track, or None for a move between tracks. `policy`: the pack's
    (RuleBook.integrity); None, the bundled defaults."""
    policy = policy or IntegrityPolicy(words=_phrases(DEFAULT_WORDS))
    out: list[Problem] = []
    flagged: set[str] = set()
    evidence = doc.data["evidence"]

    def warn(pointer: str, message: str, about_record: bool = True) -> None:
        out.append(
            Problem(doc.source, pointer, message, line=doc.locate(pointer), kind="integrity", severity="warning")
        )
        if about_record:
            flagged.add(evidence[int(pointer.split("/")[2])]["id"])

    groups, why = _repeats(evidence, policy)
    voices: dict[str, tuple[str, int]] = {}
    ctx = _Ctx(policy, track, current, end)
    for i, ev in enumerate(evidence):
        etype = ev["type"]
        ms = ev.get("metrics")
        if i in why:
            warn(
                f"/evidence/{i}",
                f"repeats the {etype} at /evidence/{groups[i]} ({why[i]}): is it the same "
                "record twice? It counts once.",
                about_record=False,
            )
        if etype in _PLAUSIBILITY:
            _PLAUSIBILITY[etype](warn, f"/evidence/{i}", ev, voices, ctx, i)
        if ms:
            _metric_warnings(warn, f"/evidence/{i}", ev, ms, policy)
    # a flag holds for every copy of a record, whichever copy came first
    flagged_groups = {groups[i] for i, ev in enumerate(evidence) if ev["id"] in flagged}
    flagged.update(ev["id"] for i, ev in enumerate(evidence) if groups[i] in flagged_groups)
    return out, frozenset(flagged), repeat_groups(evidence, groups)
