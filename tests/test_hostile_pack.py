"""Hostile text never acts: a rule pack arrives in a pull request and is data, not code.

No regular expression of the pack runs (source_forms are matched by plain code), no file of the
pack reaches outside its folder (a link to a private key is refused and never printed), and no
error message repeats a file's content or a list without end."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from engine.base.sourceforms import forms_for, matches

KRULES = ROOT / "examples" / "kestrel" / "rules"
LADDER = [sys.executable, "-c", "import cli; cli.main()"]
PACKET = ROOT / "examples" / "kestrel" / "fixtures"


def ladder(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    """The CLI in its own process: a hang fails the test at `timeout` instead of stopping the suite."""
    return subprocess.run([*LADDER, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def copy_pack(tmp_path: Path, name: str = "rules") -> Path:
    d = tmp_path / name
    shutil.copytree(KRULES, d)
    return d


def set_ladder_key(d: Path, key: str, value: str) -> None:
    """Replace ladder.yaml's source_forms line with `key: value`."""
    lad = d / "ladder.yaml"
    lines = [f"{key}: {value}" if ln.startswith("source_forms:") else ln for ln in lad.read_text().splitlines()]
    lad.write_text("\n".join(lines) + "\n")


def set_first_source(d: Path, source: str) -> Path:
    f = d / "product-l1.yaml"
    f.write_text(f.read_text().replace('"PM1 — Delivery"', f'"{source}"', 1))
    return f


def a_packet() -> Path:
    return next(p for p in sorted(PACKET.glob("*.yaml")))


# -- 1. no regular expression of the pack runs -------------------------------------------------
@pytest.mark.parametrize("command", ["lint", "evaluate"])
def test_a_catastrophic_source_pattern_never_runs(tmp_path, command):
    """`^(a|a)*$` against 100 a's and a '!' is 2**100 steps for Python's re: lint and evaluate
    answer at once with exit 4 and what to write instead."""
    d = copy_pack(tmp_path)
    set_ladder_key(d, "source_pattern", '"^(a|a)*$"')
    set_first_source(d, "a" * 100 + "!")
    args = ["rules", "lint", "--rules", d] if command == "lint" else ["evaluate", a_packet(), "--rules", d]
    r = ladder(*args, timeout=60)
    assert r.returncode == 4, r.stderr
    assert f"{d / 'ladder.yaml'}:5: /source_pattern: source_pattern (a regular expression) is no longer read" \
        in r.stderr
    assert "source_forms" in r.stderr and "Traceback" not in r.stderr


def test_a_5000_character_source_is_refused_without_repeating_it(tmp_path):
    d = copy_pack(tmp_path)
    set_ladder_key(d, "source_pattern", '"^(a|a)*$"')
    f = set_first_source(d, "a" * 5000 + "!")
    r = ladder("rules", "lint", "--rules", d, timeout=60)
    assert r.returncode == 4, r.stderr
    assert f"{f}:9: /criteria/0/source: a text of 5001 characters is too long (at most 120 characters)" in r.stderr
    assert "a" * 200 not in r.stderr


def test_source_forms_that_would_be_slow_as_a_pattern_are_matched_at_once(tmp_path):
    """60 stars against a 120-character source that almost fits: a backtracking matcher tries
    ~10**25 ways; plain matching reads it once, and the source is refused with the example."""
    d = copy_pack(tmp_path)
    set_ladder_key(d, "source_forms", '["' + "a*" * 59 + 'a"]')
    f = set_first_source(d, "a" * 119 + "b")
    r = ladder("rules", "lint", "--rules", d, timeout=60)
    assert r.returncode == 4, r.stderr
    assert f"{f}:9: /criteria/0/source: source '{'a' * 119}b' is not in this ladder's form" in r.stderr


@pytest.mark.parametrize("form, text, ok", [
    ("PM1 — Delivery", "PM1 — Delivery", True),       # no star: the text itself
    ("PM1 — Delivery", "PM1 — Delivery ", False),
    ("PM1 — Delivery", "pm1 — delivery", False),       # case counts
    ("PM* — *", "PM2 — Delivery", True),
    ("PM* — *", "PM — Delivery", False),               # a star takes at least one character
    ("PM* — *", "PM2 — ", False),
    ("PM* — *", "See PM2 — Delivery", False),          # the whole source fits, not a part of it
    ("PM* — *", "PM2 — Delivery — again", True),       # a star takes any characters, the separator too
    ("PM* — *", "PM2 —  ", True),                      # ... a space too
    ("*", "x", True),
    ("*", "", False),
    ("**", "x", False),                                # two stars: two characters at least
    ("**", "xy", True),
    ("a*a", "aa", False),                              # pieces cannot overlap
    ("a*a", "aba", True),
    ("a*a", "abab", False),
    ("*a", "a", False),
    ("a*", "a", False),
    ("*b*", "abc", True),
    ("*b*", "bc", False),
    ("*b*", "ab", False),
    ("Level * · *", "Level 3 · Core responsibilities", True),
    ("Level * · *", "Level 3· Core", False),
    ("a.b", "axb", False),                             # no other wildcard: . is itself
    ("x*y*z", "xyyz", False),
    ("x*y*z", "xayyz", True),
    ("x*y*z", "xyayz", False),
    ("x*y*z", "xyayyz", True),
])
def test_a_form_matches_at_its_boundaries(form, text, ok):
    assert matches(form, text) is ok


def test_matching_agrees_with_a_reference_on_every_short_text():
    """Against fnmatch's meaning of * (with at least one character each), on every text of up to
    six letters over {a, b}: no case the table above misses."""
    import itertools
    import re

    forms = ["a", "*", "a*", "*a", "a*b", "*a*", "a*a*a", "**", "*ab*", "b*b", "ab*ba"]
    for n in range(7):
        for t in map("".join, itertools.product("ab", repeat=n)):
            for f in forms:
                ref = re.fullmatch("".join(".+" if c == "*" else re.escape(c) for c in f), t) is not None
                assert matches(f, t) is ref, (f, t)


@pytest.mark.parametrize("pattern, forms", [
    ("^(Level [1-5]|IC track|Closing principles) · .+$",
     ["Level 1 · *", "Level 2 · *", "Level 3 · *", "Level 4 · *", "Level 5 · *", "IC track · *",
      "Closing principles · *"]),
    ("^PM[1-9] — [A-Z][A-Za-z ]+$", [f"PM{i} — *" for i in range(1, 10)]),
    (r"^Ch\. [0-9]+ .*$", ["Ch. * *"]),
    ("^(a|a)*$", None),          # a quantified group: no plain form says it
    ("Level", None),             # unanchored: a part of the source, which forms cannot say
    ("^[A-Z]{2} x$", None),
    ("^[a-z0-9] [a-z0-9]$", ["* *"]),  # a large class is any character
    ("^[1-8][1-8]$", None),      # 64 forms: too many to be a help
])
def test_a_retired_pattern_becomes_forms_when_it_is_simple(pattern, forms):
    assert forms_for(pattern) == forms


# -- 2. a pack's files stay inside it; no message repeats a file ----------------------------------
KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
KEY = f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\nMwIDAQABAoIBAFtGaKiLJ0TtGoJRuGqfS8rw\n-----END PRIVATE KEY-----\n"


def assert_no_key(text: str) -> None:
    assert "BEGIN PRIVATE KEY" not in text and KEY_BODY[:20] not in text and "END PRIVATE" not in text, text


@pytest.fixture
def key(tmp_path) -> Path:
    k = tmp_path / "secrets" / "id_test.pem"
    k.parent.mkdir()
    k.write_text(KEY)
    return k


def link_to(link: Path, target: Path) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(target)


@pytest.mark.parametrize("name", ["ladder.yaml", "product-l2.yaml", "vocabulary.yaml"])
def test_a_pack_file_linked_out_of_the_pack_is_refused_unread(tmp_path, key, run_cli, name):
    d = copy_pack(tmp_path)
    link_to(d / name, key)
    for args in (["rules", "lint", "--rules", d], ["evaluate", a_packet(), "--rules", d]):
        r = run_cli(*args, exit_code=4)
        assert_no_key(r.stdout + r.stderr)
        assert (f"{d / name}: a symbolic link that leads out of the rules pack's folder; a pack's files must be "
                "inside it (the link was not followed)") in r.stderr


def test_a_relative_link_that_climbs_out_is_refused_and_a_link_inside_the_pack_is_read(tmp_path, key, run_cli):
    d = copy_pack(tmp_path, "inside")
    (d / "product-l2.yaml").rename(d / "l2.txt")
    (d / "product-l2.yaml").symlink_to("l2.txt")  # inside the pack: read as it is
    run_cli("rules", "lint", "--rules", d)
    d = copy_pack(tmp_path)  # (another folder: rules are read once per folder and process)
    link_to(d / "product-l2.yaml", Path("..") / "secrets" / key.name)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert_no_key(r.stderr)
    assert "product-l2.yaml: a symbolic link that leads out of the rules pack's folder" in r.stderr


def test_the_pack_folder_itself_may_be_a_link(tmp_path, run_cli):
    d = copy_pack(tmp_path)
    (tmp_path / "via").symlink_to(d)
    run_cli("rules", "lint", "--rules", tmp_path / "via")


def test_a_path_profile_or_the_paths_folder_linked_out_of_the_pack_is_refused(tmp_path, key, run_cli):
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    link_to(d / "paths" / "partnerships.yaml", key)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert_no_key(r.stderr)
    assert f"{d / 'paths' / 'partnerships.yaml'}: a symbolic link that leads out" in r.stderr
    d = tmp_path / "rules2"
    shutil.copytree(ROOT / "rules", d)
    outside = tmp_path / "elsewhere"
    shutil.move(d / "paths", outside)
    (outside / "partnerships.yaml").unlink()
    (outside / "partnerships.yaml").write_text(KEY)
    (d / "paths").symlink_to(outside)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert_no_key(r.stderr)
    assert "partnerships.yaml: a symbolic link that leads out" in r.stderr


@pytest.mark.parametrize("name", ["ladder.yaml", "product-l2.yaml", "vocabulary.yaml"])
def test_a_key_copied_into_the_pack_is_never_printed(tmp_path, run_cli, name):
    """Not a link: the key's text is the file. It is one long YAML string, and the message says
    so without repeating it."""
    d = copy_pack(tmp_path)
    (d / name).write_text(KEY)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert_no_key(r.stderr)
    assert f"{d / name}:" in r.stderr


@pytest.mark.parametrize("text", [
    KEY.replace("-----END", "key: [-----END"),                   # a YAML syntax error inside the key
    KEY + "a: b\n",                                               # ... at its end
    "!" + KEY_BODY + " x\n",                                      # a tag the loader refuses
    f"level: product-l2\n*{KEY_BODY}\n",                        # an undefined alias
])
def test_a_yaml_error_in_a_key_file_prints_no_line_of_it(tmp_path, run_cli, text):
    d = copy_pack(tmp_path)
    (d / "product-l2.yaml").write_text(text)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"{d / 'product-l2.yaml'}:" in r.stderr
    assert_no_key(r.stderr)


# -- 3. no list without end ----------------------------------------------------------------------
def test_a_5000_criteria_level_is_refused_in_one_short_line(tmp_path, run_cli):
    import yaml

    d = copy_pack(tmp_path)
    f = d / "product-l1.yaml"
    data = yaml.safe_load(f.read_text())
    first = data["criteria"][0]
    data["criteria"] = [{**first, "id": f"product-l1.c{i}"} for i in range(5000)]
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert len(r.stderr.encode()) < 20_000, len(r.stderr)
    assert f"{f}:7: /criteria: a list of 5000 entries is too long (at most 60 entries)" in r.stderr
    assert "product-l1.c4999" not in r.stderr


def test_thousands_of_unknown_keys_are_listed_ten_then_counted(tmp_path, run_cli):
    d = copy_pack(tmp_path)
    lad = d / "ladder.yaml"
    lad.write_text(lad.read_text() + "".join(f"extra_{i}: {i}\n" for i in range(3000)))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert len(r.stderr.encode()) < 20_000, len(r.stderr)
    assert "unknown keys 'extra_0', 'extra_1'," in r.stderr and "'extra_9' and 2990 more" in r.stderr


def test_a_listing_names_ten_and_counts_the_rest():
    from engine.base.suggest import listing

    assert listing([]) == ""
    assert listing(map(str, range(10))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9"
    assert listing(map(str, range(11))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 1 more"
    assert listing(map(str, range(5000)), limit=2) == "0, 1 and 4998 more"


def test_a_vocabulary_of_200_values_is_not_repeated_in_a_rule_error(tmp_path, run_cli):
    d = copy_pack(tmp_path)
    voc = d / "vocabulary.yaml"
    values = ", ".join(f"v{i:03d}" for i in range(200))
    voc.write_text(voc.read_text().replace("values: [win, loss, flat, inconclusive]", f"values: [{values}]"))
    f = d / "product-l1.yaml"
    f.write_text(f.read_text().replace("kind: {in: [user-stories, spec, prd]}", "kind: {in: [user-stories]}")
                 .replace("evidence: artifact", "evidence: experiment", 1)
                 .replace("kind: {in: [user-stories]}", "result: {in: [nope]}"))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "'nope' can never occur in experiment.result (allowed: v000, v001," in r.stderr, r.stderr
    assert "v009 and 190 more)" in r.stderr and "v199" not in r.stderr
