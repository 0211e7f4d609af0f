"""tools/mutate.py makes the slips it promises: each operator, on a small module, gives the edit a
person would make, and the mutated source is still Python."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import mutate  # noqa: E402

SRC = '''\
LIMIT = 5


def f(xs, text):
    out = []
    for i in range(len(xs)):
        if xs[i] >= LIMIT and xs[i] in {1, 2, 3}:
            out.append(xs[i] - 1)
    return sorted(set(out)), terminal(text)
'''


def _edits() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m, mutated in mutate.mutants_of(Path("engine/example.py"), SRC):
        compile(mutated, "example", "exec")
        changed = [b for a, b in zip(SRC.splitlines(), mutated.splitlines()) if a != b]
        out.setdefault(m.kind, []).append(changed[0].strip() if changed else "")
    return out


@pytest.mark.parametrize("kind, edit", [
    ("const", "LIMIT = (6)"),
    ("less", "LIMIT = (4)"),
    ("cmp", "if (xs[i] > LIMIT) and xs[i] in {1, 2, 3}:"),
    ("range", "for i in (range(1, len(xs))):"),
    ("member", "if xs[i] >= LIMIT and xs[i] in ({2, 3}):"),
    ("member", "if xs[i] >= LIMIT and xs[i] in ({1, 2}):"),
    ("arith", "out.append((xs[i]))"),
    ("arith", "out.append((1 - xs[i]))"),
    ("drop", "return sorted((out)), terminal(text)"),
    ("drop", "return (set(out)), terminal(text)"),
    ("drop", "return sorted(set(out)), (text)"),
])
def test_each_operator_makes_its_slip(kind, edit):
    assert edit in _edits()[kind]


def test_per_module_scores_and_the_table():
    k = mutate.Mutant("engine/a.py", 3, "cmp", 0, "x < 1", "x <= 1")
    s = mutate.Mutant("engine/a.py", 4, "drop", 0, "e(x)", "x")
    per = mutate.scores([k], [s])
    assert per == {"engine/a.py": (1, 2)}
    assert "| `engine/a.py` | 1 | 2 | 50.0 % | 4:drop |" in mutate.table(per, [s])
