"""`ladder` command line: parse options, call engine.commands, map results to exit codes.

Exit codes: 0 done · 1 rules-test failures / audit --exit-code with flips · 2 usage error ·
3 invalid packet(s) · 4 invalid rules · 70 internal error (a bug; please report it) or a broken
installation (a dependency missing or at the wrong version) · 74 an output could not be written ·
130 interrupted · 141 the reader of stdout went away (`| head`), quietly.
"""

from __future__ import annotations

import os
import signal
import sys

EXIT_INTERRUPTED = 130  # = engine.base.errors.EXIT_INTERRUPTED (the engine is not imported yet)


def _interrupted_at_once(signum, frame) -> None:
    """Ctrl-C outside a running command (start-up, option parsing, loading the rules, printing):
    nothing is half-written, so one line and exit 130 now, not click's "Aborted!" and exit 1, nor
    a traceback from an import. While a command runs (_run), Ctrl-C is a KeyboardInterrupt it
    cleans up after."""
    os.write(2, b"interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def _on_ctrl_c(handler):
    """Install a SIGINT handler; returns the previous one (None: not the main thread, unchanged)."""
    try:
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:  # whoever started us ignores it (`cmd &`): so do we
            return None
        return signal.signal(signal.SIGINT, handler)
    except ValueError:
        return None


_BEFORE_IMPORT = _on_ctrl_c(_interrupted_at_once)  # imports take ~0.3 s: the longest part of start-up

import importlib  # noqa: E402 - after the Ctrl-C handler, on purpose
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import TYPE_CHECKING, NoReturn  # noqa: E402

if TYPE_CHECKING:  # the one shape every command returns (engine.base.errors), for the type checker only
    from engine.base.errors import Outcome

import click  # noqa: E402

# Installed from the wheel this module is ladder.cli, beside the package ladder.engine; in a
# checkout it is the top-level cli.py beside engine/ (the tests, `python -m cli`, an editable
# install's sys.path entry). One name for each layout, never both: no generic top-level name is
# needed once installed.
_ENGINE = f"{__package__}.engine" if __package__ else "engine"

# Cold start: nothing of the engine is imported here. A command imports what it needs when it
# runs (`--help`, `schema` and `validate` never load the rules engine's C core), so these option
# defaults are the engine's own constants, written out (tests/test_durable_version.py keeps them equal).
EXIT_INTERNAL = 70  # = engine.base.errors.EXIT_INTERNAL (not importable yet when the engine is broken)
EXIT_READER_GONE = 141  # = engine.base.errors.EXIT_READER_GONE
DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # = engine.base.loader.DEFAULT_MAX_BYTES
FORMATS = ("text", "json", "markdown")  # = engine.outputs.report.FORMATS


def _cannot_start(exc: ImportError) -> NoReturn:
    """A broken installation: engine.base.errors.DependencyError (durable_rules at another version than
    the one engine.core.firing drives) or a missing dependency. One line that says how to fix it, not a
    traceback; LADDER_DEBUG=1 re-raises."""
    if os.environ.get("LADDER_DEBUG"):
        raise exc
    click.echo(f"ladder: cannot start: {exc}", err=True)
    sys.exit(EXIT_INTERNAL)


def _engine(module: str) -> ModuleType:
    """engine.<module> under whichever name the engine package has here, imported when a command
    first needs it (keeps start-up light)."""
    try:
        return importlib.import_module(f"{_ENGINE}.{module}")
    except ImportError as exc:
        _cannot_start(exc)


def __getattr__(name: str):
    """`cli.commands` and `cli.load_rules`, imported on first use (a test may replace either)."""
    if name == "commands":
        return _engine("commands")
    if name == "load_rules":
        return _engine("book.rules").load_rules
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cli() -> ModuleType:
    return sys.modules[__name__]


def _commands() -> ModuleType:
    return _cli().commands  # a test's replacement of cli.commands.X is seen


def _errors() -> ModuleType:
    return _engine("base.errors")


RULES_OPT = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Rules folder (default: the bundled rules).",
)
FORMAT_OPT = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format."
)
MAXB_OPT = click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Largest packet file accepted.",
)
PATHS_OPT = click.option(
    "--paths",
    "with_paths",
    is_flag=True,
    help="Also assess the fit with the guide's adjacent career paths (as `ladder paths`); the verdict is unchanged.",
)
TODAY_OPT = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="The day of the run, for the one check that reads the clock (a period may not end "
    "after it); default: today. For tests and replaying an old cycle.",
)
EXCLUDE_OPT = click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files or folders whose path below a folder given (or whose name) "
    "matches GLOB, e.g. --exclude invalid or --exclude '*.jsonl' (repeatable). The "
    "summary says how many files came from subfolders and how many were left out.",
)

PRIVATE_OPT = click.option(
    "--private",
    is_flag=True,
    help="Write every output file with mode 0600 (owner only). Default: a new file gets "
    "the umask's mode, a replaced file keeps its own.",
)

PEOPLE_OPT = click.option(
    "--people",
    "people",
    default=None,
    metavar="FILE",
    help="The people directory (CSV with a header, or a JSON/YAML list): check the candidate, "
    "every person id, relationship and verifier against it.",
)
CYCLES_OPT = click.option(
    "--cycles",
    "cycles",
    default=None,
    metavar="FILE",
    help="The cycle calendar (YAML or JSON list of id, start, end; default: cycles: in "
    "ladder.yaml): a packet's cycle must exist and its period end inside it.",
)
REQUIRE_PEOPLE_OPT = click.option(
    "--require-people", "require_people", is_flag=True, help="Refuse to run without --people (a committee run)."
)


def _anchor_options(f):
    return PEOPLE_OPT(CYCLES_OPT(REQUIRE_PEOPLE_OPT(f)))


def _anchors(book, people, cycles, require_people, day):
    """The people directory and cycle calendar of the run, read once, and the day of the run
    (engine.org.anchors); a bad file or a missing mandatory directory ends the run here (exit 2; a
    broken pack calendar exit 4)."""
    try:
        return _engine("org.anchors").load_anchors(book, people, cycles, require_people, day)
    except _errors().LadderError as exc:
        _fail(exc, exc.exit_code)


def _today(today):
    """The day of the run (--today, else the system's), read once: it travels with the anchors
    and the options to every check and worker."""
    return today.date() if today is not None else _engine("base.clock").today()


def _fail(exc: Exception, code: int) -> NoReturn:
    click.echo(_engine("base.escape").terminal_out(str(exc)), err=True)
    sys.exit(code)


def _run(fn: Callable[..., Outcome], *args, to_stderr: bool = False, **kwargs) -> None:
    """Call a command; print its output; exit with its code. Errors become messages, not tracebacks.

    Ctrl-C while the command runs is a KeyboardInterrupt (batch removes its partial files): one
    line, exit 130. A reader of stdout that goes away (`| head`) ends the run quietly."""
    errors = _errors()
    outer = _on_ctrl_c(signal.default_int_handler)
    try:
        try:
            res = fn(*args, **kwargs)  # an engine.base.errors.Outcome: every command's one shape
            if isinstance(res.stdout, str):
                if res.stdout:
                    _echo(res.stdout, err=to_stderr)
            else:  # written as it is made (compare over 100,000 results)
                for piece in _gathered(res.stdout):
                    _echo(piece, err=to_stderr, nl=False)
            code = res.exit_code  # final once a streamed output is consumed
            if res.stderr:
                _echo(res.stderr, err=True)
        except ImportError as exc:  # a dependency missing, or at the wrong version (imported only now)
            _cannot_start(exc)
        except errors.LadderError as exc:  # each error class carries its exit code (engine/base/errors.py)
            _fail(exc, exc.exit_code)
    except KeyboardInterrupt:
        _fail(errors.Interrupted(), errors.Interrupted.exit_code)
    except BrokenPipeError:  # from the command (batch --out -) or from printing its output
        _reader_gone()
    finally:
        if outer is not None:
            _on_ctrl_c(outer)
    sys.exit(code)


def _gathered(chunks: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """Small chunks joined into pieces of about `size` characters: one write per line cost a
    fifth of compare's time over 100,000 results."""
    held: list[str] = []
    n = 0
    for chunk in chunks:
        held.append(chunk)
        n += len(chunk)
        if n >= size:
            yield "".join(held)
            held, n = [], 0
    if held:
        yield "".join(held)


def _echo(text: str, err: bool = False, nl: bool = True, piece: int = 1 << 16) -> None:
    """click.echo in pieces: a reader that leaves while a large write is under way cuts it short
    without an error (Python reports the bytes written), so only a further write shows the broken
    pipe. Any other failure (stdout on a full disk) is an OutputError, exit 74."""
    text = _engine("base.escape").terminal_out(text)  # the terminal door: text from files never acts
    try:
        for i in range(0, len(text), piece):
            click.echo(text[i : i + piece], err=err, nl=False)
        if nl:
            click.echo("", err=err)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _errors().OutputError(
            summary=f"cannot write to standard {'error' if err else 'output'}: {exc.strerror or exc}"
        ) from None


def _reader_gone() -> NoReturn:
    """`ladder ... | head`: the reader went away. End quietly, as Unix tools do, with the shell's
    status for a process its reader left (128 + SIGPIPE). Standard output is pointed at /dev/null
    first, so leaving Python flushes nothing more into the closed pipe (which would print
    "Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout): nothing to flush
        pass
    sys.exit(EXIT_READER_GONE)


def _book(rules_dir):
    try:
        return _cli().load_rules(rules_dir)
    except _errors().RulesError as exc:
        _fail(exc, exc.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ladder")
def main() -> None:
    """Promotion readiness for the product-management career ladder.

    Reads a candidate's evidence packet, fires the ladder's criteria as declarative rules
    (durable_rules) and explains, criterion by criterion, what is met and what is missing.

    Exit codes: 0 done, 1 test failures or audit flips (with --exit-code), 2 usage error,
    3 invalid packet(s), 4 invalid rules, 70 internal error or broken installation, 74 an output
    could not be written (full disk, unwritable or missing folder), 130 interrupted, 141 the
    reader of stdout went away (`| head`; no message).
    """


@main.command()
@click.argument("packets", nargs=-1)
@RULES_OPT
@FORMAT_OPT
@MAXB_OPT
@click.option(
    "-r",
    "--recursive",
    is_flag=True,
    hidden=True,
    help="Folders are always read (as batch reads them); kept for old scripts.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes for large inputs (default: the number of cores).",
)
@TODAY_OPT
@click.option(
    "--decisions",
    "decisions",
    multiple=True,
    metavar="FILE",
    help="A committee's decisions file (CSV or YAML) to check too (repeatable).",
)
@click.option(
    "--results",
    default=None,
    metavar="RESULTS.jsonl",
    help="Check the decisions against these verdicts: every candidate has one, every override contradicts it.",
)
@click.option("--cycle", default=None, help="With --results: only the decisions of this cycle.")
@EXCLUDE_OPT
@_anchor_options
def validate(
    packets,
    rules_dir,
    fmt,
    max_bytes,
    recursive,
    jobs,
    today,
    decisions,
    results,
    cycle,
    exclude,
    people,
    cycles,
    require_people,
):
    """Check packets against the schema and the semantic rules, and decisions files against
    theirs; list every problem. PACKETS are files, folders (read as batch reads them), .jsonl
    files (a packet a line) or - (one YAML or JSON packet on stdin).

    \b
    Example:
      ladder validate fixtures/*.yaml
      ladder validate --format json fixtures/noor-ashgrove-mid-to-senior-ready.yaml
      ladder validate fixtures/cycle-2026-h2
      ladder validate fixtures/ --exclude invalid
      ladder new --target senior-pm | ladder validate -
      ladder validate --decisions fixtures/decisions-2026-h1.csv --results results.jsonl
    """
    day = _today(today)
    s = _commands().Settings(rules_dir, "json" if fmt == "json" else "text", max_bytes, today=day)
    book = _book(rules_dir)
    del recursive  # -r is accepted for old scripts and changes nothing: folders are always read whole
    _run(
        _commands().validate,
        book,
        list(packets),
        s,
        jobs or os.cpu_count() or 1,
        decisions=list(decisions),
        results=results,
        cycle=cycle,
        anchors=_anchors(book, people, cycles, require_people, day),
        anchor_files=(people, cycles),
        exclude=tuple(exclude),
    )


@main.command()
@click.argument("packet")
@click.option("--target", default=None, help="Target level id or alias (default: the packet's, else the next level).")
@RULES_OPT
@FORMAT_OPT
@MAXB_OPT
@click.option("--redact", is_flag=True, help="Leave names and free text (titles, quotes) out of the output.")
@TODAY_OPT
@click.option(
    "--no-plan",
    "no_plan",
    is_flag=True,
    help="Leave out the plan (the records that would make a not-ready candidate ready): faster.",
)
@click.option("--exit-code", "exit_code", is_flag=True, help="Exit 1 unless the verdict is ready (for scripts).")
@click.option("--track", default=None, help="Judge on this track of the ladder instead of the packet's own.")
@PATHS_OPT
@_anchor_options
def evaluate(
    packet,
    target,
    rules_dir,
    fmt,
    max_bytes,
    redact,
    today,
    no_plan,
    exit_code,
    track,
    with_paths,
    people,
    cycles,
    require_people,
):
    """Evaluate one packet (a file, or - for one YAML or JSON packet on stdin) and explain the
    verdict criterion by criterion.

    \b
    Example:
      ladder evaluate fixtures/caspian-thistlewood-mid-to-senior-not-ready.yaml
      ladder evaluate fixtures/noor-ashgrove-mid-to-senior-ready.yaml --target director --format markdown
      cat fixtures/noor-ashgrove-mid-to-senior-ready.yaml | ladder evaluate - --exit-code
      ladder evaluate fixtures/noor-ashgrove-mid-to-senior-ready.yaml --paths
    """
    day = _today(today)
    s = _commands().Settings(
        rules_dir, fmt, max_bytes, redact, plan=not no_plan, exit_code=exit_code, paths=with_paths, today=day
    )
    colour = sys.stdout.isatty()
    book = _book(rules_dir)
    _run(
        _commands().evaluate,
        book,
        packet,
        target,
        s,
        style=(lambda t, **kw: click.style(t, **kw)) if colour else None,
        track=track,
        anchors=_anchors(book, people, cycles, require_people, day),
    )


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    required=True,
    help="Output JSONL file (written atomically), or - for stdout. An existing "
    "device, fifo or /dev/stdout is written through, never replaced.",
)
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=None, help="Worker processes (default: the number of cores)."
)
@click.option("--target", default=None, help="Evaluate every packet for this level instead of its own target.")
@click.option(
    "--summary",
    "summary_csv",
    default=None,
    metavar="FILE.csv",
    help="Also write one CSV row per packet here (spreadsheet-ready, formula-safe).",
)
@click.option(
    "--criteria-csv",
    "criteria_csv",
    default=None,
    metavar="FILE.csv",
    help="Also write one CSV row per candidate and criterion here (the long form, for pivot tables).",
)
@click.option(
    "--html",
    "html",
    default=None,
    metavar="FILE.html",
    help="Also write the cycle as one self-contained HTML report (as ladder report does).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--redact", is_flag=True, help="Leave names out of the output.")
@PRIVATE_OPT
@RULES_OPT
@MAXB_OPT
@TODAY_OPT
@click.option(
    "--no-plan",
    "no_plan",
    is_flag=True,
    help="Leave out each not-ready verdict's plan: about "
    "three times faster on a cycle where most candidates are not ready.",
)
@click.option("--track", default=None, help="Judge every packet on this track instead of its own.")
@PATHS_OPT
@EXCLUDE_OPT
@_anchor_options
def batch(
    inputs,
    out,
    jobs,
    target,
    summary_csv,
    criteria_csv,
    html,
    quiet,
    redact,
    private,
    rules_dir,
    max_bytes,
    today,
    no_plan,
    track,
    with_paths,
    exclude,
    people,
    cycles,
    require_people,
):
    """Evaluate many packets: files, folders, .jsonl files (a packet a line) or - (stdin: JSONL, or
    YAML documents separated by --- lines).

    Writes exactly one JSON line per packet, in input order: a verdict, or an error line naming
    the source. Exits 3 if any packet could not be evaluated (the others are still written).

    --out, --summary, --criteria-csv and --html must each name a different file, none of them an
    input, and none a folder (exit 2, before any work).

    \b
    Example:
      ladder batch fixtures/*.yaml --out results.jsonl --summary results.csv --html cycle.html
      ladder batch fixtures/ --out results.jsonl --criteria-csv criteria.csv --redact
      cat fixtures/noor-ashgrove-mid-to-senior-ready.yaml | ladder batch - --out - --jobs 2
      ladder batch fixtures/ --out results.jsonl --paths
      ladder batch fixtures/ --out results.jsonl --exclude invalid --exclude 'cycle-*'
    """
    day = _today(today)
    opts = _engine("committee.batch").BatchOptions(
        rules_dir,
        target,
        jobs or os.cpu_count() or 1,
        max_bytes,
        redact,
        plan=not no_plan,
        today=day.isoformat(),
        track=track,
        paths=with_paths,
        people=people,
        cycles=cycles,
        require_people=require_people,
        exclude=tuple(exclude),
    )
    book = _book(rules_dir)
    _anchors(book, people, cycles, require_people, day)  # a bad directory or calendar: exit 2 before any work
    _run(
        _commands().batch,
        list(inputs),
        out,
        opts,
        summary_csv,
        not quiet and sys.stderr.isatty(),
        book=book,
        criteria_csv=criteria_csv,
        html=html,
        private=private,
        to_stderr=True,
    )  # stdout may be the verdicts (--out -)


@main.command()
@click.argument("results", metavar="RESULTS.jsonl")
@click.argument("packets", nargs=-1)
@click.option(
    "--out",
    "out",
    required=True,
    metavar="FILE.html",
    help="The HTML file to write (atomically), or -; not RESULTS "
    "or a packet file given (exit 2). An existing device or fifo is written through.",
)
@click.option("--redact", is_flag=True, help="Leave names and evidence titles out.")
@click.option("--no-charts", "no_charts", is_flag=True, help="Tables only: leave the charts out (a smaller file).")
@PRIVATE_OPT
@RULES_OPT
@MAXB_OPT
@click.option(
    "--decisions",
    "decisions",
    multiple=True,
    metavar="FILE",
    help="The committee's decisions (CSV or YAML; repeatable): each candidate's section shows its "
    "decision, reason and overrides, and the cohort counts the decisions.",
)
@click.option(
    "--groups-csv",
    "groups_csv",
    default=None,
    metavar="FILE.csv",
    help="Also write the cohort by target level, track, org and manager as CSV: readiness (and, with "
    "--decisions, promotion) rates and their ratio to the highest group (four-fifths rule); groups "
    "under 5 candidates suppressed.",
)
@_anchor_options
def report(
    results,
    out,
    packets,
    redact,
    no_charts,
    private,
    rules_dir,
    max_bytes,
    decisions,
    groups_csv,
    people,
    cycles,
    require_people,
):
    """The cycle on one screen: one self-contained HTML file (no network; prints well) with the
    cohort's counts, per target level a candidate x criterion matrix sorted by closeness to ready,
    filters by level, track, verdict and org, and a section per candidate: criteria with the
    cited evidence, gaps, plan, warnings and an evidence appendix. Charts (inline SVG, each with
    its figures written out) show verdicts and readiness by group, the criteria most often unmet,
    and each candidate's criteria met against needed.

    Evidence titles come from the PACKETS given (files, folders, .jsonl), each matched to its
    verdict by packet_sha256; without them the report cites evidence ids only.

    \b
    Example:
      ladder batch fixtures/*.yaml --out results.jsonl
      ladder report results.jsonl fixtures/ --out cycle.html
      ladder report results.jsonl fixtures/ --out cycle.html --decisions fixtures/decisions-2026-h1.csv
    """
    book = _book(rules_dir)
    anchors = _anchors(book, people, cycles, require_people, None) if people or cycles or require_people else None
    _run(
        _commands().report,
        book,
        results,
        out,
        redact,
        list(packets),
        max_bytes,
        private,
        anchors=anchors,
        charts=not no_charts,
        decisions=tuple(decisions),
        groups_csv=groups_csv,
    )


@main.command()
@click.option("--target", required=True, help="The level the packet is for (id or alias).")
@click.option("--track", default=None, help="The candidate's track (default: the level's first).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "csv", "xlsx"]),
    default="yaml",
    show_default=True,
    help="yaml: a commented packet on stdout; csv or xlsx: the spreadsheet layout of `ladder import`, "
    "one example row per record (needs --out).",
)
@click.option(
    "--out",
    "out",
    default=None,
    metavar="FILE",
    help="With --format csv|xlsx: the file to write (a CSV's candidates go beside it as FILE-candidates.csv).",
)
@RULES_OPT
def new(target, track, fmt, out, rules_dir):
    """Print a commented YAML packet template for a target level: every evidence type its criteria
    use, each field with its allowed values. Every value is an example: replace them with the
    candidate's evidence. Until its placeholder name and ids and its example titles are replaced,
    the template is refused (exit 3), so an unedited one can never be evaluated.

    \b
    Example:
      ladder new --target senior-pm > packet.yaml
      ladder new --target principal-pm --track ic | ladder validate -
      ladder new --target director --format xlsx --out template.xlsx
    """
    _run(_commands().new, _book(rules_dir), target, track, fmt, out)


@main.command()
@RULES_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="json: the JSON Schema; markdown: the field reference (docs/packets.md).",
)
def schema(rules_dir, fmt):
    """Print the packet schema that packets are checked with under these rules.

    \b
    Example:
      ladder schema > packet.schema.json
      ladder schema --format markdown > docs/packets.md
    """
    _run(_commands().schema, _book(rules_dir), fmt)


@main.command()
@click.argument("directory")
@click.option(
    "--bundled",
    is_flag=True,
    help="Copy the bundled ladder's rules to change (a calibration's rule change starts here).",
)
@click.option(
    "--rules",
    "rules_dir",
    default=None,
    metavar="DIR",
    help="Copy this rules pack instead (its rule files, paths/ and the packet schema beside it): "
    "a variant of a pack you already have.",
)
def init(directory, bundled, rules_dir):
    """Start a rules pack of your own: ladder.yaml, one level file, an empty vocabulary file, a
    fixture with its expected verdict and golden, and a README, in DIRECTORY (new or empty). It
    lints and tests clean. With --bundled, a copy of the bundled ladder's rules instead; with
    --rules DIR, a copy of that pack. All or nothing: written in a temporary folder beside
    DIRECTORY and renamed into place, so a failure (a full disk: exit 74) leaves nothing behind.

    \b
    Example:
      ladder init our-ladder && ladder rules test --rules our-ladder/rules
      ladder init our-copy --bundled && ladder evaluate packet.yaml --rules our-copy/rules
      ladder init pilot --rules our-copy/rules
    """
    _run(_commands().init, directory, bundled, rules_dir)


@main.command("import")
@click.argument("sheet", metavar="FILE.csv|FILE.xlsx")
@click.option(
    "--out", "out", required=True, metavar="DIR", help="The folder to write one packet (JSON) per candidate to."
)
@click.option(
    "--candidates",
    default=None,
    metavar="FILE",
    help="The candidates table, when FILE is a CSV (a workbook has its own candidates sheet).",
)
@RULES_OPT
def import_(sheet, out, candidates, rules_dir):
    """Evidence from a spreadsheet: one row per evidence record (candidate_id, id, type, date, title
    and the type's fields as columns) and a candidates table, to one packet per candidate, each
    validated. Problems name the sheet, the row and the column (exit 3). Cells are read as values,
    never evaluated. The layout: docs/packets.md.

    \b
    Example:
      ladder import cycle.xlsx --out imported/
      ladder import cycle.csv --candidates cycle-candidates.csv --out imported/
    """
    _run(_engine("outputs.spreadsheet").import_sheet, _book(rules_dir), sheet, out, candidates)


@main.command("export")
@click.argument("packets", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    required=True,
    metavar="FILE.xlsx|FILE.csv",
    help="A workbook, or a CSV of the evidence (the candidates beside it as FILE-candidates.csv).",
)
@RULES_OPT
def export(packets, out, rules_dir):
    """Packets to the spreadsheet layout `ladder import` reads: a round trip gives the same packets.

    \b
    Example:
      ladder export fixtures/*.yaml --out cycle.xlsx
      ladder export fixtures/*.yaml --out cycle.csv
    """
    _run(_engine("outputs.spreadsheet").export_packets, _book(rules_dir), list(packets), out)


@main.command()
@click.argument("packet")
@RULES_OPT
@FORMAT_OPT
@MAXB_OPT
@click.option("--redact", is_flag=True, help="Leave names and free text (titles) out of the output.")
@TODAY_OPT
def paths(packet, rules_dir, fmt, max_bytes, redact, today):
    """How well a candidate's evidence fits each of the guide's adjacent career paths.

    For product operations, partnerships, founder/GM, product marketing and innovation/R&D
    (rules/paths/): a fit of strong, some or none, the evidence that shows it and the signals
    still missing, strongest first. A career-conversation aid, never a promotion verdict: the
    packet needs no target level.

    \b
    Example:
      ladder paths fixtures/amara-stonebridge-senior-to-director-not-ready.yaml
      ladder paths fixtures/petra-silvermoss-senior-to-principal-not-ready.yaml --format json
    """
    s = _commands().Settings(rules_dir, fmt, max_bytes, redact, today=_today(today))
    colour = sys.stdout.isatty()
    _run(
        _commands().paths, _book(rules_dir), packet, s, style=(lambda t, **kw: click.style(t, **kw)) if colour else None
    )


@main.command()
@click.argument("packet")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    default="html",
    show_default=True,
    help="html: one self-contained page (no network; the browser's Save as PDF prints it); markdown.",
)
@click.option(
    "--out",
    "out",
    default="-",
    show_default=True,
    metavar="FILE|-",
    help="The file to write (atomically), or - for stdout; not the packet or a file read (exit 2).",
)
@click.option(
    "--decisions",
    "decisions",
    multiple=True,
    metavar="FILE",
    help="The committee's decisions (CSV or YAML, as calibrate reads them; repeatable): this candidate's "
    "decisions, reasons and overrides, beside the packet's own committee: section.",
)
@click.option(
    "--history",
    "history",
    multiple=True,
    metavar="RESULTS.jsonl",
    help="Results files of earlier cycles (as batch writes them; repeatable): this candidate's verdicts.",
)
@click.option("--no-plan", "no_plan", is_flag=True, help="Leave out the development plan: faster.")
@click.option("--redact", is_flag=True, help="Leave names and free text (titles, quotes, reasons) out.")
@RULES_OPT
@MAXB_OPT
@TODAY_OPT
def case(packet, fmt, out, decisions, history, no_plan, redact, rules_dir, max_bytes, today):
    """A promotion case for one candidate, on one page: who they are and the verdict in a
    sentence; each criterion met with the evidence that shows it (titles, dates, who confirmed
    it); what is still open and what was found; the development plan as sentences to hand to the
    person; the fit with the adjacent career paths; the committee's decisions; and, with
    --history, the candidate's earlier verdicts. PACKET is a file, or - for one packet on stdin.

    A problem in a decisions or results file is named on stderr and the page is still written
    without it (exit 3); an invalid packet writes nothing (exit 3).

    \b
    Example:
      ladder case fixtures/caspian-thistlewood-mid-to-senior-not-ready.yaml --out case.html
      ladder case fixtures/caspian-thistlewood-mid-to-senior-not-ready.yaml --format markdown --decisions fixtures/decisions-2026-h1.csv
      ladder case fixtures/caspian-thistlewood-mid-to-senior-not-ready.yaml --history results.jsonl --redact --out case.html
    """
    _run(
        _engine("committee.case").execute,
        _book(rules_dir),
        packet,
        fmt,
        out,
        tuple(decisions),
        tuple(history),
        redact,
        not no_plan,
        max_bytes,
        _today(today),
    )


@main.group()
def people():
    """The people directory that --people reads (CSV with a header, or a JSON/YAML list; columns
    id, name, level, track, manager, org, status, and any more for cohort views).

    \b
    Example:
      ladder people check fixtures/people.csv
    """


@people.command("check")
@click.argument("file")
@RULES_OPT
def people_check(file, rules_dir):
    """Check a people directory: ids, levels (a ladder level or another role), tracks, managers
    (known, no loops) and statuses; print its digest. Exit 2 with every problem located.

    \b
    Example:
      ladder people check fixtures/people.csv
    """
    _run(_engine("org.people").check_file, file, _book(rules_dir))


@main.group()
def rules():
    """Check, list and golden-test the rules (rules/ YAML).

    \b
    Example:
      ladder rules lint
      ladder rules show --level senior-pm --format markdown
      ladder rules test --junit rules-junit.xml
    """


@rules.command("lint")
@RULES_OPT
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 4).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_lint(rules_dir, strict, fmt):
    """Check the rules: schema, ids, fields and values against the evidence schema, tenure gating,
    engine acceptance, and warnings (e.g. a higher level demanding less than the one below).

    \b
    Example:
      ladder rules lint --rules rules/
    """
    _run(_commands().rules_lint, rules_dir, strict, fmt)


@rules.command("show")
@RULES_OPT
@click.option("--level", default=None, help="Only this level (id or alias).")
@FORMAT_OPT
def rules_show(rules_dir, level, fmt):
    """List the ladder's levels, policies and criteria: the rules as documentation.

    \b
    Example:
      ladder rules show --format json
    """
    _run(_commands().rules_show, _book(rules_dir), level, fmt)


@rules.command("test")
@RULES_OPT
@click.option(
    "--fixtures",
    "fixtures_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Fixture packets (default: fixtures/ beside the rules folder).",
)
@click.option("--update", is_flag=True, help="Rewrite the golden files on purpose.")
@click.option("--junit", "junit", type=click.Path(dir_okay=False), default=None, help="Write a JUnit XML report.")
@click.option(
    "--snapshots",
    type=click.Choice(["beside", "temp", "none"]),
    default="beside",
    show_default=True,
    help="Where a mismatch's NAME.golden.new goes: beside the golden, a new temporary folder (named "
    "in the output; the pre-commit hook uses it), or nowhere.",
)
@PRIVATE_OPT
def rules_test(rules_dir, fixtures_dir, update, junit, snapshots, private):
    """Evaluate every fixture and compare with its golden verdict (fixtures/expected/*.golden).

    A mismatch prints a per-criterion diff, writes NAME.golden.new beside the golden (see
    --snapshots) and exits 1.
    The coverage report lists criteria no fixture meets, or none leaves unmet.

    \b
    Example:
      ladder rules test
      ladder rules test --update     # after an intended rule change
    """
    _run(_commands().rules_test, _book(rules_dir), fixtures_dir, update, junit, snapshots, private)


@main.command()
@click.option("--base", required=True, help="Revision with the old rules (a branch, tag or commit).")
@click.option("--head", default=None, help="Revision with the new rules (default: the working tree).")
@click.option(
    "--packets",
    multiple=True,
    help="Packets to evaluate under both: files, folders, .jsonl or - "
    "(repeatable; default: the packet files in fixtures/ beside the rules folder). A relative path is "
    "relative to the top of the repository, from any folder in it.",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Rules folder inside a git repository (default: rules/ at the top of the current one). A relative "
    "path is relative to the top of the repository, from any folder in it.",
)
@FORMAT_OPT
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when a verdict flips (or a packet gains or loses its verdict), like git diff.",
)
@MAXB_OPT
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, as for batch (for many packets); the output is the same for any number.",
)
def audit(base, head, packets, rules_dir, fmt, exit_code, max_bytes, jobs):
    """Show what a rule change changes: the rule diff by meaning, and every verdict it flips.

    Reads the rules at --base (and --head, or the working tree) from git, evaluates every
    packet under both versions in one process, and lists each verdict that flips with the
    criteria whose status changed. Invalid packets are listed, not fatal.

    \b
    Example:
      ladder audit --base main
      ladder audit --base main --head HEAD --format markdown > audit.md
      ladder audit --base v1.2 --packets fixtures/ --packets packets.jsonl --exit-code
      ladder audit --base main --packets packets.jsonl --jobs 4
    """
    audit_mod = _engine("audit")

    _run(
        audit_mod.execute,
        audit_mod.AuditOptions(base, head, list(packets), rules_dir, fmt, exit_code, max_bytes, jobs=jobs),
    )


@main.command()
@click.argument("results", metavar="RESULTS.jsonl")
@click.argument("packets", nargs=-1, required=True)
@RULES_OPT
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
@MAXB_OPT
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes, as for batch (default: the number of cores).",
)
@_anchor_options
def reverify(results, packets, rules_dir, fmt, max_bytes, jobs, people, cycles, require_people):
    """Prove recorded verdicts: re-evaluate each packet whose packet_sha256 is in RESULTS.jsonl and
    report every verdict that no longer replays byte for byte (a changed packet, changed rules).

    Exit 0 when every verdict replays, 1 otherwise. The clock plays no part: a recorded verdict
    shows its packet passed the period check on the day it was made.

    \b
    Example:
      ladder batch fixtures/*.yaml --out results.jsonl
      ladder reverify results.jsonl fixtures/*.yaml
      ladder reverify results.jsonl packets/ --format json
    """
    book = _book(rules_dir)
    _anchors(book, people, cycles, require_people, None)  # a bad directory or calendar: exit 2 before any work
    _run(
        _engine("committee.reverify").execute,
        book,
        results,
        list(packets),
        fmt,
        max_bytes,
        jobs or os.cpu_count() or 1,
        people=people,
        cycles=cycles,
    )


@main.command()
@click.option("--results", required=True, metavar="RESULTS.jsonl", help="Verdicts, as ladder batch --out writes.")
@click.option("--decisions", default=None, metavar="FILE", help="The committee's decisions file (CSV or YAML).")
@click.option(
    "--packets",
    "packets",
    multiple=True,
    metavar="PACKET",
    help="Packets (files, folders, JSONL; repeatable) whose committee: sections hold decisions too; a "
    "decisions file's row for the same candidate and cycle comes first.",
)
@click.option(
    "--cycle",
    default=None,
    help="Only this cycle's decisions (needed when a candidate has several and the verdicts name no cycle).",
)
@RULES_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def calibrate(results, decisions, packets, cycle, rules_dir, fmt):
    """Where the committee and the rules disagree: the agreement matrix (tool verdict x decision),
    agreement rate, Cohen's kappa, overrides per criterion and which way, the same per level,
    track and org (groups and cells under 5 candidates suppressed), and the criteria disagreed
    with most, with the ladder audit command to try a change.

    \b
    Example:
      ladder calibrate --results results.jsonl --decisions fixtures/decisions-2026-h1.csv
      ladder calibrate --results results.jsonl --decisions decisions.yaml --format html > calibration.html
      ladder calibrate --results results.jsonl --packets packets/
    """
    _run(_engine("committee.calibrate").execute, _book(rules_dir), results, decisions, fmt, cycle, tuple(packets))


@main.command()
@click.argument("old", metavar="OLD.jsonl")
@click.argument("new", metavar="NEW.jsonl")
@RULES_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "csv"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--decisions",
    "decisions",
    multiple=True,
    metavar="FILE",
    help="The committee's decisions (CSV or YAML, as calibrate reads them; repeatable): each candidate "
    "shows the decision on the old verdict, and a promotion the new packet does not show is flagged.",
)
@click.option(
    "--packets",
    "packets",
    multiple=True,
    metavar="PACKET",
    help="The old cycle's packets (repeatable): their committee: sections are decisions too, after "
    "the --decisions files' rows.",
)
def compare(old, new, rules_dir, fmt, decisions, packets):
    """History across cycles: per candidate, the verdict change and the unmet criteria closed and
    opened since the last cycle; for the cohort, how many moved up, stayed, fell back.

    \b
    Example:
      ladder compare results-2026-h1.jsonl results-2026-h2.jsonl
      ladder compare old.jsonl new.jsonl --format csv > progress.csv
      ladder compare results-2026-h1.jsonl results-2026-h2.jsonl --decisions fixtures/decisions-2026-h1.csv
    """
    _run(_engine("committee.compare").execute, _book(rules_dir), old, new, fmt, tuple(decisions), tuple(packets))


def run() -> None:
    """The console script: `main`, with a last line of defence so a bug never shows a traceback.

    Bad input is handled where it is read and gets exit 2, 3 or 4; an exception that still
    escapes is a bug in ladder: one line naming the exception type (never the input's content)
    and exit 70. LADDER_DEBUG=1 re-raises it for a developer.
    """
    _on_ctrl_c(_interrupted_at_once)
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - the point of this function
        if os.environ.get("LADDER_DEBUG"):
            raise
        click.echo(
            f"ladder: internal error ({type(exc).__name__}); this is a bug, please report it "
            "(set LADDER_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


# The module body (imports, then the commands' decorators) is start-up too: only now, at its
# very end, is Ctrl-C given back to whoever imported us (the tests import cli as a library);
# run() installs the one-line handler again for the console script. Restoring it after the
# imports but before the decorators left a window where a Ctrl-C showed a traceback.
if _BEFORE_IMPORT is not None:
    _on_ctrl_c(_BEFORE_IMPORT)

if __name__ == "__main__":  # pragma: no cover
    run()
