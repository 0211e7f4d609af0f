"""Writing packets (issue 13): messages a Word user can act on, a template, stdin, folders."""
from __future__ import annotations

import json

import yaml

from conftest import FIXTURES

READY = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"


def _packet(**candidate) -> dict:
    data = yaml.safe_load(READY.read_text(encoding="utf-8"))
    data["candidate"].update(candidate)
    return data


def _validate(run_cli, tmp_path, data, name="p.yaml") -> str:
    p = tmp_path / name
    text = json.dumps(data, default=str) if name.endswith(".json") else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    p.write_text(text, encoding="utf-8")
    return run_cli("validate", p, exit_code=3).stdout


def test_messages_show_the_wrong_value_and_name_curly_quotes(run_cli, tmp_path):
    """A value pasted from a word processor is shown as it is, with the straight form to write."""
    data = _packet()
    data["evidence"][0]["role"] = "\u201cled\u201d"
    data["evidence"][0]["metrics"] = [{"name": "conversion", "kind": "business", "baseline": "2.1%", "result": 3}]
    data["candidate"]["\u201ctrack\u201d"] = "management"
    out = _validate(run_cli, tmp_path, data)
    assert "'\u201cled\u201d' (\u201cled\u201d is 'led' in curly quotes" in out
    assert "did you mean 'led'?" in out
    assert "must be a number, not '2.1%'" in out
    assert "unknown field '\u201ctrack\u201d' (\u201ctrack\u201d is 'track' in curly quotes" in out


def test_control_characters_are_escaped_not_printed(run_cli, tmp_path):
    data = _packet()
    data["evidence"][0]["id"] = "ev\x1b[2J01"
    out = _validate(run_cli, tmp_path, data, "p.json")
    assert "'ev\\x1b[2J01' is not a valid id" in out
    assert "\x1b" not in out


def test_level_hints_name_only_real_levels(run_cli, tmp_path):
    """`Mid-level PM` is the alias mid-level-pm in words: the hint names the level id itself."""
    out = _validate(run_cli, tmp_path, _packet(current_level="Mid-level PM"))
    assert "unknown level 'Mid-level PM'; did you mean 'mid-pm'?" in out
    r = run_cli("evaluate", READY, "--target", "senior", exit_code=2)
    assert "--target: unknown level 'senior'; did you mean 'senior-pm'?" in r.stderr


def test_a_missing_field_with_fixed_values_lists_them(run_cli, tmp_path):
    data = _packet()
    data["evidence"].append({"id": "ev-new", "type": "artifact", "date": "2026-01-05", "title": "Pricing PRD"})
    out = _validate(run_cli, tmp_path, data)
    assert "missing required field 'kind' (one of: user-stories, spec, prd," in out


def test_as_of_says_where_the_date_comes_from(run_cli, tmp_path):
    data = _packet()
    data["as_of"] = "2026-01-01"
    assert "unknown field 'as_of' (the as-of date is period.end)" in _validate(run_cli, tmp_path, data)


def test_sentences_and_free_text_stay_hidden(run_cli, tmp_path):
    """Showing values must not leak a sentence about someone that landed in the wrong field."""
    data = _packet(current_level="Secret Person is on a PIP")
    data["evidence"][0]["title"] = ["Secret title"]
    out = _validate(run_cli, tmp_path, data)
    assert "Secret" not in out
    assert "a 25-character string is not a level id" in out
