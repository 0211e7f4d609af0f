"""Build hook: the `ladder` package's __init__.py, for the wheel and for editable installs.

The repository keeps engine/ and cli.py at its top; the wheel maps them into one package,
`ladder` (pyproject.toml, force-include). This hook writes that package's __init__.py:

* the wheel gets a docstring only: `ladder` is a regular package, which no other distribution
  can merge into;
* an editable install (`pip install -e .`) gets `__path__ = [<the checkout>]`, so `ladder.cli`
  (the console script) and `ladder.engine` are the checkout's own files, edits included. It is
  the file the `editables` project generates for a package whose files live elsewhere
  (`EditableProject.add_to_subpackage`); hatchling's own editable mode only puts folders on
  sys.path or maps whole top-level packages, neither of which yields `ladder` here. The checkout
  is also on sys.path (`dev-mode-dirs`), where `engine` and `cli` keep their checkout names.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

INIT = "ladder/__init__.py"
DOC = '"""ladder: promotion readiness for the product-management career ladder (ladder.cli, ladder.engine)."""\n'


# The editable __init__.py: `ladder` is the checkout, and since the checkout is also on sys.path
# (where tests import `engine` and `cli`), `ladder.engine[.X]` and `ladder.cli` are made the very
# modules `engine[.X]` and `cli`: one process never holds two copies of the engine (two rule
# caches, two engine hosts, two classes of every error).
ONE_COPY = """import importlib
import importlib.abc
import importlib.util
import sys

__path__ = [{root!r}]


class _OneCopy(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name in ("ladder.cli", "ladder.engine") or name.startswith("ladder.engine."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(spec.name[len("ladder."):])

    def exec_module(self, module):
        pass


if not any(type(f).__name__ == "_OneCopy" for f in sys.meta_path):
    sys.meta_path.insert(0, _OneCopy())
"""


class LadderInitHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="ladder-build-"))
        init = self._tmp / "__init__.py"
        if version == "editable":
            init.write_text(DOC + ONE_COPY.format(root=str(Path(self.root).resolve())), encoding="utf-8")
            # Only this file: the bundled rules stay in the checkout (engine.base.resources finds them).
            build_data["force_include_editable"][str(init)] = INIT
        else:
            init.write_text(DOC, encoding="utf-8")
            build_data["force_include"][str(init)] = INIT

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
