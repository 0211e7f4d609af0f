"""One importable copy of each module (issue 26, point 4). In a checkout installed editable (as
CI installs it), the checkout is on sys.path, where `engine` and `cli` are importable by their own
names, and `ladder` is the installed package the console script uses: `ladder.engine.X` must be
the very module `engine.X`, not a second copy with its own caches, engine host and error classes."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROBE = """
import sys
import engine.base.errors, engine.book.fields, cli
import ladder, ladder.cli, ladder.engine.base.errors, ladder.engine.book.fields
editable = [str(p) for p in getattr(ladder, "__path__", [])] == [sys.argv[1]]
print(editable, ladder.engine.book.fields is engine.book.fields, ladder.engine.base.errors.LadderError is engine.base.errors.LadderError,
      ladder.cli is cli, len([m for m in sys.modules if m.endswith("engine.book.fields")]))
"""


def test_the_package_and_the_checkout_are_one_copy():
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT)], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout.split()
    if out[0] == "True":  # the editable install CI makes
        assert out[1:] == ["True", "True", "True", "2"]  # two names, one module object
    else:  # a wheel: ladder.engine is the installed copy, and the checkout's is not the package's
        assert out[1] == "False", "a wheel install should not share the checkout's modules"
