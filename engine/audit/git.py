"""Revisions, and the rules folder (with its packet schema) as it is at a revision, read from git's
objects without a shell."""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..base.errors import Problem, RulesError, UsageError
from ..base.loader import (
    DEFAULT_MAX_BYTES,
    LEAVES_PACK,
    Document,
    ParseFailure,
    decode,
    guess_format,
    load_pack_file,
    parse_text,
)
from ..book.rules import RuleBook, build_rulebook
from ..book.schema import PacketSchema, packet_schema_beside, read_packet_schema

# Inside a git hook these point at the hook's repository and would override `-C`.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_COMMON_DIR")


def _git(repo: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, env=env, timeout=120, check=False)
    except FileNotFoundError:
        raise UsageError(summary="git is not installed (or not on PATH); the audit reads the rules from git") from None
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
    # A relative --rules is read from the top of the repository the audit runs in (as CI and the
    # pre-commit hook write it), wherever in the repository that is; outside one, from cwd.
    here = repository_top(cwd) if target is not None and not target.is_absolute() else None
    probe = Path(cwd) if target is None else (target if target.is_absolute() else Path(here or cwd) / target)
    start = probe
    while not start.is_dir() and start != start.parent:  # a rules folder deleted in the working tree
        start = start.parent
    cp = _git(str(start), "rev-parse", "--show-toplevel")
    if cp.returncode != 0:
        where = f"--rules {rules_dir}" if rules_dir is not None else f"the current folder ({cwd})"
        raise UsageError(
            summary=f"not a git repository: {where} is not inside one ({_stderr(cp) or 'git failed'}); "
            "run the audit inside the repository that holds the rules, or pass --rules DIR"
        )
    top = os.path.realpath(cp.stdout.decode("utf-8", "surrogateescape").strip())
    # No --rules: rules/ at the top of the repository, wherever in it the audit is run from.
    workdir = os.path.realpath(Path(top) / "rules" if target is None else probe)
    rel = os.path.relpath(workdir, top)
    if rel == ".." or rel.startswith(".." + os.sep):
        raise UsageError(summary=f"--rules {rules_dir} is outside the repository {top}")
    return RulesLocation(top, Path(rel).as_posix(), workdir)


def repository_top(cwd: str) -> str | None:
    """The top folder of the git repository `cwd` is in, or None."""
    start = Path(cwd)
    while not start.is_dir() and start != start.parent:
        start = start.parent
    cp = _git(str(start), "rev-parse", "--show-toplevel")
    return os.path.realpath(cp.stdout.decode("utf-8", "surrogateescape").strip()) if cp.returncode == 0 else None


def resolve_rev(top: str, rev: str, option: str) -> str:
    """The commit a revision names; UsageError for option-like or unknown revisions."""
    if not rev or rev.startswith("-"):
        raise UsageError(summary=f"{option} {rev!r}: a revision must not start with '-' (or be empty)")
    cp = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")  # "-" refused above
    if cp.returncode != 0:
        hint = _missing_fetch_hint(top, rev)
        raise UsageError(summary=f"{option} {rev!r}: unknown revision in {top} (not a commit git can find){hint}")
    return cp.stdout.decode().strip()


def _missing_fetch_hint(top: str, rev: str) -> str:
    """What fetch would make `rev` known: the remote branch it names, or the history a shallow
    clone lacks; or the remote-tracking branch a bare branch name may have meant."""
    cp = _git(top, "remote")
    remotes = cp.stdout.decode("utf-8", "replace").split() if cp.returncode == 0 else []
    remote, _, branch = rev.partition("/")
    if branch and remote in remotes:
        return (
            f"; the branch {branch} of {remote} was not fetched: `git fetch {remote} "
            f"{branch}:refs/remotes/{remote}/{branch}` (in GitHub Actions actions/checkout fetches only the "
            "pull request: add that fetch as a step, or use `fetch-depth: 0`)"
        )
    for r in remotes:
        if _git(top, "rev-parse", "--verify", "--quiet", f"refs/remotes/{r}/{rev}").returncode == 0:
            return f"; there is no local {rev}, but there is {r}/{rev}: pass --base {r}/{rev}"
    if is_shallow(top):
        return (
            "; this is a shallow clone, so older history may be missing: fetch it with "
            "`git fetch --unshallow` (in GitHub Actions: actions/checkout with `fetch-depth: 0`)"
        )
    return ""


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
    blobs: dict[str, tuple[str, str]] = {}  # file name -> (mode, object id)
    for entry in cp.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.decode("utf-8", "surrogateescape").partition("\t")
        mode, kind, oid = meta.split(" ")
        base = name.rsplit("/", 1)[-1]
        if kind == "blob" and base.endswith((".yaml", ".yml")):
            blobs[base] = (mode, oid)
    header = f"rules at {rev} ({commit[:12]}), {prefix or './'}"
    if not cp.stdout.strip(b"\0"):  # nothing at all under the folder: it does not exist at this revision
        raise RulesAbsentError(summary=f"{header}: the folder does not exist at this revision")
    if not blobs:
        raise RevisionRulesError(summary=f"{header}: no rule files (*.yaml) in the folder at this revision")

    def reader(base: str) -> Callable[[], Document]:
        def read() -> Document:
            source = f"{rev}:{prefix}{base}"
            mode, oid = blobs[base]
            if mode == LINK_MODE:  # a symbolic link, stored as its target: read the file it names there
                oid = _follow_link(loc.top, commit, prefix, base, oid, source)
            raw = _git(loc.top, "cat-file", "blob", oid)
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
        return _build({base: reader(base) for base in blobs}, f"{rev}:{loc.rel}", schema, history=True)
    except RulesError as exc:
        raise RevisionRulesError(exc.problems, f"{header}: the rules are invalid") from None


class RulesAbsentError(RevisionRulesError):
    """The rules folder does not exist at a revision (a pull request adding a new pack)."""


LINK_MODE = "120000"
MAX_LINKS = 8  # a link to a link ...: as far as this, then it is a loop


def _follow_link(top: str, commit: str, prefix: str, name: str, oid: str, source: str) -> str:
    """The blob a symbolic link of the rules folder names at `commit`, resolved in that commit's
    tree as the working tree would resolve it. A target outside the rules folder (an absolute
    path, or `..` climbing out) is refused unread, as a link leaving the pack is on disk."""
    here = posixpath.dirname(prefix + name)
    for _ in range(MAX_LINKS):
        raw = _git(top, "cat-file", "blob", oid)
        if raw.returncode != 0:
            raise ParseFailure(Problem(source, "", f"git cat-file failed: {_stderr(raw)}", kind="io"))
        target = raw.stdout[:4096].decode("utf-8", "surrogateescape")
        path = posixpath.normpath(posixpath.join(here, target))
        if target.startswith("/") or not _in_folder(path, prefix):
            raise ParseFailure(Problem(source, "", LEAVES_PACK, kind="rules"))
        cp = _git(top, "ls-tree", "-z", "--full-tree", commit, "--", path)
        meta, _, found = cp.stdout.decode("utf-8", "surrogateescape").rstrip("\0").partition("\t")
        if cp.returncode != 0 or found != path or meta.split(" ")[1:2] != ["blob"]:
            raise ParseFailure(
                Problem(
                    source,
                    "",
                    "a symbolic link to a file that is not in the rules folder at this revision",
                    kind="rules",
                )
            )
        mode, _, oid = meta.split(" ")
        if mode != LINK_MODE:
            return oid
        here = posixpath.dirname(path)
    raise ParseFailure(Problem(source, "", f"symbolic links more than {MAX_LINKS} deep (a loop?)", kind="rules"))


def _in_folder(path: str, prefix: str) -> bool:
    """A normalised repository path inside the rules folder (`prefix`: "rules/", or "" for the top)."""
    return not path.startswith("../") and path != ".." and (not prefix or path.startswith(prefix))


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
        return _build({f.name: partial(load_pack_file, f, d) for f in d.glob("*.y*ml") if f.is_file()}, str(d), schema)
    except RulesError as exc:
        raise RevisionRulesError(
            exc.problems, f"rules in the working tree ({loc.workdir}): the rules are invalid"
        ) from None


def _build(
    readers: dict[str, Callable[[], Document]],
    directory: str,
    schema: PacketSchema | None = None,
    history: bool = False,
) -> RuleBook:
    """Parse every rule file (all parse problems at once), then check and build, as load_rules does
    (`history`: a revision's pack, which may still have the retired source_pattern)."""
    names = sorted(n for n in readers if n.endswith(".yaml")) + sorted(n for n in readers if n.endswith(".yml"))
    docs, problems = {}, []
    for name in names:
        try:
            docs[name] = readers[name]()
        except ParseFailure as exc:
            problems.append(exc.problem)
    if problems:
        raise RulesError(problems)
    return build_rulebook(docs, directory, schema, history)
