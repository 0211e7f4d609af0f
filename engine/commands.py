"""What each CLI command does, as functions returning (output, exit code). No click here."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .base.errors import (
    EXIT_FAILURES,
    EXIT_INVALID_PACKET,
    EXIT_INVALID_RULES,
    EXIT_OK,
    EngineError,
    EvidenceError,
    Interrupted,
    Outcome,
    OutputError,
    Problem,
    RulesError,
    UsageError,
)
from .base.escape import TermText, terminal, terminal_lines
from .base.loader import DEFAULT_MAX_BYTES
from .base.suggest import did_you_mean

if TYPE_CHECKING:
    from .book.rules import RuleBook

# Cold start: each command imports what it uses when it runs (the evaluator and its rules engine,
# the report formats, the pipeline), so `ladder schema` or `ladder validate` pays for none of it.


@dataclass
class Settings:
    rules_dir: str | None = None
    fmt: str = "text"
    max_bytes: int = DEFAULT_MAX_BYTES
    redact: bool = False
    plan: bool = True  # a not-ready verdict carries its plan (engine.core.plan)
    exit_code: bool = False  # evaluate --exit-code: exit 1 unless the verdict is ready
    paths: bool = False  # evaluate: the adjacent paths' fit after the verdict (engine.core.career_fit)
    today: dt.date | None = None  # the day of the run (--today; None: the system's, read when checking)


PARALLEL_VALIDATE_BYTES = 4 * 1024 * 1024  # below this, worker start-up costs more than it saves


def validate(
    book: RuleBook,
    paths: list[str],
    s: Settings,
    jobs: int = 1,
    decisions: list[str] | tuple = (),
    results: str | None = None,
    cycle: str | None = None,
    anchors=None,
    anchor_files: tuple = (None, None),
    exclude: tuple[str, ...] = (),
) -> Outcome:
    """Check every packet of every input, and every decisions file; report every problem. JSONL
    inputs: one packet a line. With `results`, decisions are checked against those verdicts too.

    Large inputs are checked by `jobs` worker processes (the batch pool); the report is the same."""
    if results is not None and not decisions:
        raise UsageError(summary="--results checks decisions files against verdicts: give --decisions FILE too")
    if not paths and not decisions:
        raise UsageError(summary="nothing to check: give packet files, or --decisions FILE")
    from .base.inputs import Selection, iter_inputs
    from .committee.batch import BatchOptions, run_batch, validate_item
    from .outputs.report import dumps, problems_json

    lines: list[str] = []
    records = []
    bad = total = 0
    expanded = list(paths)  # folders are read as batch reads them (--recursive is kept for old scripts)
    selection = Selection(tuple(exclude))

    def report(source: str, kind: str, problems: list[Problem]) -> None:
        nonlocal bad, total
        total += 1
        bad += bool(problems)
        if s.fmt == "json":
            records.append(problems_json(source, problems, not problems))
        elif problems:
            lines.extend(str(p) for p in problems)
        elif kind in ("file", "doc"):
            lines.append(f"{terminal(source, newlines=False)}: ok")

    if jobs > 1 and "-" not in expanded and _input_bytes(expanded) > PARALLEL_VALIDATE_BYTES:
        from .base import clock

        opts = BatchOptions(
            s.rules_dir,
            None,
            jobs,
            s.max_bytes,
            validate_only=True,
            people=anchor_files[0],
            cycles=anchor_files[1],
            today=(anchors.today if anchors is not None else s.today or clock.today()).isoformat(),
        )
        run_batch(
            expanded,
            opts,
            lambda o: report(
                o.source,
                o.kind,
                o.problems
                if o.kind
                else [Problem(o.source, "", "could not be checked (the worker crashed)", kind="crash")],
            ),
            selection=selection,
        )
    else:
        for item in iter_inputs(expanded, one_packet=True, selection=selection):
            report(item.source, item.kind, validate_item(item, book, s.max_bytes, anchors))
    if paths and not total:
        raise UsageError(
            summary="\n".join(
                [
                    f"no packets found in {', '.join(paths)}: nothing was checked (packets are .yaml, .yml or .json "
                    "files, or the lines of a .jsonl file)"
                ]
            )
        )
    dec_records, dec_lines, dec_bad = _validate_decisions(book, list(decisions), results, cycle)
    if s.fmt == "json":
        doc = {"valid": bad == 0 and not dec_bad, "packets": total, "invalid": bad, "files": records}
        if selection.from_subfolders or selection.excluded:
            doc["inputs"] = selection.as_dict()
        if paths:
            doc["checked_against"] = (anchors if anchors is not None else _pack_anchors(book)).checked()
        if decisions:
            doc["decisions"] = dec_records
        return Outcome(dumps(doc), EXIT_INVALID_PACKET if bad or dec_bad else EXIT_OK)
    if paths:
        lines += [f"not checked: {n}" for n in _not_checked(anchors, book)]
        lines += [terminal(x, newlines=False) for x in selection.lines()]
        lines.append(f"{total - bad} of {total} packet(s) valid" if bad else f"all {total} packet(s) valid")
    lines.extend(dec_lines)
    return Outcome("\n".join(lines), EXIT_INVALID_PACKET if bad or dec_bad else EXIT_OK)


def _pack_anchors(book: RuleBook):
    from .org.anchors import for_book

    return for_book(book)


def _not_checked(anchors, book: RuleBook) -> list[str]:
    """What `ladder validate` did not check the packets against (engine.org.anchors)."""
    return (anchors if anchors is not None else _pack_anchors(book)).checked().get("not_checked", [])


def _validate_decisions(
    book: RuleBook, files: list[str], results: str | None, cycle: str | None
) -> tuple[list[dict], list[str], int]:
    """Each decisions file against its schema and the rules, and against `results` when given."""
    from .committee.decisions import check_against_results, load_decisions

    records: list[dict] = []
    lines: list[str] = []
    bad = 0
    for f in files:
        d = load_decisions(f, book)
        problems = list(d.problems)
        if results is not None:
            problems += check_against_results(d, results, book, cycle)
            problems.sort(key=lambda p: (p.source != f, p.line or 0))  # stable: file order within a line
        bad += bool(problems)
        records.append(
            {"source": f, "valid": not problems, "decisions": len(d.rows), "problems": [p.as_dict() for p in problems]}
        )
        lines.extend(str(p) for p in problems)
        if not problems:
            lines.append(
                f"{f}: ok ({len(d.rows)} decision(s)" + (f", each with a verdict in {results})" if results else ")")
            )
    if files:
        lines.append(
            f"{len(files) - bad} of {len(files)} decisions file(s) valid"
            if bad
            else f"all {len(files)} decisions file(s) valid"
        )
    return records, lines, bad


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
        raise UsageError(
            summary=f"--target: unknown level {target!r}{book.level_hint(target)} "
            f"(known: {', '.join(book.ordered_levels())})"
        )


def check_track(book: RuleBook, track: str | None) -> None:
    """An unknown --track is the command line's mistake (UsageError, exit 2)."""
    if track is not None and track not in book.tracks:
        raise UsageError(
            summary=f"--track: unknown track {track!r}{did_you_mean(track, book.tracks)} "
            f"(this ladder's tracks: {', '.join(book.tracks)})"
        )


def evaluate(
    book: RuleBook, path: str, target: str | None, s: Settings, style=None, track: str | None = None, anchors=None
) -> Outcome:
    """One verdict; with s.paths the adjacent paths' fit follows it, and the verdict's own output
    is byte for byte what it is without (JSON: a `paths` key appended after its keys)."""
    from .base.inputs import stdin_packet
    from .core import pipeline
    from .core.evaluator import Evaluator
    from .outputs.report import (
        paths_markdown,
        paths_text,
        verdict_json,
        verdict_markdown,
        verdict_text,
        with_paths_json,
    )

    check_target(book, target)
    check_track(book, track)
    assessor = _assessor(book) if s.paths else None  # a broken path profile: exit 4 before any work
    verdict, packet = pipeline.run(
        stdin_packet() if path == "-" else path, Evaluator(book), target, s.max_bytes, track, anchors, with_plan=s.plan
    ).verdict_or_raise()
    fits = _fit(packet, assessor) if assessor else None
    code = EXIT_FAILURES if s.exit_code and verdict.verdict != "ready" else EXIT_OK
    if s.fmt == "json":
        return Outcome((with_paths_json(verdict, fits, s.redact) if fits else verdict_json(verdict, s.redact)), code)
    if s.fmt == "markdown":
        text = verdict_markdown(verdict, packet.by_id, s.redact)
        return Outcome((text + "\n" + paths_markdown(fits, packet.by_id, s.redact) if fits else text), code)
    text = verdict_text(verdict, packet.by_id, s.redact, style)
    return Outcome((TermText(text + "\n\n" + paths_text(fits, packet.by_id, s.redact, style)) if fits else text), code)


def _fit(packet, assessor):
    from .core import pipeline

    fits = pipeline.fit(packet, assessor)
    if isinstance(fits, pipeline.Result):
        raise EngineError(fits.problems)
    return fits


def _assessor(book: RuleBook):
    from .core.career_fit import assessor_for

    return assessor_for(book)


def paths(book: RuleBook, path: str, s: Settings, style=None) -> Outcome:
    """The fit with each adjacent career path, strongest first: never a promotion verdict, so a
    packet needs no level to be promoted to (a VP, an external candidate without a target)."""
    from .base.inputs import stdin_packet
    from .core import pipeline
    from .outputs.report import paths_json, paths_markdown, paths_text

    assessor = _assessor(book)
    doc = pipeline.load(stdin_packet() if path == "-" else path, s.max_bytes)
    if isinstance(doc, pipeline.Result):
        raise EvidenceError(doc.problems)
    from .org.anchors import for_book

    packet = pipeline.check(doc, book, need_target=False, anchors=for_book(book, s.today))
    if isinstance(packet, pipeline.Result):
        raise (EngineError if packet.kind == pipeline.INTERNAL else EvidenceError)(packet.problems)
    fits = _fit(packet, assessor)
    if s.fmt == "json":
        return Outcome(paths_json(fits, s.redact), EXIT_OK)
    if s.fmt == "markdown":
        return Outcome(paths_markdown(fits, packet.by_id, s.redact), EXIT_OK)
    return Outcome(paths_text(fits, packet.by_id, s.redact, style), EXIT_OK)


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def batch(
    paths: list[str],
    out: str,
    opts,
    summary_csv: str | None,
    progress: bool,
    stdin=None,
    err=None,
    book: RuleBook | None = None,
    criteria_csv: str | None = None,
    html: str | None = None,
    private: bool = False,
) -> Outcome:
    """Evaluate many packets into JSONL at `out` (atomic); returns the summary and exit code.
    Beside it, all derived from its lines: `summary_csv`, `criteria_csv` and the `html` report.
    Raises UsageError (an unknown --target; an output that is a folder, that another output or an
    input also names), OutputError (exit 74), Interrupted; BrokenPipeError when the reader of
    `--out -` goes away (the CLI ends quietly). `private`: every file written is 0600."""
    from .base.output import check_outputs

    check_outputs(
        [("--out", out), ("--summary", summary_csv), ("--criteria-csv", criteria_csv), ("--html", html)],
        [("an input", p) for p in paths],
    )
    for opt, p in (("--summary", summary_csv), ("--criteria-csv", criteria_csv)):
        if p and os.path.splitext(p)[1].lower() in SPREADSHEET_SUFFIXES:
            # CSV text under a workbook's name opens as a broken file: refuse before any work
            raise UsageError(
                summary=f"{opt}: {p} names a workbook, but {opt} writes CSV; name a .csv file "
                "(a spreadsheet program opens it)"
            )
    if book is not None:
        check_target(book, opts.target)
        check_track(book, opts.track)
        if opts.paths:
            _assessor(book)  # a broken path profile: exit 4 here, not in every worker
    try:
        return _batch(paths, out, opts, summary_csv, progress, stdin, err, criteria_csv, html, book, private)
    except BrokenPipeError:
        raise
    except OSError as exc:  # the writers name their file; this is anything else that failed to write
        raise OutputError(summary=f"cannot write output: {exc.strerror or exc}") from None


def _batch(
    paths: list[str],
    out: str,
    opts,
    summary_csv: str | None,
    progress: bool,
    stdin,
    err,
    criteria_csv: str | None = None,
    html: str | None = None,
    book: RuleBook | None = None,
    private: bool = False,
) -> Outcome:
    import signal
    import sys

    from .base.inputs import Selection, count_inputs, exists_or_dash, visible
    from .base.output import AtomicWriter, leftover_note
    from .committee.batch import Progress, Summary, run_batch
    from .outputs import derived

    missing = [visible(p) for p in paths if not exists_or_dash(p)]
    summary = Summary()
    selection = Selection(opts.exclude)
    writers: list = []
    bar = Progress(False, None, err)
    titles: list | None = [] if html else None
    if html:
        opts.titles = True

    def on_term(signum, frame):  # a kill: clean up like Ctrl-C
        raise KeyboardInterrupt

    # The handler goes in before any temporary file exists, so no signal can strand one.
    old = signal.signal(signal.SIGTERM, on_term)
    try:
        for target in [out] + [p for p in (summary_csv, criteria_csv, html) if p]:
            writers.append(
                AtomicWriter(target, private)
                if target != "-" or writers
                else derived.Stream(keep=bool(summary_csv or criteria_csv or html))
            )
            for note in leftover_note(target, writers[-1].removed):
                print(terminal(note), file=err or sys.stderr)
        writer = writers[0]
        extra: dict[str, AtomicWriter | None] = dict(zip(("summary", "criteria", "html"), [None] * 3))
        rest = iter(writers[1:])
        for name, p in (("summary", summary_csv), ("criteria", criteria_csv), ("html", html)):
            if p:
                extra[name] = next(rest)
        bar = Progress(progress, count_inputs(paths, opts.exclude) if progress else None, err)

        stream = isinstance(writer, derived.Stream)

        def emit(o) -> None:
            line = o.line
            if stream and o.candidate is not None and o.candidate in summary.first:
                # streamed: a repeated candidate's line names the inputs before it (a file's names all)
                line = derived.splice_also_in(
                    line, o.source, summary.repeated.get(o.candidate) or [summary.first[o.candidate]]
                )
            writer.write(line + "\n")
            summary.add(o)
            if titles is not None:
                titles.append(o.titles)
            bar.tick()

        run_batch(paths, opts, emit, stdin, selection)
        report = None
        if html:
            from .outputs.report_html import Report

            directory = None
            if opts.people and book is not None:
                from .org.people import load_directory

                directory = load_directory(opts.people, book)  # its further columns: cohort groups
            report = Report(redact=opts.redact, level_order=book.ordered_levels() if book else (), directory=directory)
        shared = summary.outcomes.flags()  # the same outcome claimed by two candidates (engine.book.outcomes)
        if (summary.repeated or shared) and not stream or summary_csv or criteria_csv or html:
            flagged = derived.derive(
                writer, summary.repeated, extra["summary"], extra["criteria"], report, titles, shared, summary.lines
            )
            if flagged is not writer:  # the lines again, each repeated candidate flagged
                writer.abort()
                writers[0] = writer = flagged
        if report is not None:
            html_writer = extra["html"]
            assert html_writer is not None  # a report is made only with --html
            try:
                for piece in report.render_chunks():
                    html_writer.write(piece)
            finally:
                report.close()
        for w in writers:  # all on disk before any is renamed into place: all or none
            w.finish()
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
    try:
        for w in writers:
            w.commit()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    bar.finish()
    text = summary.text(streamed=out == "-")
    if not opts.redact and (said := selection.lines()):
        text += "\n" + terminal_lines(said)
    listed = {src for src, _ in summary.failed}
    if missing and opts.redact:
        text += f"\n{len(missing)} input(s) not found (reported as error lines)"
    elif any(p not in listed for p in missing):  # past the summary's list: still say which were not there
        text += "\n" + "\n".join(f"{p}: no such file (reported as an error line)" for p in missing if p not in listed)
    if not summary.total:
        text += (
            "\nno packets were read"
            + ("" if opts.redact else f" from {', '.join(paths)}")
            + f"; {'the output is empty' if out == '-' else out + ' is empty'}"
        )
    return Outcome(text, EXIT_INVALID_PACKET if summary.invalid else EXIT_OK)


def rules_lint(rules_dir: str | None, strict: bool, fmt: str) -> Outcome:
    """(stdout, exit code, stderr): every rule problem; errors (or warnings with --strict) exit 4."""
    from .authoring import ruletools
    from .book.career_paths import load_paths
    from .book.rules import load_rules
    from .outputs.report import dumps

    try:
        book = load_rules(rules_dir)
        problems = ruletools.engine_check(book) + ruletools.lint(book)
        try:  # the adjacent paths, checked against the book (only a loaded book can check them)
            paths = load_paths(book)
            problems += ruletools.paths_engine_check(paths, book.people) + ruletools.lint_paths(book, paths)
        except RulesError as exc:
            if not exc.problems:
                raise
            problems += exc.problems
    except RulesError as exc:
        problems = exc.problems or []
        if not problems:
            raise
    errors = [p for p in problems if p.severity == "error" or (strict and p.severity == "warning")]
    code = EXIT_INVALID_RULES if errors else EXIT_OK
    if fmt == "json":
        return Outcome(
            dumps({"ok": not errors, "problems": [dict(p.as_dict(), file=p.source) for p in problems]}), code, ""
        )
    lines = [f"{p}" + (f" ({p.severity})" if p.severity != "error" else "") for p in problems]
    if errors:
        return Outcome("", code, "\n".join(lines))
    warned = sum(p.severity == "warning" for p in problems)
    acked = sum(p.severity == "acknowledged" for p in problems)
    noted = sum(p.severity == "note" for p in problems)
    tail = ", ".join(
        [f"{warned} warning(s)"] * bool(warned)
        + [f"{acked} acknowledged"] * bool(acked)
        + [f"{noted} note(s)"] * bool(noted)
    )
    return Outcome("\n".join(lines + ["rules ok" + (f", {tail}" if tail else "")]), code, "")


def init(directory: str, bundled: bool = False, rules_dir: str | None = None) -> Outcome:
    """`ladder init DIR`: a new pack that lints and tests clean (`--bundled`: a copy of the
    bundled ladder to change; `--rules DIR`: a copy of that pack)."""
    from .authoring.scaffold import init_pack

    if bundled and rules_dir is not None:
        raise UsageError(summary="--bundled copies the bundled ladder and --rules DIR copies that pack: give one")
    files = init_pack(directory, bundled, rules_dir)
    bundled = bundled or rules_dir is not None
    rules = Path(directory) / "rules"
    nxt = (
        f"next: commit it, edit a level file, then ladder audit --rules {rules} --base HEAD --packets PACKETS"
        if bundled
        else f"next: ladder rules lint --rules {rules} --strict; ladder rules test --rules {rules}"
    )
    return Outcome("\n".join([*(f"wrote {f}" for f in files), "", nxt]), EXIT_OK)


def rules_show(book: RuleBook, level: str | None, fmt: str) -> Outcome:
    from .authoring import ruletools
    from .outputs.report import dumps

    if level is not None:
        resolved = book.resolve(level)
        if resolved is None:
            raise UsageError(summary=f"unknown level {level!r}{book.level_hint(level)}")
        level = resolved
    from .book.career_paths import load_paths

    paths = None if level is not None else load_paths(book)  # --level: that level only
    if fmt == "json":
        return Outcome(dumps(ruletools.show_dict(book, level, paths)), EXIT_OK)
    return Outcome(ruletools.show_text(book, level, markdown=fmt == "markdown", paths=paths), EXIT_OK)


def rules_test(
    book: RuleBook,
    fixtures_dir: str | None,
    update: bool,
    junit: str | None,
    snapshots: str = "beside",
    private: bool = False,
) -> Outcome:
    """Every fixture against its golden verdict; exit 1 on a mismatch or an error. `snapshots`:
    where a mismatch's NAME.golden.new goes: beside the golden, into a new temporary folder
    (`temp`: what the pre-commit hook uses, so nothing untracked lands in the repository), or
    nowhere (`none`)."""
    import shutil
    import tempfile

    from .authoring import ruletools

    fx = Path(fixtures_dir) if fixtures_dir else Path(book.directory).parent / "fixtures"
    cases = ruletools.default_fixtures(fx) if fx.is_dir() else []
    if not cases:
        raise UsageError(summary=f"no fixture packets found in {fx}; pass --fixtures DIR")
    from .book.career_paths import load_paths

    paths = load_paths(book)
    new_dir = (
        {"beside": ruletools.BESIDE, "none": None}.get(snapshots)
        if snapshots != "temp"
        else Path(tempfile.mkdtemp(prefix="ladder-golden-"))
    )
    results = ruletools.run_tests(book, cases, fx / "expected", update, paths, new_dir)
    text = ruletools.tests_text(
        results,
        ruletools.coverage(book, results),
        ruletools.coverage(book, results, paths.signals) if paths.paths else None,
    )
    if snapshots == "temp" and new_dir is not None:
        if any(new_dir.iterdir()):
            text += f"\nsnapshots of the mismatches (NAME.golden.new): {new_dir}\n"
        else:
            shutil.rmtree(new_dir, ignore_errors=True)
    if junit:  # atomic, and with the mode of any other output (engine.base.output; --private: 0600)
        from .base.output import AtomicWriter

        w = AtomicWriter(junit if junit != "-" else "./-", private)  # a file named -, as before
        try:
            w.write(ruletools.junit_xml(results))
            w.commit()
        except BaseException:
            w.abort()
            raise
    failed = any(r.status in ("fail", "error") for r in results)
    return Outcome(text, EXIT_FAILURES if failed else EXIT_OK)


def report(
    book: RuleBook,
    results: str,
    out: str,
    redact: bool = False,
    packets: list[str] | tuple = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    private: bool = False,
    charts: bool = True,
    anchors=None,
    decisions: tuple[str, ...] = (),
    groups_csv: str | None = None,
) -> Outcome:
    """RESULTS.jsonl (as batch writes it) -> one self-contained HTML file at `out` (atomic; `-`:
    stdout). Evidence titles come from `packets`, each matched to its verdict by packet_sha256, so
    a packet changed since its verdict lends it no titles. A line that is neither a verdict nor an
    error line is left out and named on stderr (exit 3). `out` may not name RESULTS or a packet
    file given (UsageError, exit 2); `private`: it is written 0600."""
    from .base.output import AtomicWriter, check_outputs
    from .outputs.report_html import Report
    from .outputs.results import iter_lines, parse, problems_text

    check_outputs(
        [("--out", out), ("--groups-csv", groups_csv)],
        [("RESULTS", results)] + [("a PACKETS file", p) for p in packets],
    )
    problems: list[Problem] = []
    own: list = []  # the packets' own committee sections, as decisions (after the files' rows)
    titles = _titles_by_hash(packets, max_bytes, book, own, problems)
    if redact:
        titles = {}
    matcher = None
    if decisions or own:
        from .committee.decisions import Matcher, load_decisions

        rows = []
        for f in decisions:
            got = load_decisions(f, book)
            problems += got.problems
            rows += got.rows
        matcher = Matcher(rows + own)
    rep = Report(
        redact=redact,
        titled=bool(packets),
        level_order=book.ordered_levels(),
        charts=charts,
        decisions=matcher,
        directory=anchors.people if anchors is not None else None,
    )
    unanchored = 0
    for line in iter_lines(results):
        d = line if isinstance(line, Problem) else parse(line)
        if isinstance(d, Problem):
            problems.append(d)
            continue
        rep.add(d, titles.get(d.get("packet_sha256") or ""))
        if anchors is not None and "error" not in d:
            unanchored += _unanchored(d, anchors)
    try:
        w = AtomicWriter(out, private)
        g = AtomicWriter(groups_csv, private) if groups_csv else None
        try:
            for piece in rep.render_chunks():
                w.write(piece)
            if g is not None:
                from .base.escape import csv_text
                from .outputs.report_html import GROUP_COLUMNS, groups_csv_rows

                g.write(csv_text([GROUP_COLUMNS] + groups_csv_rows(rep.cohort()["groups"])))
                g.finish()
            w.finish()
        except BaseException:
            w.abort()
            if g is not None:
                g.abort()
            raise
        if g is not None:
            g.commit()
        w.commit()
    except OSError as exc:
        raise OutputError(summary=f"cannot write {out}: {exc.strerror or exc}") from None
    rep.close()
    n = len(rep.rows) + len(rep.errors)
    note = "" if out == "-" else f"{out}: {n} result line(s), {len(rep.rows)} verdict(s)"
    if unanchored:
        note += ("\n" if note else "") + (
            f"{unanchored} verdict(s) were not made against the people directory and "
            "cycle calendar given (their checked_against digests differ)"
        )
    err = "\n".join(x for x in (note, problems_text(problems)) if x)
    return Outcome("", EXIT_INVALID_PACKET if problems else EXIT_OK, err)


def _unanchored(d: dict, anchors) -> int:
    """1 when a verdict line was checked against another directory or calendar than `anchors`'."""
    got = d.get("checked_against") or {}
    want = anchors.checked()
    return int(got.get("people") != want["people"] or got.get("cycles") != want["cycles"])


def _titles_by_hash(
    paths: list[str] | tuple,
    max_bytes: int,
    book: RuleBook | None = None,
    decided: list | None = None,
    problems: list[Problem] | None = None,
) -> dict[str, dict]:
    """packet_sha256 -> evidence id -> [type, date, title], for every readable packet of `paths`;
    with `decided`, each packet's own `committee:` section is added to it as a decision (its
    problems to `problems`)."""
    from .base.inputs import iter_inputs
    from .core import pipeline
    from .core.evidence import packet_sha256

    out: dict[str, dict] = {}
    for item in iter_inputs(list(paths)):
        doc = pipeline.load(item, max_bytes)
        if isinstance(doc, pipeline.Result) or not isinstance(doc.data, dict):
            continue
        if decided is not None and isinstance(doc.data.get("committee"), dict):
            from .committee.decisions import from_packet

            got = from_packet(doc, book)
            decided += got.rows
            if problems is not None:
                problems += got.problems
        ev = doc.data.get("evidence")
        if isinstance(ev, list):
            out[packet_sha256(doc.data)] = {
                e["id"]: [e.get("type"), e.get("date"), e.get("title")]
                for e in ev
                if isinstance(e, dict) and isinstance(e.get("id"), str)
            }
    return out


def new(book: RuleBook, target: str, track: str | None = None, fmt: str = "yaml", out: str | None = None) -> Outcome:
    """`ladder new`: a packet template for a target level (engine.authoring.packets): commented YAML on
    stdout, or the spreadsheet layout (`--format csv|xlsx --out FILE`, engine.outputs.spreadsheet) with
    one example row per record. Either way its placeholders are refused until replaced."""
    from .authoring.packets import template, template_data
    from .core.evaluator import Evaluator

    if fmt == "yaml":
        if out is not None:
            raise UsageError(summary="--out: the YAML template is printed; redirect it (ladder new ... > packet.yaml)")
        return Outcome(template(book, Evaluator(book), target, track).rstrip("\n"), EXIT_OK, "")
    if out is None:
        raise UsageError(summary=f"--format {fmt}: give --out FILE.{fmt} (a spreadsheet is a file, not text)")
    from .outputs.spreadsheet import write_template

    data = template_data(book, Evaluator(book), target, track)[0]
    return Outcome("", EXIT_OK, write_template(book, data, out, fmt))


def schema(book: RuleBook, fmt: str = "json") -> Outcome:
    """`ladder schema`: the packet schema the rules in use check packets with, or its field reference."""
    import json

    from .authoring.packets import field_reference

    data = book.packet_schema.data
    if fmt == "markdown":
        return Outcome(field_reference(data).rstrip("\n"), EXIT_OK)
    return Outcome(json.dumps(data, indent=2, ensure_ascii=False), EXIT_OK)
