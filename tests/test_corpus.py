"""Bad input never hurts: the corpus in tests/corpus/manifest.yaml (issue 6).

Packets come from many hands and rules arrive in pull requests. Whatever arrives, `ladder` must
answer with a clear error or a verdict: no traceback, no hang, no code run from the input, no
unbounded memory. Each case runs in-process through every command it lists and must finish in
in bounded time (a 10 s hang guard; well under 2 s on an idle machine) with the exit code and the message (or JSON pointer) the manifest names.

Inputs too big to commit (50 MB, megabyte strings, thousands of records, deep nesting) are made
by the generators below, once per test session. SECURITY.md carries a table of what the corpus
tried and what each gives; `test_security_table_is_current` keeps it true (set
LADDER_UPDATE_SECURITY=1 to rewrite it on purpose).
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import FIXTURES, ROOT, explain

from cli import main
from engine.base.loader import load_file
from engine.base.resources import default_rules_dir

CORPUS = ROOT / "tests" / "corpus"
CASES: list[dict] = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
SECURITY = ROOT / "SECURITY.md"
PWNED = Path("/tmp/ladder-corpus-pwned")  # what the object-constructing tags in the corpus would create
TIME_LIMIT = 10.0  # a hang guard, not a speed target: each case takes well under 2 s on an idle machine,
# but a timed unit test on a shared 2-core runner fails by load, not by regression
PACKET_COMMANDS = ["validate", "evaluate", "batch"]
RULES_COMMANDS = ["rules lint", "evaluate", "batch"]
A_PACKET = sorted(FIXTURES.glob("*.yaml"))[0]  # evaluated under each broken rules folder

# -- generators: inputs made at test time -------------------------------------------------------
BASE = load_file(CORPUS / "packets" / "bom.yaml").data  # a small valid packet (dates stay strings)
GENERATORS: dict[str, Callable[[Path], Path]] = {}


def generator(fn: Callable[[Path], Path]) -> Callable[[Path], Path]:
    GENERATORS[fn.__name__] = fn
    return fn


def _packet(**top) -> dict:
    data = json.loads(json.dumps(BASE))
    data.update(top)
    return data


def _record(i: int) -> dict:
    return {"id": f"ev-{i:05d}", "type": "learning", "date": "2026-01-15", "title": "Course", "area": "domain"}


@generator
def binary_garbage(d: Path) -> Path:
    (p := d / "binary-garbage.yaml").write_bytes(random.Random(6).randbytes(4096))
    return p


@generator
def nul_bytes(d: Path) -> Path:
    (p := d / "nul-bytes.json").write_bytes(b"\x00" * 4096)
    return p


@generator
def dense_yaml(d: Path) -> Path:
    (p := d / "dense.yaml").write_text("- 0\n" * 1_250_000)  # 5,000,000 bytes, just under the limit
    return p


@generator
def deep_yaml_flow(d: Path) -> Path:
    (p := d / "deep-flow.yaml").write_text("[" * 5000 + "]" * 5000)
    return p


@generator
def deep_yaml_block(d: Path) -> Path:
    lines = [" " * i + "a:" for i in range(199)] + [" " * 199 + "a: 1"]
    (p := d / "deep-block.yaml").write_text("\n".join(lines) + "\n")
    return p


@generator
def deep_yaml_900(d: Path) -> Path:
    (p := d / "deep-900.yaml").write_text("{a: " * 900 + "1" + "}" * 900 + "\n")
    return p


@generator
def deep_json(d: Path) -> Path:
    (p := d / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    return p


@generator
def deep_json_in_packet(d: Path) -> Path:
    text = json.dumps(_packet(evidence=["@"])).replace('"@"', "[" * 500 + "]" * 500)
    (p := d / "deep-in-packet.json").write_text(text)
    return p


@generator
def dense_json(d: Path) -> Path:
    text = json.dumps(_packet(evidence=["@"])).replace('"@"', "0," * 2_400_000 + "0")
    (p := d / "dense.json").write_text(text)
    return p


@generator
def fifty_megabytes(d: Path) -> Path:
    p = d / "fifty-megabytes.yaml"
    chunk = ("# " + "x" * 1021 + "\n").encode() * 1024  # 1 MiB of YAML comments
    with p.open("wb") as fh:
        for _ in range(50):
            fh.write(chunk)
    return p


def _rating(value: str, fmt: str, d: Path, name: str) -> Path:
    text = json.dumps(_packet(), indent=1) if fmt == "json" else yaml.safe_dump(_packet(), sort_keys=False)
    old = '"rating": 5' if fmt == "json" else "rating: 5"
    assert text.count(old) == 1
    (p := d / f"{name}.{fmt}").write_text(text.replace(old, old[:-1] + value))
    return p


@generator
def huge_int_json(d: Path) -> Path:
    return _rating("1" + "0" * 5000, "json", d, "huge-int")


@generator
def huge_int_yaml(d: Path) -> Path:
    return _rating("1" + "0" * 5000, "yaml", d, "huge-int")


@generator
def long_int_json(d: Path) -> Path:
    return _rating("9" * 4000, "json", d, "long-int")


@generator
def many_unknown_keys(d: Path) -> Path:
    data = _packet()
    data["candidate"].update({f"k{i}": 0 for i in range(150_000)})
    (p := d / "many-keys.json").write_text(json.dumps(data))
    return p


@generator
def thousands_of_records_json(d: Path) -> Path:
    (p := d / "thousands.json").write_text(json.dumps(_packet(evidence=[_record(i) for i in range(5000)])))
    return p


@generator
def thousands_of_records_yaml(d: Path) -> Path:
    data = _packet(evidence=[_record(i) for i in range(5000)])
    (p := d / "thousands.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return p


@generator
def many_bad_items(d: Path) -> Path:
    rec = dict(_record(0), themes=[f"bogus-{i}" for i in range(150_000)])
    (p := d / "many-bad-items.json").write_text(json.dumps(_packet(evidence=[rec])))
    return p


SECRET_MB = "CONFIDENTIAL performance note " * 35_000  # ~1 MB of free text nobody may echo


@generator
def megabyte_title(d: Path) -> Path:
    data = _packet()
    data["evidence"][0]["title"] = SECRET_MB
    (p := d / "megabyte-title.json").write_text(json.dumps(data))
    return p


@generator
def megabyte_name(d: Path) -> Path:
    data = _packet()
    data["candidate"]["name"] = SECRET_MB
    (p := d / "megabyte-name.yaml").write_text(yaml.safe_dump(data, width=10**9))
    return p


@generator
def megabyte_key(d: Path) -> Path:
    (p := d / "megabyte-key.json").write_text(json.dumps({**_packet(), "k" * 1_000_000: 1}))
    return p


@generator
def megabyte_id(d: Path) -> Path:
    data = _packet()
    data["candidate"]["id"] = "a" * 1_000_000
    (p := d / "megabyte-id.json").write_text(json.dumps(data))
    return p


# -- rule edits: applied to a copy of the bundled rules -------------------------------------------
RULE_EDITS: dict[str, Callable[[Path], None]] = {}


def rule_edit(fn: Callable[[Path], None]) -> Callable[[Path], None]:
    RULE_EDITS[fn.__name__] = fn
    return fn


def _level_files(rules: Path) -> list[Path]:
    return sorted(p for p in rules.glob("*.yaml") if p.name != "ladder.yaml")


def _leaves(cond: dict):
    if "evidence" in cond:
        yield cond
    for key in ("all_of", "any_of"):
        for sub in cond.get(key, []):
            yield from _leaves(sub)


def _edit_leaf(rules: Path, change: Callable[[dict], bool]) -> None:
    """Apply `change` to the first condition leaf it accepts (returns True), in the first level file."""
    for f in _level_files(rules):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        for crit in data["criteria"]:
            for leaf in _leaves(crit["condition"]):
                if change(leaf):
                    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
                    return
    raise AssertionError("no rule leaf to edit: the bundled rules changed shape")


def _replace_first_predicate(op: dict) -> Callable[[dict], bool]:
    def change(leaf: dict) -> bool:
        if not leaf.get("where"):
            return False
        first = next(iter(leaf["where"]))
        leaf["where"][first] = op
        return True
    return change


@rule_edit
def unknown_operator(rules: Path) -> None:
    _edit_leaf(rules, _replace_first_predicate({"one_of": ["led", "co-led"]}))


@rule_edit
def regex_operator(rules: Path) -> None:
    _edit_leaf(rules, _replace_first_predicate({"regex": "^(a+)+$"}))


@rule_edit
def matches_operator(rules: Path) -> None:
    _edit_leaf(rules, _replace_first_predicate({"matches": "(x+x+)+y"}))


@rule_edit
def eval_operator(rules: Path) -> None:
    _edit_leaf(rules, _replace_first_predicate({"eval": f"__import__('os').system('touch {PWNED}')"}))


def _add_where(field: str, value) -> Callable[[dict], bool]:
    def change(leaf: dict) -> bool:
        if leaf["evidence"] != "shipped_outcome":
            return False
        leaf.setdefault("where", {})[field] = value
        return True
    return change


@rule_edit
def unknown_field(rules: Path) -> None:
    _edit_leaf(rules, _add_where("on_tyme", True))


@rule_edit
def free_text_field(rules: Path) -> None:
    _edit_leaf(rules, _add_where("title", "Launch"))


@rule_edit
def tenure(rules: Path) -> None:
    _edit_leaf(rules, _add_where("tenure_months", {"gte": 18}))


@rule_edit
def duplicate_criterion_id(rules: Path) -> None:
    f = _level_files(rules)[0]
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    data["criteria"][0]["id"] = data["criteria"][1]["id"] = f"{data['level']}.said-twice"
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@rule_edit
def level_cycle(rules: Path) -> None:
    f = rules / "ladder.yaml"
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    data["tracks"]["management"].append(data["tracks"]["management"][1])
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _append(f: Path, text: str | bytes) -> None:
    with f.open("ab") as fh:
        fh.write(text if isinstance(text, bytes) else text.encode())


@rule_edit
def python_tag(rules: Path) -> None:
    _append(_level_files(rules)[0], f"\nx: !!python/object/apply:os.system ['touch {PWNED}']\n")


@rule_edit
def alias_bomb(rules: Path) -> None:
    bomb = (CORPUS / "packets" / "alias-bomb.yaml").read_text().replace("schema_version: 1\n", "")
    _append(rules / "ladder.yaml", "\n" + bomb)


@rule_edit
def duplicate_key(rules: Path) -> None:
    f = _level_files(rules)[0]
    _append(f, f"\nlevel: {yaml.safe_load(f.read_text(encoding='utf-8'))['level']}\n")


@rule_edit
def empty_file(rules: Path) -> None:
    _level_files(rules)[0].write_text("")


@rule_edit
def not_utf8(rules: Path) -> None:
    f = _level_files(rules)[0]
    f.write_bytes(b"# caf\xe9\n" + f.read_bytes())


# -- running a case -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def materialise(tmp_path_factory) -> Callable[[dict], Path]:
    """The input of a case (a packet file or a rules folder), made once per session."""
    made: dict[str, Path] = {}

    def get(case: dict) -> Path:
        if case["id"] not in made:
            d = tmp_path_factory.mktemp(case["id"])
            if "file" in case:
                made[case["id"]] = CORPUS / "packets" / case["file"]
            elif "generate" in case:
                made[case["id"]] = GENERATORS[case["generate"]](d)
            else:
                rules = d / "rules"
                shutil.copytree(default_rules_dir(), rules)
                RULE_EDITS[case["rules"]](rules)
                made[case["id"]] = rules
        return made[case["id"]]

    return get


def commands(case: dict) -> list[str]:
    return case.get("commands") or (RULES_COMMANDS if "rules" in case else PACKET_COMMANDS)


def argv(case: dict, command: str, target: Path, out: Path) -> list[str]:
    rules = ["--rules", str(target)] if "rules" in case else []
    packet = str(A_PACKET if "rules" in case else target)
    return {
        "validate": ["validate", packet, *rules],
        "evaluate": ["evaluate", packet, *rules],
        "batch": ["batch", packet, "--out", str(out), "--jobs", "1", "--quiet", *rules],
        "rules lint": ["rules", "lint", *rules],
    }[command]


def run(case: dict, command: str, target: Path, out: Path) -> tuple[Result, float]:
    t0 = time.monotonic()
    result = CliRunner().invoke(main, argv(case, command, target, out))
    return result, time.monotonic() - t0


RUNS = [pytest.param(c, cmd, id=f"{c['id']}:{cmd}") for c in CASES for cmd in commands(c)]


def test_manifest_is_well_formed():
    """At least 32 cases, unique ids, each with exactly one input and something to check."""
    assert len(CASES) >= 32
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for c in CASES:
        assert sum(k in c for k in ("file", "generate", "rules")) == 1, c["id"]
        assert c["exit"] in (0, 3, 4), c["id"]
        assert c["exit"] == 0 or c.get("expect"), c["id"]
        if "file" in c:
            assert (CORPUS / "packets" / c["file"]).is_file(), c["id"]
        assert c.get("generate", "binary_garbage") in GENERATORS, c["id"]
        assert c.get("rules", "empty_file") in RULE_EDITS, c["id"]


def test_committed_corpus_files_are_small():
    """Big inputs are generated at test time: the repository stays small."""
    for p in (CORPUS / "packets").iterdir():
        assert p.stat().st_size < 50_000, p.name
    used = {c["file"] for c in CASES if "file" in c}
    assert used == {p.name for p in (CORPUS / "packets").iterdir()}, "every corpus file has a manifest case"


@pytest.mark.parametrize("case, command", RUNS)
def test_corpus_case(case, command, materialise, tmp_path):
    """Each bad input gets a clean answer: right exit code, the named problem, quickly, no traceback."""
    target = materialise(case)
    out = tmp_path / "out.jsonl"
    if PWNED.exists():
        PWNED.unlink()
    result, elapsed = run(case, command, target, out)
    if elapsed >= TIME_LIMIT:  # a busy CI machine can stall any run once; a real regression is slow twice
        out.unlink(missing_ok=True)
        result, again = run(case, command, target, out)
        elapsed = min(elapsed, again)
    shown = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), explain(result)
    assert "Traceback" not in shown, explain(result)
    assert result.exit_code == case["exit"], explain(result)
    assert elapsed < TIME_LIMIT, f"{case['id']} {command}: {elapsed:.2f} s"
    assert not PWNED.exists(), "a YAML tag ran code"

    said = shown
    if command == "batch" and case["exit"] != 4:
        # batch: exactly one output line for the one input, a verdict or an error naming it
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1, lines[:3]
        line = json.loads(lines[0])
        if case["exit"] == 0:
            assert line["verdict"] in ("ready", "not_ready", "insufficient_evidence")
        else:
            assert line["source"] == str(target) and "error" in line, line
            said = "\n".join(f"{p['path']}: {p['message']}" for p in line["error"]["problems"])
        shown += lines[0]
    elif command == "batch":
        assert not out.exists(), "broken rules must stop the batch before any output is written"
    for fragment in case.get("expect", []):
        assert fragment in said, f"{fragment!r} not in:\n{said[:2000]}"
    if "pointer" in case:
        assert case["pointer"] + ":" in said, f"{case['pointer']!r} not in:\n{said[:2000]}"
    for secret in case.get("absent", []):
        assert secret not in shown
    if case["exit"] == 0 and command == "validate":
        assert "ok" in result.stdout


HEAVY = [c for c in CASES if "generate" in c]


@pytest.mark.parametrize("case", HEAVY, ids=[c["id"] for c in HEAVY])
def test_memory_stays_bounded(case, materialise):
    """The largest inputs are refused without building them in memory: a 50 MB file reads 5 MB,
    an alias bomb stops at the node limit, 5 MB of tiny YAML values stops before composing."""
    target = materialise(case)
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["validate", str(target)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == case["exit"], explain(result)
    assert peak < 64 * 1024 * 1024, f"{case['id']}: peak {peak / 2**20:.0f} MiB"


# -- SECURITY.md: the table of what was tried -----------------------------------------------------
START, END = "<!-- corpus-table:start -->", "<!-- corpus-table:end -->"


def _said(case: dict, result: Result, target: Path) -> str:
    """The first line that carries the case's first expected fragment, without its location."""
    text = result.stdout + result.stderr
    if case["exit"] == 0:
        return "accepted: " + text.splitlines()[0].split(": ", 1)[-1]
    want = case["expect"][0]
    line = next(ln for ln in text.splitlines() if want in ln)
    line = line.replace(str(target) + "/", "").replace(str(target), "")  # the temporary folder is not news
    line = re.sub(r"^[^ ]*?(\.ya?ml|\.json)?(:\d+)?: ", "", line)  # nor is `file:line:`
    return line if len(line) <= 150 else line[:147] + "..."


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def build_table(materialise) -> str:
    rows = ["| What was tried | Command | Exit | What `ladder` says |", "|---|---|---|---|"]
    for case in CASES:
        target = materialise(case)
        command = commands(case)[0]
        result, _ = run(case, command, target, Path(os.devnull))
        assert result.exit_code == case["exit"], explain(result)
        cmd = f"`ladder {command}" + (" --rules R`" if "rules" in case else "`")
        rows.append(f"| {_cell(case['what'])} | {cmd} | {result.exit_code} | {_cell(_said(case, result, target))} |")
    return "\n".join(rows)


def test_security_table_is_current(materialise):
    """SECURITY.md's table is generated from running the corpus, so it cannot drift from the truth."""
    table = build_table(materialise)
    text = SECURITY.read_text(encoding="utf-8")
    assert START in text and END in text, "SECURITY.md lost its table markers"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    fresh = f"{head}{START}\n{table}\n{END}{tail}"
    if os.environ.get("LADDER_UPDATE_SECURITY"):
        SECURITY.write_text(fresh, encoding="utf-8")
    assert text == fresh, ("SECURITY.md's corpus table is out of date; regenerate it with "
                           "LADDER_UPDATE_SECURITY=1 python -m pytest tests/test_corpus.py -k security_table")
