"""Byte-exact output for a few fixtures, the way a user and a script see it.

The goldens (fixtures/expected/) compare parsed JSON, so they cannot see key order, spacing,
line order or the text and markdown layouts. These files can: `ladder evaluate` in each format
must print exactly tests/exact/<fixture>.<json|txt|md>, byte for byte, and `ladder new` exactly
tests/exact/new-<level>.yaml. After a deliberate change,
rewrite them with LADDER_UPDATE_EXACT=1 and review the diff like code.

The README's worked example is checked against the real output too, line for line.
"""
from __future__ import annotations

import os
import re

import pytest
from conftest import FIXTURES, ROOT

EXACT = ROOT / "tests" / "exact"
CASES = ["caspian-thistlewood-mid-to-senior-not-ready", "noor-ashgrove-mid-to-senior-ready",
         "hollis-penrake-mid-to-senior-insufficient"]
FORMATS = {"json": "json", "txt": "text", "md": "markdown"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", CASES)
def test_evaluate_prints_exactly_these_bytes(name, fmt, run_cli):
    out = run_cli("evaluate", FIXTURES / f"{name}.yaml", "--format", FORMATS[fmt]).stdout
    path = EXACT / f"{name}.{fmt}"
    if os.environ.get("LADDER_UPDATE_EXACT"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8"), f"{path.name} differs (LADDER_UPDATE_EXACT=1 rewrites it)"


@pytest.mark.parametrize("args", [["--target", "senior-pm"], ["--target", "principal-pm", "--track", "ic"]],
                         ids=["senior-pm", "principal-pm-ic"])
def test_new_prints_exactly_this_template(args, run_cli):
    """`ladder new`'s template as a user sees it: every field's comment, its column, the records
    and their order (tests/exact/new-<level>.yaml)."""
    out = run_cli("new", *args).stdout
    path = EXACT / f"new-{args[1]}{'-' + args[3] if len(args) > 2 else ''}.yaml"
    if os.environ.get("LADDER_UPDATE_EXACT"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8"), f"{path.name} differs (LADDER_UPDATE_EXACT=1 rewrites it)"


def test_the_readme_worked_example_is_what_ladder_prints(run_cli):
    """Lines before the README's `…` are the first lines ladder prints; lines after it follow,
    in order and together, later in the output."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## A worked example\n\n```console\n\$ ladder (evaluate [^\n]+)\n(.*?)```", readme, re.S)
    assert block, "README has no worked example"
    args = block.group(1).split()
    out = run_cli(*args).stdout.splitlines()
    shown = block.group(2).rstrip("\n").split("\n")
    cut = shown.index("  …") if "  …" in shown else len(shown)
    head, tail = shown[:cut], shown[cut + 1:]
    assert out[:len(head)] == head
    if tail:
        rest = out[len(head):]
        starts = [i for i in range(len(rest)) if rest[i:i + len(tail)] == tail]
        assert starts, f"README's lines after … are not in the output:\n{tail}"
