"""engine.core.plan: the records that would make a not-ready candidate ready, proved by the engine.

For every plan given: the packet with the plan appended is valid (schema and semantic checks),
raises no integrity warning it did not have, and is ready; leaving out any one planned record is
not ready (the plan is minimal). A ready verdict carries no plan.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core import pipeline
from engine.core.evaluator import Evaluator
from engine.core.evidence import check_document
from engine.base.loader import Document, load_file
from engine.outputs.report import verdict_dict, verdict_markdown, verdict_text
from engine.book.rules import load_rules
from engine.core.verdict import READY

from conftest import FIXTURES, bench_generator, real_record

BOOK = load_rules()
EVAL = Evaluator(BOOK)
BARE = EVAL  # only verdicts: proves plans without planning again


def planned(packet):
    """The verdict with its plan: the pipeline's evaluate and plan stages."""
    return pipeline.plan(pipeline.evaluate(packet, EVAL), EVAL).verdict


@pytest.fixture(autouse=True)
def minimal_by_construction(monkeypatch):
    """Every plan these tests see is minimal by construction: the planner's reading leaves out
    what is not needed before the one proving firing, and the fallback (minimising by firing,
    for when the reading and the engine disagree) is never reached. If it were, make_plan would
    turn this into its internal-error note and the test asking for a plan fails."""
    import engine.core.plan as P

    def fallback(*a, **k):
        raise AssertionError("the plan was minimised by firing: the planner's reading missed a record")

    monkeypatch.setattr(P, "_minimise", fallback)
GEN = bench_generator()


def _check(data: dict):
    return check_document(Document("p.json", data, json.dumps(data), "json"), BOOK)


def _with(data: dict, records: list[dict]) -> dict:
    """The packet with a plan's records added as the real ones they stand for (conftest.real_record)."""
    out = copy.deepcopy(data)
    out["evidence"] = list(out["evidence"]) + [real_record(r) for r in records]
    return out


def assert_plan_works(data: dict) -> dict:
    """The verdict of `data`; when it carries a plan, the plan is proved and minimal."""
    packet = _check(data)
    d = verdict_dict(planned(packet))
    if d["verdict"] == READY:
        assert "plan" not in d and "plan_note" not in d
        return d
    assert "plan" in d
    plan = d["plan"]
    if plan is None:
        assert d["plan_note"]
        return d
    assert plan, "a not-ready candidate's plan has at least one record"
    ids = [r["id"] for r in plan]
    assert len(set(ids)) == len(ids) and not set(ids) & {ev["id"] for ev in data["evidence"]}
    me = data["candidate"]["id"].casefold()
    for r in plan:
        assert r["date"] <= data["period"]["end"]
        for k in ("from", "mentee"):
            if k in r:
                assert r[k]["id"].casefold() != me
    after = _check(_with(data, plan))  # valid, or this raises
    assert len(after.warnings) == len(packet.warnings), [w.message for w in after.warnings]
    assert BARE.evaluate(after).verdict == READY
    for i in range(len(plan)):
        fewer = _check(_with(data, plan[:i] + plan[i + 1:]))
        assert BARE.evaluate(fewer).verdict != READY, f"{plan[i]['id']} is not needed"
    return d


def _fixture(p: Path) -> dict:
    return load_file(p).data


NOT_READY = sorted(FIXTURES.glob("*not-ready.yaml")) + sorted(FIXTURES.glob("*insufficient.yaml"))


@pytest.mark.parametrize("path", NOT_READY, ids=lambda p: p.stem)
def test_every_not_ready_fixture_gets_a_proved_minimal_plan(path):
    d = assert_plan_works(_fixture(path))
    assert d["verdict"] != READY and d["plan"], d.get("plan_note")
    assert [r["id"] for r in d["plan"]] == [f"plan-{i:02d}" for i in range(1, len(d["plan"]) + 1)]
    for r in d["plan"]:
        assert r["title"].startswith("Planned: ")


@pytest.mark.parametrize("path", NOT_READY, ids=lambda p: p.stem)
def test_a_plan_is_proved_by_one_firing(path, monkeypatch):
    """Planning fires the engine once per plan (the proof), not once per record to minimise it."""
    firings = []
    status = EVAL.status
    monkeypatch.setattr(EVAL, "status", lambda p: firings.append(1) or status(p))
    prove_packet = _check(_fixture(path))
    v = EVAL.evaluate(prove_packet)
    firings.clear()
    pipeline.plan(pipeline.Result(prove_packet.source, v, prove_packet), EVAL)
    assert v.plan and len(firings) == 1, (len(firings), v.plan_note)


@pytest.mark.parametrize("path", [p for p in sorted(FIXTURES.glob("*-ready.yaml"))
                                  if not p.stem.endswith("not-ready")], ids=lambda p: p.stem)
def test_a_ready_verdict_has_no_plan(path):
    d = verdict_dict(planned(_check(_fixture(path))))
    assert d["verdict"] == READY and "plan" not in d


def test_plans_can_be_turned_off():
    """Planning is the pipeline's stage: off unless asked for, and the verdict is the same either way."""
    path = FIXTURES / "bram-ellingworth-apm-to-mid-not-ready.yaml"
    off = verdict_dict(pipeline.run(path, EVAL).verdict)
    on = verdict_dict(pipeline.run(path, EVAL, with_plan=True).verdict)
    assert "plan" not in off and on["plan"]
    assert {k: v for k, v in on.items() if k != "plan"} == off


def test_text_and_markdown_show_what_would_make_it_ready():
    data = _fixture(FIXTURES / "hollis-penrake-mid-to-senior-insufficient.yaml")
    v = planned(_check(data))
    text, md = verdict_text(v), verdict_markdown(v)
    assert "What would make this ready" in text and "plan-01 · " in text
    assert "### What would make this ready" in md and "- plan-01 · " in md


def test_the_cli_json_carries_the_plan_and_the_plan_makes_it_ready(run_cli, tmp_path):
    src = FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml"
    d = json.loads(run_cli("evaluate", src, "--format", "json", exit_code=None).stdout)
    assert d["verdict"] == "not_ready" and d["plan"]
    full = tmp_path / "with-plan.json"
    full.write_text(json.dumps(_with(_fixture(src), d["plan"])), encoding="utf-8")
    after = json.loads(run_cli("evaluate", full, "--format", "json", exit_code=None).stdout)
    assert after["verdict"] == "ready" and after["warnings"] == [] and "plan" not in after


def test_no_plan_within_the_bounds_says_why(monkeypatch):
    from engine.core import plan as plan_mod

    monkeypatch.setattr(plan_mod, "MAX_RECORDS", 0)
    data = _fixture(FIXTURES / "hollis-penrake-mid-to-senior-insufficient.yaml")
    d = verdict_dict(planned(_check(data)))
    assert d["plan"] is None and "more than 0 records" in d["plan_note"]


# -- properties over the bench generator's realistic packets -----------------------------------
def _not_ready(seed: int, i: int) -> dict | None:
    data = GEN.make_packet(seed, i)
    v = BARE.evaluate(_check(data))
    return data if v.verdict != READY else None


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.integers(0, 10_000), st.integers(0, 200))
def test_a_plan_always_makes_a_generated_packet_ready_and_none_of_it_can_be_dropped(seed, i):
    data = _not_ready(seed, i)
    if data is None:
        return  # ready packets carry no plan (checked above); only not-ready ones are interesting
    d = assert_plan_works(data)
    assert d["plan"] is not None, d["plan_note"]


def test_no_plan_leaves_out_only_the_plan(run_cli):
    """`batch --no-plan` (and `evaluate --no-plan`) is the same verdict without the plan keys."""
    import json as _json

    from conftest import FIXTURES as _FX

    fx = sorted(str(p) for p in _FX.glob("*.yaml"))
    with_plan = [_json.loads(x) for x in run_cli("batch", *fx, "--out", "-", "--quiet").stdout.splitlines()]
    without = [_json.loads(x) for x in run_cli("batch", *fx, "--out", "-", "--quiet", "--no-plan").stdout.splitlines()]
    assert any("plan" in v for v in with_plan) and not any("plan" in v for v in without)
    assert [{k: v for k, v in d.items() if k not in ("plan", "plan_note", "options")} for d in with_plan] == \
        [{k: v for k, v in d.items() if k != "options"} for d in without]
    assert {d["options"]["plan"] for d in with_plan} == {True} and {d["options"]["plan"] for d in without} == {False}
    one = _json.loads(run_cli("evaluate", fx[0], "--format", "json", "--no-plan").stdout)
    assert "plan" not in one


def test_a_plan_tops_up_recent_evidence_with_records_the_level_can_use(run_cli, tmp_path):
    """A level short of recent evidence counts only the types its criteria read; the plan adds
    those (it added `learning`, which vp does not read, then said no plan was possible)."""
    import json as _json
    import shutil

    import yaml as _yaml

    from conftest import FIXTURES as _FX, ROOT as _ROOT

    shutil.copytree(_ROOT / "rules", tmp_path / "rules")
    shutil.copytree(_ROOT / "schemas", tmp_path / "schemas")
    vp = tmp_path / "rules" / "vp.yaml"
    vp.write_text(vp.read_text(encoding="utf-8").replace("min_records: 6,", "min_records: 20,"), encoding="utf-8")
    fx = _FX / "ottoline-marsh-director-to-vp-ready.yaml"
    v = _json.loads(run_cli("evaluate", fx, "--rules", tmp_path / "rules", "--format", "json").stdout)
    assert v["verdict"] == "insufficient_evidence" and v["plan"], v.get("plan_note")
    data = _yaml.safe_load(fx.read_text(encoding="utf-8"))
    assert all(r.pop("planned") is True for r in v["plan"])  # advice until replaced by the real record
    data["evidence"] += v["plan"]
    out = tmp_path / "with-plan.yaml"
    out.write_text(_yaml.safe_dump(data, sort_keys=False, default_flow_style=False), encoding="utf-8")
    again = _json.loads(run_cli("evaluate", out, "--rules", tmp_path / "rules", "--format", "json").stdout)
    assert again["verdict"] == "ready" and again["warnings"] == []


def test_plan_ids_skip_the_ids_the_packet_already_uses(run_cli, tmp_path):
    """A packet whose own records are called plan-01 and plan-02 (a plan applied earlier, say)
    gets planned records with ids it does not use, so appending the plan keeps ids unique."""
    import json as _json

    import yaml as _yaml

    from conftest import FIXTURES as _FX

    data = _yaml.safe_load((_FX / "caspian-thistlewood-mid-to-senior-not-ready.yaml").read_text(encoding="utf-8"))
    data["evidence"][0]["id"], data["evidence"][1]["id"] = "plan-01", "plan-02"
    f = tmp_path / "p.yaml"
    f.write_text(_yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    v = _json.loads(run_cli("evaluate", f, "--format", "json").stdout)
    ids = [r["id"] for r in v["plan"]]
    assert ids and not {"plan-01", "plan-02"} & set(ids)
    assert ids == [f"plan-{n:02d}" for n in range(3, 3 + len(ids))]


def test_a_plan_that_would_raise_a_new_warning_is_not_proved():
    """prove() refuses records that make the packet ready only by adding something a committee
    would be warned about (here: the plan's record repeats one of the packet's own, which would
    also count once), even when the warning count alone would not show it."""
    from engine.core import plan as P

    fx = FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml"
    packet = check_document(load_file(fx), BOOK)
    v = planned(packet)
    good = copy.deepcopy(verdict_dict(v)["plan"])
    assert P.prove(BARE, packet, good) is not None
    echo = dict(copy.deepcopy(packet.evidence[0]), id="plan-99")  # the same record again
    assert P.prove(BARE, packet, good + [echo]) is None
    assert P._new_warnings(packet, check_document(load_file(fx), BOOK)) == []
