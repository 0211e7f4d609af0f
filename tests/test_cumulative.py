"""A ladder that holds together (cumulative levels), as properties over generated packets.

Packets come from bench/generate.py (realistic, deterministic); a packet that is not ready is
completed with its own plan (engine.core.plan), so most examples are ready ones. Hypothesis picks the
packets, derandomised, so CI runs the same examples every time.

- cumulative: a packet ready for a level meets every required criterion of each level below it
  on its track that the candidate has not held (the current level included: a higher level still
  does its work). Checked independently of the verdict: each lower level's required criteria are
  compiled on their own and fired on the same facts;
- a plan completes to ready, and the completed packet is cumulative too;
- monotone: adding a valid record that raises no new warning never lowers a verdict.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import bench_generator, real_record
from engine import Evaluator, check_document, load_rules
from engine.core import pipeline
from engine.base.errors import EvidenceError
from engine.core.facts import build_facts
from engine.base.loader import Document

BOOK = load_rules()
EVAL = Evaluator(BOOK)
_gen = bench_generator()
RANK = {"insufficient_evidence": 0, "not_ready": 1, "ready": 2}
PROFILE = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check(data: dict):
    return check_document(Document("gen.json", data, json.dumps(data), "json"), BOOK)


def _below(packet, verdict) -> list[str]:
    """The levels below the target on the verdict's track that the candidate has not held."""
    target = BOOK.levels[verdict.target_level]
    return [lv for lv in BOOK.tracks[verdict.track] if BOOK.levels[lv].order < target.order
            and not BOOK.held(packet.current, lv)
            and not (verdict.lateral and BOOK.levels[lv].order == BOOK.levels[packet.current].order)]


def _required_open(packet, level: str) -> list[str]:
    """The required criteria of `level` the engine does not find met in this packet: the level's
    criteria compiled on their own (a plan of that level alone) and fired on the packet's facts."""
    plan = EVAL.ruleset((level,))
    fr = EVAL.engine.fire(plan, build_facts(packet, BOOK, (level,)))
    return [cr.id for cr in plan.criteria if cr.required and plan.roots[cr.id] not in fr.marked]


def _assert_cumulative(packet, verdict) -> int:
    checked = 0
    for lv in _below(packet, verdict):
        assert not _required_open(packet, lv), (packet.candidate_id, verdict.target_level, lv,
                                                _required_open(packet, lv))
        checked += 1
    return checked


def _completed(data: dict):
    """The generated packet, checked, and made ready with its own plan when it is not (None when
    the packet is invalid or no plan was found)."""
    try:
        packet = _check(data)
    except EvidenceError:
        return None
    v = pipeline.plan(pipeline.evaluate(packet, EVAL), EVAL).verdict
    if v.verdict == "ready":
        return packet, v, False
    if not v.plan:
        return None
    done = copy.deepcopy(data)
    done["evidence"] += [real_record(rec) for rec in v.plan]
    packet = _check(done)
    after = EVAL.evaluate(packet)
    assert after.verdict == "ready", (data["candidate"]["id"], "a plan must complete to ready")
    return packet, after, True


@PROFILE
@given(st.integers(0, 5000))
def test_ready_meets_every_required_criterion_below_on_the_track(i):
    """Ready for a level => each level below it on the track that the candidate has not held has
    every required criterion met (the guide's levels build on each other)."""
    got = _completed(_gen.make_packet(24, i))
    if got is None:
        return
    packet, v, _ = got
    _assert_cumulative(packet, v)


def test_cumulative_is_exercised_on_every_kind_of_move():
    """The property above really bites: among a slice of the same packets, ready ones (as
    generated, or completed by their plan) cover skip-level, director to VP, IC to VP and entry
    from outside, and the check covers many lower levels."""
    seen, checked = set(), 0
    for i in range(300):
        got = _completed(_gen.make_packet(24, i))
        if got is None:
            continue
        packet, v, _ = got
        checked += _assert_cumulative(packet, v)
        seen.add((packet.current, v.target_level))
    assert checked >= 200
    assert {("director", "vp"), ("principal-pm", "vp"), ("external", "senior-pm")} & seen
    assert any(BOOK.levels[t].order - BOOK.levels.get(c, BOOK.levels["associate-pm"]).order >= 2
               for c, t in seen if c != "external")


def test_ready_for_vp_from_the_ic_track_needs_managing_pms_and_managers():
    """The IC route reaches VP only with people leadership: director's managing PMs is included,
    and VP asks for leading managers of PMs; coaching with reports stands in for neither."""
    data = {"schema_version": 1, "candidate": {"id": "emp-9001", "current_level": "principal-pm",
                                               "target_level": "vp"},
            "period": {"start": "2025-07-01", "end": "2026-06-30"},
            "evidence": [{"id": "ev-1", "type": "people_leadership", "date": "2026-01-10", "activity": "coaching",
                          "reports": 3, "title": "Coaching three PMs"}]}
    v = EVAL.evaluate(_check(data))
    status = {c.id: c.status for c in v.criteria}
    assert status["director.manages-pms"] == "unmet" and status["vp.develops-managers"] == "unmet"
    assert v.path == ["director", "vp"] and v.levels[0].carried


def test_grows_pms_counts_people_not_records():
    data = {"schema_version": 1, "candidate": {"id": "emp-9002", "current_level": "senior-pm",
                                               "target_level": "director"},
            "period": {"start": "2025-07-01", "end": "2026-06-30"},
            "evidence": [{"id": f"ev-{k}", "type": "mentoring", "date": d, "months": 4, "outcome": "grew",
                          "mentee": {"id": "emp-7001", "level": "mid-pm"}}
                         for k, d in ((1, "2025-08-01"), (2, "2026-01-05"))]}
    v = EVAL.evaluate(_check(data))
    assert {c.id: c.status for c in v.criteria}["director.grows-pms"] == "unmet"
    data["evidence"][1]["mentee"]["id"] = "emp-7002"
    v = EVAL.evaluate(_check(data))
    assert {c.id: c.status for c in v.criteria}["director.grows-pms"] == "met"


def _extra_record(seed: int, data: dict) -> dict:
    end = dt.date.fromisoformat(data["period"]["end"])
    start = dt.date.fromisoformat(data["period"]["start"])
    target = BOOK.resolve(data["candidate"].get("target_level", "mid-pm")) or "mid-pm"
    rng = random.Random(seed)
    g = _gen.Gen(rng, data["candidate"]["id"], _gen.ORDER.get(target, 2), target, start, end)
    rec = g.ordinary()
    rec.pop("_within", None)
    rec["date"] = (end - dt.timedelta(days=rng.randint(0, (end - start).days))).isoformat()
    title = g.title(rec)
    return {"id": f"ev-extra-{seed}", "type": rec.pop("type"), "date": rec.pop("date"),
            **({"title": title} if title else {}), **rec}


@PROFILE
@given(st.integers(0, 5000), st.integers(0, 10_000), st.booleans())
def test_adding_a_warning_free_record_never_lowers_a_verdict(i, seed, complete):
    """Monotone, on generated packets and on the same packets completed to ready."""
    data = _gen.make_packet(24, i)
    if complete:
        got = _completed(data)
        if got is None:
            return
        packet, before, done = got
        if done:
            data = copy.deepcopy(data)
            data["evidence"] = list(packet.evidence)
    else:
        try:
            packet = _check(data)
        except EvidenceError:
            return
        before = EVAL.evaluate(packet)
    more = copy.deepcopy(data)
    more["evidence"].append(_extra_record(seed, more))
    try:
        after = EVAL.evaluate(_check(more))
    except EvidenceError:
        return
    if len(after.warnings) > len(before.warnings):
        return
    assert RANK[after.verdict] >= RANK[before.verdict], (data["candidate"]["id"], seed)
    assert {c.id for c in before.criteria if c.met} <= {c.id for c in after.criteria if c.met}
