"""The packet field reference (engine.authoring.packets.field_reference) on a schema built to reach
every shape the bundled one does not: a field with only a minimum, a value of any type, a `|` in a
description, an object nested in an object, the same section reached twice, an object without
properties; and a template value written on one line however long."""
from __future__ import annotations

from engine.authoring.packets import _scalar, describe, field_reference

SCHEMA = {
    "type": "object",
    "required": ["candidate"],
    "properties": {
        "schema_version": {"const": 2},
        "count": {"type": "integer", "minimum": 0, "description": "how many | or fewer"},
        "ratio": {"type": "number", "maximum": 1},
        "both": {"type": "integer", "minimum": 1, "maximum": 5},
        "anything": {"description": "free"},
        "candidate": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "pattern": "^e-[0-9]+$"},
                "manager": {"$ref": "#/$defs/person"},
                "team": {"type": "object", "properties": {"manager": {"$ref": "#/$defs/person"}}},
                "extra": {"type": "object"},
            },
        },
        "opaque": {"type": "object"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
        "evidence": {"type": "array", "items": {"$ref": "#/$defs/evidence"}},
    },
    "$defs": {
        "person": {"type": "object", "properties": {"id": {"type": "string"}}},
        "evidence": {
            "type": "object",
            "properties": {"type": {"enum": ["note"]}},
            "allOf": [{"if": {"properties": {"type": {"const": "note"}}}, "then": {"$ref": "#/$defs/note"}}],
        },
        "note": {"type": "object", "description": "A note.", "required": ["type"],
                 "properties": {"type": {"const": "note"}, "on": {"type": "string", "format": "date"},
                                "ok": {"type": "boolean"}}},
    },
}


def reference() -> list[str]:
    return field_reference(SCHEMA, "s.json").splitlines()


def test_each_kind_of_value_is_described_in_words():
    lines = reference()
    assert "| `count` |  | a whole number | how many / or fewer |" in lines
    assert "| `ratio` |  | a number |  |" in lines
    assert "| `both` |  | a whole number from 1 to 5 |  |" in lines
    assert "| `anything` |  | any value | free |" in lines
    assert "| `candidate` | yes | a mapping (below) |  |" in lines
    assert "| `tags` |  | a list of text (at most 20 characters) (at most 3) |  |" in lines
    assert "| `schema_version` |  | `2` |  |" in lines
    assert describe(SCHEMA, {"type": "string", "pattern": "^e-[0-9]+$"}) == ("text matching `^e-[0-9]+$`", "")


def test_nested_objects_each_get_one_section_and_an_object_without_fields_none():
    lines = reference()
    sections = [ln for ln in lines if ln.startswith("### `")]
    assert sections == ["### `candidate`", "### `manager`", "### `team`"], sections
    assert "| `id` | yes | text matching `^e-[0-9]+$` |  |" in lines
    assert not any(ln.startswith("### `opaque`") or ln.startswith("### `count`") for ln in lines)


def test_evidence_types_get_their_own_tables():
    lines = reference()
    at = lines.index("### note")
    assert lines[at + 2] == "A note."
    assert "| `on` |  | a date, YYYY-MM-DD |  |" in lines and "| `ok` |  | `true` or `false` |  |" in lines


def test_a_template_value_stays_on_one_line_however_long():
    long = ["a" * 60, "b" * 60, "c" * 60]
    assert _scalar(long) == f"[{long[0]}, {long[1]}, {long[2]}]"
    assert _scalar("x") == "x" and _scalar(True) == "true" and _scalar(3) == "3"
    assert _scalar("Zoë Ångström") == "Zoë Ångström"  # as written, never \\u escapes
