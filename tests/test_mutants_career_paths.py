"""Adjacent-path profiles as the loader checks and caches them (engine/book/career_paths.py):
each test pins one thing a slip there would change, each message whole, each policy number at its
boundary. Written against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import dataclasses
import shutil

import pytest

from engine import load_rules
from engine.base.errors import RulesError
from engine.book import career_paths
from engine.book.career_paths import load_paths

from test_paths import _edit, _pack


def _problems(rules) -> list[str]:
    with pytest.raises(RulesError) as exc:
        load_paths(load_rules(rules))
    return [f"{p.source.rsplit('/', 1)[-1]}:{p.line}: {p.path}: {p.message}" for p in exc.value.problems]


def _line_of(rules, name: str, text: str, nth: int = 0) -> int:
    """The line number of the nth line (from 0) of a path file holding `text`."""
    lines = (rules / "paths" / name).read_text(encoding="utf-8").splitlines()
    return [i for i, ln in enumerate(lines, 1) if text in ln][nth]


def test_a_path_file_that_is_not_a_mapping_is_refused_by_name(tmp_path):
    rules = _pack(tmp_path)
    (rules / "paths" / "listed.yaml").write_text("- path: listed\n", encoding="utf-8")
    assert _problems(rules) == [
        "listed.yaml:1: : a path file must be a mapping (path, title, source, policy, signals)"]


def test_a_file_named_for_another_path_says_what_to_name_it(tmp_path):
    # "partnerships.v2.yaml" holds path partnerships: its stem is "partnerships.v2", not the path
    rules = _pack(tmp_path)
    (rules / "paths" / "partnerships.yaml").rename(rules / "paths" / "partnerships.v2.yaml")
    assert _problems(rules) == [
        "partnerships.v2.yaml:5: /path: the file partnerships.v2.yaml holds path 'partnerships': name it "
        "partnerships.yaml"]


def test_two_files_for_one_path_name_the_first(tmp_path):
    rules = _pack(tmp_path)
    shutil.copy(rules / "paths" / "partnerships.yaml", rules / "paths" / "partnerships.yml")
    got = _problems(rules)
    assert got == [f"partnerships.yml:5: /path: path 'partnerships' already has a file "
                   f"({rules / 'paths' / 'partnerships.yaml'})"]


@pytest.mark.parametrize("pid", ["senior-pm", "apm"])  # a level id, and an alias of associate-pm
def test_a_path_may_not_take_a_level_id_or_alias(tmp_path, pid):
    rules = _pack(tmp_path)
    text = (rules / "paths" / "partnerships.yaml").read_text(encoding="utf-8")
    (rules / "paths" / "partnerships.yaml").unlink()
    (rules / "paths" / f"{pid}.yaml").write_text(text.replace("partnerships", pid), encoding="utf-8")
    assert _problems(rules) == [
        f"{pid}.yaml:5: /path: '{pid}' is a level id or alias; a path is not a level: give it another id"]


def test_a_signal_id_outside_its_path_suggests_the_path(tmp_path):
    rules = _pack(tmp_path)
    _edit(rules, "innovation-rd.yaml", "id: innovation-rd.builds-from-nothing", "id: innovation.builds-from-nothing")
    line = _line_of(rules, "innovation-rd.yaml", "id: innovation.builds-from-nothing")
    assert _problems(rules) == [
        f"innovation-rd.yaml:{line}: /signals/0/id: signal id must start with 'innovation-rd.'; did you mean "
        f"'innovation-rd'?"]


def test_a_signal_id_given_twice_names_the_file_that_has_it(tmp_path):
    rules = _pack(tmp_path)
    _edit(rules, "partnerships.yaml", "id: partnerships.commercial-instinct", "id: partnerships.communicates-clearly")
    first = _line_of(rules, "partnerships.yaml", "id: partnerships.communicates-clearly")
    second = _line_of(rules, "partnerships.yaml", "id: partnerships.communicates-clearly", nth=1)
    assert first < second
    assert _problems(rules) == [
        f"partnerships.yaml:{second}: /signals/1/id: duplicate id 'partnerships.communicates-clearly' "
        f"(also in {rules / 'paths' / 'partnerships.yaml'})"]


def _supporting(rules, name: str) -> int:
    return sum(1 for s in load_paths(load_rules(rules)).paths[name.removesuffix(".yaml")].signals if not s.required)


def test_min_supporting_may_equal_the_supporting_signals_and_not_exceed_them(tmp_path):
    rules = _pack(tmp_path)
    n = _supporting(rules, "product-marketing.yaml")
    _edit(rules, "product-marketing.yaml", "min_supporting: 1", f"min_supporting: {n}")
    assert load_paths(load_rules(rules)).paths["product-marketing"].min_supporting == n  # exactly all of them
    _edit(rules, "product-marketing.yaml", f"min_supporting: {n}", f"min_supporting: {n + 1}")
    line = _line_of(rules, "product-marketing.yaml", "min_supporting:")
    assert _problems(rules) == [
        f"product-marketing.yaml:{line}: /policy/min_supporting: asks for {n + 1} supporting signals but the path "
        f"has only {n}"]


def test_min_supporting_zero_needs_a_required_signal(tmp_path):
    rules = _pack(tmp_path)
    _edit(rules, "partnerships.yaml", "min_supporting: 1", "min_supporting: 0")
    assert load_paths(load_rules(rules)).paths["partnerships"].min_supporting == 0  # it has required signals
    text = (rules / "paths" / "partnerships.yaml").read_text(encoding="utf-8")
    (rules / "paths" / "partnerships.yaml").write_text(text.replace("required: true", "required: false"),
                                                       encoding="utf-8")
    line = _line_of(rules, "partnerships.yaml", "min_supporting:")
    assert _problems(rules) == [
        f"partnerships.yaml:{line}: /policy/min_supporting: with no required signal and min_supporting 0 a packet "
        "with no evidence would be a strong fit: mark a signal required or raise min_supporting"]
    # one supporting signal asked for, none required: allowed (the policy can be met, and asks for something)
    _edit(rules, "partnerships.yaml", "min_supporting: 0", "min_supporting: 1")
    assert load_paths(load_rules(rules)).paths["partnerships"].min_supporting == 1


def test_a_signal_without_a_window_gets_the_ladders_default_and_one_with_its_own_keeps_it(tmp_path):
    rules = _pack(tmp_path)
    sig = load_paths(load_rules(rules)).paths["partnerships"].signals[0]
    assert sig.condition["default_window"] == 730  # rules/ladder.yaml's default_window_days
    ladder = rules / "ladder.yaml"
    ladder.write_text(ladder.read_text(encoding="utf-8").replace("default_window_days: 730",
                                                                 "default_window_days: 365"), encoding="utf-8")
    assert load_paths(load_rules(rules)).paths["partnerships"].signals[0].condition["default_window"] == 365


def test_the_paths_version_follows_the_ladder_as_well_as_the_profiles(tmp_path):
    rules = _pack(tmp_path)
    before = load_paths(load_rules(rules)).version
    ladder = rules / "ladder.yaml"
    ladder.write_text(ladder.read_text(encoding="utf-8").replace("default_window_days: 730",
                                                                 "default_window_days: 731"), encoding="utf-8")
    assert load_paths(load_rules(rules)).version != before


def test_a_profile_edited_while_the_process_runs_is_read_again_yaml_or_yml(tmp_path):
    rules = _pack(tmp_path)
    (rules / "paths" / "partnerships.yaml").rename(rules / "paths" / "partnerships.yml")
    book = load_rules(rules)
    assert load_paths(book).paths["partnerships"].title == "Business development / partnerships"
    _edit(rules, "partnerships.yml", "title: Business development / partnerships", "title: Partnerships")
    assert load_paths(book).paths["partnerships"].title == "Partnerships"  # same name, new bytes


def test_paths_are_in_id_order_whatever_the_files_extension(tmp_path):
    # .yaml files are read before .yml ones; the paths come out sorted by id all the same
    rules = _pack(tmp_path)
    text = (rules / "paths" / "partnerships.yaml").read_text(encoding="utf-8")
    (rules / "paths" / "aardvark-ops.yml").write_text(text.replace("partnerships", "aardvark-ops"), encoding="utf-8")
    paths = load_paths(load_rules(rules)).paths
    assert list(paths) == sorted(paths) and next(iter(paths)) == "aardvark-ops"


def test_a_folder_among_the_profiles_is_a_rules_error_not_a_crash(tmp_path):
    rules = _pack(tmp_path)
    (rules / "paths" / "odd.yaml").mkdir()
    with pytest.raises(RulesError) as exc:
        load_paths(load_rules(rules))
    assert [(p.source, p.message) for p in exc.value.problems] == [
        (str(rules / "paths" / "odd.yaml"), "is a folder, not a file")]


def test_the_loaded_paths_are_kept_for_eight_packs_and_then_dropped(tmp_path, monkeypatch):
    cache: dict = {}
    monkeypatch.setattr(career_paths, "_LOADED", cache)
    book = load_rules(_pack(tmp_path))
    for k in range(8):
        cache[("other", str(k), "", "")] = None
    load_paths(book)
    assert len(cache) == 9  # eight others and this pack's: not cleared yet
    cache.pop(next(k for k in cache if k[0] != "other"))
    cache[("other", "8", "", "")] = None
    load_paths(book)
    assert len(cache) == 1  # nine others: cleared before this pack's was kept


def test_a_loaded_path_book_cannot_be_changed_by_one_of_its_readers():
    # the book is shared by every caller of load_paths for the same pack
    pb = load_paths(load_rules())
    with pytest.raises(dataclasses.FrozenInstanceError):
        pb.version = "changed"  # type: ignore[misc]
