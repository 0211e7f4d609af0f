"""The shape of a condition tree: which keys hold sub-conditions, and a leaf's any_item clauses.

Kept apart from engine.book.rules so that engine.book.fields (which engine.book.rules imports) can walk
conditions too.
"""

from __future__ import annotations

COMPOSITES = ("all_of", "any_of", "of")  # the keys whose value is a list of conditions


def parts(cond: dict) -> list[dict]:
    """A composite's conditions (all_of, any_of, or at_least's `of`); [] for a leaf. Every walk
    over a condition tree goes through here, so a new composite cannot be missed by one of them."""
    for key in COMPOSITES:
        if key in cond:
            return cond[key]
    return []


def item_clauses(cond: dict) -> list[dict]:
    """A leaf's any_item clauses as a list: one clause may be written bare, several as a list
    (all of them hold on the same record)."""
    ai = cond.get("any_item")
    if ai is None:
        return []
    return ai if isinstance(ai, list) else [ai]
