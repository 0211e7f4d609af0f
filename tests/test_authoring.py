"""Writing packets (issue 13): messages a Word user can act on, a template, stdin, folders."""
from __future__ import annotations

import copy
import json

import yaml

from conftest import FIXTURES, ROOT

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


def test_stdin_takes_one_yaml_or_json_packet_for_evaluate_and_validate(run_cli):
    text = READY.read_text(encoding="utf-8")
    from_file = run_cli("evaluate", READY, "--format", "json").stdout
    assert run_cli("evaluate", "-", "--format", "json", input=text).stdout == from_file
    as_json = json.dumps(yaml.safe_load(text), default=str, indent=2)
    assert run_cli("evaluate", "-", "--format", "json", input=as_json).stdout == from_file
    assert run_cli("validate", "-", input=text).stdout.startswith("<stdin>: ok")
    r = run_cli("validate", "-", input=text.replace("role: led", "role: \u201cled\u201d", 1), exit_code=3)
    assert r.stdout.startswith("<stdin>:") and "curly quotes" in r.stdout


def test_evaluate_exit_code_says_ready_or_not(run_cli):
    run_cli("evaluate", READY, "--exit-code")
    r = run_cli("evaluate", FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml", "--exit-code", exit_code=1)
    assert "NOT READY" in r.stdout
    run_cli("evaluate", FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml")  # 0 without it


def _levels():
    from engine.book.rules import load_rules

    book = load_rules(None)
    return [(lv, t) for lv in book.ordered_levels() for t in book.levels[lv].tracks]


def test_every_level_has_a_template_that_validates_and_evaluates(run_cli, tmp_path):
    """The template covers every evidence type the target's criteria use, lists allowed values,
    and, filled in, validates and evaluates (here: filled with another candidate's id and titles)."""
    from engine.book.rules import load_rules

    from engine.book.rules import leaf_types as _types

    book = load_rules(None)
    for level, track in _levels():
        text = run_cli("new", "--target", level, "--track", track).stdout
        data = yaml.safe_load(text)
        used = {t for c in book.criteria(level) for t in _types(c.condition)}
        assert used <= {r["type"] for r in data["evidence"]}, level
        assert "one of: led, co-led, contributed" in text or "role" not in text
        data["candidate"].update(id="emp-4242", name="Ottilie Brackwater")
        _fill_people(data)
        for i, r in enumerate(data["evidence"]):
            r["title"] = f"Relaunch of the supplier portal, part {i + 1}"
        p = tmp_path / f"{level}-{track}.yaml"
        p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        run_cli("validate", p)
        v = json.loads(run_cli("evaluate", p, "--format", "json").stdout)
        assert (v["target_level"], v["track"], v["verdict"]) == (level, track, "ready")


def test_a_template_says_what_each_record_is_for_and_lists_the_fields_left_out(run_cli):
    """Above each record, the criteria its type counts toward; under the first record of a type,
    every field of that type the record does not fill in, as a comment to fill in: never one it
    already has."""
    from engine.book.rules import leaf_types as _types
    from engine.book.rules import load_rules

    book = load_rules(None)
    text = run_cli("new", "--target", "senior-pm").stdout
    data = yaml.safe_load(text)
    lines = text.splitlines()
    start = lines.index("evidence:")
    heads = [i for i, ln in enumerate(lines) if i > start and ln.startswith("  # ")]
    assert len(heads) == len(data["evidence"])  # one heading per record
    for i, record in zip(heads, data["evidence"]):
        used = [c.id for c in book.criteria("senior-pm") if record["type"] in _types(c.condition)]
        assert lines[i] == f"  # {record['type']}: counts toward {', '.join(used)}", lines[i]
    first = {}
    for n, (i, record) in enumerate(zip(heads, data["evidence"])):
        first.setdefault(record["type"], (n, i))
    for t, (n, i) in first.items():
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        left_out = [ln.split("#")[1].strip().rstrip(":") for ln in lines[i:end] if ln.startswith("    # ")]
        record = data["evidence"][n]
        assert left_out and not set(left_out) & set(record), (t, left_out)
        assert "notes" in set(left_out) | set(record), t
    assert text.count("    # notes:") == len(first)  # once per type, not once per record
    schema = json.loads((ROOT / "schemas" / "packet.schema.json").read_text(encoding="utf-8"))
    cand = lines[lines.index("candidate:") + 1:lines.index("period:")]
    for k in schema["properties"]["candidate"]["properties"]:  # the candidate's, too: org, manager, cycle
        given = k in data["candidate"]
        assert sum(ln.startswith(f"  {k}: " if given else f"  # {k}: ") for ln in cand) == 1, k


def test_new_refuses_an_unknown_level_or_track(run_cli):
    assert "did you mean 'senior-pm'?" in run_cli("new", "--target", "senior", exit_code=2).stderr
    assert "vp is not on the ic track" in run_cli("new", "--target", "vp", "--track", "ic", exit_code=2).stderr


def test_schema_prints_the_packet_schema(run_cli):
    from engine.base.resources import load_schema

    assert json.loads(run_cli("schema").stdout) == load_schema("packet")


def test_the_field_reference_is_generated_from_the_schema(run_cli):
    """docs/packets.md cannot drift: regenerate it with `ladder schema --format markdown`."""
    from conftest import ROOT

    fresh = run_cli("schema", "--format", "markdown").stdout
    doc = (ROOT / "docs" / "packets.md").read_text(encoding="utf-8")
    assert doc == fresh, "docs/packets.md is stale: ladder schema --format markdown > docs/packets.md"
    for t in ("shipped_outcome", "mentoring", "stakeholder_feedback", "org_initiative"):
        assert f"### {t}" in doc
    assert "docs/packets.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def _fill_people(data: dict) -> None:
    """Real-looking person ids where the template has placeholders (plan-person-N)."""
    for i, r in enumerate(data["evidence"]):
        for k in ("from", "mentee"):
            if isinstance(r.get(k), dict) and str(r[k].get("id", "")).startswith("plan-person-"):
                r[k]["id"] = f"emp-{5000 + i}"
        if str(r.get("verified_by", "")).startswith("plan-person-"):
            r["verified_by"] = "emp-6000"


def test_an_unedited_template_is_refused_field_by_field(run_cli, tmp_path):
    """`ladder new`'s placeholders are errors (exit 3) naming each line and field, for every level's
    template; changing only the candidate id (which made a template READY) still leaves it refused."""
    for level, track in _levels():
        text = run_cli("new", "--target", level, "--track", track).stdout
        p = tmp_path / f"{level}-{track}.yaml"
        p.write_text(text, encoding="utf-8")
        r = run_cli("validate", p, exit_code=3)
        said = r.stdout + r.stderr
        data = yaml.safe_load(text)
        lines = text.splitlines()
        id_line = next(n for n, x in enumerate(lines, 1) if x.startswith("  id: emp-0000"))
        assert f"{p}:{id_line}: /candidate/id: the template's placeholder id" in said, said
        assert "/candidate/name: the template's placeholder name" in said
        for i in range(len(data["evidence"])):
            assert f": /evidence/{i}/title: the template's example title" in said, (level, i)
        p.write_text(text.replace("id: emp-0000", "id: emp-4242"), encoding="utf-8")
        run_cli("evaluate", p, exit_code=3)


def test_template_placeholders_are_caught_however_spelt_and_nothing_else_is(run_cli, tmp_path):
    """Each placeholder at its edge: case, separators and spacing do not hide one; a real title or id
    that merely resembles one is accepted."""
    base = yaml.safe_load((FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml").read_text(encoding="utf-8"))

    def check(edit, refused: str | None):
        d = copy.deepcopy(base)
        edit(d)
        p = tmp_path / "p.yaml"
        p.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
        r = run_cli("validate", p, exit_code=3 if refused else 0)
        if refused:
            assert refused in r.stdout + r.stderr, r.stdout + r.stderr

    fb = next(i for i, e in enumerate(base["evidence"]) if e["type"] == "stakeholder_feedback")
    check(lambda d: d["candidate"].update(id="EMP_0000"), "/candidate/id: the template's placeholder id")
    check(lambda d: d["candidate"].update(name="  firstname   LASTNAME "), "/candidate/name: the template's placeholder")
    check(lambda d: d["evidence"][0].update(title="  example: launch"), "/evidence/0/title: the template's example")
    check(lambda d: d["evidence"][0].update(title="EXAMPLE:launch"), "/evidence/0/title: the template's example")
    check(lambda d: d["evidence"][fb]["from"].update(id="Plan_Person_7"), f"/evidence/{fb}/from/id: a placeholder person")
    check(lambda d: d["evidence"][0].update(verified_by="plan-person-12"), "/evidence/0/verified_by: a placeholder person")
    check(lambda d: d["candidate"].update(manager="plan-person-1"), "/candidate/manager: a placeholder person")
    # near misses are real data
    check(lambda d: d["evidence"][0].update(title="Examples of onboarding, rewritten"), None)
    check(lambda d: d["evidence"][0].update(title="Example-led docs for the payments API"), None)
    check(lambda d: d["candidate"].update(id="emp-00000"), None)
    check(lambda d: d["candidate"].update(name="Firstname Lastnames"), None)
    check(lambda d: d["evidence"][fb]["from"].update(id="planner-7"), None)


def test_new_writes_the_spreadsheet_template_that_import_refuses_until_filled(run_cli, tmp_path):
    """`ladder new --format csv|xlsx`: the import layout with one example row per record. Imported as
    written, each placeholder is an error naming the sheet, row and column; filled in (name, ids,
    titles, people), it imports to a packet that validates."""
    import csv as csv_mod

    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"t.{fmt}"
        r = run_cli("new", "--target", "director", "--format", fmt, "--out", out)
        assert "example evidence row(s)" in r.stderr
        extra = ["--candidates", tmp_path / "t-candidates.csv"] if fmt == "csv" else []
        r = run_cli("import", out, *extra, "--out", tmp_path / f"imp-{fmt}", exit_code=3)
        assert "row 2, column title: the template's example title" in r.stderr, r.stderr
        assert "column name: the template's placeholder name" in r.stderr
    # the CSV, filled in as a person would
    ev_path, cand_path = tmp_path / "t.csv", tmp_path / "t-candidates.csv"
    rows = list(csv_mod.reader(ev_path.read_text(encoding="utf-8").splitlines()))
    head = rows[0]
    for n, row in enumerate(rows[1:], start=1):
        for j, col in enumerate(head):
            if col == "candidate_id":
                row[j] = "emp-4242"
            elif col == "title":
                row[j] = f"Portfolio review for the supplier business, part {n}"
            elif row[j].startswith("plan-person-"):
                row[j] = f"emp-{5000 + n}"
    ev_path.write_text("\n".join(",".join(f'"{c}"' if "," in c else c for c in r) for r in rows) + "\n",
                       encoding="utf-8")
    cands = list(csv_mod.reader(cand_path.read_text(encoding="utf-8").splitlines()))
    cands[1][0], cands[1][1] = "emp-4242", "Ottilie Brackwater"
    cand_path.write_text("\n".join(",".join(r) for r in cands) + "\n", encoding="utf-8")
    run_cli("import", ev_path, "--candidates", cand_path, "--out", tmp_path / "filled")
    (packet,) = sorted((tmp_path / "filled").iterdir())
    run_cli("validate", packet)


def test_new_spreadsheet_formats_need_a_file_and_yaml_does_not(run_cli, tmp_path):
    r = run_cli("new", "--target", "director", "--format", "xlsx", exit_code=2)
    assert "--format xlsx: give --out FILE.xlsx" in r.stderr
    r = run_cli("new", "--target", "director", "--out", tmp_path / "p.yaml", exit_code=2)
    assert "--out: the YAML template is printed" in r.stderr
    assert not (tmp_path / "p.yaml").exists()


def test_init_copies_a_pack_given_with_rules(run_cli, tmp_path):
    """`ladder init DIR --rules PACK`: a copy of that pack (its levels, vocabulary, paths/ and the
    packet schema beside it) that loads and judges as the original; with --bundled too it is a
    usage error; a pack that does not load is not copied."""
    from conftest import ROOT

    src = ROOT / "examples" / "kestrel" / "rules"
    out = run_cli("init", tmp_path / "pilot", "--rules", src).stdout
    copied = sorted(p.relative_to(tmp_path / "pilot" / "rules") for p in (tmp_path / "pilot" / "rules").rglob("*.yaml"))
    assert copied == sorted(p.relative_to(src) for p in src.rglob("*.yaml")) and "wrote" in out
    fx = next((ROOT / "examples" / "kestrel" / "fixtures").glob("*.yaml"))
    a = run_cli("evaluate", fx, "--rules", src, "--format", "json", exit_code=None).stdout
    b = run_cli("evaluate", fx, "--rules", tmp_path / "pilot" / "rules", "--format", "json", exit_code=None).stdout
    assert a == b
    assert "# A rules pack, copied" in (tmp_path / "pilot" / "README.md").read_text(encoding="utf-8")
    r = run_cli("init", tmp_path / "both", "--rules", src, "--bundled", exit_code=2)
    assert "give one" in r.stderr and not (tmp_path / "both").exists()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ladder.yaml").write_text("levels: [", encoding="utf-8")
    run_cli("init", tmp_path / "nope", "--rules", broken, exit_code=4)
    assert not (tmp_path / "nope").exists()
