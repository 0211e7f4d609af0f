"""`ladder audit` as the command runs it (engine/audit/run.py): which packets it reads by
default, how it shows their paths, where it runs from and what it leaves behind. Each test pins
what a slip there would change. Written against the survivors of a mutation run
(docs/development.md)."""
from __future__ import annotations

import os
import shutil

import pytest

from engine.audit import run as audit_run
from engine.audit.git import RulesLocation
from engine.base.errors import UsageError

from conftest import FIXTURES
from test_audit import PACKETS, Repo


@pytest.fixture
def repo(tmp_path) -> Repo:
    return Repo(tmp_path / "repo", tmp_path / "snapshots")


def _loc(repo: Repo) -> RulesLocation:
    return RulesLocation(str(repo.root), "rules", str(repo.rules))


def test_default_packets_are_the_packet_files_of_fixtures_of_every_extension(repo):
    fx = repo.root / "fixtures"
    shutil.copy(FIXTURES / f"{PACKETS[0]}.yaml", fx / "a-copy.yml")
    (fx / "a-copy.json").write_text("{}", encoding="utf-8")
    (fx / "notes.txt").write_text("not a packet", encoding="utf-8")
    (fx / "folder.yaml").mkdir()  # a folder with a packet's name is not a packet
    got = audit_run.default_packets(_loc(repo))
    assert got == sorted(["fixtures/a-copy.json", "fixtures/a-copy.yml", *(f"fixtures/{p}.yaml" for p in PACKETS)])


def test_no_default_packets_names_the_folder_it_looked_in(repo):
    shutil.rmtree(repo.root / "fixtures")
    (repo.root / "fixtures").mkdir()
    with pytest.raises(UsageError) as exc:
        audit_run.default_packets(_loc(repo))
    assert str(exc.value) == (f"no packets found in fixtures/ (fixtures/ beside the rules folder rules/; looked in "
                              f"{repo.root / 'fixtures'}); pass --packets PATH")


def test_a_path_is_shown_from_the_top_of_the_repository_when_inside_it(tmp_path):
    top = str(tmp_path / "repo")
    assert audit_run._shown(os.path.join(top, "fixtures", "a.yaml"), top) == "fixtures/a.yaml"
    assert audit_run._shown(str(tmp_path / "elsewhere" / "a.yaml"), top) == str(tmp_path / "elsewhere" / "a.yaml")
    assert audit_run._shown(str(tmp_path), top) == str(tmp_path)  # the folder above the top: ".."
    assert audit_run._shown(os.path.join(top, "..hidden.yaml"), top) == "..hidden.yaml"  # inside, though it starts with ..


def test_packets_from_standard_input_are_taken_as_they_are(repo):
    assert audit_run.packet_paths(["-", f"fixtures/{PACKETS[0]}.yaml"], str(repo.root)) == [
        "-", f"fixtures/{PACKETS[0]}.yaml"]


def test_the_audit_runs_from_the_folder_it_is_given_and_returns_to_where_it_was(repo, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = audit_run.run_audit(audit_run.AuditOptions(base="HEAD", cwd=str(repo.root)))
    assert os.getcwd() == str(elsewhere)
    assert audit_run.RENDERERS["json"](result)  # rules and fixtures were found from cwd, not from here
    assert f"Impact: {len(PACKETS)} packet(s)" in audit_run.RENDERERS["text"](result)


def test_a_note_about_uncommitted_rules_cannot_act_on_the_terminal(repo, capsys):
    (repo.rules / "x\x1b]0;owned\x07.yaml").write_text("# not committed\n", encoding="utf-8")
    audit_run.execute(audit_run.AuditOptions(base="HEAD", head="HEAD", cwd=str(repo.root)))
    err = capsys.readouterr().err
    assert "uncommitted change(s)" in err
    assert "\x1b" not in err and "\x07" not in err
