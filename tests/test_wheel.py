"""The installed wheel works on its own: bundled rules and schemas, console script, no checkout.

A checkout hides packaging mistakes (rules/ found beside the code, the repo on sys.path), so this
builds the wheel, installs it into a fresh virtualenv and runs `ladder` from another folder.
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
    assert "cli.py" in names
    assert any(n.startswith("engine/_bundled/rules/") and n.endswith(".yaml") for n in names), names
    assert "engine/_bundled/schemas/packet.schema.json" in names, names

    venv = tmp / "venv"
    proc = _run([sys.executable, "-m", "venv", venv], cwd=tmp)
    assert proc.returncode == 0, _explain(proc)
    proc = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
                cwd=tmp, timeout=600)
    assert proc.returncode == 0, _explain(proc)
    return venv / "bin"


def _packets() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.yaml") if p.is_file())


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
