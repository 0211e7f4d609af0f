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
    """The decisions file's own checks (engine/committee/decisions.py) refuse "id\\n" too."""
    from engine.committee import decisions
    from engine.core import evidence

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


# -- 4. two outputs, or an output and an input, naming one file --------------------------------
@pytest.mark.parametrize("second", ["--summary", "--criteria-csv", "--html"])
def test_4_outputs_naming_the_same_file_are_a_usage_error(tmp_path, run_cli, second):
    """`--out X --summary X` silently replaced the verdicts with the CSV: now exit 2 before any
    work, naming both options; by the same path spelled otherwise, and by a hard link."""
    out = tmp_path / "r.jsonl"
    r = run_cli("batch", GOOD, "--out", out, second, out, "--quiet", exit_code=2)
    assert f"--out and {second} name the same file" in r.output + r.stderr
    assert not out.exists()
    out.write_text("kept\n", encoding="utf-8")
    os.link(out, tmp_path / "other-name")
    for spelled in (tmp_path / "sub" / ".." / "r.jsonl", tmp_path / "other-name"):
        r = run_cli("batch", GOOD, "--out", out, second, spelled, "--quiet", exit_code=2)
        assert f"--out and {second} name the same file" in r.output + r.stderr
    assert out.read_text(encoding="utf-8") == "kept\n"


def test_4_an_output_naming_an_input_is_a_usage_error(tmp_path, run_cli):
    """batch --out over its own input, and report --out over its RESULTS or a packet given,
    would replace what they read: exit 2, and the input is still there."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_packet()) + "\n", encoding="utf-8")
    before = src.read_bytes()
    r = run_cli("batch", src, "--out", src, "--quiet", exit_code=2)
    assert "--out" in r.output + r.stderr and "input" in r.output + r.stderr
    results = tmp_path / "r.jsonl"
    run_cli("batch", GOOD, "--out", results, "--quiet")
    kept = results.read_bytes()
    r = run_cli("report", results, "--out", results, exit_code=2)
    assert "--out" in r.output + r.stderr and "RESULTS" in r.output + r.stderr
    r = run_cli("report", results, src, "--out", src, exit_code=2)
    assert "PACKETS" in r.output + r.stderr
    assert src.read_bytes() == before and results.read_bytes() == kept


# -- 5. devices, fifos, folders as --out --------------------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_5_a_device_as_out_is_written_through_not_replaced(tmp_path, run_cli):
    """As root, `--out` naming a device node replaced the node with a regular file (so --out
    /dev/null would have broken /dev/null). A null device made here, in tmp_path, stays a device."""
    import stat

    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    run_cli("batch", GOOD, "--out", node, "--summary", tmp_path / "s.csv", "--quiet")
    assert stat.S_ISCHR(os.lstat(node).st_mode) and os.lstat(node).st_rdev == os.makedev(1, 3)
    assert sorted(os.listdir(tmp_path)) == ["null", "s.csv"]  # no partial file left beside it
    run_cli("report", tmp_path / "s.csv", "--out", node, exit_code=None)
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_5_a_fifo_as_out_is_written_into(tmp_path, run_cli):
    """A fifo is written into, as `> fifo` would: the reader gets every line; the fifo stays.
    (The test holds the reading end open without blocking; a verdict line fits the pipe.)"""
    import stat

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        run_cli("batch", GOOD, "--out", fifo, "--quiet")
        try:
            got = os.read(fd, 1 << 16)
        except BlockingIOError:
            got = b""
    finally:
        os.close(fd)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and json.loads(got)["verdict"] == "ready"


def test_5_a_folder_as_out_is_a_usage_error(tmp_path, run_cli):
    folder = tmp_path / "results"
    folder.mkdir()
    for cmd in (["batch", GOOD, "--out", folder, "--quiet"], ["batch", GOOD, "--out", "-", "--html", folder]):
        r = run_cli(*cmd, exit_code=2)
        assert "is a folder" in r.output + r.stderr
    assert list(folder.iterdir()) == []


# -- 6. modes ----------------------------------------------------------------------------------
def test_6_outputs_get_the_umask_mode_and_private_gives_0600(tmp_path, run_cli):
    """Every output was 0600 whatever the umask (the temporary file's mode, renamed): a new file
    now gets 0666 & ~umask, a replaced one keeps its mode, and --private makes them all 0600."""
    old = os.umask(0o022)
    try:
        names = ("r.jsonl", "s.csv", "c.csv", "c.html")

        def run(*extra):
            run_cli("batch", GOOD, "--out", tmp_path / names[0], "--summary", tmp_path / names[1],
                    "--criteria-csv", tmp_path / names[2], "--html", tmp_path / names[3], "--quiet", *extra)
            return {n: os.stat(tmp_path / n).st_mode & 0o777 for n in names}

        assert set(run().values()) == {0o644}
        os.chmod(tmp_path / "s.csv", 0o640)
        assert run()["s.csv"] == 0o640  # replaced: keeps the mode it was given
        assert set(run("--private").values()) == {0o600}
        run_cli("report", tmp_path / "r.jsonl", "--out", tmp_path / "new.html")
        assert os.stat(tmp_path / "new.html").st_mode & 0o777 == 0o644
        run_cli("report", tmp_path / "r.jsonl", "--out", tmp_path / "p.html", "--private")
        assert os.stat(tmp_path / "p.html").st_mode & 0o777 == 0o600
        rules = ROOT / "rules"
        for extra, mode in (((), 0o644), (("--private",), 0o600)):
            run_cli("rules", "test", "--rules", rules, "--junit", tmp_path / "j.xml", *extra, exit_code=None)
            assert os.stat(tmp_path / "j.xml").st_mode & 0o777 == mode
        assert not [n for n in os.listdir(tmp_path) if n.endswith(".partial")]
    finally:
        os.umask(old)


# -- 7. ladder init on a full disk -------------------------------------------------------------
def test_7_init_on_a_full_disk_leaves_nothing(tmp_path, run_cli, monkeypatch):
    """A write that fails part-way (ENOSPC after creating the file) left a 0-byte file, and then
    init refused the folder as not empty. Now: exit 74, no folder and no temporary folder left,
    and a second init (disk freed) succeeds."""
    import errno

    real = Path.write_text
    calls = []

    def full(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 3:
            self.open("w").close()  # created, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    pack = tmp_path / "pack"
    r = run_cli("init", pack, exit_code=74)
    assert "No space left on device" in r.output + r.stderr and "pack" in r.output + r.stderr
    assert os.listdir(tmp_path) == []
    (tmp_path / "empty").mkdir()
    calls.clear()
    run_cli("init", tmp_path / "empty", exit_code=74)
    assert os.listdir(tmp_path) == ["empty"] and os.listdir(tmp_path / "empty") == []
    monkeypatch.setattr(Path, "write_text", real)
    run_cli("init", pack)
    run_cli("init", tmp_path / "empty")
    assert (pack / "rules" / "ladder.yaml").is_file() and (tmp_path / "empty" / "README.md").is_file()
