"""Fit with the adjacent career paths: each profile's signals fired by durable_rules, read into values.

The engine decides which signals are met, as it decides criteria (engine.core.firing); this module
only counts them against the profile's policy: `strong` when every required signal and at least
`min_supporting` supporting ones are met, `some` when any signal is, `none` otherwise. A
career-conversation aid, never a promotion verdict: nothing here touches a Verdict.
"""

from __future__ import annotations

from ..book.career_paths import AdjacentPath, PathBook, load_paths
from ..book.compiler import Ruleset, compile_signals
from ..book.rules import RuleBook
from .evidence import Packet
from .explain import cited, describe, partial
from .facts import build_facts_for
from .firing import RulesEngine, rules_engine
from .verdict import FITS, NONE, SOME, STRONG, PathFit, PathsReport, SignalResult


class PathAssessor:
    """Assesses packets against one rule book's adjacent paths; the ruleset compiles once."""

    def __init__(self, book: RuleBook, paths: PathBook, engine: RulesEngine | None = None):
        self.book, self.paths = book, paths
        self.engine = engine or rules_engine()
        self.signals = paths.signals
        self._key = (f"paths:{paths.version}",)  # facts' cache key: never a tuple of level ids
        self._ruleset: Ruleset | None = None
        self._needs = {s.id: describe(s.condition) for s in self.signals}

    def ruleset(self) -> Ruleset:
        if self._ruleset is None:
            self._ruleset = compile_signals([(p.id, p.signals) for p in self.paths.paths.values()], self.book.people)
            self.engine.ensure(self._ruleset)
        return self._ruleset

    def close(self) -> None:
        if self._ruleset is not None:
            self.engine.unregister(self._ruleset.name)
            self._ruleset = None

    def assess(self, packet: Packet) -> PathsReport:
        ruleset = self.ruleset()
        fr = self.engine.fire(ruleset, build_facts_for(packet, self.book, self._key, self.signals))
        fits = []
        roots, marked, needs = ruleset.roots, fr.marked, self._needs
        for p in self.paths.paths.values():
            results = []
            for s in p.signals:
                idx = roots[s.id]
                met = idx in marked
                results.append(
                    SignalResult(
                        s.id,
                        s.title,
                        s.source,
                        s.required,
                        met,
                        cited(ruleset, fr, idx) if met else partial(ruleset, fr, idx),
                        needs[s.id],
                        s.basis,
                        s.basis_note,
                    )
                )
            fits.append(PathFit(p.id, p.title, p.source, fit(p, results), results, p.min_supporting))
        # strongest first; among equals the one with more signals met; then by id (deterministic)
        fits.sort(key=lambda f: (FITS.index(f.fit), -f.met_count, f.id))
        return PathsReport(
            packet.candidate_id,
            packet.name,
            packet.current,
            packet.from_track or packet.track,
            packet.end,
            fits,
            self.paths.version,
            packet.source,
        )


def assessor_for(book: RuleBook) -> PathAssessor:
    """The assessor of `book`'s adjacent paths (rules/paths/); RulesError on a broken profile."""
    return PathAssessor(book, load_paths(book))


def fit(path: AdjacentPath, results: list[SignalResult]) -> str:
    met = [r for r in results if r.met]
    if not met:
        return NONE
    if all(r.met for r in results if r.required) and sum(not r.required for r in met) >= path.min_supporting:
        return STRONG
    return SOME
