"""What a packet check echoes of a value, and which titles count as placeholders
(engine.core.evidence), at the numbers and words the mutation run found unpinned: a value shown
whole up to 40 characters and three words and only its length beyond, free text never shown, and
every placeholder word."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.evidence import _MAX_ECHO, _MAX_WORDS, _PLACEHOLDERS, _placeholder, _show


def test_the_echo_limits_are_forty_characters_and_three_words():
    assert (_MAX_ECHO, _MAX_WORDS) == (40, 3)


@pytest.mark.parametrize("value, shown", [
    ("a" * 40, repr("a" * 40)), ("a" * 41, "a 41-character string"),
    ("one two three", "'one two three'"), ("one two three four", "a 18-character string"),
    (True, "true"), (False, "false"), (None, "null"), (12, "12"), (2.5, "2.5"),
    (10 ** 39, str(10 ** 39)), (10 ** 40, "a 41-digit number"),
    ({"a": 1}, "a mapping"), ([1], "a list"),
    ("line\x1b[2J", repr("line\x1b[2J")),
    ("\u201cled\u201d", repr("\u201cled\u201d") + " (\u201cled\u201d is 'led' in curly quotes: write it without them)"),
    ('"led"', repr('"led"')),
])
def test_a_value_is_shown_whole_only_while_short(value, shown):
    assert _show(value, ["evidence", 0, "role"]) == shown


@pytest.mark.parametrize("path", [["evidence", 0, "title"], ["evidence", 0, "notes"], ["evidence", 0, "from", "role"],
                                  ["candidate", "name"]])
def test_free_text_is_never_shown(path):
    assert _show("Ada", path) == "the value"


def test_a_role_not_under_from_is_shown():
    assert _show("led", ["evidence", 0, "role"]) == "'led'" and _show("led", ["role"]) == "'led'"


@pytest.mark.parametrize("word", sorted(_PLACEHOLDERS))
def test_every_placeholder_word_is_a_placeholder_title_in_any_case_and_punctuation(word):
    assert _placeholder(word) and _placeholder(f"  {word.upper()}. ")


def test_the_placeholder_words_are_these():
    assert _PLACEHOLDERS == {"tbd", "tbc", "todo", "to do", "n/a", "na", "none", "x", "xx", "xxx", "test",
                             "placeholder", "title", "untitled", "lorem ipsum", "asdf", "foo", "bar", "-", "?", "..."}


@pytest.mark.parametrize("title, placeholder", [("Q", True), ("QA", False), ("Q3 plan", False), ("123", True),
                                                ("Lorem ipsum dolor sit", True), ("Launched search", False),
                                                ("2026 — 2027", True)])
def test_a_title_of_two_letters_is_a_title_and_one_is_not(title, placeholder):
    assert _placeholder(title) is placeholder


def _by_definition(text: str) -> bool:
    """The placeholder rule written plainly: no letters, or (trimmed of spaces and trailing
    punctuation, spaces collapsed, case folded) a placeholder word, lorem ipsum, or under two characters."""
    import re

    t = " ".join(text.strip().casefold().split()).strip(".!?:;,-_ ")
    return not re.search(r"[^\W\d_]", text) or t in _PLACEHOLDERS or t.startswith("lorem ipsum") or len(t) < 2


PADDED = st.builds(lambda pre, w, post: pre + w + post, st.text(" \t.!-_", max_size=6),
                   st.sampled_from(sorted(_PLACEHOLDERS) + ["Lorem Ipsum dolor", "Launched search", "Q", "Growth"]),
                   st.text(" .!?:;,-_\n", max_size=6))


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(text=st.one_of(PADDED, st.text(max_size=30), st.text("abcLl .,-_\t1", max_size=30)))
def test_the_quick_decision_agrees_with_the_definition(text):
    assert _placeholder(text) == _by_definition(text)
