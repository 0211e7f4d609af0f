"""Properties over generated packets (hypothesis): what a committee relies on for *any* packet.

The strategies are built from schemas/packet.schema.json itself (every one of the evidence types,
every field with a value the schema allows), then made semantically valid: dates inside the
period, levels that exist and sit below the target, ids that are unique and not the candidate's.
So a new evidence type or field in the schema is generated without touching this file.

- any schema-valid packet evaluates, and renders in every format, without error;
- any single mutation of a valid packet gives a verdict or a clean problem list, never a crash;
- evidence order and evidence ids never change a verdict or a criterion's status;
- repeating the evidence under new ids never turns a met criterion unmet.

Deterministic in CI: derandomize=True, no deadline, a modest number of examples.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base.errors import EvidenceError
from engine.core.evaluator import Evaluator
from engine.core.evidence import _placeholder, check_document, semantic_problems
from engine.base.loader import Document, ParseFailure, parse_text
from engine.outputs.report import verdict_dict, verdict_markdown, verdict_text
from engine.base.resources import load_schema
from engine.book.rules import EXTERNAL, load_rules

BOOK = load_rules()
EVAL = Evaluator(BOOK)
SCHEMA = load_schema("packet")
DEFS = SCHEMA["$defs"]
PERIOD_START, PERIOD_END = dt.date(2025, 7, 1), dt.date(2026, 6, 30)
ORDER = ["insufficient_evidence", "not_ready", "ready"]

PROFILE = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = {**DEFS[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


# -- strategies from the schema ----------------------------------------------------------------
LEVEL_NAMES = sorted(BOOK.aliases)  # ids and aliases
IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,11}", fullmatch=True)
PERSON_IDS = IDS.map(lambda s: "p-" + s)  # never the candidate's id (theirs starts "emp-")
DATES = st.dates(PERIOD_START, PERIOD_END).map(dt.date.isoformat)  # inside the period
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=30)


def _level_field(node: dict) -> bool:
    return "level id" in node.get("description", "")


def strategy(node: dict) -> st.SearchStrategy:
    """A value the schema allows for `node` (levels and dates are fixed up later)."""
    node = _resolve(node)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    t = node.get("type")
    if t == "boolean":
        return st.booleans()
    if t == "integer":
        lo = node.get("minimum", 0)
        return st.integers(lo, min(node.get("maximum", lo + 1000), lo + 1000))
    if t == "number":
        lo, hi = node.get("minimum", -1e6), node.get("maximum", 1e6)
        return st.one_of(st.integers(-1000, 1000), st.floats(max(lo, -1e9), min(hi, 1e9), allow_nan=False))
    if t == "string":
        if _level_field(node):
            return st.sampled_from(LEVEL_NAMES)
        if node.get("format") == "date":
            return DATES
        if "pattern" in node:
            return PERSON_IDS
        return TEXT.filter(lambda s: len(s) <= node.get("maxLength", 30) and not _placeholder(s))
    if t == "array":
        return st.lists(strategy(node["items"]), max_size=min(node.get("maxItems", 3), 3),
                        unique=node.get("uniqueItems", False))
    if t == "object":
        props = node.get("properties", {})
        required = set(node.get("required", []))
        s = st.fixed_dictionaries({k: strategy(v) for k, v in props.items() if k in required},
                                  optional={k: strategy(v) for k, v in props.items() if k not in required
                                            and k != "planned"})  # a planned record is refused by design
        return s.filter(lambda d: len(d) >= node.get("minProperties", 0))
    raise AssertionError(f"no strategy for {node}")


@lru_cache(maxsize=None)
def evidence_types() -> dict[str, st.SearchStrategy]:
    out = {}
    for branch in DEFS["evidence"]["allOf"]:
        etype = branch["if"]["properties"]["type"]["const"]
        out[etype] = strategy(branch["then"])
    return out


def _journeys() -> list[tuple[str, str | None, str | None]]:
    """(current_level, target_level, track) combinations the rules accept for a candidate."""
    out = []
    for current in sorted(BOOK.levels) + [EXTERNAL]:
        for target in [None, *sorted(BOOK.levels)]:
            for track in [None, *sorted(BOOK.tracks)]:
                cand = {"id": "emp-1", "current_level": current}
                cand.update({k: v for k, v in (("target_level", target), ("track", track)) if v})
                data = {"schema_version": 1, "candidate": cand,
                        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()}, "evidence": []}
                probs, _ = semantic_problems(Document("j", data, "", "json"), BOOK)
                if not probs:
                    out.append((current, target, track))
    return out


JOURNEYS = _journeys()


@st.composite
def packets(draw) -> dict:
    """A packet that is schema-valid and semantically valid."""
    current, target, track = draw(st.sampled_from(JOURNEYS))
    cand = {"id": "emp-" + draw(IDS), "current_level": current}
    if draw(st.booleans()):
        cand["name"] = draw(TEXT)
    cand.update({k: v for k, v in (("target_level", target), ("track", track)) if v})
    types = evidence_types()
    records = draw(st.lists(st.sampled_from(sorted(types)).flatmap(lambda t: types[t]), max_size=14))
    resolved_target = target or BOOK.next_level(track or BOOK.infer_track(current, None), current)
    below = [lv for lv in BOOK.ordered_levels() if BOOK.levels[lv].order < BOOK.levels[resolved_target].order]
    evidence = []
    for i, rec in enumerate(records):
        rec["id"] = f"ev-{i:02d}"
        if rec["type"] == "mentoring":
            if not below:
                continue  # no level is below the target: mentoring cannot count, leave it out
            rec["mentee"]["level"] = draw(st.sampled_from(below))
        evidence.append(rec)
    # a verifier is never a mentee or a direct report this packet names (engine.org.people)
    from engine.book.fields import person_key

    theirs = {person_key(r["mentee"].get("id")) for r in evidence if r["type"] == "mentoring"} | {
        person_key(r["from"].get("id")) for r in evidence
        if r["type"] == "stakeholder_feedback" and r["from"]["relationship"] == "direct-report"}
    for r in evidence:
        if person_key(r.get("verified_by")) in theirs - {None}:
            del r["verified_by"]
    # about names other records of this packet, each once (engine.core.evidence.about_problems)
    ids = [r["id"] for r in evidence]
    for r in evidence:
        if "about" in r:
            others = [i for i in ids if i != r["id"]]
            about = draw(st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True)) if others else []
            if about:
                r["about"] = about
            else:
                del r["about"]
    return {"schema_version": 1, "candidate": cand,
            "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()}, "evidence": evidence}


def evaluate(data: dict) -> dict:
    doc = Document("gen.json", data, json.dumps(data, indent=1), "json")
    packet = check_document(doc, BOOK)
    v = EVAL.evaluate(packet)
    verdict_text(v, packet.by_id)
    verdict_markdown(v, packet.by_id, redact=True)
    return verdict_dict(v)


def statuses(v: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in v["criteria"]}


# -- properties ---------------------------------------------------------------------------------
@PROFILE
@given(packets())
def test_any_valid_packet_evaluates(data):
    """Whatever a valid packet holds, the engine answers with a verdict covering every criterion."""
    v = evaluate(data)
    assert v["verdict"] in ORDER
    assert set(v["unmet"]) == {c["id"] for c in v["criteria"] if c["status"] == "unmet"}
    ids = {ev["id"] for ev in data["evidence"]}
    assert all(set(c["evidence"]) <= ids for c in v["criteria"])


def test_strategy_covers_every_evidence_type():
    """The generator really produces each of the schema's evidence types, valid on its own."""
    types = evidence_types()
    assert len(types) == len(DEFS["evidence"]["properties"]["type"]["enum"]) >= 12
    for etype, strat in types.items():
        @settings(max_examples=5, deadline=None, derandomize=True, database=None)
        @given(strat)
        def one(rec):
            rec = dict(rec, id="ev-1", date="2026-01-01")
            rec.pop("about", None)  # a record alone builds on nothing (packets() draws about from the packet's ids)
            if etype == "mentoring":
                rec["mentee"]["level"] = "associate-pm"
            data = {"schema_version": 1, "candidate": {"id": "emp-1", "current_level": "mid-pm"},
                    "period": {"start": "2025-07-01", "end": "2026-06-30"}, "evidence": [rec]}
            evaluate(data)
        one()


MUTANTS = [None, 0, -1, 7, 10**20, 1.5, "", "x", "2026-02-30", " \u202e\x1b[2J", True, [], {}, [1, "a"], {"k": 1}]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw) -> str:
    """A valid packet with one thing wrong, as JSON text (so the loader is exercised too)."""
    data = draw(packets())
    paths = [p for p in _paths(data) if p]
    path = draw(st.sampled_from(paths))
    *parents, last = path
    node = data
    for p in parents:
        node = node[p]
    action = draw(st.sampled_from(["delete", "retype", "unknown-key", "out-of-range", "shuffle", "duplicate"]))
    if action == "delete":
        del node[last]
    elif action == "retype":
        node[last] = draw(st.sampled_from(MUTANTS))
    elif action == "unknown-key":
        target = node if isinstance(node, dict) else data
        target[draw(st.sampled_from(["extra", "Title", "rating ", "__proto__", "évidence"]))] = draw(
            st.sampled_from(MUTANTS))
    elif action == "out-of-range":
        node[last] = draw(st.sampled_from([-10**6, 10**9, "z" * 5000, "9999-12-31", "0000-01-01", float("inf")]))
    elif action == "shuffle":
        if isinstance(node, list):
            node.reverse()
        elif isinstance(node, dict):
            items = list(node.items())
            node.clear()
            node.update(reversed(items))
    elif action == "duplicate" and data["evidence"]:
        data["evidence"].append(copy.deepcopy(data["evidence"][0]))
    return json.dumps(data)  # float("inf") becomes Infinity, which the JSON loader must refuse


@PROFILE
@given(mutated())
def test_any_mutation_gives_a_verdict_or_a_clean_error(text):
    """One wrong thing in a packet is reported as problems (exit 3), never as a Python exception."""
    try:
        doc = parse_text(text, "mutant.json", "json")
        v = EVAL.evaluate(check_document(doc, BOOK))
        verdict_dict(v)
    except ParseFailure as exc:
        assert exc.problem.message
    except EvidenceError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert all(p.source == "mutant.json" for p in exc.problems)


@PROFILE
@given(packets(), st.randoms(use_true_random=False))
def test_order_and_ids_never_change_the_verdict(data, rnd):
    """Evidence order and id labels are not evidence: verdict and every status stay the same."""
    base = evaluate(data)
    other = copy.deepcopy(data)
    rnd.shuffle(other["evidence"])
    rename = {ev["id"]: f"r{rnd.randrange(10**6)}-{i}" for i, ev in enumerate(other["evidence"])}
    for ev in other["evidence"]:
        ev["id"] = rename[ev["id"]]
        if "about" in ev:
            ev["about"] = [rename[x] for x in ev["about"]]
    after = evaluate(other)
    assert after["verdict"] == base["verdict"]
    assert statuses(after) == statuses(base)
    for a, b in zip(base["criteria"], after["criteria"]):
        assert sorted(rename[e] for e in a["evidence"]) == sorted(b["evidence"])


@PROFILE
@given(packets())
def test_entering_records_twice_changes_nothing(data):
    """The same record entered again (a new id; its title re-cased, or not) is one record: the
    verdict and every criterion's status stay exactly as they were (engine.book.integrity.repeat_groups)."""
    base = evaluate(data)
    doubled = copy.deepcopy(data)
    for i, ev in enumerate(data["evidence"]):
        again = dict(copy.deepcopy(ev), id=f"again-{i}")
        if i % 2 and isinstance(again.get("title"), str):
            again["title"] = again["title"].upper() + "!"
        doubled["evidence"].append(again)
    after = evaluate(doubled)
    assert statuses(after) == statuses(base)
    assert after["verdict"] == base["verdict"]


# -- the fast JSON path (orjson) gives what the strict parser gives, or defers to it ------------
def _json_string(draw_text: str, ascii_only: bool) -> str:
    return json.dumps(draw_text, ensure_ascii=ascii_only)


_WS = st.sampled_from(["", " ", "\n", "\t "])
_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["true", "false", "null", "1e400", "NaN", "-0.0", "1E5", "0.1e-400"]),
    st.builds(_json_string, st.text(alphabet=':"\\é\u2028ab \x01', max_size=6), st.booleans()),
)


@st.composite
def _json_object(draw, children):
    keys = st.builds(_json_string, st.text(alphabet='ab:"\\é', max_size=3), st.booleans())
    members = draw(st.lists(st.tuples(keys, _WS, _WS, children), max_size=5))
    # Duplicates: plain, and written with a \u escape of a colon; and a colon escaped in a key
    # that is kept, which would offset a dropped duplicate in a naive count of colons.
    if members and draw(st.booleans()):
        k, a, b, v = members[0]
        members.append((k.replace(":", "\\u003a") if draw(st.booleans()) else k, a, b, v))
    if draw(st.booleans()):
        members.append(('"z\\u003a"', "", "", draw(children)))
    return "{" + ",".join(f"{k}{a}:{b}{v}" for k, a, b, v in members) + "}"


_JSON_TEXTS = st.recursive(_SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"), _json_object(kids)), max_leaves=12)


def _parsed(text: str, fast: bool):
    try:
        doc = parse_text(text, "t.json", "json", fast=fast)
    except ParseFailure as exc:
        return ("problem", exc.problem.message, exc.problem.line)
    return ("data", json.dumps(doc.data))  # types and key order included (1 is not 1.0 or true)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_JSON_TEXTS)
def test_fast_json_parse_equals_the_strict_one(text):
    """Duplicate keys (escaped or not), NaN, 1e400, whitespace before colons: whatever the text,
    the fast path yields the strict parser's data or its exact problem."""
    assert _parsed(text, fast=True) == _parsed(text, fast=False)
