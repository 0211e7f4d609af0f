"""What an audit found, as values: per-packet changes, tallies, and the whole result."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from ..verdict import LevelResult, Verdict
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
    # added (removed) criteria: how many packets judged on their level meet them at the head (base)
    outcomes: dict[str, Counter] = field(default_factory=dict)

    def outcome_rows(self) -> list[dict]:
        """One row per added or removed criterion (rule-diff order): met and unmet counts."""
        rows = []
        contents = self.diff.level_contents
        for cid, change, level in ([(c.id, c.change, c.level) for c in self.diff.criteria
                                    if c.change in ("added", "removed")]
                                   + [(cid, v["change"], lv) for lv, v in contents.items() for cid in v["criteria"]]):
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
