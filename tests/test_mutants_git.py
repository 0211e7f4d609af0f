"""Reading the rules from git (engine.audit.git), in process and fast: what each refusal says and
where it points, the hints for a revision git cannot find, the link chain at its exact depth and a
link target at its exact length, the size limit at its byte, and the hook variables that must never
redirect git. tests/test_audit.py drives the same code through whole audits; these pin the edges."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from engine.audit import git as g
from engine.base.errors import RulesError, UsageError
from engine.base.loader import DEFAULT_MAX_BYTES, ParseFailure

from conftest import ROOT


def run(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    cp = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
                         "-c", "commit.gpgsign=false", *args], input=stdin, capture_output=True, check=True)
    return cp.stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    run(root, "init", "-q", "-b", "main")
    commit(root, "rules")
    return root


def commit(root: Path, message: str) -> str:
    run(root, "add", "-A")
    run(root, "commit", "-q", "--allow-empty", "-m", message)
    return run(root, "rev-parse", "HEAD")


def loc(root: Path) -> g.RulesLocation:
    return g.locate_rules(str(root / "rules"))


def link_blob(root: Path, path: str, target: str) -> None:
    """A symbolic link stored in git's index as it is on disk (mode 120000, its target as content),
    whatever the file system would allow."""
    oid = run(root, "hash-object", "-w", "--stdin", stdin=target.encode())
    run(root, "update-index", "--add", "--cacheinfo", f"120000,{oid},{path}")


def read_at(root: Path, rev: str = "HEAD"):
    sha = run(root, "rev-parse", rev)
    return g.rules_at(loc(root), rev, sha)


def problem_of(root: Path) -> tuple[str, str, str]:
    with pytest.raises(g.RevisionRulesError) as e:
        read_at(root)
    (p,) = e.value.problems
    return p.source, p.path, p.message


# -- where the rules are -------------------------------------------------------------------------------
def test_outside_a_repository_the_message_names_what_was_looked_at_and_gits_reason(tmp_path):
    (tmp_path / "rules").mkdir()
    with pytest.raises(UsageError) as e:
        g.locate_rules(str(tmp_path / "rules"))
    assert e.value.summary.startswith(f"not a git repository: --rules {tmp_path / 'rules'} is not inside one (")
    assert "fatal: not a git repository" in e.value.summary and "git failed" not in e.value.summary
    with pytest.raises(UsageError) as e:
        g.locate_rules(None, cwd=str(tmp_path))
    assert e.value.summary.startswith(f"not a git repository: the current folder ({tmp_path}) is not inside one (")


def test_a_rules_folder_deleted_in_the_working_tree_is_still_located(repo):
    shutil.rmtree(repo / "rules")
    got = g.locate_rules(str(repo / "rules"))
    assert (got.top, got.rel) == (os.path.realpath(repo), "rules")
    assert read_at(repo).levels  # and read from history


def test_a_relative_rules_folder_is_read_from_the_top_wherever_the_audit_runs(repo):
    (repo / "rules" / "deep").mkdir()
    got = g.locate_rules("rules", cwd=str(repo / "rules" / "deep"))
    assert (got.rel, got.workdir) == ("rules", os.path.realpath(repo / "rules"))


# -- revisions git cannot find: what would find them --------------------------------------------------
def unknown(repo: Path, rev: str) -> str:
    with pytest.raises(UsageError) as e:
        g.resolve_rev(str(repo), rev, "--base")
    return e.value.summary


def test_an_unknown_revision_without_remotes_says_only_that(repo):
    assert unknown(repo, "nope") == (f"--base 'nope': unknown revision in {repo} (not a commit git can find)")


def test_the_hints_name_the_fetch_that_would_find_the_revision(repo):
    run(repo, "remote", "add", "origin", str(repo))
    run(repo, "update-ref", "refs/remotes/origin/feat", "HEAD")
    assert unknown(repo, "origin/topic").endswith(
        "; the branch topic of origin was not fetched: `git fetch origin topic:refs/remotes/origin/topic` "
        "(in GitHub Actions actions/checkout fetches only the pull request: add that fetch as a step, or use "
        "`fetch-depth: 0`)")
    assert unknown(repo, "feat").endswith("; there is no local feat, but there is origin/feat: pass --base origin/feat")
    for rev in ("upstream/topic", "origin"):  # not a remote's branch: no fetch hint
        assert unknown(repo, rev).endswith("(not a commit git can find)"), rev


@pytest.mark.parametrize("rev", ["", "-x", "--all"])
def test_an_option_like_or_empty_revision_is_refused_before_git_sees_it(repo, rev):
    assert "a revision must not start with '-' (or be empty)" in unknown(repo, rev)


# -- what an explicit --head does not see --------------------------------------------------------------
def test_uncommitted_lists_each_changed_path_exactly(repo):
    (repo / "rules" / "new level.yaml").write_text("x: 1\n", encoding="utf-8")
    (repo / "rules" / "mid-pm.yaml").write_text("changed: true\n", encoding="utf-8")
    (repo / "schemas" / "extra.json").write_text("{}", encoding="utf-8")
    (repo / "elsewhere.txt").write_text("not the rules", encoding="utf-8")
    assert sorted(g.uncommitted(loc(repo))) == ["rules/mid-pm.yaml", "rules/new level.yaml", "schemas/extra.json"]


def test_uncommitted_outside_a_repository_is_nothing(tmp_path):
    assert g.uncommitted(g.RulesLocation(str(tmp_path), "rules", str(tmp_path / "rules"))) == []


# -- the hook's variables never redirect git -------------------------------------------------------------
HOOK_VARIABLES = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_COMMON_DIR"]


def test_the_hook_variables_are_the_ones_dropped():
    assert sorted(g._GIT_ENV_DROP) == sorted(HOOK_VARIABLES)


@pytest.mark.parametrize("var", HOOK_VARIABLES)
def test_a_hooks_git_variables_never_redirect_the_audit(repo, tmp_path, monkeypatch, var):
    other = tmp_path / "other"
    other.mkdir()
    run(other, "init", "-q", "-b", "main")
    bogus = {"GIT_DIR": other / ".git", "GIT_WORK_TREE": other, "GIT_INDEX_FILE": other / "no-index",
             "GIT_OBJECT_DIRECTORY": other / ".git" / "objects", "GIT_PREFIX": "sub/",
             "GIT_COMMON_DIR": other / ".git"}[var]
    sha = run(repo, "rev-parse", "HEAD")
    monkeypatch.setenv(var, str(bogus))
    assert g.repository_top(str(repo)) == os.path.realpath(repo)
    assert sorted(g.rules_at(loc(repo), "HEAD", sha).levels) == sorted(load_bundled_levels())
    assert g.uncommitted(loc(repo)) == []


def load_bundled_levels():
    from engine.book.rules import load_rules

    return load_rules(ROOT / "rules").levels


def test_git_runs_with_the_callers_path(repo, tmp_path, monkeypatch):
    """Only the hook's variables are dropped: PATH (and the rest) pass through, so the git found is the
    caller's."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    marker = tmp_path / "used"
    real = shutil.which("git")
    (bindir / "git").write_text(f'#!/bin/sh\ntouch "{marker}"\nexec "{real}" "$@"\n', encoding="utf-8")
    (bindir / "git").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    assert g.repository_top(str(repo)) == os.path.realpath(repo)
    assert marker.exists()


def test_a_git_that_hangs_is_a_usage_error_naming_the_command(monkeypatch, tmp_path):
    seen = {}

    def hang(cmd, **kw):
        seen.update(kw)
        raise subprocess.TimeoutExpired(cmd, kw["timeout"])

    monkeypatch.setattr(g.subprocess, "run", hang)
    with pytest.raises(UsageError) as e:
        g.repository_top(str(tmp_path))
    assert e.value.summary == f"git rev-parse timed out in {tmp_path}" and seen["timeout"] == 120


# -- a revision's files: links, sizes and where a refusal points ----------------------------------------
def chain(repo: Path, links: int) -> None:
    """rules/mid-pm.yaml -> l1.lnk -> ... -> shared/mid-pm.src: `links` links in all."""
    (repo / "rules" / "shared").mkdir()
    shutil.move(repo / "rules" / "mid-pm.yaml", repo / "rules" / "shared" / "mid-pm.src")
    run(repo, "add", "-A")
    names = ["mid-pm.yaml"] + [f"l{i}.lnk" for i in range(1, links)]
    for here, there in zip(names, names[1:] + ["shared/mid-pm.src"]):
        link_blob(repo, f"rules/{here}", there)
    run(repo, "commit", "-q", "-m", f"{links} links")


@pytest.mark.parametrize("links, ok", [(1, True), (g.MAX_LINKS, True), (g.MAX_LINKS + 1, False)])
def test_a_chain_of_links_is_followed_to_max_links_and_no_further(repo, links, ok):
    assert g.MAX_LINKS == 8
    chain(repo, links)
    if ok:
        assert "mid-pm" in read_at(repo).levels
    else:
        assert problem_of(repo) == ("HEAD:rules/mid-pm.yaml", "", "symbolic links more than 8 deep (a loop?)")


@pytest.mark.parametrize("length, ok", [(4096, True), (4097, False)])
def test_a_link_target_is_read_to_4096_characters(repo, length, ok):
    (repo / "rules" / "shared").mkdir()
    shutil.move(repo / "rules" / "mid-pm.yaml", repo / "rules" / "shared" / "m.src")
    run(repo, "add", "-A")
    tail = "shared/m.src" if length % 2 == 0 else "shared//m.src"  # the same path, one character longer
    target = "./" * ((length - len(tail)) // 2) + tail
    assert len(target) == length
    link_blob(repo, "rules/mid-pm.yaml", target)
    run(repo, "commit", "-q", "-m", "a long link")
    if ok:
        assert "mid-pm" in read_at(repo).levels
    else:
        assert problem_of(repo)[0] == "HEAD:rules/mid-pm.yaml"


@pytest.mark.parametrize("target", ["shared", "nope.src", "shared/nope.src"])
def test_a_link_to_a_folder_or_to_nothing_is_refused_where_it_is(repo, target):
    (repo / "rules" / "shared").mkdir()
    (repo / "rules" / "shared" / "keep.src").write_text("x: 1\n", encoding="utf-8")
    (repo / "rules" / "mid-pm.yaml").unlink()
    run(repo, "add", "-A")
    link_blob(repo, "rules/mid-pm.yaml", target)
    run(repo, "commit", "-q", "-m", "a dangling link")
    assert problem_of(repo) == ("HEAD:rules/mid-pm.yaml", "",
                                "a symbolic link to a file that is not in the rules folder at this revision")


def test_a_link_out_of_the_folder_is_refused_where_it_is(repo):
    (repo / "rules" / "mid-pm.yaml").unlink()
    run(repo, "add", "-A")
    link_blob(repo, "rules/mid-pm.yaml", "../schemas/packet.schema.json")
    run(repo, "commit", "-q", "-m", "out")
    source, path, message = problem_of(repo)
    assert (source, path) == ("HEAD:rules/mid-pm.yaml", "") and "leads out of the rules pack's folder" in message


@pytest.mark.parametrize("extra, ok", [(0, True), (1, False)])
def test_a_rule_file_at_the_size_limit_is_read_and_one_byte_more_is_not(repo, extra, ok):
    f = repo / "rules" / "mid-pm.yaml"
    text = f.read_text(encoding="utf-8")
    pad = DEFAULT_MAX_BYTES - len(text.encode()) - 1 + extra
    f.write_text(text + "#" + "x" * (pad - 1) + "\n", encoding="utf-8")
    assert f.stat().st_size == DEFAULT_MAX_BYTES + extra
    commit(repo, "big")
    if ok:
        assert "mid-pm" in read_at(repo).levels
    else:
        assert problem_of(repo) == ("HEAD:rules/mid-pm.yaml", "", "rule file larger than the limit")


def test_yaml_files_come_before_yml_files_each_in_name_order(monkeypatch):
    seen = []

    def build(docs, directory, schema, history):
        seen.extend(docs)

    monkeypatch.setattr(g, "build_rulebook", build)
    readers = {n: (lambda n=n: n) for n in ["b.yml", "z.yaml", "a.yml", "c.yaml", "notes.txt"]}
    g._build(readers, "d")
    assert seen == ["c.yaml", "z.yaml", "a.yml", "b.yml"]


def test_parse_problems_of_every_file_come_together(monkeypatch):
    def bad(name):
        def read():
            raise ParseFailure(g.Problem(name, "", "broken"))
        return read

    with pytest.raises(RulesError) as e:
        g._build({"a.yaml": bad("a.yaml"), "b.yaml": bad("b.yaml")}, "d")
    assert [p.source for p in e.value.problems] == ["a.yaml", "b.yaml"]


def test_a_missing_working_tree_folder_is_located_at_the_folder(repo):
    here = g.RulesLocation(str(repo), "gone", str(repo / "gone"))
    with pytest.raises(g.RevisionRulesError) as e:
        g.working_tree_rules(here)
    (p,) = e.value.problems
    assert (p.source, p.path, p.message) == (str(repo / "gone"), "", "rules folder not found")
    assert str(e.value).startswith(f"rules in the working tree ({repo / 'gone'}): the rules are invalid")


def test_the_schema_beside_a_nested_rules_folder(tmp_path):
    assert g._schema_path(g.RulesLocation("t", "packs/acme/rules", "w")) == "packs/acme/schemas/packet.schema.json"
    assert g._schema_path(g.RulesLocation("t", "rules", "w")) == "schemas/packet.schema.json"
    assert g._schema_path(g.RulesLocation("t", ".", "w")) == "schemas/packet.schema.json"


def test_the_repository_of_a_folder_that_no_longer_exists_is_found_from_its_parents(repo):
    assert g.repository_top(str(repo / "gone" / "deeper")) == os.path.realpath(repo)


def test_uncommitted_names_a_renamed_file_once_and_a_one_character_name(repo):
    run(repo, "mv", "rules/mid-pm.yaml", "rules/mid-pm-renamed.yaml")  # -z: "R  new\0old\0"
    assert g.uncommitted(loc(repo)) == ["rules/mid-pm-renamed.yaml"]
    (repo / "a").write_text("x", encoding="utf-8")  # "?? a": four bytes in all
    top = g.RulesLocation(os.path.realpath(repo), ".", os.path.realpath(repo))
    assert "a" in g.uncommitted(top)


def test_only_yaml_and_yml_files_of_the_folder_are_rule_files(repo):
    (repo / "rules" / "README.md").write_text("# not a rule file\n", encoding="utf-8")
    (repo / "rules" / "folder.yaml").mkdir()
    (repo / "rules" / "folder.yaml" / "x.txt").write_text("x", encoding="utf-8")
    (repo / "rules" / "mid-pm.yaml").rename(repo / "rules" / "mid-pm.yml")
    commit(repo, "a .yml level, a README and a folder named like a rule file")
    assert sorted(read_at(repo).levels) == sorted(load_bundled_levels())


def test_a_folder_without_rule_files_names_the_revision_commit_and_folder(repo):
    for f in (repo / "rules").glob("*.yaml"):
        f.unlink()
    (repo / "rules" / "README.md").write_text("nothing here\n", encoding="utf-8")
    sha = commit(repo, "no rule files")
    with pytest.raises(g.RevisionRulesError) as e:
        read_at(repo)
    assert str(e.value) == f"rules at HEAD ({sha[:12]}), rules/: no rule files (*.yaml) in the folder at this revision"


def test_rules_at_the_top_of_the_repository_are_named_dot_slash(tmp_path):
    root = tmp_path / "flat"
    shutil.copytree(ROOT / "rules", root)
    run(root, "init", "-q", "-b", "main")
    (root / "ladder.yaml").unlink()
    sha = commit(root, "no ladder")
    with pytest.raises(g.RevisionRulesError) as e:
        g.rules_at(g.RulesLocation(os.path.realpath(root), ".", os.path.realpath(root)), "HEAD", sha)
    assert str(e.value).startswith(f"rules at HEAD ({sha[:12]}), ./: the rules are invalid")


@pytest.mark.parametrize("link", [False, True])
def test_a_failing_cat_file_is_located_at_the_rule_file(repo, monkeypatch, link):
    if link:
        (repo / "rules" / "shared").mkdir()
        shutil.move(repo / "rules" / "mid-pm.yaml", repo / "rules" / "shared" / "m.src")
        run(repo, "add", "-A")
        link_blob(repo, "rules/mid-pm.yaml", "shared/m.src")
        run(repo, "commit", "-q", "-m", "a link")
    sha = run(repo, "rev-parse", "HEAD")
    real = g._git
    mid = run(repo, "rev-parse", "HEAD:rules/mid-pm.yaml")

    def failing(top, *args):
        if args[:2] == ("cat-file", "blob") and args[2] == mid:
            return subprocess.CompletedProcess(args, 128, b"", b"fatal: object gone\n")
        return real(top, *args)

    monkeypatch.setattr(g, "_git", failing)
    with pytest.raises(g.RevisionRulesError) as e:
        g.rules_at(loc(repo), "HEAD", sha)
    (p,) = e.value.problems
    assert (p.source, p.path, p.message, p.kind) == ("HEAD:rules/mid-pm.yaml", "",
                                                     "git cat-file failed: fatal: object gone", "io")
