"""Properties a promotion committee relies on, checked over every fixture packet."""
from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Evaluator, check_document, load_rules
from engine.base.errors import EvidenceError
from engine.core.facts import build_facts
from engine.core.explain import _MISSING, failures
from engine.core.firing import Firing, RulesEngine, rules_engine
from engine.base.loader import Document, load_file
from engine.outputs.report import verdict_dict, verdict_json

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").glob("*.yaml"))
BOOK = load_rules()
EVAL = Evaluator(BOOK)


def _doc(data: dict, source: str = "mem.yaml") -> Document:
    return Document(source, data, json.dumps(data, indent=1), "json")


def _evaluate(data: dict) -> dict:
    return verdict_dict(EVAL.evaluate(check_document(_doc(data), BOOK)))


def _data(path: Path) -> dict:
    return load_file(path).data


@pytest.fixture(params=FIXTURES, ids=[p.stem for p in FIXTURES])
def packet(request) -> dict:
    return _data(request.param)


def _statuses(v: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in v["criteria"]}


def test_fixtures_exist():
    """The properties below are only as good as the fixtures they run over."""
    assert len(FIXTURES) >= 4


def test_same_packet_same_bytes(packet):
    """Determinism: no clock, no set order, no engine state leaking between candidates."""
    first = verdict_json(EVAL.evaluate(check_document(_doc(packet), BOOK)))
    for _ in range(3):
        assert verdict_json(EVAL.evaluate(check_document(_doc(copy.deepcopy(packet)), BOOK))) == first


def test_evidence_order_changes_nothing(packet):
    """Committees paste evidence in any order; the verdict and citations must not depend on it."""
    base = _evaluate(packet)
    shuffled = copy.deepcopy(packet)
    random.Random(7).shuffle(shuffled["evidence"])
    other = _evaluate(shuffled)
    assert other["verdict"] == base["verdict"]
    assert _statuses(other) == _statuses(base)
    assert [c["evidence"] for c in other["criteria"]] == [c["evidence"] for c in base["criteria"]]


def test_renaming_ids_changes_only_citations(packet):
    """Evidence ids are labels: renaming them renames citations and changes nothing else."""
    base = _evaluate(packet)
    renamed = copy.deepcopy(packet)
    mapping = {ev["id"]: f"x{i:03d}" for i, ev in enumerate(renamed["evidence"])}
    for ev in renamed["evidence"]:
        ev["id"] = mapping[ev["id"]]
    other = _evaluate(renamed)
    assert other["verdict"] == base["verdict"]
    assert _statuses(other) == _statuses(base)
    for a, b in zip(base["criteria"], other["criteria"]):
        assert sorted(mapping[e] for e in a["evidence"]) == b["evidence"]


def test_repeating_evidence_never_unmeets(packet):
    """More of the same evidence can only help: a met criterion stays met when records repeat."""
    base = _evaluate(packet)
    doubled = copy.deepcopy(packet)
    doubled["evidence"] += [dict(ev, id=f"{ev['id']}-again") for ev in packet["evidence"]]
    other = _evaluate(doubled)
    for cid, st in _statuses(base).items():
        if st == "met":
            assert _statuses(other)[cid] == "met", cid
    order = ["insufficient_evidence", "not_ready", "ready"]
    assert order.index(other["verdict"]) >= order.index(base["verdict"])


def test_citations_exist_and_unmet_is_consistent(packet):
    """Every cited id is in the packet; `unmet` lists exactly the unmet criteria, required first."""
    v = _evaluate(packet)
    ids = {ev["id"] for ev in packet["evidence"]}
    for c in v["criteria"]:
        assert set(c["evidence"]) <= ids
        if c["status"] == "met":
            assert c["evidence"], f"{c['id']} is met but cites nothing"
    unmet = [c["id"] for c in v["criteria"] if c["status"] == "unmet"]
    assert sorted(v["unmet"]) == sorted(unmet)
    req = {c["id"] for c in v["criteria"] if c["required"]}
    flags = [cid in req for cid in v["unmet"]]
    assert flags == sorted(flags, reverse=True), "required gaps must come first"
    assert v["gaps"] == [cid for cid in v["unmet"] if cid in req]


def test_met_citations_satisfy_the_rule_as_written(packet):
    """The compiled engine rule and the rule text agree: a cited record passes every predicate of
    the leaf it was cited for, and every nearest miss fails at least one."""
    p = check_document(_doc(packet), BOOK)
    path = EVAL.path(p)
    plan = EVAL.ruleset(path)
    built = build_facts(p, BOOK, path)
    fr = rules_engine().fire(plan, built)
    facts = {f["eid"]: f for f in built}
    for node in plan.nodes:
        if node.kind in ("leaf", "agg") and node.criterion:
            for eid in fr.found.get(node.idx, []):
                assert failures(facts[eid], node.cond) == [], (node.criterion, eid)


def test_verdict_policy(packet):
    """ready = sufficient recent evidence, every required criterion met, enough supporting ones."""
    v = _evaluate(packet)
    levels = {lr["id"]: lr for lr in v["levels"]}
    for lv, lr in levels.items():
        crits = [c for c in v["criteria"] if c["level"] == lv]
        req_ok = all(c["status"] == "met" for c in crits if c["required"])
        sup = sum(c["status"] == "met" for c in crits if not c["required"])
        if lr["recent_records"] < lr["recent_needed"]:
            assert lr["verdict"] == "insufficient_evidence"
        elif req_ok and sup >= lr["supporting_needed"]:
            assert lr["verdict"] == "ready"
        else:
            assert lr["verdict"] == "not_ready"


@pytest.mark.parametrize("target", ["associate-pm", "mid-pm", "senior-pm", "director", "vp", "principal-pm"])
def test_empty_packet_is_never_ready(target):
    """No evidence can never mean ready, for any level."""
    data = {"schema_version": 1, "candidate": {"id": "c-empty", "current_level": "external", "target_level": target},
            "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": []}
    v = _evaluate(data)
    assert v["verdict"] == "insufficient_evidence"
    assert all(c["status"] == "unmet" for c in v["criteria"])


def test_skip_level_groups_every_level_on_the_path():
    """Skipping a level means meeting its criteria too, reported per level."""
    data = {"schema_version": 1, "candidate": {"id": "c-skip", "current_level": "mid-pm", "target_level": "director"},
            "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": []}
    v = _evaluate(data)
    assert v["path"] == ["mid-pm", "senior-pm", "director"]
    assert [lr["id"] for lr in v["levels"]] == ["mid-pm", "senior-pm", "director"]
    assert {c["level"] for c in v["criteria"]} == {"mid-pm", "senior-pm", "director"}
    # cumulative: the current level is included on its required criteria only (current evidence)
    assert [lr.get("carried", False) for lr in v["levels"]] == [True, False, False]
    assert all(c["required"] for c in v["criteria"] if c["level"] == "mid-pm")


def test_track_switch_and_external_paths():
    """An IC switching to management is judged on the target track; an external hire on the target level."""
    base = {"schema_version": 1, "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": []}
    v = _evaluate(dict(base, candidate={"id": "c1", "current_level": "staff-pm", "target_level": "cpo"}))
    assert (v["track"], v["current_level"], v["target_level"], v["path"]) == ("management", "principal-pm", "vp", ["director", "vp"])
    v = _evaluate(dict(base, candidate={"id": "c2", "current_level": "external", "target_level": "gpm"}))
    assert v["path"] == ["associate-pm", "mid-pm", "senior-pm", "director"]  # has held none of them
    v = _evaluate(dict(base, candidate={"id": "c3", "current_level": "lead-pm", "track": "ic"}))
    assert (v["target_level"], v["path"]) == ("principal-pm", ["senior-pm", "principal-pm"])


MOVES = {  # (declared track or None, current, target) -> (judged track, from track, path, lateral)
    "director to principal-pm, declared ic": (("ic", "director", "principal-pm"),
                                              ("ic", "management", ["principal-pm"], True)),
    "director to principal-pm, declared management": (("management", "gpm", "staff-pm"),
                                                      ("ic", "management", ["principal-pm"], True)),
    "principal-pm to director, no track": ((None, "principal-pm", "director"),
                                           ("management", "ic", ["director"], True)),
    "senior-pm on management to principal-pm": (("management", "senior-pm", "principal-pm"),
                                                ("ic", "management", ["senior-pm", "principal-pm"], False)),
    "senior-pm on ic to director": (("ic", "lead-pm", "director"), ("management", "ic", ["senior-pm", "director"], False)),
    "mid-pm on ic to director: both levels": (("ic", "mid-pm", "director"),
                                              ("management", "ic", ["mid-pm", "senior-pm", "director"], False)),
}


@pytest.mark.parametrize(("given", "expected"), MOVES.values(), ids=MOVES.keys())
def test_moves_between_tracks_are_evaluated(given, expected):
    """Contract section 1: a candidate may switch track. A move is judged on the target's track,
    against every level of it above the current level's order (a level of the same order on the
    other track counts as held, so a lateral move meets the target's criteria alone), never
    rejected; the verdict says it is a move, and a lateral one says so in its headline."""
    track, current, target = given
    cand = {"id": "c-move", "current_level": current, "target_level": target, **({"track": track} if track else {})}
    v = _evaluate({"schema_version": 1, "candidate": cand, "period": {"start": "2025-01-01", "end": "2025-12-31"},
                   "evidence": []})
    judged, from_track, path, lateral = expected
    assert (v["track"], v["path"]) == (judged, path)
    assert v["move"] == {"from_track": from_track, "to_track": judged, "lateral": lateral}
    assert v["headline"].startswith("lateral move from ") == lateral
    assert {c["level"] for c in v["criteria"]} == set(path)


def test_a_move_down_is_still_refused():
    """Only a move to a level of the same order or above is evaluated: director to senior-pm is not
    a promotion on either track."""
    data = {"schema_version": 1, "candidate": {"id": "c-down", "current_level": "director", "track": "ic",
                                               "target_level": "senior-pm"},
            "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": []}
    with pytest.raises(EvidenceError, match="not above the current level"):
        check_document(_doc(data), BOOK)


def test_no_move_no_move_key():
    """A candidate who stays on their track gets no `move` key (verdicts of the ladder are unchanged)."""
    base = {"schema_version": 1, "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": []}
    v = _evaluate(dict(base, candidate={"id": "c1", "current_level": "senior-pm", "track": "ic"}))
    assert "move" not in v and v["track"] == "ic"


def test_verdict_comes_from_durable_rules_firing(monkeypatch):
    """Met criteria are exactly what the engine's consequences recorded: silence the engine and
    nothing is met; let it run and its actions are counted."""
    fx = max(FIXTURES, key=lambda p: len(_data(p)["evidence"]))
    p = check_document(_doc(_data(fx)), BOOK)
    real = EVAL.evaluate(p)
    assert real.engine_actions > 0
    assert any(c.met for c in real.criteria)
    monkeypatch.setattr(RulesEngine, "fire", lambda self, plan, facts: Firing())
    silent = Evaluator(BOOK).evaluate(check_document(_doc(_data(fx)), BOOK))
    assert silent.engine_actions == 0
    assert not any(c.met for c in silent.criteria)
    assert silent.verdict == "insufficient_evidence"


def test_citations_survive_ids_the_schema_would_refuse():
    """Consequences read evidence ids off the engine's JSON text when ids have the schema's form;
    any other id (the engine is a library and can be fed directly) is parsed in full, so what
    fired and what it cites are the same either way."""
    fx = max(FIXTURES, key=lambda p: len(_data(p)["evidence"]))
    p = check_document(_doc(_data(fx)), BOOK)
    path = EVAL.path(p)
    plan = EVAL.ruleset(path)
    built = build_facts(p, BOOK, path)
    plain = rules_engine().fire(plan, copy.deepcopy(built))
    odd = {f["eid"]: f'{f["eid"]} "quoted" \\ é' for f in built}
    facts = copy.deepcopy(built)
    for f in facts:
        f["eid"] = odd[f["eid"]]
    renamed = rules_engine().fire(plan, facts)
    assert plain.found and renamed.marked == plain.marked
    assert renamed.found == {n: sorted(odd[e] for e in ids) for n, ids in plain.found.items()}
    assert renamed.aggs == plain.aggs


def test_compiled_rulesets_are_registered_in_the_engine():
    """The rules run inside durable_rules: the compiled plan is a ruleset the engine holds."""
    plan = EVAL.ruleset(("senior-pm",))
    assert rules_engine().registered(plan.name)
    assert len(plan.rules) > len(BOOK.criteria("senior-pm"))


def test_thousands_of_candidates_do_not_leak_sessions():
    """The engine allows 1,024 live sessions per ruleset; every evaluation must free its own."""
    data = _data(FIXTURES[0])
    p = check_document(_doc(data), BOOK)
    first = EVAL.evaluate(p)
    for _ in range(1500):
        last = EVAL.evaluate(p)
    assert verdict_json(last) == verdict_json(first)


def test_two_rule_versions_live_in_one_process(tmp_path):
    """Audits hold two rule books at once; each keeps its own verdicts."""
    import shutil

    alt = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", alt)
    text = (alt / "mid-pm.yaml").read_text()
    (alt / "mid-pm.yaml").write_text(text.replace("min_supporting: 2", "min_supporting: 0"))
    book2 = load_rules(alt)
    assert book2.version != BOOK.version
    ev2 = Evaluator(book2)
    data = {"schema_version": 1, "candidate": {"id": "c", "current_level": "apm"},
            "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": []}
    a = EVAL.evaluate(check_document(_doc(data), BOOK))
    b = ev2.evaluate(check_document(_doc(data), book2))
    assert a.rules_version != b.rules_version
    assert [lr.supporting_needed for lr in b.levels if not lr.carried] == [0]
    ev2.close()


def test_cli_output_is_byte_identical_across_processes():
    """Same packet, same rules, two fresh processes: the same bytes."""
    fx = str(FIXTURES[0])
    cmd = [sys.executable, "-c", "import cli; cli.main()", "evaluate", fx, "--format", "json"]
    a = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=60)
    b = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=60)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout


_VALUES = [_MISSING, None, True, False, 0, 1, 1.0, 2.5, -3, 2**60, "x", "led", "", [], ["a"], ["a", "b"],
           {"k": 1}]
_PREDICATES = [("eq", a) for a in ("led", "", True, False, 1, 1.0, 0, None, ["a"])] + \
    [("ne", a) for a in ("led", True, 1)] + [("in", ["led", "co-led"]), ("in", [1, 2]), ("not_in", ["x"])] + \
    [(op, a) for op in ("gt", "gte", "lt", "lte") for a in (1, 2.5, 0)] + \
    [("exists", True), ("exists", False), ("contains", "a"), ("contains_any", ["a", "b"])]


def _values_for(arg):
    """The values a valid packet can hold in a field this argument can be compared with (rules
    are type-checked against the packet schema when they load), and a missing field."""
    sample = arg[0] if isinstance(arg, list) and arg else arg
    if isinstance(sample, bool):
        return [_MISSING, True, False]
    if isinstance(sample, (int, float)):
        return [_MISSING, 0, 1, 1.0, 2, 2.5, -3, 2**40]
    return [_MISSING, "x", "led", "co-led", "a", "b", ""]


_ENGINE_PREDICATES = [p for p in _PREDICATES if p[0] not in ("contains", "contains_any") and p[1] is not None
                      and p[1] != ["a"]]


@pytest.mark.parametrize("op,arg", _ENGINE_PREDICATES, ids=[f"{o}-{a!r}" for o, a in _ENGINE_PREDICATES])
def test_explanation_predicates_mean_what_the_engine_does(op, arg):
    """The operator table's Python test (what nearest misses are explained with) answers as the
    engine does on the compiled pattern, for every value a valid record can hold there."""
    _python_and_engine_agree(op, arg, _values_for(arg))


@pytest.mark.parametrize("op,arg", [("contains", "a"), ("contains_any", ["a", "b"])])
def test_list_predicates_mean_what_the_engine_does(op, arg):
    """The same for the list operators, over lists of tags."""
    _python_and_engine_agree(op, arg, [_MISSING, ["a"], ["b"], ["a", "b"], ["c"], ["x", "y"]])


def _python_and_engine_agree(op, arg, values):
    """Fire the operator's compiled pattern over one fact per value; the Python test must pick
    exactly the facts the engine matched."""
    from engine.book.compiler import Node, Ruleset
    from engine.core.firing import RulesEngine
    from engine.book.operators import OPERATORS

    facts = [{"_kind": "ev", "eid": f"e{i}", "type": "t", **({} if v is _MISSING else {"f": v})}
             for i, v in enumerate(values)]
    body = {"$and": [{"_kind": "ev"}, OPERATORS[op].pattern("f", arg)]}
    rules = {"n0": {"all": [{"e0": body}], "cap": 1000, "run": "hit:0"},
             "sink": {"all": [{"m": {"$ex": {"_kind": 1}}}, {"never": {"_kind": "$never"}}], "run": "noop"}}
    plan = Ruleset(f"op-probe:{op}:{json.dumps(arg)}", (), [Node(0, "leaf", "c", "x", None)], {"c": 0}, {}, rules, [])
    engine = RulesEngine()
    found = set(engine.fire(plan, facts).found.get(0, []))
    engine.unregister(plan.name)
    test = OPERATORS[op].tester(arg)
    assert {f"e{i}" for i, v in enumerate(values) if test(v)} == found, [(v, test(v)) for v in values]
