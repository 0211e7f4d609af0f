"""Hostile text never acts: odd file names, unwritable characters, ids with a line break, outputs
that would overwrite an input or a device, modes, and a pack written half-way. Every bad input
gets a clear error naming the file or field and a documented exit code; nothing given is lost."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest
import yaml

from conftest import FIXTURES, ROOT

GOOD = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"


def _packet() -> dict:
    return json.loads(json.dumps(yaml.safe_load(GOOD.read_text(encoding="utf-8")), default=str))


# -- 3. ids ending in "\n" ----------------------------------------------------------------------
def _anchored_patterns(node, found):
    if isinstance(node, dict):
        p = node.get("pattern")
        if isinstance(p, str) and p.startswith("^") and p.endswith("$") and "\\s" not in p:
            found.append(node)
        for v in node.values():
            _anchored_patterns(v, found)
    elif isinstance(node, list):
        for v in node:
            _anchored_patterns(v, found)
    return found


def _example(pattern: str) -> str:
    """A short string matching one of the schemas' token patterns."""
    for s in ("pm-1", "ab", "a.b", "a_b", "2026-01-02", "Adjacent roles · x", "a.b-c", "x"):
        if re.search(pattern, s):
            return s
    raise AssertionError(pattern)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "schemas").glob("*.json")))
def test_3_no_token_pattern_takes_a_trailing_newline_and_both_validators_agree(name):
    """Python's `$` matches before a final newline (jsonschema took "emp-1\\n"), Rust's does not
    (jsonschema-rs refused it; the fast path then deferred to jsonschema): every anchored token
    pattern of every schema refuses a line break in both, and still takes its plain example."""
    nodes = _anchored_patterns(json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8")), [])
    assert nodes, name
    for node in nodes:
        schema = {k: v for k, v in node.items() if k in ("type", "pattern", "not")}
        good = _example(node["pattern"])
        for value, valid in ((good, True), (good + "\n", False), ("\n" + good, False)):
            slow = jsonschema.Draft202012Validator(schema).is_valid(value)
            fast = jsonschema_rs.validator_for(schema).is_valid(value)
            assert (slow, fast) == (valid, valid), (name, node["pattern"], value)


def test_3_a_packet_id_with_a_trailing_newline_is_invalid(tmp_path, run_cli):
    """A candidate id and an evidence id each ending in a newline (the latter a would-be duplicate
    of another record's id): validate, evaluate and batch say which field, exit 3."""
    d = _packet()
    d["candidate"]["id"] += "\n"
    d["evidence"][1]["id"] = d["evidence"][0]["id"] + "\n"
    f = tmp_path / "p.json"
    f.write_text(json.dumps(d, indent=1), encoding="utf-8")
    r = run_cli("validate", f, exit_code=3)
    assert re.search(r"p\.json:\d+: /candidate/id: .*not a valid id", r.output), r.output
    assert re.search(r"p\.json:\d+: /evidence/1/id: .*not a valid id", r.output), r.output
    run_cli("evaluate", f, exit_code=3)
    run_cli("batch", f, "--out", tmp_path / "r.jsonl", "--quiet", exit_code=3)
    line = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8"))
    assert line["error"]["problems"][0]["path"] == "/candidate/id"


def test_3_decisions_and_python_checks_use_fullmatch(tmp_path, run_cli):
    """The decisions file's own checks (engine/decisions.py) refuse "id\\n" too."""
    from engine import decisions, evidence

    assert not decisions._ID.fullmatch("emp-1\n") and decisions._ID.fullmatch("emp-1")
    assert evidence.candidate_id({"candidate": {"id": "emp-1\n"}}) is None
    f = tmp_path / "d.yaml"
    f.write_text(yaml.safe_dump({"decisions": [{"cycle": "2026-h1\n", "candidate_id": "emp-1\n",
                                                "decision": "promoted", "decided_on": "2026-06-30\n"}]}),
                 encoding="utf-8")
    r = run_cli("validate", "--decisions", f, exit_code=3)
    assert "cycle" in r.output and "candidate_id" in r.output and "decided_on" in r.output, r.output


def test_3_a_level_id_with_a_trailing_newline_is_invalid_rules(tmp_path, run_cli):
    """A rules pack whose level id ends in a newline: invalid rules (exit 4), naming the field."""
    import shutil

    run_cli("init", tmp_path / "pack")
    shutil.copytree(tmp_path / "pack" / "rules", tmp_path / "rules")  # (init's own load is cached by folder)
    f = tmp_path / "rules" / "pm-1.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("level: pm-1", 'level: "pm-1\\n"'), encoding="utf-8")
    r = run_cli("rules", "lint", "--rules", tmp_path / "rules", exit_code=4)
    assert re.search(r"pm-1\.yaml:2: /level: .*line break", r.output + r.stderr), r.output + r.stderr


# -- 2. lone surrogates -------------------------------------------------------------------------
@pytest.mark.parametrize("where", [("candidate", "name"), ("candidate", "id"), ("evidence", 0, "title")])
def test_2_a_lone_surrogate_is_a_located_validation_error(tmp_path, run_cli, where):
    """"\\ud800" in any string parsed to a str nothing can write (orjson: exit 70 in evaluate):
    now validate, evaluate and batch name the file, line and field (never the text), exit 3."""
    f = tmp_path / "p.json"
    text = json.dumps(_packet(), indent=1)
    d = json.loads(text)
    node = d
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = "A\ud800B"
    f.write_text(json.dumps(d, indent=1), encoding="utf-8")  # ensure_ascii: written as the escape
    pointer = "/" + "/".join(map(str, where))
    for cmd in (["validate", f], ["evaluate", f], ["batch", f, "--out", tmp_path / "r.jsonl", "--quiet"]):
        r = run_cli(*cmd, exit_code=3)
        assert re.search(rf"p\.json:( line )?\d+: {pointer}: .*lone UTF-16 surrogate", r.output + r.stderr), r.output
        assert "internal error" not in r.output + r.stderr
    line = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8"))
    assert line["error"]["problems"][0]["path"] == pointer


def test_2_a_surrogate_pair_is_a_character(tmp_path, run_cli):
    """An emoji written as its two escapes is one character: still a valid packet."""
    d = _packet()
    d["candidate"]["name"] = "A \U0001F600"
    f = tmp_path / "p.json"
    f.write_text(json.dumps(d, indent=1), encoding="utf-8")
    assert "\\ud83d\\ude00" in f.read_text(encoding="utf-8")
    run_cli("validate", f)


# -- 1. a file name that is not UTF-8 -----------------------------------------------------------
def _bad_name_folder(tmp_path: Path) -> Path:
    d = tmp_path / "cycle"
    d.mkdir()
    (d / GOOD.name).write_bytes(GOOD.read_bytes())
    with open(os.path.join(os.fsencode(d), b"bad\xff.yaml"), "wb") as fh:
        fh.write(GOOD.read_bytes())
    return d


def test_1_a_file_name_that_is_not_utf8_is_one_error_line(tmp_path, run_cli):
    """One such name made the whole batch exit 70 with nothing written (orjson refuses the lone
    surrogate Python decodes the byte to). Now: an error line naming it with the byte escaped
    (`\\xff`), every other packet evaluated, every output written, exit 3; validate alike."""
    d = _bad_name_folder(tmp_path)
    out, csv_, html = tmp_path / "r.jsonl", tmp_path / "s.csv", tmp_path / "c.html"
    r = run_cli("batch", d, "--out", out, "--summary", csv_, "--html", html, "--quiet", exit_code=3)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["source"].rsplit("/", 1)[-1] for x in lines] == ["bad\\xff.yaml", GOOD.name]
    assert "not UTF-8" in lines[0]["error"]["problems"][0]["message"] and lines[1]["verdict"] == "ready"
    assert "bad\\xff.yaml" in r.stderr + r.output
    assert "bad\\xff.yaml" in csv_.read_text(encoding="utf-8") and "bad\\xff.yaml" in html.read_text(encoding="utf-8")
    r = run_cli("validate", d, exit_code=3)
    assert re.search(r"bad\\xff\.yaml: the file name is not UTF-8", r.output), r.output
    assert f"{GOOD.name}: ok" in r.output
    r = run_cli("validate", "--format", "json", d, exit_code=3)
    assert json.loads(r.output)["invalid"] == 1
