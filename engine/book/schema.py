"""The packet JSON Schema a rule book checks packets with, identified by its content.

A rule book carries its packet schema: the bundled one, or in an audit the schemas/ folder as it
is at that revision, so each revision judges packets by its own schema.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from ..base.errors import Problem, RulesError
from ..base.resources import load_schema


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class PacketSchema:
    """A packet schema and its version (sha256 of its canonical JSON); equal when the versions are."""

    __slots__ = ("data", "version")

    def __init__(self, data: dict):
        self.data = data
        self.version = "sha256:" + hashlib.sha256(canonical_json(data).encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PacketSchema) and other.version == self.version

    def __hash__(self) -> int:
        return hash(self.version)

    def __repr__(self) -> str:
        return f"PacketSchema({self.version[:19]})"


@cache
def bundled_packet_schema() -> PacketSchema:
    return PacketSchema(load_schema("packet"))


def read_packet_schema(raw: bytes, source: str) -> PacketSchema:
    """A packet schema from its bytes: JSON, an object, and a valid JSON Schema; else RulesError."""

    def bad(message: str) -> RulesError:
        return RulesError([Problem(source, "", message, kind="rules")])

    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise bad("a packet schema must be a JSON object")
    schema = PacketSchema(data)
    # Checking it against its metaschema is most of the cost of reading it (it took most of a cold
    # `ladder evaluate`; an audit reads two): once per content in a process, and never for the
    # bundled schema's content (a valid JSON Schema, which tests/test_validate.py and
    # tests/test_pack.py check).
    if schema.version in _VALID or schema == bundled_packet_schema():
        return schema
    import jsonschema

    try:
        jsonschema.validators.validator_for(data).check_schema(data)
    except jsonschema.SchemaError as exc:
        raise bad(f"not a valid JSON Schema ({exc.message})") from None
    _VALID.add(schema.version)
    return schema


_VALID: set[str] = set()  # versions of packet schemas read and found valid in this process


def packet_schema_beside(rules_dir: Path) -> PacketSchema | None:
    """The packet schema of a rules folder: schemas/packet.schema.json beside it (as in this
    repository and in the installed package), or None (then the bundled one applies)."""
    f = Path(rules_dir).parent / "schemas" / "packet.schema.json"
    if not f.is_file():
        return None
    try:
        raw = f.read_bytes()
    except OSError as exc:
        raise RulesError([Problem(str(f), "", f"cannot read: {exc.strerror}", kind="io")]) from None
    schema = read_packet_schema(raw, str(f))
    return None if schema == bundled_packet_schema() else schema


# The bundled schema's pattern for a level id or alias in a packet; ladder.yaml allows digits too.
BUNDLED_LEVEL_PATTERN = "^[a-z][a-z-]*$"
PACK_LEVEL_PATTERN = "^[a-z][a-z0-9-]*$"


def specialise(schema: PacketSchema, level_names: list[str], tracks: list[str]) -> PacketSchema:
    """The packet schema as a rules pack uses it: the pack's track names are the only tracks a
    packet may name, and its level ids and aliases are ids a packet can write (digits allowed when
    the pack uses them). The bundled pack's levels and tracks give back the bundled schema itself,
    byte for byte (the same schema_version on every verdict)."""
    import copy

    data = copy.deepcopy(schema.data)
    pattern = (
        BUNDLED_LEVEL_PATTERN
        if all(re.fullmatch(BUNDLED_LEVEL_PATTERN, n) for n in level_names)
        else PACK_LEVEL_PATTERN
    )

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("pattern") == BUNDLED_LEVEL_PATTERN:
                node["pattern"] = pattern
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    track = data.get("properties", {}).get("candidate", {}).get("properties", {}).get("track")
    if isinstance(track, dict) and "enum" in track:
        track["enum"] = list(tracks)
    out = PacketSchema(data)
    return schema if out == schema else out
