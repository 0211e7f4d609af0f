"""tools/mutate.py makes the slips it promises and judges each by the tests that run it: each
operator, on a small module, gives the edit a person would make (still Python); the coverage map
picks the tests that ran a mutant's line and no others; the table keeps the rows of modules not run."""
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
    ("stmt", "pass"),
    ("ret", "return None"),
    ("bool", "if (xs[i] >= LIMIT or xs[i] in {1, 2, 3}):"),
    ("sort", "return (list(set(out))), terminal(text)"),
])
def test_each_operator_makes_its_slip(kind, edit):
    assert edit in _edits()[kind]


def test_every_mutant_has_its_own_key():
    keys = [m.key for m, _ in mutate.mutants_of(Path("engine/example.py"), SRC + "y = a - b if a < b < c else 0\n")]
    assert len(keys) == len(set(keys))


def test_a_line_marked_no_mutate_has_no_mutants():
    src = SRC.replace("LIMIT = 5", "LIMIT = 5  # pragma: no mutate")
    assert not [m for m, _ in mutate.mutants_of(Path("engine/example.py"), src) if m.line == 1]


# A module, a second module reading its constant, and a map: which test ran which line.
MOD = '''\
LIMIT = 5
WIDE = LIMIT * 2


def small(x):
    return x < LIMIT


def wide(x):
    return x < WIDE


def unused(x):
    return x + 1


def tagged(x, sep=","):
    return sep.join(x)
'''
OTHER = '''\
from .mod import LIMIT


def over(x):
    return x > LIMIT
'''


@pytest.fixture
def selector(tmp_path):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "mod.py").write_text(MOD)
    (tmp_path / "engine" / "other.py").write_text(OTHER)
    ids = ["t::slow_small", "t::fast_small", "t::wide", "t::over", "t::import", "t::tagged"]
    cmap = {"ids": ids, "durations": [2.0, 0.1, 0.5, 0.3, 0.2, 0.4],
            "lines": {"engine/mod.py": {"1": [4], "2": [4], "6": [0, 1], "10": [2], "18": [5]},
                      "engine/other.py": {"1": [4], "5": [3]}}}
    return mutate.Selector(cmap, root=tmp_path)


def _mutant(line: int, kind: str, src: str = MOD, name: str = "engine/mod.py"):
    return next(m for m, _ in mutate.mutants_of(Path(name), src) if m.line == line and m.kind == kind)


def test_a_mutant_in_a_function_runs_the_tests_that_ran_its_line_fastest_first(selector):
    assert selector.select(_mutant(6, "cmp")) == ["t::fast_small", "t::slow_small"]
    assert selector.select(_mutant(10, "cmp")) == ["t::wide"]


def test_a_line_no_test_ran_is_not_covered(selector):
    assert selector.select(_mutant(14, "arith")) == []


def test_a_module_constant_runs_the_tests_that_read_it_in_any_module_not_the_importer(selector):
    # LIMIT is read by small() here and over() in other.py, and through WIDE by wide()
    assert selector.select(_mutant(1, "const")) == ["t::fast_small", "t::over", "t::wide", "t::slow_small"]
    # WIDE = LIMIT * 2: only wide() reads WIDE
    assert selector.select(_mutant(2, "arith")) == ["t::wide"]


def test_a_module_constant_runs_the_tests_whose_own_code_names_it(selector):
    # a test can read a constant without running a line of engine/ that does: held equal to a
    # copy kept elsewhere, say; it is selected when its own code names the constant and its file
    # names the module (and a test in a file about another module is not)
    tests = selector.root / "tests"
    tests.mkdir()
    (tests / "test_mod.py").write_text(
        "from engine import mod\n\n\ndef test_limit_is_the_documented_one():\n    assert mod.LIMIT == 5\n\n\n"
        "def test_small():\n    assert mod.small(1)\n"
    )
    (tests / "test_params.py").write_text(
        "import pytest\nfrom engine import mod\n\n\n@pytest.mark.parametrize('limit', [mod.LIMIT])\n"
        "def test_given(limit):\n    assert limit\n"
    )
    (tests / "test_elsewhere.py").write_text("LIMIT = 3\n\n\ndef test_own_limit():\n    assert LIMIT == 3\n")
    selector.ids += ["tests/test_mod.py::test_limit_is_the_documented_one", "tests/test_mod.py::test_small",
                     "tests/test_elsewhere.py::test_own_limit",
                     "tests/test_params.py::test_given[5]"]
    selector.durations += [0.05, 0.05, 0.05, 0.06]
    selector.__init__({"ids": selector.ids, "durations": selector.durations,
                       "lines": {f: {str(k): v for k, v in per.items()} for f, per in selector.lines.items()}},
                      root=selector.root)
    got = selector.select(_mutant(1, "const"))
    assert got[:2] == ["tests/test_mod.py::test_limit_is_the_documented_one", "tests/test_params.py::test_given[5]"]
    assert "tests/test_mod.py::test_small" not in got and "tests/test_elsewhere.py::test_own_limit" not in got
    # a mutant in a function body is judged by coverage alone
    assert selector.select(_mutant(6, "cmp")) == ["t::fast_small", "t::slow_small"]


def test_a_packages_all_runs_the_tests_that_name_it_and_the_package(tmp_path):
    (tmp_path / "engine" / "pkg").mkdir(parents=True)
    init = '__all__ = [\n    "a",\n    "b",\n]\n'
    (tmp_path / "engine" / "pkg" / "__init__.py").write_text(init)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text(
        "from engine import pkg\n\n\ndef test_exports():\n    assert pkg.__all__ == ['a', 'b']\n")
    (tmp_path / "tests" / "test_other.py").write_text("def test_all():\n    assert __all__\n")
    sel = mutate.Selector({"ids": ["tests/test_api.py::test_exports", "tests/test_other.py::test_all"],
                           "durations": [0.1, 0.1], "lines": {}}, root=tmp_path)
    m = next(m for m, _ in mutate.mutants_of(Path("engine/pkg/__init__.py"), init) if m.kind == "member")
    assert sel.select(m) == ["tests/test_api.py::test_exports"]
    # a test that runs no line of engine/ (the package was imported before it ran) is in no map:
    # it is selected by its node id all the same
    sel = mutate.Selector({"ids": ["tests/test_other.py::test_all"], "durations": [0.1], "lines": {}}, root=tmp_path)
    assert sel.select(m) == ["tests/test_api.py::test_exports"]


def test_a_default_value_runs_the_tests_of_its_function(selector):
    m = next(m for m, _ in mutate.mutants_of(Path("engine/mod.py"), MOD.replace('sep=","', "sep=3")) if m.line == 17)
    assert not m.where.in_body
    assert selector.select(m) == ["t::tagged"]


def test_maps_merge_a_rerun_test_file():
    old = {"ids": ["a.py::x", "b.py::y"], "durations": [1.0, 2.0], "failed": [],
           "lines": {"engine/m.py": {"3": [0, 1], "4": [1]}}}
    new = {"ids": ["b.py::z"], "durations": [0.5], "failed": [], "lines": {"engine/m.py": {"4": [0]}}}
    got = mutate._merge(old, new, {"b.py"})
    assert got["ids"] == ["a.py::x", "b.py::z"]
    assert got["lines"] == {"engine/m.py": {"3": [0], "4": [1]}}


def test_per_module_scores_and_the_table(tmp_path):
    k = mutate.Mutant("engine/a.py", 3, "cmp", 0, "x < 1", "x <= 1")
    s = mutate.Mutant("engine/a.py", 4, "drop", 0, "e(x)", "x")
    per = mutate.scores([k], [s])
    assert per == {"engine/a.py": (1, 2)}
    assert "| `engine/a.py` | 2 | 1 | 1 | 1 | 50.0 % | 2026-12-06 | abc |" in mutate.table(per, [s], [s], "2026-12-06",
                                                                                         "abc")
    doc = tmp_path / "d.md"
    doc.write_text("intro\n<!-- mutation-table -->\n<!-- /mutation-table -->\nafter\n")
    mutate.write_table(doc, mutate.table_row("engine/b.py", 3, 4, 0, "d1", "c1"))
    mutate.write_table(doc, mutate.table_row("engine/a.py", 1, 2, 1, "d2", "c2"))
    mutate.write_table(doc, mutate.table_row("engine/b.py", 4, 4, 0, "d3", "c3"))
    text = doc.read_text()
    assert text.startswith("intro\n<!-- mutation-table -->\n| module |") and text.endswith("<!-- /mutation-table -->\nafter\n")
    assert "| `engine/a.py` | 2 | 1 | 1 | 1 | 50.0 % | d2 | c2 |" in text
    assert "| `engine/b.py` | 4 | 4 | 0 | 0 | 100.0 % | d3 | c3 |" in text and "d1" not in text


def test_a_row_with_survivors_that_missed_the_slow_tests_is_a_lower_bound():
    # --max-test-seconds: 3 of the 5 survivors did not meet the slow tests covering them
    row = mutate.table_row("engine/c.py", 15, 20, 1, "d", "c", incomplete=3)
    assert row == "| `engine/c.py` | 20 | 15 | 5 (3 without the slow tests) | 1 | ≥ 75.0 % | d | c |"
    assert mutate.table_row("engine/c.py", 15, 20, 1, "d", "c") == "| `engine/c.py` | 20 | 15 | 5 | 1 | 75.0 % | d | c |"
