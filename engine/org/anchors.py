"""What a packet is anchored to besides its author's word: the people directory (engine.org.people)
and the cycle calendar (engine.org.cycles), with the pack's policy for them (ladder.yaml `people:`
and `cycles:`). One Anchors value is built per run (per worker in batch) and handed to
engine.core.evidence.check_document with each packet.

Every verdict says what it was checked against (`checked_against`: the directory's and the
calendar's digests, or a plain sentence saying what was not checked).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..base import clock
from ..base.errors import Problem, UsageError
from .cycles import Calendar, cycle_problems, load_calendar, pack_calendar, stale_warning
from .people import Directory, Policy, load_directory, packet_problems, policy_of, verifier_problems_without_directory

NOT_CHECKED_PEOPLE = "people and verification were not checked against a directory (--people FILE)"
NOT_CHECKED_CYCLES = "the cycle was not checked against a calendar (--cycles FILE, or cycles: in ladder.yaml)"


@dataclass
class Anchors:
    people: Directory | None = None
    calendar: Calendar | None = None
    policy: Policy = field(default_factory=Policy)
    # the day of the run: a period ending after it is an error, one long before it is warned about
    today: dt.date = field(default_factory=clock.today)

    def problems(self, doc: Any, book: Any, ctx: dict, track_override: str | None = None) -> list[Problem]:
        out = verifier_problems_without_directory(doc)
        if self.people is not None:
            out += packet_problems(doc, book, ctx, self.people, self.policy, track_override)
        if self.calendar is not None:
            out += cycle_problems(doc, self.calendar)
        return out

    def warnings(self, doc: Any, ctx: dict) -> list[Problem]:
        """The stale-period warning, unless the calendar vouches for the packet's cycle."""
        data = doc.data if isinstance(doc.data, dict) else {}
        cand = got if isinstance(got := data.get("candidate"), dict) else {}
        if self.calendar is not None and cand.get("cycle") in self.calendar.cycles:
            return []
        w = stale_warning(doc, ctx.get("end"), self.today)
        return [w] if w is not None else []

    def checked(self) -> dict:
        """The verdict's `checked_against`."""
        d: dict[str, Any] = {
            "people": self.people.digest if self.people else None,
            "cycles": self.calendar.digest if self.calendar else None,
        }
        notes = ([NOT_CHECKED_PEOPLE] if self.people is None else []) + (
            [NOT_CHECKED_CYCLES] if self.calendar is None else []
        )
        if notes:
            d["not_checked"] = notes
        return d


UNCHECKED = Anchors().checked()  # a verdict made without anchors at all
_BY_BOOK: dict[str, Anchors] = {}


def for_book(book: Any, today: dt.date | None = None) -> Anchors:
    """The anchors a pack gives by itself (its calendar and policy; no directory; the pack's part
    built once), as of `today` (None: the system's day)."""
    got = _BY_BOOK.get(book.version)
    if got is None:
        if len(_BY_BOOK) > 8:  # an audit holds two books; a cache bound, not behaviour
            _BY_BOOK.clear()
        got = _BY_BOOK[book.version] = Anchors(None, pack_calendar(book), policy_of(book))
    return dataclasses.replace(got, today=today or clock.today())


def load_anchors(
    book: Any,
    people: str | None = None,
    cycles: str | None = None,
    require_people: bool = False,
    today: dt.date | None = None,
) -> Anchors:
    """The anchors of a run: --people, --cycles (else the pack's calendar), the pack's policy, the
    day of the run (--today; None: the system's day).
    A directory the pack or --require-people makes mandatory, and missing: UsageError (exit 2)."""
    base = for_book(book)
    if people is None and (require_people or base.policy.required):
        why = "--require-people" if require_people else "this rules pack (ladder.yaml people: required: true)"
        raise UsageError(summary=f"{why} makes a people directory mandatory: give --people FILE")
    return Anchors(
        load_directory(people, book) if people is not None else None,
        load_calendar(cycles) if cycles is not None else base.calendar,
        base.policy,
        today or clock.today(),
    )
