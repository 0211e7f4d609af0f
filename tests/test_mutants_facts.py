"""Facts as the engine is given them (engine/core/facts.py): the facts for the criteria left when
some statuses are known are shaped for exactly those, whichever sets were asked for before (the
shapes are cached), and with none known they are the whole path's. Each test pins what a slip there
would change. Written against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import pytest

from engine import load_file, load_rules
from engine.core import facts
from engine.core.evidence import check_document

from conftest import FIXTURES


@pytest.fixture(scope="module")
def setup():
    book = load_rules()
    packet = check_document(load_file(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"), book)
    return book, packet, ("mid-pm", "senior-pm")  # the fixture's path: mid-pm, up for senior-pm


def test_with_nothing_known_the_facts_are_the_whole_paths(setup):
    book, packet, path = setup
    assert facts.build_facts_without(packet, book, path, frozenset()) == facts.build_facts(packet, book, path)


def test_each_known_set_gets_facts_shaped_for_what_is_left_whatever_was_asked_before(setup, monkeypatch):
    book, packet, path = setup
    ids = sorted(c.id for lv in path for c in book.criteria(lv))
    sets = [frozenset(ids[:1]), frozenset(ids[1:]), frozenset(ids[::2]), frozenset(reversed(ids[:3])), frozenset(ids)]
    asked = [facts.build_facts_without(packet, book, path, k) for k in sets]  # one cache, in this order
    for known, got in zip(sets, asked):
        with monkeypatch.context() as m:
            m.setattr(facts, "_COPY_RECIPES", {})
            assert got == facts.build_facts_without(packet, book, path, known), sorted(known)
    assert len({repr(a) for a in asked}) > 1  # the sets do shape the facts differently


def test_one_known_set_on_two_paths_gets_each_paths_facts(setup, monkeypatch):
    # an audit judges packets of several targets with the statuses it already knows
    book, packet, _ = setup
    paths = [("associate-pm", "mid-pm"), ("mid-pm", "senior-pm"), ("mid-pm", "senior-pm", "director")]
    known = frozenset()
    for p in paths:
        known |= {book.criteria(p[-1])[0].id}
    asked = [facts.build_facts_without(packet, book, p, known) for p in paths]
    for p, got in zip(paths, asked):
        with monkeypatch.context() as m:
            m.setattr(facts, "_COPY_RECIPES", {})
            assert got == facts.build_facts_without(packet, book, p, known), p
