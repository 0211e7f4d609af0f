"""`ladder validate` and the packet checks behind it (engine.base.loader, engine.core.evidence).

Two layers: the fixture folders (every broken packet in fixtures/invalid/ names the problems it
must produce in a sidecar .expect file; every packet at the top of fixtures/ must be valid), and
library-level tests for each kind of problem, built from one valid packet and one change.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, INVALID

from engine.base.errors import EvidenceError, Problem
from engine.core.evidence import Packet, check_document
from engine.base.loader import ParseFailure, decode, parse_text
from engine.book.rules import load_rules

PACKET_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
INVALID_PACKETS = sorted(p for p in INVALID.iterdir() if p.suffix.lower() in PACKET_SUFFIXES)

# One valid packet; each library-level case below changes one thing in a copy of it.
BASE = {
    "schema_version": 1,
    "candidate": {"id": "emp-1042", "current_level": "mid-pm", "target_level": "senior-pm"},
    "period": {"start": "2025-07-01", "end": "2026-06-30"},
    "evidence": [
        {"id": "ev-01", "type": "shipped_outcome", "date": "2026-03-10", "title": "Checkout redesign",
         "role": "led", "scope": "product-area"},
        {"id": "ev-02", "type": "mentoring", "date": "2025-09-01", "months": 6,
         "mentee": {"id": "emp-2001", "level": "associate-pm"}},
        {"id": "ev-03", "type": "stakeholder_feedback", "date": "2026-05-02",
         "from": {"id": "emp-3001", "relationship": "cross-functional"}, "rating": 5},
    ],
}


def packet(**changes) -> dict:
    """A deep copy of BASE with dotted-path changes; a value of `...` deletes the key."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[key]
        else:
            node[key] = value
    return data


def as_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def problems_in(text: str, fmt: str = "yaml", source: str = "packet.yaml") -> list[Problem]:
    """Every problem the library finds in a packet text; [] when it is valid."""
    try:
        check_document(parse_text(text, source, fmt), load_rules())
    except ParseFailure as exc:
        return [exc.problem]
    except EvidenceError as exc:
        return list(exc.problems)
    return []


def parse_failure(text: str, fmt: str = "yaml") -> Problem:
    with pytest.raises(ParseFailure) as info:
        parse_text(text, f"packet.{fmt}", fmt)
    return info.value.problem


def read_expect(path: Path) -> tuple[list[str], list[str]]:
    """The JSON pointers and message fragments a broken fixture must produce."""
    pointers, fragments = [], []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("message:"):
            fragments.append(line[len("message:"):].strip())
        else:
            assert line.startswith("/"), f"{path.name}: {line!r} is neither a JSON pointer nor 'message: ...'"
            pointers.append(line)
    assert pointers or fragments, f"{path.name} expects nothing"
    return pointers, fragments


# --- the fixture folders ------------------------------------------------------------------------


def test_invalid_fixture_folder_is_populated():
    """The negative fixtures are the main regression net for validation; an empty glob must fail."""
    assert len(INVALID_PACKETS) >= 14


@pytest.mark.parametrize("path", INVALID_PACKETS, ids=lambda p: p.name)
def test_invalid_fixture_reports_expected_problems(run_cli, path):
    """Each broken packet exits 3 alone and names every expected path/fragment, with a line in YAML.

    Users fix packets from these messages, so the location (path and, for YAML, line) matters as
    much as the exit code.
    """
    expect = path.with_name(path.name + ".expect")
    assert expect.is_file(), f"{path.name} has no {expect.name}"
    pointers, fragments = read_expect(expect)

    text = run_cli("validate", path, exit_code=3)
    for pointer in pointers:
        assert f": {pointer}: " in text.stdout, f"{pointer} not reported:\n{text.stdout}"

    result = run_cli("validate", "--format", "json", path, exit_code=3)
    (record,) = json.loads(result.stdout)["files"]
    problems = record["problems"]
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    for pointer in pointers:
        hits = [p for p in problems if p["path"] == pointer]
        assert hits, f"{pointer} not among {problems}"
        if is_yaml:
            assert all(isinstance(p.get("line"), int) for p in hits), hits
    for fragment in fragments:
        hits = [p for p in problems if fragment in p["message"]]
        assert hits, f"no message contains {fragment!r}: {problems}"
        if is_yaml:
            assert all(isinstance(p.get("line"), int) for p in hits), hits


def test_every_expect_file_has_its_packet():
    """An orphaned .expect (packet renamed or deleted) would silently stop testing anything."""
    orphans = [e.name for e in INVALID.glob("*.expect") if not e.with_suffix("").is_file()]
    assert not orphans


def test_valid_fixtures_all_pass(run_cli):
    """`ladder validate fixtures/*` must pass: every top-level packet is valid, folders are skipped.

    The valid fixtures double as documentation and golden-test inputs, so none may be skipped.
    """
    packets = sorted(p for p in FIXTURES.iterdir() if p.is_file() and p.suffix.lower() in PACKET_SUFFIXES)
    assert packets, "no valid fixture packets at the top of fixtures/"
    result = run_cli("validate", *packets, exit_code=0)
    for p in packets:
        assert f"{p}: ok" in result.stdout, result.stdout


# --- library level: one problem kind at a time --------------------------------------------------


def test_base_packet_is_valid():
    """The cases below are only meaningful if the unchanged packet has no problems."""
    assert problems_in(as_yaml(BASE)) == []
    doc = parse_text(as_yaml(BASE), "packet.yaml", "yaml")
    assert isinstance(check_document(doc, load_rules()), Packet)


CASES = {
    # name: (changes, expected pointer, expected message fragment)
    "impossible date": ({"evidence__0__date": "2026-02-30"}, "/evidence/0/date", "not a real calendar date"),
    "impossible period end": ({"period__end": "2026-13-01"}, "/period/end", "not a real calendar date"),
    "date not ISO": ({"evidence__0__date": "10/03/2026"}, "/evidence/0/date", "YYYY-MM-DD"),
    "evidence after period end": ({"evidence__0__date": "2026-07-01"}, "/evidence/0/date",
                                  "after the period ends"),
    "period start after end": ({"period__start": "2026-07-01", "period__end": "2026-06-30",
                                "evidence": []}, "/period/start", "after it ends"),
    "unknown current level": ({"candidate__current_level": "mid-p"}, "/candidate/current_level",
                              "did you mean 'mid-pm'"),
    "unknown target level": ({"candidate__target_level": "senoir-pm"}, "/candidate/target_level",
                             "did you mean 'senior-pm'"),
    "unknown mentee level": ({"evidence__1__mentee__level": "asociate-pm"}, "/evidence/1/mentee/level",
                             "did you mean 'associate-pm'"),
    "unknown evidence type": ({"evidence__0__type": "shiped_outcome"}, "/evidence/0/type",
                              "did you mean 'shipped_outcome'"),
    "rating above 5": ({"evidence__2__rating": 7}, "/evidence/2/rating", "at most 5"),
    "rating below 1": ({"evidence__2__rating": 0}, "/evidence/2/rating", "at least 1"),
    "rating not whole": ({"evidence__2__rating": 4.5}, "/evidence/2/rating", "whole number"),
    "months below 1": ({"evidence__1__months": 0}, "/evidence/1/months", "at least 1"),
    "missing title": ({"evidence__0__title": ...}, "/evidence/0", "missing required field 'title'"),
    "missing period": ({"period": ...}, "", "missing required field 'period'"),
    "missing candidate id": ({"candidate__id": ...}, "/candidate", "missing required field 'id'"),
    "misspelt field": ({"evidence__0__on_tme": True}, "/evidence/0", "did you mean 'on_time'"),
    "unknown top-level field": ({"evidense": []}, "", "unknown field 'evidense'"),
    "bad enum value": ({"evidence__0__role": "lead"}, "/evidence/0/role", "did you mean 'led'"),
    "wrong schema_version": ({"schema_version": 2}, "/schema_version", "must be 1"),
    "bad candidate id": ({"candidate__id": "emp 1042"}, "/candidate/id", "not a valid id"),
    "duplicate evidence id": ({"evidence__1__id": "ev-01"}, "/evidence/1/id", "used twice"),
    "target below current": ({"candidate__current_level": "senior-pm", "candidate__target_level": "mid-pm"},
                             "/candidate/target_level", "not above the current level"),
    "target equals current": ({"candidate__target_level": "mid-pm"}, "/candidate/target_level",
                              "not above the current level"),
    "mentee above target": ({"evidence__1__mentee__level": "director"}, "/evidence/1/mentee/level",
                            "not below the target level"),
    "mentee at target": ({"evidence__1__mentee__level": "lead-pm"}, "/evidence/1/mentee/level",
                         "not below the target level"),
    "feedback from self": ({"evidence__2__from__id": "emp-1042"}, "/evidence/2/from/id",
                           "self-assessment is not evidence"),
    "mentoring self": ({"evidence__1__mentee__id": "emp-1042"}, "/evidence/1/mentee/id",
                       "cannot mentor themselves"),
    "top of the ladder": ({"candidate__current_level": "vp", "candidate__target_level": ...},
                          "/candidate/current_level", "top of the management track"),
    "external without target": ({"candidate__current_level": "external", "candidate__target_level": ...},
                                "/candidate/target_level", "needs a target_level"),
    "move down to another track": ({"candidate__current_level": "director", "candidate__track": "ic",
                                    "candidate__target_level": "senior-pm"},
                                   "/candidate/target_level", "not above the current level"),
}


@pytest.mark.parametrize(("changes", "pointer", "fragment"), CASES.values(), ids=CASES.keys())
def test_problem_kind(changes, pointer, fragment):
    """One mistake gives exactly one problem: at the right path, with a line, saying what to fix.

    Cascades (one typo reported five ways) bury the real mistake, so the count matters too.
    """
    found = problems_in(as_yaml(packet(**changes)))
    assert len(found) == 1, "\n".join(map(str, found))
    (p,) = found
    assert p.path == pointer
    assert fragment in p.message
    assert p.line is not None


def test_every_problem_is_listed_in_one_run():
    """validate lists every problem, not the first: fixing packets one error per run is slow."""
    data = packet(evidence__2__rating=7, evidence__0__date="2026-07-01", evidence__1__mentee__level="director",
                  candidate__nmae="Ada")
    paths = {p.path for p in problems_in(as_yaml(data))}
    assert paths == {"/evidence/2/rating", "/evidence/0/date", "/evidence/1/mentee/level", "/candidate"}


def test_level_aliases_are_accepted_and_normalised():
    """The contract's aliases (lead-pm, gpm, ...) are as good as ids; output uses the canonical id."""
    data = packet(candidate__current_level="lead-pm", candidate__target_level="gpm")
    got = check_document(parse_text(as_yaml(data), "p.yaml", "yaml"), load_rules())
    assert (got.current, got.target) == ("senior-pm", "director")


def test_unknown_level_without_near_miss_lists_the_levels():
    """With no close match a guess would mislead; listing the valid ids helps instead."""
    (p,) = problems_in(as_yaml(packet(candidate__target_level="wizard")))
    assert "did you mean" not in p.message
    assert "senior-pm" in p.message and "associate-pm" in p.message


def test_unknown_evidence_type_is_a_single_problem():
    """A misspelt type must not fan out into 'missing field' errors for every known type."""
    data = packet(evidence__0__type="shiped_outcome")
    data["evidence"][0].update(months=3, rating=4, on_time=True)  # fields of several types
    found = problems_in(as_yaml(data))
    assert [(p.path, p.kind) for p in found] == [("/evidence/0/type", "schema")], found
    assert "did you mean 'shipped_outcome'" in found[0].message


def test_evidence_dated_on_the_period_end_counts():
    """period.end is the as-of date: evidence from that very day is not 'from the future'."""
    assert problems_in(as_yaml(packet(evidence__0__date="2026-06-30"))) == []


def test_dates_stay_strings():
    """YAML would turn 2026-03-10 into a date object; the schema and calendar check need the text."""
    doc = parse_text("period: {start: 2025-07-01, end: 2026-02-30}\n", "p.yaml", "yaml")
    assert doc.data["period"] == {"start": "2025-07-01", "end": "2026-02-30"}


def test_duplicate_key_in_yaml_is_an_error_with_the_repeat_line():
    """A silently dropped value is lost evidence; point at the second occurrence."""
    text = as_yaml(BASE).replace("  rating: 5\n", "  rating: 2\n  rating: 5\n")
    p = parse_failure(text)
    assert "duplicate key 'rating'" in p.message
    assert text.splitlines()[p.line - 1].strip() == "rating: 5"


def test_duplicate_key_in_yaml_flow_mapping():
    """Flow style ({a: 1, a: 2}) goes through the same constructor and must be caught too."""
    p = parse_failure("candidate: {id: a, id: b}\n")
    assert "duplicate key 'id'" in p.message and p.line == 1


def test_duplicate_key_in_json_points_at_the_repeat_in_its_own_object():
    """`id` is used legitimately in several objects; the line must be the repeat, not any reuse."""
    text = json.dumps(BASE, indent=1).replace('"rating": 5', '"rating": 5, "id": "ev-04"')
    p = parse_failure(text, "json")
    assert "duplicate key 'id'" in p.message
    assert '"ev-04"' in text.splitlines()[p.line - 1]


def test_duplicate_key_in_a_jsonl_line_is_caught(run_cli, tmp_path):
    """JSONL lines take the fast parser, which keeps the last duplicate silently: the duplicate
    must still be an error with its line, also when a colon elsewhere is written as \\u003a."""
    good = json.dumps(BASE)
    dup = good.replace('"rating": 5', '"rating": 2, "rating": 5')
    escaped = dup.replace('"Checkout redesign"', '"Checkout\\u003a redesign"')
    (p := tmp_path / "b.jsonl").write_text("\n".join([good, dup, escaped]) + "\n", encoding="utf-8")
    out = run_cli("validate", p, exit_code=3).stdout
    assert f"{p}:2: duplicate key 'rating'" in out and f"{p}:3: duplicate key 'rating'" in out
    assert f"{p}:1:" not in out


def test_an_integer_beyond_64_bits_is_quoted_exactly(run_cli, tmp_path):
    """The fast parser reads such an integer as a float; problems come from the exact parse."""
    data = copy.deepcopy(BASE)
    data["evidence"][0]["teams"] = 123456789012345678901234
    (p := tmp_path / "big.jsonl").write_text(json.dumps(data) + "\n", encoding="utf-8")
    out = run_cli("validate", p, exit_code=3).stdout
    assert "123456789012345678901234 is out of range: must be at most" in out


def test_non_utf8_bytes_are_located():
    """Latin-1 exports are common; say it is an encoding problem and where, not a parser crash."""
    raw = as_yaml(BASE).replace("Checkout", "Caf\xe9").encode("latin-1")
    with pytest.raises(ParseFailure) as info:
        decode(raw, "p.yaml")
    p = info.value.problem
    assert "not UTF-8" in p.message and p.kind == "encoding"
    assert p.line == as_yaml(BASE).splitlines().index("  title: Checkout redesign") + 1


def test_several_yaml_documents_are_rejected_with_a_line():
    """One packet per file; a second packet after --- would otherwise be silently ignored."""
    text = as_yaml(BASE) + "---\n" + as_yaml(BASE)
    p = parse_failure(text)
    assert "several YAML documents" in p.message
    assert p.line == len(as_yaml(BASE).splitlines()) + 2


def test_a_trailing_document_marker_is_harmless():
    """Editors and generators often end YAML with a bare ---; that is not a second packet."""
    assert problems_in(as_yaml(BASE) + "---\n") == []


def test_empty_file_is_one_clear_problem(run_cli, tmp_path):
    """An empty or blank file is a common export failure; say so instead of 'not a mapping'."""
    for text in ("", "  \n\n"):
        assert "empty document" in parse_failure(text).message
    f = tmp_path / "empty.yaml"
    f.write_bytes(b"")
    assert "empty document" in run_cli("validate", f, exit_code=3).stdout


@pytest.mark.parametrize(("text", "what"), [("- a\n- b\n", "a list"), ("just words\n", "text"),
                                            ("[1, 2]", "a list")], ids=["yaml list", "scalar", "json list"])
def test_top_level_must_be_a_mapping(text, what):
    """A list of packets (or a stray scalar) is a different shape; name the shape we got."""
    (p,) = problems_in(text, "json" if text.startswith("[") else "yaml")
    assert "a packet must be a mapping" in p.message and what in p.message


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.mkdir", "!!python/object:builtins.dict",
                                 "!!python/name:os.system", "!!python/object/new:builtins.list"])
def test_object_constructing_yaml_tags_are_rejected(tag, tmp_path):
    """Packets come from many people: loading one must never run code or build objects."""
    target = tmp_path / "pwned"
    p = parse_failure(f"evidence:\n  - {tag} [{json.dumps(str(target))}]\n")
    assert "tags that construct objects are not allowed" in p.message
    assert p.line == 2
    assert not target.exists()


@pytest.mark.parametrize(("text", "fmt", "pointer"), [
    ('{"a": NaN}', "json", ""), ('{"a": Infinity}', "json", ""), ('{"a": -Infinity}', "json", ""),
    ("a: .nan\n", "yaml", "/a"), ("a: [.inf]\n", "yaml", "/a/0"), ("a: -.Inf\n", "yaml", "/a"),
])
def test_nan_and_infinity_are_rejected(text, fmt, pointer):
    """NaN compares false with everything, so a NaN metric would silently never 'improve'."""
    p = parse_failure(text, fmt)
    assert p.path == pointer
    assert "NaN" in p.message or "not a number JSON allows" in p.message


def test_bom_and_crlf_are_accepted(run_cli, tmp_path):
    """Windows editors save with a BOM and CRLF; those packets are valid and lines still count right."""
    good = tmp_path / "windows.yaml"
    good.write_bytes(b"\xef\xbb\xbf" + as_yaml(BASE).replace("\n", "\r\n").encode())
    run_cli("validate", good, exit_code=0)

    text = as_yaml(packet(evidence__2__rating=7))
    bad = tmp_path / "windows-bad.yaml"
    bad.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    out = run_cli("validate", bad, exit_code=3).stdout
    line = text.splitlines().index("  rating: 7") + 1
    assert f"{bad}:{line}: /evidence/2/rating:" in out


# --- what messages may contain -------------------------------------------------------------------

SECRET = "CONFIDENTIAL-" + "x" * 300


@pytest.mark.parametrize("changes", [
    {"evidence__0__title": SECRET},
    {"candidate__name": SECRET},
    {"evidence__2__quote": SECRET * 7},
    {"evidence__2__from__role": SECRET},
    {"evidence__0__notes": SECRET * 20},
    {"evidence__0__role": SECRET},
    {"evidence__0__type": SECRET},
    {"candidate__current_level": SECRET.lower()},
    {"evidence__0__" + SECRET: 1},
], ids=["title", "name", "quote", "from.role", "notes", "enum", "type", "level", "field name"])
def test_messages_never_echo_free_text(changes, run_cli, tmp_path):
    """Packets hold personal data; problem reports end up in CI logs, so they name, never quote.

    A too-long title must be reported as too long without repeating it.
    """
    text = as_yaml(packet(**changes))
    found = problems_in(text)
    assert found
    assert not any("CONFIDENTIAL" in p.message.upper() for p in found), found
    f = tmp_path / "p.yaml"
    f.write_text(text, encoding="utf-8")
    for fmt in ("text", "json"):
        result = run_cli("validate", "--format", fmt, f, exit_code=3)
        assert "CONFIDENTIAL" not in result.output.upper()


def test_too_long_title_is_reported_as_too_long():
    """The message must still say what is wrong (and where) without showing the value."""
    (p,) = problems_in(as_yaml(packet(evidence__0__title="t" * 300)))
    assert p.path == "/evidence/0/title" and "longer than 200 characters" in p.message


# --- command line --------------------------------------------------------------------------------


def test_validate_json_output_shape(run_cli, tmp_path):
    """Scripts read `validate --format json`: one document, one record per file, located problems."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(as_yaml(BASE), encoding="utf-8")
    bad.write_text(as_yaml(packet(evidence__2__rating=7)), encoding="utf-8")
    out = json.loads(run_cli("validate", "--format", "json", good, bad, exit_code=3).stdout)
    assert out["valid"] is False
    assert [f["source"] for f in out["files"]] == [str(good), str(bad)]
    assert out["files"][0] == {"source": str(good), "valid": True, "problems": []}
    (problem,) = out["files"][1]["problems"]
    assert out["files"][1]["valid"] is False
    assert problem["path"] == "/evidence/2/rating"
    assert isinstance(problem["line"], int) and problem["kind"] == "schema"
    assert {"path", "message", "line", "kind"} <= problem.keys()

    ok = json.loads(run_cli("validate", "--format", "json", good, exit_code=0).stdout)
    assert ok["valid"] is True


def test_validate_mixes_good_and_bad_files(run_cli, tmp_path):
    """One bad packet fails the run (exit 3) but every file is still checked and reported."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(as_yaml(BASE), encoding="utf-8")
    bad.write_text(as_yaml(packet(evidence__0__date="2026-02-30")), encoding="utf-8")
    out = run_cli("validate", bad, good, tmp_path / "missing.yaml", exit_code=3).stdout
    assert f"{good}: ok" in out
    assert f"{bad}:" in out and "/evidence/0/date" in out
    assert "missing.yaml: no such file" in out


def test_max_bytes_limit(run_cli, tmp_path):
    """A size limit keeps a huge or hostile file from exhausting memory; the limit is adjustable."""
    f = tmp_path / "p.yaml"
    f.write_text(as_yaml(BASE), encoding="utf-8")
    size = f.stat().st_size
    result = run_cli("validate", "--max-bytes", size - 1, f, exit_code=3)
    assert "larger than the limit" in result.stdout and "--max-bytes" in result.stdout
    run_cli("validate", "--max-bytes", size, f, exit_code=0)
    run_cli("validate", "--max-bytes", 0, f, exit_code=2)


def test_folders_are_read_like_batch(run_cli, tmp_path):
    """`ladder validate FOLDER` checks the packets in it, at any depth, as batch would evaluate
    them (it once skipped the folder and said "all 0 packet(s) valid", exit 0)."""
    good = tmp_path / "good.yaml"
    good.write_text(as_yaml(BASE), encoding="utf-8")
    sub = tmp_path / "sub"
    (sub / "deeper").mkdir(parents=True)
    (sub / "bad.yaml").write_text(as_yaml(packet(evidence__2__rating=7)), encoding="utf-8")
    (sub / "deeper" / "bad.json").write_text(json.dumps(packet(period__start="2027-01-01")), encoding="utf-8")
    (sub / "notes.txt").write_text("not a packet", encoding="utf-8")

    for extra in ([], ["--recursive"]):  # -r is kept for old scripts; it changes nothing
        out = run_cli("validate", *extra, good, sub, exit_code=3).stdout
        assert f"{good}: ok" in out
        assert f"{sub / 'bad.yaml'}:" in out and "/evidence/2/rating" in out
        assert f"{sub / 'deeper' / 'bad.json'}:" in out and "/period/start" in out
        assert "notes.txt" not in out and out.rstrip().endswith("1 of 3 packet(s) valid")

    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_cli("validate", empty, exit_code=2)
    assert f"no packets found in {empty}" in r.stderr and "valid" not in r.stdout


def test_every_number_in_the_schema_is_bounded_within_exact_float_range():
    """JSON packets are parsed with orjson, which reads an integer beyond 64 bits as a float; a
    packet is re-parsed exactly only when it is invalid. That is sound while no valid packet can
    hold such a number: every numeric field must keep a minimum and a maximum within 2**53."""
    from engine.base.resources import load_schema

    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("integer", "number"):
                lo, hi = node.get("minimum", node.get("exclusiveMinimum")), node.get("maximum",
                                                                                    node.get("exclusiveMaximum"))
                found.append((lo, hi))
                assert lo is not None and hi is not None and -(2**53) <= lo and hi <= 2**53, node
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(load_schema("packet"))
    assert len(found) >= 10


@pytest.mark.parametrize("command", ["evaluate", "batch"])
def test_a_mistyped_target_is_a_usage_error_not_the_packets(run_cli, command):
    """`--target senior` is the command line's mistake: exit 2, named as the option, not located
    in a packet that is fine."""
    fx = FIXTURES / "amara-stonebridge-senior-to-director-not-ready.yaml"
    extra = ["--out", "-"] if command == "batch" else []
    r = run_cli(command, fx, "--target", "senior", *extra, exit_code=2)
    assert r.stderr.startswith("--target: unknown level 'senior'; did you mean 'senior-pm'?")
    assert fx.name not in r.stderr and r.stdout == ""


def test_every_help_example_names_a_file_that_exists(run_cli):
    """The examples in --help are what a new user copies first."""
    import re as _re

    from conftest import ROOT as _ROOT

    for cmd in ("evaluate", "batch", "validate"):
        text = run_cli(cmd, "--help").stdout
        for name in _re.findall(r"fixtures/[\w./-]+\.ya?ml", text):
            assert (_ROOT / name).exists(), f"ladder {cmd} --help names {name}"


@pytest.mark.parametrize("where, value, pointer", [
    ("evidence__0__date", "0000-01-01", "/evidence/0/date"),
    ("period__start", "0000-01-01", "/period/start"),
    ("evidence__0__type", [1, "a"], "/evidence/0/type"),
])
def test_what_the_schema_lets_through_never_crashes_a_later_check(where, value, pointer, tmp_path, run_cli):
    """Found by the mutation property test: the date format allows year 0000, which Python's
    calendar does not have, and a list where a type belongs reached a set lookup. Both are a
    located problem (exit 3), never a traceback."""
    data = yaml.safe_load((FIXTURES / "beatrix-lowmoor-senior-to-director-ready.yaml").read_text(encoding="utf-8"))
    node, *path = where.split("__")
    cur = data[node]
    for p in path[:-1]:
        cur = cur[int(p)] if p.isdigit() else cur[p]
    cur[int(path[-1]) if path[-1].isdigit() else path[-1]] = value
    f = tmp_path / "p.json"
    f.write_text(json.dumps(data, default=str), encoding="utf-8")
    for cmd in ("validate", "evaluate"):
        r = run_cli(cmd, f, exit_code=3)
        assert f": {pointer}: " in r.stdout + r.stderr


def test_letter_case_of_level_names_and_person_ids(run_cli, tmp_path):
    """The decided rule. A packet is a record kept and compared across cycles, so it spells levels
    one way: ids and aliases in lower case (the packet schema), and any other case is a located
    problem that names the canonical id. On the command line a person types, so `--target` is
    matched without regard to case or surrounding spaces. Output always prints canonical ids.
    Person ids keep their case in output but are one person whatever the case
    (engine.book.fields.person_key; see tests/test_integrity.py)."""
    src = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["candidate"]["target_level"] = "Senior-PM"
    f = tmp_path / "cased.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    r = run_cli("evaluate", f, exit_code=3)
    assert "/candidate/target_level:" in r.stderr and "senior-pm" in r.stderr
    w = json.loads(run_cli("evaluate", src, "--target", " DIRECTOR ", "--format", "json", "--no-plan").stdout)
    assert w["target_level"] == "director" and w["path"] == ["mid-pm", "senior-pm", "director"]
    assert run_cli("evaluate", src, "--target", "Group-PM", "--format", "json", "--no-plan").stdout == \
        run_cli("evaluate", src, "--target", "gpm", "--format", "json", "--no-plan").stdout


# -- folders: what came from subfolders, and --exclude -------------------------------------------
def _tree(tmp_path: Path) -> Path:
    """top/: two packets, sub/ with one, invalid/ with two (one of them broken)."""
    good = (FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml").read_text(encoding="utf-8")
    top = tmp_path / "top"
    for rel in ("a.yaml", "b.yaml", "sub/c.yaml", "invalid/d.yaml"):
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text(good.replace("emp-", f"emp-{len(rel)}{rel[0]}"), encoding="utf-8")
    (top / "invalid" / "e.yaml").write_text("candidate: [\n", encoding="utf-8")
    return top


def test_a_folder_run_says_how_many_files_came_from_subfolders(run_cli, tmp_path):
    top = _tree(tmp_path)
    out = run_cli("validate", top, exit_code=3).stdout
    assert f"3 file(s) came from subfolders" in out and f"{top}/invalid/ 2, {top}/sub/ 1" in out
    err = run_cli("batch", top, "--out", tmp_path / "r.jsonl", "--no-plan", exit_code=3).stderr
    assert f"{top}/invalid/ 2, {top}/sub/ 1" in err
    assert len((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == 5


@pytest.mark.parametrize("glob, left, read", [("invalid", 2, 3), ("invalid/", 2, 3), ("invalid/*", 2, 3),
                                              ("e.yaml", 1, 4), ("*/c.yaml", 1, 4), ("*.yml", 0, 5)])
def test_exclude_leaves_out_matching_files_and_folders_and_says_so(run_cli, tmp_path, glob, left, read):
    top = _tree(tmp_path)
    d = json.loads(run_cli("validate", top, "--exclude", glob, "--format", "json", exit_code=None).stdout)
    assert d["packets"] == read and d.get("inputs", {}).get("excluded", 0) == left
    run_cli("batch", top, "--out", tmp_path / "r.jsonl", "--no-plan", "--exclude", glob, exit_code=None)
    assert len((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == read


def test_exclude_applies_to_files_named_on_the_command_line_and_a_clean_run_exits_0(run_cli, tmp_path):
    top = _tree(tmp_path)
    out = run_cli("validate", top / "a.yaml", top / "invalid" / "e.yaml", "--exclude", "e.yaml").stdout
    assert "all 1 packet(s) valid" in out and "1 file(s) left out by --exclude e.yaml" in out


def test_a_hostile_folder_name_in_the_summary_is_escaped(run_cli, tmp_path):
    top = _tree(tmp_path)
    (top / "sub").rename(top / "s\x1b[31mub")
    out = run_cli("validate", top, "--exclude", "invalid").stdout
    assert "\x1b" not in out and "came from subfolders" in out


@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".schema.json")
                                        for p in (Path(__file__).resolve().parent.parent / "schemas").glob("*.schema.json")))
def test_every_bundled_schema_is_a_valid_json_schema(name):
    """The bundled schemas are checked against their metaschema here, once, not at every start:
    a rules folder whose packet schema is the bundled one skips the check (engine.book.schema)."""
    import jsonschema

    from engine.base.resources import load_schema

    data = load_schema(name)
    jsonschema.validators.validator_for(data).check_schema(data)


def test_a_packet_schema_other_than_the_bundled_one_is_still_checked():
    from engine.base.errors import RulesError
    from engine.base.resources import load_schema
    from engine.book.schema import read_packet_schema

    data = copy.deepcopy(load_schema("packet"))  # (load_schema's dict is shared: never change it)
    assert read_packet_schema(json.dumps(data).encode(), "packet.schema.json").data == data  # the bundled one
    data["properties"]["schema_version"] = {"type": "no-such-type"}
    with pytest.raises(RulesError, match="not a valid JSON Schema"):
        read_packet_schema(json.dumps(data).encode(), "packet.schema.json")
