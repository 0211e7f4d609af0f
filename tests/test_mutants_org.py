"""Killed mutants of engine/org/anchors.py (tools/mutate.py): the per-pack anchors are a bounded
cache, so a long-lived process that checks against many packs (a server, a test session) does not
keep every pack's calendar for ever."""
from __future__ import annotations

from types import SimpleNamespace


def test_the_per_pack_anchors_cache_stays_bounded():
    from engine.org import anchors

    saved = dict(anchors._BY_BOOK)
    try:
        anchors._BY_BOOK.clear()
        for i in range(40):
            got = anchors.for_book(SimpleNamespace(version=f"mutants-org-{i}", raw={}))
            assert got.calendar is None and got.people is None
        assert 0 < len(anchors._BY_BOOK) <= 9
    finally:
        anchors._BY_BOOK.clear()
        anchors._BY_BOOK.update(saved)
