"""Docs that cannot drift: every command has help with an example and is listed in the README."""
from __future__ import annotations

import click

from cli import main
from conftest import ROOT


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, full + " ")
        else:
            yield full, cmd


def test_every_command_has_help_with_an_example(run_cli):
    """`ladder X --help` is where users look first: it must say what X does and show a run."""
    for name, _cmd in _commands(main):
        out = run_cli(*name.split(), "--help").stdout
        assert "Example" in out, name
        # contract: every command takes --rules DIR (an option, not a mention in the example text)
        assert "--rules" in out.split("Options:", 1)[1], name


# A command whose README line is the release editor's to add (README.md is edited on its own),
# and the doc that describes it meanwhile.
README_PENDING: dict[str, str] = {}


def test_every_command_is_in_the_readme():
    """The README's command table lists every command the CLI has."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _cmd in _commands(main):
        top = name.split()[0]
        if top in README_PENDING:  # documented in docs/ until the README's table gains its line
            assert f"`ladder {top}" in (ROOT / README_PENDING[top]).read_text(encoding="utf-8"), name
            continue
        assert f"`ladder {top}" in readme, name


def test_ci_runs_the_readme_test_command_verbatim():
    """.ci/run's last line is the Quickstart's test command, character for character."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert ci in readme
    assert "ruff check engine cli.py" in ci and "ruff format --check engine cli.py" in ci and "mypy engine cli.py" in ci
