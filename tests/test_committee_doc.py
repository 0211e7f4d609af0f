"""docs/committee.md says its outputs are real runs: each `$ ladder ...` line of its console
blocks is run again on the bundled fixtures, in order, and every line the doc shows for it must be
in what the command prints now (lines the doc elides with "..." or "…" are not compared; paths
are compared by their last parts, as the doc shortens them). A fixture or rule change that moves a
figure fails here until the doc is brought up to date."""
from __future__ import annotations

import re
import shlex
import shutil

from conftest import ROOT


DOC = ROOT / "docs" / "committee.md"
# The bad decisions file and the edited packet the doc shows are made here, as a reader would.
BAD_DECISIONS = """cycle,candidate_id,decision,decided_on,reason,overrides
2026-h1,emp-0852,promotd,2026-02-30,,senior-pm.aligns-team=met
2026-h1,emp-0852,not_promoted,2026-07-08,,
2026-h1,emp-9999,promoted,2026-07-08,,
"""


def _blocks() -> list[tuple[str, list[str]]]:
    """(command, the lines shown after it) for every `$ ladder` line of the console blocks."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            cmd, *shown = chunk.rstrip("\n").split("\n")
            out.append((cmd, shown))
    return out


def _norm(line: str) -> str:
    return re.sub(r"\S*/(rules/[\w.-]+\.yaml)", r"\1", line).strip()


def test_every_console_block_of_the_committee_walk_is_a_real_run(run_cli, tmp_path, monkeypatch):
    work = tmp_path / "w"
    work.mkdir()
    shutil.copytree(ROOT / "fixtures", work / "fixtures")
    (work / "decisions.csv").write_text(BAD_DECISIONS, encoding="utf-8")
    src = (work / "fixtures" / "caspian-thistlewood-mid-to-senior-not-ready.yaml").read_text(encoding="utf-8")
    (work / "caspian.yaml").write_text(src.replace("Route optimisation", "Route optimisation v2", 1), encoding="utf-8")
    monkeypatch.chdir(work)
    checked = 0
    for cmd, shown in _blocks():
        args = shlex.split(cmd)
        if args[0] == "cat":  # the doc shows a file the test made: it must be that file
            assert (work / args[1]).read_text(encoding="utf-8").splitlines() == shown, cmd
            checked += len(shown)
            continue
        assert args[0] == "ladder", cmd
        if any(a.startswith("fixtures/*") for a in args):  # the shell's glob
            i = next(i for i, a in enumerate(args) if a.startswith("fixtures/*"))
            args[i:i + 1] = sorted(str(p.relative_to(work)) for p in (work / "fixtures").glob("*.yaml"))
        r = run_cli(*args[1:], exit_code=None)
        got = {_norm(x) for x in (r.stdout + "\n" + r.stderr).splitlines()}
        for line in shown:
            if not line.strip() or "..." in line or "…" in line:
                continue
            assert _norm(line) in got, (cmd, line)
            checked += 1
    assert checked >= 40  # the walk shows about fifty lines of output
