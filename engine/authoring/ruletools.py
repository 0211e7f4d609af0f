"""Rule tooling: lint (beyond what loading rejects), show (the ladder as documentation) and
test (golden verdicts for the fixtures, with a per-criterion diff and a coverage report)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..base.errors import Problem, RulesError
from ..base.escape import markdown as _md, terminal_lines
from ..book.career_paths import PathBook
from ..book.compiler import compile_path
from ..book.conditions import item_clauses, parts
from ..book.rules import Criterion, RuleBook
from ..core import pipeline
from ..core.career_fit import PathAssessor
from ..core.evaluator import Evaluator
from ..core.explain import describe
from ..outputs.report import diff_verdicts, paths_dict, verdict_dict

MIN_CRITERIA_PER_LEVEL = 6


# -- lint --------------------------------------------------------------------------------------
def _leaf_demand(c: Criterion) -> tuple[str, int] | None:
    cond = c.condition
    if "evidence" not in cond:
        return None
    need = cond.get("min_count", 1)
    if "distinct" in cond:
        need = cond["distinct"]["min"]
    if "mean" in cond:
        need = cond["mean"]["min_records"]
    if "regularly" in cond:
        need = cond["regularly"]["min_periods"]  # a record in each of that many periods
    return cond["evidence"], max(need, cond.get("min_people", 1))  # n people need n records


_NUMERIC_OPS = ("gt", "gte", "lt", "lte")


def _where_numbers(where: dict, at: str) -> list[str]:
    out = []
    for fld, pred in (where or {}).items():
        preds = pred if isinstance(pred, dict) else {"eq": pred}
        for op, val in preds.items():
            vals = val if isinstance(val, list) else [val]
            if op in _NUMERIC_OPS or any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                out.append(f"{at}{fld} {op} {val}")
    return out


def policy_numbers(cond: dict) -> list[str]:
    """The numbers in a condition that the guide does not give: min_count above 1, within_days,
    distinct, mean, and any number in a predicate (a comparison, or a number compared for
    equality). min_count 1 is the default "at least one" and is not a number here."""
    if "evidence" not in cond:
        own = [f"at_least {cond['at_least']}"] if "at_least" in cond else []
        return own + [n for sub in parts(cond) for n in policy_numbers(sub)]
    out = _where_numbers(cond.get("where", {}), "")
    for ai in item_clauses(cond):
        out += _where_numbers(ai["where"], f"{ai['field']}[].")
    if "regularly" in cond:
        reg = cond["regularly"]
        out.append(f"regularly {reg['min_periods']} of {reg['periods']} periods of {reg['of_days']} days")
    if cond.get("min_count", 1) > 1:
        out.append(f"min_count {cond['min_count']}")
    if "within_days" in cond:
        out.append(f"within_days {cond['within_days']}")
    if "distinct" in cond:
        out.append(f"distinct {cond['distinct']['field']} min {cond['distinct']['min']}")
    if "mean" in cond:
        m = cond["mean"]
        out.append(
            f"mean {m['field']} {'gte' if 'gte' in m else 'gt'} {m.get('gte', m.get('gt'))} over "
            f"{m['min_records']} records"
        )
    if "min_people" in cond:
        out.append(f"min_people {cond['min_people']}")
    if "linked_to" in cond:  # the clause's own numbers (a predicate, its window)
        out += [f"linked_to {n}" for n in policy_numbers(cond["linked_to"])]
    return out


def basis_problems(book: RuleBook) -> list[Problem]:
    """With `label_policy_numbers: true` in ladder.yaml: every criterion holding a number the guide
    does not give, and every level's policy block, must say `basis: policy` (errors). A label on a
    criterion without such a number is a warning."""
    out: list[Problem] = []
    if book.label_policy_numbers and book.default_window and book.default_window[1] != "policy":
        out.append(
            Problem(
                book.ladder_file,
                "/default_window_days",
                f"default_window_days {book.default_window[0]}: a number the guide does not give; label it "
                "default_window_basis: policy with a default_window_note",
                kind="lint",
                line=book.ladder_lines.get("default_window_days"),
            )
        )
    for lv in book.ordered_levels():
        lr = book.level_rules[lv]
        if book.label_policy_numbers and lr.policy.basis != "policy":
            out.append(
                Problem(
                    lr.file,
                    "/policy",
                    f"{lv}: the policy block's numbers (min_supporting, "
                    "sufficient_evidence) are not in the guide; label them basis: policy with a "
                    "basis_note",
                    kind="lint",
                )
            )
        for c in lr.criteria:
            out += _number_labels(
                c, "criterion", book.label_policy_numbers, partial(_warning, c, "label-without-number")
            )
    return out


def _number_labels(x: Criterion, noun: str, required: bool, warning: Callable[[str], Problem]) -> list[Problem]:
    """A criterion's or a path signal's policy label against its numbers: an error for a number
    without the label (when the ladder requires labels), `warning(message)` for a label without one."""
    nums = policy_numbers(x.condition)
    if nums and x.basis != "policy" and required:
        return [
            Problem(
                x.file,
                "",
                f"{x.id}: {', '.join(nums)}: a number the guide does not give; label the {noun} "
                "basis: policy with a basis_note",
                line=x.line,
                kind="lint",
            )
        ]
    if not nums and x.basis == "policy":
        return [warning(f"{x.id} is labelled basis: policy but holds no number")]
    return []


def _warning(c: Criterion, code: str, message: str) -> Problem:
    """A warning about one criterion, on its line, with the code that acknowledges it."""
    return Problem(c.file, "", f"{message} [{code}]", line=c.line, severity="warning", kind=f"lint:{code}:{c.id}")


def _note(c: Criterion, code: str, message: str) -> Problem:
    """Something lint cannot decide about one criterion: shown, but not a warning (--strict passes)."""
    return Problem(c.file, "", f"{message} [{code}]", line=c.line, severity="note", kind=f"lint:{code}:{c.id}")


def _counts_alike(a: Criterion, b: Criterion) -> bool:
    """Two leaf demands measure the same thing: the same evidence type, the same kind of count
    (records, different values of the same field, a mean, people, periods) and the same themes asked for."""
    ca, cb = a.condition, b.condition
    if "evidence" not in ca or "evidence" not in cb or ca["evidence"] != cb["evidence"]:
        return False
    for key in ("distinct", "mean"):
        if (key in ca) != (key in cb) or (key in ca and ca[key]["field"] != cb[key]["field"]):
            return False
    if ("min_people" in ca) != ("min_people" in cb) or ("regularly" in ca) != ("regularly" in cb):
        return False
    return ca.get("where", {}).get("themes") == cb.get("where", {}).get("themes")


# -- does one leaf count every record another counts? (the "demands less" warning) ------------------
# A proof by cases, never a guess: any operator or shape not handled below makes it "cannot tell".
def _holds_on_missing(pred: dict) -> bool:
    """A predicate that holds for a record without the field (ne, not_in, exists: false: docs/rules.md)."""
    return all(op in ("ne", "not_in") or (op == "exists" and v is False) for op, v in pred.items())


def _vkey(v: Any) -> tuple:
    """A value as the engine compares it, but `true` is not 1 (values are typed: docs/rules.md)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return ("number", float(v))
    return (type(v).__name__, v)


def _listed(pred: dict) -> set | None:
    """The values a predicate allows when it lists them (eq, in; less ne, not_in), else None."""
    vals: set | None = None
    for op in ("eq", "in"):
        if op in pred:
            got = {_vkey(v) for v in (pred[op] if op == "in" else [pred[op]])}
            vals = got if vals is None else vals & got
    if vals is not None:
        vals -= {_vkey(pred["ne"])} if "ne" in pred else set()
        vals -= {_vkey(v) for v in pred.get("not_in", [])}
    return vals


def _excluded(pred: dict) -> set:
    return ({_vkey(pred["ne"])} if "ne" in pred else set()) | {_vkey(v) for v in pred.get("not_in", [])}


def _bound_implies(a: dict, op: str, x: Any) -> bool:
    """Every value `a` allows satisfies `op x` (gt, gte, lt, lte)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    vals = _listed(a)
    if vals is not None:
        nums = [v for kind, v in vals if kind == "number"]
        test = {"gt": lambda v: v > x, "gte": lambda v: v >= x, "lt": lambda v: v < x, "lte": lambda v: v <= x}[op]
        return len(nums) == len(vals) and all(test(v) for v in nums)
    lower = op in ("gt", "gte")
    for aop in ("gt", "gte") if lower else ("lt", "lte"):
        y = a.get(aop)
        if isinstance(y, bool) or not isinstance(y, (int, float)):
            continue
        if (y > x if lower else y < x) or (y == x and (op in ("gte", "lte") or aop == op)):
            return True
    return False


def _pred_implies(a: Any, b: Any) -> bool:
    """Every record `a` holds for, `b` holds for too (the same field of one record)."""
    a = a if isinstance(a, dict) else {"eq": a}
    b = b if isinstance(b, dict) else {"eq": b}
    if _holds_on_missing(a) and not _holds_on_missing(b):
        return False
    allowed = _listed(a)
    for op, v in b.items():
        if op in ("eq", "in"):
            ok = allowed is not None and allowed <= {_vkey(x) for x in (v if op == "in" else [v])}
        elif op in ("ne", "not_in"):
            banned = {_vkey(x) for x in (v if op == "not_in" else [v])}
            ok = (allowed is not None and not allowed & banned) or banned <= _excluded(a)
        elif op in _NUMERIC_OPS:
            ok = _bound_implies(a, op, v)
        elif op == "exists":
            ok = a.get("exists") is False if v is False else not _holds_on_missing(a)
        elif op in ("contains", "contains_any"):
            wanted = {_vkey(x) for x in (v if op == "contains_any" else [v])}
            ok = ("contains" in a and _vkey(a["contains"]) in wanted) or (
                bool(a.get("contains_any")) and {_vkey(x) for x in a["contains_any"]} <= wanted
            )
        else:
            ok = False
        if not ok:
            return False
    return True


def _where_implies(a: dict, b: dict) -> bool:
    return all(f in a and _pred_implies(a[f], pb) for f, pb in (b or {}).items())


def _leaf_window(cond: dict) -> tuple[str, int] | None:
    """A leaf's window: ("days", N) for within_days, ("period", N) for the ladder's default (inside
    the period as well), None for none (any_time, or a ladder without a default)."""
    if "within_days" in cond:
        return ("days", cond["within_days"])
    if "default_window" in cond:
        return ("period", cond["default_window"])
    return None


def _counts_every_record_of(lo: dict, hi: dict) -> bool:
    """Provably, every record the leaf `lo` counts the leaf `hi` counts too: hi's type, where,
    any_item clauses, unflagged, window (and mean threshold) are each no stricter than lo's."""
    if lo.get("evidence") != hi.get("evidence") or not _where_implies(lo.get("where", {}), hi.get("where", {})):
        return False
    lo_items = item_clauses(lo)
    for hb in item_clauses(hi):
        if not any(
            la["field"] == hb["field"] and _where_implies(la.get("where", {}), hb.get("where", {})) for la in lo_items
        ):
            return False
    if hi.get("unflagged") and not lo.get("unflagged"):
        return False
    if ("regularly" in lo or "regularly" in hi) and (
        {k: v for k, v in lo.get("regularly", {}).items() if k != "min_periods"}
        != {k: v for k, v in hi.get("regularly", {}).items() if k != "min_periods"}
    ):
        return False
    w_lo, w_hi = _leaf_window(lo), _leaf_window(hi)
    if w_hi is not None and (w_lo is None or w_lo[1] > w_hi[1] or (w_lo[0], w_hi[0]) == ("days", "period")):
        return False
    if "linked_to" in hi and ("linked_to" not in lo or not _counts_every_record_of(lo["linked_to"], hi["linked_to"])):
        return False  # hi counts only records linked to what its clause matches: lo's links must be to such records
    if "mean" in hi:
        m_lo, m_hi = lo.get("mean", {}), hi["mean"]
        op = "gte" if "gte" in m_hi else "gt"
        if not _pred_implies({k: m_lo[k] for k in ("gte", "gt") if k in m_lo}, {op: m_hi[op]}):
            return False
    return True


def lint(book: RuleBook) -> list[Problem]:
    """Problems in a rule book that loaded cleanly (loading already rejects the rest): unlabelled
    policy numbers (errors, when ladder.yaml asks), the pack against its packet schema, and
    warnings. A criterion's `acknowledge` takes its warnings out (acknowledged, with a reason);
    an acknowledgement no warning needs is itself a warning."""
    out: list[Problem] = basis_problems(book) + schema_agreement(book)
    for lv, lr in book.level_rules.items():
        if len(lr.criteria) < MIN_CRITERIA_PER_LEVEL:
            out.append(
                Problem(
                    lr.file,
                    "/criteria",
                    f"{lv} has {len(lr.criteria)} criteria; a level should have at least {MIN_CRITERIA_PER_LEVEL}",
                    line=lr.line,
                    severity="warning",
                    kind="lint",
                )
            )
        seen: dict[str, str] = {}
        for c in lr.criteria:
            key = json.dumps(c.condition, sort_keys=True)
            if key in seen:
                out.append(_warning(c, "same-condition", f"{c.id} has the same condition as {seen[key]}"))
            seen[key] = c.id
    for track, members in book.tracks.items():
        for lo, hi in zip(members, members[1:]):
            for c in book.criteria(hi):
                for below in (b for b in book.criteria(lo) if c.aspect and b.aspect == c.aspect):
                    d_hi, d_lo = _leaf_demand(c), _leaf_demand(below)
                    if not (d_hi and d_lo and _counts_alike(c, below) and d_hi[1] < d_lo[1]):
                        continue
                    if _counts_every_record_of(below.condition, c.condition):  # fewer of the same records
                        out.append(
                            _warning(
                                c,
                                "demands-less",
                                f"{c.id} asks for {d_hi[1]} {d_hi[0]} record(s) but "
                                f"the level below asks for {d_lo[1]} ({below.id}); a higher level should "
                                f"not demand less ({track} track)",
                            )
                        )
                    elif not _counts_every_record_of(c.condition, below.condition):  # neither way provable
                        out.append(
                            _note(
                                c,
                                "demands-less",
                                f"{c.id} asks for {d_hi[1]} {d_hi[0]} record(s) and the "
                                f"level below {d_lo[1]} ({below.id}), under conditions lint cannot compare; "
                                f"it cannot tell whether the higher level demands less ({track} track)",
                            )
                        )
                    # else: fewer records of a provably stricter kind, a trade lint does not judge
            required_hi = {c.aspect for c in book.criteria(hi) if c.required and c.aspect}
            for below in book.criteria(lo):
                if below.required and below.aspect and below.aspect not in required_hi:
                    for c in (c for c in book.criteria(hi) if c.aspect == below.aspect):
                        out.append(
                            _warning(
                                c,
                                "required-below",
                                f"{below.aspect} is required at {lo} ({below.id}) "
                                f"but only supporting at {hi} ({c.id}; {track} track)",
                            )
                        )
    return _acknowledged(book, _unique(out))


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))  # the first of equal problems, in order


def _acknowledged(book: RuleBook, problems: list[Problem]) -> list[Problem]:
    """Warnings a criterion acknowledges become severity "acknowledged" (kept, with the reason)."""
    acks = {c.id: c for c in book.all_criteria() if c.acknowledge}
    used: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        parts = p.kind.split(":")
        if len(parts) == 3 and parts[2] in acks and parts[1] in acks[parts[2]].acknowledge:
            used.add((parts[2], parts[1]))
            why = acks[parts[2]].acknowledge[parts[1]]
            p = Problem(p.source, p.path, f"{p.message}; acknowledged: {why}", p.line, p.column, "lint", "acknowledged")
        elif len(parts) == 3:
            p = Problem(p.source, p.path, p.message, p.line, p.column, "lint", p.severity)
        out.append(p)
    for cid, c in acks.items():
        for code in c.acknowledge:
            if (cid, code) not in used:
                out.append(
                    Problem(
                        c.file,
                        "",
                        f"{cid} acknowledges a {code} warning that lint does not raise; remove the acknowledgement",
                        line=c.line,
                        severity="warning",
                        kind="lint",
                    )
                )
    return out


def schema_agreement(book: RuleBook) -> list[Problem]:
    """The pack and the packet schema agree: every level id, alias and track name of ladder.yaml can
    be written in a packet. (A packet schema beside the rules folder may not let it, and then the
    pack's own ids would be rejected in every packet that names them.)"""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(book.packet_schema.data)

    def packet(**cand: str) -> dict:
        return {
            "schema_version": 1,
            "candidate": {"id": "lint", **cand},
            "period": {"start": "2025-01-01", "end": "2025-01-02"},
            "evidence": [],
        }

    out = []
    for lv in book.ordered_levels():
        for name in (lv, *book.levels[lv].aliases):
            if not validator.is_valid(packet(current_level=name)):
                what = "level id" if name == lv else f"alias of {lv}"
                out.append(
                    Problem(
                        book.ladder_file,
                        "",
                        f"the packet schema rejects {name!r} ({what}) as a "
                        "candidate's current_level: no packet could name it",
                        kind="lint",
                        line=book.ladder_lines.get(f"level:{lv}"),
                    )
                )
    for track in book.tracks:
        if not validator.is_valid(packet(current_level=book.tracks[track][0], track=track)):
            out.append(
                Problem(
                    book.ladder_file,
                    "",
                    f"the packet schema rejects the track {track!r}: no packet could name it",
                    kind="lint",
                    line=book.ladder_lines.get(f"track:{track}"),
                )
            )
    return out


def lint_paths(book: RuleBook, paths: PathBook) -> list[Problem]:
    """Problems in adjacent-path profiles that loaded cleanly (engine.book.career_paths rejects the rest):
    unlabelled policy numbers (errors, as for levels, when ladder.yaml asks) and warnings."""
    out: list[Problem] = []
    for p in paths.paths.values():
        if book.label_policy_numbers and p.min_supporting and p.basis != "policy":
            out.append(
                Problem(
                    p.file,
                    "/policy",
                    f"{p.id}: the policy's min_supporting is not in the guide; label "
                    "it basis: policy with a basis_note",
                    kind="lint",
                )
            )
        seen: dict[str, str] = {}
        for s in p.signals:
            out += _number_labels(
                s,
                "signal",
                book.label_policy_numbers,
                partial(Problem, s.file, "", line=s.line, severity="warning", kind="lint"),
            )
            key = json.dumps(s.condition, sort_keys=True)
            if key in seen:
                out.append(
                    Problem(
                        s.file,
                        "",
                        f"{s.id} has the same condition as {seen[key]}",
                        line=s.line,
                        severity="warning",
                        kind="lint",
                    )
                )
            seen[key] = s.id
    return out


def paths_engine_check(paths: PathBook, people: Mapping[str, str] | None = None) -> list[Problem]:
    """Compile the adjacent paths and register them with the engine: proves durable_rules accepts them.
    `people`: the rule book's person fields (RuleBook.people; default the bundled types')."""
    from ..book.compiler import compile_signals
    from ..core.firing import rules_engine

    if not paths.paths:
        return []
    try:
        groups = [(p.id, p.signals) for p in paths.paths.values()]
        rules_engine().ensure(compile_signals(groups, people) if people is not None else compile_signals(groups))
    except Exception as exc:  # noqa: BLE001 - report, do not crash
        return [Problem(paths.directory, "", f"the rules engine rejected the adjacent paths: {exc}", kind="engine")]
    return []


def engine_check(book: RuleBook) -> list[Problem]:
    """Compile every level and register it with the engine: proves durable_rules accepts the rules."""
    from ..core.firing import rules_engine

    out = []
    eng = rules_engine()
    for lv in book.ordered_levels():
        try:
            plan = compile_path(book, (lv,))
            eng.ensure(plan)
        except Exception as exc:  # noqa: BLE001 - report, do not crash
            out.append(
                Problem(book.level_rules[lv].file, "", f"the rules engine rejected this level: {exc}", kind="engine")
            )
    return out


# -- show --------------------------------------------------------------------------------------
def show_dict(book: RuleBook, level: str | None = None, paths: PathBook | None = None) -> dict:
    """The levels (or one), and with `paths` the adjacent paths after them."""
    out = _levels_dict(book, level)
    if paths is not None and paths.paths:
        out["paths"] = [
            {
                "id": p.id,
                "title": p.title,
                "source": p.source,
                "policy": {"min_supporting": p.min_supporting, **_basis(p)},
                "signals": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "source": s.source,
                        "required": s.required,
                        "evidence_types": s.evidence_types,
                        "needs": describe(s.condition),
                        **_basis(s),
                    }
                    for s in p.signals
                ],
            }
            for p in paths.paths.values()
        ]
        out["paths_version"] = paths.version
    return out


def _levels_dict(book: RuleBook, level: str | None = None) -> dict:
    levels = []
    for lv in book.ordered_levels():
        if level and lv != level:
            continue
        L = book.levels[lv]
        pol = book.level_rules[lv].policy
        levels.append(
            {
                "id": lv,
                "title": L.title,
                "order": L.order,
                "tracks": list(L.tracks),
                "aliases": list(L.aliases),
                "guide_level": L.guide_level,
                "policy": {
                    "min_supporting": pol.min_supporting,
                    **({"min_supporting_per_aspect": dict(pol.per_aspect)} if pol.per_aspect else {}),
                    "sufficient_evidence": {"min_records": pol.min_records, "within_days": pol.within_days},
                    **_basis(pol),
                },
                "criteria": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "source": c.source,
                        "required": c.required,
                        "evidence_types": c.evidence_types,
                        "needs": describe(c.condition),
                        **_basis(c),
                        **_window(book, c),
                    }
                    for c in book.criteria(lv)
                ],
            }
        )
    out: dict[str, Any] = {"rules_version": book.version, "levels": levels}
    if book.default_window and book.default_window[1] == "policy":
        out["default_window"] = {
            "days": book.default_window[0],
            "basis": "policy",
            "basis_note": book.default_window[2],
        }
    return out


def _window(book: RuleBook, c) -> dict:
    """A criterion relying on the ladder's default window, when the ladder labels that window policy."""
    if c.window and book.default_window and book.default_window[1] == "policy":
        return {"window": {"days": c.window, "basis": "policy"}}
    return {}


def _per_aspect_words(policy: dict) -> str:
    """' (of them: at least 1 delivery, 2 discovery)' for a policy with per-aspect thresholds."""
    per = policy.get("min_supporting_per_aspect")
    if not per:
        return ""
    return " (of them: at least " + ", ".join(f"{n} {a}" for a, n in per.items()) + ")"


def _basis(x) -> dict:
    return {"basis": x.basis or "guide", **({"basis_note": x.basis_note} if x.basis_note else {})}


def _kind(c: dict) -> str:
    return "required" if c["required"] else "supporting"


def show_text(book: RuleBook, level: str | None = None, markdown: bool = False, paths: PathBook | None = None) -> str:
    d = show_dict(book, level, paths)
    text = _levels_text(d, markdown)
    if "paths" in d:
        text += "\n" + _paths_text(d, markdown)
    return text


def _md_row(x: dict, *more: str) -> str:
    """A criterion's or a path signal's markdown table row: id and title, kind, needs, then `more`."""
    kind = (
        _md(_kind(x))
        + (f"<br>policy: {_md(x['basis_note'])}" if x["basis"] == "policy" else "")
        + (f"<br>policy: default window {x['window']['days']} days" if "window" in x else "")
    )
    return f"| **{_md(x['id'])}**<br>{_md(x['title'])} | {kind} | {_md(x['needs'])} |" + "".join(
        f" {_md(m)} |" for m in more
    )


def _text_item(x: dict, *more: str) -> list[str]:
    """A criterion's or a path signal's lines in text: marked required (*) or supporting (-), what
    it needs, then `more`, then its policy note if it is labelled policy."""
    out = [f"  {'*' if x['required'] else '-'} {x['id']}: {x['title']}", f"      needs {x['needs']}"]
    out += [f"      {m}" for m in more]
    if x["basis"] == "policy":
        out.append(f"      policy: {x.get('basis_note', '')}")
    if "window" in x:
        out.append(f"      policy: default window {x['window']['days']} days")
    return out


def _paths_text(d: dict, markdown: bool) -> str:
    out = []
    if markdown:
        out += [
            "# Adjacent career paths",
            "",
            "A fit of strong, some or none: a career-conversation aid, never a "
            f"promotion verdict. Paths version `{d['paths_version']}`.",
            "",
        ]
        for p in d["paths"]:
            pol = p["policy"]
            out += [
                f"## {_md(p['id'])} — {_md(p['title'])}",
                "",
                f"Source: {_md(p['source'])}. Strong: every required "
                f"signal and at least {pol['min_supporting']} supporting; some: any signal."
                + (f" Policy: {_md(pol['basis_note'])}" if pol.get("basis_note") else ""),
                "",
                "| Signal | Kind | Needs |",
                "|---|---|---|",
            ]
            out += [_md_row(s) for s in p["signals"]]
            out.append("")
        return "\n".join(out)
    out.append("Adjacent career paths (a fit of strong, some or none; never a promotion verdict)")
    out.append("")
    for p in d["paths"]:
        pol = p["policy"]
        out.append(f"{p['id']} · {p['title']} (source: {p['source']})")
        out.append(
            f"  strong: all required + {pol['min_supporting']} supporting · some: any signal"
            + (" (policy)" if pol["basis"] == "policy" else "")
        )
        for s in p["signals"]:
            out += _text_item(s)
        out.append("")
    out.append(f"paths {d['paths_version']}")
    return terminal_lines(out)


def _levels_text(d: dict, markdown: bool) -> str:
    out = []
    if markdown:
        out += ["# The ladder's criteria", "", f"Rules version `{d['rules_version']}`", ""]
        if "default_window" in d:
            w = d["default_window"]
            out += [
                f"Default window: {w['days']} days, inside the period, for every criterion without a window of its "
                f"own. Policy: {_md(w['basis_note'])}",
                "",
            ]
        for L in d["levels"]:
            p = L["policy"]
            out += [
                f"## {_md(L['id'])} — {_md(L['title'])} ({_md(L['guide_level'])}; tracks: "
                f"{_md(', '.join(L['tracks']))})",
                "",
                f"Ready when every required criterion is met and at least {p['min_supporting']} supporting "
                f"ones{_per_aspect_words(p)}; insufficient evidence when fewer than "
                f"{p['sufficient_evidence']['min_records']} records "
                f"are dated within {p['sufficient_evidence']['within_days']} days of the as-of date."
                + (f" Policy: {_md(p['basis_note'])}" if p.get("basis_note") else ""),
                "",
                "| Criterion | Kind | Needs | Source |",
                "|---|---|---|---|",
            ]
            out += [_md_row(c, c["source"]) for c in L["criteria"]]
            out.append("")
        return "\n".join(out)
    if "default_window" in d:
        w = d["default_window"]
        out += [
            f"default window: {w['days']} days, inside the period, for every criterion without its own (policy: "
            f"{w['basis_note']})",
            "",
        ]
    for L in d["levels"]:
        p = L["policy"]
        out.append(
            f"{L['id']} · {L['title']} ({L['guide_level']}; tracks: {', '.join(L['tracks'])}; "
            f"aliases: {', '.join(L['aliases']) or '-'})"
        )
        out.append(
            f"  ready: all required + {p['min_supporting']} supporting{_per_aspect_words(p)} · insufficient "
            f"evidence below "
            f"{p['sufficient_evidence']['min_records']} records in {p['sufficient_evidence']['within_days']} days"
            + (" (policy)" if p["basis"] == "policy" else "")
        )
        if p.get("basis_note"):
            out.append(f"  policy: {p['basis_note']}")
        for c in L["criteria"]:
            out += _text_item(c, f"source: {c['source']}")
        out.append("")
    out.append(f"(* required, - supporting; policy: a number the guide does not give) rules {d['rules_version']}")
    return terminal_lines(out)


# -- test --------------------------------------------------------------------------------------
@dataclass
class CaseResult:
    fixture: str
    golden: str
    status: str  # pass | fail | new | error
    diff: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)


def golden_path(fixture: Path, expected_dir: Path) -> Path:
    return expected_dir / (fixture.stem + ".golden")


def golden_of(verdict: dict) -> dict:
    """What a golden records: everything but the rules and schema hashes (which every rule or
    schema edit changes). packet_sha256 stays: a change to how packets are hashed would strand
    every recorded verdict (ladder reverify), so it must show up here."""
    return {k: v for k, v in verdict.items() if k not in ("rules_version", "schema_version")}


EXPECT_KEY = "x-expected-verdict"  # a fixture's stated intent (an x- field: packets may carry it)


def _intent(packet_data: object, verdict: str) -> list[str]:
    """The fixture's expected verdict against the one it got ([] when it states none or they agree)."""
    want = packet_data.get(EXPECT_KEY) if isinstance(packet_data, dict) else None
    if want is None or want == verdict:
        return []
    return [f"expected verdict {want} ({EXPECT_KEY}), got {verdict}"]


def diff_paths(old: dict, new: dict) -> list[str]:
    """What changed in a fixture's fit with the adjacent paths, path by path, signal by signal."""
    out = []
    olds = {p["id"]: p for p in old.get("paths", [])}
    news = {p["id"]: p for p in new.get("paths", [])}
    for pid in sorted(set(olds) | set(news)):
        a, b = olds.get(pid), news.get(pid)
        if a is None or b is None:
            out.append(f"path {pid}: " + ("new path, " + b["fit"] if b else "path removed"))
            continue
        if a["fit"] != b["fit"]:
            out.append(f"path {pid}: {a['fit']} -> {b['fit']}")
        sa, sb = _signal_statuses(a), _signal_statuses(b)
        for sid in sorted(set(sa) | set(sb)):
            x, y = sa.get(sid), sb.get(sid)
            if x is None or y is None:
                out.append(f"  {sid}: " + (f"new signal, {y[0]}" if y else "signal removed"))
            elif x[0] != y[0]:
                out.append(f"  {sid}: {x[0]} -> {y[0]}" + (f" ({', '.join(y[1])})" if y[1] else ""))
            elif x != y:
                out.append(f"  {sid}: cites {x[1]} -> {y[1]}")
    if not out and old != new:
        out.append("  paths: order or wording changed")
    return out


def _signal_statuses(p: dict) -> dict[str, tuple[str, list[str]]]:
    """A path's signals from its JSON: id -> (met | unmet, cited evidence)."""
    out = {sid: ("met", ids) for sid, ids in p.get("met", {}).items()}
    out.update({sid: ("unmet", []) for sid in p.get("missing", [])})
    return out


BESIDE = Path("<beside>")  # snapshots of mismatches go beside their golden (the default)


def _check_golden(
    gp: Path, new: dict, update: bool, differ, name: str = "", new_dir: Path | None = BESIDE
) -> tuple[str, list[str]]:
    """(pass | updated | fail, diff lines) for one golden file; a mismatch writes NAME.new beside
    it (or into `new_dir`; None: nowhere), or with `update` rewrites it. `name` names the file in
    the messages (the paths golden)."""
    text = json.dumps(new, indent=1, ensure_ascii=False) + "\n"
    name = f" {name}" if name else ""
    if gp.exists():
        try:
            old = json.loads(gp.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        if old == new:
            if new_dir == BESIDE:
                Path(str(gp) + ".new").unlink(missing_ok=True)  # a snapshot of a failure since fixed
            return "pass", []
        d = differ(old, new)
        if update:
            gp.write_text(text, encoding="utf-8")
            return "updated", d
        if new_dir is not None:
            (Path(str(gp) + ".new") if new_dir == BESIDE else new_dir / (gp.name + ".new")).write_text(
                text, encoding="utf-8"
            )
        return "fail", d
    if update:
        gp.parent.mkdir(parents=True, exist_ok=True)
        gp.write_text(text, encoding="utf-8")
        return "updated", [f"new golden file{name}"]
    return "fail", [f"no golden file{name}; run with --update to record one"]


_WORST = ("pass", "updated", "fail")


def run_tests(
    book: RuleBook,
    fixtures: list[Path],
    expected_dir: Path,
    update: bool,
    paths: PathBook | None = None,
    new_dir: Path | None = BESIDE,
) -> list[CaseResult]:
    """Each fixture's verdict against NAME.golden, and with adjacent paths its fit against
    NAME.paths.golden (both without the rules or paths version, which every edit changes)."""
    ev = Evaluator(book)
    assessor = PathAssessor(book, paths) if paths is not None and paths.paths else None
    results = []
    if update and expected_dir.is_dir():  # snapshots of earlier failed runs: --update settles them all
        for stale in sorted(expected_dir.glob("*.golden.new")):
            stale.unlink()
    for fx in fixtures:
        gp = golden_path(fx, expected_dir)
        r = pipeline.run(fx, ev, with_plan=True)
        if r.verdict is None:
            results.append(CaseResult(str(fx), str(gp), "error", ["\n".join(str(p) for p in r.problems)]))
            continue
        new = golden_of(verdict_dict(r.verdict))
        statuses = {c["id"]: c["status"] for c in new["criteria"]}
        intent = _intent(r.packet.data if r.packet else None, new["verdict"])
        if intent:  # the fixture says what it is for: a golden cannot make a wrong verdict pass
            results.append(CaseResult(str(fx), str(gp), "fail", intent, statuses))
            continue
        status, diff = _check_golden(gp, new, update, diff_verdicts, new_dir=new_dir)
        if assessor is not None:
            assert r.packet is not None
            fits = pipeline.fit(r.packet, assessor)
            if isinstance(fits, pipeline.Result):
                results.append(CaseResult(str(fx), str(gp), "error", ["\n".join(str(p) for p in fits.problems)]))
                continue
            pnew = {k: v for k, v in paths_dict(fits).items() if k != "paths_version"}
            statuses.update({sid: st for p in pnew["paths"] for sid, (st, _) in _signal_statuses(p).items()})
            pgp = paths_golden_path(fx, expected_dir)
            pstatus, pdiff = _check_golden(pgp, pnew, update, diff_paths, pgp.name, new_dir)
            status = max(status, pstatus, key=_WORST.index)
            diff += pdiff
        results.append(CaseResult(str(fx), str(gp), status, diff, statuses))
    return results


def paths_golden_path(fixture: Path, expected_dir: Path) -> Path:
    return expected_dir / (fixture.stem + ".paths.golden")


def coverage(
    book: RuleBook, results: list[CaseResult], criteria: list[Criterion] | None = None
) -> dict[str, dict[str, int]]:
    """How many fixtures meet and leave unmet each criterion (default: the book's; or the adjacent
    paths' signals)."""
    cov = {c.id: {"met": 0, "unmet": 0} for c in (book.all_criteria() if criteria is None else criteria)}
    for r in results:
        for cid, st in r.statuses.items():
            if cid in cov:
                cov[cid][st] += 1
    return cov


def tests_text(
    results: list[CaseResult], cov: dict[str, dict[str, int]], signal_cov: dict[str, dict[str, int]] | None = None
) -> str:
    out = []
    for r in results:
        out.append(f"{r.status.upper():7} {r.fixture}")
        out += [f"        {line}" for line in r.diff]
    n = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "error", "updated")}
    out.append("")
    for what, c in [("criteria", cov)] + ([("adjacent-path signals", signal_cov)] if signal_cov else []):
        never_met = [k for k, v in c.items() if not v["met"]]
        never_unmet = [k for k, v in c.items() if not v["unmet"]]
        out.append(
            f"coverage: {len(c) - len(set(never_met) | set(never_unmet))} of {len(c)} {what} are both met "
            "and unmet by some fixture"
        )
        if never_met:
            out.append("  never met by any fixture: " + ", ".join(never_met))
        if never_unmet:
            out.append("  never unmet by any fixture: " + ", ".join(never_unmet))
    out.append(
        f"{n['pass']} passed, {n['fail'] + n['error']} failed" + (f", {n['updated']} updated" if n["updated"] else "")
    )
    return "\n".join(out)


def junit_xml(results: list[CaseResult]) -> str:
    fails = sum(r.status in ("fail", "error") for r in results)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="ladder rules test" tests="{len(results)}" failures="{fails}" errors="0">',
    ]
    for r in results:
        name = quoteattr(os.path.basename(r.fixture))
        if r.status in ("fail", "error"):
            out.append(
                f'  <testcase classname="fixtures" name={name}><failure message="verdict differs from golden">'
                f"{escape(chr(10).join(r.diff))}</failure></testcase>"
            )
        else:
            out.append(f'  <testcase classname="fixtures" name={name}/>')
    out.append("</testsuite>")
    return "\n".join(out) + "\n"


def default_fixtures(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


__all__ = [
    "RulesError",
    "coverage",
    "default_fixtures",
    "engine_check",
    "junit_xml",
    "lint",
    "run_tests",
    "show_dict",
    "show_text",
    "tests_text",
]
