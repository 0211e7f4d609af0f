"""Every free-text field of the packet schema, hostile at once, through every output.

The fields come from the schema itself (every string with no pattern, enum, format or const), so a
field added to the schema tomorrow is covered by this test without a word changed here. One packet
holds a record of every evidence type and every such field set to the payload; it must still
validate, and evaluate's text, markdown and JSON, paths' text, and batch's summary and criteria CSV
must carry nothing from it that acts: no control or bidi character on the terminal, no markup a
CommonMark renderer would build, no CSV cell that starts a formula or a row that ends early.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from engine.base.resources import schemas_dir

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
BASE = FIXTURES / "kofi-lanternwick-mid-to-director-ready.yaml"

PAYLOADS = {
    "terminal": "\x1b[4A\r\x1b[2KREADY\x07\x08\u202e\u2066\x9b2J\nREADY — forged line",
    "markdown": "x\r# Forged [link](javascript:alert(1)) ![i](http://example.invalid/i.png) <script>s</script> | `c`",
    "csv": "=HYPERLINK(\"https://example.invalid\")\r=1+2,\"x\"",
}
ACTING = ["\x1b", "\r", "\x07", "\x08", "\u202e", "\u2066", "\x9b"]


def _free_text_fields() -> dict[tuple[str, ...], int]:
    """(evidence type or "candidate"/"packet"/"committee", field path...) of every free-text string,
    with its maxLength (a payload is cut to it, so the packet stays valid)."""
    schema = json.loads((schemas_dir() / "packet.schema.json").read_text(encoding="utf-8"))
    defs = schema["$defs"]
    out: dict[tuple[str, ...], int] = {}

    def walk(node, owner: str, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in ("metric",):
                walk(defs[name], owner, path)
            return
        if node.get("type") == "string" and not any(k in node for k in ("pattern", "enum", "format", "const")):
            out[(owner, *path)] = node.get("maxLength", 10_000)
        for key, sub in node.get("properties", {}).items():
            walk(sub, owner, (*path, key))
        if "items" in node:
            walk(node["items"], owner, (*path, "[]"))

    walk(schema["properties"]["candidate"], "candidate", ())
    for key in ("notes",):
        walk(schema["properties"][key], "packet", (key,))
    walk(defs["committee"], "committee", ())
    for name, d in defs.items():
        if "type" in d.get("properties", {}) and "title" in d.get("properties", {}):
            walk(d, name, ())
    return dict(sorted(out.items()))


FIELDS = _free_text_fields()


def _one_record_per_type() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for f in sorted(FIXTURES.glob("*.yaml")):
        for ev in yaml.safe_load(f.read_text(encoding="utf-8")).get("evidence", []):
            found.setdefault(ev["type"], ev)
    return found


def _set(node, path: tuple[str, ...], value: str) -> None:
    key, rest = path[0], path[1:]
    if key == "[]":
        items = node if isinstance(node, list) else []
        for i in range(len(items)):
            if rest:
                _set(items[i], rest, value)
            else:
                items[i] = value
        return
    if not rest:
        node[key] = value
        return
    if key not in node:
        node[key] = [{}] if rest[0] == "[]" else {}
        if rest[0] == "[]" and len(rest) == 1:
            node[key] = [value]
            return
    _set(node[key], rest, value)


def _hostile_packet(payload: str) -> dict:
    doc = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    have = {ev["type"] for ev in doc["evidence"]}
    end = doc["period"]["end"]
    for n, (t, ev) in enumerate(sorted(_one_record_per_type().items())):
        if t not in have:
            doc["evidence"].append({**ev, "id": f"ev-x{n:02d}", "date": end})
    doc["committee"] = {"reason": "r"}
    for (owner, *path), longest in FIELDS.items():
        payload_here = payload[:longest]
        if owner == "candidate":
            _set(doc["candidate"], tuple(path), payload_here)
        elif owner == "packet":
            _set(doc, tuple(path), payload_here)
        elif owner == "committee":
            _set(doc["committee"], tuple(path), payload_here)
        else:
            for ev in doc["evidence"]:
                if ev["type"] == owner:
                    _set(ev, tuple(path), payload_here)
    return doc


def test_the_fields_come_from_the_schema():
    """Every evidence type's title and notes, a feedback giver's role, a metric's name, the
    candidate's name and org: the walk finds them (if it found nothing, the test would pass empty)."""
    assert ("candidate", "name") in FIELDS and ("candidate", "org") in FIELDS
    assert ("stakeholder_feedback", "from", "role") in FIELDS and ("stakeholder_feedback", "quote") in FIELDS
    assert ("shipped_outcome", "metrics", "[]", "name") in FIELDS
    types = {f[0] for f in FIELDS} - {"candidate", "packet", "committee"}
    assert len(types) >= 12 and all((t, "title") in FIELDS for t in types)


@pytest.fixture(scope="module", params=sorted(PAYLOADS))
def hostile(request, tmp_path_factory) -> tuple[str, Path]:
    p = tmp_path_factory.mktemp("hostile") / "p.json"
    p.write_text(json.dumps(_hostile_packet(PAYLOADS[request.param]), default=str), encoding="utf-8")
    return request.param, p


def test_the_hostile_packet_is_valid(hostile, run_cli):
    run_cli("validate", hostile[1])


def test_terminal_outputs_are_inert(hostile, run_cli):
    _, p = hostile
    for args in (["evaluate", p], ["evaluate", p, "--paths"], ["paths", p], ["evaluate", p, "--format", "json"],
                 ["evaluate", p, "--target", "vp"]):
        res = run_cli(*args)
        for ch in ACTING:
            assert ch not in res.stdout + res.stderr, (args, repr(ch))
        assert not any(line.startswith("READY — forged") for line in res.stdout.splitlines())


def _kinds(md: str) -> dict[str, int]:
    from markdown_it import MarkdownIt

    out: dict[str, int] = {}
    for t in MarkdownIt("commonmark").enable("table").parse(md):
        for x in [t, *(t.children or [])]:
            out[x.type] = out.get(x.type, 0) + 1
    return out


def test_markdown_outputs_build_no_markup(hostile, run_cli, tmp_path):
    _, p = hostile
    honest = tmp_path / "h.json"
    honest.write_text(json.dumps(_hostile_packet("plain words"), default=str), encoding="utf-8")
    for args in (["evaluate", "--format", "markdown"], ["paths", "--format", "markdown"],
                 ["case", "--format", "markdown"]):
        a = _kinds(run_cli(*args[:1], honest, *args[1:]).stdout)
        b = _kinds(run_cli(*args[:1], p, *args[1:]).stdout)
        for kind in ("heading_open", "link_open", "image", "html_block", "html_inline", "code_inline", "td_open",
                     "tr_open", "list_item_open"):
            assert a.get(kind, 0) == b.get(kind, 0), (args, kind)


def test_csv_outputs_never_start_a_formula(hostile, run_cli, tmp_path):
    _, p = hostile
    s, c = tmp_path / "s.csv", tmp_path / "c.csv"
    run_cli("batch", p, "--out", tmp_path / "o.jsonl", "--summary", s, "--criteria-csv", c, "--quiet")
    for f in (s, c):
        rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8"), newline="")))
        assert len({len(r) for r in rows}) == 1, f.name
        for r in rows[1:]:
            assert all(cell.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n") for cell in r), (f.name, r)


def test_the_case_page_builds_no_element_from_any_field(hostile, run_cli, tmp_path):
    """The case page (ladder case, HTML) of the packet with every free-text field hostile has the
    same elements, in the same numbers, as the page of the same packet with plain words: nothing
    from a field became a tag or an attribute; and no control character reaches the page."""
    import re

    _, p = hostile
    honest = tmp_path / "h.json"
    honest.write_text(json.dumps(_hostile_packet("plain words"), default=str), encoding="utf-8")

    def tags(page: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)\b", page):
            out[t] = out.get(t, 0) + 1
        return out

    a, b = run_cli("case", honest).stdout, run_cli("case", p).stdout
    assert tags(a) == tags(b)
    for ch in ACTING:
        assert ch not in b, repr(ch)
