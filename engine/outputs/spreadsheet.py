"""Evidence kept in a spreadsheet <-> packets: `ladder import` and `ladder export`.

The layout (docs/packets.md, "Evidence from a spreadsheet"): an **evidence** table, one row per
record, with `candidate_id`, `id`, `type`, `date`, `title` and the type's fields as columns
(a nested field as `from.relationship`, each metric as `metrics.1.name`, `metrics.1.kind`, ...; a
list of words separated by `;`), and a **candidates** table, one row per candidate, with
`candidate_id` and the rest of the packet's `candidate` fields, `period.start`, `period.end`,
`notes` and `committee.*`. In a workbook (.xlsx) they are the sheets `evidence` and `candidates`;
as CSV they are two files.

What a column holds comes from the packet schema in use (`ladder schema`): whole numbers,
numbers, true/false, lists; everything else is text. A cell is read as the value it holds and
never evaluated: a workbook cell holding a formula is refused (its cached result may be stale or
missing; paste the value), and text that looks like a formula is text. A CSV cell that starts
with `'` loses that one apostrophe: export writes one before any text a spreadsheet would run as a
formula, and before text that starts with an apostrophe, so a round trip gives back every value.
Problems name the file, the sheet, the row and the column, never the cell's text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import orjson

from ..base.errors import Outcome, Problem

EVIDENCE, CANDIDATES = "evidence", "candidates"
_HEAD = ("candidate_id", "id", "type", "date", "title")
_CAND_HEAD = (
    "candidate_id",
    "name",
    "track",
    "current_level",
    "target_level",
    "org",
    "manager",
    "cycle",
    "period.start",
    "period.end",
)
_INDEXED = re.compile(r"^([a-z_]+)\.([1-9][0-9]{0,2})\.([A-Za-z_][A-Za-z0-9_-]*)$")


class SheetError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# -- the schema: what each column holds --------------------------------------------------------------
def _resolve(schema: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**schema["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _kind(schema: dict, node: dict) -> str:
    node = _resolve(schema, node)
    t = node.get("type")
    if t == "array":
        item = _resolve(schema, node.get("items", {}))
        return "objects" if item.get("type") == "object" else "list-int" if item.get("type") == "integer" else "list"
    return {"integer": "int", "number": "num", "boolean": "bool", "object": "object"}.get(t or "", "text")


class Columns:
    """Per evidence type, each field's kind, and the sub-fields of its objects."""

    def __init__(self, schema: dict):
        self.schema = schema
        self.types: dict[str, dict[str, tuple[str, dict]]] = {}
        for t in schema["$defs"]["evidence"]["properties"]["type"]["enum"]:
            props = _resolve(schema, schema["$defs"][t]).get("properties", {})
            fields = {}
            for name, node in props.items():
                k = _kind(schema, node)
                sub = {}
                if k in ("object", "objects"):
                    inner = _resolve(schema, node)
                    inner = _resolve(schema, inner["items"]) if k == "objects" else inner
                    sub = {n: _kind(schema, v) for n, v in inner.get("properties", {}).items()}
                fields[name] = (k, sub)
            self.types[t] = fields

    def order(self) -> list[str]:
        """Every field name of every type, in the schema's order, once."""
        out: list[str] = []
        for fields in self.types.values():
            out += [f for f in fields if f not in out]
        return out


# -- reading ----------------------------------------------------------------------------------------
# A table: (row number from 1, {column number from 1: value}) for each row that has a value, in order.
Table = list[tuple[int, dict[int, Any]]]


def _csv_rows(path: Path) -> Table:
    rows: Table = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for n, row in enumerate(csv.reader(fh), start=1):
            cells = {i: v for i, v in enumerate((_uncell(c) for c in row), start=1) if v != ""}
            if cells:
                rows.append((n, cells))
    return rows


def _uncell(text: str) -> str:
    """A CSV cell as written by export (escape.csv_cell plus an apostrophe before an apostrophe):
    one leading apostrophe is the writer's, not the value's."""
    return text[1:] if text.startswith("'") else text


def _xlsx_sheets(path: Path) -> dict[str, Table]:
    from ..base import xlsx

    try:
        sheets = xlsx.read_workbook(str(path))
    except xlsx.FormulaCell as f:
        where = f"sheet {f.sheet}, row {f.row}, column {xlsx.column_letter(f.column)}"
        raise SheetError(
            [
                Problem(
                    str(path),
                    "",
                    f"{where}: a formula; ladder reads values and never evaluates formulas (paste the value instead)",
                    kind="sheet",
                )
            ]
        ) from None
    out: dict[str, Table] = {}
    for title, rows in sheets.items():
        out[title.strip().lower()] = rows
    return out


def _records(rows: Table) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header (row 1) and (row number, {column: value}) for every later row with a value; empty cells
    left out."""
    first = rows[0][1] if rows and rows[0][0] == 1 else {}
    head = [""] * max(first, default=0)
    for i, h in first.items():
        head[i - 1] = str(h).strip()
    width = len(head)
    out = []
    for n, cells in rows:
        if n == 1:
            continue
        rec = {head[i - 1]: v for i, v in cells.items() if i <= width and head[i - 1] and v != ""}
        if rec:
            out.append((n, rec))
    return head, out


class _Where:
    def __init__(self, file: str, sheet: str):
        self.file, self.sheet = file, sheet
        self.problems: list[Problem] = []

    def bad(self, row: int, column: str, what: str) -> None:
        self.problems.append(
            Problem(self.file, "", f"sheet {self.sheet}, row {row}, column {column}: {what}", kind="sheet")
        )


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _value(kind: str, v: Any, w: _Where, row: int, col: str) -> Any:
    if kind == "text":
        return _text(v)
    if kind == "int":
        if isinstance(v, bool):
            return w.bad(row, col, "is true/false, not a whole number")
        if isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
            return int(v)
        s = str(v).strip()
        if re.fullmatch(r"[+-]?[0-9]+", s):
            return int(s)
        return w.bad(row, col, "is not a whole number")
    if kind == "num":
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
        s = str(v).strip()
        if re.fullmatch(r"[+-]?[0-9]+", s):
            return int(s)
        if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", s):
            return float(s)
        return w.bad(row, col, "is not a number")
    if kind == "bool":
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in ("true", "false"):
            return s == "true"
        return w.bad(row, col, "is not true or false")
    if kind in ("list", "list-int"):
        items = [x.strip() for x in _text(v).split(";") if x.strip()]
        return [_value("int", x, w, row, col) for x in items] if kind == "list-int" else items
    return w.bad(row, col, "is not a column ladder can fill")


def read_tables(path: str, candidates: str | None = None) -> tuple[dict[str, Table], dict[str, str]]:
    """The evidence and candidates tables, and the file each came from."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = _xlsx_sheets(p)
        tables = {k: sheets[k] for k in (EVIDENCE, CANDIDATES) if k in sheets}
        if EVIDENCE not in tables and len(sheets) == 1:
            tables[EVIDENCE] = next(iter(sheets.values()))
        files = {k: str(p) for k in tables}
    else:
        tables, files = {EVIDENCE: _csv_rows(p)}, {EVIDENCE: str(p)}
    if candidates is not None:
        c = Path(candidates)
        rows = _xlsx_sheets(c).get(CANDIDATES, []) if c.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(c)
        tables[CANDIDATES], files[CANDIDATES] = rows, str(c)
    return tables, files


def packets_from_tables(
    tables: dict[str, Table], files: dict[str, str], cols: Columns
) -> tuple[dict[str, dict], dict[str, dict[int, tuple[str, str, int]]], list[Problem]]:
    """(candidate id -> packet, candidate id -> evidence index -> (file, sheet, row), problems)."""
    problems: list[Problem] = []
    packets: dict[str, dict] = {}
    rows_of: dict[str, dict[int, tuple[str, str, int]]] = {}
    w = _Where(files.get(CANDIDATES, ""), CANDIDATES)
    _, cands = _records(tables.get(CANDIDATES, []))
    for n, rec in cands:
        cid = rec.get("candidate_id")
        if cid is None:
            w.bad(n, "candidate_id", "empty: every candidate row needs one")
            continue
        cid = _text(cid)
        if cid in packets:
            w.bad(n, "candidate_id", "a candidate already given in an earlier row")
            continue
        cand: dict[str, Any] = {"id": cid}
        pkt: dict[str, Any] = {"schema_version": 1, "candidate": cand}
        for col, v in rec.items():
            if col == "candidate_id":
                continue
            if col.startswith("period."):
                pkt.setdefault("period", {})[col[7:]] = _text(v)
            elif col.startswith("committee."):
                pkt.setdefault("committee", {})[col[10:]] = _text(v)
            elif col.startswith("packet."):
                pkt[col[7:]] = _text(v)
            elif col == "notes":
                pkt["notes"] = _text(v)
            else:
                cand[col] = _text(v)
        if "period" in pkt:
            pkt["period"] = {k: pkt["period"][k] for k in ("start", "end") if k in pkt["period"]} | pkt["period"]
        pkt["evidence"] = []
        packets[cid] = pkt
        rows_of[cid] = {-1: (w.file, CANDIDATES, n)}
    problems += w.problems
    w = _Where(files.get(EVIDENCE, ""), EVIDENCE)
    head, evs = _records(tables.get(EVIDENCE, []))
    if EVIDENCE not in tables or not head:
        w.bad(1, "candidate_id", "no evidence table (a sheet named evidence, with a header row)")
    for col in ("candidate_id", "type"):
        if head and col not in head:
            w.bad(1, col, "missing from the header row")
    if w.problems:
        return {}, {}, problems + w.problems
    counts: dict[str, int] = {}
    for n, rec in evs:
        cid = _text(rec.get("candidate_id", ""))
        if cid not in packets:
            w.bad(n, "candidate_id", "no row for this candidate in the candidates table" if cid else "empty")
            continue
        t = _text(rec.get("type", ""))
        fields = cols.types.get(t)
        if fields is None:
            w.bad(n, "type", "empty" if not t else "not an evidence type (docs/packets.md lists them)")
            continue
        counts[cid] = counts.get(cid, 0) + 1
        ev: dict[str, Any] = {"id": _text(rec["id"]) if "id" in rec else f"ev-{counts[cid]:02d}", "type": t}
        for col, v in rec.items():
            if col in ("candidate_id", "id", "type"):
                continue
            if col in fields and fields[col][0] == "objects" and _text(v).strip() == ";":
                ev[col] = []  # an empty list of mappings, as export writes it
                continue
            if col in fields and fields[col][0] not in ("object", "objects"):
                x = _value(fields[col][0], v, w, n, col)
                if x is not None:
                    ev[col] = x
                continue
            if col.startswith("x-"):
                ev[col] = _text(v)
                continue
            m = _INDEXED.match(col)
            name, sub = (m.group(1), m.group(3)) if m else col.partition(".")[::2]
            spec = fields.get(name)
            if (
                spec is None
                or spec[0] not in ("object", "objects")
                or (sub not in spec[1] and not sub.startswith("x-"))
            ):
                w.bad(n, col, f"not a field of {t} (docs/packets.md lists its fields)")
                continue
            if (spec[0] == "objects") != bool(m):
                w.bad(n, col, f"write it as {name}.1.{sub}" if m is None else f"write it as {name}.{sub}")
                continue
            x = _value(spec[1].get(sub, "text"), v, w, n, col)
            if x is None:
                continue
            if m:
                items = ev.setdefault(name, {})
                items.setdefault(int(m.group(2)), {})[sub] = x
            else:
                ev.setdefault(name, {})[sub] = x
        for name, spec in fields.items():  # numbered objects -> a list, in their numbers' order
            if spec[0] == "objects" and isinstance(ev.get(name), dict):
                ev[name] = [ev[name][k] for k in sorted(ev[name])]
        rows_of.setdefault(cid, {})[len(packets[cid]["evidence"])] = (w.file, EVIDENCE, n)
        packets[cid]["evidence"].append(ev)
    return packets, rows_of, problems + w.problems


def import_sheet(book, path: str, out: str, candidates: str | None = None) -> Outcome:
    """`ladder import`: one packet file (JSON) per candidate in `out`, each validated with the rules
    in use; problems name the sheet, row and column. Exit 3 when any row or packet has a problem
    (the valid packets are still written)."""
    from ..base import xlsx
    from ..base.errors import EXIT_INVALID_PACKET, EXIT_OK, UsageError
    from ..base.loader import Document
    from ..core import pipeline

    src = Path(path)
    if not src.is_file():
        raise UsageError(summary=f"{path}: no such file")
    if candidates is not None and not Path(candidates).is_file():
        raise UsageError(summary=f"{candidates}: no such file")
    try:
        tables, files = read_tables(path, candidates)
    except SheetError as exc:
        return Outcome("", EXIT_INVALID_PACKET, "\n".join(str(p) for p in exc.problems))
    except xlsx.TooLarge as exc:
        raise UsageError(summary=f"{path}: a workbook that {exc}; split it, or import it as CSV") from None
    except Exception as exc:  # noqa: BLE001 - a damaged workbook fails in many ways (zip, XML, cell values); none is a crash
        if isinstance(exc, (KeyboardInterrupt, MemoryError)):
            raise
        raise UsageError(summary=f"{path}: not a readable CSV (UTF-8) or XLSX file ({type(exc).__name__})") from None
    cols = Columns(book.packet_schema.data)
    packets, rows_of, problems = packets_from_tables(tables, files, cols)
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    for cid, pkt in packets.items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", cid):
            problems.append(
                Problem(
                    files.get(CANDIDATES, path),
                    "",
                    "sheet candidates: a candidate_id that is not an id (letters, digits, . _ -)",
                    kind="sheet",
                )
            )
            continue
        target = dest / f"{cid}.json"
        # checked as one line of JSON: a problem is located by its sheet row, not a line of the file
        doc = Document(str(target), pkt, orjson.dumps(pkt).decode(), "json")
        checked = pipeline.check(doc, book)
        if isinstance(checked, pipeline.Result):
            for p in checked.problems:
                problems.append(_locate(p, cid, rows_of.get(cid, {}), files))
            continue
        target.write_bytes(orjson.dumps(pkt, option=orjson.OPT_INDENT_2) + b"\n")
        written += 1
    err = "\n".join(str(p) for p in problems)
    note = f"{out}: {written} packet(s) written, {len(packets) - written} with problems"
    return Outcome("", EXIT_INVALID_PACKET if problems else EXIT_OK, "\n".join(x for x in (err, note) if x))


def _locate(p: Problem, cid: str, rows: dict[int, tuple[str, str, int]], files: dict[str, str]) -> Problem:
    """A packet's problem at the sheet row and column it came from."""
    parts = [x for x in (p.path or "").split("/") if x]
    if len(parts) >= 2 and parts[0] == "evidence" and parts[1].isdigit() and int(parts[1]) in rows:
        file, sheet, row = rows[int(parts[1])]
        col = ".".join(str(int(x) + 1) if x.isdigit() else x for x in parts[2:])
        if not col:  # a required field left empty: the message names it
            m = re.search(r"missing required field '([A-Za-z0-9_.-]+)'", p.message)
            col = m.group(1) if m else "(the row)"
        return Problem(file, "", f"sheet {sheet}, row {row}, column {col}: {p.message}", kind="sheet")
    head = parts[0] if parts else ""
    rest = ".".join(parts[1:])
    col = {
        "candidate": rest or "candidate_id",
        "period": "period." + rest if rest else "period.start",
        "committee": "committee." + rest,
        "evidence": "(the evidence rows)",
    }.get(head, head or "(the row)")
    file, sheet, row = rows.get(-1, (files.get(CANDIDATES, ""), CANDIDATES, 0))
    return Problem(file, "", f"sheet {sheet}, row {row}, column {col}: {p.message}", kind="sheet")


# -- writing ---------------------------------------------------------------------------------------
_X_TEXT = (
    "an x- field is one cell of text in a spreadsheet (it has no declared type): a number, true/false, "
    "a mapping or a list would not come back as it was; write it as text"
)


def _flat(prefix: str, v: Any, out: dict[str, Any], where: str) -> None:
    if prefix.rsplit(".", 1)[-1].startswith("x-") and not isinstance(v, str):
        raise SheetError([Problem(where, prefix, _X_TEXT, kind="sheet")])
    if isinstance(v, dict):
        if not v:
            raise SheetError(
                [
                    Problem(
                        where,
                        prefix,
                        "an empty mapping, which the spreadsheet layout cannot hold (leave the field out)",
                        kind="sheet",
                    )
                ]
            )
        for k, x in v.items():
            _flat(f"{prefix}.{k}", x, out, where)
    elif isinstance(v, list):
        if all(isinstance(x, dict) for x in v) and v:
            for i, x in enumerate(v, start=1):
                _flat(f"{prefix}.{i}", x, out, where)
        elif all(not isinstance(x, (dict, list)) for x in v):
            if any(isinstance(x, str) and (";" in x or x != x.strip() or not x) for x in v):
                raise SheetError(
                    [
                        Problem(
                            where,
                            prefix,
                            "a list item holds ';' or spaces at its ends, which the spreadsheet layout cannot keep",
                            kind="sheet",
                        )
                    ]
                )
            out[prefix] = ";".join(_text(x) for x in v) if v else ";"  # ";" is an empty list, an empty cell none
        else:
            raise SheetError(
                [
                    Problem(
                        where,
                        prefix,
                        "a list the spreadsheet layout cannot hold (a list of "
                        "values, or of mappings, is; a mix or a list of lists is not)",
                        kind="sheet",
                    )
                ]
            )
    else:
        out[prefix] = v


def tables_from_packets(packets: list[tuple[str, dict]], cols: Columns) -> tuple[list[list[Any]], list[list[Any]]]:
    """(evidence rows, candidates rows), each with its header first."""
    cand_rows, ev_rows = [], []
    for source, pkt in packets:
        c = dict(pkt.get("candidate", {}))
        row: dict[str, Any] = {"candidate_id": c.pop("id", "")}
        for k, v in c.items():
            row[k] = v
        for k, v in (pkt.get("period") or {}).items():
            row[f"period.{k}"] = v
        if "notes" in pkt:
            row["notes"] = pkt["notes"]
        for k, v in (pkt.get("committee") or {}).items():
            row[f"committee.{k}"] = v
        for k, v in pkt.items():
            if k.startswith("x-"):
                row[f"packet.{k}"] = v
        for k, v in row.items():
            if k.rsplit(".", 1)[-1].startswith("x-") and not isinstance(v, str):
                raise SheetError([Problem(source, k, _X_TEXT, kind="sheet")])
            if isinstance(v, (dict, list)):
                raise SheetError(
                    [
                        Problem(
                            source,
                            k,
                            "a value the spreadsheet layout cannot hold (a packet's or "
                            "candidate's own field is one cell: text, a number, true or false)",
                            kind="sheet",
                        )
                    ]
                )
        cand_rows.append(row)
        for i, ev in enumerate(pkt.get("evidence", [])):
            r: dict[str, Any] = {"candidate_id": row["candidate_id"]}
            for k, v in ev.items():
                _flat(k, v, r, f"{source}: /evidence/{i}")
            ev_rows.append(r)
    ev_cols = list(_HEAD) + [f for f in cols.order() if f not in _HEAD]
    subs: dict[str, list[str]] = {}
    for fields in cols.types.values():
        for name, (_, sub) in fields.items():
            subs.setdefault(name, []).extend(x for x in sub if x not in subs.get(name, []))
    return _table(ev_rows, ev_cols, len(_HEAD), subs), _table(cand_rows, list(_CAND_HEAD), 1)


def _table(
    rows: list[dict[str, Any]], first: list[str], always: int, subs: dict[str, list[str]] | None = None
) -> list[list[Any]]:
    """Rows as a table: the `first` columns in their order (the first `always` of them even when
    empty; a field of mappings as its sub-columns, numbered ones in number order), then any other
    column (x-...) by name."""
    seen = {k for r in rows for k in r}
    subs = subs or {}

    def _natural(k: str) -> list:  # metrics.2.kind after metrics.1.unit; sub-fields in the schema's order
        parts = k.split(".")
        order = subs.get(parts[0], [])
        return [
            (0, int(x), "") if x.isdigit() else (1, order.index(x) if x in order else len(order), x) for x in parts[1:]
        ]

    head: list[str] = []
    for i, c in enumerate(first):
        if c in seen or i < always:
            head.append(c)
        head += [k for k in sorted((k for k in seen if k.startswith(c + ".")), key=_natural) if k not in head]
    head += sorted(k for k in seen if k not in head)
    return [head] + [[r.get(c) for c in head] for r in rows]


def write_csv(rows: list[list[Any]], path: Path) -> None:
    from ..base.escape import sheet_cell

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for r in rows:
            w.writerow([sheet_cell(c) for c in r])


def write_xlsx(tables: dict[str, list[list[Any]]], path: Path) -> None:
    import openpyxl
    from openpyxl.cell.cell import TYPE_STRING

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([None if v is None else v for v in r])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING  # text that starts with = stays text, never a formula
                elif isinstance(cell.value, float) and cell.value.is_integer():
                    cell.number_format = "0.0"  # a whole float stays a float on the way back
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_stable_zip(buf.getvalue()))


def _stable_zip(data: bytes) -> bytes:
    """The workbook with every member's date fixed and the document properties' times removed,
    so the same packets give the same bytes on every run."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", body)
            z = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            z.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(z, body)
    return out.getvalue()


def export_packets(book, inputs: list[str], out: str, fmt: str | None = None, max_bytes: int = 0) -> Outcome:
    """`ladder export`: packets -> the spreadsheet layout. OUT.xlsx: one workbook (sheets evidence
    and candidates); OUT.csv: the evidence file, and the candidates beside it as OUT-candidates.csv."""
    from ..base.errors import EXIT_INVALID_PACKET, EXIT_OK, UsageError
    from ..base.inputs import iter_inputs
    from ..core import pipeline

    packets, problems = [], []
    for item in iter_inputs(list(inputs)):
        doc = pipeline.load(item, max_bytes) if max_bytes else pipeline.load(item)
        if isinstance(doc, pipeline.Result):
            problems += doc.problems
            continue
        checked = pipeline.check(doc, book)
        if isinstance(checked, pipeline.Result):
            problems += checked.problems
            continue
        packets.append((doc.source, doc.data))
    cols = Columns(book.packet_schema.data)
    try:
        ev, cands = tables_from_packets(packets, cols)
    except SheetError as exc:
        problems += exc.problems
    if problems:  # all or nothing: a spreadsheet missing some of the packets asked for is not written
        return Outcome("", EXIT_INVALID_PACKET, "\n".join([*(str(p) for p in problems), f"{out}: nothing written"]))
    dest = Path(out)
    kind = fmt or dest.suffix.lower().lstrip(".")
    if kind == "xlsx":
        from openpyxl.utils.exceptions import IllegalCharacterError

        try:
            write_xlsx({EVIDENCE: ev, CANDIDATES: cands}, dest)
        except IllegalCharacterError:
            raise UsageError(
                summary=f"{out}: a text field holds a control character that an .xlsx file cannot "
                "hold; export to .csv instead"
            ) from None
        note = f"{out}: {len(ev) - 1} evidence row(s), {len(cands) - 1} candidate(s)"
    elif kind == "csv":
        cpath = dest.with_name(dest.stem + "-candidates.csv")
        write_csv(ev, dest)
        write_csv(cands, cpath)
        note = f"{out}: {len(ev) - 1} evidence row(s); {cpath}: {len(cands) - 1} candidate(s)"
    else:
        raise UsageError(summary=f"{out}: give a file ending .csv or .xlsx (or --format csv|xlsx)")
    err = "\n".join(str(p) for p in problems)
    return Outcome("", EXIT_INVALID_PACKET if problems else EXIT_OK, "\n".join(x for x in (err, note) if x))


def write_template(book, data: dict, out: str, fmt: str) -> str:
    """`ladder new --format csv|xlsx`: the template packet in the spreadsheet layout, its example
    rows kept as they are (their name, ids and "Example:" titles are refused on import until
    replaced, as in the YAML template)."""
    from ..base.output import check_outputs

    cols = Columns(book.packet_schema.data)
    ev, cands = tables_from_packets([("<template>", data)], cols)
    dest = Path(out)
    cpath = dest.with_name(dest.stem + "-candidates.csv")
    check_outputs([("--out", str(dest))] + ([("--out's candidates file", str(cpath))] if fmt == "csv" else []))
    if fmt == "xlsx":
        write_xlsx({EVIDENCE: ev, CANDIDATES: cands}, dest)
        return f"{out}: a template with {len(ev) - 1} example evidence row(s) and 1 example candidate"
    write_csv(ev, dest)
    write_csv(cands, cpath)
    return f"{out}: a template with {len(ev) - 1} example evidence row(s); {cpath}: 1 example candidate"


def layout_reference() -> list[str]:
    """The spreadsheet layout, as a section of docs/packets.md (engine.authoring.packets.field_reference)."""
    return [
        "## Evidence from a spreadsheet",
        "",
        "`ladder import FILE --out DIR` turns a spreadsheet into one packet per candidate (JSON, each checked as "
        "`ladder validate` checks it); `ladder export PACKET... --out FILE` writes packets back in the same layout, "
        "and a round trip gives every packet back unchanged (a test holds it on generated packets). What the "
        "layout cannot hold is refused by export, naming the packet and field, and nothing is written: an `x-` "
        "field (of the packet, the candidate, the committee or a record) that is not text "
        "(it has no declared type, so a number, true/false, a mapping or a list would not come back as it was), "
        "an empty mapping, a list of lists, or a list item with `;` or spaces at its ends. `FILE` is a workbook (`.xlsx`, sheets `evidence` and "
        "`candidates`) or a CSV of the evidence with the candidates in a second CSV (`--candidates FILE`; export "
        "writes it beside the first, as `NAME-candidates.csv`). `examples/cycle-2026-h1/` holds a 30-candidate "
        "cycle in both forms. `ladder new --target LEVEL --format xlsx --out template.xlsx` (or `--format csv`) "
        "writes a template with one example row per record the level's criteria use; like the YAML template, its "
        "placeholder name and ids and its `Example:` titles are refused on import until replaced.",
        "",
        "**The `evidence` sheet**: one row per evidence record.",
        "",
        "| column | |",
        "|---|---|",
        "| `candidate_id` | the candidate the record belongs to (a row of the candidates sheet) |",
        "| `id` | the record's id, unique for the candidate; left empty, `ev-01`, `ev-02`, ... in row order |",
        "| `type`, `date`, `title` | as in every record (above) |",
        "| the type's fields | one column each, named as above: `role`, `scope`, `rating`, `months`, ... |",
        "| a field of a mapping | `from.relationship`, `from.id`, `mentee.level` |",
        "| each of a list of mappings | numbered from 1: `metrics.1.name`, `metrics.1.kind`, `metrics.2.name`, ... |",
        "| a list of words | in one cell, separated by `;`: `alignment; influence` (`;` alone is an empty list) |",
        "",
        "**The `candidates` sheet**: one row per candidate: `candidate_id`, and the `candidate` fields above "
        "(`name`, `track`, `current_level`, `target_level`, `org`, `manager`, `cycle`, `x-...`), `period.start`, "
        "`period.end`, `notes`, and `committee.decision`, `committee.decided_on`, `committee.reason`, "
        "`committee.overrides`.",
        "",
        "An empty cell is a field left out. What a cell holds comes from the schema above: a whole number, a "
        "number, `true`/`false`, a list; everything else is text, dates as `YYYY-MM-DD` (a date cell of a "
        "workbook is read as its date). Cells are read as the values they hold and never evaluated: a workbook "
        "cell holding a formula is refused (paste its value), and text that looks like a formula is text. In a "
        "CSV one leading `'` is dropped: export writes one before text a spreadsheet would run (`=`, `+`, `-`, "
        "`@`) and before text that starts with `'`. A problem names the file, the sheet, the row and the "
        "column, never the cell's text, and the exit code is 3 (the valid packets are still written):",
        "",
        "```console",
        "$ ladder import evidence.csv --candidates candidates.csv --out packets/",
        "evidence.csv: sheet evidence, row 6, column rating: is not a whole number",
        "evidence.csv: sheet evidence, row 6, column rating: missing required field 'rating'",
        "candidates.csv: sheet candidates, row 4, column current_level: unknown level 'senior-pn'; did you mean "
        "'senior-pm'? (known: associate-pm, mid-pm, senior-pm, director, principal-pm, vp, or external)",
        "packets/: 28 packet(s) written, 2 with problems",
        "```",
        "",
    ]
