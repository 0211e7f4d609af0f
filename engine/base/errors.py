"""Error types. One base, two families: bad rules (authoring) and bad packets (evidence).

Errors carry fields; messages are built from them so reporters never parse strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .escape import terminal


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    source: str  # file path, "file:line" for JSONL, or "<stdin>:N"
    path: str  # JSON pointer into the document, "" for the whole document
    message: str
    line: int | None = None
    column: int | None = None
    kind: str = "invalid"  # parse | schema | semantic | io | rules | tenure ...
    severity: str = "error"  # error | warning

    def location(self) -> str:
        loc = terminal(self.source, newlines=False)  # a file name may hold any byte but / and NUL
        if self.line is not None:
            loc += f":{self.line}"
        return loc

    def __str__(self) -> str:
        where = self.location()
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        d: dict = {"path": self.path, "message": self.message}
        if self.line is not None:
            d["line"] = self.line
        d["kind"] = self.kind
        if self.severity != "error":
            d["severity"] = self.severity
        return d


# Exit codes (README, "Exit codes"), decided here: each error class carries its own.
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INVALID_PACKET, EXIT_INVALID_RULES = 0, 1, 2, 3, 4
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in ladder or the engine, never bad input
EXIT_IO = 74  # EX_IOERR: an output could not be written (a full disk, an unwritable or vanished folder)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention
EXIT_READER_GONE = 141  # 128 + SIGPIPE: stdout's reader went away (`| head`); the shell's convention


class Outcome:
    """What every command gives the command line, the one shape: its standard output (the text,
    or pieces made while the input is read), its standard error and its exit code. A failure is
    raised instead, as a LadderError carrying its exit code. A streamed outcome (`stdout` an
    iterator) knows its exit code and standard error once its pieces are consumed."""

    __slots__ = ("stdout", "exit_code", "stderr")

    def __init__(self, stdout: str | Iterable[str] = "", exit_code: int = EXIT_OK, stderr: str = ""):
        self.stdout = stdout
        self.exit_code = exit_code
        self.stderr = stderr

    def __repr__(self) -> str:
        shown = self.stdout if isinstance(self.stdout, str) else "<stream>"
        return f"Outcome({shown!r}, {self.exit_code}, {self.stderr!r})"


@dataclass
class LadderError(Exception):
    """Base for every error `ladder` reports to a user."""

    problems: list[Problem] = field(default_factory=list)
    summary: str = ""
    exit_code = EXIT_USAGE

    def __str__(self) -> str:
        if self.summary and not self.problems:
            return self.summary
        return "\n".join(str(p) for p in self.problems) or self.summary


class RulesError(LadderError):
    """The rules directory is broken: exit code 4."""

    exit_code = EXIT_INVALID_RULES


class EvidenceError(LadderError):
    """A packet is broken (it cannot be parsed, or it is invalid): exit code 3."""

    exit_code = EXIT_INVALID_PACKET


class UsageError(LadderError):
    """The command was called wrongly (bad revision, bad option value): exit code 2."""

    exit_code = EXIT_USAGE


class EngineError(LadderError):
    """The rules engine failed on valid input: a bug, exit code 70."""

    exit_code = EXIT_INTERNAL


class OutputError(LadderError):
    """An output could not be written (a full disk, a folder that is not there or not writable):
    exit code 74, never the usage error's 2, so a script can tell a full disk from a typo."""

    exit_code = EXIT_IO


class Interrupted(LadderError):
    """Ctrl-C or SIGTERM: nothing half-written is left; exit 130 (the shell's convention)."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, done: int | None = None, total: int | None = None):
        """done: packets finished before the interrupt, for a command that writes them (batch)."""
        super().__init__(
            summary="interrupted"
            if done is None
            else f"interrupted after {done}"
            + (f" of {total}" if total else "")
            + " packet(s); no output file was written"
        )
        self.done = done


class DependencyError(LadderError, ImportError):
    """A dependency is missing or at a version ladder cannot use; raised when the module that
    needs it is imported (an ImportError too), so nothing runs against the wrong library."""

    exit_code = EXIT_INTERNAL


def first_problem(problems: list[dict]) -> str:
    """An error line's first problem in one line: `line 3: /evidence/0/role: ...`."""
    if not problems:
        return ""
    p = problems[0]
    return (
        (f"line {p['line']}: " if p.get("line") is not None else "")
        + (f"{p['path']}: " if p.get("path") else "")
        + str(p.get("message", ""))
        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
    )
