"""Counted nouns in the program's own sentences: "1 more record", "2 more records"."""

from __future__ import annotations


def counted(n: int, one: str, many: str) -> str:
    """`n` and the noun that agrees with it: counted(1, "record", "records") -> "1 record"."""
    return f"{n} {one if n == 1 else many}"
