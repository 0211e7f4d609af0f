"""engine.core.firing drives durable_rules 2.0.28 and refuses any other version when it is imported.

Its C calls, limits and bug workarounds (docs/engine.md) were established on that release only;
another version must stop ladder with a message saying what to install, never a traceback.
"""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT

from engine.core import firing
from engine.base.errors import DependencyError, LadderError


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
    proc = _python("import engine.core.firing")
    assert proc.returncode == 1
    assert "engine.base.errors.DependencyError: durable_rules 2.1.0 is installed" in proc.stderr


def test_the_cli_reports_a_wrong_version_in_one_line():
    packet = sorted(FIXTURES.glob("*.yaml"))[0]
    proc = _python("sys.argv[0] = 'ladder'\nimport cli\ncli.run()", "evaluate", str(packet))
    assert proc.returncode == 70, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("ladder: cannot start: durable_rules 2.1.0 is installed, but ladder needs "
                                  "durable_rules 2.0.28"), proc.stderr
    assert proc.stderr.count("\n") == 1


_PROBE = ("import sys\nsys.argv[0] = 'ladder'\nimport cli\ntry:\n    cli.run()\nexcept SystemExit as e:\n"
          "    code = e.code\nprint('LOADED' if 'durable_rules_engine' in sys.modules else 'NOT LOADED', code)\n"
          "print(' '.join(sorted(sys.modules)))")


def _probe(*argv: str) -> tuple[str, set[str]]:
    """Run the CLI in a new interpreter: ('LOADED'|'NOT LOADED' and the exit code, the modules imported)."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    lines = proc.stdout.splitlines()
    assert len(lines) >= 2, proc.stdout[-500:] + proc.stderr
    return lines[-2], set(lines[-1].split())


@pytest.mark.parametrize("args", [["--help"], ["validate", "FIXTURE"], ["validate", "--format", "json", "FIXTURE"],
                                  ["schema"], ["schema", "--format", "markdown"], ["new", "--help"],
                                  ["evaluate", "--help"]])
def test_commands_that_fire_nothing_never_load_the_c_core(args):
    """Cold start: --help, validate and schema import only what they need; the C core of
    durable_rules is loaded when a rules engine is made, never by an import. Nor do they import
    engine.core.firing (so no version check either: they drive no engine), the evaluator, or the
    Python jsonschema (only an invalid packet or rule file needs its messages).

    `ladder new` itself fires: its template is the plan the rules engine proves for an empty
    packet, so only its --help is here."""
    packet = str(sorted(FIXTURES.glob("*.yaml"))[0])
    status, modules = _probe(*[packet if a == "FIXTURE" else a for a in args])
    assert status in ("NOT LOADED 0", "NOT LOADED None"), status
    assert not modules & {"engine.core.firing", "engine.core.evaluator", "engine.book.compiler", "engine.core.plan", "jsonschema"}, \
        sorted(modules & {"engine.core.firing", "engine.core.evaluator", "engine.book.compiler", "engine.core.plan", "jsonschema"})


def test_help_imports_no_engine_module():
    status, modules = _probe("--help")
    assert status == "NOT LOADED 0"
    assert not {m for m in modules if m == "engine" or m.startswith("engine.")}, sorted(modules)
    assert not modules & {"yaml", "orjson", "jsonschema_rs", "icu"}


def test_a_command_that_fires_loads_the_c_core():
    packet = str(sorted(FIXTURES.glob("*.yaml"))[0])
    status, modules = _probe("evaluate", packet)
    assert status.startswith("LOADED"), status
    assert "jsonschema" not in modules  # a valid packet under the bundled rules never needs it
    status, _ = _probe("new", "--target", "senior-pm")
    assert status == "LOADED 0", status


def test_the_cli_constants_are_the_engines():
    """cli.py writes out the engine's option defaults and exit codes so that it imports no
    engine module before a command runs; they must stay the engine's."""
    import cli
    from engine.base import errors, loader
    from engine.outputs import report

    assert (cli.DEFAULT_MAX_BYTES, cli.FORMATS) == (loader.DEFAULT_MAX_BYTES, report.FORMATS)
    assert (cli.EXIT_INTERNAL, cli.EXIT_READER_GONE, cli.EXIT_INTERRUPTED) == \
        (errors.EXIT_INTERNAL, errors.EXIT_READER_GONE, errors.EXIT_INTERRUPTED)


def test_the_library_api_is_importable_lazily():
    """`from engine import ...` (the documented library use) works; `import engine` alone imports
    none of the engine's modules."""
    code = ("import sys, engine\nprint(sorted(m for m in sys.modules if m.startswith('engine.')))\n"
            "from engine import " + ", ".join(__import__("engine").__all__) + "\nprint('ok')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == ["[]", "ok"], proc.stdout + proc.stderr
