"""The workbook reader (engine.base.xlsx) held to openpyxl's values on generated workbooks.

tests/test_spreadsheet.py compares the two readers on one hand-written workbook; the mutation run
showed that a built-in number format renumbered, the 1900 leap-year correction at its edge (serial
60), a row written out of order, date1904="true" or a column past Z could each change what `ladder
import` reads without a test noticing. Here every built-in format id, the serials either side of
each edge, rows and cells in any order and ISO date cells are generated and both readers must agree
value for value and type for type. The size limit is tested at its exact byte."""
from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.base import xlsx

from test_spreadsheet import _as_openpyxl_reads  # openpyxl: a test dependency, never skipped


_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# cellXfs: style i has number format FORMATS[i]: every built-in id, then custom ones
CUSTOM = {164: "0.0", 165: "yyyy\\-mm\\-dd", 166: "[$-409]d mmm yyyy;@", 167: "[h]:mm:ss.000", 168: '"d" 0',
          169: "[Red]0.00", 170: "hh:mm;@", 171: "[mm]:ss"}
FORMATS = list(range(0, 50)) + sorted(CUSTOM)
SERIALS = ["0", "0.5", "0.999999", "1", "1.25", "59", "59.5", "60", "60.5", "61", "61.75", "366", "45000.25",
           "46022", "46022.5", "2958465", "-1", "3", "42", "1E3", "2.5", "0.0001"]
ISO = ["2026-03-10", "2026-03-10T09:30:00", "2026-03-10T09:30:00.250", "2026-03-10T09:30", "09:30:00",
       "09:30:00.5", "23:59", "PT1H30M", "PT45S", "PT2H0M1.5S", "2026-03-10T09:30:00Z"]


def styles_xml() -> str:
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{c.replace(chr(34), "&quot;")}"/>' for i, c in CUSTOM.items())
    xfs = "".join(f'<xf numFmtId="{i}"/>' for i in FORMATS)
    return (f'<styleSheet {_NS}><numFmts count="{len(CUSTOM)}">{fmts}</numFmts><fonts count="1"><font><sz val="11"/>'
            '</font></fonts><fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/></borders>'
            f'<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="{len(FORMATS)}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def column(n: int) -> str:
    """The reference letters of column n, worked out by hand (A=1, Z=26, AA=27, ZZ=702, AAA=703)."""
    out = ""
    while n > 0:
        n -= 1
        out = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 26] + out
        n //= 26
    return out


def write_book(path: Path, rows_xml: str, pr: str = "", extra_rels: str = "", styles: str | None = "",
               sheet_rid: str = "rId1", root_rels: bool = True, parts: dict[str, str] | None = None) -> Path:
    """A one-sheet workbook as other programs write it. styles: "" the styles above, None no styles part
    (nor its relationship), else the styles part's XML; parts: more members, written as given."""
    style_rel = f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>' if styles is not None else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.styles+xml"/></Types>')
        if root_rels:
            z.writestr("_rels/.rels",
                       '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                       f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook {_NS}><workbookPr{pr}/><sheets>'
                   f'<sheet name="S" sheetId="1" r:id="{sheet_rid}"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'{style_rel}{extra_rels}</Relationships>')
        if styles is not None:
            z.writestr("xl/styles.xml", styles or styles_xml())
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet {_NS}><sheetData>{rows_xml}</sheetData></worksheet>")
        for name, text in (parts or {}).items():
            z.writestr(name, text)
    return path


def openpyxl_reads(path: Path) -> dict:
    with warnings.catch_warnings():  # openpyxl warns of a date out of range; it reads it as #VALUE!, as we do
        warnings.simplefilter("ignore", UserWarning)
        return _as_openpyxl_reads(path)


def typed(book: dict) -> dict:
    return {t: [(r, [(c, type(v).__name__, v) for c, v in cells.items()]) for r, cells in rows]
            for t, rows in book.items()}


def assert_same(path: Path) -> None:
    ours, theirs = xlsx.read_workbook(str(path)), openpyxl_reads(path)
    assert typed(ours) == typed(theirs)


@pytest.mark.parametrize("pr", ["", ' date1904="1"', ' date1904="true"', ' date1904="0"', ' date1904="false"'])
def test_every_built_in_format_and_every_serial_edge_reads_as_openpyxl_reads_it(tmp_path, pr):
    rows = []
    for r, serial in enumerate(SERIALS, start=1):
        cells = "".join(f'<c r="{column(s + 1)}{r}" s="{s}"><v>{serial}</v></c>' for s in range(len(FORMATS)))
        rows.append(f'<row r="{r}">{cells}</row>')
    assert_same(write_book(tmp_path / "f.xlsx", "".join(rows), pr))


def test_iso_date_cells_read_as_openpyxl_reads_them(tmp_path):
    cells = "".join(f'<c r="{column(i + 1)}1" t="d"><v>{v}</v></c>' for i, v in enumerate(ISO))
    assert_same(write_book(tmp_path / "d.xlsx", f'<row r="1">{cells}</row>'))


CELL = st.one_of(
    st.tuples(st.just("n"), st.sampled_from(SERIALS), st.integers(0, len(FORMATS) + 2)),  # past the last style too
    st.tuples(st.just("b"), st.sampled_from(["0", "1"]), st.none()),
    st.tuples(st.just("inlineStr"), st.text("ab c", max_size=4), st.none()),
    st.tuples(st.just("d"), st.sampled_from(ISO), st.none()),
    st.tuples(st.just("e"), st.sampled_from(["#N/A", "#DIV/0!"]), st.none()),
)
ROW = st.tuples(st.one_of(st.none(), st.integers(1, 6)),  # a row without r= follows the one before
                st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 730)), CELL), max_size=5))


def cell_xml(ref: str | None, cell: tuple) -> str:
    t, v, s = cell
    attrs = (f' r="{ref}"' if ref else "") + ("" if t == "n" else f' t="{t}"') + (f' s="{s}"' if s is not None else "")
    inner = f"<is><t>{v}</t></is>" if t == "inlineStr" else f"<v>{v}</v>"
    return f"<c{attrs}>{inner}</c>"


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=7), pr=st.sampled_from(["", ' date1904="1"', ' date1904="true"']))
def test_generated_sheets_in_any_order_read_as_openpyxl_reads_them(tmp_path_factory, rows, pr):
    body = ""
    for r, cells in rows:
        cols, col = [], 0
        for n, _ in cells:  # the column each cell lands in: its reference's, else the one after the last
            col = n if n is not None and r is not None else col + 1
            cols.append(col)
        assume(not cols or cols[-1] == max(cols))  # openpyxl drops a cell right of the row's last (see below)
        cxml = "".join(cell_xml(None if n is None or r is None else f"{column(n)}{r}", c) for n, c in cells)
        body += (f'<row r="{r}">' if r is not None else "<row>") + cxml + "</row>"
    assert_same(write_book(tmp_path_factory.mktemp("g") / "g.xlsx", body, pr))


@pytest.mark.parametrize("n, letters", [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"), (702, "ZZ"),
                                        (703, "AAA"), (16384, "XFD")])
def test_column_letters_both_ways(n, letters):
    assert xlsx.column_letter(n) == letters == column(n)
    assert xlsx._column_number(letters) == n and xlsx._column_number("$" + letters.lower() + "9") == n


def test_a_formula_is_named_by_its_cell_past_column_z(tmp_path):
    book = write_book(tmp_path / "f.xlsx", '<row r="7"><c r="AB7"><f>1+1</f><v>2</v></c></row>')
    with pytest.raises(xlsx.FormulaCell) as e:
        xlsx.read_workbook(str(book))
    assert str(e.value) == "S!AB7" and (e.value.row, e.value.column) == (7, 28)


def test_an_external_relationship_is_never_read_as_a_part(tmp_path):
    ext = f'<Relationship Id="rId9" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml" TargetMode="External"/>'
    book = write_book(tmp_path / "e.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', extra_rels=ext)
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: 1})]}


def test_the_unpacked_size_limit_holds_at_its_exact_byte(tmp_path, monkeypatch):
    book = write_book(tmp_path / "s.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>')
    opened = []
    real = xlsx._Book.open

    def spy(self, name):
        opened.append(name)
        return real(self, name)

    monkeypatch.setattr(xlsx._Book, "open", spy)
    xlsx.read_workbook(str(book))
    with zipfile.ZipFile(book) as z:
        total = sum(z.getinfo(n).file_size for n in opened)
    monkeypatch.setattr(xlsx, "MAX_UNPACKED", total)
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: 1})]}
    monkeypatch.setattr(xlsx, "MAX_UNPACKED", total - 1)
    with pytest.raises(xlsx.TooLarge):
        xlsx.read_workbook(str(book))


def test_the_limit_is_256_mib_and_says_so(tmp_path, monkeypatch):
    assert xlsx.MAX_UNPACKED == 256 * 1024 * 1024
    book = write_book(tmp_path / "s.xlsx", "")
    monkeypatch.setattr(xlsx, "MAX_UNPACKED", 10)
    with pytest.raises(xlsx.TooLarge, match=r"^unpacks to more than 0 MiB$"):
        xlsx.read_workbook(str(book))


def test_a_cell_right_of_the_rows_last_is_kept(tmp_path):
    """Where openpyxl and this reader part: a row whose references go back (C then A) keeps every cell,
    in column order; openpyxl's reader ends the row at its last cell's column and loses C."""
    book = write_book(tmp_path / "b.xlsx", '<row r="1"><c r="C1"><v>3</v></c><c r="A1"><v>1</v></c></row>')
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: 1, 3: 3})]}
    assert list(xlsx.read_workbook(str(book))["S"][0][1]) == [1, 3]
    assert openpyxl_reads(book) == {"S": [(1, {1: 1})]}


def test_a_long_sheet_is_let_go_row_by_row(tmp_path, monkeypatch):
    """Each row read is let go: the sheet's tree holds at most the rows of one parser chunk (about
    16 KB of XML), never the whole sheet."""
    n = 20000
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, n + 1))
    book = write_book(tmp_path / "l.xlsx", body)
    held = []

    real_iterparse = xlsx.iterparse

    def watching(fh, events=None):
        for ev, el in real_iterparse(fh, events=events) if events else real_iterparse(fh):
            if el.tag == xlsx._MAIN + "sheetData":
                held.append(el)
            if held and el.tag == xlsx._ROW:
                held.append(len(list(held[0])))
            yield ev, el

    monkeypatch.setattr(xlsx, "iterparse", watching)
    got = xlsx.read_workbook(str(book))
    assert [r for r, _ in got["S"]] == list(range(1, n + 1))
    assert max(x for x in held[1:]) < n // 10, max(x for x in held[1:])


# -- parts missing, named or not; odd but valid XML ---------------------------------------------------------
ONE = '<row r="1"><c r="A1" s="3"><v>46022</v></c><c r="B1"><v>2</v></c><c r="C1" s="99"><v>7</v></c></row>'


def test_a_workbook_without_styles_reads_every_number_as_a_number(tmp_path):
    book = write_book(tmp_path / "n.xlsx", ONE, styles=None)
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: 46022, 2: 2, 3: 7})]}  # (openpyxl fails on s="3" here)


def test_a_style_past_the_last_is_general_and_style_0_counts_like_any_other(tmp_path):
    """A date format at style 0 makes every cell without s= a date; a style past the last is General."""
    dated = styles_xml().replace('<cellXfs count="58"><xf numFmtId="0"/>', '<cellXfs count="58"><xf numFmtId="14"/>')
    assert dated != styles_xml()
    body = ('<row r="1"><c r="A1"><v>46022</v></c><c r="B1" s="0"><v>46022</v></c>'
            f'<c r="C1" s="{len(FORMATS)}"><v>46022</v></c><c r="D1" s="{len(FORMATS) + 1}"><v>46022</v></c></row>')
    book = write_book(tmp_path / "d.xlsx", body, styles=dated)
    got = xlsx.read_workbook(str(book))["S"][0][1]
    assert [type(v).__name__ for v in got.values()] == ["datetime", "datetime", "int", "int"]  # openpyxl: IndexError


@pytest.mark.parametrize("missing", ["xl/styles.xml", "xl/sharedStrings.xml"])
def test_a_part_named_by_a_relationship_but_absent_is_read_as_empty(tmp_path, missing):
    sst = f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    book = write_book(tmp_path / "m.xlsx", '<row r="1"><c r="A1" s="14"><v>46022</v></c></row>', extra_rels=sst,
                      parts={} if missing == "xl/sharedStrings.xml" else
                      {"xl/sharedStrings.xml": f'<sst {_NS} count="0" uniqueCount="0"/>'})
    if missing == "xl/styles.xml":  # rewrite without the styles part, its relationship kept
        with zipfile.ZipFile(book) as z:
            members = {n: z.read(n) for n in z.namelist() if n != missing}
        with zipfile.ZipFile(book, "w") as z:
            for n, data in members.items():
                z.writestr(n, data)
    want = 46022 if missing == "xl/styles.xml" else dt.datetime(2025, 12, 31)
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: want})]}


def test_a_package_without_its_root_relationships_reads_the_usual_workbook(tmp_path):
    book = write_book(tmp_path / "r.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', root_rels=False)
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: 1})]}


@pytest.mark.parametrize("rel", [
    f'<Relationship Id="rId9" Type="{_REL}/worksheet" Target="worksheets/sheet2.xml" TargetMode="External"/>',
    f'<Relationship Id="rId9" Type="{_REL}/chartsheet" Target="worksheets/sheet2.xml"/>',
    f'<Relationship Id="rId9" Type="{_REL}/worksheet" Target="worksheets/sheet3.xml"/>',  # no such part
    "",  # no such relationship
], ids=["external", "chart-sheet", "absent-part", "no-relationship"])
def test_a_sheet_behind_an_external_chart_or_missing_relationship_is_left_out(tmp_path, rel):
    other = f'<worksheet {_NS}><sheetData><row r="1"><c r="A1"><v>9</v></c></row></sheetData></worksheet>'
    book = write_book(tmp_path / "x.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>', extra_rels=rel,
                      sheet_rid="rId9", parts={"xl/worksheets/sheet2.xml": other})
    assert xlsx.read_workbook(str(book)) == {}


def test_rich_text_runs_without_text_and_a_stray_value_in_an_inline_string(tmp_path):
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><r><rPr/></r><r><t/></r><r><t>x</t></r></is></c>'
            '<c r="B1" t="inlineStr"><is><t>a</t></is><v>stray</v></c>'
            '<c><v>3</v></c><c><v>4</v></c><extLst/></row>')
    book = write_book(tmp_path / "t.xlsx", body)
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: "x", 2: "a", 3: 3, 4: 4})]}
    assert_same(book)


def test_an_element_among_a_rows_cells_takes_no_column(tmp_path):
    """Where openpyxl and this reader part: a non-cell element between cells (the schema allows one
    only at a row's end) moves openpyxl's next cell a column right; here it is no cell, so no column."""
    book = write_book(tmp_path / "x.xlsx", '<row r="1"><c><v>3</v></c><extLst/><c><v>4</v></c></row>')
    assert xlsx.read_workbook(str(book)) == {"S": [(1, {1: 3, 2: 4})]}


@pytest.mark.parametrize("r, row", [("3.0", 3), ("7", 7)])
def test_a_row_number_written_as_a_whole_float_is_that_row(tmp_path, r, row):
    book = write_book(tmp_path / "f.xlsx", f'<row r="{r}"><c><v>1</v></c></row>')
    assert xlsx.read_workbook(str(book)) == {"S": [(row, {1: 1})]}


def test_a_row_number_with_a_fraction_is_refused(tmp_path):
    book = write_book(tmp_path / "f.xlsx", '<row r="2.5"><c><v>1</v></c></row>')
    with pytest.raises(ValueError):
        xlsx.read_workbook(str(book))


@pytest.mark.parametrize("text", ["garbage", "PT", "P1D", "", "T"])
def test_text_that_is_no_iso_date_is_refused_as_such(text):
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        xlsx._from_iso(text)


def test_a_shared_string_cell_without_shared_strings_is_a_damaged_workbook(run_cli, tmp_path):
    book = write_book(tmp_path / "s.xlsx", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    r = run_cli("import", book, "--out", tmp_path / "o", exit_code=2)
    assert "not a readable CSV (UTF-8) or XLSX file" in r.stderr and "Traceback" not in r.stderr
