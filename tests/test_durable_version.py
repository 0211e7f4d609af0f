"""engine.firing drives durable_rules 2.0.28 and refuses any other version when it is imported.

Its C calls, limits and bug workarounds (docs/engine.md) were established on that release only;
another version must stop ladder with a message saying what to install, never a traceback.
"""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT

from engine import firing
from engine.errors import DependencyError, LadderError


def _pretend(monkeypatch: pytest.MonkeyPatch, version: str | None) -> None:
    """Make importlib.metadata report `version` for durable_rules (None: not installed)."""
    real = importlib.metadata.version

    def version_of(name: str) -> str:
        if name != "durable_rules":
            return real(name)
        if version is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return version

    monkeypatch.setattr(firing.metadata, "version", version_of)


def test_the_installed_version_is_the_one_driven():
    assert firing.DURABLE_RULES == "2.0.28"
    assert importlib.metadata.version("durable_rules") == firing.DURABLE_RULES
    firing.check_durable_rules()  # no error


@pytest.mark.parametrize("version", ["2.0.27", "2.0.29", "2.1.0", "3.0.0", "2.0.28.post1"])
def test_another_version_is_refused(monkeypatch, version):
    _pretend(monkeypatch, version)
    with pytest.raises(DependencyError) as caught:
        firing.check_durable_rules()
    err = caught.value
    assert isinstance(err, LadderError) and isinstance(err, ImportError)
    assert f"durable_rules {version} is installed" in str(err)
    assert "ladder needs durable_rules 2.0.28" in str(err)
    assert "pip install 'durable-rules==2.0.28'" in str(err)


def test_a_missing_durable_rules_is_refused(monkeypatch):
    _pretend(monkeypatch, None)
    with pytest.raises(DependencyError, match="durable_rules is not installed, but ladder needs durable_rules 2.0.28"):
        firing.check_durable_rules()


_WRONG_VERSION = """
import importlib.metadata as m, sys
real = m.version
m.version = lambda name: "2.1.0" if name == "durable_rules" else real(name)
"""


def _python(code: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _WRONG_VERSION + code, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_importing_the_engine_checks_the_version():
    proc = _python("import engine.firing")
    assert proc.returncode == 1
    assert "engine.errors.DependencyError: durable_rules 2.1.0 is installed" in proc.stderr


def test_the_cli_reports_a_wrong_version_in_one_line():
    packet = sorted(FIXTURES.glob("*.yaml"))[0]
    proc = _python("sys.argv[0] = 'ladder'\nimport cli\ncli.run()", "evaluate", str(packet))
    assert proc.returncode == 70, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("ladder: cannot start: durable_rules 2.1.0 is installed, but ladder needs "
                                  "durable_rules 2.0.28"), proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [["--help"], ["validate", "FIXTURE"], ["schema"], ["evaluate", "--help"]])
def test_commands_that_fire_nothing_never_load_the_c_core(args):
    """Cold start: --help, validate and schema import only what they need; the C core of
    durable_rules is loaded when a rules engine is made, never by an import."""
    packet = str(sorted(FIXTURES.glob("*.yaml"))[0])
    argv = [packet if a == "FIXTURE" else a for a in args]
    code = ("import sys\nsys.argv[0] = 'ladder'\nimport cli\ntry:\n    cli.run()\nexcept SystemExit as e:\n"
            "    code = e.code\nprint('LOADED' if 'durable_rules_engine' in sys.modules else 'NOT LOADED', code)")
    proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines()[-1] in ("NOT LOADED 0", "NOT LOADED None"), proc.stdout[-500:] + proc.stderr
    # and one that fires does load it
    proc = subprocess.run([sys.executable, "-c", code, "evaluate", packet], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.splitlines()[-1].startswith("LOADED"), proc.stdout[-500:]
