"""Adjacent career paths: the fit profiles in rules/paths/<id>.yaml, loaded and checked.

A path is not a level and never gives a promotion verdict (README, `ladder paths`). Each profile
holds the guide's signals for one adjacent role as conditions over evidence, in the levels' rule
language (docs/rules.md), which engine.book.compiler compiles and engine.core.firing fires. They are
loaded only when asked for (`ladder paths`, `--paths`, `rules lint|show|test`): a promotion
verdict never depends on them, and a broken profile never stops one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import Problem, RulesError
from ..base.loader import Document
from ..base.suggest import did_you_mean
from .fields import FieldChecker, scales_as_lists
from .rules import Criterion, RuleBook, _schema_problems, canonical_json, read_yaml_folder, with_default_window

FOLDER = "paths"  # beside ladder.yaml


@dataclass(frozen=True)
class AdjacentPath:
    id: str
    title: str
    source: str
    min_supporting: int  # a strong fit: every required signal, and this many supporting ones
    signals: tuple[Criterion, ...]  # Criterion values, `level` holding the path id
    file: str = ""
    basis: str | None = None
    basis_note: str | None = None


@dataclass(frozen=True)
class PathBook:
    """The adjacent paths of one rule book, by id (sorted), and their version: a hash of the
    profiles and of the ladder they are checked against (level ids, default window, schema)."""

    paths: dict[str, AdjacentPath]
    version: str
    directory: str

    @property
    def signals(self) -> list[Criterion]:
        return [s for p in self.paths.values() for s in p.signals]


def paths_dir(book: RuleBook) -> Path:
    return Path(book.directory) / FOLDER


def load_paths(book: RuleBook) -> PathBook:
    """The rule book's adjacent paths (none when its folder has no paths/); raises RulesError
    listing every problem, each with its file, line and field."""
    directory = str(paths_dir(book).absolute())  # (not resolved: a paths/ linked out of the pack is refused)
    key = (directory, book.version, book.ladder_version, _contents(Path(directory)))
    hit = _LOADED.get(key)
    if hit is None:
        if len(_LOADED) > 8:
            _LOADED.clear()
        hit = _LOADED[key] = _load(directory, book)
    return hit


_LOADED: dict[tuple[str, str, str, str], PathBook] = {}  # like load_rules: read once per content


def _contents(d: Path) -> str:
    """The profiles' bytes, hashed: a profile edited while a process runs is read again."""
    h = hashlib.sha256()
    for f in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")) if d.is_dir() else []:
        try:
            h.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
        except OSError:
            continue  # the loader says what cannot be read
    return h.hexdigest()


def _load(directory: str, book: RuleBook) -> PathBook:
    d = Path(directory)
    docs: dict[str, Document] = read_yaml_folder(d, book.directory) if d.is_dir() else {}
    return build_paths(docs, book, directory)


def build_paths(docs: dict[str, Document], book: RuleBook, directory: str = "") -> PathBook:
    """Check every profile against schemas/paths.schema.json, then what a schema cannot say: the
    file is named after its path, ids are unique and prefixed by the path's, no path id is a
    level id, predicates fit the evidence schema (engine.book.fields), the policy can be met."""
    problems: list[Problem] = []
    for doc in docs.values():
        if not isinstance(doc.data, dict):
            problems.append(
                Problem(
                    doc.source,
                    "",
                    "a path file must be a mapping (path, title, source, policy, signals)",
                    line=doc.locate(""),
                    kind="rules",
                )
            )
        else:
            problems += _schema_problems(doc, "paths")
    if problems:
        raise RulesError(problems)

    checker = FieldChecker(set(book.levels), book.packet_schema)
    window = book.raw.get("ladder", {}).get("default_window_days")
    taken = {c.id: c.file for c in book.all_criteria()}
    paths: dict[str, AdjacentPath] = {}

    for name, doc in docs.items():
        data = doc.data

        def bad(ptr: str, message: str, doc: Document = doc) -> None:  # this file's doc, bound now
            problems.append(Problem(doc.source, ptr, message, line=doc.locate(ptr), kind="rules"))

        pid = data["path"]
        stem = name.rsplit(".", 1)[0]
        if stem != pid:
            bad("/path", f"the file {name} holds path {pid!r}: name it {pid}.yaml")
        if pid in paths:
            bad("/path", f"path {pid!r} already has a file ({paths[pid].file})")
            continue
        if pid in book.levels or book.resolve(pid) is not None:
            bad("/path", f"{pid!r} is a level id or alias; a path is not a level: give it another id")
        signals = []
        for i, sg in enumerate(data["signals"]):
            ptr = f"/signals/{i}"
            if not sg["id"].startswith(pid + "."):
                bad(f"{ptr}/id", f"signal id must start with '{pid}.'{did_you_mean(sg['id'].split('.')[0], [pid])}")
            if sg["id"] in taken:
                bad(f"{ptr}/id", f"duplicate id {sg['id']!r} (also in {taken[sg['id']]})")
            taken[sg["id"]] = doc.source
            for path, msg, kind in checker.check_condition(sg["condition"], f"{ptr}/condition"):
                problems.append(Problem(doc.source, path, msg, line=doc.locate(path), kind=kind))
            base = scales_as_lists(sg["condition"], checker.types)  # as for a criterion (engine.book.rules)
            cond = base if window is None else with_default_window(base, window)
            signals.append(
                Criterion(
                    sg["id"],
                    pid,
                    sg["title"],
                    sg["source"],
                    sg["required"],
                    cond,
                    None,
                    sg.get("rationale"),
                    doc.source,
                    doc.locate(ptr),
                    sg.get("basis"),
                    sg.get("basis_note"),
                )
            )
        pol = data["policy"]
        supporting = sum(1 for s in signals if not s.required)
        if pol["min_supporting"] > supporting:
            bad(
                "/policy/min_supporting",
                f"asks for {pol['min_supporting']} supporting signals but the path has only {supporting}",
            )
        if pol["min_supporting"] == 0 and not any(s.required for s in signals):
            bad(
                "/policy/min_supporting",
                "with no required signal and min_supporting 0 a packet with no "
                "evidence would be a strong fit: mark a signal required or raise min_supporting",
            )
        paths[pid] = AdjacentPath(
            pid,
            data["title"],
            data["source"],
            pol["min_supporting"],
            tuple(signals),
            doc.source,
            pol.get("basis"),
            pol.get("basis_note"),
        )
    if problems:
        raise RulesError(problems)
    raw = {pid: docs_data for pid, docs_data in sorted((d.data["path"], d.data) for d in docs.values())}
    version = "sha256:" + hashlib.sha256((canonical_json(raw) + book.ladder_version).encode()).hexdigest()
    return PathBook(dict(sorted(paths.items())), version, directory)
