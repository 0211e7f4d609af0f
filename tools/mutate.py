#!/usr/bin/env python3
"""A small mutation run: does the test suite notice a realistic one-line bug?

    python tools/mutate.py --list                         # every mutant, nothing run
    python tools/mutate.py --list --tests --module plan   # ... and the tests each would run
    python tools/mutate.py --all --jobs 2 --table docs/development.md   # every module, smallest first
    python tools/mutate.py --sample 40 --seed 1           # 40 mutants of engine/, tests run
    python tools/mutate.py --module explain               # every mutant of one module (a path or a
                                                          # name found anywhere under engine/)
    python tools/mutate.py --only explain.py:133:cmp      # one mutant, to see it die

Mutations, made on the syntax tree one at a time (each is one small edit a person could make):
  cmp     a comparison turned into its neighbour (< <=, > >=, == !=, in / not in, is / is not)
  bool    `and` <-> `or`, `not x` -> `x`
  const   an integer n -> n + 1, True <-> False
  stmt    a call statement, an augmented assignment or a `continue` removed (-> pass)
  ret     `return <expr>` -> `return None`
  args    the first two positional arguments of a call swapped
  sort    `reverse=` flipped, `sorted(x)` -> `list(x)`
  less    an integer constant n -> n - 1 (with const's n + 1: both sides of a boundary)
  drop    a call to an escaping or dedupe helper dropped: `terminal(x)` -> `x`, `set(x)` -> `x`
  arith   a term dropped (`a + b` -> `a`) or the operands of - / // % swapped (`a - b` -> `b - a`)
  member  one member removed from a literal set, tuple or list of two or more (`x in {a, b}`)
  range   a loop bound off by one: `range(n)` -> `range(1, n)`, `range(a, b)` -> `range(a + 1, b)`
          and `range(a, b - 1)`

Which tests judge a mutant: those that ran its line. A coverage map (.mutate/coverage-map.json,
git-ignored) is built by running the whole test suite once under coverage.py with each test as
its own context (tools/mutate_plugin.py), over engine/**/*.py and cli.py: for each (file, line),
the node ids of the tests that executed it, and each test's time. The processes a test starts are
traced too: CLI subprocesses through COVERAGE_PROCESS_START (coverage's .pth), the engine's forked
workers through `concurrency = multiprocessing`, each under the starting test's id (`context =
${MUTATE_TEST}`, set before each test). A process started with `python -I` or with an
environment that drops those variables is not traced (its lines count for no test). The map is
kept while engine/, cli.py, the conftests and pyproject.toml are unchanged; a test file added or
changed since is re-run alone under coverage and merged in (so a new test kills its mutants at
once); any other change runs the whole suite again. A test that fails in that run is left out.

A mutant runs only the tests that covered its statement's lines, all of them, -x: first those that
killed other mutants of its module in this run (most kills first), then fastest first.
A mutant no test reaches is "not covered": it counts as survived and is listed as such. A mutant
at import time (module or class level, a default value, a decorator) ran in whichever test
imported the module first, which says nothing about who depends on it; such a mutant is judged by
the tests that ran the function or class around it, and by the tests that ran any line of engine/
or cli.py naming what it assigns (a constant's readers, followed through other import-time
assignments three deep), and by the tests whose own code names an ALL_CAPS constant it assigns in
a test file that names the module (a test can hold a constant equal to a copy kept elsewhere
without running a line that reads it); when none of these finds a test, by every test that ran a
line of the module's functions. That is a superset of the tests that can see the edit, bounded by
the module.
Limits: a value computed once and cached (lru_cache, a module- or session-scoped fixture) counts
for the test that computed it first, so a test that reads it later is not selected; a survivor
is worth a second look with `--only` before it is called a gap.

Each mutant is written into a scratch copy of the repository (the working tree is never touched;
`--jobs N` runs N copies side by side). In each copy a test server (`--serve`) has imported
pytest and the engine's dependencies once; a mutant's tests run in a fork of it (pytest.main,
-x, a time limit of 60 s + 3 x the tests' time in the map, or --timeout if that is longer), so a
mutant costs its tests plus the import of engine/ and the test files: about a second for most
that are killed (a survivor runs every test that covers it, which can be minutes: a few slow tests
that cover much of the engine make most of a full run's time; `--max-test-seconds S` leaves the
tests slower than S out, and a survivor is then reported as incomplete). A mutant
that hangs the tests counts as killed (a user would notice too). The score is killed / (killed +
survived). Survivors are printed with file, line and the edit, to be killed with a test or listed
with why they are equivalent. Lines marked `# pragma: no mutate` are skipped. `--all` runs every
module of engine/, smallest first, and prints each module's line as it finishes (with --table,
its row is written then: a run cut short keeps the modules it finished).

`--cache FILE` makes a run incremental: a mutant's outcome is kept under a key made of its
mutated source and the content of the tests it ran, the rules and the schemas, and reused while
they are unchanged (an edit elsewhere in engine/ does not invalidate it: re-run without the cache
before quoting a score). `--table FILE` writes a row per module run whole (mutants, killed,
survived, not covered, score, date, commit) between the markers `<!-- mutation-table -->` and
`<!-- /mutation-table -->` of FILE (docs/development.md); the rows of other modules stay.
"""
from __future__ import annotations

import argparse
import ast
import copy
import functools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Tests that exercise most of the engine quickly, and the slower ones for the modules they own.
FAST = ["test_exact", "test_boundaries", "test_golden", "test_engine", "test_gaming", "test_integrity",
        "test_validate", "test_rules", "test_plan", "test_monotone", "test_rules_faithful", "test_engine_driver"]
EXTRA = {"batch.py": ["test_batch", "test_batch_robust"], "inputs.py": ["test_batch", "test_batch_robust"],
         "audit": ["test_audit", "test_audit_differential"], "loader.py": ["test_corpus", "test_properties"],
         "ruletools.py": ["test_rules", "test_pack"], "commands.py": ["test_batch", "test_docs"],
         "report.py": ["test_batch", "test_privacy"],
         "escape.py": ["test_hostile_text", "test_hostile_fields", "test_hostile_html"],
         "report_html.py": ["test_report", "test_report_browser"], "firing.py": ["test_engine_safety"],
         "compiler.py": ["test_engine_safety"], "cli.py": ["test_docs", "test_batch"]}

_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
        ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


@dataclass(frozen=True)
class Where:
    """The lines of a mutation site's statement; whether they run inside a function body; for an
    import-time site, the lines of the function or class around it and the names it assigns."""
    span: tuple[int, int]
    in_body: bool
    around: tuple[int, int] | None = None
    names: tuple[str, ...] = ()
    # in a body: the module-level function or method it is in, with no function or lambda between
    # (qualified name, first line of its code: its first decorator or `def`, its body's first and
    # last lines); None otherwise
    func: tuple[str, int, int, int] | None = None


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to ROOT
    line: int
    kind: str
    index: int  # which candidate of this kind on this line
    before: str
    after: str
    where: Where | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return f"{Path(self.file).name}:{self.line}:{self.kind}" + (f":{self.index}" if self.index else "")

    @property
    def long_key(self) -> str:
        """The key with the file's path (two modules of one name in different packages differ)."""
        return f"{self.file}:{self.line}:{self.kind}" + (f":{self.index}" if self.index else "")


class _Finder(ast.NodeVisitor):
    """Every mutation site, in source order: (the nodes from the module down to it, kind, line)."""

    def __init__(self) -> None:
        self.sites: list[tuple[tuple, str, int]] = []
        self._path: list = []
        self._doc: set[int] = set()

    def visit(self, node):  # noqa: D401 - track the path to each node
        self._path.append(node)
        try:
            super().visit(node)
        finally:
            self._path.pop()

    def _add(self, node, kind: str) -> None:
        self.sites.append((tuple(self._path), kind, getattr(node, "lineno", 0)))

    def generic_visit(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                self._doc.add(id(first.value))
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _CMP:
                    self._add(node, f"cmp{i}")
        elif isinstance(node, ast.BoolOp):
            self._add(node, "bool")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self._add(node, "not")
        elif isinstance(node, ast.Constant) and id(node) not in self._doc:
            if isinstance(node.value, bool) or (isinstance(node.value, int) and not isinstance(node.value, bool)):
                self._add(node, "const")
            if isinstance(node.value, int) and not isinstance(node.value, bool) and node.value > 0:
                self._add(node, "less")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
                                                                  ast.Mod)) and not _is_text(node):
            self._add(node, "arith0")
            if isinstance(node.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod)):
                self._add(node, "arith1")
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)) and len(node.elts) >= 2 and isinstance(
                getattr(node, "ctx", ast.Load()), ast.Load) and all(isinstance(e, ast.Constant) for e in node.elts):
            for i in range(len(node.elts)):
                self._add(node, f"member{i}")
        elif isinstance(node, (ast.Expr, ast.AugAssign, ast.Continue)) and not (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            self._add(node, "stmt")
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            self._add(node, "ret")
        elif isinstance(node, ast.Call):
            if _drops(node):
                self._add(node, "drop")
            if isinstance(node.func, ast.Name) and node.func.id == "range" and 1 <= len(node.args) <= 2:
                self._add(node, "range0")
                if len(node.args) == 2:
                    self._add(node, "range1")
            if len([a for a in node.args if not isinstance(a, ast.Starred)]) >= 2 and not isinstance(node.args[0], ast.Starred):
                self._add(node, "args")
            if any(k.arg == "reverse" for k in node.keywords) or (isinstance(node.func, ast.Name) and node.func.id == "sorted"):
                self._add(node, "sort")
        super().generic_visit(node)


# Helpers whose call a person forgets: the output doors (engine/base/escape.py and their local names)
# and the dedupe/order calls. Dropping one passes its first argument through unchanged.
_PASS_THROUGH = {"terminal", "terminal_lines", "terminal_out", "markdown", "markdown_code", "csv_cell", "csv_line",
                 "csv_text", "html_text", "html_id", "safe_url", "_md", "_code", "e", "esc", "escape", "quoteattr",
                 "set", "frozenset", "sorted", "dedupe", "unique", "fromkeys", "person_key", "norm_title"}


def _drops(node: ast.Call) -> bool:
    name = node.func.id if isinstance(node.func, ast.Name) else (
        node.func.attr if isinstance(node.func, ast.Attribute) else None)
    return name in _PASS_THROUGH and len(node.args) >= 1 and not isinstance(node.args[0], ast.Starred)


def _is_text(node: ast.BinOp) -> bool:
    """`"a" + x` or an f-string joined: text, not arithmetic."""
    return any(isinstance(s, (ast.JoinedStr, ast.Constant)) and isinstance(getattr(s, "value", None), str)
               or isinstance(s, ast.JoinedStr) for s in (node.left, node.right)) or isinstance(node.op, ast.Mod) and \
        isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)


def _apply(node: ast.AST, kind: str) -> bool:
    """Mutate this node in place; False when the mutation does not apply."""
    if kind.startswith("cmp"):
        i = int(kind[3:])
        node.ops[i] = _CMP[type(node.ops[i])]()
    elif kind == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        return False  # handled by the parent replacement in _mutated_source
    elif kind == "const":
        if isinstance(node.value, bool):
            node.value = not node.value
        else:
            node.value = node.value + 1
    elif kind == "less":
        node.value = node.value - 1
    elif kind.startswith("member"):
        del node.elts[int(kind[6:])]
    elif kind in ("range0", "range1"):
        one = ast.Constant(1)
        if len(node.args) == 1:
            node.args = [one, node.args[0]]
        elif kind == "range0":
            node.args[0] = ast.BinOp(node.args[0], ast.Add(), one)
        else:
            node.args[1] = ast.BinOp(node.args[1], ast.Sub(), one)
    elif kind == "arith1":
        node.left, node.right = node.right, node.left
    elif kind == "args":
        node.args[0], node.args[1] = node.args[1], node.args[0]
    elif kind == "sort":
        rev = [k for k in node.keywords if k.arg == "reverse"]
        if rev:
            rev[0].value = ast.UnaryOp(ast.Not(), rev[0].value)
        else:
            node.func = ast.Name("list", ast.Load())
            node.keywords = []
    return True


def mutants_of(path: Path, src: str | None = None) -> list[tuple[Mutant, str]]:
    """Every mutant of one file (or of `src`, named as that file) with its mutated source. The file
    is parsed once: each edit is made on a copy of the mutated node only and spliced into the text."""
    src = path.read_text(encoding="utf-8") if src is None else src
    lines = src.splitlines()
    tree = ast.parse(src)
    finder = _Finder()
    finder.visit(tree)
    rel = str(path.relative_to(ROOT)) if path.is_absolute() else str(path)
    out: list[tuple[Mutant, str]] = []
    per_line: dict[tuple[int, str], int] = {}
    for nodes, kind, line in finder.sites:
        if not line or "pragma: no mutate" in lines[line - 1]:
            continue
        node = nodes[-1]
        if kind == "not":
            new_node = node.operand
        elif kind == "drop":
            new_node = node.args[0]
        elif kind == "arith0":
            new_node = node.left
        elif kind in ("stmt", "ret"):
            new_node = ast.Pass() if kind == "stmt" else ast.Return(ast.Constant(None))
        else:
            new_node = copy.deepcopy(node)
            if not _apply(new_node, kind):
                continue
        try:
            mutated = _splice(src, node, new_node)
        except Exception:  # noqa: BLE001 - an edit that cannot be written is no mutant
            continue
        k = per_line.get((line, kind.rstrip("0123456789")), 0)  # keys are unique per (line, operator)
        per_line[(line, kind.rstrip("0123456789"))] = k + 1
        before = lines[line - 1].strip()
        after = _line_after(kind, new_node, before)
        out.append((Mutant(rel, line, kind.rstrip("0123456789"), k, before, after, _where(nodes)), mutated))
    return out


def _where(nodes: tuple) -> Where:
    """Where a mutation site runs: its statement's lines, and whether that is inside a function
    body (run when called) or at import time (module or class level, a default value, a decorator)."""
    stmts = [n for n in nodes if isinstance(n, ast.stmt)]
    stmt = stmts[-1] if stmts else nodes[-1]
    line = getattr(nodes[-1], "lineno", stmt.lineno)
    body = getattr(stmt, "body", None)
    end = (body[0].lineno - 1) if isinstance(body, list) and body and not isinstance(stmt, ast.ClassDef) \
        else stmt.end_lineno
    span = (min(line, stmt.lineno), max(line, end or line))
    lambdas = [n for n in nodes if isinstance(n, ast.Lambda)]
    if lambdas and any(s is stmt for s in stmts) and nodes.index(lambdas[-1]) > nodes.index(stmt):
        span = (lambdas[-1].body.lineno, lambdas[-1].body.end_lineno)  # the lambda's lines, not its statement's
    around = None
    funcs = [i for i, n in enumerate(nodes) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    func = None
    if len(funcs) == 1 and isinstance(nodes[funcs[0]], (ast.FunctionDef, ast.AsyncFunctionDef)) and all(
            isinstance(n, (ast.Module, ast.ClassDef)) for n in nodes[:funcs[0]]):
        f = nodes[funcs[0]]
        qual = ".".join(n.name for n in nodes[1:funcs[0] + 1])
        func = (qual, min([d.lineno for d in f.decorator_list] + [f.lineno]), f.body[0].lineno, f.end_lineno)
    for i in range(len(nodes) - 1, -1, -1):
        n = nodes[i]
        child = nodes[i + 1] if i + 1 < len(nodes) else None
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if child is not None and any(child is c for c in n.body):
                return Where(span, True, func=func)
            around = around or (n.body[0].lineno, n.end_lineno)  # a default or decorator: its function
        elif isinstance(n, ast.Lambda) and child is n.body:
            return Where(span, True)
        elif isinstance(n, ast.ClassDef) and around is None:
            around = (n.lineno, n.end_lineno)
    names: list[str] = []
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
            names += [x.id for x in ast.walk(t) if isinstance(x, ast.Name)]
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.append(stmt.name)
    return Where(span, False, around, tuple(n for n in names if len(n) > 1))


def _splice(src: str, old: ast.AST, new: ast.AST) -> str:
    """The source with `old`'s text replaced by `new` written out: only the mutated span changes
    (comments, layout and every other line stay as they are). A statement is replaced whole, on
    its own lines; an expression in parentheses, in place."""
    lines = src.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))
    a = starts[old.lineno - 1] + len(lines[old.lineno - 1].encode()[:old.col_offset].decode())
    b = starts[old.end_lineno - 1] + len(lines[old.end_lineno - 1].encode()[:old.end_col_offset].decode())
    text = ast.unparse(new)
    if not isinstance(new, ast.stmt):
        text = f"({text})"
    out = src[:a] + text + src[b:]
    ast.parse(out)  # still Python
    return out


def _line_after(kind: str, node, before: str) -> str:
    try:
        return {"stmt": "pass", "ret": "return None"}.get(kind) or ast.unparse(node)
    except Exception:  # noqa: BLE001
        return "?"


# -- the coverage map: which tests run which line ---------------------------------------------------

STATE = ROOT / ".mutate"
MAP = STATE / "coverage-map.json"


def _rel(path: Path | str, root: Path = ROOT) -> str:
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def sources(root: Path = ROOT) -> list[Path]:
    """The code that is mutated and traced: engine/**/*.py and cli.py."""
    return sorted((root / "engine").rglob("*.py")) + [p for p in [root / "cli.py"] if p.exists()]


def test_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "tests").rglob("test_*.py"))


def _digest(paths: list[Path]) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in paths:
        h.update(_rel(p).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def code_key() -> str:
    """What every line number and every test's coverage depends on: the engine's sources, cli.py,
    the conftest.py files and pyproject.toml (pytest's settings)."""
    return _digest([*sources(), *sorted((ROOT / "tests").rglob("conftest.py")), ROOT / "pyproject.toml"])


def _rcfile(data_file: Path) -> Path:
    """coverage.py's settings for the map: every process a test starts is measured (subprocesses
    through COVERAGE_PROCESS_START and coverage's .pth, forked or spawned workers through
    `concurrency = multiprocessing`), each under the test's node id (`context = ${MUTATE_TEST}`,
    which tools/mutate_plugin.py sets before each test; the test's own process switches context)."""
    rc = STATE / "coveragerc"
    rc.write_text("\n".join([
        "[run]", "parallel = true", "concurrency = multiprocessing, thread", "sigterm = true",
        "context = ${MUTATE_TEST}", f"data_file = {data_file}", "include =",
        f"    {ROOT}/engine/*", f"    {ROOT}/engine/**/*", f"    {ROOT}/cli.py",
        "disable_warnings = module-not-measured, no-data-collected, module-not-imported, couldnt-parse", ""]),
        encoding="utf-8")
    return rc


def _tools_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUTATE_", "COVERAGE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tools"), *[p for p in [env.get("PYTHONPATH")] if p]])
    env.update(extra)
    return env


def build_map(python: str, files: list[Path] | None = None) -> dict:
    """Run the test files (all of them when None) once under coverage, one context per test, and
    return {"ids", "durations", "failed", "lines": {file: {line: [index into ids]}}}. A test that
    fails here is left out of the map: it would 'kill' every mutant it covers."""
    import json

    import coverage

    data_dir = STATE / "cov"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    rc = _rcfile(data_dir / ".coverage")
    times = STATE / "durations.json"
    env = _tools_env({"COVERAGE_PROCESS_START": str(rc), "MUTATE_DURATIONS": str(times)})
    args = [_rel(f) for f in files] if files is not None else []
    cmd = [python, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "-p", "mutate_plugin", "-W", "ignore::coverage.exceptions.CoverageWarning", *args]
    print("coverage map:", " ".join(cmd[1:]) if files is None or len(args) < 6 else f"{len(args)} test files",
          flush=True)
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env)
    subprocess.run([python, "-m", "coverage", "combine", f"--rcfile={rc}", "-q"], cwd=ROOT, env=env, check=True)
    print(f"coverage map: tests ran in {time.monotonic() - t0:.0f}s", flush=True)
    info = json.loads(times.read_text(encoding="utf-8"))
    failed = set(info["failed"])
    data = coverage.CoverageData(basename=str(data_dir / ".coverage"))
    data.read()
    index: dict[str, int] = {}
    lines: dict[str, dict[str, list[int]]] = {}
    for f in data.measured_files():
        try:
            rel = _rel(f)
        except ValueError:
            continue
        per = {}
        for ln, contexts in data.contexts_by_lineno(f).items():
            ids = sorted({index.setdefault(c, len(index)) for c in contexts if c and c not in failed})
            if ids:
                per[str(ln)] = ids
        lines[rel] = per
    ids = sorted(index, key=index.get)
    return {"ids": ids, "durations": [round(info["durations"].get(i, 0.0), 4) for i in ids],
            "failed": sorted(failed), "lines": lines}


def import_time_lines(python: str) -> dict[str, list[int]]:
    """The lines of engine/ and cli.py that run when every module is imported (nothing else): a
    few seconds under coverage. A function that runs then (to build a table of closures, say)
    keeps what it made with the original code in a collected session, so its mutants are judged
    the slow way (see Selector.patchable). Engine code that tests run while they are collected (to
    make parameters) is not counted: those stay as the original code made them, the tests' oracle."""
    import coverage

    data_dir = STATE / "import-cov"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    rc = _rcfile(data_dir / ".coverage")
    env = _tools_env({})
    subprocess.run([python, "-m", "coverage", "run", f"--rcfile={rc}", str(ROOT / "tools" / "mutate.py"),
                    "--import-all"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)
    subprocess.run([python, "-m", "coverage", "combine", f"--rcfile={rc}", "-q"], cwd=ROOT, env=env, check=True)
    data = coverage.CoverageData(basename=str(data_dir / ".coverage"))
    data.read()
    out = {}
    for f in data.measured_files():
        try:
            out[_rel(f)] = sorted(data.lines(f) or [])
        except ValueError:
            continue
    return out


def _merge(old: dict, new: dict, replaced: set[str]) -> dict:
    """`old` without the tests of the files in `replaced`, plus `new`."""
    keep = [i for i, t in enumerate(old["ids"]) if t.split("::")[0] not in replaced]
    ids = [old["ids"][i] for i in keep] + new["ids"]
    durations = [old["durations"][i] for i in keep] + new["durations"]
    renum = {i: n for n, i in enumerate(keep)}
    lines: dict[str, dict[str, list[int]]] = {}
    for f, per in old["lines"].items():
        for ln, xs in per.items():
            ys = [renum[x] for x in xs if x in renum]
            if ys:
                lines.setdefault(f, {})[ln] = ys
    for f, per in new["lines"].items():
        for ln, xs in per.items():
            lines.setdefault(f, {}).setdefault(ln, []).extend(x + len(keep) for x in xs)
    failed = sorted({t for t in old["failed"] if t.split("::")[0] not in replaced} | set(new["failed"]))
    return {"ids": ids, "durations": durations, "failed": failed, "lines": lines}


def coverage_map(python: str, path: Path = MAP, rebuild: bool = False) -> dict:
    """The map for today's code and tests: read from `path` while the engine's sources, cli.py and
    the conftests are unchanged; a test file added, changed or removed since is re-run alone under
    coverage and merged in; any other change (or `rebuild`) runs the whole suite again."""
    import json

    key, tests = code_key(), {_rel(f): _digest([f]) for f in test_files()}
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    if rebuild or not old or old.get("code") != key:
        print("coverage map: the whole test suite runs once under coverage (several minutes)", flush=True)
        got = build_map(python)
    else:
        changed = sorted(f for f in tests if old["tests"].get(f) != tests[f])
        gone = {f for f in old["tests"] if f not in tests}
        if not changed and not gone:
            if "at_import" not in old:
                old["at_import"] = import_time_lines(python)
                path.write_text(json.dumps(old, separators=(",", ":")), encoding="utf-8")
            return old
        print(f"coverage map: {len(changed)} test file(s) new or changed, {len(gone)} removed", flush=True)
        got = _merge(old, build_map(python, [ROOT / f for f in changed]) if changed else
                     {"ids": [], "durations": [], "failed": [], "lines": {}}, set(changed) | gone)
    got.update(code=key, tests=tests, at_import=import_time_lines(python))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(got, separators=(",", ":")), encoding="utf-8")
    if got["failed"]:
        print(f"coverage map: {len(got['failed'])} test(s) failed and are left out: "
              + ", ".join(got["failed"][:10]), flush=True)
    return got


class Selector:
    """Which tests judge a mutant, from the coverage map.

    A mutant inside a function body: the tests that ran a line of its statement.
    A mutant at import time (module or class level, a default value, a decorator) ran in whichever
    test imported the module first, which says nothing: it is judged by the tests that ran a line
    of the function or class around it (a default, a decorator, a class attribute), and the tests
    that ran a line, in any module of engine/ or cli.py, naming what it assigns (a constant `LIMIT
    = 5` is judged by the tests that ran the lines reading LIMIT; followed through other
    import-time assignments, three deep). Only when neither finds a test, by every test that ran a
    line of the module's functions. The tests run fastest first (their time in the map's run).
    """

    def __init__(self, cmap: dict, root: Path = ROOT):
        self.root = root
        self.ids: list[str] = cmap["ids"]
        self.durations: list[float] = cmap["durations"]
        self.lines = {f: {int(ln): xs for ln, xs in per.items()} for f, per in cmap["lines"].items()}
        self.at_import = {f: set(xs) for f, xs in cmap.get("at_import", {}).items()}
        self._shape: dict[str, tuple[set[int], dict[int, tuple[str, ...]], list[str]]] = {}
        self._named: dict[str, set[int]] = {}
        self._tests: list[tuple[str, str, list[tuple[str, int, int]]]] | None = None
        self._by_test: dict[tuple[str, str], list[int]] = {}
        for i, node in enumerate(self.ids):
            path, _, rest = node.partition("::")
            self._by_test.setdefault((path, rest.split("[", 1)[0].rsplit("::", 1)[-1]), []).append(i)

    def shape(self, rel: str) -> tuple[set[int], dict[int, tuple[str, ...]], list[str]]:
        """(lines inside function bodies, the names assigned at import time on each line, the text)."""
        if rel not in self._shape:
            path = self.root / rel
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            body: set[int] = set()
            assigned: dict[int, tuple[str, ...]] = {}
            try:
                tree = ast.parse(text)
            except SyntaxError:
                tree = ast.Module([], [])
            for n in ast.walk(tree):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    body.update(range(n.body[0].lineno, n.end_lineno + 1))
            for n in ast.walk(tree):
                if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and n.lineno not in body:
                    targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                    names = tuple(x.id for t in targets for x in ast.walk(t) if isinstance(x, ast.Name))
                    for ln in range(n.lineno, n.end_lineno + 1):
                        assigned[ln] = assigned.get(ln, ()) + names
            self._shape[rel] = (body, assigned, text.splitlines())
        return self._shape[rel]

    def covering(self, rel: str, lines) -> set[int]:
        per = self.lines.get(rel, {})
        return {x for ln in lines for x in per.get(ln, ())}

    def _by_names(self, names: tuple[str, ...], depth: int = 3) -> set[int]:
        out: set[int] = set()
        seen: set[str] = set()
        todo = [n for n in names if len(n) > 1]
        files = [_rel(p, self.root) for p in sources(self.root)]
        for _ in range(depth):
            more: list[str] = []
            for name in todo:
                if name in seen:
                    continue
                seen.add(name)
                if name not in self._named:
                    word = re.compile(rf"\b{re.escape(name)}\b")
                    got: set[int] = set()
                    for rel in files:
                        body, assigned, text = self.shape(rel)
                        for i, line in enumerate(text, 1):
                            if name in line and word.search(line):
                                if i in body:
                                    got |= self.covering(rel, [i])
                                else:
                                    more += [n for n in assigned.get(i, ()) if n != name and len(n) > 1]
                    self._named[name] = got
                out |= self._named[name]
            todo = more
        return out

    def tests(self) -> list[tuple[str, str, list[tuple[str, int, int]]]]:
        """Each test file: (its path, its text, its test functions with their first line, decorators
        included (a parametrize list), and their last)."""
        if self._tests is None:
            self._tests = []
            for path in test_files(self.root):
                text = path.read_text(encoding="utf-8")
                try:
                    tree = ast.parse(text)
                except SyntaxError:
                    continue
                funcs = [(n.name, min([n.lineno, *(d.lineno for d in n.decorator_list)]), n.end_lineno or n.lineno)
                         for n in ast.walk(tree)
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test")]
                self._tests.append((_rel(path, self.root), text, funcs))
        return self._tests

    def _tests_naming(self, rel: str, names: tuple[str, ...]) -> set[int]:
        """The tests whose own code names a constant of `rel` (an ALL_CAPS name, or `__all__`), in a
        test file that names the module (a package by its own name): a test can read a constant
        without running a line of engine/ that does (compare.FORMATS held equal to the command
        line's own list, say; a package's `__all__` held equal to what it exports)."""
        consts = [n for n in names if len(n) > 1 and (n.isupper() or n == "__all__")]
        if not consts:
            return set()
        module = Path(rel).parent.name if Path(rel).stem == "__init__" else Path(rel).stem  # a package by its name
        stem = re.compile(rf"\b{re.escape(module)}\b")
        word = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in consts))
        out: set[int] = set()
        for path, text, funcs in self.tests():
            if not stem.search(text) or not word.search(text):
                continue
            lines = text.splitlines()
            for name, a, b in funcs:
                if any(word.search(line) for line in lines[a - 1 : b]):
                    if (path, name) not in self._by_test:  # it ran no line of engine/: not in the map
                        self.ids.append(f"{path}::{name}")  # (every parametrisation of it)
                        self.durations.append(0.0)
                        self._by_test[(path, name)] = [len(self.ids) - 1]
                    out.update(self._by_test[(path, name)])
        return out

    def select(self, m: Mutant) -> list[str]:
        """The node ids to run for `m`, fastest first; [] when no test runs its line."""
        w = m.where or Where((m.line, m.line), True)
        body, _, _ = self.shape(m.file)
        if w.in_body:
            got = self.covering(m.file, range(w.span[0], w.span[1] + 1))
        else:
            got = set()
            if w.around:
                got |= self.covering(m.file, [ln for ln in range(w.around[0], w.around[1] + 1) if ln in body])
            got |= self._by_names(w.names) | self._tests_naming(m.file, w.names)
            if not got:
                got = self.covering(m.file, body)
        return [self.ids[i] for i in sorted(got, key=lambda i: (self.durations[i], self.ids[i]))]

    def patchable(self, m: Mutant) -> bool:
        """Whether `m` can be judged by putting its function's new code in place in a collected
        session: it is in a module-level function or method (no closure between), and that function
        did not run at import or collection time (what it made then, a table of closures, say,
        would keep the original code)."""
        if m.where is None or m.where.func is None:
            return False
        _, _, a, b = m.where.func
        early = self.at_import.get(m.file, set())
        return not any(ln in early for ln in range(a, b + 1))

    def seconds(self, ids: list[str]) -> float:
        where = {t: i for i, t in enumerate(self.ids)}
        return sum(self.durations[where[t]] for t in ids if t in where)


# -- running mutants ---------------------------------------------------------------------------------

def _cache_key(m: Mutant, source: str, ids: list[str]) -> str:
    """The mutated module, the tests it is judged by (their files' text and the ids), the rules and
    the schemas (see the docstring)."""
    import hashlib

    h = hashlib.sha256(source.encode("utf-8"))
    h.update("\n".join(ids).encode())
    files = sorted({t.split("::")[0] for t in ids})
    for rel in [*files, *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rules").rglob("*.yaml")),
                *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "schemas").glob("*.json"))]:
        if (ROOT / rel).exists():
            h.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes())
    return f"{m.long_key}:{h.hexdigest()[:16]}"


def _scratch() -> tuple[Path, Path]:
    scratch = Path(tempfile.mkdtemp(prefix="ladder-mutate-"))
    shutil.copytree(ROOT, scratch / "repo", ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".mutate",
                                                                          "*.egg-info", "build", "dist"))
    return scratch, scratch / "repo"


def _external(name: str, module, repo: Path) -> bool:
    """A module the server may import before any mutant: not the repository's own code."""
    if name in ("__main__", "__mp_main__") or name.split(".")[0] in ("ladder", "conftest", "mutate_plugin"):
        return False
    f = getattr(module, "__file__", None)
    if not f:
        return True
    try:
        Path(f).resolve().relative_to(repo.resolve())
    except ValueError:
        return True
    return False


def _forked_pytest(args: list[str], env: dict[str, str], timeout: float, bytecode: bool) -> int:
    """pytest.main(args) in a fork of this process (its imports already done), in its own process
    group; -1 when it is still running after `timeout` seconds (the group is killed)."""
    import signal

    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        err = os.dup(2)  # the server's log, for a run that cannot start
        try:
            os.setpgid(0, 0)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.environ.update(env)
            sys.dont_write_bytecode = not bytecode
            import pytest

            code = int(pytest.main(args))
            if env.get("MUTATE_MODULES"):
                import json

                repo = Path.cwd()
                names = [n for n, mod in list(sys.modules.items()) if mod is not None and _external(n, mod, repo)]
                Path(env["MUTATE_MODULES"]).write_text(json.dumps(sorted(names)), encoding="utf-8")
        except BaseException:  # noqa: BLE001 - any escape is a failed run, logged
            import traceback

            os.write(err, traceback.format_exc().encode())
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 1  # killed by a signal (a crash): a failed run
        if time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return -1
        time.sleep(0.01)


def _plugin_packages() -> set[str]:
    """The top-level names of the distributions that are pytest plugins (hypothesis...): pytest
    rewrites their asserts as it starts, and warns (an error here) when one is already imported."""
    import importlib.metadata

    names: set[str] = set()
    for dist in importlib.metadata.distributions():
        if any(ep.group == "pytest11" for ep in dist.entry_points):
            names |= {Path(str(f)).parts[0].removesuffix(".py") for f in dist.files or []}
    return names


def serve() -> int:
    """`--serve`: the per-job test server, run in a scratch copy. It reads one JSON request a line:
    {"preload": [module names]} imports them (pytest, the engine's dependencies: what a mutant's
    run would import anyway, never the repository's code); {"args", "env", "timeout"} runs
    pytest in a fork and answers {"rc"}. A fork starts with those imports done, so a mutant costs
    its tests and the import of engine/ and the test files only (about a second less than a fresh
    interpreter)."""
    import importlib
    import json

    _plugin_packages = functools.cache(globals()["_plugin_packages"])
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything printed by an import goes to stderr, not into the answers
    for line in sys.stdin:
        req = json.loads(line)
        if "preload" in req:
            loaded = 0
            for name in [n for n in req["preload"] if n.split(".")[0] not in _plugin_packages()]:
                try:
                    importlib.import_module(name)
                    loaded += 1
                except BaseException:  # noqa: BLE001 - a module that cannot be preloaded is imported later
                    pass
            answer = {"loaded": loaded}
        else:
            answer = {"rc": _forked_pytest(req["args"], req.get("env", {}), req["timeout"], req.get("bytecode", False))}
        reply.write(json.dumps(answer) + "\n")
        reply.flush()
    return 0


class _Server:
    def __init__(self, python: str, scratch: Path, repo: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MUTATE_", "COVERAGE_"))}
        env.update(PYTHONPATH=os.pathsep.join([str(repo), str(repo / "tools")]), PYTHONDONTWRITEBYTECODE="1")
        self.log = open(scratch / "server.log", "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([python, str(repo / "tools" / "mutate.py"), "--serve"], cwd=repo, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        # the first run, on the unmutated copy: collect every test (writing the bytecode the
        # mutants' runs then read) and name the modules that pulled in, to be imported once
        modules = scratch / "modules.json"
        warm = self.ask({"args": ["--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
                         "env": {"MUTATE_MODULES": str(modules)}, "timeout": 900, "bytecode": True})
        if warm["rc"] != 0 or not modules.exists():
            raise RuntimeError(f"the unmutated tests cannot be collected in {repo} (pytest exit {warm['rc']})")
        import json

        self.ask({"preload": json.loads(modules.read_text(encoding="utf-8"))})

    def ask(self, req: dict) -> dict:
        import json

        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the test server stopped (see its server.log)")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _dotted(rel: str) -> str:
    """engine/audit/run.py -> engine.audit.run; engine/audit/__init__.py -> engine.audit."""
    parts = list(Path(rel).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class _Session:
    """A pytest session that collected every test once and runs each mutant's in a fork, with the
    mutated function's code put in place (tools/mutate_plugin.py, MUTATE_SERVE)."""

    def __init__(self, python: str, scratch: Path, repo: Path):
        import json

        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MUTATE_", "COVERAGE_"))}
        env.update(PYTHONPATH=os.pathsep.join([str(repo), str(repo / "tools")]), PYTHONDONTWRITEBYTECODE="1",
                   MUTATE_SERVE=f"{req_r},{rep_w}")
        self.log = open(scratch / "session.log", "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mutate_plugin",
                                      "tests"], cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, pass_fds=(req_r, rep_w))
        os.close(req_r)
        os.close(rep_w)
        self.replies = os.fdopen(self.rep_r, "r", encoding="utf-8")
        line = self.replies.readline()
        if not line:
            raise RuntimeError(f"the test session did not start (see {scratch / 'session.log'})")
        self.size = json.loads(line)["ready"]

    def ask(self, req: dict) -> dict:
        import json

        os.write(self.req_w, (json.dumps(req) + "\n").encode())
        line = self.replies.readline()
        if not line:
            raise RuntimeError("the test session stopped (see its session.log)")
        return json.loads(line)

    def close(self) -> None:
        os.close(self.req_w)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.replies.close()
        self.log.close()


@dataclass
class Outcome:
    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)  # including the uncovered
    timed_out: list[Mutant] = field(default_factory=list)  # killed by the time limit
    uncovered: list[Mutant] = field(default_factory=list)  # no test runs the line
    incomplete: list[Mutant] = field(default_factory=list)  # survived, but not every covering test ran


def stages(ids: list[str], sizes: tuple[int, ...] = (2, 6)) -> list[list[str]]:
    """The selected tests (fastest first) in runs of growing width: those in the first 2 test files
    to appear, then those in the next 6, then the rest. Collecting a test file costs as much as many
    quick tests, and most mutants die in the first run; a survivor pays one more fork per stage."""
    files = list(dict.fromkeys(t.split("::")[0] for t in ids))
    out, start = [], 0
    for size in [*sizes, len(files)]:
        group = set(files[start:start + size])
        start += size
        part = [t for t in ids if t.split("::")[0] in group]
        if part:
            out.append(part)
    return out


def run(mutants: list[tuple[Mutant, str]], selector: Selector, timeout: float, python: str, jobs: int = 1,
        cache: dict | None = None, module_done=None, fast: bool = True, max_test_seconds: float = 0) -> Outcome:
    """Run every mutant against the tests `selector` picks for it. `jobs` scratch copies, each with
    its test server, run side by side; a mutant whose key is in `cache` is not run again.
    `module_done(file, outcome)` is called as each module's last mutant is judged."""
    import json
    import queue
    import threading

    cache = {} if cache is None else cache
    out = Outcome()
    lock = threading.Lock()
    todo: queue.Queue = queue.Queue()
    for n, mu in enumerate(mutants, 1):
        todo.put((n, mu))
    pending: dict[str, int] = {}
    for m, _ in mutants:
        pending[m.file] = pending.get(m.file, 0) + 1
    done = [0]
    errors: list[BaseException] = []
    stop = threading.Event()
    killers: dict[str, dict[str, int]] = {}  # per module: test id -> mutants it killed in this run

    def record(m: Mutant, verdict: str, took: float | None, ntests: int) -> None:
        with lock:
            if verdict == "killed" or verdict == "timeout":
                out.killed.append(m)
                if verdict == "timeout":
                    out.timed_out.append(m)
            else:
                out.survived.append(m)
                if verdict == "not covered":
                    out.uncovered.append(m)
                if verdict == "survived (incomplete)":
                    out.incomplete.append(m)
            done[0] += 1
            shown = {"timeout": "killed (timeout)"}.get(verdict, verdict)
            print(f"[{done[0]}/{len(mutants)}] {m.key:<40} {shown:<22} "
                  + ("cached" if took is None else f"{took:5.1f}s") + f" {ntests:>4} tests", flush=True)
            pending[m.file] -= 1
            if pending[m.file] == 0 and module_done is not None:
                module_done(m.file, out)

    def worker() -> None:
        scratch = server = session = None
        try:
            while True:
                if stop.is_set():
                    return
                try:
                    n, (m, source) = todo.get_nowait()
                except queue.Empty:
                    return
                ids = selector.select(m)
                if not ids:
                    record(m, "not covered", 0.0, 0)
                    continue
                skipped = 0
                if max_test_seconds:  # leave out the slowest tests (the fastest one always runs)
                    kept = [t for t in ids[1:] if selector.seconds([t]) <= max_test_seconds]
                    skipped, ids = len(ids) - 1 - len(kept), ids[:1] + kept
                key = _cache_key(m, source, ids)
                with lock:  # the tests that killed this module's mutants so far first, then fastest first
                    seen = killers.get(m.file, {})
                    ids = sorted(ids, key=lambda t: -seen.get(t, 0))
                if key in cache:
                    record(m, {1: "killed", -1: "timeout"}.get(cache[key], "survived"), None, len(ids))
                    continue
                if server is None:
                    scratch, repo = _scratch()
                    server = _Server(python, scratch, repo)
                    if fast:
                        session = _Session(python, scratch, repo)
                select = scratch / "select.json"
                missing = Path(str(select) + ".missing")
                missing.unlink(missing_ok=True)
                killer = scratch / "killer"
                killer.unlink(missing_ok=True)
                target = repo / m.file
                original = target.read_bytes()
                st = target.stat()
                pycs = list((target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"))
                aside = [(p, p.with_suffix(".pyc.aside")) for p in pycs]
                for p, q in aside:
                    p.rename(q)
                target.write_text(source, encoding="utf-8")
                t0 = time.monotonic()
                rc, lost = 99, False
                try:
                    if session is not None and selector.patchable(m):
                        qual, first, _, _ = m.where.func
                        rc = session.ask({"patch": {"module": _dotted(m.file), "file": str(target), "source": source,
                                                    "qualname": qual, "first": first},
                                          "ids": ids, "timeout": max(timeout, 60 + 3 * selector.seconds(ids)),
                                          "env": {"MUTATE_KILLER": str(killer)}})["rc"]
                        if rc == 98:
                            rc, lost = 0, True
                    if rc == 99:  # the slow way: a fresh import of everything, in stages
                        for part in stages(ids):
                            select.write_text(json.dumps(part), encoding="utf-8")
                            files = list(dict.fromkeys(t.split("::")[0] for t in part))
                            limit = max(timeout, 60 + 3 * selector.seconds(part))  # never less than the tests need
                            rc = server.ask({"args": ["-x", "-q", "-p", "no:cacheprovider", "-p", "mutate_plugin",
                                                      *files],
                                             "env": {"MUTATE_SELECT": str(select), "MUTATE_KILLER": str(killer)},
                                             "timeout": limit})["rc"]
                            if rc not in (0, 5):
                                break
                        lost = missing.exists()
                finally:
                    target.write_bytes(original)
                    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # the original's bytecode is valid again
                    for p, q in aside:
                        q.rename(p)
                took = time.monotonic() - t0
                verdict = ("timeout" if rc == -1 else "survived (incomplete)" if rc in (0, 5) and (lost or skipped)
                           else "survived" if rc in (0, 5) else "killed")
                with lock:
                    cache[key] = {"killed": 1, "timeout": -1}.get(verdict, 0)
                    if verdict == "killed" and killer.exists():
                        by = killer.read_text(encoding="utf-8")
                        killers.setdefault(m.file, {})[by] = killers.get(m.file, {}).get(by, 0) + 1
                record(m, verdict, took, len(ids))
        except BaseException as e:  # noqa: BLE001 - reported after the other workers stop
            errors.append(e)
            while True:  # the others finish the queue
                try:
                    todo.get_nowait()
                except queue.Empty:
                    break
        finally:
            for s in (session, server):
                if s is not None:
                    s.close()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    except KeyboardInterrupt:  # (or SIGTERM) the mutants under way finish, no new one starts
        stop.set()
        print("interrupted: finishing the mutants under way", flush=True)
        for t in threads:
            t.join()
        raise
    if errors:
        raise errors[0]
    order = {m.long_key: i for i, (m, _) in enumerate(mutants)}
    for xs in (out.killed, out.survived, out.timed_out, out.uncovered, out.incomplete):
        xs.sort(key=lambda m: order[m.long_key])
    return out


# -- scores -------------------------------------------------------------------------------------------

def scores(killed: list[Mutant], survived: list[Mutant]) -> dict[str, tuple[int, int]]:
    """Per module: (killed, total)."""
    out: dict[str, list[int]] = {}
    for m in killed:
        out.setdefault(m.file, [0, 0])[0] += 1
    for m in [*killed, *survived]:
        out.setdefault(m.file, [0, 0])[1] += 1
    return {f: (k, t) for f, (k, t) in sorted(out.items())}


TABLE_HEAD = ["| module | mutants | killed | survived | not covered | score | date | commit |",
              "|---|---:|---:|---:|---:|---:|---|---|"]


def table_row(file: str, killed: int, total: int, uncovered: int, date: str, commit: str,
              incomplete: int = 0) -> str:
    """A module's row. `incomplete`: survivors that did not meet every test covering them (the slow
    ones left out by --max-test-seconds): they count as survived, so the score is a lower bound, and
    the row says so ("12 (3 without the slow tests)", "≥ 85.0 %")."""
    survived = f"{total - killed}" + (f" ({incomplete} without the slow tests)" if incomplete else "")
    return (f"| `{file}` | {total} | {killed} | {survived} | {uncovered} | "
            f"{'≥ ' if incomplete else ''}{100 * killed / max(total, 1):.1f} % | {date} | {commit} |")


def table(per_module: dict[str, tuple[int, int]], survived: list[Mutant], uncovered: list[Mutant] = (),
          date: str = "", commit: str = "") -> str:
    lines = list(TABLE_HEAD)
    for f, (k, t) in per_module.items():
        lines.append(table_row(f, k, t, sum(1 for m in uncovered if m.file == f), date, commit))
    return "\n".join(lines)


def write_table(path: Path, text: str) -> None:
    """Put `text`'s rows between the markers of `path`: a module's row replaces the row of the same
    module there, the other rows stay (a run of some modules updates only theirs)."""
    doc = path.read_text(encoding="utf-8") if path.exists() else ""
    a, b = "<!-- mutation-table -->", "<!-- /mutation-table -->"

    def rows(block: str) -> dict[str, str]:
        return {ln.split("`")[1]: ln for ln in block.splitlines() if ln.startswith("| `")}

    old = rows(doc[doc.index(a):doc.index(b)]) if a in doc and b in doc else {}
    merged = {**old, **rows(text)}
    block = f"{a}\n" + "\n".join([*TABLE_HEAD, *(merged[k] for k in sorted(merged))]) + f"\n{b}"
    doc = doc[:doc.index(a)] + block + doc[doc.index(b) + len(b):] if a in doc and b in doc else \
        doc.rstrip("\n") + ("\n\n" if doc else "") + block + "\n"
    path.write_text(doc, encoding="utf-8")


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    return head + ("+changes" if git("status", "--porcelain", "--", "engine", "cli.py", "tests") else "")


# -- the command --------------------------------------------------------------------------------------

def resolve_module(name: str) -> list[Path]:
    """`--module`: a path from the repository's top (a file or a directory), or a module's file name
    or stem found anywhere under engine/ (`escape`, `escape.py`, `audit/run.py`)."""
    p = ROOT / name
    if p.is_dir():
        return sorted(p.rglob("*.py"))
    if p.is_file():
        return [p]
    want = name if name.endswith(".py") else name + ".py"
    found = [f for f in sources() if _rel(f) == want or _rel(f).endswith("/" + want)]
    if not found:
        raise SystemExit(f"no module {name!r} under engine/ (nor cli.py)")
    return found


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        return serve()
    if sys.argv[1:] == ["--import-all"]:  # see import_time_lines
        import importlib

        sys.path.insert(0, str(ROOT))
        for f in sources():
            try:
                importlib.import_module(_dotted(_rel(f)))
            except Exception:  # noqa: BLE001 - a module that cannot be imported alone
                pass
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", action="append", help="a module to mutate: a path, or a name found under engine/ "
                    "(repeatable; default: engine/**/*.py)")
    ap.add_argument("--all", action="store_true", help="every module of engine/, smallest first, a line per module")
    ap.add_argument("--sample", type=int, default=0, help="run this many mutants, chosen by --seed")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--only", action="append", help="run the mutant with this key (file:line:kind[:n])")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--tests", action="store_true", help="with --list: the tests each mutant would run")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a mutant's tests count as hung; "
                    "more for a mutant whose tests are slow: 60 s + 3 x their time in the coverage run")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--jobs", type=int, default=1, help="mutants run side by side, each in its own scratch copy")
    ap.add_argument("--cache", type=Path, help="a JSON file of earlier outcomes, read and updated (incremental)")
    ap.add_argument("--table", type=Path, help="write the per-module scores into this markdown file")
    ap.add_argument("--map", type=Path, default=MAP, help="the coverage map (built or updated when stale)")
    ap.add_argument("--rebuild-map", action="store_true", help="run the whole suite under coverage again")
    ap.add_argument("--max-test-seconds", type=float, default=0, help="leave out of each mutant's tests those that "
                    "took longer than this in the coverage run (a survivor is then marked incomplete; default: "
                    "none left out)")
    ap.add_argument("--slow", action="store_true", help="every mutant in a fresh interpreter (no code patching in "
                    "a collected session): to confirm a survivor")
    args = ap.parse_args()
    if args.module:
        files = [f for m in args.module for f in resolve_module(m)]
    elif args.only:  # only the files the keys name
        names = {k.split(":")[0] for k in args.only}
        files = [f for f in sources() if f.name in names or _rel(f) in names]
    else:
        files = [f for f in sources() if f.name != "cli.py"]
    every = [mu for f in files for mu in mutants_of(f)]
    chosen = every
    if args.only:
        chosen = [mu for mu in every if mu[0].key in args.only or mu[0].long_key in args.only]
    elif args.sample:
        chosen = sorted(random.Random(args.seed).sample(every, min(args.sample, len(every))),
                        key=lambda mu: (mu[0].file, mu[0].line, mu[0].kind, mu[0].index))
    if args.all:  # smallest module first: a run cut short has finished whole modules
        size: dict[str, int] = {}
        for m, _ in chosen:
            size[m.file] = size.get(m.file, 0) + 1
        chosen = sorted(chosen, key=lambda mu: (size[mu[0].file], mu[0].file))
    selector = Selector(coverage_map(args.python, args.map, args.rebuild_map)) if not args.list or args.tests else None
    if args.list:
        for m, _ in chosen:
            print(f"{m.key:<40} {m.before}")
            if selector is not None:
                ids = selector.select(m)
                print(f"    {len(ids)} tests, {selector.seconds(ids):.1f}s: " + " ".join(ids[:5])
                      + (" ..." if len(ids) > 5 else ""))
        print(f"{len(chosen)} of {len(every)} mutants")
        return 0
    print(f"{len(chosen)} of {len(every)} mutants of {len(files)} file(s); tests per mutant: those covering its "
          f"line, fastest first, -x; time limit at least {args.timeout:.0f}s", flush=True)
    import json

    cache = json.loads(args.cache.read_text(encoding="utf-8")) if args.cache and args.cache.exists() else {}
    total_of: dict[str, int] = {}
    for m, _ in every:
        total_of[m.file] = total_of.get(m.file, 0) + 1
    ran_of: dict[str, int] = {}
    for m, _ in chosen:
        ran_of[m.file] = ran_of.get(m.file, 0) + 1
    date, commit = time.strftime("%Y-%m-%d"), _commit()

    def module_done(file: str, out: Outcome) -> None:
        k = sum(1 for m in out.killed if m.file == file)
        t = k + sum(1 for m in out.survived if m.file == file)
        u = sum(1 for m in out.uncovered if m.file == file)
        i = sum(1 for m in out.incomplete if m.file == file)
        print(f"== {file}: {k}/{t} killed ({100 * k / max(t, 1):.1f} %), {u} not covered"
              + (f", {i} survived without the slow tests" if i else ""), flush=True)
        if args.table and ran_of[file] == total_of[file]:  # only a module run whole gets a row
            write_table(args.table, table_row(file, k, t, u, date, commit, i))
        if args.cache:
            args.cache.write_text(json.dumps(cache, indent=0, sort_keys=True), encoding="utf-8")

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    import signal

    signal.signal(signal.SIGTERM, interrupt)
    t0 = time.monotonic()
    try:
        out = run(chosen, selector, args.timeout, args.python, args.jobs, cache, module_done, fast=not args.slow,
                  max_test_seconds=args.max_test_seconds)
    finally:
        if args.cache:
            args.cache.write_text(json.dumps(cache, indent=0, sort_keys=True), encoding="utf-8")
    killed, survived = out.killed, out.survived
    total = len(killed) + len(survived)
    per_module = scores(killed, survived)
    print()
    print(table(per_module, survived, out.uncovered, date, commit))
    print(f"\nscore: {len(killed)}/{total} killed = {100 * len(killed) / max(total, 1):.1f} % "
          f"({len(out.uncovered)} not covered) in {time.monotonic() - t0:.0f}s")
    if out.timed_out:  # on a busy machine a slow but passing run can hit the limit: see these again
        print(f"{len(out.timed_out)} of them by the time limit (a hang, or a busy machine; re-run with "
              f"--only and a longer --timeout to tell): " + ", ".join(m.key for m in out.timed_out))
    if out.incomplete:
        print("survived, but not every test covering them ran (not collected, or --max-test-seconds): "
              + ", ".join(m.key for m in out.incomplete))
    if survived:
        print("survivors:")
        for m in survived:
            tag = " (not covered)" if m in out.uncovered else ""
            print(f"  {m.file}:{m.line} [{m.kind}] {m.before}  ->  {m.after}{tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
