"""The rule language's predicate operators, one row each: how the compiler writes it for the
engine, how an explanation tests a record against it and words it, and which field types it
applies to (checked when rules load). A new operator is one row here plus its entry in
schemas/rules.schema.json.

The engine decides met or unmet; `test` is used only to explain afterwards (which predicate a
near-miss record failed) and must mean exactly what `pattern` means on the engine: tests compare
the two on every kind of value.
"""

from __future__ import annotations

import operator as _op
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()  # a field the record does not have
_NUM = (int, float)


def _num(v: Any) -> bool:
    return isinstance(v, _NUM) and not isinstance(v, bool)


def fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def fmt_or(vals: list) -> str:
    vals = [fmt(v) for v in vals]
    return vals[0] if len(vals) == 1 else ", ".join(vals[:-1]) + " or " + vals[-1]


@dataclass(frozen=True)
class Need:
    """How a value satisfies one predicate, for the planner (engine.core.plan), which builds records
    that meet open criteria: the values the predicate names (tried first, in order), the bound it
    sets on a number (`strict`: the number itself does not satisfy), the items a list must hold
    (all of `items`, one of `one_of`), and what an absent field does (`absent`: satisfies;
    `present`: True or False when the predicate is about presence)."""

    values: tuple = ()
    low: Any = None
    high: Any = None
    strict: bool = False
    items: tuple = ()
    one_of: tuple = ()
    absent: bool = False
    present: bool | None = None


@dataclass(frozen=True)
class Operator:
    name: str
    applies_to: str  # "value": a single-valued field (enum/type checked); "number"; "list"; "any"
    pattern: Callable[[str, Any], dict]  # (engine key, argument) -> durable_rules test
    tester: Callable[[Any], Callable[[Any], bool]]  # argument -> test(value), MISSING for absent
    words: Callable[[str, Any], str]  # (field, argument) -> "role is led"
    want: Callable[[Any], str]  # argument -> what a near miss needed, "≥ 4"
    need: Callable[[Any], Need] = lambda a: Need()  # argument -> how to satisfy it (engine.core.plan)


def _eq_tester(arg: Any) -> Callable[[Any], bool]:
    if type(arg) is str:
        return lambda v: v == arg  # only a str equals a str; MISSING equals nothing
    if type(arg) is bool:
        return lambda v: v is arg
    if type(arg) in _NUM:
        return lambda v: type(v) in _NUM and v == arg  # true, false are not numbers
    return lambda v: v is not MISSING and (v == arg and type(v) is type(arg) or (_num(v) and _num(arg) and v == arg))


def _compare(sym: str, cmp: Callable[[Any, Any], bool], engine_op: str) -> Operator:
    low, strict = engine_op in ("$gt", "$gte"), engine_op in ("$gt", "$lt")
    return Operator(
        engine_op[1:],
        "number",
        lambda k, a: {engine_op: {k: a}},
        lambda a: lambda v: type(v) in _NUM and cmp(v, a),
        lambda f, a: f"{f} {sym} {fmt(a)}",
        lambda a: f"{sym} {fmt(a)}",
        lambda a: Need(low=a, strict=strict) if low else Need(high=a, strict=strict),
    )


OPERATORS: dict[str, Operator] = {
    o.name: o
    for o in [
        Operator(
            "eq",
            "value",
            lambda k, a: {k: a},
            _eq_tester,
            lambda f, a: f"{f} is {fmt(a)}",
            fmt,
            lambda a: Need(values=(a,)),
        ),
        Operator(
            "ne",
            "value",
            lambda k, a: {"$or": [{"$nex": {k: 1}}, {"$neq": {k: a}}]},
            lambda a: lambda v: v is MISSING or v != a,
            lambda f, a: f"{f} is not {fmt(a)}",
            lambda a: "not " + fmt(a),
            lambda a: Need(absent=True),
        ),
        Operator(
            "in",
            "value",
            lambda k, a: {k: a[0]} if len(a) == 1 else {"$or": [{k: x} for x in a]},
            lambda a: lambda v: v is not MISSING and v in a,
            lambda f, a: f"{f} is {fmt_or(a)}",
            fmt_or,
            lambda a: Need(values=tuple(a)),
        ),
        Operator(
            "not_in",
            "value",
            lambda k, a: {"$or": [{"$nex": {k: 1}}, {"$and": [{"$neq": {k: x}} for x in a]}]},
            lambda a: lambda v: v is MISSING or v not in a,
            lambda f, a: f"{f} is not {fmt_or(a)}",
            lambda a: "not " + fmt_or(a),
            lambda a: Need(absent=True),
        ),
        _compare(">", _op.gt, "$gt"),
        _compare("≥", _op.ge, "$gte"),
        _compare("<", _op.lt, "$lt"),
        _compare("≤", _op.le, "$lte"),
        Operator(
            "exists",
            "any",
            lambda k, a: {"$ex" if a else "$nex": {k: 1}},
            lambda a: lambda v: (v is not MISSING) == a,
            lambda f, a: f"{f} is given" if a else f"{f} is not given",
            lambda a: "to be given" if a else "to be absent",
            lambda a: Need(present=bool(a)),
        ),
        Operator(
            "contains",
            "list",
            lambda k, a: {"$iany": {k: {"$i": a}}},
            lambda a: lambda v: isinstance(v, list) and a in v,
            lambda f, a: f"{f} include {fmt(a)}",
            lambda a: "to include " + fmt(a),
            lambda a: Need(items=(a,)),
        ),
        Operator(
            "contains_any",
            "list",
            lambda k, a: {"$or": [{"$iany": {k: {"$i": x}}} for x in a]},
            lambda a: lambda v: isinstance(v, list) and any(x in v for x in a),
            lambda f, a: f"{f} include {fmt_or(a)}",
            lambda a: "to include " + fmt_or(a),
            lambda a: Need(one_of=tuple(a)),
        ),
    ]
}


def ops_of(pred: Any) -> list[tuple[str, Any]]:
    """A predicate as (operator, argument) pairs: a bare value means `eq`."""
    return list(pred.items()) if isinstance(pred, dict) else [("eq", pred)]


def holds(value: Any, op: str, arg: Any) -> bool:
    return OPERATORS[op].tester(arg)(value)
