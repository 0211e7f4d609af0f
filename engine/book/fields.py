"""What a rule may ask of the evidence, derived from the packet schema itself.

A predicate on a field or a value that no valid packet can have is an authoring error: it
would silently never match. So the rules are checked against schemas/packet.schema.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from ..base.suggest import did_you_mean, listing
from .conditions import item_clauses
from .operators import OPERATORS, ops_of
from .schema import PacketSchema, bundled_packet_schema

# A criterion must never gate on time served (the guide: impact, not titles or the clock).
TENURE_RE = re.compile(
    r"tenure|in_level|in_role|in_position|years_|_years|time_in|months_in|since_promot|hire_date|"
    r"start_date|seniority|service"
)
# Whose record it is, for `min_people`: the bundled evidence types that name another person, and where.
# A pack's own types say it in vocabulary.yaml (`person:`), marked on the type's schema node with
# PERSON_MARK; person_fields gives a packet schema's whole table.
PERSON_FIELD = {"stakeholder_feedback": "from.id", "mentoring": "mentee.id"}
PERSON_MARK = "x-ladder-person"
# The field a record names the records it builds on with (ids of the same packet); rules read it only
# through linked_to, never in where.
LINK_FIELD = "about"


def person_key(pid: object) -> str | None:
    """A person id as compared for identity: trimmed, case-folded, with separators and trailing
    punctuation dropped, so `EMP-0988 `, `emp_0988` and `emp-0988.` are one person, `emp0988`
    (None: no usable id). The people directory (engine.org.people) indexes its ids the same way."""
    if not isinstance(pid, str):
        return None
    if pid.isascii():  # every id that matches the id pattern: a table lookup, no regular expression
        return pid.lower().translate(_ASCII_DROP) or None
    return _NOT_ALNUM.sub("", pid.casefold()) or None


_NOT_ALNUM = re.compile(r"[\W_]+")  # every character but letters and digits
_ASCII_DROP = {c: None for c in range(128) if not chr(c).isalnum()}
NUMERIC_OPS = {name for name, o in OPERATORS.items() if o.applies_to == "number"}
LIST_OPS = {name for name, o in OPERATORS.items() if o.applies_to == "list"}


# Marks a field a pack declared as free text (engine.book.vocabulary): kept in the packet, never read by a rule.
FREE_TEXT_MARK = "x-ladder-free-text"
# Marks a field of one of the pack's scales (engine.book.vocabulary), naming the scale; its enum lists the
# members in the scale's order, lowest first.
SCALE_MARK = "x-ladder-scale"
ORDER_OPS = ("gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class Field:
    type: str  # string | number | integer | boolean | list | object-list | text (free text)
    enum: tuple | None = None
    item: Field | None = None
    children: tuple[tuple[str, Field], ...] = ()  # for object-list items
    scale: str | None = None  # a string field of one of the pack's scales: `enum` is its order, lowest first


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**schema["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _field(schema: dict, node: dict) -> Field:
    node = _resolve(schema, node)
    t = node.get("type")
    if node.get(FREE_TEXT_MARK):
        return Field("text")
    if "const" in node:
        return Field("string", (node["const"],))
    if t == "array":
        item = _resolve(schema, node.get("items", {}))
        if item.get("type") == "object":
            kids = tuple(sorted((k, _field(schema, v)) for k, v in item.get("properties", {}).items()))
            # derived by ladder when a packet is loaded: see evidence.normalise
            kids = tuple(sorted(kids + (("improved", Field("boolean")),)))
            return Field("object-list", children=kids)
        return Field("list", item=_field(schema, item))
    if t == "object":
        kids = tuple(sorted((k, _field(schema, v)) for k, v in node.get("properties", {}).items()))
        return Field("object", children=kids)
    return Field(t or "string", tuple(node["enum"]) if "enum" in node else None, scale=node.get(SCALE_MARK))


@lru_cache(maxsize=8)
def evidence_fields(schema: PacketSchema | None = None) -> dict[str, dict[str, Field]]:
    """type -> dotted field path -> Field, for every evidence type in the packet schema."""
    data = (schema or bundled_packet_schema()).data
    out: dict[str, dict[str, Field]] = {}
    for ref in data["$defs"]["evidence"]["allOf"]:
        etype = ref["if"]["properties"]["type"]["const"]
        props = _resolve(data, ref["then"])["properties"]
        fields: dict[str, Field] = {}
        for name, sub in props.items():
            f = _field(data, sub)
            if f.type == "object":
                for kname, kf in f.children:
                    fields[f"{name}.{kname}"] = kf
            else:
                fields[name] = f
        out[etype] = fields
    return out


@lru_cache(maxsize=8)
def person_fields(schema: PacketSchema | None = None) -> Mapping[str, str]:
    """Evidence type -> the dotted field naming the person its records are from or about, for every
    type of the packet schema that has one: the bundled types' (PERSON_FIELD) and those a pack's
    vocabulary declares (`person:`, engine.book.vocabulary). The bundled schema gives PERSON_FIELD."""
    data = (schema or bundled_packet_schema()).data
    out: dict[str, str] = {}
    for ref in data["$defs"]["evidence"]["allOf"]:
        etype = ref["if"]["properties"]["type"]["const"]
        pf = _resolve(data, ref["then"]).get(PERSON_MARK) or PERSON_FIELD.get(etype)
        if isinstance(pf, str):
            out[etype] = pf
    return MappingProxyType(out)


# Never asserted into the engine (evidence.normalise drops them), so a predicate on one never matches.
# Keys whose values are free text wherever they appear in a packet (and `from.role`): never a fact
# the rules can read, never echoed in a message (engine.core.evidence, engine.core.facts, engine.book.vocabulary).
FREE_TEXT_KEYS = frozenset({"title", "notes", "quote", "links", "name", "role_text"})
FREE_TEXT = {"title", "notes", "quote", "links", "from.role", "id", "date", "name", "unit"}


def _free_text(name: str, f: Field) -> bool:
    """Free text by name (the bundled schema's titles, notes, quotes...) or by a pack's declaration."""
    return name in FREE_TEXT or f.type == "text"


class FieldChecker:
    def __init__(self, level_ids: set[str], schema: PacketSchema | None = None):
        self.types = evidence_fields(schema)
        self.people = person_fields(schema)
        self.level_ids = level_ids

    def check_condition(self, cond: dict, ptr: str) -> Iterator[tuple[str, str, str]]:
        for key in ("all_of", "any_of", "of"):
            if key in cond:
                if key == "of" and cond["at_least"] > len(cond["of"]):
                    yield (
                        f"{ptr}/at_least",
                        f"at_least {cond['at_least']} of {len(cond['of'])} conditions can never "
                        f"be met: use 1..{len(cond['of'])}",
                        "rules",
                    )
                for i, sub in enumerate(cond[key]):
                    yield from self.check_condition(sub, f"{ptr}/{key}/{i}")
                return
        etype = cond["evidence"]
        if etype not in self.types:
            yield (f"{ptr}/evidence", f"unknown evidence type {etype!r}{did_you_mean(etype, self.types)}", "rules")
            return
        fields = self.types[etype]
        for fname, pred in cond.get("where", {}).items():
            fp = f"{ptr}/where/{fname}"
            if fname == LINK_FIELD:
                yield (
                    fp,
                    f"{LINK_FIELD} names the records a record builds on; a rule follows it with linked_to "
                    "(a clause the named records must match), not with where",
                    "rules",
                )
                continue
            if TENURE_RE.search(fname):
                yield (
                    fp,
                    f"{fname!r} gates on tenure or time in level; the ladder measures impact, not the clock",
                    "tenure",
                )
                continue
            yield from self._check_pred(fields, etype, fname, pred, fp)
        clauses = item_clauses(cond)
        for i, ai in enumerate(clauses):
            at = f"{ptr}/any_item" + (f"/{i}" if isinstance(cond["any_item"], list) else "")
            f = fields.get(ai["field"])
            if f is None or f.type != "object-list":
                lists = [k for k, v in fields.items() if v.type == "object-list"]
                yield (
                    f"{at}/field",
                    f"{etype} has no list of records called {ai['field']!r}"
                    + (f" (it has: {', '.join(lists)})" if lists else ""),
                    "rules",
                )
            else:
                kids = dict(f.children)
                for fname, pred in ai["where"].items():
                    yield from self._check_pred(kids, f"{etype}.{ai['field']}[]", fname, pred, f"{at}/where/{fname}")
        if "regularly" in cond:
            yield from _check_regularly(cond["regularly"], f"{ptr}/regularly")
        for agg in ("distinct", "mean"):
            if agg in cond:
                fname = cond[agg]["field"]
                f = fields.get(fname)
                fp = f"{ptr}/{agg}/field"
                if f is None or _free_text(fname, f):
                    yield (fp, f"{etype} has no field {fname!r}{did_you_mean(fname, fields)}", "rules")
                elif agg == "mean" and f.type not in ("number", "integer"):
                    yield (fp, f"mean needs a numeric field; {etype}.{fname} is {f.type}", "rules")
                elif agg == "distinct" and f.type not in ("string", "integer", "boolean"):
                    yield (fp, f"distinct needs a single-valued field; {etype}.{fname} is {f.type}", "rules")
        if TENURE_RE.search(str(cond.get("distinct", {}).get("field", ""))):
            yield (f"{ptr}/distinct", "gates on tenure", "tenure")
        if "linked_to" in cond:
            lp = f"{ptr}/linked_to"
            if LINK_FIELD not in fields:
                yield (
                    lp,
                    f"{etype} records cannot name records they build on (the packet schema gives {etype} no "
                    f"{LINK_FIELD} field), so linked_to could never hold",
                    "rules",
                )
            yield from self.check_condition(cond["linked_to"], lp)
        if "min_people" in cond and etype not in self.people:
            yield (
                f"{ptr}/min_people",
                f"min_people counts the people a record names; {etype} names none "
                f"(it applies to: {', '.join(sorted(self.people))}; a pack's own type names its person with "
                "person: in vocabulary.yaml)",
                "rules",
            )

    def _check_pred(self, fields: dict[str, Field], where: str, fname: str, pred, fp: str):
        f = fields.get(fname)
        if f is None or _free_text(fname, f):
            readable = [k for k, v in fields.items() if not _free_text(k, v)]
            yield (
                fp,
                f"{where} has no field {fname!r}{did_you_mean(fname, readable)}"
                + (" (free text is not matched by rules)" if f is not None or fname in FREE_TEXT else ""),
                "rules",
            )
            return
        for op, val in ops_of(pred):
            vals = val if isinstance(val, list) else [val]
            if OPERATORS[op].applies_to == "any":
                continue
            if op in LIST_OPS:
                if f.type != "list":
                    yield (fp, f"{op} needs a list field; {where}.{fname} is {f.type}", "rules")
                    continue
                assert f.item is not None  # a list field has its item's Field (_field)
                yield from self._check_values(f.item, where, fname, vals, fp)
                continue
            if f.type in ("list", "object-list"):
                yield (fp, f"{where}.{fname} is a list; use contains/contains_any (or any_item for records)", "rules")
                continue
            if op in NUMERIC_OPS:
                if f.scale is not None:
                    yield from _check_scale(f, where, fname, op, val, fp)
                elif f.type in ("number", "integer") and (isinstance(val, bool) or not isinstance(val, (int, float))):
                    yield (fp, f"{op} compares numbers; {where}.{fname} is a number, not {brief_value(val)}", "rules")
                elif f.type not in ("number", "integer"):
                    yield (
                        fp,
                        f"{op} compares numbers; {where}.{fname} is {f.type}"
                        + (
                            " (or the members of a scale: a field whose values are ordered is declared "
                            "type: scale in vocabulary.yaml)"
                            if f.type == "string"
                            else ""
                        ),
                        "rules",
                    )
                continue
            yield from self._check_values(f, where, fname, vals, fp)
        if f.scale is not None and isinstance(pred, dict) and sum(op in pred for op in (*ORDER_OPS, "in")) > 1:
            got = _where_as_lists({fname: pred}, {fname: f})[fname]
            if isinstance(got, dict) and got.get("in") == []:
                yield (
                    fp,
                    f"{where}.{fname}: no member of the scale {f.scale} satisfies all of "
                    f"{', '.join(f'{op} {v}' for op, v in pred.items())} (lowest first: "
                    f"{', '.join(f.enum or ())})",
                    "rules",
                )

    def _check_values(self, f: Field, where: str, fname: str, vals: list, fp: str):
        for v in vals:
            if f.type == "boolean" and not isinstance(v, bool):
                yield (fp, f"{where}.{fname} is true or false, not {v!r}", "rules")
            elif f.type in ("number", "integer") and (isinstance(v, bool) or not isinstance(v, (int, float))):
                yield (fp, f"{where}.{fname} is a number, not {v!r}", "rules")
            elif f.type == "string" and not isinstance(v, str):
                yield (fp, f"{where}.{fname} is text, not {v!r}", "rules")
            elif f.enum is not None and v not in f.enum:
                yield (
                    fp,
                    f"{v!r} can never occur in {where}.{fname}{did_you_mean(v, f.enum)} (allowed: {listing(f.enum)})",
                    "rules",
                )
            elif (
                fname.split(".")[-1] in ("level", "levels")
                and f.enum is None
                and isinstance(v, str)
                and v not in self.level_ids
            ):
                yield (fp, f"unknown level {v!r}{did_you_mean(v, self.level_ids)}; use canonical level ids", "rules")


def _check_scale(f: Field, where: str, fname: str, op: str, val: object, fp: str) -> Iterator[tuple[str, str, str]]:
    """An order comparison on a scale field: its value is a member, and some member satisfies it."""
    members = f.enum or ()
    if not isinstance(val, str) or val not in members:
        yield (
            fp,
            f"{op} on {where}.{fname} compares members of the scale {f.scale}; {brief_value(val)} is not one"
            f"{did_you_mean(val, members) if isinstance(val, str) else ''} (lowest first: {', '.join(members)})",
            "rules",
        )
    elif not scale_members(members, op, val):
        end = "top" if op == "gt" else "bottom"
        yield (
            fp,
            f"{op} {val} can never hold: {val} is the {end} of the scale {f.scale} "
            f"(lowest first: {', '.join(members)})",
            "rules",
        )


def brief_value(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def scale_members(members: tuple | list, op: str, val: str) -> list:
    """The members of a scale (lowest first) that satisfy `op val`, in the scale's order."""
    i = list(members).index(val)
    return list({"gte": members[i:], "gt": members[i + 1 :], "lte": members[: i + 1], "lt": members[:i]}[op])


def scales_as_lists(cond: dict, types: dict[str, dict[str, Field]]) -> dict:
    """The condition as the engine decides it: every order comparison (gt, gte, lt, lte) on a scale
    field written as the `in` list of the members that satisfy it, in the scale's order
    (`level: {gte: skilled}` on aware < adept < skilled < expert is `level: {in: [skilled, expert]}`);
    several on one field (and an `in` beside them) are one list, the members every one allows. The
    engine then fires an ordinary `in` pattern. A condition without such a comparison is returned as
    it is (the same object). Run after the condition is checked (FieldChecker): a predicate that is
    not a valid comparison on a scale field is left alone."""
    if "evidence" not in cond:
        for key in ("all_of", "any_of", "of"):
            if key in cond:
                subs = [scales_as_lists(c, types) for c in cond[key]]
                if any(a is not b for a, b in zip(subs, cond[key])):
                    return {**cond, key: subs}
        return cond
    fields = types.get(cond["evidence"], {})
    out = cond
    if "linked_to" in cond:
        clause = scales_as_lists(cond["linked_to"], types)
        if clause is not cond["linked_to"]:
            out = {**out, "linked_to": clause}
    where = cond.get("where")
    if isinstance(where, dict):
        new = _where_as_lists(where, fields)
        if new is not where:
            out = {**out, "where": new}
    items = cond.get("any_item")
    if items is not None:
        clauses = items if isinstance(items, list) else [items]
        changed = []
        for ai in clauses:
            f = fields.get(ai.get("field", ""))
            kids = dict(f.children) if f is not None and f.type == "object-list" else {}
            new = _where_as_lists(ai.get("where", {}), kids)
            changed.append(ai if new is ai.get("where") else {**ai, "where": new})
        if any(a is not b for a, b in zip(changed, clauses)):
            out = {**out, "any_item": changed if isinstance(items, list) else changed[0]}
    return out


def _where_as_lists(where: dict, fields: dict[str, Field]) -> dict:
    new = dict(where)
    for fname, pred in where.items():
        f = fields.get(fname)
        if f is None or f.scale is None or not isinstance(pred, dict) or not any(op in pred for op in ORDER_OPS):
            continue
        members = list(f.enum or ())
        allowed = list(members)
        for op, val in pred.items():
            if op in ORDER_OPS:
                if not isinstance(val, str) or val not in members:
                    break
                keep = scale_members(members, op, val)
            elif op == "in" and isinstance(val, list):
                keep = val
            else:
                continue
            allowed = [m for m in allowed if m in keep]
        else:
            rest = {op: v for op, v in pred.items() if op not in ORDER_OPS and op != "in"}
            new[fname] = {**rest, "in": allowed}
    return new if new != where else where


MAX_REGULAR_SPAN = 3660  # days: the longest window any condition may look back (within_days' bound)


def _check_regularly(reg: dict, ptr: str) -> Iterator[tuple[str, str, str]]:
    """`regularly` holds numbers the schema cannot relate to one another."""
    if reg["min_periods"] > reg["periods"]:
        yield (
            f"{ptr}/min_periods",
            f"min_periods {reg['min_periods']} of {reg['periods']} periods can never be met: use 1..{reg['periods']}",
            "rules",
        )
    span = reg["periods"] * reg["of_days"]
    if span > MAX_REGULAR_SPAN:
        yield (
            ptr,
            f"{reg['periods']} periods of {reg['of_days']} days look back {span} days; at most {MAX_REGULAR_SPAN}",
            "rules",
        )
