"""The whole audit as the CLI calls it: options, where the rules and packets are, and the exit
code."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EXIT_FAILURES as EXIT_CHANGES
from ..errors import EXIT_OK, UsageError
from ..escape import terminal
from ..inputs import Item, iter_inputs
from ..loader import DEFAULT_MAX_BYTES
from .git import RulesLocation, _schema_path, locate_rules, resolve_rev, rules_at, uncommitted, working_tree_rules
from .impact import assess
from .render import RENDERERS
from .result import AuditResult, Side


@dataclass
class AuditOptions:
    base: str
    head: str | None = None  # None: the working tree
    packets: list[str] = field(default_factory=list)  # empty: fixtures/ beside the rules folder
    rules_dir: str | None = None  # default: rules/ at the top of the current repository
    fmt: str = "text"
    exit_code: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    cwd: str | None = None
    jobs: int = 1  # worker processes; the output is the same for any number


def default_packets(loc: RulesLocation, cwd: str) -> list[str]:
    """Top-level packet files of fixtures/ beside the rules folder (as `rules test` uses)."""
    folder = Path(loc.workdir).parent / "fixtures"
    files = sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file()) \
        if folder.is_dir() else []
    if not files:
        raise UsageError(summary=f"no packets found in {folder}; pass --packets PATH")
    out = []
    for p in files:
        rel = os.path.relpath(p, cwd)
        out.append(str(p) if rel.startswith("..") else rel)
    return out


def check_packet_paths(paths: list[str], cwd: str) -> None:
    """Every --packets path must exist (a typo must not read as "no verdict flips")."""
    for p in paths:
        if p != "-" and not os.path.lexists(p if os.path.isabs(p) else os.path.join(cwd, p)):
            raise UsageError(summary=f"--packets {p}: no such file or folder")


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
    check_packet_paths(list(opts.packets), cwd)
    base_commit = resolve_rev(loc.top, opts.base, "--base")
    head_commit = resolve_rev(loc.top, opts.head, "--head") if opts.head is not None else None
    if opts.head is not None and notes is not None:
        dirty = uncommitted(loc)
        if dirty:
            notes.append(f"note: {len(dirty)} uncommitted change(s) under {loc.rel}/ or "
                         f"{os.path.dirname(_schema_path(loc))}/ (e.g. {dirty[0]}) are ignored: --head {opts.head} "
                         "reads the committed rules; leave out --head to audit the working tree")
    packets = list(opts.packets) or default_packets(loc, cwd)
    base = rules_at(loc, opts.base, base_commit)
    if opts.head is None:
        head = working_tree_rules(loc)
    else:
        assert head_commit is not None
        head = rules_at(loc, opts.head, head_commit)
    items = _Counted(iter_inputs(packets, stdin))
    result = assess(base, head, items, opts.max_bytes,
                    Side(opts.base, base_commit, base.version), Side(opts.head, head_commit, head.version),
                    jobs=opts.jobs, reuse=True)
    if items.n == 0:
        raise UsageError(summary=f"no packets found in {', '.join(packets)}: nothing to audit "
                         "(packets are .yaml, .yml, .json or .jsonl files)")
    return result


def execute(opts: AuditOptions, stdin=None) -> tuple[str, int]:
    """Run the audit and render it: (output, exit code). Errors: UsageError (2), RulesError (4).
    Notes (e.g. uncommitted rule changes an explicit --head ignores) go to stderr."""
    notes: list[str] = []
    result = run_audit(opts, stdin, notes)
    for n in notes:
        print(terminal(n), file=sys.stderr)
    code = EXIT_CHANGES if opts.exit_code and result.changed else EXIT_OK
    return RENDERERS[opts.fmt](result), code
