"""ladder import / export: the spreadsheet layout (docs/packets.md) round-trips every packet, value
for value (packet_sha256 equal), as CSV and as a workbook; a bad cell is named by its sheet, row and
column, never echoed; formulas are never evaluated; text that looks like a formula stays text."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

PACKETS = sorted(FIXTURES.glob("*.yaml"))


def _sha(data: dict) -> str:
    from engine.core.evidence import packet_sha256

    return packet_sha256(data)


def _loaded(path) -> dict:
    from engine.core import pipeline

    return pipeline.load(str(path)).data


def _round_trip(run_cli, tmp_path: Path, inputs: list, kind: str) -> Path:
    sheet = tmp_path / f"cycle.{kind}"
    run_cli("export", *inputs, "--out", sheet)
    out = tmp_path / f"imported-{kind}"
    args = ["--candidates", tmp_path / "cycle-candidates.csv"] if kind == "csv" else []
    run_cli("import", sheet, *args, "--out", out)
    return out


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_fixtures_round_trip_value_for_value(run_cli, tmp_path, kind):
    out = _round_trip(run_cli, tmp_path, PACKETS, kind)
    for p in PACKETS:
        data = _loaded(p)
        back = json.loads((out / f"{data['candidate']['id']}.json").read_text(encoding="utf-8"))
        assert _sha(back) == _sha(data), p.name
    assert len(list(out.iterdir())) == len({_loaded(p)["candidate"]["id"] for p in PACKETS})


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_is_byte_identical_run_to_run(run_cli, tmp_path, kind):
    a, b = tmp_path / f"a.{kind}", tmp_path / f"b.{kind}"
    run_cli("export", *PACKETS[:6], "--out", a)
    run_cli("export", *PACKETS[:6], "--out", b)
    assert a.read_bytes() == b.read_bytes()


# text a spreadsheet would act on, or that tests the layout's own marks: each must come back as it was
AWKWARD_TEXT = ["=1+1", "+44 20", "-dash", "@mention", "'quoted", "''two", " =spaced", "a,b", 'say "hi"',
                           "line\nbreak", "tab\there", "=HYPERLINK(\"https://example.invalid\",\"x\")", "é ü 中文",
                           "trailing ", " leading", "semi;colon", "0042", "true", "1e3", "3.0"]
AWKWARD = st.sampled_from(AWKWARD_TEXT)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), i=st.integers(0, 500), texts=st.lists(AWKWARD, min_size=1, max_size=4))
@example(seed=20260630, i=7, texts=AWKWARD_TEXT)  # every awkward text at least once, on every run
def test_generated_packets_round_trip_through_both_layouts(run_cli, tmp_path_factory, seed, i, texts):
    """Generated packets (bench/generate.py, every evidence type, metrics, feedback, mentees),
    with awkward text put into titles, quotes and the candidate's name, come back equal."""
    tmp = tmp_path_factory.mktemp("rt")
    packets = []
    for k in range(2):
        p = generate.make_packet(seed, i + k)
        for j, ev in enumerate(p["evidence"]):
            ev["title"] = texts[j % len(texts)] + ev.get("title", "x")[:20] if "title" in ev else ev.get("title")
            if ev.get("type") == "stakeholder_feedback":
                ev["quote"] = texts[(j + 1) % len(texts)]
            if ev.get("title") is None:
                del ev["title"]
        p["candidate"]["name"] = texts[-1] + " Name"
        # the packet's own parts a spreadsheet must carry too: notes, the committee's word, x- fields
        p["notes"] = texts[0] + " for the committee"
        p["x-source"] = texts[-1]
        p["candidate"]["x-band"] = "band-7"  # an x- field is text (export refuses anything else)
        for j, ev in enumerate(p["evidence"]):
            ev["x-row"] = texts[j % len(texts)]  # a record's own x- field
        p["committee"] = {"decision": "deferred", "decided_on": "2026-07-01", "reason": texts[0] + " reason"}
        f = tmp / f"p{k}.json"
        f.write_text(json.dumps(p), encoding="utf-8")
        packets.append(f)
    for kind in ("csv", "xlsx"):
        out = _round_trip(run_cli, tmp, packets, kind)
        for f in packets:
            data = _loaded(f)
            back = json.loads((out / f"{data['candidate']['id']}.json").read_text(encoding="utf-8"))
            assert back == data, kind
            assert _sha(back) == _sha(data), kind


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


CANDS = [["candidate_id", "name", "current_level", "target_level", "period.start", "period.end"],
         ["emp-7001", "Wren Halloway", "mid-pm", "senior-pm", "2025-07-01", "2026-06-30"]]
HEAD = ["candidate_id", "id", "type", "date", "title", "rating", "from.relationship", "from.id", "themes", "on_time",
        "role", "scope", "metrics.1.name", "metrics.1.kind", "metrics.1.baseline", "metrics.1.result"]


def test_typed_columns_nested_fields_lists_and_numbered_metrics(run_cli, tmp_path):
    ev = _csv(tmp_path / "ev.csv", [HEAD,
        ["emp-7001", "", "stakeholder_feedback", "2026-05-02", "", "5", "peer", "emp-3001", "alignment; influence",
         "", "", "", "", "", "", ""],
        ["emp-7001", "ev-ship", "shipped_outcome", "2026-03-10", "=SUM(A1:A9)", "", "", "", "", "TRUE", "led",
         "product-area", "checkout conversion", "business", "2.1", "2.6"]])
    run_cli("import", ev, "--candidates", _csv(tmp_path / "c.csv", CANDS), "--out", tmp_path / "out")
    p = json.loads((tmp_path / "out" / "emp-7001.json").read_text(encoding="utf-8"))
    fb, ship = p["evidence"]
    assert fb == {"id": "ev-01", "type": "stakeholder_feedback", "date": "2026-05-02", "rating": 5,
                  "from": {"relationship": "peer", "id": "emp-3001"}, "themes": ["alignment", "influence"]}
    assert ship["title"] == "=SUM(A1:A9)" and ship["on_time"] is True  # text, never run
    assert ship["metrics"] == [{"name": "checkout conversion", "kind": "business", "baseline": 2.1, "result": 2.6}]
    assert p["candidate"] == {"id": "emp-7001", "name": "Wren Halloway", "current_level": "mid-pm",
                              "target_level": "senior-pm"}
    assert p["period"] == {"start": "2025-07-01", "end": "2026-06-30"}


def test_a_bad_cell_is_named_by_sheet_row_and_column_never_echoed(run_cli, tmp_path):
    secret = "SECRET-free-text"
    ev = _csv(tmp_path / "ev.csv", [HEAD,
        ["emp-7001", "ev-1", "stakeholder_feedback", "2026-05-02", "", secret, "peer", "", "", "", "", "", "", "", "", ""],
        ["emp-7001", "ev-2", "stakeholder_feedback", "2026-05-02", "", "9", "peer", "", "", "", "", "", "", "", "", ""],
        ["emp-7001", "ev-3", "shipped_outcome", "2026-05-02", "t", "", "", "", "", secret, "led", "feature", "", "", "",
         ""],
        ["emp-9999", "ev-4", "learning", "2026-05-02", "t", "", "", "", "", "", "", "", "", "", "", ""],
        ["emp-7001", "ev-5", "not_a_type", "2026-05-02", "t", "", "", "", "", "", "", "", "", "", "", ""]])
    r = run_cli("import", ev, "--candidates", _csv(tmp_path / "c.csv", CANDS), "--out", tmp_path / "out", exit_code=3)
    assert "sheet evidence, row 2, column rating: is not a whole number" in r.stderr
    assert "sheet evidence, row 3, column rating:" in r.stderr  # 9: out of range, from the packet schema
    assert "sheet evidence, row 4, column on_time: is not true or false" in r.stderr
    assert "sheet evidence, row 5, column candidate_id: no row for this candidate" in r.stderr
    assert "sheet evidence, row 6, column type: not an evidence type" in r.stderr
    assert secret not in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "emp-7001.json").exists()  # a packet with a problem is not written


def test_a_formula_in_a_workbook_is_refused_and_formula_like_text_is_text(run_cli, tmp_path):
    import openpyxl

    def book(title_cell):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "evidence"
        ws.append(["candidate_id", "id", "type", "date", "title", "role", "scope"])
        ws.append(["emp-7001", "ev-1", "shipped_outcome", "2026-03-10", "placeholder", "led", "feature"])
        ws["E2"] = title_cell
        c = wb.create_sheet("candidates")
        for row in CANDS:
            c.append(row)
        return wb

    wb = book("=1+1")  # openpyxl stores a string starting with = as a formula
    wb.save(tmp_path / "f.xlsx")
    r = run_cli("import", tmp_path / "f.xlsx", "--out", tmp_path / "o1", exit_code=3)
    assert "sheet evidence, row 2, column E: a formula; ladder reads values and never evaluates formulas" in r.stderr
    wb = book("placeholder")
    wb["evidence"]["E2"].value = "=SUM(B2:B9)"
    wb["evidence"]["E2"].data_type = "s"  # a text cell that only looks like a formula
    wb.save(tmp_path / "t.xlsx")
    run_cli("import", tmp_path / "t.xlsx", "--out", tmp_path / "o2")
    assert json.loads((tmp_path / "o2" / "emp-7001.json").read_text(encoding="utf-8"))["evidence"][0]["title"] == "=SUM(B2:B9)"


def test_import_usage_errors(run_cli, tmp_path):
    r = run_cli("import", tmp_path / "missing.csv", "--out", tmp_path / "o", exit_code=2)
    assert "no such file" in r.stderr
    (tmp_path / "bin.xlsx").write_bytes(b"not a zip")
    r = run_cli("import", tmp_path / "bin.xlsx", "--out", tmp_path / "o", exit_code=2)
    assert "not a readable CSV (UTF-8) or XLSX file" in r.stderr and "Traceback" not in r.stderr


def test_the_example_cycle_runs_from_its_spreadsheet_to_the_report(run_cli, tmp_path):
    """examples/cycle-2026-h1: 30 candidates in a workbook (and the same as CSV) -> packets ->
    verdicts -> the report with its charts; the committed files are what export writes."""
    ex = ROOT / "examples" / "cycle-2026-h1"
    run_cli("import", ex / "evidence.xlsx", "--out", tmp_path / "packets")
    run_cli("import", ex / "evidence.csv", "--candidates", ex / "evidence-candidates.csv", "--out", tmp_path / "p2")
    names = sorted(p.name for p in (tmp_path / "packets").iterdir())
    assert len(names) == 30 and names == sorted(p.name for p in (tmp_path / "p2").iterdir())
    for n in names:
        assert (tmp_path / "packets" / n).read_bytes() == (tmp_path / "p2" / n).read_bytes()
    run_cli("batch", tmp_path / "packets", "--out", tmp_path / "r.jsonl", "--html", tmp_path / "cycle.html", "--quiet")
    page = (tmp_path / "cycle.html").read_text(encoding="utf-8")
    assert page.count('data-chart="meters"') == 30 and 'data-chart="verdicts"' in page and "Verdicts by org" in page
    run_cli("export", tmp_path / "packets", "--out", tmp_path / "again.xlsx")
    run_cli("export", tmp_path / "packets", "--out", tmp_path / "again.csv")
    assert (tmp_path / "again.xlsx").read_bytes() == (ex / "evidence.xlsx").read_bytes()
    assert (tmp_path / "again.csv").read_bytes() == (ex / "evidence.csv").read_bytes()
    assert (tmp_path / "again-candidates.csv").read_bytes() == (ex / "evidence-candidates.csv").read_bytes()


# -- the workbook reader (engine/base/xlsx.py) against openpyxl's, on what other programs write -----------
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES = (f'<styleSheet {_NS}><numFmts count="3"><numFmt numFmtId="164" formatCode="0.0"/>'
           '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="166" formatCode="[$-409]d mmm yyyy;@"/>'
           '</numFmts><fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill><patternFill/></fill>'
           '</fills><borders count="1"><border/></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="8">'
           '<xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/><xf numFmtId="22"/>'
           '<xf numFmtId="46"/><xf numFmtId="166"/><xf numFmtId="2"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_STRINGS = (f'<sst {_NS} count="5" uniqueCount="5"><si><t>candidate_id</t></si><si><t xml:space="preserve"> spaced </t></si>'
            '<si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> and plain</t></r></si>'
            '<si><t>漢字</t><rPh sb="0" eb="1"><t>かんじ</t></rPh></si><si><t>a_x005F_x000D_b</t></si></sst>')
_CELLS = [  # (r, t, s, inner XML)
    ("A1", "s", None, "<v>0</v>"), ("B1", "inlineStr", None, "<is><t>title</t></is>"), ("C1", "s", None, "<v>1</v>"),
    ("A2", "s", None, "<v>2</v>"), ("B2", "s", None, "<v>3</v>"), ("C2", "s", None, "<v>4</v>"),
    ("D2", None, None, "<v>42</v>"), ("E2", None, None, "<v>2.5</v>"), ("F2", None, None, "<v>1E3</v>"),
    ("G2", None, "1", "<v>3</v>"), ("H2", None, "7", "<v>3</v>"), ("I2", None, "2", "<v>46022</v>"),
    ("J2", None, "3", "<v>46022.5</v>"), ("K2", None, "4", "<v>45000.25</v>"), ("L2", None, "5", "<v>1.5</v>"),
    ("M2", None, "2", "<v>0.75</v>"), ("N2", None, "6", "<v>46000</v>"), ("O2", "b", None, "<v>1</v>"),
    ("P2", "b", None, "<v>0</v>"), ("Q2", "str", None, "<v>cached</v>"), ("R2", "e", None, "<v>#N/A</v>"),
    ("S2", "d", None, "<v>2026-03-10</v>"), ("T2", "d", None, "<v>2026-03-10T09:30:00</v>"),
    ("U2", "inlineStr", None, "<is><r><t>run</t></r><r><t>s</t></r></is>"), ("V2", "inlineStr", None, "<is/>"),
    ("W2", None, None, "<v></v>"), ("X2", None, None, ""),
    ("AB2", "inlineStr", None, "<is><t>line\nbreak\ttab</t></is>"), ("ZZ2", None, None, "<v>-0.125</v>"),
]


def _workbook(path: Path, cells: list, date1904: bool = False, rows_xml: str | None = None) -> Path:
    import zipfile

    rows: dict[str, list[str]] = {}
    for ref, t, s, inner in cells:
        attrs = f' r="{ref}"' + (f' t="{t}"' if t else "") + (f' s="{s}"' if s else "")
        rows.setdefault(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), []).append(f"<c{attrs}>{inner}</c>")
    data = rows_xml if rows_xml is not None else "".join(f'<row r="{n}">{"".join(c)}</row>' for n, c in rows.items())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        pr = ' date1904="1"' if date1904 else ""
        z.writestr("xl/workbook.xml", f'<workbook {_NS}><workbookPr{pr}/><sheets>'
                   '<sheet name="Evidence " sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{_REL}/styles" Target="/xl/styles.xml"/>'
                   f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/sharedStrings.xml", _STRINGS)
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet {_NS}><sheetData>{data}</sheetData></worksheet>")
    return path


def _as_openpyxl_reads(path: Path) -> dict:
    """The values the importer took from openpyxl (read-only) before it read the XML itself."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    out = {}
    for ws in wb.worksheets:
        ws.reset_dimensions()  # none written: every cell read
        rows = []
        for r, row in enumerate(ws.iter_rows(), start=1):
            cells = {}
            for c, cell in enumerate(row, start=1):
                v = cell.value
                if v is None:
                    continue
                if type(v) is int and "." in (getattr(cell, "number_format", "") or ""):
                    v = float(v)
                cells[c] = v
            if cells:
                rows.append((r, cells))
        out[ws.title] = rows
    wb.close()
    return out


@pytest.mark.parametrize("date1904", [False, True])
def test_the_workbook_reader_gives_the_values_openpyxl_gives(tmp_path, date1904):
    from engine.base import xlsx

    book = _workbook(tmp_path / "w.xlsx", _CELLS, date1904)
    ours = xlsx.read_workbook(str(book))
    theirs = _as_openpyxl_reads(book)
    assert ours == theirs
    assert [(k, type(v)) for k, v in ours["Evidence "][1][1].items()] == \
           [(k, type(v)) for k, v in theirs["Evidence "][1][1].items()]  # 3.0 stays a float, True a bool
    # rows and cells without a reference, a missing row, cells out of order: placed as openpyxl places them
    rows_xml = ('<row><c t="inlineStr"><is><t>candidate_id</t></is></c><c><v>1</v></c></row>'
                '<row r="4"><c r="C4"><v>3</v></c><c r="A4"><v>1</v></c><c><v>2</v></c><c r="D4"><v>4</v></c></row>'
                '<row><c><v>5</v></c></row>')
    book = _workbook(tmp_path / "r.xlsx", [], rows_xml=rows_xml)
    assert xlsx.read_workbook(str(book)) == _as_openpyxl_reads(book)


def test_a_formula_anywhere_in_a_workbook_is_named_by_its_cell(run_cli, tmp_path):
    book = _workbook(tmp_path / "f.xlsx", [("A1", "s", None, "<v>0</v>"), ("C7", None, None, "<f>1+1</f><v>2</v>")])
    r = run_cli("import", book, "--out", tmp_path / "o", exit_code=3)
    assert "sheet Evidence , row 7, column C: a formula" in r.stderr


def _declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite the size a zip declares for a member (the bytes stay small): what a zip bomb claims."""
    import struct
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    name = member.encode()
    at = data.find(b"PK\x01\x02")  # each central directory entry
    while at >= 0:
        if data[at + 46:at + 46 + len(name)] == name:
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["bomb", "truncated", "not-xml", "no-workbook", "bad-number", "bad-string-index"])
def test_a_damaged_workbook_is_a_usage_error_never_a_traceback(run_cli, tmp_path, damage):
    import zipfile

    book = _workbook(tmp_path / "d.xlsx", _CELLS)
    if damage == "bomb":
        _declared_size(book, "xl/worksheets/sheet1.xml", 0xFFFFFFF0)
    elif damage == "truncated":
        book.write_bytes(book.read_bytes()[:-200])
    elif damage == "not-xml":
        _workbook(book, [], rows_xml="<row><c><v>1</v></row>")
    elif damage == "no-workbook":
        with zipfile.ZipFile(book, "w") as z:
            z.writestr("hello.txt", "hi")
    elif damage == "bad-number":
        _workbook(book, [("A1", None, None, "<v>12abc</v>")])
    else:
        _workbook(book, [("A1", "s", None, "<v>999</v>")])
    r = run_cli("import", book, "--out", tmp_path / "o", exit_code=2)
    assert "Traceback" not in r.stderr
    assert ("more than 256 MiB" if damage == "bomb" else "not a readable CSV (UTF-8) or XLSX file") in r.stderr


def test_export_refuses_what_the_layout_cannot_hold_and_writes_nothing(run_cli, tmp_path):
    """All or nothing: an x- field holding a mapping (valid in a packet, one cell in a sheet), or a
    packet that is not valid, is named (file and field, once) and no spreadsheet is written."""
    for where, value in (("packet", 3), ("record", {"row": 3}), ("record", 7), ("record", ["a", "b"]),
                         ("record", True)):
        d = yaml.safe_load(PACKETS[0].read_text(encoding="utf-8"))
        if where == "packet":
            d["x-n"] = value
        else:
            d["evidence"][0]["x-src"] = value
        f = tmp_path / "x.yaml"
        f.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
        run_cli("validate", f)  # a valid packet...
        r = run_cli("export", f, "--out", tmp_path / "x.xlsx", exit_code=3)  # ...that a sheet cannot carry
        assert "x- field is one cell of text" in r.stderr and not (tmp_path / "x.xlsx").exists(), (where, value)
    d = yaml.safe_load(PACKETS[0].read_text(encoding="utf-8"))
    d["x-source"] = {"tool": "hr", "n": 3}
    rich = tmp_path / "rich.yaml"
    rich.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    run_cli("validate", rich)
    for kind in ("xlsx", "csv"):
        out = tmp_path / f"o.{kind}"
        r = run_cli("export", PACKETS[1], rich, "--out", out, exit_code=3)
        assert f"{rich}: packet.x-source: an x- field is one cell of text" in r.stderr
        assert "packet.x-source: packet.x-source" not in r.stderr and "nothing written" in r.stderr
        assert not out.exists() and not (tmp_path / "o-candidates.csv").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\ncandidate: {id: emp-9}\n", encoding="utf-8")
    r = run_cli("export", bad, "--out", tmp_path / "b.xlsx", exit_code=3)
    assert not (tmp_path / "b.xlsx").exists() and "nothing written" in r.stderr
