"""Verdicts are values. Rendering them is engine.outputs.report's job."""

from __future__ import annotations

from dataclasses import dataclass, field

READY, NOT_READY, INSUFFICIENT = "ready", "not_ready", "insufficient_evidence"


@dataclass
class Miss:
    evidence: str
    failed: list[str]  # each: "role is contributed; needs led or co-led"


@dataclass
class CriterionResult:
    id: str
    level: str
    title: str
    source: str
    required: bool
    status: str  # met | unmet
    evidence: list[str]  # cited evidence ids (met) or the partial matches found (unmet)
    reason: str
    found: list[str] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    verified: bool = False  # met, and some cited record names who confirms it (verified_by)
    basis: str | None = None  # "policy" when a number in the criterion is the ladder's, not the guide's
    basis_note: str | None = None
    aspect: str | None = None  # the criterion's aspect (a per-aspect threshold names its open ones)
    window: int | None = None  # days: it relies on the ladder's default window (a policy number)

    @property
    def met(self) -> bool:
        return self.status == "met"


@dataclass
class LevelResult:
    id: str
    title: str
    verdict: str
    required_met: int
    required_total: int
    supporting_met: int
    supporting_total: int
    supporting_needed: int
    recent_records: int
    recent_needed: int
    recent_window_days: int
    # the level's per-aspect thresholds: [{"aspect", "needed", "met"}] (met: its supporting criteria
    # of that aspect that the engine found met); empty when the level has none
    aspects: list[dict] = field(default_factory=list)
    # a level below the promotion that it includes (RuleBook.carried): judged on its required
    # criteria only, with current evidence; no supporting threshold or evidence policy of its own
    carried: bool = False
    basis: str | None = None  # "policy": the level's own numbers (supporting, records, window) are the ladder's
    basis_note: str | None = None

    @property
    def aspects_short(self) -> list[dict]:
        return [a for a in self.aspects if a["met"] < a["needed"]]


@dataclass
class Verdict:
    candidate_id: str
    name: str | None
    track: str
    current_level: str
    target_level: str
    path: list[str]
    verdict: str
    headline: str
    levels: list[LevelResult]
    criteria: list[CriterionResult]
    rules_version: str
    as_of: str
    source: str = ""
    engine_actions: int = 0
    warnings: list = field(default_factory=list)  # engine.base.errors.Problem, severity "warning"
    # engine.core.plan: records that would make a not-ready candidate ready, set by the pipeline's plan
    # stage (engine.core.pipeline.plan); None with plan_note when none was found; neither with plans off
    plan: list[dict] | None = None
    plan_note: str | None = None
    packet_sha256: str = ""  # what the verdict was made from (engine.core.evidence.packet_sha256) ...
    schema_version: str = ""  # ... checked with this packet schema (its sha256), under rules_version
    org: str | None = None
    cycle: str | None = None
    manager: str | None = None  # candidate.manager, as the packet gives it
    from_track: str = ""  # the candidate's track now, when it is not `track` (a move between tracks)
    lateral: bool = False  # a move to a level of the same order on another track
    # the ladder's default window as (days, basis, basis_note) when a criterion shown relies on it
    default_window: tuple[int, str | None, str | None] | None = None
    checked: dict | None = None  # engine.org.anchors: the directory's and calendar's digests, or what was not checked

    @property
    def move(self) -> dict | None:
        """A move between tracks: from which, to which, and whether it is lateral; else None."""
        if not self.from_track or self.from_track == self.track:
            return None
        return {"from_track": self.from_track, "to_track": self.track, "lateral": self.lateral}

    @property
    def planned(self) -> bool:
        """True when this verdict carries a plan (a list, or None with plan_note saying why there
        is none). A ready verdict, or one evaluated with plans off, carries none."""
        return self.plan is not None or self.plan_note is not None


# -- adjacent career paths (engine.core.career_fit): a fit, never a promotion verdict -----------------------
STRONG, SOME, NONE = "strong", "some", "none"
FITS = (STRONG, SOME, NONE)  # strongest first


@dataclass
class SignalResult:
    id: str
    title: str
    source: str
    required: bool
    met: bool
    evidence: list[str]  # cited (met) or what the engine found towards it (unmet)
    needs: str  # what the signal asks for, in words
    basis: str | None = None
    basis_note: str | None = None


@dataclass
class PathFit:
    id: str
    title: str
    source: str
    fit: str  # strong | some | none
    signals: list[SignalResult]
    min_supporting: int

    @property
    def evidence(self) -> list[str]:
        """Every record a met signal cites, once, sorted."""
        return sorted({e for s in self.signals if s.met for e in s.evidence})

    @property
    def missing(self) -> list[str]:
        """The signals not met: required ones first, each in the profile's order."""
        return [s.id for s in self.signals if not s.met and s.required] + [
            s.id for s in self.signals if not s.met and not s.required
        ]

    @property
    def met_count(self) -> int:
        return sum(s.met for s in self.signals)


@dataclass
class PathsReport:
    candidate_id: str
    name: str | None
    current_level: str
    track: str  # the track the candidate is on now
    as_of: str
    paths: list[PathFit]  # strongest first
    paths_version: str
    source: str = ""
