"""A rules file's line numbers are indexed from the node tree its data is built from (one compose
instead of two); every path must get the line that composing the text again gives (line_index,
what a located problem has always used)."""
from __future__ import annotations

import random

import pytest

from engine.base.loader import line_index, parse_text

from conftest import FIXTURES, ROOT

FILES = sorted(
    p for pat in ("rules/**/*.yaml", "examples/**/*.yaml", "tests/data/**/*.yaml", "fixtures/*.yaml")
    for p in ROOT.glob(pat)
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_and_example_file_gets_the_same_lines(path):
    text = path.read_text(encoding="utf-8")
    doc = parse_text(text, str(path), "yaml", lines=True)
    assert doc._lines == line_index(text)
    assert parse_text(text, str(path), "yaml")._lines is None  # a packet composes again only for a problem


TRICKY = [
    "base: &b\n  x: 1\n  y: [1, 2]\nmerged:\n  <<: *b\n  z: 3\n",  # a merge key rewrites the tree when built
    "a: &x {k: v}\nb: *x\nc: [*x, *x]\n",  # aliases: one node, several paths
    "? complex\n: value\n'quoted key': 2\n\"1\": three\n",
    "list:\n- a\n-\n  - b\n  - {c: d}\nwhen: 2026-01-01\n",  # a timestamp-looking value stays text
    "# only a comment\nkey: value  # and another\n",
    "k: |\n  block\n  text\nn: null\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_merge_keys_aliases_and_odd_keys_get_the_same_lines(text):
    assert parse_text(text, "t.yaml", "yaml", lines=True)._lines == line_index(text)


def test_generated_documents_get_the_same_lines():
    rng = random.Random(5)

    def value(depth):
        kind = rng.randrange(4 if depth < 4 else 1)
        if kind == 0:
            return rng.choice(["1", "text", "'q'", "[1, 2]", "{a: b}", "null", "2026-02-01"])
        if kind in (1, 2):
            pad = "  " * (depth + 1)
            return "\n" + "".join(f"{pad}k{i}: {value(depth + 1)}\n" for i in range(rng.randrange(1, 4))).rstrip("\n")
        pad = "  " * (depth + 1)
        return "\n" + "".join(f"{pad}- {rng.choice(['x', '2', 'y: 1'])}\n" for _ in range(rng.randrange(1, 4))).rstrip("\n")

    for _ in range(300):
        text = "".join(f"top{i}: {value(0)}\n" for i in range(rng.randrange(1, 5)))
        assert parse_text(text, "g.yaml", "yaml", lines=True)._lines == line_index(text), text
