"""A checked packet -> the engine's facts, for the rule book that will fire them.

Facts carry only the fields the rules of the candidate's path read (never free text: it is
personal data and no rule may read it), integer day counts, canonical level ids, and each metric's
derived `improved` flag. What a fact carries depends on the rule book, so facts are built for one
book and never reused for another (an audit fires each revision's facts under its own rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from ..book.compiler import BASE_FIELDS, LINK, fields_read, period_field
from ..book.fields import FREE_TEXT_KEYS
from ..book.integrity import IntegrityPolicy, effective_date, moved
from ..book.rules import Criterion, RuleBook
from .evidence import Packet

_ORDINALS: dict[str, int] = {}


def _ordinal(day: str) -> int:
    """Days since year 1 for an ISO date; dates repeat across a batch, so they are cached."""
    n = _ORDINALS.get(day)
    if n is None:
        if len(_ORDINALS) > 100_000:  # pragma: no mutate - a cache bound, not behaviour
            _ORDINALS.clear()  # pragma: no mutate - a cache bound, not behaviour
        n = _ORDINALS[day] = dt.date.fromisoformat(day).toordinal()
    return n


def build_facts(packet: Packet, book: RuleBook, path: tuple[str, ...]) -> list[dict]:
    """One fact per evidence record, shaped for the rules of `path` in `book`."""
    return _build(packet, book, _copy_recipe(book, path, lambda: [c for lv in path for c in book.criteria(lv)]))


def build_facts_without(packet: Packet, book: RuleBook, path: tuple[str, ...], known: frozenset[str]) -> list[dict]:
    """As build_facts, shaped for the criteria of `path` not in `known` (whose status is given:
    Evaluator.evaluate_known). Every record is still a fact (the sufficiency rules count them by
    type and age); its fields are the ones the remaining criteria read."""
    if not known:
        return build_facts(packet, book, path)
    return _build(
        packet,
        book,
        _copy_recipe(
            book,
            path + ("$without",) + tuple(sorted(known)),
            lambda: [c for lv in path for c in book.criteria(lv) if c.id not in known],
        ),
    )


def build_facts_for(packet: Packet, book: RuleBook, key: tuple[str, ...], criteria: Iterable[Criterion]) -> list[dict]:
    """A fact per evidence record of a type these criteria read (the adjacent paths' signals: they
    have no sufficiency policy counting other records), shaped for them; `key` names them for the
    cache (with the book's version)."""
    return _build(packet, book, _copy_recipe(book, key, lambda: criteria), read_only=True)


def _build(packet: Packet, book: RuleBook, copy_recipe: _CopyRecipe, read_only: bool = False) -> list[dict]:
    by_type, metric_keys, improved, periods, links = copy_recipe
    end_ord = _ordinal(packet.end)
    start = packet.start
    facts = []
    resolve = book.resolve
    bare = (("type",), False)
    ordinals = _ORDINALS
    repeats, flagged = packet.repeats, packet.flagged
    policy = book.integrity
    for ev in packet.evidence:
        got = by_type.get(ev["type"])
        if got is None and read_only:
            continue  # no rule reads its type: it could match nothing
        keys, nested = got or bare
        f: dict[str, Any] = {k: ev[k] for k in keys if k in ev}
        day = ev["date"]
        if day < start and "months" in ev:  # a mentoring that runs into the period counts from its start
            day = effective_date(ev, start)
        f["_kind"], f["eid"], f["age_days"] = "ev", ev["id"], end_ord - (ordinals.get(day) or _ordinal(day))
        if day < start:  # ISO dates order as text
            f["before_start"] = True
        if flagged and ev["id"] in flagged and "verified_by" not in ev:  # for `unflagged` leaves
            f["_flagged"] = True
        if repeats and ev["id"] in repeats:  # one record entered twice is counted once (engine.core.firing)
            f["_grp"] = repeats[ev["id"]]
        if periods and ev["type"] in periods:  # for `regularly`: which period of D days it falls in
            for days, name in periods[ev["type"]]:
                f[name] = f["age_days"] // days
        if nested:  # a field that needs more than a copy
            if "metrics" in f:
                f["metrics"] = [_metric(m, metric_keys, improved, policy) for m in f["metrics"]]
            if "mentee" in f:
                f["mentee"] = {k: (resolve(v) if k == "level" else v) for k, v in f["mentee"].items()}
            if "from" in f:
                f["from"] = {k: v for k, v in f["from"].items() if k != "role"}  # role is free text
            if "levels" in f:
                f["levels"] = [resolve(x) for x in f["levels"]]
        facts.append(f)
    if links:  # one link fact per id a record's about names, for the types some linked_to follows
        for ev in packet.evidence:
            if ev["type"] in links and ev.get("about"):
                facts += [
                    {"_kind": LINK, "from": ev["id"], "to": to} for to in dict.fromkeys(ev["about"]) if to != ev["id"]
                ]
    return facts


_NESTED = frozenset({"metrics", "mentee", "from", "levels"})  # fields build_facts rewrites, not copies
_CopyRecipe = tuple[
    dict[str, tuple[tuple[str, ...], bool]],
    tuple[str, ...],
    bool,
    dict[str, tuple[tuple[int, str], ...]],
    frozenset[str],
]
_COPY_RECIPES: dict[tuple[str, tuple[str, ...]], _CopyRecipe] = {}


def _copy_recipe(book: RuleBook, path: tuple[str, ...], criteria: Callable[[], Iterable[Criterion]]) -> _CopyRecipe:
    """What build_facts copies for the rules of this path, built once per (rule book, path): per
    evidence type the record fields (sorted, so facts do not depend on key order in the file) and
    whether one of them needs rewriting; the metric item fields; whether a metric's
    `improved` is read; per type the period lengths `regularly` counts it by, with their
    fields; and the types whose `about` some linked_to follows (link facts). Keyed by the book's version (a hash of all its rules), so two revisions
    of a ladder never share a recipe."""
    key = (book.version, path)
    recipe = _COPY_RECIPES.get(key)
    if recipe is None:
        reads = fields_read(criteria(), book.people)
        skip = (BASE_FIELDS - {"type"}) | FREE_TEXT_KEYS
        metric_keep = reads.items.get("metrics", frozenset())
        if len(_COPY_RECIPES) > 1000:  # pragma: no mutate - a cache bound, not behaviour
            _COPY_RECIPES.clear()  # pragma: no mutate - a cache bound, not behaviour
        recipe = _COPY_RECIPES[key] = (
            {t: (tuple(sorted(keep - skip)), bool(keep & _NESTED)) for t, keep in reads.by_type.items()},
            tuple(sorted(metric_keep - {"name", "unit", "improved"})),
            "improved" in metric_keep,
            {t: tuple((d, period_field(d)) for d in sorted(ds)) for t, ds in reads.periods.items()},
            reads.links,
        )
    return recipe


def _metric(m: dict, keys: tuple[str, ...], improved: bool, policy: IntegrityPolicy | None = None) -> dict:
    out = {k: m[k] for k in keys if k in m}  # (name and unit are free text: never copied)
    if improved and "baseline" in m and "result" in m:
        # moved in the right direction, by at least the pack's materiality (engine.book.integrity.moved)
        out["improved"] = moved(m["baseline"], m["result"], m.get("higher_is_better", True), policy or _DEFAULT_POLICY)
    return out


_DEFAULT_POLICY = IntegrityPolicy()
