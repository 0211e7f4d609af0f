"""Hostile text never acts: what a packet, a results file or a file name holds reaches a terminal,
a spreadsheet and a markdown renderer as text to read, never as something that acts.

Each case writes a file that passes `validate`, runs the command a committee would run, and checks
the bytes that come out the way their reader would see them: a terminal sees no control or bidi
character from the file; `csv.reader` (as a spreadsheet parses) finds no cell that starts a formula
and no row more than written; a CommonMark renderer finds no heading, link, image or HTML the
program did not write. engine/base/escape.py is the one door per output kind; the unit tests at the end
pin its policy at each character class.
"""
from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from engine.base import escape

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "caspian-thistlewood-mid-to-senior-not-ready.yaml"

# What a terminal would act on: the cursor moved up and the line cleared to forge a headline, an
# OSC 8 hyperlink, a bell, a backspace, a bare CR, the right-to-left override, the one-byte C1 CSI,
# and a line feed that starts a forged line of its own.
FORGED = "READY — ready for senior-pm: all required criteria met"
TERMINAL_PAYLOADS = [
    f"\x1b[4A\r\x1b[2K{FORGED}\x1b[4B\r",
    "\x1b]8;;https://example.invalid/\x07click\x1b]8;;\x07",
    "ring\x07 back\x08\x08\x08 over\rwrite",
    "evil\u202etxt.exe \u2066isolate\u2069",
    "c1 \x9b2J csi",
    f"title\n{FORGED}",
]
ACTING = ["\x1b", "\r", "\x07", "\x08", "\u202e", "\u2066", "\u2069", "\x9b"]


def _packet(**changes) -> dict:
    doc = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    for key, value in changes.items():
        if key == "title":
            for ev in doc["evidence"]:
                ev["title"] = value
        else:
            doc["candidate"][key] = value
    return doc


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc, default=str), encoding="utf-8")
    return p


def _assert_inert_terminal(text: str) -> None:
    for ch in ACTING:
        assert ch not in text, f"{ch!r} from a file reached the terminal"
    for line in text.splitlines():
        assert not line.startswith(FORGED), "a file's text started a line of its own"


@pytest.mark.parametrize("payload", TERMINAL_PAYLOADS, ids=range(len(TERMINAL_PAYLOADS)))
def test_evaluate_text_shows_terminal_payloads_as_visible_escapes(payload, tmp_path, run_cli):
    p = _write(tmp_path, "p.json", _packet(title=payload, name=payload))
    run_cli("validate", p)
    out = run_cli("evaluate", p, "--paths").stdout
    _assert_inert_terminal(out)
    # the text is still there to read, escaped where it acted
    assert escape.terminal(payload, newlines=False) in out


def test_the_programs_own_colours_survive_the_terminal_door(tmp_path):
    from engine import commands
    from engine.book.rules import load_rules
    import click

    p = _write(tmp_path, "p.json", _packet(title=TERMINAL_PAYLOADS[0]))
    out = commands.evaluate(load_rules(None), str(p), None, commands.Settings(),
                            style=lambda t, **kw: click.style(t, **kw)).stdout
    assert isinstance(out, escape.TermText) and escape.terminal_out(out) == out
    assert click.style("NOT READY", fg="red", bold=True) in out  # the program's colour
    assert "\x1b[4A" not in out and "\\x1b[4A" in out  # the packet's sequence, shown


def test_file_names_in_errors_and_ok_lines_are_escaped(tmp_path, run_cli):
    bad = tmp_path / f"x\x1b[2J\r{FORGED}.yaml"
    bad.write_text("schema_version: 1\ncandidate: {}\n", encoding="utf-8")
    good = tmp_path / "ok\u202eyaml.json"
    good.write_text(json.dumps(_packet(), default=str), encoding="utf-8")
    res = run_cli("validate", bad, good, exit_code=3)
    _assert_inert_terminal(res.stdout + res.stderr)
    assert "\\x1b[2J\\x0d" in res.stdout and "ok\\u202eyaml.json: ok" in res.stdout
    res = run_cli("evaluate", bad, exit_code=3)
    _assert_inert_terminal(res.stdout + res.stderr)


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


FORMULAS = ["Sales\r=1+2", "=HYPERLINK(\"https://example.invalid\")", "+1", "-1+1", "@SUM(A1)", "\t=1",
            "  =1+1", "line\n=1+2", 'quote" ,=1']


@pytest.mark.parametrize("value", FORMULAS, ids=range(len(FORMULAS)))
def test_summary_and_criteria_csv_never_start_a_formula(value, tmp_path, run_cli):
    p = _write(tmp_path, "p.json", _packet(org=value, name=value))
    s, c = tmp_path / "s.csv", tmp_path / "c.csv"
    run_cli("batch", p, "--out", tmp_path / "o.jsonl", "--summary", s, "--criteria-csv", c, "--quiet")
    for f, rows_expected in ((s, 2), (c, None)):
        rows = _csv_rows(f)
        width = len(rows[0])
        assert all(len(r) == width for r in rows), f"{f.name}: a field ended its row early"
        if rows_expected:
            assert len(rows) == rows_expected
        for r in rows[1:]:
            for cell in r:
                assert cell.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n"), (f.name, cell)
    summary = dict(zip(*_csv_rows(s)))
    assert summary["org"] == summary["name"] == escape.csv_cell(value)  # kept whole, neutralised if it leads
    assert escape.csv_cell(value).removeprefix("'") == value


def test_compare_csv_quotes_a_bare_cr(tmp_path, run_cli):
    lines = []
    for cid in ("emp-0001", "emp-0002"):
        lines.append({"source": "a.yaml", "candidate": {"id": cid, "name": "Sales\r=1+2"}, "track": "management",
                      "current_level": "mid-pm", "target_level": "senior-pm", "verdict": "not_ready",
                      "criteria": [], "unmet": [], "rules_version": "sha256:0"})
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    new.write_text("".join(json.dumps({**x, "verdict": "ready"}) + "\n" for x in lines), encoding="utf-8")
    out = run_cli("compare", old, new, "--format", "csv", exit_code=None).stdout
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len({len(r) for r in rows}) == 1
    for r in rows[1:]:
        assert all(c[:1] not in ("=", "+", "-", "@") for c in r)


# -- markdown, as a CommonMark renderer reads it ------------------------------------------------------
MARKDOWN_PAYLOADS = [
    "two\r# Forged heading",
    "<details open><summary>x</summary>",
    "![tracker](http://example.invalid/p.png)",
    "[click](javascript:alert(1))",
    "<script>alert(1)</script>",
    "pipe | splits | cells",
    "`code` and *emphasis* and <https://example.invalid>",
    "# heading",
    "1. numbered",
]


def _render(md: str):
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(md)


def _kinds(tokens) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tokens:
        for x in [t, *(t.children or [])]:
            out[x.type] = out.get(x.type, 0) + 1
    return out


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS, ids=range(len(MARKDOWN_PAYLOADS)))
def test_markdown_adds_no_heading_link_image_or_html(payload, tmp_path, run_cli):
    honest = _write(tmp_path, "h.json", _packet(title="Plain title", name="Plain Name"))
    hostile = _write(tmp_path, "x.json", _packet(title=payload, name=payload))
    a = _kinds(_render(run_cli("evaluate", honest, "--format", "markdown").stdout))
    b = _kinds(_render(run_cli("evaluate", hostile, "--format", "markdown").stdout))
    for kind in ("heading_open", "link_open", "image", "html_block", "html_inline", "code_inline", "em_open",
                 "tr_open", "td_open", "bullet_list_open", "ordered_list_open", "list_item_open", "th_open"):
        assert a.get(kind, 0) == b.get(kind, 0), (kind, a.get(kind), b.get(kind))


# -- the doors themselves, at each character class ----------------------------------------------------
@pytest.mark.parametrize("cp", [*range(0x00, 0x20), 0x7f, *range(0x80, 0xa0), 0x061c, 0x200e, 0x200f,
                                *range(0x202a, 0x202f), *range(0x2066, 0x206a), 0x2028, 0x2029])
def test_terminal_escapes_every_control_and_bidi_character(cp):
    ch = chr(cp)
    shown = escape.terminal(f"a{ch}b", newlines=False)
    assert ch not in shown and shown == "a" + (f"\\x{cp:02x}" if cp < 0x20 else f"\\u{cp:04x}") + "b"
    if ch == "\n":
        assert escape.terminal("a\nb") == "a\nb"  # the program's own line breaks stay


@pytest.mark.parametrize("ch", ["é", "→", "✓", "·", "≥", " ", "\u00a0", "\u200b", "😀"])
def test_terminal_keeps_printable_text(ch):
    assert escape.terminal(f"a{ch}b", newlines=False) == f"a{ch}b"


def test_json_printed_to_a_terminal_stays_valid_json():
    doc = {"t": "a\u202eb\x7fc\x85d\u2028"}
    shown = escape.terminal(json.dumps(doc, ensure_ascii=False))
    assert json.loads(shown) == doc and "\u202e" not in shown


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r", "\n", " =", "  +", "\u00a0@"])
def test_csv_cell_neutralises_every_formula_lead(lead):
    assert escape.csv_cell(lead + "1") == "'" + lead + "1"


@pytest.mark.parametrize("text", ["emp-1", "a=b", "1-2", "x@y", "", "Sales"])
def test_csv_cell_leaves_other_text(text):
    assert escape.csv_cell(text) == text


@pytest.mark.parametrize("cells", [["a\rb", "c"], ["a\nb"], ['a"b'], ["a,b"], ["\r"], ["plain", None, True, False]])
def test_csv_line_round_trips_through_the_csv_reader(cells):
    line = escape.csv_line(cells)
    back = next(csv.reader(io.StringIO(line, newline="")))
    want = [escape.csv_cell(c) for c in cells]
    assert back == want and line.count("\n") - sum(c.count("\n") for c in want) == 1


def test_csv_line_quotes_only_what_needs_it():
    assert escape.csv_line(["emp-1", "a b", ""]) == "emp-1,a b,\n"
    assert escape.csv_line(["a\rb"]) == '"a\rb"\n'


@pytest.mark.parametrize("text", MARKDOWN_PAYLOADS + ["a\\", "&amp;", "~~strike~~", "> quote", "- item", "+ item",
                                                      "_under_", "= setext"])
def test_markdown_cell_renders_as_the_same_plain_text(text):
    """In a list item, the escaped text renders to one paragraph holding exactly the original
    characters (line breaks as spaces): nothing became markup."""
    tokens = _render("- " + escape.markdown(text))
    inline = [t for t in tokens if t.type == "inline"]
    assert len(inline) == 1 and [c.type for c in inline[0].children] == ["text"]
    assert inline[0].children[0].content == text.replace("\r", " ").replace("\n", " ")


def test_markdown_keeps_intraword_underscores_plain():
    assert escape.markdown("verified_by") == "verified_by"


def test_markdown_code_never_opens_an_empty_or_broken_span():
    assert escape.markdown_code("") == "(empty)" and escape.markdown_code("a`b") == "`a'b`"


def test_json_output_on_a_terminal_holds_no_bidi_or_c1_and_parses_to_the_same_text(tmp_path, run_cli):
    """JSON escapes C0 controls itself; the terminal door shows the rest as JSON escapes, so the
    line stays valid JSON that decodes to exactly the packet's text."""
    payload = "evil\u202etxt \x85 \x7f \u2066x\u2069"
    p = _write(tmp_path, "p.json", _packet(name=payload))
    out = run_cli("evaluate", p, "--format", "json").stdout
    _assert_inert_terminal(out)
    assert "\x85" not in out and "\x7f" not in out
    assert json.loads(out)["candidate"]["name"] == payload


def test_compare_text_keeps_a_results_files_line_feed_inside_its_line(tmp_path, run_cli):
    run_cli("batch", FIXTURE, "--out", tmp_path / "r.jsonl", "--quiet")
    line = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8"))
    line["candidate"]["id"] = f"emp-1\n{FORGED}\x1b[2J"
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text(json.dumps(line) + "\n", encoding="utf-8")
    new.write_text(json.dumps({**line, "verdict": "ready", "unmet": []}) + "\n", encoding="utf-8")
    res = run_cli("compare", old, new, exit_code=None)
    assert "emp-1\\x0a" in res.stdout  # the edited line was read and shown, escaped
    _assert_inert_terminal(res.stdout + res.stderr)


def _hostile_pack(tmp_path: Path, title: str) -> Path:
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "rules", pack)
    f = pack / "senior-pm.yaml"
    doc = yaml.safe_load(f.read_text(encoding="utf-8"))
    doc["criteria"][0]["title"] = title
    f.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return pack


@pytest.mark.parametrize("payload", TERMINAL_PAYLOADS, ids=range(len(TERMINAL_PAYLOADS)))
def test_a_rule_packs_titles_never_act_on_the_terminal(payload, tmp_path, run_cli):
    pack = _hostile_pack(tmp_path, payload)
    _assert_inert_terminal(run_cli("rules", "show", "--rules", pack).stdout)
    out = run_cli("evaluate", FIXTURE, "--rules", pack).stdout
    _assert_inert_terminal(out)
    assert escape.terminal(payload, newlines=False) in out


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS, ids=range(len(MARKDOWN_PAYLOADS)))
def test_a_rule_packs_titles_add_no_markup_to_rules_show_markdown(payload, tmp_path, run_cli):
    a = _kinds(_render(run_cli("rules", "show", "--format", "markdown").stdout))
    b = _kinds(_render(run_cli("rules", "show", "--format", "markdown", "--rules",
                               _hostile_pack(tmp_path, payload)).stdout))
    for kind in ("heading_open", "link_open", "image", "html_block", "html_inline", "code_inline", "em_open",
                 "tr_open", "td_open"):
        assert a.get(kind, 0) == b.get(kind, 0), (kind, a.get(kind), b.get(kind))
