"""The people directory (`--people FILE`): who is who in the organisation, so a packet's people
are checked against the organisation's own records instead of its author's word.

A directory is a CSV file with a header, or a JSON/YAML list of mappings (optionally under a
top-level `people:` key), with the columns id, name, level, track, manager, org, status; any
further column is kept (for cohort views) and never read by the rules. It is read and indexed
once (dicts keyed by engine.book.fields.person_key), so checking a packet costs a few lookups.

Messages name ids, levels, tracks and columns, never a person's name or other free text.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..base.errors import LadderError, Outcome, Problem, UsageError
from ..base.suggest import did_you_mean
from ..book.fields import PERSON_FIELD, person_key
from ..book.rules import EXTERNAL, RuleBook

COLUMNS = ("id", "name", "level", "track", "manager", "org", "status")
STATUSES = ("active", "left")
_KNOWN = frozenset(COLUMNS)
MAX_BYTES = 64 * 1024 * 1024  # a directory of 100,000 people is a few megabytes
MAX_PROBLEMS = 100
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # as a packet's person ids (docs/packets.md)
_ROLE_RE = re.compile(r"^[a-z][a-z0-9-]{0,63}$")  # a role off the ladder: engineer, designer, ...

# Who may verify a record (ladder.yaml `people: verifiers:`), and the default (policy).
VERIFIERS = ("manager-chain", "at-or-above-target", "anyone")
DEFAULT_VERIFIERS = ("manager-chain", "at-or-above-target")
# Feedback relationships outside the company: their givers are not in the directory (policy).
# mentor, instructor and reference: someone who knew the candidate outside the company (a bootcamp
# instructor, a former colleague giving a reference), for an external candidate above all
DEFAULT_EXTERNAL = (
    "customer",
    "partner",
    "investor",
    "board",
    "analyst",
    "press",
    "vendor",
    "mentor",
    "instructor",
    "reference",
)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    key: str
    level: str  # a ladder level id (aliases resolved), or another role (engineer, designer, ...)
    on_ladder: bool
    track: str | None
    manager: str | None  # the manager's key
    manager_id: str | None
    org: str | None
    status: str
    row: int  # index in the file, for messages


@dataclass
class Directory:
    source: str
    digest: str  # sha256 of the canonical content (the same people as CSV or YAML: the same digest)
    people: dict[str, Person]
    extra: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # key -> further columns
    _chains: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def get(self, pid: Any) -> Person | None:
        k = person_key(pid)
        return self.people.get(k) if k else None

    def chain(self, key: str) -> tuple[str, ...]:
        """The keys of a person's managers, nearest first (loops are refused when loading)."""
        got = self._chains.get(key)
        if got is not None:
            return got
        out: list[str] = []
        p = self.people.get(key)
        while p is not None and p.manager is not None:
            out.append(p.manager)
            p = self.people.get(p.manager)
        got = self._chains[key] = tuple(out)
        return got

    def __len__(self) -> int:
        return len(self.people)


@dataclass(frozen=True)
class Policy:
    """ladder.yaml `people:` (engine.org.people defaults when absent)."""

    required: bool = False
    verifiers: tuple[str, ...] = DEFAULT_VERIFIERS
    external: frozenset[str] = frozenset(DEFAULT_EXTERNAL)


def policy_of(book: RuleBook) -> Policy:
    pol = (book.raw.get("ladder") or {}).get("people") or {}
    return Policy(
        bool(pol.get("required", False)),
        tuple(pol.get("verifiers", DEFAULT_VERIFIERS)),
        frozenset(pol.get("external_relationships", DEFAULT_EXTERNAL)),
    )


class DirectoryError(UsageError):
    """A people directory or cycle calendar that cannot be used: exit 2, each problem located."""


# -- loading --------------------------------------------------------------------------------------
def _rows(path: str) -> tuple[list[Any], Any, str]:
    """(rows, locate(pointer) -> line, format) from a CSV, JSON or YAML file."""
    from ..base.loader import decode, guess_format, parse_text, read_bytes

    try:
        text = decode(read_bytes(path, MAX_BYTES), path)
    except LadderError:
        raise
    except Exception as exc:  # ParseFailure (missing, unreadable, too large, not UTF-8)
        prob = getattr(exc, "problem", None)
        raise DirectoryError([prob] if prob else [], summary=f"{path}: cannot be read") from None
    if path.lower().endswith(".csv") or (guess_format(path, text) != "json" and _looks_csv(text)):
        import csv  # only a CSV directory needs it (a cold `ladder evaluate` reads none)

        reader = csv.reader(io.StringIO(text, newline=""))
        header: list[str] | None = None
        rows: list[Any] = []
        lines: list[int] = []
        for rec in reader:
            if header is None:
                if not any(c.strip() for c in rec):
                    continue
                header = [c.strip().lower() for c in rec]
                continue
            if not any(c.strip() for c in rec):
                continue
            row: dict[str, str | None] = {h: v for h, v in zip(header, map(str.strip, rec)) if h and v}
            if len(rec) > len(header):
                row[""] = None
            rows.append(row)
            lines.append(reader.line_num)
        if header is None:
            raise DirectoryError(
                [
                    Problem(
                        path,
                        "",
                        "empty: a directory needs a header line (id,name,level,track,"
                        "manager,org,status) and a row per person",
                        line=1,
                        kind="people",
                    )
                ]
            )
        dup = sorted({h for h in header if h and header.count(h) > 1})
        if dup:
            raise DirectoryError(
                [Problem(path, "", f"the header names column {dup[0]!r} twice", line=1, kind="people")]
            )
        if "id" not in header:
            raise DirectoryError(
                [
                    Problem(
                        path,
                        "",
                        "the header has no id column (columns: " + ", ".join(COLUMNS) + ")",
                        line=1,
                        kind="people",
                    )
                ]
            )

        def locate(ptr: str) -> int | None:
            parts = ptr.split("/")
            return lines[int(parts[1])] if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(lines) else 1

        return rows, locate, "csv"
    try:
        doc = parse_text(text, path, guess_format(path, text))
    except Exception as exc:  # noqa: BLE001 - ParseFailure: located already
        prob = getattr(exc, "problem", None)
        raise DirectoryError([prob] if prob else [], summary=f"{path}: cannot be parsed") from None
    data, prefix = doc.data, ""
    if isinstance(data, dict) and set(data) == {"people"}:
        data, prefix = data["people"], "/people"
    if not isinstance(data, list):
        raise DirectoryError(
            [
                Problem(
                    path,
                    "",
                    "a people directory is a list of people (or a CSV file with a header)",
                    line=doc.locate(""),
                    kind="people",
                )
            ]
        )
    return data, (lambda ptr: doc.locate(prefix + ptr)), doc.fmt


def _looks_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").lstrip().split("\n", 1)[0]
    return "," in first and not first.startswith(("-", "[", "{", "people:"))


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        s = str(v).strip()
        return s or None
    return None


def load_directory(path: str, book: RuleBook) -> Directory:
    """Read, check and index a people directory; DirectoryError (exit 2) lists every problem."""
    rows, locate, fmt = _rows(path)
    probs: list[Problem] = []

    def add(ptr: str, msg: str) -> None:
        if len(probs) <= MAX_PROBLEMS:
            probs.append(Problem(path, ptr, msg, line=locate(ptr), kind="people"))

    people: dict[str, Person] = {}
    extra: dict[str, dict[str, str]] = {}
    canon: list[tuple[str, dict[str, str]]] = []
    managers: list[tuple[int, str, str]] = []  # (row, manager id, manager key)
    levels = book.ordered_levels()
    seen_levels: dict[str, tuple[str, bool, str]] = {}  # raw level -> (level, on the ladder, problem)

    def level_of(raw: str) -> tuple[str, bool, str]:
        canon_lvl = book.resolve(raw)
        if canon_lvl is not None:
            return canon_lvl, True, ""
        if raw.lower() == EXTERNAL:
            return "", False, "external is not a role: give the person's level or role"
        if not _ROLE_RE.match(raw):
            return (
                "",
                False,
                "is neither a ladder level nor a role id (lower-case letters, digits and '-', e.g. engineer)",
            )
        if did_you_mean(raw, levels):
            return (
                "",
                False,
                (
                    f"{raw!r} is not a level of this ladder{did_you_mean(raw, levels)} (a role off the "
                    "ladder is fine, but this looks like a misspelt level)"
                ),
            )
        return raw, False, ""

    for i, row in enumerate(rows):
        ptr = f"/{i}"
        if not isinstance(row, dict):
            add(ptr, "each person is a mapping of columns (id, name, level, ...)")
            continue
        if "" in row and row[""] is None:
            add(ptr, "has more cells than the header has columns")
        vals: dict[str, str] = {}
        if fmt == "csv":  # every cell is trimmed text already (_rows): the common case, kept fast
            vals = row if "" not in row else {k: v for k, v in row.items() if k}
            row = {}
        for k, v in row.items():
            if not isinstance(k, str) or k == "":
                continue
            s = _str(v)
            if v is not None and s is None and not (isinstance(v, str)):
                add(f"{ptr}/{k}", "must be a single value (text or a number), not a list or mapping")
                continue
            if s is not None:
                vals[k.strip().lower()] = s
        pid = vals.get("id")
        if pid is None:
            add(f"{ptr}/id", "missing: every person needs an id")
            continue
        if not _ID_RE.match(pid):
            add(
                f"{ptr}/id",
                "is not a valid id: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
            continue
        key = person_key(pid)
        assert key is not None
        if key in people:
            add(
                f"{ptr}/id",
                f"{pid!r} is the same person as {people[key].id!r} at row {people[key].row + 1} "
                "(ids that differ only in case or separators are one person)",
            )
            continue
        lvl_raw = vals.get("level")
        level, on_ladder = "", False
        if lvl_raw is None:
            add(f"{ptr}/level", "missing: a ladder level id, or another role such as engineer")
        else:
            got = seen_levels.get(lvl_raw)
            if got is None:
                got = seen_levels[lvl_raw] = level_of(lvl_raw)
            level, on_ladder, why = got
            if why:
                add(f"{ptr}/level", why)
        track = vals.get("track")
        if track is not None:
            if track not in book.tracks:
                add(
                    f"{ptr}/track",
                    f"unknown track {track!r}{did_you_mean(track, book.tracks)} (this ladder's "
                    f"tracks: {', '.join(book.tracks)})",
                )
                track = None
            elif on_ladder and level not in book.tracks[track]:
                add(f"{ptr}/track", f"{level} is not on the {track} track")
        status = vals.get("status", "active").lower()
        if status not in STATUSES:
            add(f"{ptr}/status", f"{vals.get('status')!r} is not a status (one of: {', '.join(STATUSES)})")
            status = "active"
        mgr = vals.get("manager")
        mkey = None
        if mgr is not None:
            mkey = person_key(mgr)
            if not _ID_RE.match(mgr) or mkey is None:
                add(f"{ptr}/manager", "is not a valid id")
                mkey = None
            elif mkey == key:
                add(f"{ptr}/manager", "a person cannot be their own manager")
                mkey = None
            else:
                managers.append((i, mgr, mkey))
        people[key] = Person(pid, key, level, on_ladder, track, mkey, mgr if mkey else None, vals.get("org"), status, i)
        more = {k: v for k, v in vals.items() if k not in _KNOWN} if len(vals) > len(_KNOWN & vals.keys()) else None
        if more:
            extra[key] = more
        canon.append((key, vals))
    if not rows:
        add("", "no people: a directory lists at least one person")
    for i, mgr, mkey in managers:
        if mkey not in people:
            add(f"/{i}/manager", f"{mgr!r} is not a person in this directory")
    if not probs:
        for key, i in _loops(people):
            add(f"/{i}/manager", f"the manager chain of {people[key].id!r} loops back to them")
    if probs:
        probs.sort(key=lambda p: (p.line or 0, p.path))
        raise DirectoryError(probs[:MAX_PROBLEMS])
    canon.sort(key=lambda kv: kv[0])
    digest = "sha256:" + hashlib.sha256(orjson.dumps([v for _, v in canon], option=orjson.OPT_SORT_KEYS)).hexdigest()
    return Directory(path, digest, people, extra)


def _loops(people: dict[str, Person]) -> list[tuple[str, int]]:
    """Each person whose manager chain comes back to them (one per loop), in file order."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    out: list[tuple[str, int]] = []
    for start in people:
        if state.get(start):
            continue
        walk: list[str] = []
        k: str | None = start
        while k is not None and k in people and not state.get(k):
            state[k] = 1
            walk.append(k)
            k = people[k].manager
        if k is not None and state.get(k) == 1:
            out.append((k, people[k].row))
        for w in walk:
            state[w] = 2
    return sorted(out, key=lambda x: x[1])


def check_file(path: str, book: RuleBook) -> Outcome:
    """`ladder people check FILE`: ok with a count and the digest, or every problem (exit 2)."""
    d = load_directory(path, book)
    roles = sum(not p.on_ladder for p in d.people.values())
    left = sum(p.status == "left" for p in d.people.values())
    return Outcome(
        (
            f"{path}: ok ({len(d)} people: {len(d) - roles} on the ladder, {roles} in other roles, {left} left; "
            f"{d.digest})"
        ),
        0,
    )


# -- checking a packet ------------------------------------------------------------------------------
def packet_problems(
    doc: Any, book: RuleBook, ctx: dict, d: Directory, pol: Policy, track_override: str | None = None
) -> list[Problem]:
    """What the directory contradicts in a packet: each located, naming ids and fields only."""
    data = doc.data if isinstance(doc.data, dict) else {}
    out: list[Problem] = []

    def add(ptr: str, msg: str) -> None:
        out.append(Problem(doc.source, ptr, msg, line=doc.locate(ptr), kind="people"))

    cand = got if isinstance(got := data.get("candidate"), dict) else {}
    cid = cand.get("id") if isinstance(cand.get("id"), str) else None
    me = d.get(cid)
    where = f"the people directory ({d.source})"
    if cid is not None and me is None:
        add("/candidate/id", f"{cid!r} is not in {where}: check the id, or add the person to the directory")
    current, target = ctx.get("current"), ctx.get("target")
    if me is not None:
        if current is not None:
            if me.on_ladder and current == EXTERNAL:
                add(
                    "/candidate/current_level",
                    f"external, but {where} lists {cid} at {me.level}: an internal "
                    f"candidate is not external; write current_level: {me.level}",
                )
            elif me.on_ladder and current != me.level:
                add(
                    "/candidate/current_level",
                    f"{current}, but {where} lists {cid} at {me.level}: write "
                    f"current_level: {me.level}, or correct the directory",
                )
            elif not me.on_ladder and me.level and current != EXTERNAL:
                add(
                    "/candidate/current_level",
                    f"{current}, but {where} lists {cid} as {me.level}, off the ladder: write current_level: external",
                )
        declared = cand.get("track") if isinstance(cand.get("track"), str) else None
        if me.track and track_override is None:
            if declared is not None and declared != me.track:
                add(
                    "/candidate/track",
                    f"{declared}, but {where} lists {cid} on the {me.track} track: write track: {me.track}",
                )
            elif declared is None and ctx.get("from_track") and ctx["from_track"] != me.track:
                add(
                    "/candidate",
                    f"no track given (read as {ctx['from_track']}), but {where} lists {cid} on the "
                    f"{me.track} track: add track: {me.track}",
                )
        mgr = cand.get("manager")
        if isinstance(mgr, str) and person_key(mgr) != me.manager:
            add(
                "/candidate/manager",
                f"{mgr!r}, but {where} gives {cid}'s manager as "
                + (repr(me.manager_id) if me.manager_id else "no one"),
            )
    chain = d.chain(me.key) if me is not None else ()
    evidence = got if isinstance(got := data.get("evidence"), list) else []
    mentees = {
        person_key(ev["mentee"].get("id"))
        for ev in evidence
        if isinstance(ev, dict) and ev.get("type") == "mentoring" and isinstance(ev.get("mentee"), dict)
    } - {None}
    order = book.levels[target].order if target in book.levels else None
    for i, ev in enumerate(evidence):
        if not isinstance(ev, dict):
            continue
        ptr = f"/evidence/{i}"
        etype = ev.get("type")
        if etype == "stakeholder_feedback" and isinstance(ev.get("from"), dict):
            _giver(add, f"{ptr}/from", ev["from"], d, me, chain, pol, where, current == EXTERNAL)
        elif etype == "mentoring" and isinstance(ev.get("mentee"), dict):
            _mentee(add, f"{ptr}/mentee", ev, d, me, chain, book, where)
        elif isinstance(etype, str) and etype in book.people and etype not in PERSON_FIELD:
            _pack_person(add, ptr, ev, book.people[etype], d, me, chain, pol, where, current == EXTERNAL)
        vb = ev.get("verified_by")
        if isinstance(vb, str):
            _verifier(add, f"{ptr}/verified_by", vb, d, me, chain, mentees, pol, order, target, where, book)
    return out


def _giver(
    add,
    ptr: str,
    fr: dict,
    d: Directory,
    me: Person | None,
    chain: tuple,
    pol: Policy,
    where: str,
    outsider: bool = False,
) -> None:
    fid, rel = fr.get("id"), fr.get("relationship")
    if not isinstance(fid, str) or not isinstance(rel, str):
        return
    g = d.get(fid)
    if rel in pol.external:
        if g is not None:
            add(
                f"{ptr}/relationship",
                f"{rel}, but {fid} is in {where}: a colleague is not a {rel}; give their relationship to the candidate",
            )
        return
    if g is None:
        if outsider:
            return  # an external candidate's referees worked with them elsewhere: no directory lists them
        add(
            f"{ptr}/id",
            f"{fid!r} is not in {where}: check the id (a giver outside the company is a "
            f"{' or '.join(sorted(pol.external & {'customer', 'partner'}))})",
        )
        return
    if me is None or g.key == me.key:
        return
    _relationship(add, ptr, fid, rel, g, d, me, chain, where)


def _pack_person(
    add,
    ptr: str,
    ev: dict,
    person: str,
    d: Directory,
    me: Person | None,
    chain: tuple,
    pol: Policy,
    where: str,
    outsider: bool,
) -> None:
    """The person a pack's own type names (vocabulary.yaml `person:`, e.g. an assessment's by.id), as a
    feedback giver: in the directory, unless the record says they are from outside the company (a
    `relationship` beside the id with a value of ladder.yaml people.external_relationships; then
    not in it); and a relationship that names a line relationship must agree with the directory."""
    top, _, sub = person.rpartition(".")
    holder: Any = ev
    for part in top.split(".") if top else ():
        holder = holder.get(part) if isinstance(holder, dict) else None
    if not isinstance(holder, dict) or not isinstance(pid := holder.get(sub), str):
        return
    base = f"{ptr}/{top.replace('.', '/')}" if top else ptr
    rel = holder.get("relationship") if isinstance(holder.get("relationship"), str) else None
    g = d.get(pid)
    if rel is not None and rel in pol.external:
        if g is not None:
            add(
                f"{base}/relationship",
                f"{rel}, but {pid} is in {where}: a colleague is not a {rel}; give their relationship to the candidate",
            )
        return
    if g is None:
        if not outsider:  # an external candidate's people worked with them elsewhere: no directory lists them
            add(f"{base}/{sub}", f"{pid!r} is not in {where}: check the id")
        return
    if me is not None and g.key != me.key and rel is not None:
        _relationship(add, base, pid, rel, g, d, me, chain, where)


def _relationship(
    add, ptr: str, fid: str, rel: str, g: Person, d: Directory, me: Person, chain: tuple, where: str
) -> None:
    """A relationship to the candidate that the directory's manager lines contradict."""
    in_chain = g.key in chain
    reports = me.key in d.chain(g.key)
    if rel == "manager" and not in_chain:
        add(f"{ptr}/relationship", f"manager, but {fid} is not in the candidate's manager chain in {where}")
    elif rel == "skip-level" and (not in_chain or chain[:1] == (g.key,)):
        add(
            f"{ptr}/relationship",
            f"skip-level, but {fid} is "
            + ("the candidate's direct manager" if in_chain else "not in the candidate's manager chain")
            + f" in {where}",
        )
    elif rel == "direct-report" and g.manager != me.key:
        add(f"{ptr}/relationship", f"direct-report, but {fid} does not report to the candidate in {where}")
    elif rel == "peer" and (in_chain or reports):
        add(
            f"{ptr}/relationship",
            f"peer, but {fid} is "
            + ("in the candidate's manager chain" if in_chain else "in the candidate's reporting line")
            + f" in {where}: a peer is neither",
        )


def _mentee(add, ptr: str, ev: dict, d: Directory, me: Person | None, chain: tuple, book: RuleBook, where: str) -> None:
    mid = ev["mentee"].get("id")
    if not isinstance(mid, str):
        return
    m = d.get(mid)
    if m is None:
        add(f"{ptr}/id", f"{mid!r} is not in {where}: check the id")
        return
    if me is not None and m.key in chain:
        add(f"{ptr}/id", f"{mid} is in the candidate's manager chain in {where}: a manager is not a mentee")
        return
    lvl = ev["mentee"].get("level")
    said = book.resolve(lvl) if isinstance(lvl, str) else None
    if said is None:
        return
    if not m.on_ladder:
        if ev["mentee"].get("discipline") in (None, "product"):
            add(
                f"{ptr}/level",
                f"{said}, but {where} lists {mid} as {m.level}, off the ladder: give their "
                "discipline (and no ladder level counts them as a PM)",
            )
        return
    promoted = ev.get("outcome") == "promoted" and book.levels[m.level].order > book.levels[said].order
    if m.level != said and not promoted:
        add(f"{ptr}/level", f"{said}, but {where} lists {mid} at {m.level}")
    elif me is not None and me.on_ladder and book.levels[said].order >= book.levels[me.level].order:
        add(f"{ptr}/level", f"{mid} was at {said}, not below the candidate ({me.level}): a mentee is more junior")


def _verifier(
    add,
    ptr: str,
    vb: str,
    d: Directory,
    me: Person | None,
    chain: tuple,
    mentees: set,
    pol: Policy,
    order: int | None,
    target: str | None,
    where: str,
    book: RuleBook,
) -> None:
    v = d.get(vb)
    if v is None:
        add(ptr, f"{vb!r} is not in {where}: name a person in the directory who confirms the record")
        return
    if me is not None and v.key == me.key:
        return  # the candidate's own id: engine.core.evidence says so already
    if v.status != "active":
        add(ptr, f"{vb} has left (status left in {where}): a record is confirmed by someone active")
    elif me is not None and me.key in d.chain(v.key):
        add(ptr, f"{vb} reports to the candidate in {where}: a report cannot confirm their manager's record")
    elif v.key in mentees:
        return  # engine.org.people.verifier_problems_without_directory says so already
    elif "anyone" not in pol.verifiers:
        ok = ("manager-chain" in pol.verifiers and v.key in chain) or (
            "at-or-above-target" in pol.verifiers
            and order is not None
            and v.on_ladder
            and book.levels[v.level].order >= order
        )
        if not ok:
            who = " or ".join(
                {"manager-chain": "in the candidate's manager chain", "at-or-above-target": f"at or above {target}"}[w]
                for w in pol.verifiers
                if w != "anyone"
            )
            add(
                ptr,
                f"{vb} may not confirm this record: a verifier is {who or 'named by the pack'} "
                f"in {where} (ladder.yaml people.verifiers)",
            )


def verifier_problems_without_directory(doc: Any) -> list[Problem]:
    """The verifier checks that need no directory: not a mentee of this packet, not a giver who
    says they report to the candidate."""
    data = doc.data if isinstance(doc.data, dict) else {}
    evidence = got if isinstance(got := data.get("evidence"), list) else []
    mentees, reports = set(), set()
    for ev in evidence:
        if not isinstance(ev, dict):
            continue
        if ev.get("type") == "mentoring" and isinstance(ev.get("mentee"), dict):
            mentees.add(person_key(ev["mentee"].get("id")))
        if (
            ev.get("type") == "stakeholder_feedback"
            and isinstance(ev.get("from"), dict)
            and ev["from"].get("relationship") == "direct-report"
        ):
            reports.add(person_key(ev["from"].get("id")))
    mentees.discard(None)
    reports.discard(None)
    out = []
    for i, ev in enumerate(evidence):
        if isinstance(ev, dict) and isinstance(ev.get("verified_by"), str):
            k = person_key(ev["verified_by"])
            ptr = f"/evidence/{i}/verified_by"
            if k in mentees:
                out.append(
                    Problem(
                        doc.source,
                        ptr,
                        "names a mentee of this packet: a mentee cannot confirm their mentor's record",
                        line=doc.locate(ptr),
                        kind="semantic",
                    )
                )
            elif k in reports:
                out.append(
                    Problem(
                        doc.source,
                        ptr,
                        "names a direct report of the candidate (their feedback in this "
                        "packet): a report cannot confirm their manager's record",
                        line=doc.locate(ptr),
                        kind="semantic",
                    )
                )
    return out
