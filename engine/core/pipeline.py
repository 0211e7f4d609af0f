"""The one path from an input to a verdict: load -> check -> evaluate (facts, fire, explain) ->
plan (engine.core.plan, for a verdict that is not ready, when plans are on) -> Verdict; reporters only
show what the stages made. (`fit` is the same path's branch to the adjacent career paths:
check -> engine.core.career_fit.)

Every command that evaluates packets (evaluate, batch, rules test, audit) goes through here, so
what a packet gets cannot differ between them. Each stage either hands on a value or stops with
located problems; `run` never raises for a bad packet (one packet must not stop a batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.errors import LadderError, Problem
from ..base.inputs import Item, load_item
from ..base.loader import DEFAULT_MAX_BYTES, Document, ParseFailure, load_file
from ..book.rules import RuleBook
from .evidence import Packet, candidate_id, check_document
from .verdict import READY, PathsReport, Verdict

if TYPE_CHECKING:  # engine.core.career_fit is imported only by the commands that assess paths
    from ..org.anchors import Anchors
    from .career_fit import PathAssessor
    from .evaluator import Evaluator

# What stopped a packet, as a batch error line's `kind`.
INVALID, INTERNAL = "invalid", "internal"


@dataclass
class Result:
    """A verdict, or the problems of the stage that refused the packet (never both)."""

    source: str
    verdict: Verdict | None = None
    packet: Packet | None = None
    problems: list[Problem] = field(default_factory=list)
    kind: str = ""  # "" for a verdict; else the problem kind (io/parse/...), INVALID or INTERNAL
    candidate: str | None = None  # the candidate id when the packet names one well-formed

    @property
    def ok(self) -> bool:
        return self.verdict is not None

    def verdict_or_raise(self) -> tuple[Verdict, Packet]:
        """For a command judging one packet: the verdict and its packet, or the failure raised
        as the error its exit code belongs to (EngineError for an internal one, else EvidenceError)."""
        if self.verdict is None or self.packet is None:
            from ..base.errors import EngineError, EvidenceError

            raise (EngineError if self.kind == INTERNAL else EvidenceError)(self.problems)
        return self.verdict, self.packet


def load(item: Item | str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document | Result:
    """Bytes -> document, or a Result with the located parse problem."""
    source = item.source if isinstance(item, Item) else str(item)
    try:
        return load_item(item, max_bytes) if isinstance(item, Item) else load_file(item, max_bytes)
    except ParseFailure as exc:
        return Result(source, problems=[exc.problem], kind=exc.problem.kind)


def check(
    doc: Document,
    book: RuleBook,
    target: str | None = None,
    track: str | None = None,
    need_target: bool = True,
    anchors: Anchors | None = None,
) -> Packet | Result:
    """Document -> packet checked against the book's ladder and packet schema, or its problems.
    need_target=False: a packet with no level to be promoted to is fine (`ladder paths`)."""
    try:
        packet = check_document(doc, book, target, track_override=track, need_target=need_target, anchors=anchors)
    except LadderError as exc:
        return Result(
            doc.source,
            problems=exc.problems or [Problem(doc.source, "", str(exc))],
            kind=INVALID,
            candidate=candidate_id(doc.data),
        )
    except Exception as exc:  # noqa: BLE001 - one packet must not stop the others
        return _internal(doc.source, exc, "checking", candidate_id(doc.data))
    assert packet is not None
    return packet


def _internal(source: str, exc: Exception, stage: str, cid: str | None) -> Result:
    return Result(
        source,
        problems=[
            Problem(source, "", f"internal error ({type(exc).__name__}) while {stage}; please report it", kind=INTERNAL)
        ],
        kind=INTERNAL,
        candidate=cid,
    )


def evaluate(packet: Packet, evaluator: Evaluator, explain: bool = True, known: dict[str, str] | None = None) -> Result:
    """Checked packet -> verdict under the evaluator's rule book (facts are built for that book).
    explain=False: without the words (Evaluator.evaluate); `known`: criteria statuses given, not
    fired again (Evaluator.evaluate_known; no explanations either). Both for an audit only."""
    try:
        v = evaluator.evaluate(packet, explain) if known is None else evaluator.evaluate_known(packet, known)
        return Result(packet.source, v, packet, candidate=packet.candidate_id)
    except LadderError as exc:
        return Result(
            packet.source,
            problems=exc.problems or [Problem(packet.source, "", str(exc))],
            kind=INVALID,
            candidate=packet.candidate_id,
        )
    except Exception as exc:  # noqa: BLE001 - one packet must not stop the others
        return _internal(packet.source, exc, "evaluating", packet.candidate_id)


def plan(r: Result, evaluator: Evaluator) -> Result:
    """A not-ready verdict -> the same verdict with its plan (or plan_note saying why there is
    none): records proved, by one firing, to make the candidate ready. Never raises."""
    v = r.verdict
    if v is not None and r.packet is not None and v.verdict != READY:
        from .plan import make_plan

        v.plan, v.plan_note = make_plan(evaluator, r.packet, v)
    return r


def fit(packet: Packet, assessor: PathAssessor) -> PathsReport | Result:
    """Checked packet -> its fit with the adjacent career paths (engine.core.career_fit); never a verdict."""
    try:
        return assessor.assess(packet)
    except Exception as exc:  # noqa: BLE001 - one packet must not stop the others
        return _internal(packet.source, exc, "assessing the adjacent paths", packet.candidate_id)


def run(
    item: Item | str | Path,
    evaluator: Evaluator,
    target: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    track: str | None = None,
    anchors: Anchors | None = None,
    with_plan: bool = False,
) -> Result:
    """The whole path for one input (`anchors`: engine.org.anchors, default the pack's own;
    `with_plan`: a not-ready verdict gets its plan)."""
    doc = load(item, max_bytes)
    if isinstance(doc, Result):
        return doc
    packet = check(doc, evaluator.book, target, track, anchors=anchors)
    if isinstance(packet, Result):
        return packet
    r = evaluate(packet, evaluator)
    return plan(r, evaluator) if with_plan else r
