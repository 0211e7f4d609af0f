"""The audit a reviewer reads (issue 29), on a small fictional pack in a repository made in
tmp_path: renames followed, added criteria counted as such, flips summarised by the rule change
that decided them, paths read from the repository's top, a new pack all-added, hints that name the
missing fetch, and a golden of a realistic multi-change pull-request comment."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

GOLDEN = ROOT / "tests" / "data" / "audit-review" / "multi-change.golden.md"
ENV = {"GIT_AUTHOR_DATE": "2026-01-05T10:00:00Z", "GIT_COMMITTER_DATE": "2026-01-05T10:00:00Z"}

LADDER = {"ladder_version": 1, "guide": "Wren Labs product ladder (fictional)",
          "levels": [{"id": "pm1", "title": "Product Manager 1", "guide_level": "PM1", "order": 1},
                     {"id": "pm2", "title": "Product Manager 2", "guide_level": "PM2", "order": 2}],
          "tracks": {"product": ["pm1", "pm2"]}, "default_track": "product", "default_window_days": 730}
PM1 = {"level": "pm1", "policy": {"min_supporting": 0, "sufficient_evidence": {"min_records": 1, "within_days": 730}},
       "criteria": [{"id": "pm1.ships", "title": "Has shipped a feature with a team", "source": "PM1 delivery",
                     "required": True, "condition": {"evidence": "shipped_outcome"}}]}
PM2 = {"level": "pm2", "policy": {"min_supporting": 1, "sufficient_evidence": {"min_records": 2, "within_days": 730}},
       "criteria": [
           {"id": "pm2.leads-launches", "title": "Leads launches from start to finish", "source": "PM2 delivery",
            "required": True, "condition": {"evidence": "shipped_outcome", "where": {"role": "led"}, "min_count": 2}},
           {"id": "pm2.well-rated", "title": "Colleagues rate the collaboration highly", "source": "PM2 collaboration",
            "required": True, "condition": {"evidence": "stakeholder_feedback", "where": {"rating": {"gte": 4}}}},
           {"id": "pm2.mentors", "title": "Mentors a junior colleague", "source": "PM2 people", "required": False,
            "condition": {"evidence": "mentoring"}},
           {"id": "pm2.decides", "title": "Documents the trade-offs behind decisions", "source": "PM2 judgment",
            "required": False, "condition": {"evidence": "decision", "where": {"documented": True}}}]}


def packet(i: int) -> dict:
    """A deterministic spread: 0-3 led launches, ratings 3-5, mentoring and decisions on and off."""
    led, rating = i % 4, 3 + i % 3
    ev = [{"id": f"ev-{k}", "type": "shipped_outcome", "date": f"2025-0{k + 1}-10", "title": f"Launch {k}",
           "role": "led" if k < led else "contributed", "scope": "feature"} for k in range(3)]
    ev.append({"id": "ev-f", "type": "stakeholder_feedback", "date": "2025-06-02",
               "from": {"id": f"wl-9{i:02d}", "relationship": "peer"}, "rating": rating})
    if i % 2:
        ev.append({"id": "ev-m", "type": "mentoring", "date": "2025-02-01", "months": 3,
                   "mentee": {"id": f"wl-8{i:02d}", "level": "pm1"}})
    if i % 5 < 2:
        ev.append({"id": "ev-d", "type": "decision", "date": "2025-07-01", "title": "Carrier export first",
                   "kind": "trade-off", "role": "led", "scope": "feature", "documented": True})
    return {"schema_version": 1, "candidate": {"id": f"wl-{i:03d}", "track": "product", "current_level": "pm1",
                                               "target_level": "pm2"},
            "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": ev}


def git(repo: Path, *args: str) -> str:
    cp = subprocess.run(["git", "-C", str(repo), "-c", "user.name=Wren Reviewer", "-c", "user.email=wren@example.org",
                         "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True,
                        env={**os.environ, **ENV})
    return cp.stdout.strip()


class Pack:
    def __init__(self, root: Path, with_rules: bool = True):
        self.root, self.rules = root, root / "rules"
        (root / "fixtures").mkdir(parents=True)
        (root / "docs").mkdir()
        (root / "docs" / "README.md").write_text("Wren Labs ladder\n", encoding="utf-8")
        for i in range(24):
            (root / "fixtures" / f"wl-{i:03d}.yaml").write_text(yaml.safe_dump(packet(i), sort_keys=False),
                                                                encoding="utf-8")
        if with_rules:
            self.write(LADDER, PM1, PM2)
        git(root, "init", "-q", "-b", "main")
        self.commit("base")

    def write(self, ladder: dict, pm1: dict, pm2: dict) -> None:
        self.rules.mkdir(exist_ok=True)
        for name, data in (("ladder", ladder), ("pm1", pm1), ("pm2", pm2)):
            (self.rules / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def commit(self, msg: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", msg)
        return git(self.root, "rev-parse", "HEAD")


@pytest.fixture
def pack(tmp_path: Path, monkeypatch) -> Pack:
    p = Pack(tmp_path / "wren")
    monkeypatch.chdir(p.root)
    return p


def edited(change) -> dict:
    pm2 = json.loads(json.dumps(PM2))
    change(pm2)
    return pm2


def crit(pm2: dict, cid: str) -> dict:
    return next(c for c in pm2["criteria"] if c["id"] == cid)


def audit(run_cli, *args, exit_code=0) -> dict:
    return json.loads(run_cli("audit", "--base", "HEAD~1", "--head", "HEAD", "--format", "json", *args,
                              exit_code=exit_code).stdout)


def test_a_rename_is_followed_in_the_impact(run_cli, pack):
    """Only the id changed: no flip, no status change; not `new: (absent) -> met` on every packet."""
    pack.write(LADDER, PM1, edited(lambda d: crit(d, "pm2.mentors").update(id="pm2.coaches")))
    pack.commit("rename")
    r = audit(run_cli)
    assert r["rule_diff"]["criteria_renamed"] == [{"from": "pm2.mentors", "to": "pm2.coaches", "level": "pm2"}]
    assert r["summary"]["flips"] == 0 and r["summary"]["status_changes"] == 0 and r["status_changes"] == []
    assert r["criteria_added_removed"] == []


def test_an_added_criterion_is_reported_as_added_not_as_status_changes(run_cli, pack):
    """A supporting criterion added: its outcome per packet is counted under it; packets whose
    verdict does not flip list no status change for it."""
    def add(d):
        d["criteria"].append({"id": "pm2.researches", "title": "Takes part in user research", "source": "PM2 insight",
                              "required": False, "condition": {"evidence": "discovery"}})
    pack.write(LADDER, PM1, edited(add))
    pack.commit("add research")
    r = audit(run_cli)
    assert r["summary"]["status_changes"] == 0 and r["flips"] == []
    [row] = r["criteria_added_removed"]
    assert row == {"id": "pm2.researches", "level": "pm2", "change": "added", "met": 0, "unmet": 24}


def multi_change(pack: Pack) -> None:
    """A realistic pull request: a threshold raised, a rename, a required criterion added, a
    supporting bar raised, and a leaf respelled without changing its meaning."""
    def change(d):
        crit(d, "pm2.leads-launches")["condition"]["min_count"] = 3
        crit(d, "pm2.mentors")["id"] = "pm2.coaches"
        crit(d, "pm2.well-rated")["condition"] = {"evidence": "stakeholder_feedback", "min_count": 1,
                                                  "where": {"rating": {"gte": 4}}}
        d["criteria"].append({"id": "pm2.rated-by-two", "title": "Two colleagues rate the work highly",
                              "source": "PM2 collaboration", "required": True,
                              "condition": {"evidence": "stakeholder_feedback", "where": {"rating": {"gte": 5}}}})
        d["policy"]["min_supporting"] = 2
    pack.write(LADDER, PM1, edited(change))
    pack.commit("stricter PM2")


def test_the_multi_change_comment_reads_top_down(run_cli, pack):
    """Summary by cause, then the diff, then the rows per cause; under 20,000 characters; the
    same bytes as the golden (regenerate: LADDER_UPDATE_GOLDEN=1)."""
    multi_change(pack)
    md = run_cli("audit", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown").stdout
    assert len(md) < 20_000
    top = md.index("| Flips | Verdict | Decided by |")
    assert top < md.index("#### Rule changes") < md.index("#### Verdict flips by cause") < md.index("Revisions")
    assert "condition.min_count: 2 → 3" in md and "``" not in md
    r = audit(run_cli)
    assert r["base"] not in md[:top] and r["base"] in md[top:]  # short hashes up top, full ones at the end
    assert "renamed**: `pm2.mentors` → `pm2.coaches`" in md and "min_count: 1" not in md
    assert "/tmp" not in md and str(pack.root) not in md and "`fixtures/wl-" in md  # sources relative
    again = run_cli("audit", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--jobs", "2").stdout
    assert again == md
    # The packet schema's digest (the last column of the head row) follows the bundled schema, which
    # other work changes: the golden holds a placeholder for it, everything else byte for byte.
    schema = re.search(r"^\| head \|.*`(sha256:[0-9a-f]{64})` \|$", md, re.M).group(1)
    md = md.replace(schema, "sha256:(the packet schema's digest)")
    if os.environ.get("LADDER_UPDATE_GOLDEN"):
        GOLDEN.write_text(md, encoding="utf-8")
    assert md == GOLDEN.read_text(encoding="utf-8")


def test_each_flip_is_counted_once_under_the_change_that_decided_it(run_cli, pack):
    multi_change(pack)
    r = audit(run_cli)
    groups = r["flips_by_cause"]
    assert sum(g["flips"] for g in groups) == len(r["flips"]) > 0
    for f in r["flips"]:
        assert f["causes"] and all(k.startswith(("criterion:", "level:")) for k in f["causes"])
    assert {g["cause"] for g in groups} <= {"criterion:pm2.leads-launches", "criterion:pm2.rated-by-two",
                                            "level:pm2"}


def test_paths_are_read_from_the_repository_top_from_a_subfolder(run_cli, pack, monkeypatch):
    """From docs/, `--rules rules` and `--packets fixtures` mean the top's; sources are relative;
    a missing path names the folder looked for."""
    multi_change(pack)
    at_top = audit(run_cli, "--rules", "rules", "--packets", "fixtures")
    monkeypatch.chdir(pack.root / "docs")
    below = audit(run_cli, "--rules", "rules", "--packets", "fixtures")
    assert below == at_top and below["flips"][0]["source"].startswith("fixtures/wl-")
    default = audit(run_cli)
    assert [f["source"] for f in default["flips"]] == [f["source"] for f in at_top["flips"]]
    err = run_cli("audit", "--base", "HEAD~1", "--packets", "fixturez", exit_code=2).stderr
    assert str(pack.root / "fixturez") in err and "top of the repository" in err
    err = run_cli("audit", "--base", "HEAD~1", "--rules", "rulez", exit_code=4).stderr
    assert str(pack.root / "rulez") in err


def test_a_new_pack_is_all_added(run_cli, tmp_path, monkeypatch):
    """The pull request adds the pack: the folder is absent at the base, so every level and
    criterion is added and each packet is judged under the head (before: exit 4, rules invalid)."""
    p = Pack(tmp_path / "fresh", with_rules=False)
    monkeypatch.chdir(p.root)
    p.write(LADDER, PM1, PM2)
    p.commit("add the pack")
    res = run_cli("audit", "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    r = json.loads(res.stdout)
    assert "does not exist at HEAD~1" in res.stderr
    assert r["new_pack"] and r["rule_diff"]["levels_added"] == ["pm1", "pm2"]
    assert r["summary"]["new_verdicts"] == 24 and r["flips"] == [] and r["status_changes"] == []
    assert {o["id"] for o in r["criteria_added_removed"]} == {"pm1.ships"} | {c["id"] for c in PM2["criteria"]}
    md = run_cli("audit", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown").stdout
    assert "**New rules pack**" in md
    text = run_cli("audit", "--base", "HEAD~1", "--head", "HEAD").stdout
    assert "rules: (none: a new pack) -> sha256:" in text  # not an empty base version
    run_cli("audit", "--base", "HEAD~1", "--head", "HEAD", "--exit-code", exit_code=1)


def test_the_hint_names_the_fetch_that_is_missing(run_cli, pack, tmp_path):
    """A base branch that was not fetched is not a shallow-history problem: the hint names it."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--single-branch", f"file://{pack.root}", str(clone)],
                   check=True, capture_output=True)
    err = run_cli("audit", "--rules", clone / "rules", "--base", "origin/release", exit_code=2).stderr
    assert "git fetch origin release:refs/remotes/origin/release" in err and "unshallow" not in err
    err = run_cli("audit", "--rules", clone / "rules", "--base", "HEAD~3", exit_code=2).stderr
    assert "git fetch --unshallow" in err
    err = run_cli("audit", "--rules", clone / "rules", "--base", "main", exit_code=0 if _has_main(clone) else 2)
    if not _has_main(clone):
        assert "origin/main" in err.stderr


def _has_main(repo: Path) -> bool:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "main"],
                          capture_output=True).returncode == 0


def test_the_hook_leaves_no_untracked_golden_new(run_cli, pack):
    """`rules test --snapshots temp` (the hook's args) writes a mismatch's snapshot to a temporary
    folder it names, never into the repository."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    test_hook = next(h for h in hooks if h["id"] == "ladder-rules-test")
    assert test_hook["args"][-2:] == ["--snapshots", "temp"]
    for f in sorted((pack.root / "fixtures").glob("*.yaml"))[3:]:  # keep a few fixtures
        f.unlink()
    run_cli("rules", "test", "--rules", "rules", "--update", exit_code=None)
    pack.commit("goldens")
    golden = next((pack.root / "fixtures" / "expected").glob("*.golden"))
    data = json.loads(golden.read_text(encoding="utf-8"))
    data["verdict"] = "insufficient_evidence" if data["verdict"] != "insufficient_evidence" else "ready"
    golden.write_text(json.dumps(data), encoding="utf-8")  # a golden the rules no longer give
    res = run_cli("rules", "test", *test_hook["args"], exit_code=1)
    assert "snapshots of the mismatches" in res.stdout
    snap = Path(res.stdout.split("snapshots of the mismatches (NAME.golden.new): ")[1].split()[0])
    assert list(snap.glob("*.golden.new"))
    assert not list(pack.root.rglob("*.golden.new"))
    assert "golden.new" not in git(pack.root, "status", "--porcelain", "--untracked-files=all")
