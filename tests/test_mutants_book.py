"""Killed mutants of engine/book/schema.py (tools/mutate.py): a broken packet schema is reported
against the file it came from, not as a JSON pointer."""
from __future__ import annotations

import pytest


def test_a_broken_packet_schema_is_located_at_its_file():
    from engine.base.errors import RulesError
    from engine.book.schema import read_packet_schema

    for raw in (b"{not json", b"[1, 2]"):
        with pytest.raises(RulesError) as got:
            read_packet_schema(raw, "packs/acme/packet.schema.json")
        (p,) = got.value.problems
        assert p.source == "packs/acme/packet.schema.json" and p.path == "" and p.kind == "rules"
