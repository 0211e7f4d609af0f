"""The one module that drives durable_rules (engine/core/firing.py): the precision a mean is
judged at, and an engine that keeps working after a consequence fails. Written against the
survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import copy
import json

import pytest
import yaml

from engine.book.rules import load_rules
from engine.core.evaluator import Evaluator
from engine.core.pipeline import check
from engine.base.loader import load_file

from conftest import FIXTURES
from test_vocabulary import scaffold


@pytest.fixture(scope="module")
def lift_pack(tmp_path_factory):
    """`ladder init`'s pack with one criterion: the mean lift of two experiments is at least 1.5."""
    from click.testing import CliRunner

    from cli import main

    tmp = tmp_path_factory.mktemp("lift")

    def run_cli(*args):
        r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r

    d = scaffold(tmp, run_cli)
    (d / "rules" / "vocabulary.yaml").write_text(
        "vocabulary_version: 1\ntypes:\n  experiment:\n    fields:\n"
        "      lift: {type: number, minimum: -100, maximum: 100}\n")
    lv = d / "rules" / "pm-1.yaml"
    lv.write_text(lv.read_text() + """\
  - id: pm-1.lift
    title: Experiments that lift the metric on average
    source: "PM1 — Insight"
    required: true
    condition: {evidence: experiment, mean: {field: lift, gte: 1.5, min_records: 2}}
""")
    fx = yaml.safe_load(next((d / "fixtures").glob("*.yaml")).read_text())
    return d / "rules", fx, run_cli


@pytest.mark.parametrize(("lifts", "status", "shown"), [
    ((1.5, 1.5), "met", "1.5"),
    ((1.4999996, 1.5), "met", "1.5"),  # a mean of 1.4999998 is 1.5 at six decimal places
    ((1.499992, 1.5), "unmet", "1.499996"),  # 1.499996 is not (five places would make it 1.5)
    ((1.0, 1.9999), "unmet", "1.49995"),
    ((1.0, 1.0), "unmet", "1"),
])
def test_a_mean_is_judged_at_six_decimal_places(tmp_path, lift_pack, lifts, status, shown):
    rules, fx, run_cli = lift_pack
    data = copy.deepcopy(fx)
    data["evidence"] += [{"id": f"x{i}", "type": "experiment", "date": "2025-06-01", "title": f"Test {i}",
                          "lift": lift} for i, lift in enumerate(lifts)]
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    v = json.loads(run_cli("evaluate", p, "--rules", rules, "--format", "json", "--no-plan").stdout)
    crit = next(c for c in v["criteria"] if c["id"] == "pm-1.lift")
    assert crit["status"] == status, crit
    if status == "unmet":
        assert f"mean lift {shown}" in crit["reason"], crit["reason"]


def test_a_consequence_that_fails_leaves_the_engine_usable(monkeypatch):
    """A bug in one consequence raises out of the firing, and the engine's queue for that ruleset
    is released: the next packet fires as if nothing had happened."""
    book = load_rules()
    ev = Evaluator(book)
    packet = check(load_file(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"), book)
    want = ev.evaluate(packet)
    name = ev.ruleset(ev.path(packet), ev.carried(packet)).name
    reg = ev.engine._rulesets[name]

    def broken(fr, message, assert_fact):
        raise RuntimeError("a consequence failed")

    saved = dict(reg.actions)
    monkeypatch.setattr(reg, "actions", {k: broken for k in saved})
    with pytest.raises(RuntimeError, match="a consequence failed"):
        ev.evaluate(packet)
    reg.actions = saved
    for _ in range(3):
        again = ev.evaluate(packet)
        assert (again.verdict, [c.status for c in again.criteria]) == (want.verdict, [c.status for c in want.criteria])


def test_a_linked_aggregate_over_more_link_tuples_than_one_call_holds(tmp_path):
    """The engine hands a linked leaf its matches (a record, a link, the tag of what it names) in
    calls of at most CAP tuples: 101 records each naming ten matched records are 1,010 tuples, two
    calls. Each record is counted once, and a figure the second call does not change is not
    asserted again (the engine refuses a fact twice)."""
    from test_links import CRITERIA, checked, research, vision
    from test_rules import write_mini

    book = load_rules(write_mini(tmp_path / "rules", {"two": CRITERIA["two"]}))
    ev = Evaluator(book)
    try:
        found = [research(f"d{i}") for i in range(10)]
        many = [vision(f"a{i:03d}", [f"d{j}" for j in range(10)], title=f"Vision {i}") for i in range(101)]
        for order in (found + many, many[::-1] + found):
            v = ev.evaluate(checked(book, order))
            two = next(c for c in v.criteria if c.id == "probe.two")
            assert two.status == "met" and sorted(two.evidence) == sorted(r["id"] for r in found + many)
    finally:
        ev.close()


@pytest.mark.parametrize(("mean", "shown"), [
    (1.5, "1.5"), (1.499996, "1.499996"), (4.333333, "4.333333"), (4.0, "4"), (0.0, "0"), (-0.0, "0"),
    (-2.25, "-2.25"), (1e15, "1000000000000000"),
])
def test_a_mean_is_shown_as_it_was_judged(mean, shown):
    from engine.core.explain import _mean

    assert _mean(mean) == shown
