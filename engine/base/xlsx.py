"""Reading a workbook (.xlsx): each worksheet's cells as values, straight from the sheet XML.

`ladder import` reads a workbook's values and nothing else, so this reads the parts it needs
(workbook.xml and its relationships, the shared strings, the cell styles' number formats and the
worksheets) with zipfile and ElementTree's iterparse, one row at a time. A cell comes back as the
value openpyxl gives for it (openpyxl still writes workbooks, and tests/test_spreadsheet.py holds
the two readers to the same values): text (shared, inline, or a formula's cached text), a whole
number or a float as the number is written, true/false, a date or time where the cell's number
format is one, a date cell's ISO text as a date, and an error cell as its code (#N/A).

A cell holding a formula is reported (FormulaCell); the caller refuses it. Memory stays bounded:
each part's declared size is checked before it is unpacked (zipfile never unpacks more than that),
at most MAX_UNPACKED bytes in all, and only the cells that hold a value are kept.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from typing import IO, Any
from xml.etree.ElementTree import iterparse

MAX_UNPACKED = 256 * 1024 * 1024

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW, _C, _V, _F, _IS, _T, _R, _SI = (_MAIN + x for x in ("row", "c", "v", "f", "is", "t", "r", "si"))

# the number formats Excel has built in that are dates or times (openpyxl's BUILTIN_FORMATS)
_BUILTIN = {
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    2: "0.00",
    4: "#,##0.00",
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    10: "0.00%",
    11: "0.00E+00",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)',
    48: "##0.0E+0",
}
# (the other built-in formats have neither a date part nor a "."; only those two things matter here)
_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')  # quoted text, [Red], [$-409] ...
_DATE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
_ISO = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")
_COLUMN = re.compile(r"\$?([A-Za-z]{1,3})")
_GENERAL = (False, False, False)  # a cell without a style: neither a date nor a format with "."
_WINDOWS_EPOCH, _MAC_EPOCH = dt.datetime(1899, 12, 30), dt.datetime(1904, 1, 1)


class FormulaCell(Exception):
    def __init__(self, sheet: str, row: int, column: int):
        super().__init__(f"{sheet}!{column_letter(column)}{row}")
        self.sheet, self.row, self.column = sheet, row, column


class TooLarge(Exception):
    pass


def column_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _column_number(ref: str) -> int:
    m = _COLUMN.match(ref)
    if m is None:
        raise ValueError("a cell reference without a column")
    n = 0
    for ch in m.group(1).upper():
        n = n * 26 + ord(ch) - 64
    return n


# a sheet: (row number, {column number: value}) for each row with a value, rows in order, from 1
Sheet = list[tuple[int, dict[int, Any]]]


class _Book:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.unpacked = 0

    def open(self, name: str) -> IO[bytes]:
        info = self.zf.getinfo(name)
        self.unpacked += info.file_size
        if self.unpacked > MAX_UNPACKED:
            raise TooLarge(f"unpacks to more than {MAX_UNPACKED // (1024 * 1024)} MiB")
        return self.zf.open(info)

    def has(self, name: str) -> bool:
        try:
            self.zf.getinfo(name)
        except KeyError:
            return False
        return True

    def rels(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, member name) of each relationship of a part."""
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(name):
            return []
        out = []
        with self.open(name) as fh:
            for _, el in iterparse(fh):
                if el.tag == _RELS + "Relationship" and el.get("TargetMode") != "External":
                    target = el.get("Target") or ""
                    target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                    out.append((el.get("Id") or "", el.get("Type") or "", posixpath.normpath(target)))
        return out


def _text(el: Any) -> str:
    """The text of a string item (<si> or <is>): its <t>, then each run's <t>; phonetic runs left out."""
    plain = None
    runs = []
    for child in el:
        if child.tag == _T:
            plain = child.text
        elif child.tag == _R:
            t = child.find(_T)
            if t is not None and t.text is not None:
                runs.append(t.text)
    return "".join(([plain] if plain is not None else []) + runs)


def _shared_strings(book: _Book, name: str | None) -> list[str]:
    if name is None or not book.has(name):
        return []
    out = []
    with book.open(name) as fh:
        for _, el in iterparse(fh):
            if el.tag == _SI:
                out.append(_text(el).replace("x005F_", ""))
                el.clear()
    return out


def _styles(book: _Book, name: str | None) -> list[tuple[bool, bool, bool]]:
    """For each cell style (index s=): (a date format, a duration format, a format with a ".")."""
    if name is None or not book.has(name):
        return []
    custom: dict[int, str] = {}
    ids: list[int] = []
    with book.open(name) as fh:
        in_xfs = False
        for ev, el in iterparse(fh, events=("start", "end")):
            if el.tag == _MAIN + "cellXfs":
                in_xfs = ev == "start"
            elif ev == "end" and el.tag == _MAIN + "numFmt":
                custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
            elif ev == "end" and el.tag == _MAIN + "xf" and in_xfs:
                ids.append(int(el.get("numFmtId", "0")))
    out = []
    for i in ids:
        fmt = custom.get(i, _BUILTIN.get(i, "General"))
        first = fmt.split(";")[0]
        out.append((_DATE.search(_STRIP.sub("", first)) is not None, _TIMEDELTA.search(first) is not None, "." in fmt))
    return out


def _from_excel(value: float, epoch: dt.datetime, duration: bool) -> Any:
    """A date cell's serial number as a datetime (a time below 1, a timedelta in a duration format)."""
    if duration:
        td = dt.timedelta(days=value)
        if td.microseconds:  # to the millisecond
            td = dt.timedelta(seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3))
        return td
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == _WINDOWS_EPOCH:
        day += 1  # the 1900 leap-year bug
    return epoch + dt.timedelta(days=day) + diff


def _from_iso(text: str) -> Any:
    """A date cell (t="d"): its ISO 8601 text as a date, a datetime, a time or a duration."""
    m = _ISO.match(text)
    if m and any(m.groups()):
        p: dict[str, Any] = m.groupdict(0)
        for k in ("year", "month", "day", "hour", "minute", "second"):
            if p[k]:
                p[k] = int(p[k])
        if p["microsecond"]:
            p["microsecond"] = int(float(p["microsecond"]) * 1_000_000)
        if not p["date"]:
            return dt.time(p["hour"], p["minute"], p["second"], p["microsecond"])
        if not p["time"]:
            return dt.date(p["year"], p["month"], p["day"])
        return dt.datetime(p["year"], p["month"], p["day"], p["hour"], p["minute"], p["second"], p["microsecond"])
    m = _ISO_DURATION.match(text)
    if m and any(m.groups()):
        return dt.timedelta(**{k: float(v) for k, v in m.groupdict(0).items()})
    raise ValueError("not an ISO 8601 date")


def _sheet(
    book: _Book, name: str, title: str, strings: list[str], styles: list[tuple[bool, bool, bool]], epoch: dt.datetime
) -> Sheet:
    rows: Sheet = []
    last = row_no = 0
    columns: dict[str, int] = {}  # "AB" -> 28, worked out once a sheet

    def read(row: Any) -> None:
        nonlocal last, row_no
        r = row.get("r")
        if r is None:
            row_no += 1
        else:
            try:
                row_no = int(r)
            except ValueError:
                if not float(r).is_integer():
                    raise
                row_no = int(float(r))
        cells: dict[int, Any] = {}
        col = 0
        ordered = True
        for c in row:
            if c.tag != _C:
                continue
            ref = c.get("r")
            if ref is None:
                n = col + 1
            else:
                letters = ref.rstrip("0123456789")
                n = columns.get(letters) or columns.setdefault(letters, _column_number(letters))
            ordered = ordered and n > col
            col = n
            if c.find(_F) is not None:
                raise FormulaCell(title, row_no, n)
            t = c.get("t", "n")
            if t == "inlineStr":
                item = c.find(_IS)
                if item is not None:
                    cells[n] = _text(item)
                continue
            v = c.findtext(_V) or None
            if v is None:
                continue
            if t == "n":
                num: Any = float(v) if "." in v or "E" in v or "e" in v else int(v)
                s = c.get("s")
                k = int(s) if s else 0
                style = styles[k] if 0 <= k < len(styles) else _GENERAL
                if style[0]:
                    try:
                        num = _from_excel(num, epoch, style[1])
                    except (OverflowError, ValueError):
                        num = "#VALUE!"  # a date out of range, as openpyxl reads it
                elif style[2] and type(num) is int:
                    num = float(num)  # 3.0 written by export (format 0.0) reads back as 3.0, not 3
                cells[n] = num
            elif t == "s":
                cells[n] = strings[int(v)]
            elif t == "b":
                cells[n] = bool(int(v))
            elif t == "d":
                cells[n] = _from_iso(v)
            else:  # "str" (a formula's cached text), "e" (an error such as #N/A)
                cells[n] = v
        if row_no <= last:  # a row out of order or repeated: openpyxl's reader skips it too
            return
        last = row_no
        if cells:
            rows.append((row_no, cells if ordered else dict(sorted(cells.items()))))

    # Only start events, the fewest: a row is read when the next one starts (it is complete by
    # then), and the last once the parse is done; each row read is let go, so the tree stays small.
    data = pending = None
    with book.open(name) as fh:
        for _, el in iterparse(fh, events=("start",)):
            if el.tag == _ROW:
                if pending is not None:
                    read(pending)
                    if data is not None and len(data) and data[0] is pending:
                        del data[0]
                pending = el
            elif el.tag == _MAIN + "sheetData":
                data = el
    if pending is not None:
        read(pending)
    return rows


def read_workbook(path: str) -> dict[str, Sheet]:
    """Each worksheet by its name (as written), in the workbook's order; chart sheets left out."""
    with zipfile.ZipFile(path) as zf:
        book = _Book(zf)
        main = next((target for _, typ, target in book.rels("") if typ.endswith("/officeDocument")), "xl/workbook.xml")
        rels = book.rels(main)
        by_id = {rid: target for rid, _, target in rels}
        kind = {target: typ.rsplit("/", 1)[-1] for _, typ, target in rels}
        strings = _shared_strings(book, next((t for t, k in kind.items() if k == "sharedStrings"), None))
        styles = _styles(book, next((t for t, k in kind.items() if k == "styles"), None))
        epoch = _WINDOWS_EPOCH
        sheets: list[tuple[str, str]] = []
        with book.open(main) as fh:
            for _, el in iterparse(fh):
                if el.tag == _MAIN + "workbookPr" and el.get("date1904", "").lower() in ("1", "true"):
                    epoch = _MAC_EPOCH
                elif el.tag == _MAIN + "sheet":
                    target = by_id.get(el.get(_R_ID) or "")
                    if target is not None and kind.get(target) == "worksheet" and book.has(target):
                        sheets.append((el.get("name") or "", target))
        return {title: _sheet(book, target, title, strings, styles, epoch) for title, target in sheets}
