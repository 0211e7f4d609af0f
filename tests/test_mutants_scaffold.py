"""`ladder init` as the library writes a pack (engine/authoring/scaffold.py): the files of each
kind of pack, the README pointing at the pack, the folder's mode, a source pack checked and copied
whole, and nothing left behind when writing fails. Each test pins what a slip there would change.
Written against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.authoring import scaffold
from engine.base.errors import OutputError, RulesError, UsageError
from engine.base.resources import default_rules_dir

from conftest import ROOT


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _tree(d: Path) -> list[str]:
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def test_the_starter_pack_lists_its_files_sorted_then_its_golden_and_points_its_readme_at_itself(tmp_path, umask_022):
    d = tmp_path / "new" / "deeper" / "pack"  # nor do its parent and grandparent
    got = scaffold.init_pack(str(d))
    files = ["README.md", "fixtures/example-external-to-pm-1-ready.yaml", "rules/ladder.yaml", "rules/pm-1.yaml",
             "rules/vocabulary.yaml"]
    assert [p.relative_to(d).as_posix() for p in got] == [*files, "fixtures/expected/example-external-to-pm-1-ready.golden"]
    assert _tree(d) == sorted([*files, "fixtures/expected/example-external-to-pm-1-ready.golden"])
    readme = (d / "README.md").read_text(encoding="utf-8")
    assert f"ladder rules lint --rules {d}/rules --strict" in readme and "{d}" not in readme
    assert os.stat(d).st_mode & 0o7777 == 0o755  # as mkdir makes a folder under this umask, not mkdtemp's 0700
    assert not list(d.parent.glob(".*.partial"))
    assert os.umask(0o022) == 0o022  # the process's umask as it was (it is read by setting it)


def test_an_empty_folder_given_keeps_its_mode(tmp_path, umask_022):
    d = tmp_path / "pack"
    d.mkdir()
    os.chmod(d, 0o751)
    scaffold.init_pack(str(d))
    assert os.stat(d).st_mode & 0o7777 == 0o751


def test_the_bundled_copy_is_every_rules_file_and_its_readme(tmp_path):
    d = tmp_path / "copy"
    got = scaffold.init_pack(str(d), bundled=True)
    src = default_rules_dir()
    want = sorted(["README.md", *(f"rules/{p.relative_to(src).as_posix()}" for p in src.rglob("*.yaml"))])
    assert [p.relative_to(d).as_posix() for p in got] == want == _tree(d)
    for p in src.rglob("*.yaml"):
        assert (d / "rules" / p.relative_to(src)).read_text(encoding="utf-8") == p.read_text(encoding="utf-8")
    readme = (d / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# The bundled ladder, copied to be changed")
    assert f"ladder evaluate PACKET --rules {d}/rules" in readme and "{d}" not in readme


def _source(tmp_path) -> Path:
    root = tmp_path / "theirs"
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    (root / "rules" / "paths" / "partnerships.yaml").rename(root / "rules" / "paths" / "partnerships.yml")
    (root / "rules" / "notes.txt").write_text("not a rules file", encoding="utf-8")
    return root / "rules"


def test_a_source_pack_is_copied_with_its_yml_files_and_the_schema_beside_it(tmp_path):
    src = _source(tmp_path)
    d = tmp_path / "copy"
    got = scaffold.init_pack(str(d), source=str(src))
    rel = [p.relative_to(d).as_posix() for p in got]
    assert "rules/paths/partnerships.yml" in rel and "rules/notes.txt" not in rel
    assert "schemas/packet.schema.json" in rel and rel == sorted(rel) == _tree(d)
    assert (d / "schemas" / "packet.schema.json").read_bytes() == (ROOT / "schemas" / "packet.schema.json").read_bytes()
    readme = (d / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# A rules pack, copied to be changed")
    assert f"`rules/` is a copy of {src}" in readme and "ladder's own ladder" not in readme and "{src}" not in readme


def test_a_source_that_does_not_load_or_is_no_folder_writes_nothing(tmp_path):
    src = _source(tmp_path)
    (src / "ladder.yaml").write_text("ladder: [", encoding="utf-8")
    with pytest.raises(RulesError) as bad:
        scaffold.init_pack(str(tmp_path / "copy"), source=str(src))
    assert [p.source for p in bad.value.problems] == [str(src / "ladder.yaml")]  # the source named, not a copy
    with pytest.raises(UsageError) as exc:
        scaffold.init_pack(str(tmp_path / "copy"), source=str(tmp_path / "nowhere"))
    assert str(exc.value) == f"--rules {tmp_path / 'nowhere'}: no such rules folder"
    assert not (tmp_path / "copy").exists() and not list(tmp_path.glob(".*.partial"))


def test_a_failed_write_leaves_nothing_behind_and_says_why(tmp_path, monkeypatch):
    def full(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", full)
    d = tmp_path / "pack"
    with pytest.raises(OutputError) as exc:
        scaffold.init_pack(str(d), bundled=True)
    assert str(exc.value) == f"cannot write the pack into {d}: No space left on device; nothing was written there"
    assert not d.exists() and os.listdir(tmp_path) == []
