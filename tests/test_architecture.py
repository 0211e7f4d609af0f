"""docs/architecture.md's floors are the rule: every module of engine/ is placed, imports only
from its own floor or below (every import, including those inside functions), and the imports
form no circle. A new module, or an import that climbs, fails here until the doc says where it
belongs."""
from __future__ import annotations

import ast
import re

from conftest import ROOT

ENGINE = ROOT / "engine"


def _floors() -> dict[str, int]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for floor, mods in re.findall(r"^\| (\d) \| [^|]+ \| ([^|]+) \|$", text, re.M):
        for m in re.findall(r"`([a-z_.]+)`", mods):
            assert m not in out, f"{m} is placed twice"
            out[m] = int(floor)
    return out


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


def test_every_module_is_placed_on_a_floor():
    floors, graph = _floors(), _imports()
    assert sorted(set(graph) - set(floors)) == [], "modules docs/architecture.md does not place"
    assert sorted(set(floors) - set(graph)) == [], "docs/architecture.md places modules that do not exist"


def test_no_import_climbs_a_floor():
    floors, graph = _floors(), _imports()
    climbs = sorted(f"{m} (floor {floors[m]}) imports {d} (floor {floors[d]})"
                    for m, deps in graph.items() for d in deps if floors[d] > floors[m])
    assert climbs == []


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
    assert "firing" in graph["evaluator"] and "evidence" in graph["pipeline"]
    assert "compiler" in graph["audit.impact"] or "pipeline" in graph["audit.impact"]
    assert "report" in graph["reverify"]  # a function-level import is seen
