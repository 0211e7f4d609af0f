"""jsonschema is the definition of a valid packet; jsonschema-rs is only the fast path.

They must agree on validity for every packet we know of, or a packet could be accepted by
`ladder batch` that the schema rejects (or the reverse)."""
from __future__ import annotations

import copy
import json
import random

import pytest

from engine.core.evidence import _fast_validator, _slow_validator
from engine.base.loader import ParseFailure, load_file

from conftest import FIXTURES, INVALID, bench_generator


def _paths():
    """The fast validator both ways it checks a packet: by the whole schema (the first WARM
    packets of a run) and by each record's type (every packet after them)."""
    from engine.book.schema import bundled_packet_schema
    from engine.core.evidence import _Dispatching

    whole, by_type = _Dispatching(bundled_packet_schema().data), _Dispatching(bundled_packet_schema().data)
    whole.WARM, by_type.WARM = 10**9, 0
    return whole, by_type


WHOLE, BY_TYPE = _paths()


def _agree(data) -> tuple[bool, bool]:
    slow = not any(True for _ in _slow_validator().iter_errors(data))
    fast = WHOLE.is_valid(data)
    assert BY_TYPE.is_valid(data) == fast, "the fast validator's two paths disagree"
    assert _fast_validator().is_valid(data) == fast
    return fast, slow


def _fixture_data():
    for p in sorted(FIXTURES.glob("*.yaml")) + sorted(INVALID.glob("*.yaml")) + sorted(INVALID.glob("*.json")):
        try:
            yield p.name, load_file(p).data
        except ParseFailure:
            continue  # not a document at all: neither validator ever sees it


@pytest.mark.parametrize("name,data", list(_fixture_data()))
def test_validators_agree_on_fixtures(name, data):
    """Every fixture, valid or broken, gets the same answer from both validators."""
    fast, slow = _agree(data)
    assert fast == slow, name


def test_validators_agree_on_generated_and_mutated_packets():
    """Thousands of generated packets, and single-field mutations of them, get the same answer."""
    gen = bench_generator()
    rng = random.Random(11)
    seen = {True: 0, False: 0}
    for line, _kind in gen.generate(400, "agree", invalid_rate=0.25):
        try:
            data = json.loads(line)
        except ValueError:
            continue  # the generator's truncated-line corruption
        for variant in (data, _mutate(data, rng), _mutate(data, rng)):
            fast, slow = _agree(variant)
            assert fast == slow, json.dumps(variant)[:300]
            seen[slow] += 1
    assert seen[True] > 100 and seen[False] > 100  # both outcomes really exercised


def test_the_fast_validator_dispatches_records_by_type():
    """The schema keeps the if/then-by-type shape the fast path relies on (else it still works,
    validating whole packets, but about a quarter slower): a schema edit that changes the shape
    should be a decision, not an accident."""
    assert _fast_validator().by_type is not None


def _mutate(data: dict, rng: random.Random) -> dict:
    d = copy.deepcopy(data)
    evs = d.get("evidence") or [{}]
    if not isinstance(d.get("evidence"), list) or not d["evidence"]:
        d["evidence"] = evs
    ev = rng.choice(evs)
    key = rng.choice(sorted(ev) or ["id"])
    action = rng.randrange(8)
    if action == 6:  # the fast validator dispatches records by type: break the type itself
        ev["type"] = rng.choice([None, 3, "shipped", "Mentoring", ["mentoring"], "learning", "decision"])
    elif action == 7:
        evs.append(rng.choice([None, "ev-9", [], {}, {"type": "learning"}, {"id": "ev-99", "type": 5}]))
    elif action == 0:
        ev.pop(key, None)
    elif action == 1:
        ev[key] = rng.choice([None, 7, "x", [], {}, True, -1, 10**20, "2026-02-30"])
    elif action == 2:
        ev["unexpected_" + key] = 1
    elif action == 3:
        d["candidate"]["current_level"] = rng.choice([5, None, "vp"])
    elif action == 4:
        d["period"]["end"] = rng.choice(["2026-13-01", "2026-06-31", 20260601, "2026-06-01"])
    else:
        ev["date"] = rng.choice(["2026-02-29", "2024-02-29", "26-01-01", "2025-1-1"])
    return d


def test_a_types_validator_is_built_when_a_record_of_it_is_first_met():
    """A cold `ladder evaluate` checks its one packet by the whole schema and builds no per-type
    validator; from the WARM+1st packet on, the validators of the types met are built, not all."""
    from engine.book.schema import bundled_packet_schema
    from engine.core.evidence import _Dispatching

    v = _Dispatching(bundled_packet_schema().data)
    packet = load_file(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml").data
    for _ in range(_Dispatching.WARM):
        assert v.is_valid(packet)
    assert v.by_type == {} and v._outer is None
    held = {ev["type"] for ev in packet["evidence"]}
    assert v.is_valid(packet)
    assert set(v.by_type) == held and len(held) < len(v._types)
    assert not v.is_valid({**packet, "evidence": [{**packet["evidence"][0], "type": "no-such-type"}]})
    assert set(v.by_type) == held
