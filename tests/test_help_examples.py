"""Every `--help` example runs as written (issue 13): a new user copies them first.

Each example line is run by the shell in a scratch git repository holding the fixtures, the
rules and the files the examples name (results.jsonl from batch's own example, a decisions file
as YAML, last cycle's results, a `main` branch and a `v1.2` tag for audit). An example passes
when it neither fails as a usage error (2) nor as a bug (70), and names no file that is missing.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import click
import yaml

from cli import main
from conftest import FIXTURES, ROOT

LADDER_BIN = os.path.dirname(sys.executable)
# `rules test --update` rewrites the checkout's goldens by design (the bundled rules are the
# checkout's): run everywhere else, it would not be this example any more.
SKIP = ("--update",)


def _examples() -> list[tuple[str, str]]:
    out = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, cmd in sorted(group.commands.items()):
            if isinstance(cmd, click.Group):
                walk(cmd, f"{prefix}{name} ")
            body = (cmd.help or "").split("Example:", 1)
            for line in body[1].splitlines() if len(body) > 1 else []:
                line = line.strip()
                if line and not line.startswith("\b"):
                    out.append((f"{prefix}{name}", re.sub(r"\s+#.*$", "", line)))

    walk(main, "")
    # batch first: later examples read the results it writes
    return sorted(out, key=lambda e: (not e[1].startswith("ladder batch fixtures/*.yaml --out results.jsonl"),))


def _scratch(tmp_path):
    work = tmp_path / "repo"
    for d in ("fixtures", "rules", "schemas"):
        shutil.copytree(ROOT / d, work / d)
    (work / "docs").mkdir()
    (work / "packets").mkdir()
    for p in sorted(FIXTURES.glob("*.yaml"))[:3]:
        shutil.copy(p, work / "packets" / p.name)
    shutil.copy(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml", work / "packet.yaml")
    with (work / "packets.jsonl").open("w", encoding="utf-8") as fh:
        for p in sorted(FIXTURES.glob("*.yaml"))[:5]:
            fh.write(json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str) + "\n")
    with (FIXTURES / "decisions-2026-h1.csv").open(encoding="utf-8", newline="") as fh:
        (work / "decisions.yaml").write_text(yaml.safe_dump(list(csv.DictReader(fh))), encoding="utf-8")
    git = ["git", "-c", "user.name=ladder tests", "-c", "user.email=tests@example.invalid", "-C", str(work)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "scratch"], check=True)
    subprocess.run(git + ["tag", "v1.2"], check=True)
    return work


def test_every_help_example_runs_as_written(tmp_path):
    work = _scratch(tmp_path)
    env = {**os.environ, "PATH": LADDER_BIN + os.pathsep + os.environ.get("PATH", "")}
    examples = _examples()
    assert len(examples) >= 30
    made_results = False
    for command, line in examples:
        if any(s in line for s in SKIP):
            continue
        if "results.jsonl" in line and not made_results and not line.startswith("ladder batch"):
            raise AssertionError(f"{line}: no example wrote results.jsonl before it")
        r = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=work, env=env, capture_output=True, text=True,
                           timeout=300)
        said = r.stdout[-2000:] + r.stderr[-2000:]
        assert r.returncode in (0, 1, 3), f"ladder {command}: `{line}` exited {r.returncode}\n{said}"
        assert "no such file" not in said.lower() and "Traceback" not in said, f"`{line}`\n{said}"
        if line.startswith("ladder batch") and "results.jsonl" in line:
            made_results = True
        for name in ("results-2026-h1.jsonl", "results-2026-h2.jsonl", "old.jsonl", "new.jsonl"):
            if made_results and not (work / name).exists():
                shutil.copy(work / "results.jsonl", work / name)
