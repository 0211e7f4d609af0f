"""A pack's own evidence vocabulary: rules/vocabulary.yaml, beside ladder.yaml.

A company's framework names things the bundled packet schema has no word for: a theme, an artifact
kind, a field, a kind of record. The pack declares them here and the packet schema it checks
packets with (and rules against) gains them, so a rule uses them exactly like bundled ones. Only
additions: a packet valid under the bundled schema stays valid under the extended one (fields added
to an existing type are optional, values are only ever added), and a pack without the file keeps
the bundled schema byte for byte.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..base.errors import Problem
from ..base.loader import Document
from ..base.suggest import did_you_mean, listing
from .fields import FREE_TEXT, FREE_TEXT_KEYS, FREE_TEXT_MARK, SCALE_MARK, TENURE_RE
from .schema import PacketSchema

FILE_NAMES = ("vocabulary.yaml", "vocabulary.yml")
# Every record has these (engine.book.fields reads them alike on every type): a new type gets them as the
# bundled types have them.
ENVELOPE = ("type", "id", "date", "title", "themes", "notes", "links", "link", "verified_by", "about", "planned")
NEW_TYPE_REQUIRED = ["id", "type", "date", "title"]
# Names a fact already uses for something else (engine.core.facts), or that ladder treats as free text
# wherever they occur (never copied into facts): a field so named would never match a rule.
FACT_KEYS = frozenset({"eid", "age_days", "before_start", "improved"})
BOUND = 10**15  # numbers stay well inside what the engine holds exactly (as the bundled metrics do)
_KEYS_OF = {"string": {"values"}, "scale": {"scale"}, "list": {"values", "max_items"}, "integer": {"minimum", "maximum"},
            "number": {"minimum", "maximum"}, "boolean": set(), "text": {"max_length"}}
_COMMON_KEYS = {"type", "description", "required"}

Report = Callable[[str, str], None]


def vocabulary_doc(docs: dict[str, Document], directory: str) -> tuple[Document | None, list[Problem]]:
    """Take the vocabulary file out of a rules folder's documents (it is not a level file). An
    empty file (comments only, as `ladder init` writes it) declares nothing."""
    found = [docs.pop(n) for n in FILE_NAMES if n in docs]
    if len(found) > 1:
        return None, [Problem(f"{directory}/vocabulary.yml", "", "both vocabulary.yaml and vocabulary.yml: keep one",
                              kind="rules")]
    doc = found[0] if found else None
    if doc is None or doc.data is None:
        return None, []
    if not isinstance(doc.data, dict):
        return None, [Problem(doc.source, "", "the vocabulary file must be a mapping starting with "
                              "vocabulary_version: 1", kind="rules")]
    return doc, []


def extend(schema: PacketSchema, doc: Document) -> tuple[PacketSchema, list[Problem]]:
    """The packet schema with the vocabulary of `doc` (already checked against
    schemas/vocabulary.schema.json) added, and every problem with it, located in `doc`."""
    problems: list[Problem] = []

    def bad(pointer: str, message: str) -> None:
        problems.append(Problem(doc.source, pointer, message, line=doc.locate(pointer), kind="rules"))

    data = copy.deepcopy(schema.data)
    vocab = doc.data
    nodes = type_nodes(data)
    scales = _scales(vocab.get("scales", {}), bad)
    _add_themes(data, vocab.get("themes", []), bad)
    for etype, body in vocab.get("extend", {}).items():
        ptr = f"/extend/{etype}"
        if etype not in nodes:
            bad(ptr, f"unknown evidence type {etype!r}{did_you_mean(etype, nodes)} (extend: adds to the packet "
                f"schema's types: {listing(nodes)}; a type of the pack's own goes under types:)")
            continue
        for fname, decl in body.get("fields", {}).items():
            _extend_field(data, nodes[etype], etype, fname, decl, f"{ptr}/fields/{fname}", bad, scales)
    for etype, body in vocab.get("types", {}).items():
        ptr = f"/types/{etype}"
        if etype in nodes:
            bad(ptr, f"{etype!r} is already an evidence type of the packet schema: add to it under extend:")
        elif etype in data["$defs"]:
            bad(ptr, f"{etype!r} clashes with the packet schema's definition of the same name: choose another name")
        else:
            _add_type(data, nodes, etype, body, ptr, bad, scales)
    return PacketSchema(data), problems


def type_nodes(data: dict) -> dict[str, dict]:
    """Evidence type -> the schema node its records are checked with (the node itself, to extend)."""
    out = {}
    for branch in data["$defs"]["evidence"]["allOf"]:
        node = branch["then"]
        if "$ref" in node:
            node = data["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        out[branch["if"]["properties"]["type"]["const"]] = node
    return out


def _resolve(data: dict, node: dict) -> dict:
    while "$ref" in node:
        node = {**data["$defs"][node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _scales(declared: dict[str, list[str]], bad: Report) -> dict[str, list[str]]:
    """The pack's scales (ordered value sets, lowest first), each checked: at least two members,
    none twice. A scale with a problem is reported and left out (a field naming it is not
    reported again as naming an unknown scale)."""
    out: dict[str, list[str]] = {}
    for name, members in declared.items():
        ptr = f"/scales/{name}"
        seen: set[str] = set()
        ok = True
        for i, m in enumerate(members):
            if m in seen:
                bad(f"{ptr}/{i}", f"{m!r} is in scale {name} twice: each member has one place in the order")
                ok = False
            seen.add(m)
        if len(seen) < 2:
            bad(ptr, f"scale {name} has {len(seen)} member{'s' if len(seen) != 1 else ''}: a scale orders at least "
                "two values, lowest first")
            ok = False
        out[name] = list(members) if ok else []
    return out


def _add_themes(data: dict, themes: list[str], bad: Report) -> None:
    if not themes:
        return
    theme = data["$defs"].get("theme", {})
    known = theme.get("enum")
    if known is None:
        bad("/themes", "this packet schema has no theme vocabulary to add to")
        return
    for i, t in enumerate(themes):
        if t in known:
            bad(f"/themes/{i}", f"{t!r} is already a theme")
    theme["enum"] = known + [t for t in themes if t not in known]


def kind_of(data: dict, node: dict) -> str:
    """A field's kind in the vocabulary's words: string (a fixed list of values), list (of such
    values), text, integer, number, boolean, or what else the packet schema has there."""
    node = _resolve(data, node)
    t = node.get("type")
    if node.get(FREE_TEXT_MARK):
        return "text"
    if node.get(SCALE_MARK):
        return "scale"
    if "enum" in node or "const" in node:
        return "string"
    if t == "array":
        item = _resolve(data, node.get("items", {}))
        return "list" if "enum" in item else ("list of records" if item.get("type") == "object" else "list of text")
    return {"string": "text", "object": "mapping"}.get(t or "", t or "any value")


def _extend_field(data: dict, node: dict, etype: str, fname: str, decl: dict, ptr: str, bad: Report,
                  scales: dict[str, list[str]]) -> None:
    """A new optional field of a bundled type, or more values for one of its enum fields. A dotted
    name (`from.counterpart`) is a field of one of the type's object fields (a feedback giver, a
    mentee), added in a copy of that object's definition, so another type sharing it is unchanged."""
    props = node.setdefault("properties", {})
    if "." in fname:
        parent, child = fname.split(".", 1)
        inner = _resolve(data, props[parent]) if parent in props else None
        if inner is None or inner.get("type") != "object" or "." in child:
            objects = sorted(k for k, v in props.items() if _resolve(data, v).get("type") == "object")
            bad(ptr, f"{etype} has no object field {parent!r} to add {child!r} to"
                + (f" (its object fields: {', '.join(objects)})" if objects else " (it has no object fields)"))
            return
        props[parent] = copy.deepcopy(inner)
        _extend_field(data, props[parent], f"{etype}.{parent}", child, decl, ptr, bad, scales)
        return
    if decl.get("required"):
        bad(f"{ptr}/required", "a field added to an existing evidence type stays optional: packets written "
            "without it must stay valid")
    if fname not in props:
        built = _new_field(fname, decl, ptr, bad, scales)
        if built is not None:
            props[fname] = built
        return
    have, want = kind_of(data, props[fname]), decl["type"]
    if fname == "themes":
        bad(ptr, "themes are one vocabulary for every evidence type: add them under themes: at the top of the file")
    elif fname in ENVELOPE:
        bad(ptr, f"{fname!r} is a field every record has; it cannot be redeclared")
    elif have != want:
        bad(f"{ptr}/type", f"{etype}.{fname} is already a field of type {have}; it cannot be redefined as {want}")
    elif have not in ("string", "list"):
        bad(ptr, f"{etype}.{fname} is already a {have} field; only a field with a fixed list of values can be "
            "extended (by more values:)")
    else:
        extra = sorted(set(decl) - {"type", "values", "description"})
        if extra:
            bad(f"{ptr}/{extra[0]}", f"{extra[0]} cannot change on the existing field {etype}.{fname}; only "
                "values: can be added")
        props[fname] = _more_values(data, props[fname], decl.get("values", []), f"{etype}.{fname}", ptr, bad)


def _more_values(data: dict, node: dict, values: list[str], name: str, ptr: str, bad: Report) -> dict:
    """An existing enum field (or list of enum values) with `values` added, written out in place:
    a definition other types share ($ref) stays as it is for them."""
    node = copy.deepcopy(_resolve(data, node))
    target = node
    if node.get("type") == "array":
        target = node["items"] = copy.deepcopy(_resolve(data, node["items"]))
    known = target["enum"] if "enum" in target else [target.pop("const")]
    if not values:
        bad(ptr, f"say which values to add to {name}: values: [...]")
    for i, v in enumerate(values):
        if v in known:
            bad(f"{ptr}/values/{i}", f"{v!r} is already allowed for {name}")
    target["enum"] = known + [v for v in values if v not in known]
    return node


def reserved_names() -> frozenset[str]:
    """Field names no declaration may take: the facts' own keys and every name ladder treats as free
    text (rules cannot read it, facts never carry it)."""

    return FACT_KEYS | FREE_TEXT_KEYS | {n for n in FREE_TEXT if "." not in n}


def _new_field(fname: str, decl: dict, ptr: str, bad: Report, scales: dict[str, list[str]]) -> dict | None:
    """The JSON Schema of a declared field, or None when the declaration is wrong (reported)."""
    if fname in reserved_names():
        bad(ptr, f"{fname!r} is a name ladder keeps for free text or for its own facts; a rule could never "
            "read it: choose another name")
        return None
    if TENURE_RE.search(fname):
        bad(ptr, f"{fname!r} reads as tenure or time in level; the ladder measures impact, not the clock, so "
            "no rule may use it")
        return None
    t = decl["type"]
    wrong = sorted(set(decl) - _KEYS_OF[t] - _COMMON_KEYS)
    for key in wrong:
        bad(f"{ptr}/{key}", f"{key} does not apply to a {t} field")
    if t == "scale":
        name = decl.get("scale")
        if name is None:
            bad(ptr, "a scale field names its scale: {type: scale, scale: NAME}, NAME one of the scales: "
                "declared at the top of the file")
            wrong.append("scale")
        elif name not in scales:
            bad(f"{ptr}/scale", f"unknown scale {name!r}{did_you_mean(name, scales)} (scales declared: "
                f"{listing(scales) or 'none'}; declare it under scales: at the top of the file, lowest first)")
            wrong.append("scale")
        elif not scales[name]:
            wrong.append("scale")  # the scale itself is wrong, and reported
    if t in ("string", "list") and "values" not in decl:
        bad(ptr, f"a {t} field needs values: (the fixed list of what it may hold); free text is type: text")
        wrong.append("values")
    lo, hi = decl.get("minimum", -BOUND), decl.get("maximum", BOUND)
    if t == "integer" and not all(float(x).is_integer() for x in (lo, hi)):
        bad(ptr, "an integer field's minimum and maximum are whole numbers")
        wrong.append("minimum")
    if lo > hi:
        bad(f"{ptr}/minimum", f"minimum {lo} is above maximum {hi}")
        wrong.append("minimum")
    if wrong:
        return None
    return _field_schema(decl, int(lo) if t == "integer" else lo, int(hi) if t == "integer" else hi, scales)


def _field_schema(decl: dict, lo: float, hi: float, scales: dict[str, list[str]]) -> dict:
    t = decl["type"]
    out: dict[str, Any]
    if t == "scale":  # one member; the enum lists them in the scale's order, lowest first (engine.book.fields)
        out = {"type": "string", "enum": list(scales[decl["scale"]]), SCALE_MARK: decl["scale"]}
    elif t == "string":
        out = {"type": "string", "enum": list(decl["values"])}
    elif t == "list":
        out = {"type": "array", "maxItems": decl.get("max_items", len(decl["values"])), "uniqueItems": True,
               "items": {"type": "string", "enum": list(decl["values"])}}
    elif t in ("integer", "number"):
        out = {"type": t, "minimum": lo, "maximum": hi}
    elif t == "text":
        out = {"type": "string", "minLength": 1, "maxLength": decl.get("max_length", 2000), FREE_TEXT_MARK: True}
    else:
        out = {"type": "boolean"}
    if "description" in decl:
        out["description"] = decl["description"]
    return out


def _add_type(data: dict, nodes: dict[str, dict], etype: str, body: dict, ptr: str, bad: Report,
              scales: dict[str, list[str]]) -> None:
    """A new evidence type: the fields every record has (taken from the bundled types, so they are
    checked alike), its own fields, and one more branch of the evidence dispatch."""
    props: dict[str, Any] = {"type": {"const": etype}}
    for name in ENVELOPE[1:]:
        have = next((n["properties"][name] for n in nodes.values() if name in n.get("properties", {})), None)
        if have is not None:
            props[name] = copy.deepcopy(have)
    required = list(NEW_TYPE_REQUIRED)
    for fname, decl in body.get("fields", {}).items():
        fptr = f"{ptr}/fields/{fname}"
        if fname in ENVELOPE:
            bad(fptr, f"{fname!r} is a field every record has already")
            continue
        if "." in fname:
            bad(fptr, f"{fname!r}: a new type's fields are declared flat (a dotted name extends an object "
                "field of a bundled type, such as stakeholder_feedback's from.counterpart)")
            continue
        built = _new_field(fname, decl, fptr, bad, scales)
        if built is not None:
            props[fname] = built
            if decl.get("required"):
                required.append(fname)
    node: dict[str, Any] = {"type": "object"}
    if "description" in body:
        node["description"] = body["description"]
    node.update({"additionalProperties": False, "required": required, "properties": props})
    extension = next((n["patternProperties"] for n in nodes.values() if "patternProperties" in n), None)
    if extension is not None:
        node["patternProperties"] = copy.deepcopy(extension)
    data["$defs"][etype] = node
    ev = data["$defs"]["evidence"]
    ev["properties"]["type"]["enum"].append(etype)
    ev["allOf"].append({"if": {"properties": {"type": {"const": etype}}, "required": ["type"]},
                        "then": {"$ref": f"#/$defs/{etype}"}})
    nodes[etype] = node
