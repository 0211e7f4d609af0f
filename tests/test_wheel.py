"""The installed wheel works on its own: bundled rules and schemas, console script, no checkout.

A checkout hides packaging mistakes (rules/ found beside the code, the repo on sys.path), so this
builds the wheel, installs it into a fresh virtualenv and runs `ladder` from another folder.

The wheel installs one top-level name, `ladder` (ladder.cli, ladder.engine), never the generic
`engine` and `cli` the repository keeps at its top: those would collide with other packages.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, INVALID, ROOT

pytestmark = pytest.mark.slow


def _run(cmd: list[str | Path], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    # PYTHONPATH would let the checkout leak into the fresh venv and hide packaging mistakes.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _explain(proc: subprocess.CompletedProcess) -> str:
    return f"{proc.args}\nexit code {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """Build the wheel and install it into a fresh venv; returns the venv's bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert importlib.util.find_spec("build"), "the `build` package (test extra) is needed: pip install -e .[test]"
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", tmp / "dist", ROOT]
    if importlib.util.find_spec("hatchling"):
        cmd.insert(3, "--no-isolation")  # reuse the installed backend: faster, no download
    proc = _run(cmd, cwd=tmp)
    assert proc.returncode == 0, _explain(proc)
    (wheel,) = (tmp / "dist").glob("ladder-*.whl")

    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}  # what the wheel adds to site-packages
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert top - dist_info == {"ladder"}, sorted(top)
    assert len(dist_info) == 1 and dist_info.pop().startswith("ladder-"), sorted(top)
    assert {"ladder/__init__.py", "ladder/cli.py", "ladder/engine/__init__.py", "ladder/engine/core/firing.py",
            "ladder/engine/base/__init__.py"} <= set(names)
    assert any(n.startswith("ladder/engine/_bundled/rules/") and n.endswith(".yaml") for n in names), names
    assert "ladder/engine/_bundled/schemas/packet.schema.json" in names, names
    assert not any("__pycache__" in n for n in names), names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
    assert "ladder = ladder.cli:run" in entry_points.decode(), entry_points

    venv = tmp / "venv"
    proc = _run([sys.executable, "-m", "venv", venv], cwd=tmp)
    assert proc.returncode == 0, _explain(proc)
    proc = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
                cwd=tmp, timeout=600)
    assert proc.returncode == 0, _explain(proc)
    return venv / "bin"


def _packets() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.yaml") if p.is_file())


def test_installed_wheel_adds_only_the_ladder_package(installed, tmp_path):
    """`engine` and `cli` are not importable from the venv; `ladder.engine` finds its bundled data."""
    python = installed / "python"
    for generic in ("engine", "cli"):
        proc = _run([python, "-c", f"import {generic}"], cwd=tmp_path)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, _explain(proc)
    proc = _run([python, "-c", "import ladder.cli, ladder.engine.base.resources as r; "
                 "print(r.default_rules_dir()); print(r.schemas_dir())"], cwd=tmp_path)
    assert proc.returncode == 0, _explain(proc)
    for line in proc.stdout.splitlines():
        assert Path(line).is_dir() and Path(line).parent.name == "_bundled", _explain(proc)
        assert ROOT not in Path(line).parents, _explain(proc)


def test_installed_ladder_evaluates_a_fixture(installed, tmp_path):
    """`ladder evaluate FIXTURE`, the plain text report, from the installed console script."""
    packet = _packets()[0]
    proc = _run([installed / "ladder", "evaluate", packet], cwd=tmp_path)
    assert proc.returncode == 0, _explain(proc)
    local = subprocess.run([sys.executable, "-m", "cli", "evaluate", packet], cwd=ROOT, capture_output=True,
                           text=True, check=False, timeout=120)
    assert local.returncode == 0, _explain(local)
    assert proc.stdout == local.stdout


def test_installed_ladder_validates_fixtures(installed, tmp_path):
    """The console script finds its bundled schemas and rules when run outside the checkout."""
    packets = _packets()
    assert packets, "no valid fixture packets at the top of fixtures/"
    proc = _run([installed / "ladder", "validate", *packets], cwd=tmp_path)
    assert proc.returncode == 0, _explain(proc)

    bad = INVALID / "rating-out-of-range.yaml"
    proc = _run([installed / "ladder", "validate", bad], cwd=tmp_path)
    assert proc.returncode == 3, _explain(proc)
    assert "/evidence/2/rating" in proc.stdout


def test_installed_ladder_evaluates_with_bundled_rules(installed, tmp_path):
    """Verdicts from the wheel cite a content hash of the rules that were really used."""
    proc = _run([installed / "ladder", "evaluate", _packets()[0], "--format", "json"], cwd=tmp_path)
    assert proc.returncode == 0, _explain(proc)
    verdict = json.loads(proc.stdout)
    assert verdict["rules_version"].startswith("sha256:")
    assert verdict["verdict"] in ("ready", "not_ready", "insufficient_evidence")

    # Same rules, same hash: the bundled copy must be byte-for-byte the checkout's rules/.
    local = subprocess.run([sys.executable, "-m", "cli", "evaluate", _packets()[0], "--format", "json"],
                           cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert local.returncode == 0, _explain(local)
    assert json.loads(local.stdout)["rules_version"] == verdict["rules_version"]


def test_editable_install_runs_the_checkout(tmp_path):
    """An editable install (what CI does: pip install -e .) maps `ladder` onto this checkout, so the
    `ladder` command beside this interpreter runs the checkout's files, from any folder."""
    from importlib import metadata

    try:
        direct_url = json.loads(metadata.distribution("ladder").read_text("direct_url.json") or "{}")
    except metadata.PackageNotFoundError:
        direct_url = {}
    if not direct_url.get("dir_info", {}).get("editable"):
        pytest.skip("ladder is not installed in editable mode in this environment")
    bindir = Path(sys.executable).parent
    proc = _run([bindir / "python", "-c", "import ladder.cli, ladder.engine; print(ladder.cli.__file__); "
                 "print(ladder.engine.__file__)"], cwd=tmp_path)
    assert proc.returncode == 0, _explain(proc)
    assert proc.stdout.split() == [str(ROOT / "cli.py"), str(ROOT / "engine" / "__init__.py")], _explain(proc)
    proc = _run([bindir / "ladder", "evaluate", _packets()[0], "--format", "json"], cwd=tmp_path)
    assert proc.returncode == 0, _explain(proc)
    assert json.loads(proc.stdout)["rules_version"].startswith("sha256:")
