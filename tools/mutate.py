#!/usr/bin/env python3
"""A small mutation run: does the test suite notice a realistic one-line bug?

    python tools/mutate.py --list                         # every mutant, nothing run
    python tools/mutate.py --sample 40 --seed 1           # 40 mutants of engine/, tests run
    python tools/mutate.py --module engine/core/explain.py     # every mutant of one module
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

Each mutant is written into a scratch copy of the repository (the working tree is never touched;
`--jobs N` runs N copies side by side) and the tests that cover its module run there, its own
first, stopping at the first failure (-x) and given a time limit (a mutant that hangs the tests counts as killed: a user would notice too). The score
is killed / (killed + survived). Survivors are printed with file, line and the edit, to be killed
with a test or listed with why they are equivalent. Not part of CI's required run: it takes about
half a minute per mutant on a 2-core machine. Lines marked `# pragma: no mutate` are skipped.

`--cache FILE` makes a run incremental: a mutant's outcome is kept under a key made of its
mutated source and the content of the tests it ran, the rules and the schemas, and reused while
they are unchanged (an edit elsewhere in engine/ does not invalidate it: re-run without the cache
before quoting a score). `--table FILE` writes the per-module scores between the markers
`<!-- mutation-table -->` and `<!-- /mutation-table -->` of FILE (docs/development.md).
"""
from __future__ import annotations

import argparse
import ast
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
class Mutant:
    file: str  # relative to ROOT
    line: int
    kind: str
    index: int  # which candidate of this kind on this line
    before: str
    after: str

    @property
    def key(self) -> str:
        return f"{Path(self.file).name}:{self.line}:{self.kind}" + (f":{self.index}" if self.index else "")


class _Finder(ast.NodeVisitor):
    """Every mutation site, in source order: (node path, kind, line)."""

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
        self.sites.append((tuple(self._path_ids()), kind, getattr(node, "lineno", 0)))

    def _path_ids(self):
        return [id(n) for n in self._path]

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
    """Every mutant of one file (or of `src`, named as that file) with its mutated source."""
    src = path.read_text(encoding="utf-8") if src is None else src
    lines = src.splitlines()
    tree = ast.parse(src)
    finder = _Finder()
    finder.visit(tree)
    out: list[tuple[Mutant, str]] = []
    per_line: dict[tuple[int, str], int] = {}
    for n, (_, kind, line) in enumerate(finder.sites):
        if not line or "pragma: no mutate" in lines[line - 1]:
            continue
        t2 = ast.parse(src)
        f2 = _Finder()
        f2.visit(t2)
        ids, _, _ = f2.sites[n]
        node = _node_by_id(t2, ids[-1])
        if kind == "not":
            new_node = node.operand
        elif kind == "drop":
            new_node = node.args[0]
        elif kind == "arith0":
            new_node = node.left
        elif kind in ("stmt", "ret"):
            new_node = ast.Pass() if kind == "stmt" else ast.Return(ast.Constant(None))
        else:
            new_node = node
            if not _apply(node, kind):
                continue
        try:
            mutated = _splice(src, node, new_node)
        except Exception:  # noqa: BLE001 - an edit that cannot be written is no mutant
            continue
        k = per_line.get((line, kind), 0)
        per_line[(line, kind)] = k + 1
        before = lines[line - 1].strip()
        after = _line_after(kind, new_node, before)
        out.append((Mutant(str(path.relative_to(ROOT)) if path.is_absolute() else str(path), line, kind.rstrip("0123456789"), k, before, after), mutated))
    return out


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


def _node_by_id(tree: ast.AST, wanted: int):
    for n in ast.walk(tree):
        if id(n) == wanted:
            return n
    raise LookupError


def _tests_for(rel: str) -> list[str]:
    """The module's EXTRA, every test file that names the module (its stem as a word:
    `engine.committee.calibrate`, `from engine import calibrate`, the `calibrate` command), then FAST: the
    module's own tests first, so that with -x most mutants die in seconds."""
    names: list[str] = []
    for key, extra in EXTRA.items():
        if rel.endswith(key) or f"/{key}/" in rel:
            names += [e for e in extra if e not in names]
    stem = Path(rel).stem
    if stem not in ("__init__",):
        word = re.compile(rf"\b{re.escape(stem)}\b")
        for t in sorted((ROOT / "tests").glob("test_*.py")):
            if t.stem not in names and word.search(t.read_text(encoding="utf-8")):
                names.append(t.stem)
    names += [n for n in FAST if n not in names]
    return [f"tests/{n}.py" for n in names if (ROOT / "tests" / f"{n}.py").exists()]


def _cache_key(m: Mutant, source: str, tests: list[str]) -> str:
    """The mutated module, the tests it is judged by, the rules and the schemas (see the docstring)."""
    import hashlib

    h = hashlib.sha256(source.encode("utf-8"))
    for rel in [*tests, *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rules").rglob("*.yaml")),
                *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "schemas").glob("*.json"))]:
        h.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes())
    return f"{m.key}:{h.hexdigest()[:16]}"


def _scratch() -> tuple[Path, Path]:
    scratch = Path(tempfile.mkdtemp(prefix="ladder-mutate-"))
    shutil.copytree(ROOT, scratch / "repo", ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__",
                                                                          "*.egg-info", "build", "dist"))
    return scratch, scratch / "repo"


def run(mutants: list[tuple[Mutant, str]], timeout: float, python: str, jobs: int = 1,
        cache: dict | None = None) -> tuple[list[Mutant], list[Mutant], list[Mutant]]:
    """(killed, survived, killed by the time limit). `jobs` scratch copies run side by side; a
    mutant whose key is in `cache` is not run again (its outcome is taken from there)."""
    import queue
    import threading

    cache = {} if cache is None else cache
    killed, survived, timed_out = [], [], []
    lock = threading.Lock()
    todo: queue.Queue = queue.Queue()
    for n, mu in enumerate(mutants, 1):
        todo.put((n, mu))
    done = [0]

    def record(n: int, m: Mutant, rc: int, took: float, cached: bool) -> None:
        with lock:
            (survived if rc == 0 else killed).append(m)
            if rc == -1:
                timed_out.append(m)
            done[0] += 1
            verdict = "survived" if rc == 0 else ("killed (timeout)" if rc == -1 else "killed")
            print(f"[{done[0]}/{len(mutants)}] {m.key:<40} {verdict:<16} "
                  + ("cached" if cached else f"{took:5.1f}s"), flush=True)

    def worker() -> None:
        scratch = None
        try:
            while True:
                try:
                    n, (m, source) = todo.get_nowait()
                except queue.Empty:
                    return
                tests = _tests_for(m.file)
                key = _cache_key(m, source, tests)
                if key in cache:
                    record(n, m, cache[key], 0.0, True)
                    continue
                if scratch is None:
                    scratch, repo = _scratch()
                    env = dict(os.environ, PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1")
                target = repo / m.file
                original = target.read_text(encoding="utf-8")
                target.write_text(source, encoding="utf-8")
                t0 = time.monotonic()
                try:
                    rc = subprocess.run([python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                                        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        timeout=timeout).returncode
                except subprocess.TimeoutExpired:
                    rc = -1
                finally:
                    target.write_text(original, encoding="utf-8")
                with lock:
                    cache[key] = 0 if rc == 0 else (-1 if rc == -1 else 1)
                record(n, m, rc, time.monotonic() - t0, False)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    order = {m.key: i for i, (m, _) in enumerate(mutants)}
    for xs in (killed, survived, timed_out):
        xs.sort(key=lambda m: order[m.key])
    return killed, survived, timed_out


def scores(killed: list[Mutant], survived: list[Mutant]) -> dict[str, tuple[int, int]]:
    """Per module: (killed, total)."""
    out: dict[str, list[int]] = {}
    for m in killed:
        out.setdefault(m.file, [0, 0])[0] += 1
    for m in [*killed, *survived]:
        out.setdefault(m.file, [0, 0])[1] += 1
    return {f: (k, t) for f, (k, t) in sorted(out.items())}


def table(per_module: dict[str, tuple[int, int]], survived: list[Mutant]) -> str:
    lines = ["| module | killed | mutants | score | survivors |", "|---|---:|---:|---:|---|"]
    for f, (k, t) in per_module.items():
        left = [f"{m.line}:{m.kind}" for m in survived if m.file == f]
        lines.append(f"| `{f}` | {k} | {t} | {100 * k / max(t, 1):.1f} % | {', '.join(left) or '-'} |")
    return "\n".join(lines)


def write_table(path: Path, text: str) -> None:
    doc = path.read_text(encoding="utf-8") if path.exists() else ""
    a, b = "<!-- mutation-table -->", "<!-- /mutation-table -->"
    block = f"{a}\n{text}\n{b}"
    doc = doc[:doc.index(a)] + block + doc[doc.index(b) + len(b):] if a in doc and b in doc else \
        doc.rstrip("\n") + ("\n\n" if doc else "") + block + "\n"
    path.write_text(doc, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", action="append", help="a file to mutate (repeatable; default: engine/**.py)")
    ap.add_argument("--sample", type=int, default=0, help="run this many mutants, chosen by --seed")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--only", action="append", help="run the mutant with this key (file:line:kind[:n])")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a mutant's tests count as hung")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--jobs", type=int, default=1, help="mutants run side by side, each in its own scratch copy")
    ap.add_argument("--cache", type=Path, help="a JSON file of earlier outcomes, read and updated (incremental)")
    ap.add_argument("--table", type=Path, help="write the per-module scores into this markdown file")
    args = ap.parse_args()
    files = [ROOT / m for m in args.module] if args.module else sorted((ROOT / "engine").rglob("*.py"))
    every = [mu for f in files for mu in mutants_of(f)]
    chosen = every
    if args.only:
        chosen = [mu for mu in every if mu[0].key in args.only]
    elif args.sample:
        chosen = sorted(random.Random(args.seed).sample(every, min(args.sample, len(every))),
                        key=lambda mu: (mu[0].file, mu[0].line, mu[0].kind, mu[0].index))
    if args.list:
        for m, _ in chosen:
            print(f"{m.key:<40} {m.before}")
        print(f"{len(chosen)} of {len(every)} mutants")
        return 0
    print(f"{len(chosen)} of {len(every)} mutants of {len(files)} file(s); tests per mutant: -x, "
          f"time limit {args.timeout:.0f}s", flush=True)
    import json

    cache = json.loads(args.cache.read_text(encoding="utf-8")) if args.cache and args.cache.exists() else {}
    try:
        killed, survived, timed_out = run(chosen, args.timeout, args.python, args.jobs, cache)
    finally:
        if args.cache:
            args.cache.write_text(json.dumps(cache, indent=0, sort_keys=True), encoding="utf-8")
    total = len(killed) + len(survived)
    per_module = scores(killed, survived)
    for f, (k, t) in per_module.items():
        print(f"  {f:<32} {k:>4}/{t:<4} {100 * k / max(t, 1):5.1f} %")
    if args.table:
        write_table(args.table, table(per_module, survived))
    print(f"\nscore: {len(killed)}/{total} killed = {100 * len(killed) / max(total, 1):.1f} %")
    if timed_out:  # on a busy machine a slow but passing run can hit the limit: see these again
        print(f"{len(timed_out)} of them by the time limit (a hang, or a busy machine; re-run with "
              f"--only and a longer --timeout to tell): " + ", ".join(m.key for m in timed_out))
    if survived:
        print("survivors:")
        for m in survived:
            print(f"  {m.file}:{m.line} [{m.kind}] {m.before}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
