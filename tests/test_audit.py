"""`ladder audit` over real git repositories made in tmp_path.

Each scenario commits the bundled rules and a few fixture packets, changes the rules, and checks
that the audit's flips are exactly what evaluating every packet separately (`ladder evaluate`)
at the two revisions gives, and that the rule diff names the change by meaning.
"""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from engine.book.rules import load_rules
from conftest import FIXTURES, INVALID, ROOT

PACKETS = ["noor-ashgrove-mid-to-senior-ready", "caspian-thistlewood-mid-to-senior-not-ready",
           "hollis-penrake-mid-to-senior-insufficient", "marisol-featherstone-external-to-senior-ready",
           "kofi-lanternwick-mid-to-director-ready", "linnea-quillfeather-apm-to-mid-ready",
           "ines-quarrow-senior-to-principal-not-ready"]


def git(repo: Path, *args: str) -> str:
    cp = subprocess.run(["git", "-C", str(repo), "-c", "user.name=audit test", "-c", "user.email=t@example.org",
                         "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return cp.stdout.strip()


class Repo:
    """A git repository holding rules/ and fixtures/, with a snapshot of rules/ per commit."""

    def __init__(self, root: Path, snapshots: Path):
        self.root, self.rules, self.snapshots = root, root / "rules", snapshots
        self.schema = root / "schemas" / "packet.schema.json"
        root.mkdir()
        shutil.copytree(ROOT / "rules", self.rules)
        shutil.copytree(ROOT / "schemas", root / "schemas")
        (root / "fixtures").mkdir()
        for name in PACKETS:
            shutil.copy(FIXTURES / f"{name}.yaml", root / "fixtures")
        git(root, "init", "-q", "-b", "main")
        self.commit("base rules")

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        sha = git(self.root, "rev-parse", "HEAD")
        # what `ladder evaluate --rules` sees: the rules, and the packet schema beside them
        shutil.copytree(self.rules, self.snapshots / sha / "rules")
        shutil.copytree(self.root / "schemas", self.snapshots / sha / "schemas")
        return sha

    def edit(self, level: str, change: Callable[[dict], None]) -> None:
        path = self.rules / f"{level}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo", tmp_path / "snapshots")


def criterion(data: dict, cid: str) -> dict:
    return next(c for c in data["criteria"] if c["id"] == cid)


def evaluate_all(run_cli, rules: Path, packets: list[Path]) -> dict[str, dict]:
    """Every packet evaluated on its own, with the rules as they were at one revision."""
    out = {}
    for p in packets:
        v = json.loads(run_cli("evaluate", p, "--rules", rules, "--format", "json").stdout)
        out[p.name] = {"verdict": v["verdict"], "statuses": {c["id"]: c["status"] for c in v["criteria"]}}
    return out


def identity(rule_diff: dict | None) -> tuple[dict, set, set]:
    """(renamed old id -> new id, added ids, removed ids) as the rule diff names them."""
    if rule_diff is None:
        return {}, set(), set()
    added = {c["id"] for c in rule_diff["criteria_added"]}
    removed = {c["id"] for c in rule_diff["criteria_removed"]}
    for lv in rule_diff["level_contents"].values():
        (added if lv["change"] == "added" else removed).update(lv["criteria"])
    return {c["from"]: c["to"] for c in rule_diff["criteria_renamed"]}, added, removed


def expected_changes(before: dict[str, dict], after: dict[str, dict], rule_diff: dict | None = None
                     ) -> tuple[dict, dict]:
    """(flips, status-only changes) from separate evaluations: name -> (old, new, {criterion: (old, new)}).
    A renamed criterion is compared with its old self; without a flip, a criterion only one version
    has (added or removed) is an outcome of the change, not a status change."""
    renamed, added, removed = identity(rule_diff)
    flips, only = {}, {}
    for name in before:
        a, b = before[name], after[name]
        sa = {renamed.get(c, c) if renamed.get(c) in b["statuses"] else c: st for c, st in a["statuses"].items()}
        sb = b["statuses"]
        crit = {c: (sa.get(c), sb.get(c)) for c in sa.keys() | sb.keys() if sa.get(c) != sb.get(c)}
        if a["verdict"] != b["verdict"]:
            flips[name] = (a["verdict"], b["verdict"], crit)
            continue
        crit = {c: v for c, v in crit.items()
                if not ((v[0] is None and c in added) or (v[1] is None and c in removed))}
        if crit:
            only[name] = (a["verdict"], b["verdict"], crit)
    return flips, only


def reported(entries: list[dict]) -> dict:
    return {Path(e["source"]).name: (e["base"], e["head"], {c["id"]: (c["base"], c["head"]) for c in e["criteria"]
                                                           if c["base"] != c["head"]}) for e in entries}


def audit_json(run_cli, repo: Repo, *args: str, exit_code: int = 0) -> dict:
    return json.loads(run_cli("audit", "--rules", repo.rules, "--format", "json", *args, exit_code=exit_code).stdout)


def check_exact(run_cli, repo: Repo, base: str, head: str | None) -> dict:
    """Run the audit; assert its flips and status changes equal the separate evaluations'."""
    args = ["--base", base] + (["--head", head] if head else [])
    report = audit_json(run_cli, repo, *args)
    packets = sorted((repo.root / "fixtures").glob("*.yaml"))
    before = evaluate_all(run_cli, repo.snapshots / git(repo.root, "rev-parse", base) / "rules", packets)
    after = evaluate_all(run_cli, repo.snapshots / git(repo.root, "rev-parse", head) / "rules" if head else repo.rules,
                         packets)
    flips, only = expected_changes(before, after, report["rule_diff"])
    assert reported(report["flips"]) == flips
    assert reported(report["status_changes"]) == only
    assert report["summary"]["packets"] == len(packets) and report["summary"]["invalid"] == 0
    assert report["summary"]["evaluated"] == len(packets)  # every packet judged under both versions
    assert report["summary"]["status_changes"] == sum(len(c) for *_, c in only.values())
    return report


# -- the five kinds of rule change ----------------------------------------------------------------
def test_threshold_raised(run_cli, repo):
    """A stricter count is the commonest rule change; the diff names it and every flip it causes."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    repo.commit("two shipped outcomes are not enough")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert report["rule_diff"]["criteria_changed"] == [{
        "id": "senior-pm.moves-key-metrics", "level": "senior-pm",
        "changes": [{"path": "condition.min_count", "old": 2, "new": 3}]}]
    assert len(report["flips"]) >= 2  # the scenario must bite, or "exactly" proves nothing
    by_level = report["totals"]["by_target_level"]
    assert by_level["senior-pm"]["flips"] + by_level["director"]["flips"] == len(report["flips"])
    assert report["base"] != report["head"] and report["base"].startswith("sha256:")


def test_criterion_removed(run_cli, repo):
    """Dropping a required criterion promotes people; each flip must name the vanished criterion."""
    gone = "senior-pm.aligns-teams"
    repo.edit("senior-pm", lambda d: d.update(criteria=[c for c in d["criteria"] if c["id"] != gone]))
    repo.commit("drop alignment")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert report["rule_diff"]["criteria_removed"] == [{"id": "senior-pm.aligns-teams", "level": "senior-pm",
                                                        "required": True}]
    assert report["flips"] and all(any(c["id"] == "senior-pm.aligns-teams" and c["head"] is None
                                       for c in f["criteria"]) for f in report["flips"])


def test_criterion_added_in_working_tree(run_cli, repo):
    """Authors see a new criterion's effect before committing: head defaults to the working tree."""
    def add(d: dict) -> None:
        new = copy.deepcopy(criterion(d, "senior-pm.mentors-pms"))
        new.update(id="senior-pm.mentors-many", title="Mentors several PMs over the period", required=True)
        d["criteria"].append(new)
    repo.edit("senior-pm", add)  # not committed
    report = check_exact(run_cli, repo, "HEAD", None)
    assert report["rule_diff"]["criteria_added"] == [{"id": "senior-pm.mentors-many", "level": "senior-pm",
                                                      "required": True}]
    assert report["flips"] and report["revisions"]["head"]["source"] == "working tree"


def test_required_switched_to_supporting(run_cli, repo):
    """A flip with no status change: the audit must still say which criterion changed kind."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.aligns-teams").update(required=False))
    repo.commit("alignment is supporting")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert report["rule_diff"]["criteria_changed"][0]["changes"] == [{"path": "required", "old": True, "new": False}]
    assert report["flips"]
    for f in report["flips"]:
        assert {"id": "senior-pm.aligns-teams", "base": "unmet", "head": "unmet",
                "required": {"base": True, "head": False}} in f["criteria"]
    text = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1").stdout
    assert "required: true -> false (required -> supporting)" in text


def test_reformat_is_no_change(run_cli, repo):
    """Reordered keys, criteria and lists and new indentation change nothing a reviewer must read."""
    for level in ("senior-pm", "mid-pm", "ladder"):
        path = repo.rules / f"{level}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "criteria" in data:
            data["criteria"].reverse()
            for c in data["criteria"]:
                for pred in c["condition"].get("where", {}).values():
                    if isinstance(pred, dict) and isinstance(pred.get("in"), list):
                        pred["in"].reverse()
            data = {k: data[k] for k in reversed(list(data))}
        path.write_text(yaml.safe_dump(data, sort_keys=True, indent=4, allow_unicode=True), encoding="utf-8")
    repo.commit("reformat")
    assert git(repo.root, "diff", "--stat", "HEAD~1", "HEAD")  # the files really did change
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert report["rules_changed"] is False and not report["flips"] and not report["status_changes"]
    run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--exit-code", exit_code=0)


# -- packets, exit codes, formats -------------------------------------------------------------------
def test_exit_code_only_with_flips(run_cli, repo):
    """CI gates on --exit-code like `git diff --exit-code`: 1 with flips, 0 without, 0 without the flag."""
    run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--exit-code", exit_code=0)
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--exit-code", exit_code=1)
    run_cli("audit", "--rules", repo.rules, "--base", "HEAD", exit_code=0)


def test_invalid_packets_are_listed_not_fatal(run_cli, repo, tmp_path):
    """A bad packet in the set must not hide the impact on the good ones."""
    report = audit_json(run_cli, repo, "--base", "HEAD", "--packets", str(INVALID / "rating-out-of-range.yaml"),
                        "--packets", str(repo.root / "fixtures"))
    assert report["summary"]["packets"] == len(PACKETS) + 1
    assert [Path(i["source"]).name for i in report["invalid"]] == ["rating-out-of-range.yaml"]
    assert report["invalid"][0]["problem"]["path"].startswith("/evidence/")
    text = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--packets", str(INVALID / "rating-out-of-range.yaml"),
                   "--packets", str(repo.root / "fixtures")).stdout
    n = report["invalid"][0]["problems"]
    line = next(x for x in text.splitlines() if "rating-out-of-range.yaml" in x)
    assert ("more)" in line) == (n > 1) and "(and 0 more)" not in line  # one problem: no "and 0 more"


def test_level_removed_reports_validity_changes(run_cli, repo):
    """Packets for a level the new ladder drops lose their verdict; the audit says so, per packet."""
    lad = yaml.safe_load((repo.rules / "ladder.yaml").read_text(encoding="utf-8"))
    lad["levels"] = [lv for lv in lad["levels"] if lv["id"] != "principal-pm"]
    lad["tracks"]["ic"].remove("principal-pm")
    (repo.rules / "ladder.yaml").write_text(yaml.safe_dump(lad, sort_keys=False), encoding="utf-8")
    (repo.rules / "principal-pm.yaml").unlink()
    vp = repo.rules / "vp.yaml"  # a mentee may no longer be a principal-pm
    vp.write_text(vp.read_text(encoding="utf-8").replace(", principal-pm]", "]"), encoding="utf-8")
    repo.commit("no IC track top")
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD", "--exit-code", exit_code=1)
    assert report["rule_diff"]["levels_removed"] == ["principal-pm"]
    assert report["rule_diff"]["ladder"] == [{"path": "tracks.ic", "old": ["associate-pm", "mid-pm", "senior-pm",
                                              "principal-pm"], "new": ["associate-pm", "mid-pm", "senior-pm"]}]
    [lost] = report["validity_changes"]
    assert lost["base"] == "not_ready" and lost["head"] is None and lost["invalid_under"] == "head"
    assert "principal-pm" in lost["problem"]["message"]


def test_markdown_for_a_pull_request(run_cli, repo):
    """The PR comment: a summary line, the diff, a flips table, collapsed details, both versions."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    md = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--format", "markdown").stdout
    assert md.startswith("**ladder audit**: ")
    assert "`condition.min_count: 2 → 3`" in md
    assert "| Candidate | Source |" in md and "ready → **not_ready**" in md
    assert "<details>" in md and "</details>" in md
    report = audit_json(run_cli, repo, "--base", "HEAD")
    assert report["base"] in md and report["head"] in md  # in full, in the Revisions block at the end
    assert md.index("<summary>Revisions</summary>") < md.index(report["base"])
    assert md.index("| Flips | Verdict | Decided by |") < md.index("#### Rule changes") \
        < md.index("#### Verdict flips by cause")


def test_default_packets_and_rules_from_the_repository(run_cli, repo, monkeypatch):
    """Run from the repository with no options but --base: rules/ and fixtures/ are found there."""
    monkeypatch.chdir(repo.root)
    text = run_cli("audit", "--base", "main").stdout
    assert f"Impact: {len(PACKETS)} packet(s), 0 verdict flip(s)" in text
    assert "fixtures/noor-ashgrove" not in text  # nothing changed, so no packet is listed


def test_per_packet_work_is_not_repeated(run_cli, repo, monkeypatch):
    """Cost: one parse and one check per packet when the ladders agree; one evaluation per version."""
    from engine import audit as audit_mod
    from engine.core.evaluator import Evaluator
    from engine.base.inputs import iter_inputs

    calls: Counter[str] = Counter()

    def counting(name: str, fn: Callable) -> Callable:
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapped

    from engine.core import pipeline

    monkeypatch.setattr(pipeline, "load", counting("parse", pipeline.load))
    monkeypatch.setattr(pipeline, "check", counting("check", pipeline.check))
    monkeypatch.setattr(Evaluator, "evaluate", counting("evaluate", Evaluator.evaluate))
    base = load_rules(ROOT / "rules")
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    head = load_rules(repo.rules)
    res = audit_mod.assess(base, head, iter_inputs([str(repo.root / "fixtures")]), reuse=False)
    assert res.flips and dict(calls) == {"parse": len(PACKETS), "check": len(PACKETS), "evaluate": 2 * len(PACKETS)}
    calls.clear()
    audit_mod.assess(base, base, iter_inputs([str(repo.root / "fixtures")]))
    assert dict(calls) == {"parse": len(PACKETS), "check": len(PACKETS), "evaluate": len(PACKETS)}


# -- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--base", "-x"], ["--base", "--upload-pack=touch"], ["--base", "nope"],
                                  ["--base", "HEAD", "--head", "-x"], ["--base", "HEAD", "--head", "HEAD~5"]])
def test_bad_revision_is_a_usage_error(run_cli, repo, args):
    """Revisions reach git as arguments: option-like or unknown ones are refused with exit 2."""
    res = run_cli("audit", "--rules", repo.rules, *args, exit_code=2)
    assert "revision" in res.stderr and "Traceback" not in res.stderr


def test_not_a_git_repository(run_cli, tmp_path):
    """Rules outside any repository cannot be audited: say so plainly, exit 2."""
    plain = tmp_path / "plain"
    shutil.copytree(ROOT / "rules", plain / "rules")
    res = run_cli("audit", "--rules", plain / "rules", "--base", "HEAD", exit_code=2)
    assert "not a git repository" in res.stderr


def test_broken_rules_at_a_revision(run_cli, repo):
    """Broken rules at REV exit 4 and the message names the revision and the file."""
    (repo.rules / "mid-pm.yaml").write_text("level: mid-pm\npolicy: {}\ncriteria: []\n", encoding="utf-8")
    sha = repo.commit("break mid-pm")
    git(repo.root, "tag", "broken")
    res = run_cli("audit", "--rules", repo.rules, "--base", "broken", exit_code=4)
    assert "rules at broken" in res.stderr and "broken:rules/mid-pm.yaml" in res.stderr and sha[:12] in res.stderr


# -- each revision judges with its own facts, rules and schema (regressions) ------------------------
def test_a_criterion_on_a_field_no_rule_read_before(run_cli, repo):
    """A new required criterion reads `participants`, which no base rule reads. Facts built for the
    base rules lacked the field, so the audit reported a flip that evaluation does not give."""
    shutil.copy(FIXTURES / "tamsin-brightwater-external-to-associate-ready.yaml", repo.root / "fixtures")
    repo.commit("an associate-pm packet")
    repo.edit("associate-pm", lambda d: d["criteria"].append({
        "id": "associate-pm.user-contact", "title": "Has met users in discovery sessions",
        "source": "Level 1 · Core responsibilities", "required": True,
        "condition": {"evidence": "discovery", "where": {"participants": {"gte": 3}}}}))
    repo.commit("meet users")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert "tamsin-brightwater-external-to-associate-ready.yaml" not in reported(report["flips"])
    assert report["rule_diff"]["criteria_added"][0]["id"] == "associate-pm.user-contact"


def test_a_predicate_on_a_field_no_rule_read_before(run_cli, repo):
    """`audience: {ne: leadership}` on a criterion whose facts never carried `audience`: evaluation
    makes Noor not_ready; the audit reported 0 flips."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.area-direction")["condition"]["where"].update(
        audience={"ne": "leadership"}))
    repo.commit("not a leadership-only roadmap")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert reported(report["flips"])["noor-ashgrove-mid-to-senior-ready.yaml"][:2] == ("ready", "not_ready")


def test_each_revision_uses_its_own_packet_schema(run_cli, repo):
    """An enum value added to the schema and used by a rule in the same commit is consistent at
    the head; the audit read the installed schema and called the rule impossible (exit 4)."""
    schema = json.loads(repo.schema.read_text(encoding="utf-8"))
    schema["$defs"]["audience"]["enum"].append("investors")
    repo.schema.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.area-direction")["condition"]["where"].update(
        audience={"in": ["leadership", "investors"]}))
    repo.commit("roadmaps shown to investors")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert report["schema_diff"] == [{"path": "$defs/audience/enum", "change": "values added",
                                      "values": ["investors"]}]
    # the base revision does not know the value: a packet using it is valid at the head only
    noor = yaml.safe_load((repo.root / "fixtures" / "noor-ashgrove-mid-to-senior-ready.yaml").read_text())
    art = next(e for e in noor["evidence"] if e["type"] == "artifact" and e.get("kind") in ("roadmap", "strategy"))
    art["audience"] = "investors"
    (repo.root / "fixtures" / "noor-investors.yaml").write_text(yaml.safe_dump(noor, sort_keys=False))
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD",
                        "--packets", repo.root / "fixtures" / "noor-investors.yaml")
    assert [(e["base"], e["head"]) for e in report["validity_changes"]] == [(None, "ready")]


# -- usage errors and notes ------------------------------------------------------------------------
def test_a_packets_path_that_does_not_exist(run_cli, repo):
    """A typo in --packets must not read as "no verdict flips": exit 2, naming the path."""
    res = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--packets", repo.root / "fixturez", exit_code=2)
    assert "--packets" in res.stderr and "fixturez" in res.stderr and "no such file" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_zero_packets_found(run_cli, repo):
    """An empty folder holds nothing to audit: exit 2, naming the folder."""
    (repo.root / "empty").mkdir()
    res = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--packets", repo.root / "empty", exit_code=2)
    assert "no packets found" in res.stderr and "empty" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_shallow_clone_hint(run_cli, repo, tmp_path):
    """In a shallow clone the base may be missing: the message says how to fetch the history."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    repo.commit("stricter")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow)], check=True,
                   capture_output=True)
    res = run_cli("audit", "--rules", shallow / "rules", "--base", "HEAD~1", "--head", "HEAD", exit_code=2)
    assert "shallow" in res.stderr and "git fetch --unshallow" in res.stderr and "fetch-depth: 0" in res.stderr
    res = run_cli("audit", "--rules", repo.rules, "--base", "nope", exit_code=2)
    assert "unshallow" not in res.stderr


def test_explicit_head_ignores_uncommitted_rule_changes_with_a_note(run_cli, repo):
    """--head reads git; edits under rules/ or schemas/ not committed are ignored, and the note says so."""
    clean = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--head", "HEAD")
    assert "uncommitted" not in clean.stderr
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    res = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--head", "HEAD")
    assert "note:" in res.stderr and "uncommitted" in res.stderr and "rules/senior-pm.yaml" in res.stderr
    assert "0 verdict flip(s)" in res.stdout
    assert "uncommitted" not in run_cli("audit", "--rules", repo.rules, "--base", "HEAD").stderr  # working tree
    git(repo.root, "checkout", "--", "rules")
    repo.schema.write_text(repo.schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    res = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--head", "HEAD")
    assert "schemas/packet.schema.json" in res.stderr
    (repo.root / "notes.txt").write_text("elsewhere")  # outside rules/ and schemas/: no note
    git(repo.root, "checkout", "--", "schemas")
    assert "uncommitted" not in run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--head", "HEAD").stderr


def test_runs_from_a_subfolder_of_the_repository(run_cli, repo, monkeypatch):
    """Without --rules, rules/ and fixtures/ at the top of the repository are found from any folder in it."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    monkeypatch.chdir(repo.root)
    top = run_cli("audit", "--base", "HEAD", "--format", "json").stdout
    (repo.root / "docs" / "deep").mkdir(parents=True)
    monkeypatch.chdir(repo.root / "docs" / "deep")
    sub = run_cli("audit", "--base", "HEAD", "--format", "json").stdout
    a, b = json.loads(top), json.loads(sub)
    assert a["flips"] and [Path(f["source"]).name for f in a["flips"]] == [Path(f["source"]).name for f in b["flips"]]
    assert a["summary"] == b["summary"]
    monkeypatch.chdir(repo.rules)  # inside the rules folder itself
    assert json.loads(run_cli("audit", "--base", "HEAD", "--format", "json").stdout)["summary"] == a["summary"]


# -- every flip says why -----------------------------------------------------------------------------
def test_a_flip_decided_by_a_level_policy_names_the_level(run_cli, repo):
    """Raising min_supporting flips verdicts with no criterion status change: the level line says why."""
    repo.edit("senior-pm", lambda d: d["policy"].update(min_supporting=10))
    repo.commit("more supporting evidence")
    report = check_exact(run_cli, repo, "HEAD~1", "HEAD")
    assert report["flips"]
    for f in report["flips"]:
        [lv] = [lv for lv in f["levels"] if lv["id"] == "senior-pm"]
        assert lv["base"]["supporting_needed"] == 3 and lv["head"]["supporting_needed"] == 10
        assert lv["head"]["verdict"] == "not_ready" and lv["base"]["verdict"] != lv["head"]["verdict"]
        assert lv["base"]["supporting_met"] == lv["head"]["supporting_met"]
    noor = next(f for f in report["flips"] if "noor-ashgrove" in f["source"])
    lv = next(lv for lv in noor["levels"] if lv["id"] == "senior-pm")
    met, total = lv["head"]["supporting_met"], lv["head"]["supporting_total"]
    line = f"senior-pm: ready -> not_ready; supporting {met}/{total} (needs 3) -> {met}/{total} (needs 10)"
    text = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD").stdout
    assert f"level {line}" in text
    md = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown").stdout
    assert "How the levels decided" in md and line.replace("->", "→") in md


def test_flip_levels_list_only_levels_that_changed(run_cli, repo):
    """A flip by a criterion lists the level whose required count moved; unchanged levels are left out."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    repo.commit("stricter")
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")
    kofi = next(f for f in report["flips"] if "kofi-lanternwick" in f["source"])  # mid-pm -> director: 2 levels
    assert [lv["id"] for lv in kofi["levels"]] == ["senior-pm"]
    [lv] = kofi["levels"]
    assert lv["head"]["required_met"] == lv["base"]["required_met"] - 1
    for f in report["flips"]:
        assert all(lv["base"] != lv["head"] for lv in f["levels"])


def test_each_flip_line_names_the_candidate_and_its_levels(run_cli, repo):
    """Text and markdown say who flipped, between which levels, as the JSON does: the line a
    reviewer reads first."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    repo.commit("stricter")
    args = ("--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD")
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")
    text = run_cli("audit", *args).stdout.splitlines()
    md = run_cli("audit", *args, "--format", "markdown").stdout.splitlines()
    assert len(report["flips"]) >= 2
    for f in report["flips"]:
        cid, levels = f["candidate"]["id"], f"{f['current_level']} -> {f['target_level']}"
        assert f"  {cid}  {f['source']}  {f['track']}  {levels}  {f['base']} -> {f['head']}" in text
        assert any(row.startswith(f"| `{cid}` | `{f['source']}` | {f['track']} | {levels.replace('->', '→')} | ")
                   for row in md), cid
    kofi = next(f for f in report["flips"] if "kofi-lanternwick" in f["source"])
    assert (kofi["current_level"], kofi["target_level"]) == ("mid-pm", "director")


# -- rule diff by meaning: renames, spellings, levels --------------------------------------------------
def test_a_renamed_criterion_is_a_rename(run_cli, repo):
    """Only the id changed: one rename, not a removal and an addition."""
    def rename(d: dict) -> None:
        criterion(d, "senior-pm.aligns-teams")["id"] = "senior-pm.aligns-the-teams"
    repo.edit("senior-pm", rename)
    repo.commit("rename")
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")
    diff = report["rule_diff"]
    assert diff["criteria_renamed"] == [{"from": "senior-pm.aligns-teams", "to": "senior-pm.aligns-the-teams",
                                         "level": "senior-pm"}]
    assert diff["criteria_added"] == [] and diff["criteria_removed"] == [] and diff["criteria_changed"] == []
    assert report["flips"] == []
    text = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD").stdout
    assert "1 criterion renamed" in text and "criterion senior-pm.aligns-teams -> senior-pm.aligns-the-teams" in text
    md = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown").stdout
    assert "criterion **renamed**: `senior-pm.aligns-teams` → `senior-pm.aligns-the-teams`" in md


def test_a_renamed_and_changed_criterion_is_removed_and_added(run_cli, repo):
    """A new id with a new body is not a rename."""
    def change(d: dict) -> None:
        c = criterion(d, "senior-pm.moves-key-metrics")
        c["id"] = "senior-pm.moves-metrics"
        c["condition"]["min_count"] = 3
    repo.edit("senior-pm", change)
    repo.commit("rename and change")
    diff = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")["rule_diff"]
    assert diff["criteria_renamed"] == []
    assert [c["id"] for c in diff["criteria_removed"]] == ["senior-pm.moves-key-metrics"]
    assert [c["id"] for c in diff["criteria_added"]] == ["senior-pm.moves-metrics"]


def test_equivalent_spellings_compare_equal(run_cli, repo):
    """`led`, `{eq: led}` and `{in: [led]}` mean the same; so do no min_count and `min_count: 1`."""
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.area-direction")["condition"]["where"].update(
        role="led"))
    repo.commit("led only, shorthand")
    def respell(d: dict) -> None:
        cond = criterion(d, "senior-pm.area-direction")["condition"]
        cond["where"]["role"] = {"in": ["led"]}
        cond["min_count"] = 1
    repo.edit("senior-pm", respell)
    repo.commit("led only, in-list")
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")
    assert report["rule_diff"]["criteria_changed"] == [] and not report["rules_changed"]
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.area-direction")["condition"]["where"].update(
        role={"eq": "led"}))
    report = audit_json(run_cli, repo, "--base", "HEAD~1")
    assert not report["rules_changed"]
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.area-direction")["condition"].update(min_count=2))
    [c] = audit_json(run_cli, repo, "--base", "HEAD~1")["rule_diff"]["criteria_changed"]
    assert c["changes"] == [{"path": "condition.min_count", "old": 1, "new": 2}]


def test_an_added_level_lists_its_criteria_and_policy(run_cli, repo):
    """A level added or removed shows what it holds: its criteria ids and its policy."""
    lad = yaml.safe_load((repo.rules / "ladder.yaml").read_text(encoding="utf-8"))
    lad["levels"] = [lv for lv in lad["levels"] if lv["id"] != "principal-pm"]
    lad["tracks"]["ic"].remove("principal-pm")
    (repo.rules / "ladder.yaml").write_text(yaml.safe_dump(lad, sort_keys=False), encoding="utf-8")
    (repo.rules / "principal-pm.yaml").unlink()
    vp = repo.rules / "vp.yaml"
    vp.write_text(vp.read_text(encoding="utf-8").replace(", principal-pm]", "]"), encoding="utf-8")
    repo.commit("no IC track top")
    base_file = yaml.safe_load((ROOT / "rules" / "principal-pm.yaml").read_text(encoding="utf-8"))
    ids = [c["id"] for c in base_file["criteria"]]
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")
    got = report["rule_diff"]["level_contents"]["principal-pm"]
    assert got["change"] == "removed" and got["criteria"] == ids and got["policy"] == base_file["policy"]
    text = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD").stdout
    assert f"criteria: {ids[0]} (" in text and "policy: {" in text and "min_supporting: " in text
    back = audit_json(run_cli, repo, "--base", "HEAD", "--head", "HEAD~1")["rule_diff"]["level_contents"]
    assert back["principal-pm"]["change"] == "added" and back["principal-pm"]["criteria"] == ids


# -- markdown stays under a pull-request comment's limit -----------------------------------------------
def _many_flips(tmp_path: Path, count: int):
    """Bundled rules vs. a copy asking for every supporting criterion at every level, over generated packets."""
    from engine import audit as audit_mod
    from engine.base.inputs import iter_inputs
    from conftest import bench_generator

    gen = bench_generator()
    packets = tmp_path / "many.jsonl"
    lines = (line + "\n" for line, _ in gen.generate(count, "audit-md", invalid_rate=0.2))
    packets.write_text("".join(lines), encoding="utf-8")
    shutil.copytree(ROOT / "rules", tmp_path / "strict" / "rules")
    shutil.copytree(ROOT / "schemas", tmp_path / "strict" / "schemas")
    for f in (tmp_path / "strict" / "rules").glob("*.yaml"):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        if "policy" in data:
            data["policy"]["min_supporting"] = sum(not c["required"] for c in data["criteria"])
            for c in data["criteria"]:  # and one more record for each counted criterion: long rows
                if "min_count" in c["condition"]:
                    c["condition"]["min_count"] += 1
            f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return audit_mod.assess(load_rules(ROOT / "rules"), load_rules(tmp_path / "strict" / "rules"),
                            iter_inputs([str(packets)]))


def test_markdown_stays_under_the_comment_limit(tmp_path):
    from engine import audit as audit_mod

    res = _many_flips(tmp_path, 2000)  # cumulative levels make fewer packets ready, so fewer flip
    assert len(res.flips) > 300
    from engine.audit.render import _render_markdown

    full = _render_markdown(res, 10**6, None, per_cause=10**6)
    assert len(full) > 60_000  # the scenario must need shortening
    md = audit_mod.render_markdown(res)
    assert len(md) <= 60_000
    assert f"**{len(res.flips)} verdict flip(s)**" in md  # counts are complete
    assert "Shortened to fit a pull-request comment" in md and "--format json" in md
    assert f"#### Verdict flips by cause ({len(res.flips)})" in md and "more (see `--format json`)" in md
    assert md.count("<details>") == md.count("</details>")
    from engine.audit.result import flips_by_cause

    first = flips_by_cause(res)[0][3][0]
    assert f"| `{first.candidate}` |" in md  # the first rows of the largest cause are kept
    small = audit_mod.render_markdown(res, limit=3_000)  # even a tiny limit holds, tags balanced
    assert len(small) <= 3_000 and small.count("<details>") == small.count("</details>")


def test_markdown_not_shortened_when_it_fits(run_cli, repo):
    repo.edit("senior-pm", lambda d: criterion(d, "senior-pm.moves-key-metrics")["condition"].update(min_count=3))
    md = run_cli("audit", "--rules", repo.rules, "--base", "HEAD", "--format", "markdown").stdout
    assert "Shortened" not in md and "more (see" not in md


# -- worker processes ---------------------------------------------------------------------------------
def test_jobs_gives_the_same_output_as_one_process(run_cli, repo):
    """--jobs N: chunks go to worker processes; every format is byte-identical to --jobs 1."""
    from conftest import bench_generator

    gen = bench_generator()
    many = repo.root / "many.jsonl"
    many.write_text("".join(line + "\n" for line, _ in gen.generate(300, "audit-jobs", invalid_rate=0.1)),
                    encoding="utf-8")
    repo.edit("senior-pm", lambda d: d["policy"].update(min_supporting=5))
    repo.edit("mid-pm", lambda d: criterion(d, "mid-pm.ships-reliably")["condition"].update(min_count=3))
    repo.commit("stricter")
    outputs = {}
    for fmt in ("json", "text", "markdown"):
        args = ["audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD", "--packets", many,
                "--packets", repo.root / "fixtures", "--format", fmt]
        outputs[fmt] = run_cli(*args, "--jobs", "1").stdout
        assert run_cli(*args, "--jobs", "3").stdout == outputs[fmt]
    report = json.loads(outputs["json"])
    assert report["flips"] and report["status_changes"] and report["invalid"]
    assert report["summary"]["packets"] == 300 + len(PACKETS)


def test_a_path_the_change_does_not_touch_is_evaluated_once(run_cli, repo, monkeypatch):
    """A packet whose path has the same criteria and policies in both books (and one check served
    both) is evaluated once; the audit still equals separate evaluation at both revisions."""
    from engine import audit as audit_mod
    from engine.core.evaluator import Evaluator
    from engine.base.inputs import iter_inputs

    n, known = Counter(), Counter()
    real, real_known = Evaluator.evaluate, Evaluator.evaluate_known

    def counting(self, packet, *args):
        n[packet.source] += 1
        return real(self, packet, *args)

    def counting_known(self, packet, statuses):
        n[packet.source] += 1
        known[packet.source] += 1
        return real_known(self, packet, statuses)

    monkeypatch.setattr(Evaluator, "evaluate", counting)
    monkeypatch.setattr(Evaluator, "evaluate_known", counting_known)
    base = load_rules(ROOT / "rules")
    repo.edit("mid-pm", lambda d: criterion(d, "mid-pm.ships-reliably")["condition"].update(min_count=3))
    head = load_rules(repo.rules)
    audit_mod.assess(base, head, iter_inputs([str(repo.root / "fixtures")]), reuse=True)
    once = {Path(s).name for s, c in n.items() if c == 1}
    twice = {Path(s).name for s, c in n.items() if c == 2}
    assert once and twice and len(once) + len(twice) == len(PACKETS)
    assert "linnea-quillfeather-apm-to-mid-ready.yaml" in twice  # mid-pm is on its path
    assert "ines-quarrow-senior-to-principal-not-ready.yaml" in once  # and not on this one
    # the second evaluation (under the head) fires only what differs: the criteria it did not
    # change are taken from the base verdict (Evaluator.evaluate_known)
    assert {Path(s).name for s in known} == twice and set(known.values()) == {1}
    monkeypatch.setattr(Evaluator, "evaluate", real)
    monkeypatch.setattr(Evaluator, "evaluate_known", real_known)
    repo.commit("mid-pm ships more")
    check_exact(run_cli, repo, "HEAD~1", "HEAD")
    # a reworded title on the path is a difference too: no reuse for those packets
    n.clear()
    monkeypatch.setattr(Evaluator, "evaluate", counting)
    monkeypatch.setattr(Evaluator, "evaluate_known", counting_known)
    repo.edit("principal-pm", lambda d: d["criteria"][0].update(title="Reworded"))
    fresh = repo.root.parent / "reworded"  # load_rules caches by folder: load the edit from a new one
    shutil.copytree(repo.rules, fresh / "rules")
    shutil.copytree(repo.root / "schemas", fresh / "schemas")
    audit_mod.assess(head, load_rules(fresh / "rules"), iter_inputs([str(repo.root / "fixtures")]), reuse=True)
    assert {Path(s).name for s, c in n.items() if c == 2} == {"ines-quarrow-senior-to-principal-not-ready.yaml"}


def test_a_schema_diff_says_what_changed_for_packets_by_name():
    """The audit's packet-schema diff (what a reviewer reads when schemas/ changes in a pull
    request): fields, enum values and required fields added or removed by name, whatever their
    order; anything else by its path."""
    from engine.audit import diff_schemas

    old = {"$defs": {"rec": {"required": ["id", "date"], "properties": {
        "id": {"type": "string"}, "kind": {"enum": ["a", "b"]}, "gone": {"type": "string"}}}}}
    new = {"$defs": {"rec": {"required": ["date", "id", "title"], "properties": {
        "id": {"type": "integer"}, "kind": {"enum": ["b", "c"]}, "title": {"type": "string"}}}}}
    got = diff_schemas(old, new)
    assert {"path": "$defs/rec/properties", "change": "fields added", "values": ["title"]} in got
    assert {"path": "$defs/rec/properties", "change": "fields removed", "values": ["gone"]} in got
    assert {"path": "$defs/rec/properties/kind/enum", "change": "values added", "values": ["c"]} in got
    assert {"path": "$defs/rec/properties/kind/enum", "change": "values removed", "values": ["a"]} in got
    assert {"path": "$defs/rec/required", "change": "required fields added", "values": ["title"]} in got
    assert {"path": "$defs/rec/properties/id/type", "change": "changed"} in got
    assert len(got) == 6
    assert diff_schemas(old, old) == []
    reordered = {"$defs": {"rec": dict(old["$defs"]["rec"], required=["date", "id"])}}
    assert diff_schemas(old, reordered) == [{"path": "$defs/rec/required", "change": "reordered"}]


def test_totals_by_level_and_track_add_up_to_the_packets(run_cli, repo):
    """A reviewer reads 'by target level' and 'by track' as a partition of the packets: each
    tally's parts add up to its packets, and the tallies add up to the summary."""
    repo.edit("senior-pm", lambda d: d["policy"]["sufficient_evidence"].update(min_records=40))
    repo.commit("much more recent evidence")
    report = audit_json(run_cli, repo, "--base", "HEAD~1", "--head", "HEAD")
    packets = report["summary"]["packets"]
    assert packets == len(PACKETS)
    for totals in report["totals"].values():
        assert sum(t["packets"] for t in totals.values()) == packets
        for t in totals.values():
            assert t["packets"] == t["flips"] + t["status_changes"] + t["unchanged"] + t["validity_changes"]
    by_level = report["totals"]["by_target_level"]
    targets = Counter(json.loads(run_cli("evaluate", repo.root / "fixtures" / f"{p}.yaml", "--format", "json",
                                         "--no-plan").stdout)["target_level"] for p in PACKETS)
    assert {k: t["packets"] for k, t in by_level.items()} == dict(targets)
    # the level line names the sufficiency change, and the header names both revisions
    text = run_cli("audit", "--rules", repo.rules, "--base", "HEAD~1", "--head", "HEAD").stdout
    assert "(needs 4 within 730 days) -> " in text and "(needs 40 within 730 days)" in text
    sha = git(repo.root, "rev-parse", "HEAD~1")[:12]
    assert f"HEAD~1 ({sha})" in text


def test_rule_changes_are_cut_only_when_there_are_more_than_shown(tmp_path):
    """The markdown's rule-change list says "the first N are shown" only when something is
    left out: exactly N changes are all shown, without the note."""
    from engine import audit as audit_mod
    from engine.audit.render import _render_markdown, diff_entries
    from engine.base.inputs import iter_inputs

    shutil.copytree(ROOT / "rules", tmp_path / "head" / "rules")
    shutil.copytree(ROOT / "schemas", tmp_path / "head" / "schemas")
    f = tmp_path / "head" / "rules" / "senior-pm.yaml"
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    for cid in ("senior-pm.moves-key-metrics", "senior-pm.sound-trade-offs"):
        criterion(data, cid)["condition"]["min_count"] = 3
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    res = audit_mod.assess(load_rules(ROOT / "rules"), load_rules(tmp_path / "head" / "rules"),
                           iter_inputs([str(FIXTURES / f"{p}.yaml") for p in PACKETS]))
    n = len(diff_entries(res.diff))
    assert n >= 2
    assert "are shown" not in _render_markdown(res, 10**6, n)
    assert f"_{n} rule changes; the first {n - 1} are shown" in _render_markdown(res, 10**6, n - 1)


@pytest.mark.parametrize("a, b", [
    ({"ne": "none"}, {"not_in": ["none"]}),
    ("led", {"in": ["led"]}),
    ("led", {"eq": "led"}),
    ({"in": ["a", "b"]}, {"in": ["a", "b"]}),
])
def test_one_meaning_is_one_spelling_in_the_rule_diff(a, b):
    """What the compiler tests alike, the audit's rule diff reads alike (no change to review)."""
    from engine.audit.diff import _norm_predicate

    assert _norm_predicate(a) == _norm_predicate(b)
    assert _norm_predicate({"not_in": ["x"]}) == {"ne": "x"} and _norm_predicate({"in": ["x"]}) == "x"


LEAF = {"evidence": "shipped_outcome", "where": {"role": "led"}}


@pytest.mark.parametrize("a, b", [
    # at_least's parts, at any depth, in any order and spelling
    ({"at_least": 2, "of": [LEAF, {"evidence": "decision", "where": {"kind": {"in": ["trade-off"]}}},
                            {"evidence": "artifact"}]},
     {"at_least": 2, "of": [{"evidence": "artifact", "min_count": 1},
                            {"evidence": "decision", "where": {"kind": "trade-off"}},
                            {"evidence": "shipped_outcome", "where": {"role": {"eq": "led"}}}]}),
    ({"at_least": 1, "of": [LEAF, {"evidence": "decision"}]}, {"any_of": [{"evidence": "decision"}, LEAF]}),
    ({"at_least": 2, "of": [LEAF, {"evidence": "decision"}]}, {"all_of": [LEAF, {"evidence": "decision"}]}),
    # list-form any_item: one clause bare or in a list, clauses in any order, predicates in any spelling
    ({**LEAF, "any_item": [{"field": "metrics", "where": {"kind": "user"}}]},
     {**LEAF, "any_item": {"field": "metrics", "where": {"kind": {"eq": "user"}}}}),
    ({**LEAF, "any_item": [{"field": "metrics", "where": {"kind": "user"}},
                           {"field": "metrics", "where": {"kind": "business"}}]},
     {**LEAF, "any_item": [{"field": "metrics", "where": {"kind": {"in": ["business"]}}},
                           {"field": "metrics", "where": {"kind": "user"}}]}),
    # nested composites
    ({"any_of": [{"all_of": [LEAF, {"evidence": "decision", "unflagged": False}]}, {"evidence": "artifact"}]},
     {"any_of": [{"evidence": "artifact", "min_count": 1},
                 {"all_of": [{"evidence": "decision"}, {"evidence": "shipped_outcome", "where": {"role": {"in": ["led"]}}}]}]}),
])
def test_one_normal_form_at_every_depth(a, b):
    """What the compiler tests alike reads alike in the rule diff, inside at_least, list-form
    any_item and nested composites too (issue 29: `role: led -> {in: [led]}` was shown)."""
    from engine.audit.diff import diff_values, norm_condition

    assert diff_values(norm_condition(a), norm_condition(b), "condition") == []
    assert diff_values({"condition": a}, {"condition": b}) != [] or a == b  # raw, they differ


def test_a_default_is_never_shown_as_written():
    """A leaf turned into any_of shows the any_of, not an invented `min_count: 1 -> (absent)`, and
    its branches are printed as written (no `min_count: 1`); a default compared with a written
    value is shown as the default."""
    from engine.audit.diff import diff_values, norm_condition

    def texts(a, b):
        return [f.text() for f in diff_values(norm_condition(a), norm_condition(b), "condition")]

    new = {"any_of": [LEAF, {"evidence": "decision", "where": {"documented": True}}]}
    got = texts({**LEAF, "min_count": 1}, new)
    assert got == ["condition.any_of: (absent) -> [{evidence: shipped_outcome, where: {role: led}}, "
                   "{evidence: decision, where: {documented: true}}]",
                   "condition.evidence: shipped_outcome -> (absent)", "condition.where: {role: led} -> (absent)"]
    assert not any("min_count" in t for t in got)
    assert texts(LEAF, {**LEAF, "min_count": 2}) == ["condition.min_count: 1 -> 2"]
    assert texts({**LEAF, "min_count": 3}, LEAF) == ["condition.min_count: 3 -> 1"]
    assert texts({**LEAF, "min_count": 3}, {**LEAF, "distinct": {"field": "scope", "min": 2}}) == [
        "condition.distinct: (absent) -> {field: scope, min: 2}", "condition.min_count: 3 -> (absent)"]


def test_a_changed_branch_shows_as_itself_whatever_the_order():
    """Branches reordered and one threshold changed: one line, numbered as the new file has it."""
    from engine.audit.diff import diff_values, norm_condition

    a = {"any_of": [{"evidence": "decision", "min_count": 2}, LEAF, {"evidence": "artifact"}]}
    b = {"any_of": [{"evidence": "artifact"}, LEAF, {"evidence": "decision", "min_count": 3}]}
    assert [f.text() for f in diff_values(norm_condition(a), norm_condition(b), "condition")] == [
        "condition.any_of.2.min_count: 2 -> 3"]


# -- symbolic links in the rules folder at a revision --------------------------------------------
def test_a_level_file_stored_as_a_link_is_read_at_each_revision(repo, run_cli):
    """git stores a link as its target; the audit reads the file it names in the same tree, so a
    pack that links a level file changes nothing (before: the level had no file, exit 4)."""
    base = git(repo.root, "rev-parse", "HEAD")
    (repo.rules / "shared").mkdir()
    (repo.rules / "mid-pm.yaml").rename(repo.rules / "shared" / "mid-pm.src")
    (repo.rules / "mid-pm.yaml").symlink_to(Path("shared") / "mid-pm.src")
    repo.commit("mid-pm.yaml is a link")
    report = audit_json(run_cli, repo, "--base", base, "--head", "HEAD", "--packets", repo.root / "fixtures")
    assert report["flips"] == [] and not report["invalid"], report
    # and a change made through the link is seen at the revision that made it
    src = repo.rules / "shared" / "mid-pm.src"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["policy"]["min_supporting"] = 99
    src.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    repo.commit("mid-pm asks for too many supporting criteria")
    r = run_cli("audit", "--rules", repo.rules, "--base", base, "--head", "HEAD", exit_code=4)
    assert "HEAD:rules/mid-pm.yaml" in r.stderr and "/policy/min_supporting" in r.stderr, r.stderr


@pytest.mark.parametrize("target", ["../secrets/id_test.pem", "/etc/hostname", "shared/../../secrets/id_test.pem"])
def test_a_link_leaving_the_rules_folder_at_a_revision_is_refused_unread(repo, run_cli, target):
    base = git(repo.root, "rev-parse", "HEAD")
    (repo.root / "secrets").mkdir()
    (repo.root / "secrets" / "id_test.pem").write_text(
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n-----END PRIVATE KEY-----\n")
    (repo.rules / "mid-pm.yaml").unlink()
    (repo.rules / "mid-pm.yaml").symlink_to(target)
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "mid-pm.yaml links out")
    r = run_cli("audit", "--rules", repo.rules, "--base", base, "--head", "HEAD", exit_code=4)
    assert ("HEAD:rules/mid-pm.yaml: a symbolic link that leads out of the rules pack's folder; a pack's files "
            "must be inside it (the link was not followed)") in r.stderr, r.stderr
    assert "PRIVATE KEY" not in r.stderr and "MIIEvQ" not in r.stderr


def test_a_retired_source_pattern_in_history_is_never_run(repo, run_cli):
    """A past revision with source_pattern (even a catastrophic one) audits: history is read as it
    was, and its pattern is ignored, never compiled or run."""
    lad = repo.rules / "ladder.yaml"
    text = lad.read_text(encoding="utf-8")
    forms = next(i for i, ln in enumerate(text.splitlines()) if ln.startswith("source_forms:"))
    lines = text.splitlines()
    lines[forms:forms + 2] = ['source_pattern: "^(a|a)*$"']
    lad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    repo.edit("mid-pm", lambda d: d["criteria"][0].update(source="a" * 100 + "!"))
    old = repo.commit("a pack from before source_forms")
    shutil.rmtree(repo.rules)
    shutil.copytree(ROOT / "rules", repo.rules)
    repo.commit("source_forms")
    report = audit_json(run_cli, repo, "--base", old, "--head", "HEAD", "--packets", repo.root / "fixtures")
    assert not report["invalid"], report


def test_a_flip_decided_by_a_per_aspect_threshold_names_the_aspect(run_cli, tmp_path):
    """examples/kestrel's PM3 asks for 1 supporting craft criterion; asking for 2 flips a candidate
    with exactly 1 (and not one with 2: the boundary). The level line names the aspect, in text,
    markdown and JSON, not only the number: `needed 1 -> 2 in aspect craft`."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "kestrel", root)
    eve = yaml.safe_load((root / "fixtures" / "eve-pm2-to-l3-ready.yaml").read_text(encoding="utf-8"))
    eve.pop("x-expected-verdict", None)
    eve["evidence"] = [e for e in eve["evidence"] if e["id"] != "ev-7"]  # broad-craft unmet: 1 craft criterion met
    (root / "fixtures" / "one-craft.yaml").write_text(yaml.safe_dump(eve, sort_keys=False), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "kestrel")
    level = root / "rules" / "product-l3.yaml"
    text = level.read_text(encoding="utf-8")
    assert text.count("min_supporting_per_aspect: {craft: 1}") == 1
    level.write_text(text.replace("min_supporting_per_aspect: {craft: 1}", "min_supporting_per_aspect: {craft: 2}"),
                     encoding="utf-8")
    args = ("audit", "--rules", root / "rules", "--base", "HEAD", "--packets", root / "fixtures")
    report = json.loads(run_cli(*args, "--format", "json").stdout)
    # eve (2 craft met) stays ready; nia (1: its area strategy) flips as one-craft does
    assert sorted(Path(f["source"]).name for f in report["flips"]) == ["nia-pm2-to-l3-ready.yaml", "one-craft.yaml"]
    flip = next(f for f in report["flips"] if Path(f["source"]).name == "one-craft.yaml")
    [lv] = flip["levels"]
    assert (lv["base"]["aspects"], lv["head"]["aspects"]) == ([{"aspect": "craft", "needed": 1, "met": 1}],
                                                              [{"aspect": "craft", "needed": 2, "met": 1}])
    line = "product-l3: ready -> not_ready; needed 1 -> 2 in aspect craft"
    assert f"level {line}" in run_cli(*args).stdout
    assert line.replace("->", "→") in run_cli(*args, "--format", "markdown").stdout
