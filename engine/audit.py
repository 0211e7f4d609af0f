"""`ladder audit`: what a rule change changes, before it merges.

The flow, one stage a section below:
git (the rules folder at a revision, read without a shell) -> two RuleBooks ->
rule diff by meaning (parsed data, criteria keyed by id) -> impact (every packet under both
books in one process) -> AuditResult (a value) -> renderers (text, json, markdown).
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .commands import EXIT_FAILURES as EXIT_CHANGES
from .commands import EXIT_OK
from .errors import EvidenceError, LadderError, Problem, RulesError, UsageError
from .evaluator import Evaluator
from .evidence import Packet, candidate_id, check_document
from .inputs import Item, iter_inputs, load_item
from .loader import DEFAULT_MAX_BYTES, Document, ParseFailure, decode, guess_format, load_file, parse_text
from .report import dumps
from .rules import RuleBook, build_rulebook, canonical_json
from .schema import PacketSchema, packet_schema_beside, read_packet_schema
from .verdict import LevelResult, Verdict

WORKING_TREE = "working tree"
MD_MAX_ROWS = 200  # a pull-request comment is capped at 65,536 characters; JSON has every row
MD_MAX_CHARS = 60_000  # the whole markdown stays under this, leaving room for a wrapper around it


# =============================================================================================
# git: revisions and the rules folder at a revision
# =============================================================================================
# Inside a git hook these point at the hook's repository and would override `-C`.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX",
                 "GIT_COMMON_DIR")


def _git(repo: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, env=env, timeout=120, check=False)
    except FileNotFoundError:
        raise UsageError(summary="git is not installed (or not on PATH); the audit reads the rules from git") \
            from None
    except subprocess.TimeoutExpired:
        raise UsageError(summary=f"git {args[0]} timed out in {repo}") from None


def _stderr(cp: subprocess.CompletedProcess) -> str:
    return cp.stderr.decode("utf-8", "replace").strip()


@dataclass(frozen=True)
class RulesLocation:
    """Where the rules live: the repository's top folder and the rules folder inside it."""

    top: str
    rel: str  # posix path relative to `top`; "." when the rules are the top folder itself
    workdir: str  # the rules folder in the working tree (absolute)


def locate_rules(rules_dir: str | None, cwd: str | None = None) -> RulesLocation:
    """The repository and the rules folder in it; UsageError when there is no repository."""
    cwd = cwd or os.getcwd()
    target = Path(rules_dir) if rules_dir is not None else None
    probe = Path(cwd) if target is None else (target if target.is_absolute() else Path(cwd) / target)
    start = probe
    while not start.is_dir() and start != start.parent:  # a rules folder deleted in the working tree
        start = start.parent
    cp = _git(str(start), "rev-parse", "--show-toplevel")
    if cp.returncode != 0:
        where = f"--rules {rules_dir}" if rules_dir is not None else f"the current folder ({cwd})"
        raise UsageError(summary=f"not a git repository: {where} is not inside one ({_stderr(cp) or 'git failed'}); "
                         "run the audit inside the repository that holds the rules, or pass --rules DIR")
    top = os.path.realpath(cp.stdout.decode("utf-8", "surrogateescape").strip())
    # No --rules: rules/ at the top of the repository, wherever in it the audit is run from.
    workdir = os.path.realpath(Path(top) / "rules" if target is None else probe)
    rel = os.path.relpath(workdir, top)
    if rel == ".." or rel.startswith(".." + os.sep):
        raise UsageError(summary=f"--rules {rules_dir} is outside the repository {top}")
    return RulesLocation(top, Path(rel).as_posix(), workdir)


def resolve_rev(top: str, rev: str, option: str) -> str:
    """The commit a revision names; UsageError for option-like or unknown revisions."""
    if not rev or rev.startswith("-"):
        raise UsageError(summary=f"{option} {rev!r}: a revision must not start with '-' (or be empty)")
    cp = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")  # "-" refused above
    if cp.returncode != 0:
        hint = ""
        if is_shallow(top):
            hint = ("; this is a shallow clone, so older history may be missing: fetch it with "
                    "`git fetch --unshallow` (in GitHub Actions: actions/checkout with `fetch-depth: 0`)")
        raise UsageError(summary=f"{option} {rev!r}: unknown revision in {top} (not a commit git can find){hint}")
    return cp.stdout.decode().strip()


def is_shallow(top: str) -> bool:
    cp = _git(top, "rev-parse", "--is-shallow-repository")
    return cp.returncode == 0 and cp.stdout.decode().strip() == "true"


def uncommitted(loc: RulesLocation) -> list[str]:
    """Paths under the rules folder or the packet schema's folder that differ from HEAD (or are
    untracked): what an explicit --head does not see."""
    schemas = os.path.dirname(_schema_path(loc))
    cp = _git(loc.top, "status", "--porcelain", "-z", "--untracked-files=all", "--", loc.rel, schemas)
    if cp.returncode != 0:
        return []
    out = []
    for entry in cp.stdout.split(b"\0"):
        if len(entry) > 3 and entry[2:3] == b" ":
            out.append(entry[3:].decode("utf-8", "surrogateescape"))
    return out


class RevisionRulesError(RulesError):
    """Broken rules at one revision (exit 4); the message names the revision first."""

    def __str__(self) -> str:
        body = "\n".join(f"  {p}" for p in self.problems)
        return self.summary + (":\n" + body if body else "")


def rules_at(loc: RulesLocation, rev: str, commit: str) -> RuleBook:
    """Load and check the rules folder as it is at `commit`, straight from git's objects.

    Problems are located as `REV:rules/file.yaml:LINE`, so a broken rule names its revision.
    """
    prefix = "" if loc.rel == "." else loc.rel + "/"
    cp = _git(loc.top, "ls-tree", "-z", "--full-tree", commit, "--", prefix or ".")
    if cp.returncode != 0:
        raise UsageError(summary=f"git ls-tree failed at {rev}: {_stderr(cp)}")
    blobs: dict[str, str] = {}
    for entry in cp.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.decode("utf-8", "surrogateescape").partition("\t")
        mode, kind, oid = meta.split(" ")
        base = name.rsplit("/", 1)[-1]
        if kind == "blob" and mode != "120000" and base.endswith((".yaml", ".yml")):
            blobs[base] = oid
    header = f"rules at {rev} ({commit[:12]}), {prefix or './'}"
    if not blobs:
        raise RevisionRulesError(summary=f"{header}: no rule files (*.yaml) in the folder at this revision")

    def reader(base: str) -> Callable[[], Document]:
        def read() -> Document:
            source = f"{rev}:{prefix}{base}"
            raw = _git(loc.top, "cat-file", "blob", blobs[base])
            if raw.returncode != 0:
                raise ParseFailure(Problem(source, "", f"git cat-file failed: {_stderr(raw)}", kind="io"))
            if len(raw.stdout) > DEFAULT_MAX_BYTES:
                raise ParseFailure(Problem(source, "", "rule file larger than the limit", kind="io"))
            text = decode(raw.stdout, source)
            return parse_text(text, source, guess_format(source, text))
        return read

    schema_path = _schema_path(loc)
    schema_source = f"{rev}:{schema_path}"
    shown = _git(loc.top, "cat-file", "blob", f"{commit}:{schema_path}")
    try:
        schema = read_packet_schema(shown.stdout, schema_source) if shown.returncode == 0 else None
        return _build({base: reader(base) for base in blobs}, f"{rev}:{loc.rel}", schema)
    except RulesError as exc:
        raise RevisionRulesError(exc.problems, f"{header}: the rules are invalid") from None


def _schema_path(loc: RulesLocation) -> str:
    """schemas/packet.schema.json beside the rules folder, relative to the repository's top
    (where load_rules looks for a rules folder's packet schema)."""
    parent = os.path.dirname(loc.rel) if loc.rel != "." else ""
    return f"{parent}/schemas/packet.schema.json" if parent else "schemas/packet.schema.json"


def working_tree_rules(loc: RulesLocation) -> RuleBook:
    """The rules folder as it is on disk now (read afresh: load_rules caches by path)."""
    d = Path(loc.workdir)
    try:
        schema = packet_schema_beside(d)
        if not d.is_dir():
            raise RulesError([Problem(str(d), "", "rules folder not found", kind="rules")])
        return _build({f.name: (lambda f=f: load_file(f)) for f in d.glob("*.y*ml") if f.is_file()}, str(d), schema)
    except RulesError as exc:
        raise RevisionRulesError(exc.problems, f"rules in the working tree ({loc.workdir}): the rules are invalid"
                                 ) from None


def _build(readers: dict[str, Callable[[], Document]], directory: str,
           schema: PacketSchema | None = None) -> RuleBook:
    """Parse every rule file (all parse problems at once), then check and build, as load_rules does."""
    names = sorted(n for n in readers if n.endswith(".yaml")) + sorted(n for n in readers if n.endswith(".yml"))
    docs, problems = {}, []
    for name in names:
        try:
            docs[name] = readers[name]()
        except ParseFailure as exc:
            problems.append(exc.problem)
    if problems:
        raise RulesError(problems)
    return build_rulebook(docs, directory, schema)


# =============================================================================================
# Rule diff by meaning
# =============================================================================================
class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    path: str  # dotted, e.g. condition.min_count or condition.any_of.1.where.rating.gte
    old: Any = MISSING
    new: Any = MISSING

    def as_dict(self) -> dict:
        d: dict[str, Any] = {"path": self.path}
        if self.old is not MISSING:
            d["old"] = self.old
        if self.new is not MISSING:
            d["new"] = self.new
        return d

    def text(self) -> str:
        s = f"{self.path}: {show(self.old)} -> {show(self.new)}"
        if self.path == "required" and isinstance(self.old, bool) and isinstance(self.new, bool):
            return s + f" ({_kind(self.old)} -> {_kind(self.new)})"
        if isinstance(self.old, list) and isinstance(self.new, list) and _scalars(self.old + self.new):
            plus = [show(v) for v in self.new if v not in self.old]
            minus = [show(v) for v in self.old if v not in self.new]
            bits = ([f"added {', '.join(plus)}"] if plus else []) + ([f"removed {', '.join(minus)}"] if minus else [])
            if bits:
                s += f" ({'; '.join(bits)})"
        return s


@dataclass(frozen=True)
class CriterionChange:
    id: str
    level: str
    change: str  # added | removed | changed | renamed (id is the new id)
    required: bool | None = None  # for added / removed: which kind
    fields: tuple[FieldChange, ...] = ()
    old_id: str = ""  # renamed: the id at the base

    def as_dict(self) -> dict:
        if self.change == "renamed":
            return {"from": self.old_id, "to": self.id, "level": self.level}
        d: dict[str, Any] = {"id": self.id, "level": self.level}
        if self.change == "changed":
            d["changes"] = [f.as_dict() for f in self.fields]
        else:
            d["required"] = self.required
        return d


@dataclass
class RuleDiff:
    ladder: list[FieldChange] = field(default_factory=list)  # tracks, default track, ...
    levels_added: list[str] = field(default_factory=list)
    levels_removed: list[str] = field(default_factory=list)
    levels: dict[str, list[FieldChange]] = field(default_factory=dict)  # title, order, policy ...
    criteria: list[CriterionChange] = field(default_factory=list)
    level_contents: dict[str, dict] = field(default_factory=dict)  # added/removed level -> criteria, policy

    @property
    def empty(self) -> bool:
        return not (self.ladder or self.levels_added or self.levels_removed or self.levels or self.criteria)

    def of(self, change: str) -> list[CriterionChange]:
        return [c for c in self.criteria if c.change == change]

    def counts(self) -> str:
        parts = []
        for n, one, many in ((len(self.levels_added), "level added", "levels added"),
                             (len(self.levels_removed), "level removed", "levels removed"),
                             (len(self.levels), "level with changed settings or policy",
                              "levels with changed settings or policy"),
                             (len(self.of("added")), "criterion added", "criteria added"),
                             (len(self.of("removed")), "criterion removed", "criteria removed"),
                             (len(self.of("changed")), "criterion changed", "criteria changed"),
                             (len(self.of("renamed")), "criterion renamed", "criteria renamed"),
                             (len(self.ladder), "ladder change", "ladder changes")):
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        return ", ".join(parts) or "no rule change in meaning"

    def as_dict(self) -> dict:
        return {"ladder": [f.as_dict() for f in self.ladder], "levels_added": self.levels_added,
                "levels_removed": self.levels_removed,
                "levels": {lv: [f.as_dict() for f in fs] for lv, fs in self.levels.items()},
                "criteria_added": [c.as_dict() for c in self.of("added")],
                "criteria_removed": [c.as_dict() for c in self.of("removed")],
                "criteria_changed": [c.as_dict() for c in self.of("changed")],
                "criteria_renamed": [c.as_dict() for c in self.of("renamed")],
                "level_contents": self.level_contents}


def _scalars(values: list) -> bool:
    return all(not isinstance(v, (dict, list)) for v in values)


def show(v: Any) -> str:
    """A rule value as a reviewer reads it: YAML-ish flow style, `(absent)` for no value."""
    if v is MISSING:
        return "(absent)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return v if v and v.strip() == v and not any(ch in v for ch in ",[]{}:#\n") else dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {show(v[k])}" for k in sorted(v)) + "}"
    return str(v)


def _same_members(a: list, b: list) -> bool:
    return sorted(canonical_json(x) for x in a) == sorted(canonical_json(x) for x in b)


def diff_values(old: Any, new: Any, path: str = "", ordered: Callable[[str], bool] = lambda p: False
                ) -> list[FieldChange]:
    """Recursive diff of parsed data, one FieldChange per changed leaf, dotted paths.

    Mappings compare by key (key order never matters). Lists compare as collections unless
    `ordered(path)`: `in: [a, b]` and `in: [b, a]` mean the same; equal-length lists of
    mappings (any_of branches) are diffed item by item so a changed threshold shows as itself.
    """
    if type(old) is type(new) and old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for k in sorted(set(old) | set(new), key=str):
            out += diff_values(old.get(k, MISSING), new.get(k, MISSING), f"{path}.{k}" if path else str(k), ordered)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if not ordered(path) and _same_members(old, new):
            return []
        if len(old) == len(new) and all(isinstance(x, dict) for x in old + new):
            out = []
            for i, (a, b) in enumerate(zip(old, new)):
                out += diff_values(a, b, f"{path}.{i}", ordered)
            return out
    return [FieldChange(path, old, new)]


def _ordered(path: str) -> bool:
    return path.startswith("tracks.")  # a track is a climb: its order is its meaning


def _norm_predicate(pred: Any) -> Any:
    """One spelling per meaning: `led`, `{eq: led}` and `{in: [led]}` are all `led`;
    `{not_in: [x]}` is `{ne: x}` (the compiler gives both the same test)."""
    if not isinstance(pred, dict):
        return pred
    ops = dict(pred)
    if isinstance(ops.get("in"), list) and len({canonical_json(x) for x in ops["in"]}) == 1 and "eq" not in ops:
        ops["eq"] = ops.pop("in")[0]
    if isinstance(ops.get("not_in"), list) and len({canonical_json(x) for x in ops["not_in"]}) == 1 \
            and "ne" not in ops:
        ops["ne"] = ops.pop("not_in")[0]
    return ops["eq"] if list(ops) == ["eq"] else ops


def _norm_where(where: Any) -> Any:
    return {k: _norm_predicate(v) for k, v in where.items()} if isinstance(where, dict) else where


def norm_condition(cond: Any) -> Any:
    """A condition as it means: predicates in one spelling, and `min_count: 1` where it is absent
    (the default) on a leaf that counts records (no `distinct` or `mean`)."""
    if not isinstance(cond, dict):
        return cond
    out = dict(cond)
    for key in ("all_of", "any_of"):
        if isinstance(out.get(key), list):
            out[key] = [norm_condition(c) for c in out[key]]
    if "evidence" in out:
        if "where" in out:
            out["where"] = _norm_where(out["where"])
        if isinstance(out.get("any_item"), dict) and "where" in out["any_item"]:
            out["any_item"] = {**out["any_item"], "where": _norm_where(out["any_item"]["where"])}
        if "min_count" not in out and "distinct" not in out and "mean" not in out:
            out["min_count"] = 1
    return out


def _body(c: dict) -> dict:
    """A criterion without its id, its condition in one spelling: what a rename keeps."""
    body = {k: v for k, v in c.items() if k != "id"}
    if "condition" in body:
        body["condition"] = norm_condition(body["condition"])
    return body


def _level_summary(book: RuleBook, lv: str) -> dict:
    f = book.raw["levels"].get(lv) or {}
    crits = [c for c in f.get("criteria", []) if isinstance(c, dict)]
    return {"criteria": [c["id"] for c in crits], "required": [c["id"] for c in crits if c.get("required")],
            "policy": f.get("policy")}


def diff_rules(base: RuleBook, head: RuleBook) -> RuleDiff:
    """What changed in meaning between two rule books (formatting and ordering never show)."""
    d = RuleDiff()
    b_lad, h_lad = base.raw["ladder"], head.raw["ladder"]
    b_levels = {lv["id"]: lv for lv in b_lad.get("levels", [])}
    h_levels = {lv["id"]: lv for lv in h_lad.get("levels", [])}
    d.ladder = diff_values({k: v for k, v in b_lad.items() if k != "levels"},
                           {k: v for k, v in h_lad.items() if k != "levels"}, "", _ordered)
    order = head.ordered_levels() + [lv for lv in base.ordered_levels() if lv not in head.levels]
    d.levels_added = [lv for lv in order if lv in h_levels and lv not in b_levels]
    d.levels_removed = [lv for lv in order if lv in b_levels and lv not in h_levels]
    d.level_contents = {lv: {"change": "added", **_level_summary(head, lv)} for lv in d.levels_added}
    d.level_contents.update({lv: {"change": "removed", **_level_summary(base, lv)} for lv in d.levels_removed})
    for lv in order:
        if lv not in b_levels or lv not in h_levels:
            continue
        fs = diff_values({k: v for k, v in b_levels[lv].items() if k != "id"},
                         {k: v for k, v in h_levels[lv].items() if k != "id"})
        b_file, h_file = base.raw["levels"][lv], head.raw["levels"][lv]
        fs += diff_values(b_file.get("policy"), h_file.get("policy"), "policy")
        if fs:
            d.levels[lv] = fs
        b_crit = {c["id"]: c for c in b_file.get("criteria", [])}
        h_crit = {c["id"]: c for c in h_file.get("criteria", [])}
        # A removed id and an added id whose bodies (all but the id) mean the same: a rename.
        renamed: dict[str, str] = {}
        added_bodies: dict[str, list[str]] = {}
        for cid in h_crit:
            if cid not in b_crit:
                added_bodies.setdefault(canonical_json(_body(h_crit[cid])), []).append(cid)
        for cid in b_crit:
            if cid not in h_crit:
                same = added_bodies.get(canonical_json(_body(b_crit[cid])))
                if same:
                    renamed[cid] = same.pop(0)
        new_ids = set(renamed.values())
        for cid in list(b_crit) + [cid for cid in h_crit if cid not in b_crit]:
            if cid in renamed:
                d.criteria.append(CriterionChange(renamed[cid], lv, "renamed", bool(h_crit[renamed[cid]]["required"]),
                                                  old_id=cid))
            elif cid in new_ids:
                continue
            elif cid not in h_crit:
                d.criteria.append(CriterionChange(cid, lv, "removed", bool(b_crit[cid]["required"])))
            elif cid not in b_crit:
                d.criteria.append(CriterionChange(cid, lv, "added", bool(h_crit[cid]["required"])))
            else:
                fs = diff_values(_body(b_crit[cid]), _body(h_crit[cid]))
                if fs:
                    d.criteria.append(CriterionChange(cid, lv, "changed", fields=tuple(fs)))
    return d


# =============================================================================================
# Impact: every packet under both rule books
# =============================================================================================
def diff_schemas(old: dict, new: dict, path: str = "") -> list[dict]:
    """What a packet schema change means for packets: fields, enum values and required fields
    added or removed (by name, whatever the order), and any other change by its JSON path."""
    out: list[dict] = []
    for key in sorted(old.keys() | new.keys()):
        here = f"{path}/{key}" if path else key
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if a == b:
            continue
        if key in ("enum", "required") and isinstance(a, list) and isinstance(b, list):
            what = "values" if key == "enum" else "required fields"
            added, removed = [v for v in b if v not in a], [v for v in a if v not in b]
            out += [{"path": here, "change": f"{what} added", "values": added}] if added else []
            out += [{"path": here, "change": f"{what} removed", "values": removed}] if removed else []
            if not added and not removed:
                out.append({"path": here, "change": "reordered"})
        elif key == "properties" and isinstance(a, dict) and isinstance(b, dict):
            added, removed = sorted(b.keys() - a.keys()), sorted(a.keys() - b.keys())
            out += [{"path": here, "change": "fields added", "values": added}] if added else []
            out += [{"path": here, "change": "fields removed", "values": removed}] if removed else []
            for k in sorted(a.keys() & b.keys()):
                if isinstance(a[k], dict) and isinstance(b[k], dict):
                    out += diff_schemas(a[k], b[k], f"{here}/{k}")
                elif a[k] != b[k]:
                    out.append({"path": f"{here}/{k}", "change": "changed"})
        elif isinstance(a, dict) and isinstance(b, dict):
            out += diff_schemas(a, b, here)
        else:
            out.append({"path": here, "change": "added" if a is MISSING else "removed" if b is MISSING
                        else "changed"})
    return out


def schema_change_text(c: dict) -> str:
    return f"{c['path']}: {c['change']}" + (f": {', '.join(map(str, c['values']))}" if c.get("values") else "")


@dataclass(frozen=True)
class StatusChange:
    """A criterion whose status differs, or (to explain a flip) whose required flag does."""

    id: str
    base: str | None  # met | unmet | None (not in that version, or not on the packet's path)
    head: str | None
    base_required: bool | None = None
    head_required: bool | None = None

    @property
    def status_changed(self) -> bool:
        return self.base != self.head

    @property
    def kind_changed(self) -> bool:
        return None not in (self.base_required, self.head_required) and self.base_required != self.head_required

    def as_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "base": self.base, "head": self.head}
        if self.kind_changed:
            d["required"] = {"base": self.base_required, "head": self.head_required}
        return d

    def text(self, arrow: str = "->") -> str:
        s = f"{self.id}: {self.base or '(absent)'}"
        s += f" {arrow} {self.head or '(absent)'}" if self.status_changed else ""
        if self.kind_changed:
            s += f", {_kind(self.base_required)} {arrow} {_kind(self.head_required)}"
        return s


def _kind(required: bool | None) -> str:
    return "required" if required else "supporting"


_FIGURES = ("verdict", "required_met", "required_total", "supporting_met", "supporting_total", "supporting_needed",
            "recent_records", "recent_needed", "recent_window_days")


def _figures(lr: LevelResult | None) -> dict | None:
    return None if lr is None else {k: getattr(lr, k) for k in _FIGURES}


@dataclass(frozen=True)
class LevelChange:
    """A level on the packet's path whose verdict or figures differ: how its policy decided."""

    id: str
    base: dict | None  # _FIGURES of the level, or None when the level is not on that version's path
    head: dict | None

    def as_dict(self) -> dict:
        return {"id": self.id, "base": self.base, "head": self.head}

    def text(self, arrow: str = "->") -> str:
        b, h = self.base, self.head
        if b is None or h is None:
            some = h or b
            assert some is not None
            return (f"{self.id}: {'(absent)' if b is None else _level_figures(b)} {arrow} "
                    f"{'(absent)' if h is None else _level_figures(h)}")

        def n(k: str) -> str:
            return str(b[k]) if b[k] == h[k] else f"{b[k]} {arrow} {h[k]}"

        parts = [n("verdict")] if b["verdict"] != h["verdict"] else []
        if any(b[k] != h[k] for k in ("required_met", "required_total")):
            parts.append(f"required {n('required_met')} of {n('required_total')}")
        if any(b[k] != h[k] for k in ("supporting_met", "supporting_total", "supporting_needed")):
            parts.append(f"supporting {n('supporting_met')} of {n('supporting_total')}, "
                         f"needed {n('supporting_needed')}")
        if any(b[k] != h[k] for k in ("recent_records", "recent_needed", "recent_window_days")):
            parts.append(f"records within {n('recent_window_days')} days {n('recent_records')}, "
                         f"needed {n('recent_needed')}")
        return f"{self.id}: " + "; ".join(parts)


def _level_figures(f: dict) -> str:
    return (f"{f['verdict']} (required {f['required_met']} of {f['required_total']}, supporting "
            f"{f['supporting_met']} of {f['supporting_total']}, needed {f['supporting_needed']})")


def _level_changes(a: Verdict, b: Verdict) -> list[LevelChange]:
    """Levels whose verdict or figures differ, in path order (the head's, then levels only the base judged)."""
    la, lb = {lr.id: lr for lr in a.levels}, {lr.id: lr for lr in b.levels}
    out = []
    for lv in [lr.id for lr in b.levels] + [lr.id for lr in a.levels if lr.id not in lb]:
        fa, fb = _figures(la.get(lv)), _figures(lb.get(lv))
        if fa != fb:
            out.append(LevelChange(lv, fa, fb))
    return out


@dataclass
class PacketChange:
    """One packet whose outcome differs between the versions."""

    source: str
    candidate: str | None
    track: str | None
    current_level: str | None
    target_level: str | None
    base: str | None  # the verdict, or None when invalid under that version
    head: str | None
    criteria: list[StatusChange] = field(default_factory=list)
    base_target_level: str | None = None  # set only when the versions chose different targets
    problem: Problem | None = None  # validity changes: the first problem under the failing version
    problems: int = 0
    levels: list[LevelChange] = field(default_factory=list)  # levels whose verdict or figures changed

    @property
    def flipped(self) -> bool:
        return self.base != self.head

    def as_dict(self) -> dict:
        d: dict[str, Any] = {"source": self.source, "candidate": {"id": self.candidate} if self.candidate else None,
                             "track": self.track, "current_level": self.current_level,
                             "target_level": self.target_level}
        if self.base_target_level is not None:
            d["base_target_level"] = self.base_target_level
        d.update(base=self.base, head=self.head, criteria=[c.as_dict() for c in self.criteria])
        if self.problem is None:
            d["levels"] = [lc.as_dict() for lc in self.levels]
        if self.problem is not None:
            d["invalid_under"] = "base" if self.base is None else "head"
            d["problem"] = self.problem.as_dict()
            d["problems"] = self.problems
        return d


@dataclass(frozen=True)
class InvalidPacket:
    source: str
    candidate: str | None
    problem: Problem
    problems: int  # how many in all; the first is shown

    def as_dict(self) -> dict:
        return {"source": self.source, "candidate": {"id": self.candidate} if self.candidate else None,
                "problem": self.problem.as_dict(), "problems": self.problems}

    def text(self) -> str:
        more = f" (and {self.problems - 1} more)" if self.problems > 1 else ""
        return f"{self.problem}{more}"


@dataclass
class Tally:
    packets: int = 0
    flips: int = 0
    status_changes: int = 0  # packets whose criteria changed without a flip
    unchanged: int = 0
    validity_changes: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Side:
    rev: str | None  # as the user gave it; None for the working tree
    commit: str | None
    version: str  # rules_version
    schema_version: str = ""  # the packet schema's sha256

    def label(self) -> str:
        return f"{self.rev} ({self.commit[:12]})" if self.rev and self.commit else WORKING_TREE

    def as_dict(self) -> dict:
        return {"rev": self.rev, "commit": self.commit, "rules_version": self.version,
                "schema_version": self.schema_version, **({"source": WORKING_TREE} if self.rev is None else {})}


@dataclass
class AuditResult:
    base: Side
    head: Side
    diff: RuleDiff
    packets: int = 0
    evaluated: int = 0  # valid under both versions
    flips: list[PacketChange] = field(default_factory=list)
    status_only: list[PacketChange] = field(default_factory=list)
    validity: list[PacketChange] = field(default_factory=list)
    invalid: list[InvalidPacket] = field(default_factory=list)
    by_level: dict[str, Tally] = field(default_factory=dict)
    by_track: dict[str, Tally] = field(default_factory=dict)
    level_order: list[str] = field(default_factory=list)
    schema_diff: list[dict] = field(default_factory=list)  # the packet schema, base -> head

    @property
    def status_change_count(self) -> int:
        """Criterion status changes in packets whose verdict did not flip."""
        return sum(c.status_changed for p in self.status_only for c in p.criteria)

    @property
    def changed(self) -> bool:
        """What --exit-code reports: a verdict flipped, or a packet gained or lost its verdict."""
        return bool(self.flips or self.validity)

    def status_by_criterion(self) -> list[tuple[str, int]]:
        n: Counter[str] = Counter(c.id for p in self.status_only for c in p.criteria if c.status_changed)
        return sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))

    def summary(self) -> str:
        bits = [f"{self.packets} packet(s)", f"{len(self.flips)} verdict flip(s)",
                f"{self.status_change_count} criterion status change(s) without a flip "
                f"(in {len(self.status_only)} packet(s))"]
        if self.validity:
            bits.append(f"{len(self.validity)} valid under one version only")
        bits.append(f"{len(self.invalid)} invalid")
        return ", ".join(bits)


class _Outcome:
    __slots__ = ("verdict", "problems", "cid")

    def __init__(self, verdict: Verdict | None = None, problems: list[Problem] | None = None,
                 cid: str | None = None):
        self.verdict, self.problems, self.cid = verdict, problems or [], cid


def _check(doc, book: RuleBook, source: str) -> Packet | list[Problem]:
    try:
        return check_document(doc, book)
    except EvidenceError as exc:
        return exc.problems or [Problem(source, "", str(exc))]


def _evaluate(ev: Evaluator, packet: Packet) -> _Outcome:
    try:
        return _Outcome(ev.evaluate(packet), cid=packet.candidate_id)
    except LadderError as exc:
        return _Outcome(problems=exc.problems or [Problem(packet.source, "", str(exc))], cid=packet.candidate_id)
    except Exception as exc:  # noqa: BLE001 - one packet must not stop the audit
        return _Outcome(problems=[Problem(packet.source, "", f"internal error ({type(exc).__name__}) while "
                                          "evaluating; please report it", kind="internal")],
                        cid=packet.candidate_id)


def _status_changes(a: Verdict, b: Verdict) -> list[StatusChange]:
    """Criteria whose status or required flag differs, in the head verdict's order."""
    ca, cb = {c.id: c for c in a.criteria}, {c.id: c for c in b.criteria}
    out = []
    for cid in [c.id for c in b.criteria] + [c.id for c in a.criteria if c.id not in cb]:
        x, y = ca.get(cid), cb.get(cid)
        sc = StatusChange(cid, x.status if x else None, y.status if y else None, x.required if x else None,
                          y.required if y else None)
        if sc.status_changed or sc.kind_changed:
            out.append(sc)
    return out


def assess(base: RuleBook, head: RuleBook, items: Iterable[Item], max_bytes: int = DEFAULT_MAX_BYTES,
           base_side: Side | None = None, head_side: Side | None = None, jobs: int = 1,
           reuse: bool = False) -> AuditResult:
    """Evaluate every packet under both books; keep only what differs.

    Per packet: parse once; validate once per book only when the ladders (levels, tracks,
    aliases) differ, since only they shape validation; evaluate once per book, or once in all
    when the books are the same rules. Both books' rulesets live in one engine host per process.
    With jobs > 1 the packets go to worker processes in chunks, in input order; each worker
    compares a packet's two outcomes and sends back only the row the result keeps, so the result
    is the same as with jobs 1. With `reuse` (the CLI's audit), a packet whose path has the same
    criteria and policies in both books is evaluated once (see _Pairer.path_unchanged).
    """
    res = AuditResult(base_side or Side(None, None, base.version), head_side or Side(None, None, head.version),
                      diff_rules(base, head))
    res.base.schema_version, res.head.schema_version = base.packet_schema.version, head.packet_schema.version
    res.schema_diff = diff_schemas(base.packet_schema.data, head.packet_schema.data)
    res.level_order = head.ordered_levels() + [lv for lv in base.ordered_levels() if lv not in head.levels]
    if jobs > 1:
        _assess_parallel(res, base, head, items, max_bytes, jobs, reuse)
        return res
    pairer = _Pairer(base, head, max_bytes, reuse)
    try:
        for item in items:
            _add(res, pairer.row(item))
    finally:
        pairer.close()
    return res


def _path_rules(book: RuleBook, path: tuple[str, ...]) -> str:
    """Everything of `book` that compile_path, build_facts and Evaluator.evaluate read for `path`,
    besides the ladder: each level's policy and criteria (all their fields but file and line)."""
    out = []
    for lv in path:
        lr = book.level_rules.get(lv)
        if lr is None:
            return f"(no level {lv})"
        out.append([lv, dataclasses.asdict(lr.policy),
                    [{k: v for k, v in dataclasses.asdict(c).items() if k not in ("file", "line")}
                     for c in lr.criteria]])
    return canonical_json(out)


class _Pairer:
    """Both books' evaluators in one process: a packet in, the row the result keeps out."""

    def __init__(self, base: RuleBook, head: RuleBook, max_bytes: int, reuse: bool = False):
        self.base, self.head, self.max_bytes = base, head, max_bytes
        # Checking a packet depends on the ladder and the packet schema only (RuleBook.ladder_version):
        # when both revisions have the same, one check serves both; facts are built per book.
        self.same_ladder = base.ladder_version == head.ladder_version
        self.same_rules = base.version == head.version and base.packet_schema == head.packet_schema
        self.ev_base = Evaluator(base)
        self.ev_head = self.ev_base if self.same_rules else Evaluator(head)
        self.reuse = reuse and self.same_ladder and not self.same_rules
        self._same_path: dict[tuple[str, ...], bool] = {}

    def row(self, item: Item) -> _Row:
        b, h = _pair(item, self.base, self.head, self.ev_base, self.ev_head, self.same_ladder, self.same_rules,
                     self.max_bytes, self.path_unchanged if self.reuse else None)
        return _compare(item, b, h)

    def path_unchanged(self, packet: Packet) -> bool:
        """True when the head would judge this packet exactly as the base did, so the base verdict
        serves both. Only called when one check served both books (same ladder and packet schema,
        so the same checked packet, the same path and the same level-id resolution). A verdict is
        then a function of the packet and the path's criteria and policies: the compiled plan is
        built from them alone (compile_path), and so are the facts (fields_read reads the path's
        criteria; resolve comes from the ladder). Equal criteria and policies on the path, equal
        verdicts; anything else on the path that differs (a title, a source) also disables it."""
        try:
            path = self.ev_base.path(packet)
        except LadderError:
            return False
        same = self._same_path.get(path)
        if same is None:
            same = self._same_path[path] = _path_rules(self.base, path) == _path_rules(self.head, path)
        return same

    def close(self) -> None:
        self.ev_base.close()
        if self.ev_head is not self.ev_base:
            self.ev_head.close()


# -- worker processes (audit --jobs N): batch's pool, this module's task --------------------------
_AUDIT_WORKER: dict[str, Any] = {}


def _init_audit_worker(base: RuleBook, head: RuleBook, max_bytes: int, reuse: bool) -> None:
    from .batch import _worker_signals

    _worker_signals()
    _AUDIT_WORKER["pairer"] = _Pairer(base, head, max_bytes, reuse)


def _audit_chunk(items: list[Item]) -> list[_Row]:
    pairer: _Pairer = _AUDIT_WORKER["pairer"]
    return [pairer.row(item) for item in items]


def _crashed_row(item: Item) -> _Row:
    from .batch import CRASH_MESSAGE

    return _Row("invalid", None, None, InvalidPacket(item.source, None, Problem(item.source, "", CRASH_MESSAGE,
                                                                               kind="crash"), 1))


def _assess_parallel(res: AuditResult, base: RuleBook, head: RuleBook, items: Iterable[Item], max_bytes: int,
                     jobs: int, reuse: bool) -> None:
    from collections import deque

    from .batch import CHUNK, BatchOptions, _chunks, _drain_one, _Pool

    pool = _Pool(BatchOptions(jobs=jobs, max_bytes=max_bytes), initializer=_init_audit_worker,
                 initargs=(base, head, max_bytes, reuse), task=_audit_chunk, crashed=_crashed_row)
    window: deque = deque()
    limit = max(2, jobs * 4)

    def emit(row: _Row) -> None:
        _add(res, row)

    try:
        for chunk in _chunks(iter(items), CHUNK):
            window.append((chunk, pool.submit(chunk)))
            while len(window) >= limit:
                _drain_one(pool, window, emit)
        while window:
            _drain_one(pool, window, emit)
    finally:
        pool.close()


def _pair(item: Item, base: RuleBook, head: RuleBook, ev_base: Evaluator, ev_head: Evaluator,
          same_ladder: bool, same_rules: bool, max_bytes: int,
          reuse: Callable[[Packet], bool] | None = None) -> tuple[_Outcome, _Outcome]:
    try:
        doc = load_item(item, max_bytes)
    except ParseFailure as exc:
        bad = _Outcome(problems=[exc.problem])
        return bad, bad
    cid = candidate_id(doc.data)
    pb = _check(doc, base, item.source)
    ph = pb if same_ladder else _check(doc, head, item.source)
    ob = _evaluate(ev_base, pb) if isinstance(pb, Packet) else _Outcome(problems=pb, cid=cid)
    if ph is pb and (same_rules or (reuse is not None and isinstance(pb, Packet) and reuse(pb))):
        return ob, ob
    oh = _evaluate(ev_head, ph) if isinstance(ph, Packet) else _Outcome(problems=ph, cid=cid)
    return ob, oh


@dataclass
class _Row:
    """What the result keeps of one packet: its kind, the tally keys, and the entry to list."""

    kind: str  # invalid | validity_changes | flips | status_changes | unchanged
    level: str | None  # target level and track for the totals (None for invalid packets)
    track: str | None
    entry: PacketChange | InvalidPacket | None = None
    evaluated: bool = False


def _compare(item: Item, b: _Outcome, h: _Outcome) -> _Row:
    vb, vh = b.verdict, h.verdict
    if vb is None and vh is None:
        problems = h.problems or b.problems
        return _Row("invalid", None, None, InvalidPacket(item.source, h.cid or b.cid, problems[0], len(problems)))
    some = vh or vb
    assert some is not None
    if vb is None or vh is None:
        bad = b if vb is None else h
        return _Row("validity_changes", some.target_level, some.track,
                    PacketChange(item.source, some.candidate_id, some.track, some.current_level, some.target_level,
                                 vb.verdict if vb else None, vh.verdict if vh else None,
                                 problem=bad.problems[0], problems=len(bad.problems)))
    changes = [] if vb is vh else _status_changes(vb, vh)
    pc = PacketChange(item.source, vh.candidate_id, vh.track, vh.current_level, vh.target_level, vb.verdict,
                      vh.verdict, changes,
                      base_target_level=vb.target_level if vb.target_level != vh.target_level else None,
                      levels=[] if vb is vh else _level_changes(vb, vh))
    if pc.flipped:
        return _Row("flips", some.target_level, some.track, pc, True)
    if any(c.status_changed for c in changes) or pc.base_target_level is not None:
        return _Row("status_changes", some.target_level, some.track, pc, True)
    return _Row("unchanged", some.target_level, some.track, None, True)


def _add(res: AuditResult, row: _Row) -> None:
    res.packets += 1
    if row.kind == "invalid":
        assert isinstance(row.entry, InvalidPacket)
        res.invalid.append(row.entry)
        return
    tallies = [res.by_level.setdefault(row.level, Tally()), res.by_track.setdefault(row.track, Tally())]
    for t in tallies:
        t.packets += 1
        setattr(t, row.kind, getattr(t, row.kind) + 1)
    res.evaluated += row.evaluated
    if row.kind == "validity_changes":
        res.validity.append(row.entry)
    elif row.kind == "flips":
        res.flips.append(row.entry)
    elif row.kind == "status_changes":
        res.status_only.append(row.entry)


# =============================================================================================
# The whole audit, as the CLI calls it
# =============================================================================================
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
        print(n, file=sys.stderr)
    code = EXIT_CHANGES if opts.exit_code and result.changed else EXIT_OK
    return RENDERERS[opts.fmt](result), code


# =============================================================================================
# Renderers
# =============================================================================================
def _arrow(a: str | None, b: str | None) -> str:
    return f"{a or '(absent)'} -> {b or '(absent)'}"


def diff_entries(d: RuleDiff) -> list[tuple[str, str, list[str]]]:
    """The rule diff as (mark, subject, field changes); mark is + added, - removed, ~ changed."""
    out: list[tuple[str, str, list[str]]] = []
    if d.ladder:
        out.append(("~", "ladder", [f.text() for f in d.ladder]))
    out += [("+", f"level {lv}", _contents_text(d.level_contents.get(lv))) for lv in d.levels_added]
    out += [("-", f"level {lv}", _contents_text(d.level_contents.get(lv))) for lv in d.levels_removed]
    out += [("~", f"level {lv}", [f.text() for f in fs]) for lv, fs in d.levels.items()]
    for c in d.criteria:
        if c.change == "renamed":
            out.append(("r", f"criterion {c.old_id} -> {c.id}", []))
        elif c.change == "changed":
            out.append(("~", f"criterion {c.id}", [f.text() for f in c.fields]))
        else:
            out.append(("+" if c.change == "added" else "-",
                        f"criterion {c.id} ({'required' if c.required else 'supporting'})", []))
    return out


def _contents_text(c: dict | None) -> list[str]:
    if not c:
        return []
    req = set(c["required"])
    crits = ", ".join(f"{cid} ({'required' if cid in req else 'supporting'})" for cid in c["criteria"])
    return [f"policy: {show(c['policy'])}", f"criteria: {crits or '(none)'}"]


_WORD = {"+": "added", "-": "removed", "~": "changed", "r": "renamed"}


def _levels_text(p: PacketChange) -> str:
    tgt = p.target_level if p.base_target_level is None else f"{p.base_target_level} -> {p.target_level}"
    return f"{p.current_level} -> {tgt}" if p.current_level else tgt or "?"


def render_json(r: AuditResult) -> str:
    return dumps({
        "base": r.base.version, "head": r.head.version,
        "revisions": {"base": r.base.as_dict(), "head": r.head.as_dict()},
        "rules_changed": not r.diff.empty,
        "rule_diff": r.diff.as_dict(),
        "schema_diff": r.schema_diff,
        "summary": {"packets": r.packets, "evaluated": r.evaluated, "flips": len(r.flips),
                    "status_changes": r.status_change_count, "packets_with_status_changes": len(r.status_only),
                    "validity_changes": len(r.validity), "invalid": len(r.invalid)},
        "flips": [p.as_dict() for p in r.flips],
        "status_changes": [p.as_dict() for p in r.status_only],
        "validity_changes": [p.as_dict() for p in r.validity],
        "invalid": [i.as_dict() for i in r.invalid],
        "totals": {"by_target_level": {k: r.by_level[k].as_dict() for k in _level_keys(r)},
                   "by_track": {k: r.by_track[k].as_dict() for k in sorted(r.by_track)}},
    })


def _level_keys(r: AuditResult) -> list[str]:
    known = [lv for lv in r.level_order if lv in r.by_level]
    return known + sorted(k for k in r.by_level if k not in known)


def _crit_text(cs: list[StatusChange], arrow: str = "->") -> str:
    return "; ".join(c.text(arrow) for c in cs)


def render_text(r: AuditResult) -> str:
    out = [f"ladder audit: base {r.base.label()} -> head {r.head.label()}",
           f"rules: {r.base.version} -> {r.head.version}", ""]
    out.append(f"Rule changes: {r.diff.counts()}" + (" (the files differ only in order or formatting)"
                                                    if r.diff.empty and r.base.version != r.head.version else ""))
    for mark, subject, fields in diff_entries(r.diff):
        out.append(f"  {'~' if mark == 'r' else mark} {subject}" + (" (renamed)" if mark == "r" else ""))
        out += [f"      {f}" for f in fields]
    if r.schema_diff:
        out += ["", "Packet schema changes:"] + [f"  ~ {schema_change_text(c)}" for c in r.schema_diff]
    out += ["", f"Impact: {r.summary()}"]
    if r.flips:
        out += ["", "Verdict flips:"]
        for p in r.flips:
            out.append(f"  {p.candidate}  {p.source}  {p.track}  {_levels_text(p)}  {_arrow(p.base, p.head)}")
            out += [f"      {c.text()}" for c in p.criteria]
            out += [f"      level {lc.text()}" for lc in p.levels]
    if r.status_only:
        out += ["", f"Criterion status changes without a flip: {r.status_change_count} in {len(r.status_only)} "
                "packet(s), by criterion:"]
        out += [f"  {n:>6}  {cid}" for cid, n in r.status_by_criterion()]
    if r.validity:
        out += ["", "Valid under one version only:"]
        for p in r.validity:
            out.append(f"  {p.candidate}  {p.source}  {_arrow(p.base or 'invalid', p.head or 'invalid')}: "
                       f"{p.problem}")
    if r.invalid:
        out += ["", f"Invalid packets ({len(r.invalid)}), not evaluated under either version:"]
        out += [f"  {i.text()}" for i in r.invalid]
    if r.by_level:
        out += ["", "By target level:"] + [f"  {k}: {_tally_text(r.by_level[k])}" for k in _level_keys(r)]
        out += ["By track:"] + [f"  {k}: {_tally_text(r.by_track[k])}" for k in sorted(r.by_track)]
    return "\n".join(out)


def _tally_text(t: Tally) -> str:
    s = f"{t.packets} packet(s), {t.flips} flip(s), {t.status_changes} with criterion changes only, " \
        f"{t.unchanged} unchanged"
    return s + (f", {t.validity_changes} valid under one version only" if t.validity_changes else "")


def _md(s: Any) -> str:
    return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _code(s: Any) -> str:
    text = str(s).replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}".replace("|", "\\|")


def _md_verdict(a: str | None, b: str | None) -> str:
    return f"{a or 'invalid'} → **{b or 'invalid'}**"


def _md_rows(rows: list[str], total: int) -> list[str]:
    if total > len(rows):
        rows = rows + [f"\n… and {total - len(rows)} more (see `--format json`)"]
    return rows


def render_markdown(r: AuditResult, limit: int = MD_MAX_CHARS) -> str:
    """The PR comment, at most `limit` characters: when the full tables would be longer, the
    tables (and a long rule diff) keep their first rows, and a note says how to get every row."""
    md = _render_markdown(r, MD_MAX_ROWS, None)
    if len(md) <= limit:
        return md
    for rows in (100, 50, 20, 10, 5, 0):
        md = _render_markdown(r, rows, max(rows, 10), shortened=True)
        if len(md) <= limit:
            return md
    return _cut(md, limit)


_SHORT_NOTE = ("> **Shortened to fit a pull-request comment**: counts are complete, tables show their first "
               "rows only. Run `ladder audit` with `--format json` for the full list.")


def _cut(md: str, limit: int) -> str:
    """Last resort (huge single cells): keep whole lines up to the limit, close open <details>."""
    tail = "\n\n… cut here to fit a pull-request comment; `--format json` has everything.\n"
    kept: list[str] = []
    size = len(tail) + 40
    for line in md.split("\n"):
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    text = "\n".join(kept)
    opened = text.count("<details>") - text.count("</details>")
    return text + tail + "\n</details>" * max(opened, 0) + ("\n" if opened > 0 else "")


def _render_markdown(r: AuditResult, max_rows: int, max_diff: int | None, shortened: bool = False) -> str:
    flips = f"**{len(r.flips)} verdict flip(s)**" if r.flips else "no verdict flips"
    rest = [f"{r.status_change_count} criterion status change(s) without a flip"]
    rest += [f"{len(r.validity)} valid under one version only"] if r.validity else []
    rest += [f"{len(r.invalid)} invalid"] if r.invalid else []
    out = [f"**ladder audit**: {flips} in {r.packets} packet(s) · {' · '.join(rest)} · rules: {r.diff.counts()}", "",
           f"Base `{r.base.label()}` `{r.base.version}` → head `{r.head.label()}` `{r.head.version}`", ""]
    if shortened:
        out += [_SHORT_NOTE, ""]
    out += ["### Rule changes", ""]
    d = r.diff
    if d.empty:
        out.append("No change in meaning" + (" (the files differ only in order or formatting)."
                                            if r.base.version != r.head.version else "."))
    entries = diff_entries(d)
    if max_diff is not None and len(entries) > max_diff:
        out.append(f"_{len(entries)} rule changes; the first {max_diff} are shown (`--format json` has all)._")
        entries = entries[:max_diff]
    for mark, subject, fields in entries:
        if mark == "r":
            old, _, new = subject.partition(" ")[2].partition(" -> ")
            out.append(f"- criterion **renamed**: `{old}` → `{new}`")
            continue
        kind, _, name = subject.partition(" ")
        name, _, tag = name.partition(" ")
        out.append(f"- {kind} **{_WORD[mark]}**: `{name}`" + (f" {tag}" if tag else "") + (":" if fields else ""))
        out += [f"  - {_code(f)}" for f in fields]
    if r.schema_diff:
        out += ["", "### Packet schema changes", ""] + [f"- {_code(schema_change_text(c))}" for c in r.schema_diff]
    out += ["", f"### Verdict flips ({len(r.flips)})", ""]
    if r.flips:
        out += ["| Candidate | Source | Track | Levels | Verdict | Criteria that changed | How the levels decided |",
                "|---|---|---|---|---|---|---|"]
        rows = [f"| `{p.candidate}` | {_code(p.source)} | {p.track} | {_md(_levels_text(p)).replace('->', '→')} | "
                f"{_md_verdict(p.base, p.head)} | {_md(_crit_text(p.criteria, '→')) or '—'} | "
                f"{_md(' · '.join(lc.text('→') for lc in p.levels)) or '—'} |"
                for p in r.flips[:max_rows]]
        out += _md_rows(rows, len(r.flips))
    else:
        out.append("No verdict changes.")
    out.append("")
    if r.status_only:
        out += [f"<details><summary>Criterion status changes without a verdict flip: {r.status_change_count} in "
                f"{len(r.status_only)} packet(s)</summary>", "", "| Criterion | Packets |", "|---|---|"]
        by_crit = r.status_by_criterion()
        out += _md_rows([f"| `{cid}` | {n} |" for cid, n in by_crit[:max(max_rows, 20)]], len(by_crit))
        out += ["", "| Candidate | Source | Levels | Verdict | Criteria that changed |", "|---|---|---|---|---|"]
        rows = [f"| `{p.candidate}` | {_code(p.source)} | {_md(_levels_text(p)).replace('->', '→')} | {p.head} | "
                f"{_md(_crit_text(p.criteria, '→')) or '—'} |" for p in r.status_only[:max_rows]]
        out += _md_rows(rows, len(r.status_only)) + ["", "</details>", ""]
    if r.validity:
        out += [f"<details><summary>Valid under one version only: {len(r.validity)}</summary>", "",
                "| Candidate | Source | Verdict | First problem |", "|---|---|---|---|"]
        rows = [f"| `{p.candidate}` | {_code(p.source)} | {_md_verdict(p.base, p.head)} | {_md(p.problem)} |"
                for p in r.validity[:max_rows]]
        out += _md_rows(rows, len(r.validity)) + ["", "</details>", ""]
    if r.invalid:
        out += [f"<details><summary>Invalid packets, not evaluated: {len(r.invalid)}</summary>", "",
                "| Source | First problem |", "|---|---|"]
        rows = [f"| {_code(i.source)} | {_md(i.text())} |" for i in r.invalid[:max_rows]]
        out += _md_rows(rows, len(r.invalid)) + ["", "</details>", ""]
    out += ["<details><summary>Totals by target level and track</summary>", "",
            "| Target level | Packets | Flips | Criterion changes only | Unchanged | Valid under one version |",
            "|---|---|---|---|---|---|"]
    out += [f"| {k} | {t.packets} | {t.flips} | {t.status_changes} | {t.unchanged} | {t.validity_changes} |"
            for k in _level_keys(r) for t in [r.by_level[k]]]
    out += ["", "| Track | Packets | Flips | Criterion changes only | Unchanged | Valid under one version |",
            "|---|---|---|---|---|---|"]
    out += [f"| {k} | {t.packets} | {t.flips} | {t.status_changes} | {t.unchanged} | {t.validity_changes} |"
            for k in sorted(r.by_track) for t in [r.by_track[k]]]
    out += ["", "</details>"]
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[AuditResult], str]] = {"text": render_text, "json": render_json,
                                                      "markdown": render_markdown}

__all__ = ["AuditOptions", "AuditResult", "FieldChange", "RuleDiff", "assess", "diff_rules", "diff_values",
           "execute", "locate_rules", "resolve_rev", "rules_at", "run_audit"]
