"""The whole audit as the CLI calls it: options, where the rules and packets are, and the exit
code."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..base.errors import EXIT_FAILURES as EXIT_CHANGES, EXIT_OK, Outcome, UsageError
from ..base.escape import terminal
from ..base.inputs import Item, iter_inputs
from ..base.loader import DEFAULT_MAX_BYTES
from ..book.rules import RuleBook
from .git import (
    RulesAbsentError,
    RulesLocation,
    _schema_path,
    locate_rules,
    resolve_rev,
    rules_at,
    uncommitted,
    working_tree_rules,
)
from .impact import assess
from .render import RENDERERS
from .result import AuditResult, Side


@dataclass
class AuditOptions:
    base: str
    head: str | None = None  # None: the working tree
    packets: list[str] = field(default_factory=list)  # empty: fixtures/ beside the rules folder; relative: to the top
    rules_dir: str | None = None  # default: rules/ at the top of the current repository; relative: to the top
    fmt: str = "text"
    exit_code: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    cwd: str | None = None
    jobs: int = 1  # worker processes; the output is the same for any number


def default_packets(loc: RulesLocation) -> list[str]:
    """Top-level packet files of fixtures/ beside the rules folder (as `rules test` uses),
    relative to the repository's top."""
    folder = Path(loc.workdir).parent / "fixtures"
    files = (
        sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
        if folder.is_dir()
        else []
    )
    shown = _shown(str(folder), loc.top)
    if not files:
        raise UsageError(
            summary=f"no packets found in {shown}/ (fixtures/ beside the rules folder {loc.rel}/; "
            f"looked in {folder}); pass --packets PATH"
        )
    return [_shown(str(p), loc.top) for p in files]


def _shown(path: str, top: str) -> str:
    """A path as the audit shows it: relative to the repository's top when inside it."""
    rel = os.path.relpath(path, top)
    return path if rel == ".." or rel.startswith(".." + os.sep) else Path(rel).as_posix()


def packet_paths(paths: list[str], top: str) -> list[str]:
    """--packets as the audit reads them: relative paths are relative to the repository's top
    (wherever in it the audit runs), absolute ones inside it are shown relative. Every path must
    exist (a typo must not read as "no verdict flips"); the error names where it looked."""
    out = []
    for p in paths:
        if p == "-":
            out.append(p)
            continue
        full = p if os.path.isabs(p) else os.path.join(top, p)
        if not os.path.lexists(full):
            raise UsageError(
                summary=f"--packets {p}: no such file or folder (looked for {os.path.normpath(full)}; "
                "a relative --packets is read from the top of the repository)"
            )
        out.append(_shown(os.path.normpath(full), top))
    return out


class _Counted:
    """The input items, counted as they stream past (zero packets is a usage error)."""

    def __init__(self, items: Iterable[Item]):
        self.items, self.n = items, 0

    def __iter__(self):
        for item in self.items:
            self.n += 1
            yield item


def run_audit(opts: AuditOptions, stdin=None, notes: list[str] | None = None) -> AuditResult:
    cwd = opts.cwd or os.getcwd()
    loc = locate_rules(opts.rules_dir, cwd)
    packets = packet_paths(list(opts.packets), loc.top)
    base_commit = resolve_rev(loc.top, opts.base, "--base")
    head_commit = resolve_rev(loc.top, opts.head, "--head") if opts.head is not None else None
    if opts.head is not None and notes is not None:
        dirty = uncommitted(loc)
        if dirty:
            notes.append(
                f"note: {len(dirty)} uncommitted change(s) under {loc.rel}/ or "
                f"{os.path.dirname(_schema_path(loc))}/ (e.g. {dirty[0]}) are ignored: --head {opts.head} "
                "reads the committed rules; leave out --head to audit the working tree"
            )
    packets = packets or default_packets(loc)
    try:
        base: RuleBook | None = rules_at(loc, opts.base, base_commit)
    except RulesAbsentError:  # a pull request that adds the pack: everything in it is added
        base = None
        if notes is not None:
            notes.append(
                f"note: {loc.rel}/ does not exist at {opts.base}: a new rules pack, every level and "
                "criterion in it is added"
            )
    if opts.head is None:
        head = working_tree_rules(loc)
    else:
        assert head_commit is not None
        head = rules_at(loc, opts.head, head_commit)
    back = os.getcwd()
    os.chdir(loc.top)  # packets are named relative to the repository's top, in every message too
    try:
        items = _Counted(iter_inputs(packets, stdin))
        result = assess(
            base,
            head,
            items,
            opts.max_bytes,
            Side(opts.base, base_commit, base.version if base else ""),
            Side(opts.head, head_commit, head.version),
            jobs=opts.jobs,
            reuse=True,
        )
    finally:
        os.chdir(back)
    if items.n == 0:
        raise UsageError(
            summary=f"no packets found in {', '.join(packets)}: nothing to audit "
            "(packets are .yaml, .yml, .json or .jsonl files; relative paths are read from the top "
            f"of the repository, {loc.top})"
        )
    return result


def execute(opts: AuditOptions, stdin=None) -> Outcome:
    """Run the audit and render it: (output, exit code). Errors: UsageError (2), RulesError (4).
    Notes (e.g. uncommitted rule changes an explicit --head ignores) go to stderr."""
    notes: list[str] = []
    result = run_audit(opts, stdin, notes)
    for n in notes:
        print(terminal(n), file=sys.stderr)
    code = EXIT_CHANGES if opts.exit_code and result.changed else EXIT_OK
    return Outcome(RENDERERS[opts.fmt](result), code)
