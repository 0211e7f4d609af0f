"""What each CLI command does, as functions returning (output, exit code). No click here."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import EvidenceError, Problem
from .evaluator import Evaluator
from .evidence import check_document
from .loader import DEFAULT_MAX_BYTES, ParseFailure, load_file
from .report import dumps, problems_json, verdict_json, verdict_markdown, verdict_text
from .rules import RuleBook

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INVALID_PACKET, EXIT_INVALID_RULES = 0, 1, 2, 3, 4


@dataclass
class Settings:
    rules_dir: str | None = None
    fmt: str = "text"
    max_bytes: int = DEFAULT_MAX_BYTES
    redact: bool = False
    color: bool = False


def expand_inputs(paths: list[str], recursive: bool = True, skipped: list[str] | None = None) -> list[str]:
    """Files as given; folders expanded (recursive, sorted) to their .yaml/.yml/.json/.jsonl files.

    With recursive=False a folder is skipped and noted in `skipped` (like grep without -r), so
    `ladder validate fixtures/*` checks the packets and passes over fixtures/invalid/.
    """
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir() and not recursive:
            if skipped is not None:
                skipped.append(p)
            continue
        if path.is_dir():
            found = sorted(str(f) for f in path.rglob("*")
                           if f.suffix.lower() in (".yaml", ".yml", ".json", ".jsonl") and f.is_file())
            out.extend(found)
        else:
            out.append(p)
    return out


def validate(book: RuleBook, paths: list[str], s: Settings, recursive: bool = False) -> tuple[str, int]:
    lines: list[str] = []
    records = []
    bad = 0
    skipped: list[str] = []
    files = expand_inputs(paths, recursive, skipped)
    if s.fmt != "json":
        lines.extend(f"{d}: is a folder, skipped (use --recursive to check its packets)" for d in skipped)
    for src in files:
        problems: list[Problem] = []
        try:
            doc = load_file(src, s.max_bytes)
            check_document(doc, book)
        except ParseFailure as exc:
            problems = [exc.problem]
        except EvidenceError as exc:
            problems = exc.problems
        bad += bool(problems)
        if s.fmt == "json":
            records.append(problems_json(src, problems, not problems))
        elif problems:
            lines.extend(str(p) for p in problems)
        else:
            lines.append(f"{src}: ok")
    if s.fmt == "json":
        return dumps({"valid": bad == 0, "files": records}), EXIT_INVALID_PACKET if bad else EXIT_OK
    if bad:
        lines.append(f"{bad} invalid packet file(s)")
    return "\n".join(lines), EXIT_INVALID_PACKET if bad else EXIT_OK


def evaluate(book: RuleBook, path: str, target: str | None, s: Settings, style=None) -> tuple[str, int]:
    try:
        doc = load_file(path, s.max_bytes)
        packet = check_document(doc, book, target)
    except ParseFailure as exc:
        raise EvidenceError([exc.problem]) from None
    verdict = Evaluator(book).evaluate(packet)
    if s.fmt == "json":
        return verdict_json(verdict, s.redact), EXIT_OK
    if s.fmt == "markdown":
        return verdict_markdown(verdict, packet.by_id, s.redact), EXIT_OK
    return verdict_text(verdict, packet.by_id, s.redact, style), EXIT_OK
