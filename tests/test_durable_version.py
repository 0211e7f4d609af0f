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

from engine.base import resources
from engine.core import firing
from engine.base.errors import DependencyError, LadderError


def _pretend(monkeypatch: pytest.MonkeyPatch, version: str | None) -> None:
    """Make the engine read `version` as durable_rules' installed version (None: not installed)."""
    real = resources.installed_version

    def version_of(dist: str, module: str) -> str | None:
        return version if dist == "durable_rules" else real(dist, module)

    monkeypatch.setattr(resources, "installed_version", version_of)


def test_the_installed_version_is_the_one_driven():
    assert firing.DURABLE_RULES == "2.0.28"
    assert importlib.metadata.version("durable_rules") == firing.DURABLE_RULES
    assert resources.installed_version("durable_rules", "durable_rules_engine") == firing.DURABLE_RULES
    firing.check_durable_rules()  # no error


@pytest.mark.parametrize(("dist", "module"), [("durable_rules", "durable_rules_engine"), ("click", "click"),
                                              ("PyYAML", "yaml"), ("orjson", "orjson")])
def test_the_version_read_beside_a_module_is_importlib_metadatas(dist, module):
    # the fast read (the METADATA beside a module or package) and the standard one agree, for a
    # C extension module and for packages
    assert resources.installed_version(dist, module) == importlib.metadata.version(dist)


def test_the_version_is_read_from_the_headers_of_the_one_dist_info_beside_the_module(tmp_path, monkeypatch):
    (tmp_path / "fake_core.py").write_text("")
    info = tmp_path / "fake_dist-9.8.7.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake_dist\nVersion: 9.8.7\n\nVersion: 1.0 (a body)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resources.installed_version("fake_dist", "fake_core") == "9.8.7"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake_dist\n\nVersion: 1.0 (a body, not a header)\n")
    # no Version header: asked of importlib.metadata, which finds the same dist-info and no version
    assert resources.installed_version("fake_dist", "fake_core") is None


def test_a_distribution_not_installed_has_no_version():
    assert resources.installed_version("no_such_dist_anywhere", "no_such_module_anywhere") is None
    assert resources.installed_version("no_such_dist_anywhere", "click") is None


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
import sys
import engine.base.resources as r
real = r.installed_version
r.installed_version = lambda dist, module: "2.1.0" if dist == "durable_rules" else real(dist, module)
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
    # nor a did-you-mean (difflib) or a CSV people directory (csv): imported when one is needed
    assert not modules & {"difflib", "csv"}, sorted(modules & {"difflib", "csv"})
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
