"""docs/architecture.md's floors are the rule: every module of engine/ is placed, imports only
from its own floor or below (every import, including those inside functions), and the imports
form no circle. A new module, or an import that climbs, fails here until the doc says where it
belongs."""
from __future__ import annotations

import ast
import re

from conftest import ROOT

ENGINE = ROOT / "engine"


class Table:
    """docs/architecture.md's table: each module's package, each package's floor and what it may import."""

    def __init__(self) -> None:
        text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
        self.package: dict[str, str] = {}  # module -> package
        self.floor: dict[str, int] = {}  # package -> floor
        self.may: dict[str, set[str]] = {}  # package -> the packages it may import
        rows = re.findall(r"^\| (\d) \| ([^|]+) \| [^|]+ \| ([^|]+) \| ([^|]+) \|$", text, re.M)
        assert len(rows) >= 8, "docs/architecture.md: the packages table is not where the test reads it"
        for floor, pkg, may, mods in rows:
            name = pkg.strip().strip("`")
            self.floor[name] = int(floor)
            self.may[name] = set(may.split()) if may.strip() not in ("—", "every package") else set()
            if may.strip() == "every package":
                self.may[name] = {"*"}
            for m in re.findall(r"`([a-z_.]+)`", mods):
                assert m not in self.package, f"{m} is placed twice"
                self.package[m] = name

    def allowed(self, m: str, d: str) -> bool:
        p, q = self.package[m], self.package[d]
        return p == q or "*" in self.may[p] or q in self.may[p]


PACKAGES = {p.parent.name for p in ENGINE.glob("*/__init__.py")}


def _module(path) -> str:
    rel = path.relative_to(ENGINE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the engine modules it imports (relative or absolute, at any depth)."""
    mods = {_module(p): p for p in ENGINE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        pkg = name.split(".") if path.name == "__init__.py" and name != "__init__" else name.split(".")[:-1]
        if name == "__init__":
            pkg = []
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                elif node.module and node.module.split(".")[0] == "engine":
                    base = []
                else:
                    continue
                target = base + (node.module.split(".") if node.module else [])
                if target[:1] == ["engine"]:
                    target = target[1:]
                for alias in node.names:
                    full = ".".join(target + [alias.name])
                    deps.add(full if full in mods else ".".join(target) or "__init__")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("engine."):
                        deps.add(alias.name.removeprefix("engine."))
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _placed_modules(graph: dict[str, set[str]]) -> set[str]:
    """Every module but a package's face (an __init__.py that only holds its docstring)."""
    return {m for m in graph if not (m in PACKAGES and m != "audit")}


def test_every_module_is_placed_in_a_package():
    table, graph = Table(), _imports()
    assert sorted(_placed_modules(graph) - set(table.package)) == [], "modules docs/architecture.md does not place"
    assert sorted(set(table.package) - set(graph)) == [], "docs/architecture.md places modules that do not exist"
    for m, pkg in table.package.items():
        if "." in m:
            assert m.split(".")[0] == pkg, f"{m} is placed in {pkg} but lives in engine/{m.split('.')[0]}/"


def test_package_faces_only_say_what_they_may_import():
    for pkg in sorted(PACKAGES - {"audit"}):
        src = (ENGINE / pkg / "__init__.py").read_text(encoding="utf-8")
        tree = ast.parse(src)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), f"engine/{pkg}/__init__.py holds code"
        assert "May import:" in src, f"engine/{pkg}/__init__.py does not say what it may import"


def test_the_table_is_ordered_by_floor():
    table = Table()
    for pkg, may in table.may.items():
        for q in may - {"*"}:
            assert table.floor[q] < table.floor[pkg], f"{pkg} (floor {table.floor[pkg]}) may import {q} above it"


def test_no_import_reaches_a_package_it_may_not():
    table, graph = Table(), _imports()
    bad = sorted(f"{m} ({table.package[m]}) imports {d} ({table.package[d]})"
                 for m, deps in graph.items() if m in table.package
                 for d in deps if d in table.package and not table.allowed(m, d))
    assert bad == []


def test_the_imports_form_no_circle():
    graph = _imports()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_checker_sees_a_climb_and_a_circle(tmp_path, monkeypatch):
    """The tests above would pass on an empty graph: show they read real imports."""
    graph = _imports()
    assert "core.firing" in graph["core.evaluator"] and "core.evidence" in graph["core.pipeline"]
    assert "book.compiler" in graph["audit.impact"] or "core.pipeline" in graph["audit.impact"]
    assert "outputs.report" in graph["committee.reverify"]  # a function-level import is seen
    assert "base.errors" in graph["audit.run"]  # `from ..base.errors import` from a package one down
