"""What each CLI command does, as functions returning (output, exit code). No click here."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import pipeline
from .errors import EngineError, EvidenceError, Interrupted, OutputError, Problem, RulesError, UsageError
from .evaluator import Evaluator
from .loader import DEFAULT_MAX_BYTES
from .report import (dumps, paths_json, paths_markdown, paths_text, problems_json, verdict_json, verdict_markdown,
                     verdict_text, with_paths_json)
from .rules import RuleBook

from .errors import (EXIT_FAILURES, EXIT_INVALID_PACKET, EXIT_INVALID_RULES, EXIT_OK,  # noqa: F401 - re-exported
                     EXIT_USAGE)


@dataclass
class Settings:
    rules_dir: str | None = None
    fmt: str = "text"
    max_bytes: int = DEFAULT_MAX_BYTES
    redact: bool = False
    color: bool = False
    plan: bool = True  # a not-ready verdict carries its plan (engine.plan)
    paths: bool = False  # evaluate: the adjacent paths' fit after the verdict (engine.paths)


PARALLEL_VALIDATE_BYTES = 4 * 1024 * 1024  # below this, worker start-up costs more than it saves


def validate(book: RuleBook, paths: list[str], s: Settings, recursive: bool = False,
             jobs: int = 1) -> tuple[str, int]:
    """Check every packet of every input; report every problem. JSONL inputs: one packet a line.

    Large inputs are checked by `jobs` worker processes (the batch pool); the report is the same."""
    from .batch import BatchOptions, run_batch, validate_item
    from .inputs import iter_inputs

    lines: list[str] = []
    records = []
    bad = total = 0
    skipped: list[str] = []
    expanded: list[str] = []
    for p in paths:
        (skipped if Path(p).is_dir() and not recursive else expanded).append(p)
    if s.fmt != "json":
        lines.extend(f"{d}: is a folder, skipped (use --recursive to check its packets)" for d in skipped)

    def report(source: str, kind: str, problems: list[Problem]) -> None:
        nonlocal bad, total
        total += 1
        bad += bool(problems)
        if s.fmt == "json":
            records.append(problems_json(source, problems, not problems))
        elif problems:
            lines.extend(str(p) for p in problems)
        elif kind == "file":
            lines.append(f"{source}: ok")

    if jobs > 1 and _input_bytes(expanded) > PARALLEL_VALIDATE_BYTES:
        opts = BatchOptions(s.rules_dir, None, jobs, s.max_bytes, validate_only=True)
        run_batch(expanded, opts, lambda o: report(o.source, o.kind, o.problems if o.kind else [
            Problem(o.source, "", "could not be checked (the worker crashed)", kind="crash")]))
    else:
        for item in iter_inputs(expanded):
            report(item.source, item.kind, validate_item(item, book, s.max_bytes))
    if s.fmt == "json":
        return dumps({"valid": bad == 0, "packets": total, "invalid": bad, "files": records}), \
            EXIT_INVALID_PACKET if bad else EXIT_OK
    lines.append(f"{total - bad} of {total} packet(s) valid" if bad else f"all {total} packet(s) valid")
    return "\n".join(lines), EXIT_INVALID_PACKET if bad else EXIT_OK


def _input_bytes(paths: list[str]) -> int:
    total = 0
    for p in paths:
        if p == "-":
            continue
        try:
            if os.path.isfile(p):
                total += os.path.getsize(p)
            elif os.path.isdir(p):
                total += sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(p) for f in fs)
        except OSError:
            continue
        if total > PARALLEL_VALIDATE_BYTES:
            break
    return total


def check_target(book: RuleBook, target: str | None) -> None:
    """An unknown --target is the command line's mistake, not the packet's (UsageError, exit 2)."""
    if target is not None and book.resolve(target) is None:
        raise UsageError(summary=f"--target: unknown level {target!r}{book.level_hint(target)} "
                                 f"(known: {', '.join(book.ordered_levels())})")


def evaluate(book: RuleBook, path: str, target: str | None, s: Settings, style=None) -> tuple[str, int]:
    """One verdict; with s.paths the adjacent paths' fit follows it, and the verdict's own output
    is byte for byte what it is without (JSON: a `paths` key appended after its keys)."""
    check_target(book, target)
    assessor = _assessor(book) if s.paths else None  # a broken path profile: exit 4 before any work
    r = pipeline.run(path, Evaluator(book, plan=s.plan), target, s.max_bytes)
    if r.kind == pipeline.INTERNAL:
        raise EngineError(r.problems)
    if not r.ok:
        raise EvidenceError(r.problems)
    verdict, packet = r.verdict, r.packet
    assert verdict is not None and packet is not None
    fits = _fit(packet, assessor) if assessor else None
    if s.fmt == "json":
        return (with_paths_json(verdict, fits, s.redact) if fits else verdict_json(verdict, s.redact)), EXIT_OK
    if s.fmt == "markdown":
        text = verdict_markdown(verdict, packet.by_id, s.redact)
        return (text + "\n" + paths_markdown(fits, packet.by_id, s.redact) if fits else text), EXIT_OK
    text = verdict_text(verdict, packet.by_id, s.redact, style)
    return (text + "\n\n" + paths_text(fits, packet.by_id, s.redact, style) if fits else text), EXIT_OK


def _fit(packet, assessor):
    fits = pipeline.fit(packet, assessor)
    if isinstance(fits, pipeline.Result):
        raise EngineError(fits.problems)
    return fits


def _assessor(book: RuleBook):
    from .pathrules import load_paths
    from .paths import PathAssessor

    return PathAssessor(book, load_paths(book))


def paths(book: RuleBook, path: str, s: Settings, style=None) -> tuple[str, int]:
    """The fit with each adjacent career path, strongest first: never a promotion verdict, so a
    packet needs no level to be promoted to (a VP, an external candidate without a target)."""
    assessor = _assessor(book)
    doc = pipeline.load(path, s.max_bytes)
    if isinstance(doc, pipeline.Result):
        raise EvidenceError(doc.problems)
    packet = pipeline.check(doc, book, need_target=False)
    if isinstance(packet, pipeline.Result):
        raise (EngineError if packet.kind == pipeline.INTERNAL else EvidenceError)(packet.problems)
    fits = _fit(packet, assessor)
    if s.fmt == "json":
        return paths_json(fits, s.redact), EXIT_OK
    if s.fmt == "markdown":
        return paths_markdown(fits, packet.by_id, s.redact), EXIT_OK
    return paths_text(fits, packet.by_id, s.redact, style), EXIT_OK


def batch(paths: list[str], out: str, opts, summary_csv: str | None, progress: bool, stdin=None,
          err=None, book: RuleBook | None = None) -> tuple[str, int]:
    """Evaluate many packets into JSONL at `out` (atomic); returns the summary and exit code.
    Raises UsageError (an unknown --target), OutputError, Interrupted."""
    if book is not None:
        check_target(book, opts.target)
        if opts.paths:
            _assessor(book)  # a broken path profile: exit 4 here, not in every worker
    try:
        return _batch(paths, out, opts, summary_csv, progress, stdin, err)
    except OSError as exc:
        raise OutputError(summary=f"cannot write output: {exc}") from None


def _batch(paths: list[str], out: str, opts, summary_csv: str | None, progress: bool, stdin, err) -> tuple[str, int]:
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


def rules_lint(rules_dir: str | None, strict: bool, fmt: str) -> tuple[str, int, str]:
    """(stdout, exit code, stderr): every rule problem; errors (or warnings with --strict) exit 4."""
    from . import ruletools
    from .rules import load_rules

    from .pathrules import load_paths

    try:
        book = load_rules(rules_dir)
        problems = ruletools.engine_check(book) + ruletools.lint(book)
        try:  # the adjacent paths, checked against the book (only a loaded book can check them)
            paths = load_paths(book)
            problems += ruletools.paths_engine_check(paths) + ruletools.lint_paths(book, paths)
        except RulesError as exc:
            if not exc.problems:
                raise
            problems += exc.problems
    except RulesError as exc:
        problems = exc.problems or []
        if not problems:
            raise
    errors = [p for p in problems if p.severity == "error" or strict]
    code = EXIT_INVALID_RULES if errors else EXIT_OK
    if fmt == "json":
        return dumps({"ok": not errors, "problems": [dict(p.as_dict(), file=p.source) for p in problems]}), code, ""
    lines = [f"{p}" + (" (warning)" if p.severity == "warning" else "") for p in problems]
    if errors:
        return "", code, "\n".join(lines)
    return "\n".join(lines + ["rules ok" if not problems else f"rules ok, {len(problems)} warning(s)"]), code, ""


def rules_show(book: RuleBook, level: str | None, fmt: str) -> tuple[str, int]:
    from . import ruletools

    if level is not None:
        resolved = book.resolve(level)
        if resolved is None:
            raise UsageError(summary=f"unknown level {level!r}{book.level_hint(level)}")
        level = resolved
    from .pathrules import load_paths

    paths = None if level is not None else load_paths(book)  # --level: that level only
    if fmt == "json":
        return dumps(ruletools.show_dict(book, level, paths)), EXIT_OK
    return ruletools.show_text(book, level, markdown=fmt == "markdown", paths=paths), EXIT_OK


def rules_test(book: RuleBook, fixtures_dir: str | None, update: bool, junit: str | None) -> tuple[str, int]:
    """Every fixture against its golden verdict; exit 1 on a mismatch or an error."""
    from . import ruletools

    fx = Path(fixtures_dir) if fixtures_dir else Path(book.directory).parent / "fixtures"
    cases = ruletools.default_fixtures(fx) if fx.is_dir() else []
    if not cases:
        raise UsageError(summary=f"no fixture packets found in {fx}; pass --fixtures DIR")
    from .pathrules import load_paths

    paths = load_paths(book)
    results = ruletools.run_tests(book, cases, fx / "expected", update, paths)
    text = ruletools.tests_text(results, ruletools.coverage(book, results),
                                ruletools.coverage(book, results, paths.signals) if paths.paths else None)
    if junit:
        try:
            Path(junit).write_text(ruletools.junit_xml(results), encoding="utf-8")
        except OSError as exc:
            raise OutputError(summary=f"cannot write {junit}: {exc.strerror}") from None
    failed = any(r.status in ("fail", "error") for r in results)
    return text, EXIT_FAILURES if failed else EXIT_OK
