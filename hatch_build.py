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


class LadderInitHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="ladder-build-"))
        init = self._tmp / "__init__.py"
        if version == "editable":
            init.write_text(f"{DOC}__path__ = [{str(Path(self.root).resolve())!r}]\n", encoding="utf-8")
            # Only this file: the bundled rules stay in the checkout (engine.resources finds them).
            build_data["force_include_editable"][str(init)] = INIT
        else:
            init.write_text(DOC, encoding="utf-8")
            build_data["force_include"][str(init)] = INIT

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
