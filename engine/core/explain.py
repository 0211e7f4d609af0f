"""Words for conditions, and for why a criterion is unmet.

Met or unmet is decided by the engine (engine.core.firing). This module only explains afterwards:
what a criterion needs, what the engine found, and the nearest misses with the exact
predicate each record failed. It never changes a status.
"""

from __future__ import annotations

from typing import Any

from ..base.words import counted
from ..book.compiler import LINK, Node, Ruleset
from ..book.conditions import item_clauses
from ..book.operators import MISSING as _MISSING, OPERATORS, fmt as _fmt, holds as _holds, ops_of
from .firing import Firing
from .verdict import Miss

MAX_MISSES = 3


def _label(etype: str) -> str:
    return "evidence" if etype == "*" else etype.replace("_", " ")


def describe_pred(fname: str, pred: Any) -> str:
    return " and ".join(OPERATORS[op].words(fname, arg) for op, arg in ops_of(pred))


def _want(op: str, arg: Any) -> str:
    return OPERATORS[op].want(arg)


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


_DESCRIBED: dict[int, tuple[dict, str]] = {}


def describe(cond: dict) -> str:
    """The words for a condition; rule conditions live as long as their rule book, so cache by identity."""
    hit = _DESCRIBED.get(id(cond))
    if hit is not None and hit[0] is cond:
        return hit[1]
    text = _describe(cond)
    if len(_DESCRIBED) > 10_000:  # pragma: no mutate - a cache bound, not behaviour
        _DESCRIBED.clear()  # pragma: no mutate - a cache bound, not behaviour
    _DESCRIBED[id(cond)] = (cond, text)
    return text


def _describe(cond: dict) -> str:
    """'at least 2 shipped outcome records where role is led and on_time is true, dated within 548 days'"""
    if "all_of" in cond:
        return "all of: " + "; ".join(f"({describe(c)})" for c in cond["all_of"])
    if "any_of" in cond:
        return "one of: " + "; ".join(f"({describe(c)})" for c in cond["any_of"])
    if "at_least" in cond:
        return f"at least {cond['at_least']} of: " + "; ".join(f"({describe(c)})" for c in cond["of"])
    n = cond.get("min_count", 1)
    label = _label(cond["evidence"])
    if "distinct" in cond:
        head = f"{label} records from at least {cond['distinct']['min']} different {cond['distinct']['field']} values"
    elif "mean" in cond:
        m = cond["mean"]
        op = "≥" if "gte" in m else ">"
        head = f"at least {m['min_records']} {label} record(s) with mean {m['field']} {op} {m.get('gte', m.get('gt'))}"
    elif ("min_people" in cond and n == 1) or "regularly" in cond:
        head = f"{label} records"
    else:
        head = _a(f"{label} record") if n == 1 else f"at least {n} {label} records"
    if "min_people" in cond:
        head += (" and" if "distinct" in cond else " from") + f" at least {cond['min_people']} different people"
    tail = []
    if cond.get("where"):
        tail.append("where " + " and ".join(describe_pred(f, p) for f, p in cond["where"].items()))
    clauses = item_clauses(cond)
    if clauses:  # several: each holds on some entry of this one record
        tail.append(
            "with "
            + " and ".join(
                f"a {ai['field']} entry where " + " and ".join(describe_pred(f, p) for f, p in ai["where"].items())
                for ai in clauses
            )
        )
    if cond.get("unflagged"):
        tail.append("carrying no integrity warning (or confirmed by verified_by)")
    if "within_days" in cond:
        tail.append(f"dated within {cond['within_days']} days of the as-of date")
    elif "default_window" in cond:
        tail.append(f"dated inside the period and within {cond['default_window']} days of the as-of date")
    elif cond.get("any_time"):
        tail.append("dated any time")
    elif "regularly" in cond:
        reg = cond["regularly"]
        tail.append(
            f"dated in at least {reg['min_periods']} of the last {reg['periods']} periods of "
            f"{reg['of_days']} days before the as-of date"
        )
    if "linked_to" in cond:
        each = "each " if n > 1 or "min_people" in cond or "distinct" in cond or "mean" in cond else ""
        return " ".join([head, *tail]) + f", {each}building on {describe(cond['linked_to'])} (named in its about)"
    return " ".join([head, *tail])


# -- checking one record against one predicate (explanation only) -------------------------------
def field_value(fact: dict, dotted: str) -> Any:
    """A record's value at a dotted field name (`from.relationship`), or the missing marker."""
    return _lookup(fact, tuple(dotted.split(".")))


_CHECKS: dict[int, tuple[dict, list[tuple]]] = {}


def _checks(cond: dict) -> list[tuple]:
    """A leaf's `where` as flat (field, key, path parts, wanted, test) tuples, built once per
    condition: `key` is the field when it is not dotted, `wanted` the words for what the predicate
    needs, and `test(value)` is `_holds(value, op, arg)`."""
    hit = _CHECKS.get(id(cond))
    if hit is not None and hit[0] is cond:
        return hit[1]
    out = [
        (fname, None if "." in fname else fname, tuple(fname.split(".")), _want(op, arg), _tester(op, arg))
        for fname, pred in cond.get("where", {}).items()
        for op, arg in ops_of(pred)
    ]
    if len(_CHECKS) > 10_000:  # pragma: no mutate - a cache bound, not behaviour
        _CHECKS.clear()  # pragma: no mutate - a cache bound, not behaviour
    _CHECKS[id(cond)] = (cond, out)
    return out


def _tester(op: str, arg: Any) -> Any:
    return OPERATORS[op].tester(arg)


def _lookup(fact: dict, parts: tuple) -> Any:
    cur: Any = fact
    for part in parts:
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def failed_predicates(fact: dict, cond: dict) -> list[tuple]:
    """The predicates of a leaf this record fails, as raw tuples (cheap; words come later)."""
    out: list[tuple] = []
    for fname, key, parts, wanted, test in _checks(cond):
        val = fact.get(key, _MISSING) if key is not None else _lookup(fact, parts)
        if not test(val):
            out.append(("pred", fname, wanted, val))
    window = cond.get("within_days", cond.get("default_window"))
    if "regularly" in cond:
        window = cond["regularly"]["periods"] * cond["regularly"]["of_days"] - 1
    if window is not None and fact.get("age_days", 0) > window:
        out.append(("age", fact["age_days"], window))
    if "default_window" in cond and fact.get("before_start"):
        out.append(("before",))
    if cond.get("unflagged") and fact.get("_flagged"):
        out.append(("flagged",))
    for ai in item_clauses(cond):
        items = fact.get(ai["field"]) or []
        ok = any(
            all(
                _holds(field_value(it, f), op, arg)
                for f, p in ai["where"].items()
                for op, arg in (p if isinstance(p, dict) else {"eq": p}).items()
            )
            for it in items
        )
        if not ok:
            out.append(("item", ai, bool(items)))
    return out


def _words(f: tuple) -> str:
    if f[0] == "pred":
        _, fname, wanted, val = f
        shown = (
            "missing"
            if val is _MISSING
            else (", ".join(map(_fmt, val)) or "empty" if isinstance(val, list) else _fmt(val))
        )
        return f"{fname} is {shown}; needs {wanted}"
    if f[0] == "age":
        return f"dated {f[1]} days before the as-of date; needs within {f[2]}"
    if f[0] == "before":
        return "dated before the period starts; needs a date inside it"
    if f[0] == "flagged":
        return "carries an integrity warning (see Warnings); counts once someone confirms it with verified_by"
    if f[0] == "link":
        clause, named = f[1], f[2]
        if not named:
            return f"names no record it builds on (about); needs one naming {describe(clause)}"
        return f"its about names {_ids(named)}; none is {describe(clause)}"
    ai, has_items = f[1], f[2]
    want = " and ".join(describe_pred(k, p) for k, p in ai["where"].items())
    return f"no {ai['field']} entry where {want}" if has_items else f"no {ai['field']} given; needs one where {want}"


def failures(fact: dict, cond: dict) -> list[str]:
    """Each predicate of a leaf condition this record fails, in words."""
    return [_words(f) for f in failed_predicates(fact, cond)]


def by_type(facts: list[dict]) -> dict[str, list[dict]]:
    """Evidence facts grouped by evidence type ("*": all), so each unmet leaf looks only at its own
    type; the link facts (a record's about, engine.core.facts) under LINK."""
    records = [f for f in facts if f.get("_kind") == "ev"]
    out: dict[str, list[dict]] = {"*": records}
    for f in records:
        out.setdefault(f["type"], []).append(f)
    links = [f for f in facts if f.get("_kind") == LINK]
    if links:
        out[LINK] = links
    return out


def about_of(grouped: dict[str, list[dict]]) -> dict[str, list[str]]:
    """Record id -> the ids its about names (for the types some linked_to follows)."""
    out: dict[str, list[str]] = {}
    for f in grouped.get(LINK, ()):
        out.setdefault(f["from"], []).append(f["to"])
    return out


def clause_matches(grouped: dict[str, list[dict]], clause: dict) -> set[str]:
    """The records a linked_to clause matches, read in Python (the planner's reading, and the
    words of a nearest miss; whether a criterion is met is the engine's)."""
    return {f["eid"] for f in grouped.get(clause["evidence"], ()) if not failed_predicates(f, clause)}


def links_to_match(fact: dict, about: dict[str, list[str]], matches: set[str]) -> list[str]:
    """The records a record's about names that its leaf's linked_to clause matches."""
    return [t for t in about.get(fact["eid"], ()) if t in matches]


def nearest_misses(grouped: dict[str, list[dict]], cond: dict, linked: set[str] | None = None) -> list[Miss]:
    """The records of the right type (facts grouped by_type) that fail the fewest predicates,
    with what each failed. For a leaf with linked_to, `linked` holds the records the engine found
    linked to a match of its clause: any other record also misses the link."""
    scored = []
    about = about_of(grouped) if "linked_to" in cond else {}
    for f in grouped.get(cond["evidence"], ()):
        failed = failed_predicates(f, cond)
        if linked is not None and f["eid"] not in linked:
            failed = failed + [("link", cond["linked_to"], about.get(f["eid"], []))]
        if failed:
            scored.append((len(failed), f["eid"], failed))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [Miss(eid, [_words(x) for x in failed]) for _, eid, failed in scored[:MAX_MISSES]]


# -- reasons ------------------------------------------------------------------------------------
def _ids(ids: list[str], limit: int = 8) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f", … ({len(ids) - limit} more)" if len(ids) > limit else "")


def _with_links(fr: Firing, idx: int) -> list[str]:
    """A leaf's matches and, for one with linked_to, the records they build on that its clause matched."""
    found = fr.found.get(idx, [])
    if idx not in fr.links:
        return found
    return sorted({*found, *(t for ts in fr.links[idx].values() for t in ts)})


def cited(ruleset: Ruleset, fr: Firing, idx: int) -> list[str]:
    """Evidence behind a fired node: the matches of its fired leaves (and the records a linked
    leaf's matches build on)."""
    node = ruleset.nodes[idx]
    if node.kind in ("leaf", "agg"):
        return _with_links(fr, idx) if idx in fr.marked else []
    # only the parts that were met: an unmet alternative's partial matches are no citation
    return sorted({e for c in node.children if c in fr.marked for e in cited(ruleset, fr, c)})


def partial(ruleset: Ruleset, fr: Firing, idx: int) -> list[str]:
    """Evidence the engine matched under an unmet node (below a threshold, or a missing branch)."""
    node = ruleset.nodes[idx]
    if node.kind in ("leaf", "agg"):
        return _with_links(fr, idx)
    return sorted({e for c in node.children for e in partial(ruleset, fr, c)})


def unmet_reason(ruleset: Ruleset, fr: Firing, idx: int, facts: dict[str, list[dict]]) -> tuple[str, list[Miss]]:
    node: Node = ruleset.nodes[idx]
    if node.kind == "least":
        return _least_reason(ruleset, fr, node, facts)
    if node.kind in ("all", "any"):
        open_kids = [c for c in node.children if c not in fr.marked]
        parts, misses = [], []
        for c in open_kids:
            r, m = unmet_reason(ruleset, fr, c, facts)
            parts.append(r.removeprefix("needs "))
            misses += m
        lead = "needs all of its parts; open: " if node.kind == "all" else "needs one of: "
        return lead + " | ".join(parts), misses[:MAX_MISSES]
    cond = node.cond or {}
    if "any_of" in cond:  # alternatives compiled into one rule: none of them matched
        parts, misses = [], []
        for alt in cond["any_of"]:
            r, m = _leaf_reason(alt, [], {}, facts)
            parts.append(r.removeprefix("needs "))
            misses += m
        misses.sort(key=lambda m: (len(m.failed), m.evidence))
        return "needs one of: " + " | ".join(parts), misses[:MAX_MISSES]
    linked = set(fr.found.get(idx, [])) if node.link is not None else None
    return _leaf_reason(
        cond,
        fr.found.get(idx, []),
        fr.aggs.get(idx, {}),
        facts,
        node.kind == "agg",
        linked,
        (node.agg or {}).get("people_field"),
    )


def _least_reason(ruleset: Ruleset, fr: Firing, node: Node, facts: dict[str, list[dict]]) -> tuple[str, list[Miss]]:
    """An unmet at_least: how many parts the engine found met (citing them), and how many more of
    which open parts it still needs."""
    met = [c for c in node.children if c in fr.marked]
    parts_, misses = [], []
    for c in node.children:
        if c not in fr.marked:
            r, m = unmet_reason(ruleset, fr, c, facts)
            parts_.append(r.removeprefix("needs "))
            misses += m
    misses.sort(key=lambda m: (len(m.failed), m.evidence))
    ids = sorted({e for c in met for e in cited(ruleset, fr, c)})
    got = f"{len(met)} met" + (f" (by {_ids(ids)})" if ids else "")
    return (
        f"needs at least {node.need} of its {len(node.children)} parts; {got}; still needs "
        f"{node.need - len(met)} more of: " + " | ".join(parts_),
        misses[:MAX_MISSES],
    )


def _still(cond: dict, vals: dict, found: list[str], facts: dict[str, list[dict]]) -> str:
    """What the thresholds still want, counted: "; still needs 1 more record" or "; still needs 2
    more different from.relationship values (has: manager, peer)". Explanation only: whether the
    criterion is met came from the engine."""
    wants = []
    if "distinct" in cond:
        fname, want = cond["distinct"]["field"], cond["distinct"]["min"]
        if vals.get("distinct", 0) < want:
            pool = facts.get(cond["evidence"], [])
            ids = set(found)
            has = sorted(
                {_fmt(v) for f in pool if f.get("eid") in ids and (v := field_value(f, fname)) is not _MISSING}
            )
            wants.append(
                counted(
                    want - vals.get("distinct", 0), f"more different {fname} value", f"more different {fname} values"
                )
                + (f" (has: {', '.join(has)})" if has else "")
            )
    elif "regularly" in cond:
        reg = cond["regularly"]
        if vals.get("distinct", 0) < reg["min_periods"]:
            wants.append(
                f"records in {reg['min_periods'] - vals.get('distinct', 0)} more of the {reg['periods']} "
                f"periods (none yet in: {_empty_periods(cond, found, facts)})"
            )
    elif "mean" not in cond and vals.get("n", 0) < cond.get("min_count", 1):
        wants.append(counted(cond["min_count"] - vals.get("n", 0), "more record", "more records"))
    if "min_people" in cond and vals.get("people", 0) < cond["min_people"]:
        wants.append(
            counted(cond["min_people"] - vals.get("people", 0), "more different person", "more different people")
        )
    return "; still needs " + " and ".join(wants) if wants else ""


def _periods_of(cond: dict, found: list[str], facts: dict[str, list[dict]]) -> dict[int, list[str]]:
    """The records the engine found, by the period each falls in (0: the latest), for words."""
    days = cond["regularly"]["of_days"]
    ids = set(found)
    out: dict[int, list[str]] = {}
    for f in facts.get(cond["evidence"], []):
        if f["eid"] in ids:
            out.setdefault(f["age_days"] // days, []).append(f["eid"])
    return out


def _period_words(k: int, days: int) -> str:
    return f"days {k * days}–{(k + 1) * days - 1}"


def _empty_periods(cond: dict, found: list[str], facts: dict[str, list[dict]]) -> str:
    reg = cond["regularly"]
    have = _periods_of(cond, found, facts)
    return (
        ", ".join(_period_words(k, reg["of_days"]) for k in range(reg["periods"]) if k not in have)
        + " before the as-of date"
    )


def _person_named(fact: dict, person_field: str) -> bool:
    return _lookup(fact, tuple(person_field.split("."))) is not _MISSING


def _leaf_reason(
    cond: dict,
    found: list[str],
    vals: dict,
    facts: dict[str, list[dict]],
    agg: bool = False,
    linked: set[str] | None = None,
    person_field: str | None = None,
) -> tuple[str, list[Miss]]:
    """`person_field`: for a min_people leaf, the field its records name their person in (the
    compiled aggregate's people_field: engine.book.compiler)."""
    need = describe(cond)
    if agg and found:
        if "distinct" in cond:
            got = (
                "found "
                + counted(
                    vals.get("distinct", 0),
                    f"{cond['distinct']['field']} value",
                    f"different {cond['distinct']['field']} values",
                )
                + f" across {_ids(found)}"
            )
        elif "regularly" in cond:
            days = cond["regularly"]["of_days"]
            got = (
                f"found records in {vals.get('distinct', 0)} of the periods ("
                + "; ".join(
                    f"{_period_words(k, days)}: {', '.join(sorted(ids))}"
                    for k, ids in sorted(_periods_of(cond, found, facts).items())
                )
                + ")"
            )
        elif "mean" in cond:
            mean = vals.get("mean")
            got = f"found {len(found)} ({_ids(found)})" + (
                f", mean {cond['mean']['field']} {_mean(mean)}" if mean is not None else ""
            )
        else:
            got = f"found {len(found)} ({_ids(found)})"
        if vals.get("n", len(found)) < len(found):  # engine.book.integrity.repeat_groups
            got += f", which count as {vals['n']}: some repeat one another"
        if "min_people" in cond:
            got += ", from " + counted(vals.get("people", 0), "person", "different people")
        got += _still(cond, vals, found, facts)
    else:
        got = "found none"
        if linked is not None:  # a linked leaf: say which records match all but the link
            alone = sorted(f["eid"] for f in facts.get(cond["evidence"], []) if not failed_predicates(f, cond))
            if alone:
                got += (
                    f" that builds on one: {len(alone)} {_label(cond['evidence'])} record(s) match otherwise "
                    f"({_ids(alone)}), but none names such a record in its about"
                )
    misses = nearest_misses(facts, cond, linked)
    reason = f"needs {need}; {got}"
    same_type = facts.get(cond["evidence"], [])  # a leaf: nearest_misses read it too
    if person_field is not None and any(not _person_named(f, person_field) for f in same_type):
        reason += " (records that name no person count for nobody)"
    elif not found and not misses and cond.get("evidence") not in (None, "*"):
        reason += f" (no {_label(cond['evidence'])} records in the packet)"
    return reason, misses


def _mean(mean: float) -> str:
    """A mean as the engine judged it (engine.core.firing rounds it to six decimal places): 1.499996
    is not shown as 1.5 beside a threshold of 1.5 it does not reach."""
    shown = f"{mean:.6f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown
