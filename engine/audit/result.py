"""What an audit found, as values: per-packet changes, tallies, and the whole result."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..base.errors import Problem
from ..core.verdict import LevelResult, Verdict
from .diff import RuleDiff, _kind

WORKING_TREE = "working tree"


@dataclass(frozen=True)
class StatusChange:
    """A criterion whose status differs, or (to explain a flip) whose required flag does."""

    id: str
    base: str | None  # met | unmet | None (not in that version, or not on the packet's path)
    head: str | None
    base_required: bool | None = None
    head_required: bool | None = None
    old_id: str = ""  # set when the criterion was renamed: its id at the base (compared with its old self)

    @property
    def status_changed(self) -> bool:
        return self.base != self.head

    @property
    def kind_changed(self) -> bool:
        return None not in (self.base_required, self.head_required) and self.base_required != self.head_required

    def as_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "base": self.base, "head": self.head}
        if self.old_id:
            d["renamed_from"] = self.old_id
        if self.kind_changed:
            d["required"] = {"base": self.base_required, "head": self.head_required}
        return d

    def text(self, arrow: str = "->") -> str:
        s = f"{self.id}{f' (was {self.old_id})' if self.old_id else ''}: {self.base or '(absent)'}"
        s += f" {arrow} {self.head or '(absent)'}" if self.status_changed else ""
        if self.kind_changed:
            s += f", {_kind(self.base_required)} {arrow} {_kind(self.head_required)}"
        return s


_FIGURES = (
    "verdict",
    "required_met",
    "required_total",
    "supporting_met",
    "supporting_total",
    "supporting_needed",
    "recent_records",
    "recent_needed",
    "recent_window_days",
)


def _figures(lr: LevelResult | None) -> dict | None:
    """A level's figures; with its per-aspect thresholds (`aspects`: each one's need and how many
    of its criteria were met) only when the level has any, so other levels' figures keep their keys."""
    if lr is None:
        return None
    f: dict = {k: getattr(lr, k) for k in _FIGURES}
    if lr.aspects:
        f["aspects"] = [{"aspect": a["aspect"], "needed": a["needed"], "met": a["met"]} for a in lr.aspects]
    return f


def _aspect_figures(f: dict) -> dict[str, tuple[int, int]]:
    return {a["aspect"]: (a["met"], a["needed"]) for a in f.get("aspects", [])}


def _aspect_changes(b: dict, h: dict, arrow: str) -> list[str]:
    """What changed in a level's per-aspect thresholds, each naming its aspect: `needed 1 -> 2 in
    aspect craft`, `met 0 -> 1 in aspect craft` (a threshold only one side has: `(absent)`)."""
    fb, fh = _aspect_figures(b), _aspect_figures(h)
    out = []
    for a in list(fh) + [a for a in fb if a not in fh]:
        (bm, bn), (hm, hn) = fb.get(a, (None, None)), fh.get(a, (None, None))
        for word, old, new in (("needed", bn, hn), ("met", bm, hm)):
            if old != new:
                out.append(
                    f"{word} {'(absent)' if old is None else old} {arrow} "
                    f"{'(absent)' if new is None else new} in aspect {a}"
                )
    return out


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
            return (
                f"{self.id}: {'(absent)' if b is None else _level_figures(b)} {arrow} "
                f"{'(absent)' if h is None else _level_figures(h)}"
            )

        parts = [f"{b['verdict']} {arrow} {h['verdict']}"] if b["verdict"] != h["verdict"] else []
        for name, keys, fig in (
            ("required", ("required_met", "required_total"), _required),
            ("supporting", ("supporting_met", "supporting_total", "supporting_needed"), _supporting),
            ("recent", ("recent_records", "recent_needed", "recent_window_days"), _recent),
        ):
            if any(b[k] != h[k] for k in keys):
                parts.append(f"{name} {fig(b).partition(' ')[2]} {arrow} {fig(h).partition(' ')[2]}")
        return f"{self.id}: " + "; ".join(parts + _aspect_changes(b, h, arrow))


def _required(f: dict) -> str:
    return f"required {f['required_met']}/{f['required_total']}"


def _supporting(f: dict) -> str:
    return f"supporting {f['supporting_met']}/{f['supporting_total']} (needs {f['supporting_needed']})"


def _recent(f: dict) -> str:
    return f"recent {f['recent_records']} records (needs {f['recent_needed']} within {f['recent_window_days']} days)"


def _level_figures(f: dict) -> str:
    aspects = "".join(f", {m} of {n} in aspect {a}" for a, (m, n) in _aspect_figures(f).items())
    return f"{f['verdict']} ({_required(f)}, {_supporting(f)}{aspects})"


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
        d: dict[str, Any] = {
            "source": self.source,
            "candidate": {"id": self.candidate} if self.candidate else None,
            "track": self.track,
            "current_level": self.current_level,
            "target_level": self.target_level,
        }
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
        return {
            "source": self.source,
            "candidate": {"id": self.candidate} if self.candidate else None,
            "problem": self.problem.as_dict(),
            "problems": self.problems,
        }

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
    new: int = 0  # judged under the head only: the pack does not exist at the base

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
        return {
            "rev": self.rev,
            "commit": self.commit,
            "rules_version": self.version,
            "schema_version": self.schema_version,
            **({"source": WORKING_TREE} if self.rev is None else {}),
        }


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
    # added (removed) criteria: how many packets judged on their level meet them at the head (base)
    outcomes: dict[str, Counter] = field(default_factory=dict)
    new_pack: bool = False  # the rules folder does not exist at the base: every criterion is added
    new: list[PacketChange] = field(default_factory=list)  # new_pack: each packet's head verdict

    def outcome_rows(self) -> list[dict]:
        """One row per added or removed criterion (rule-diff order): met and unmet counts."""
        rows = []
        contents = self.diff.level_contents
        for cid, change, level in [
            (c.id, c.change, c.level) for c in self.diff.criteria if c.change in ("added", "removed")
        ] + [(cid, v["change"], lv) for lv, v in contents.items() for cid in v["criteria"]]:
            n = self.outcomes.get(cid, Counter())
            rows.append({"id": cid, "level": level, "change": change, "met": n["met"], "unmet": n["unmet"]})
        return rows

    @property
    def status_change_count(self) -> int:
        """Criterion status changes in packets whose verdict did not flip."""
        return sum(c.status_changed for p in self.status_only for c in p.criteria)

    @property
    def changed(self) -> bool:
        """What --exit-code reports: a verdict flipped, or a packet gained or lost its verdict."""
        return bool(self.flips or self.validity or self.new)

    def status_by_criterion(self) -> list[tuple[str, int]]:
        n: Counter[str] = Counter(c.id for p in self.status_only for c in p.criteria if c.status_changed)
        return sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))

    def summary(self) -> str:
        bits = [
            f"{self.packets} packet(s)",
            f"{len(self.flips)} verdict flip(s)",
            f"{self.status_change_count} criterion status change(s) without a flip "
            f"(in {len(self.status_only)} packet(s))",
        ]
        if self.validity:
            bits.append(f"{len(self.validity)} valid under one version only")
        if self.new_pack:
            bits.append(f"{len(self.new)} judged under the head only (new pack)")
        bits.append(f"{len(self.invalid)} invalid")
        return ", ".join(bits)


# -- why each flip happened: the rule change that decided it ---------------------------------------
def flip_causes(r: AuditResult, p: PacketChange, order: dict[str, int] | None = None) -> tuple[str, ...]:
    """The rule-diff entries a flip traces to, as keys (`criterion:ID`, `level:ID` for a level's
    settings or policy, `ladder`, `schema`), the deciding one first. A changed, added or removed
    criterion whose status (or kind) changed on the packet traces to it; so does the policy of a
    level whose figures changed on the packet's path; a packet judged for another target, the
    ladder. Order: criteria that are required (on either side) first, then level policies, then
    supporting criteria, then the ladder; in rule-diff order within each."""
    d = r.diff
    crit_level = {c.id: c.level for c in d.criteria}
    level_crits = {cid: lv for lv, v in d.level_contents.items() for cid in v["criteria"]}
    keys: dict[str, int] = {}  # key -> rank
    for c in _towards(p):
        required = bool(c.base_required or c.head_required)
        if c.id in crit_level or (c.old_id and c.old_id in crit_level):
            keys[f"criterion:{c.id}"] = 0 if required else 2
        elif c.id in level_crits:
            keys[f"level:{level_crits[c.id]}"] = 1
    for lc in p.levels:
        if lc.id in d.levels:
            keys.setdefault(f"level:{lc.id}", 1)
    if p.base_target_level is not None and (d.ladder or d.levels_added or d.levels_removed):
        keys["ladder"] = 3
    if not keys:
        keys["schema" if r.schema_diff else "ladder" if d.ladder else "other"] = 4
    order = order if order is not None else {k: i for i, k in enumerate(cause_order(r))}
    return tuple(sorted(keys, key=lambda k: (keys[k], order.get(k, len(order)), k)))


def _towards(p: PacketChange) -> list[StatusChange]:
    """The criterion changes that push the verdict the way it flipped: towards not ready, a
    criterion now unmet (or a met one gone); towards ready, one now met (an unmet one gone, or one
    no longer required). Between not_ready and insufficient_evidence all of them; and all of them
    when none pushes that way and no level's figures changed either (then nothing else explains it)."""
    if p.base == "ready":
        out = [c for c in p.criteria if c.head == "unmet" or (c.head is None and c.base == "met")]
    elif p.head == "ready":
        out = [
            c
            for c in p.criteria
            if c.head == "met"
            or (c.head is None and c.base == "unmet")
            or (c.kind_changed and c.head_required is False)
        ]
    else:
        out = list(p.criteria)
    return out if out or p.levels else list(p.criteria)


def cause_order(r: AuditResult) -> list[str]:
    d = r.diff
    return (
        ["ladder"]
        + [f"level:{lv}" for lv in d.levels_added + d.levels_removed + list(d.levels)]
        + [f"criterion:{c.id}" for c in d.criteria]
        + ["schema", "other"]
    )


def cause_parts(r: AuditResult, key: str) -> tuple[str, str, list[str]]:
    """What the rule change behind `key` is: (what, name, details), e.g. ("criterion",
    "senior-pm.moves-key-metrics", ["condition.min_count: 2 -> 3"]) or ("criterion", ID, ["added
    (required)"]); renderers format and escape the parts."""
    d = r.diff
    kind, _, name = key.partition(":")
    if kind == "criterion":
        c = next((c for c in d.criteria if c.id == name), None)
        if c is None:
            return "criterion", name, []
        if c.change in ("added", "removed"):
            return "criterion", name, [f"{c.change} ({_kind(c.required)})"]
        if c.change == "renamed":
            return "criterion", name, [f"renamed from {c.old_id}"]
        return "criterion", name, [f.text() for f in c.fields]
    if kind == "level":
        if name in d.levels_added or name in d.levels_removed:
            return "level", name, ["added" if name in d.levels_added else "removed"]
        return "level", name, [f.text() for f in d.levels.get(name, [])]
    if key == "ladder":
        return "ladder", "", [f.text() for f in d.ladder] or ["levels added or removed"]
    if key == "schema":
        return "packet schema", "", []
    return "no rule change the audit can name", "", []


def cause_label(r: AuditResult, causes: tuple[str, ...], arrow: str = "->", max_fields: int = 2) -> str:
    """The causes of a group of flips as one plain-text line."""
    out = []
    for key in causes:
        what, name, details = cause_parts(r, key)
        head = f"{what} {name}".strip()
        out.append(head + (": " + _fields_text(details, arrow, max_fields) if details else ""))
    return " + ".join(out)


def _fields_text(texts: list[str], arrow: str, most: int) -> str:
    shown = [t.replace(" -> ", f" {arrow} ") for t in texts[:most]]
    more = len(texts) - most
    return "; ".join(shown) + (f"; and {more} more change{'s' if more > 1 else ''}" if more > 0 else "")


def flips_by_cause(r: AuditResult) -> list[tuple[str | None, str | None, str, list[PacketChange]]]:
    """Flips grouped by direction (base verdict, head verdict) and deciding cause (the first of
    flip_causes), largest group first. A flip that also traces to other changes is counted once,
    under its deciding cause; `also_traced` says how many of a group do."""
    groups: dict[tuple, list[PacketChange]] = {}
    order = {k: i for i, k in enumerate(cause_order(r))}
    for p in r.flips:
        groups.setdefault((p.base, p.head, flip_causes(r, p, order)[0]), []).append(p)
    return sorted(
        ((b, h, c, ps) for (b, h, c), ps in groups.items()),
        key=lambda g: (-len(g[3]), str(g[0]), str(g[1]), order.get(g[2], len(order)), g[2]),
    )


def also_traced(r: AuditResult, ps: list[PacketChange]) -> int:
    """How many of these flips trace to more than one rule change."""
    order = {k: i for i, k in enumerate(cause_order(r))}
    return sum(len(flip_causes(r, p, order)) > 1 for p in ps)
