"""Safe output files (engine/base/output.py): the size a leftover-cleanup note tells, at each unit's
boundary. Each test pins what a slip there would change. Written against the survivors of a
mutation run (docs/development.md)."""
from __future__ import annotations

import pytest

from engine.base.output import human_size, leftover_note


@pytest.mark.parametrize(("n", "shown"), [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KB"), (1536, "1.5 KB"),
    (1024 * 1024 - 1, "1024.0 KB"), (1024 * 1024, "1.0 MB"), (1024 ** 3 - 1, "1024.0 MB"),
    (1024 ** 3, "1.0 GB"), (5 * 1024 ** 4, "5120.0 GB"),  # GB is the largest unit told
])
def test_a_size_is_told_in_the_largest_unit_it_fills(n, shown):
    assert human_size(n) == shown


def test_the_note_names_the_output_the_leftover_and_its_size():
    [line] = leftover_note("out.jsonl", [("/x/.out.jsonl.ladder-abc.partial", 2048)])
    assert line.startswith("out.jsonl: removed .out.jsonl.ladder-abc.partial (2.0 KB), left by an earlier run that was ")
