"""A criterion's source forms (engine/base/sourceforms.py): `matches` held to a regular
expression written from the same definition, on generated forms and texts; and what
`forms_for` makes of a retired `source_pattern`, case by case, at each of its bounds. Written
against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import random
import re

import pytest

from engine.base.sourceforms import MAX_FORMS, _SMALL_CLASS, forms_for, matches, matches_any


def _reference(form: str, text: str) -> bool:
    """The definition: literal pieces, each `*` one or more characters of any kind."""
    return re.fullmatch(".+".join(map(re.escape, form.split("*"))), text, re.DOTALL) is not None


def test_matches_agrees_with_the_definition_on_generated_forms_and_texts():
    rng = random.Random(31)
    alphabet = ["a", "b", "·", " ", "*", "**"]
    seen = {True: 0, False: 0}
    for _ in range(20_000):
        form = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 7)))
        text = "".join(rng.choice(["a", "b", "·", " ", "*"]) for _ in range(rng.randrange(0, 9)))
        want = _reference(form, text)
        assert matches(form, text) is want, (form, text)
        seen[want] += 1
    assert min(seen.values()) > 1_000  # both outcomes really exercised


@pytest.mark.parametrize(("form", "text", "want"), [
    ("Level * · *", "Level 3 · Scope", True),
    ("Level * · *", "Level  · Scope", False),  # a star takes at least one character
    ("Level * · *", "Level 3 · ", False),
    ("*", "", False),
    ("*", "x", True),
    ("a*a", "aa", False),
    ("a*a", "aba", True),
    ("Closing principles · *", "closing principles · x", False),  # case is itself
])
def test_a_star_is_one_or_more_characters(form, text, want):
    assert matches(form, text) is want
    assert matches_any(["nothing", form], text) is want


@pytest.mark.parametrize(("pattern", "forms"), [
    ("^Level [1-5] · .+$", [f"Level {n} · *" for n in range(1, 6)]),
    ("^(?:ab|cd)x$", ["abx", "cdx"]),  # a non-capturing group
    ("^(ab|cd)x$", ["abx", "cdx"]),
    ("^(a.+|b)c$", ["a*c", "bc"]),  # a wildcard inside an alternative
    ("^(a|a)$", ["a"]),  # the same form once
    ("^x[]a]y$", ["x]y", "xay"]),  # a class may begin with ]
    ("^x[a]y$", ["xay"]),
    ("^x[ab]*y$", ["x*y"]),  # a repeated class is a wildcard
    ("^x[ab]+y$", ["x*y"]),
    ("^x[A-Z]*y$", ["x*y"]),
    ("^x[A-Z]+y$", ["x*y"]),
    ("^x[^ab]y$", ["x*y"]),  # a negated class: a wildcard
    ("^x[a\\]]y$", None),  # an escape in a class may hide where it ends: given up
    ("^x[z-a]y$", ["x*y"]),  # a reversed range: a wildcard
    ("^[a-a]$", ["a"]),
    ("^[a-c]$", ["a", "b", "c"]),
    ("^[a-c-e]$", ["a", "b", "c", "-", "e"]),  # a range, then a dash as itself
    ("^x[a-]$", ["xa", "x-"]),  # a trailing dash is itself
    ("^[abc]$", ["a", "b", "c"]),
    ("^[aaaaaaaaaab]$", ["a", "b"]),  # members counted once: two, not eleven
    ("^a.z$", ["a*z"]),
    ("^a.+z$", ["a*z"]),
    ("^a.*z$", ["a*z"]),
    ("^Level\\.1$", ["Level.1"]),
    ("^v1\\.$", ["v1."]),  # an escape at the very end
    ("^a\\.b$", ["a.b"]),
    ("^a\\nb$", None),  # an escaped letter is not a literal character
    ("^ab+$", None), ("^ab*$", None), ("^ab?$", None), ("^ab{2}$", None),  # quantifiers on text
    ("^(ab$", None),  # a group never closed
    ("^x[ab$", None),  # a class never closed
    ("^abc", None), ("abc$", None), ("^abc\\$", None),  # not anchored at both ends
    ("^a*b$", None),
])
def test_a_simple_pattern_becomes_these_forms(pattern, forms):
    assert forms_for(pattern) == forms


@pytest.mark.parametrize("letter", list("wWsSdD"))
def test_each_class_escape_is_a_wildcard(letter):
    assert forms_for(f"^a\\{letter}z$") == ["a*z"]
    assert forms_for(f"^a\\{letter}+z$") == ["a*z"]


def test_a_class_of_ten_is_ten_forms_and_of_eleven_a_wildcard():
    assert _SMALL_CLASS == 10
    assert forms_for("^v[0-9]$") == [f"v{n}" for n in range(10)]
    assert forms_for("^v[0-9a]$") == ["v*"]


def test_thirty_forms_are_given_and_thirty_one_are_not():
    assert MAX_FORMS == 30
    assert len(forms_for("^[1-5][1-6]$")) == 30
    alts = "|".join(f"a{i:02d}" for i in range(31))
    assert forms_for(f"^({alts})$") is None
    assert len(forms_for(f"^({alts[:-4]})$")) == 30


def test_a_pattern_of_three_hundred_characters_is_read_and_one_more_is_not():
    assert forms_for("^" + "a" * 298 + "$") == ["a" * 298]
    assert forms_for("^" + "a" * 299 + "$") is None


def test_the_forms_accept_every_source_the_pattern_accepted():
    """Whatever `forms_for` suggests must keep every source the old pattern let through (a
    wildcard may let more through; it may never let less): generated patterns, and texts the
    pattern matches."""
    rng = random.Random(7)
    pieces = ["a", "b", "[ab]", "[a-c]", "(a|bc)", "(?:b|ab)", ".+", ".", "\\d", "\\.", "[0-9]+", "x"]
    chars = ["a", "b", "c", "x", ".", "1", "22"]
    checked = 0
    for _ in range(3_000):
        pattern = "^" + "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 5))) + "$"
        forms = forms_for(pattern)
        if forms is None:  # more than MAX_FORMS forms: the message says how to write them
            continue
        for _ in range(20):
            text = "".join(rng.choice(chars) for _ in range(rng.randrange(1, 7)))
            if re.fullmatch(pattern, text):
                assert matches_any(forms, text), (pattern, forms, text)
                checked += 1
    assert checked > 1_000
