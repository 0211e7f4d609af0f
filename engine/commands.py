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


def validate(book: RuleBook, paths: list[str], s: Settings, recursive: bool = False) -> tuple[str, int]:
    """Check every packet of every input; report every problem. JSONL inputs: one packet a line."""
    from .inputs import iter_inputs, load_item

    lines: list[str] = []
    records = []
    bad = total = 0
    skipped: list[str] = []
    expanded = [p for p in paths if not (Path(p).is_dir() and not recursive and not skipped.append(p))]
    if s.fmt != "json":
        lines.extend(f"{d}: is a folder, skipped (use --recursive to check its packets)" for d in skipped)
    for item in iter_inputs(expanded):
        total += 1
        problems: list[Problem] = []
        try:
            check_document(load_item(item, s.max_bytes), book, normalised=False)
        except ParseFailure as exc:
            problems = [exc.problem]
        except EvidenceError as exc:
            problems = exc.problems
        bad += bool(problems)
        if s.fmt == "json":
            records.append(problems_json(item.source, problems, not problems))
        elif problems:
            lines.extend(str(p) for p in problems)
        elif item.kind == "file":
            lines.append(f"{item.source}: ok")
    if s.fmt == "json":
        return dumps({"valid": bad == 0, "packets": total, "invalid": bad, "files": records}), \
            EXIT_INVALID_PACKET if bad else EXIT_OK
    lines.append(f"{total - bad} of {total} packet(s) valid" if bad else f"all {total} packet(s) valid")
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


class Interrupted(Exception):
    def __init__(self, done: int, total: int | None):
        super().__init__(f"interrupted after {done}" + (f" of {total}" if total else "") +
                         " packet(s); no output file was written")
        self.done = done


def batch(paths: list[str], out: str, opts, summary_csv: str | None, progress: bool, stdin=None,
          err=None) -> tuple[str, int]:
    """Evaluate many packets into JSONL at `out` (atomic); returns the summary and exit code."""
    import csv
    import signal

    from .batch import CSV_HEADER, AtomicWriter, Progress, Summary, csv_row, run_batch
    from .inputs import count_inputs, exists_or_dash

    missing = [p for p in paths if not exists_or_dash(p)]
    summary = Summary()
    writers: list = []
    bar = Progress(False, None, err)

    def on_term(signum, frame):  # a kill: clean up like Ctrl-C
        raise KeyboardInterrupt

    # The handler goes in before any temporary file exists, so no signal can strand one.
    old = signal.signal(signal.SIGTERM, on_term)
    try:
        writer = AtomicWriter(out)
        writers.append(writer)
        csv_writer = AtomicWriter(summary_csv) if summary_csv else None
        if csv_writer:
            writers.append(csv_writer)
        table = csv.writer(csv_writer.fh, lineterminator="\n") if csv_writer else None
        if table:
            table.writerow(CSV_HEADER)
        bar = Progress(progress, count_inputs(paths) if progress else None, err)

        def emit(o) -> None:
            writer.write(o.line + "\n")
            summary.add(o)
            if table:
                table.writerow(csv_row(o))
            bar.tick()

        run_batch(paths, opts, emit, stdin)
    except KeyboardInterrupt:
        for w in writers:
            w.abort()
        bar.finish()
        raise Interrupted(summary.total, bar.total) from None
    except BaseException:
        for w in writers:
            w.abort()
        raise
    finally:
        signal.signal(signal.SIGTERM, old)
    writer.commit()
    if csv_writer:
        csv_writer.commit()
    bar.finish()
    text = summary.text()
    if missing:
        text += "\n" + "\n".join(f"{p}: no such file (reported as an error line)" for p in missing)
    return text, EXIT_INVALID_PACKET if summary.invalid else EXIT_OK
