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
from .fields import FREE_TEXT, FREE_TEXT_KEYS, FREE_TEXT_MARK, PERSON_FIELD, PERSON_MARK, SCALE_MARK, TENURE_RE
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
# A person id, as the packet schema's own person ids (from.id, mentee.id, verified_by) are written.
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_KEYS_OF = {
    "id": set(),
    "string": {"values"},
    "scale": {"scale"},
    "list": {"values", "max_items"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum"},
    "boolean": set(),
    "text": {"max_length"},
}
_COMMON_KEYS = {"type", "description", "required"}

Report = Callable[[str, str], None]


def vocabulary_doc(docs: dict[str, Document], directory: str) -> tuple[Document | None, list[Problem]]:
    """Take the vocabulary file out of a rules folder's documents (it is not a level file). An
    empty file (comments only, as `ladder init` writes it) declares nothing."""
    found = [docs.pop(n) for n in FILE_NAMES if n in docs]
    if len(found) > 1:
        return None, [
            Problem(
                f"{directory}/vocabulary.yml", "", "both vocabulary.yaml and vocabulary.yml: keep one", kind="rules"
            )
        ]
    doc = found[0] if found else None
    if doc is None or doc.data is None:
        return None, []
    if not isinstance(doc.data, dict):
        return None, [
            Problem(
                doc.source,
                "",
                "the vocabulary file must be a mapping starting with vocabulary_version: 1",
                kind="rules",
            )
        ]
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
            bad(
                ptr,
                f"unknown evidence type {etype!r}{did_you_mean(etype, nodes)} (extend: adds to the packet "
                f"schema's types: {listing(nodes)}; a type of the pack's own goes under types:)",
            )
            continue
        for fname, decl in body.get("fields", {}).items():
            _extend_field(data, nodes[etype], etype, fname, decl, f"{ptr}/fields/{fname}", bad, scales)
        if "person" in body:
            have = nodes[etype].get(PERSON_MARK) or PERSON_FIELD.get(etype)
            if have:
                bad(
                    f"{ptr}/person", f"{etype} names its person in {have} already: a record is from or about one person"
                )
            else:
                _person(data, nodes[etype], etype, body["person"], f"{ptr}/person", bad)
    for etype, body in vocab.get("types", {}).items():
        ptr = f"/types/{etype}"
        if etype in nodes:
            bad(ptr, f"{etype!r} is already an evidence type of the packet schema: add to it under extend:")
        elif etype in data["$defs"]:
            bad(ptr, f"{etype!r} clashes with the packet schema's definition of the same name: choose another name")
        else:
            _add_type(data, nodes, etype, body, ptr, bad, scales)
            if "person" in body:
                _person(data, nodes[etype], etype, body["person"], f"{ptr}/person", bad)
    return PacketSchema(data), problems


def _person(data: dict, node: dict, etype: str, dotted: str, ptr: str, bad: Report) -> None:
    """Mark the field naming the person a record is from or about (engine.book.fields.person_fields),
    once it is checked: a field of the type (or of one of its object fields) that holds an id."""
    top, _, sub = dotted.partition(".")
    props = node.get("properties", {})
    if top in ENVELOPE:
        bad(
            ptr,
            f"{top!r} is a field every record has; the person a record is from or about is one of "
            f"{etype}'s own fields (declared type: id)",
        )
        return
    field = props.get(top)
    if field is not None and sub:
        inner = _resolve(data, field)
        field = inner.get("properties", {}).get(sub) if inner.get("type") == "object" and "." not in sub else None
    if field is None:
        names = [k for k, v in props.items() if k not in ENVELOPE] + [
            f"{k}.{c}" for k, v in props.items() if k not in ENVELOPE for c in _resolve(data, v).get("properties", {})
        ]
        bad(
            ptr,
            f"person names {dotted!r}, which is no field of {etype}{did_you_mean(dotted, names)} (declare it "
            "under fields: with type: id)",
        )
        return
    if not is_id(data, field):
        bad(
            ptr,
            f"person names {etype}.{dotted}, a {kind_of(data, field)} field; the person a record is from or "
            "about is named by an id field (type: id)",
        )
        return
    node[PERSON_MARK] = dotted


def is_id(data: dict, node: dict) -> bool:
    """A field holding one person id (the packet schema's person_id, or a pack's type: id)."""
    node = _resolve(data, node)
    return node.get("type") == "string" and node.get("pattern") == ID_PATTERN and "enum" not in node


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
            bad(
                ptr,
                f"scale {name} has {len(seen)} member{'s' if len(seen) != 1 else ''}: a scale orders at least "
                "two values, lowest first",
            )
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
    values), id (a person id), text, integer, number, boolean, or what else the packet schema has there."""
    if is_id(data, node):
        return "id"
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


def _extend_field(
    data: dict, node: dict, etype: str, fname: str, decl: dict, ptr: str, bad: Report, scales: dict[str, list[str]]
) -> None:
    """A new optional field of a bundled type, or more values for one of its enum fields. A dotted
    name (`from.counterpart`) is a field of one of the type's object fields (a feedback giver, a
    mentee), added in a copy of that object's definition, so another type sharing it is unchanged."""
    props = node.setdefault("properties", {})
    if "." in fname:
        parent, child = fname.split(".", 1)
        inner = _resolve(data, props[parent]) if parent in props else None
        if inner is None or inner.get("type") != "object" or "." in child:
            objects = sorted(k for k, v in props.items() if _resolve(data, v).get("type") == "object")
            bad(
                ptr,
                f"{etype} has no object field {parent!r} to add {child!r} to"
                + (f" (its object fields: {', '.join(objects)})" if objects else " (it has no object fields)"),
            )
            return
        props[parent] = copy.deepcopy(inner)
        _extend_field(data, props[parent], f"{etype}.{parent}", child, decl, ptr, bad, scales)
        return
    if decl.get("required"):
        bad(
            f"{ptr}/required",
            "a field added to an existing evidence type stays optional: packets written without it must stay valid",
        )
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
        bad(
            ptr,
            f"{etype}.{fname} is already a {have} field; only a field with a fixed list of values can be "
            "extended (by more values:)",
        )
    else:
        extra = sorted(set(decl) - {"type", "values", "description"})
        if extra:
            bad(
                f"{ptr}/{extra[0]}",
                f"{extra[0]} cannot change on the existing field {etype}.{fname}; only values: can be added",
            )
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


def _new_field(
    fname: str, decl: dict, ptr: str, bad: Report, scales: dict[str, list[str]], nested: bool = False
) -> dict | None:
    """The JSON Schema of a declared field, or None when the declaration is wrong (reported).
    `nested`: a field of an object field of a new type (`by.id`), where only the names free text
    takes everywhere are kept (`id` names a person there, as in from.id)."""
    if fname in (FACT_KEYS | FREE_TEXT_KEYS if nested else reserved_names()):
        bad(
            ptr,
            f"{fname!r} is a name ladder keeps for free text or for its own facts; a rule could never "
            "read it: choose another name",
        )
        return None
    if TENURE_RE.search(fname):
        bad(
            ptr,
            f"{fname!r} reads as tenure or time in level; the ladder measures impact, not the clock, so "
            "no rule may use it",
        )
        return None
    t = decl["type"]
    wrong = sorted(set(decl) - _KEYS_OF[t] - _COMMON_KEYS)
    for key in wrong:
        bad(f"{ptr}/{key}", f"{key} does not apply to a {t} field")
    if t == "scale":
        name = decl.get("scale")
        if name is None:
            bad(
                ptr,
                "a scale field names its scale: {type: scale, scale: NAME}, NAME one of the scales: "
                "declared at the top of the file",
            )
            wrong.append("scale")
        elif name not in scales:
            bad(
                f"{ptr}/scale",
                f"unknown scale {name!r}{did_you_mean(name, scales)} (scales declared: "
                f"{listing(scales) or 'none'}; declare it under scales: at the top of the file, lowest first)",
            )
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
    if t == "id":  # one person id, written as the packet schema's own (from.id, verified_by)
        out = {"type": "string", "pattern": ID_PATTERN, "not": {"pattern": "\\n"}}
    elif t == "scale":  # one member; the enum lists them in the scale's order, lowest first (engine.book.fields)
        out = {"type": "string", "enum": list(scales[decl["scale"]]), SCALE_MARK: decl["scale"]}
    elif t == "string":
        out = {"type": "string", "enum": list(decl["values"])}
    elif t == "list":
        out = {
            "type": "array",
            "maxItems": decl.get("max_items", len(decl["values"])),
            "uniqueItems": True,
            "items": {"type": "string", "enum": list(decl["values"])},
        }
    elif t in ("integer", "number"):
        out = {"type": t, "minimum": lo, "maximum": hi}
    elif t == "text":
        out = {"type": "string", "minLength": 1, "maxLength": decl.get("max_length", 2000), FREE_TEXT_MARK: True}
    else:
        out = {"type": "boolean"}
    if "description" in decl:
        out["description"] = decl["description"]
    return out


def _add_type(
    data: dict, nodes: dict[str, dict], etype: str, body: dict, ptr: str, bad: Report, scales: dict[str, list[str]]
) -> None:
    """A new evidence type: the fields every record has (taken from the bundled types, so they are
    checked alike), its own fields, and one more branch of the evidence dispatch."""
    props: dict[str, Any] = {"type": {"const": etype}}
    for name in ENVELOPE[1:]:
        have = next((n["properties"][name] for n in nodes.values() if name in n.get("properties", {})), None)
        if have is not None:
            props[name] = copy.deepcopy(have)
    required = list(NEW_TYPE_REQUIRED)
    declared = body.get("fields", {})
    for fname, decl in declared.items():
        fptr = f"{ptr}/fields/{fname}"
        if fname in ENVELOPE or fname.split(".")[0] in ENVELOPE:
            bad(fptr, f"{fname.split('.')[0]!r} is a field every record has already")
            continue
        if "." in fname:
            _add_object_field(props, required, declared, fname, decl, fptr, bad, scales)
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
    ev["allOf"].append(
        {"if": {"properties": {"type": {"const": etype}}, "required": ["type"]}, "then": {"$ref": f"#/$defs/{etype}"}}
    )
    nodes[etype] = node


def _add_object_field(
    props: dict,
    required: list[str],
    declared: dict,
    fname: str,
    decl: dict,
    ptr: str,
    bad: Report,
    scales: dict[str, list[str]],
) -> None:
    """`by.id` on a new type: a field of its object field `by` (made when its first field is declared).
    The object is required when one of its fields is; it holds nothing undeclared, and no free text
    (the engine's facts carry an object a rule reads whole)."""
    parent, child = fname.split(".", 1)
    if parent in declared:
        bad(
            ptr,
            f"{parent!r} is declared as a field of its own; {fname} would make it an object: declare only "
            f"{parent}.<name> fields",
        )
        return
    if parent in reserved_names() or TENURE_RE.search(parent):
        _new_field(parent, {"type": "boolean"}, ptr, bad, scales)  # says why the name cannot be used
        return
    if decl["type"] == "text":
        bad(
            f"{ptr}/type",
            f"{fname}: a field of an object field is never free text (rules read the object "
            f"whole); declare free text as a field of the record, {child}: {{type: text}}",
        )
        return
    built = _new_field(child, decl, ptr, bad, scales, nested=True)
    if built is None:
        return
    obj = props.setdefault(parent, {"type": "object", "additionalProperties": False, "properties": {}})
    obj["properties"][child] = built
    if decl.get("required"):
        obj.setdefault("required", []).append(child)
        if parent not in required:
            required.append(parent)
