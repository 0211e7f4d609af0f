"""The pipeline's stages as each reports a failure (engine/core/pipeline.py): a refusal without
located problems still says why, where; anything unexpected is an internal error naming its stage,
never a crash that stops the other packets. Each test pins what a slip there would change. Written
against the survivors of a mutation run (docs/development.md)."""
from __future__ import annotations

import pytest

from engine import Evaluator, load_file, load_rules
from engine.base.errors import EngineError, EvidenceError, LadderError, Problem
from engine.core import pipeline

from conftest import FIXTURES

FX = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"


@pytest.fixture(scope="module")
def evaluator():
    return Evaluator(load_rules())


def _raise(exc):
    def f(*a, **k):
        raise exc
    return f


def test_a_result_is_ok_exactly_when_it_holds_a_verdict(evaluator):
    good = pipeline.run(FX, evaluator)
    assert good.ok and good.verdict is not None and good.candidate == "emp-0988"
    bad = pipeline.Result("x.yaml", problems=[Problem("x.yaml", "", "no")], kind=pipeline.INVALID)
    assert not bad.ok
    with pytest.raises(EvidenceError):
        bad.verdict_or_raise()
    with pytest.raises(EngineError):
        pipeline.Result("x.yaml", kind=pipeline.INTERNAL).verdict_or_raise()


def test_a_refusal_without_located_problems_is_one_problem_naming_the_packet(evaluator, monkeypatch):
    doc = load_file(FX)
    monkeypatch.setattr(pipeline, "check_document", _raise(LadderError(summary="the packet cannot be read so")))
    r = pipeline.check(doc, evaluator.book)
    assert (r.kind, r.candidate) == (pipeline.INVALID, "emp-0988")
    assert [str(p) for p in r.problems] == [f"{FX}: the packet cannot be read so"]


@pytest.mark.parametrize(("stage", "where"), [("checking", "check"), ("evaluating", "evaluate"),
                                              ("assessing the adjacent paths", "fit")])
def test_anything_unexpected_is_an_internal_error_naming_its_stage(evaluator, monkeypatch, stage, where):
    doc = load_file(FX)
    if where == "check":
        monkeypatch.setattr(pipeline, "check_document", _raise(ZeroDivisionError("boom")))
        r = pipeline.check(doc, evaluator.book)
    else:
        packet = pipeline.check(doc, evaluator.book)
        if where == "evaluate":
            monkeypatch.setattr(evaluator, "evaluate", _raise(ZeroDivisionError("boom")))
            r = pipeline.evaluate(packet, evaluator)
        else:
            class Broken:
                assess = staticmethod(_raise(ZeroDivisionError("boom")))
            r = pipeline.fit(packet, Broken())
    assert isinstance(r, pipeline.Result) and not r.ok
    assert (r.source, r.kind, r.candidate) == (str(FX), pipeline.INTERNAL, "emp-0988")
    assert [(p.source, p.path, p.message, p.kind) for p in r.problems] == [
        (str(FX), "", f"internal error (ZeroDivisionError) while {stage}; please report it", pipeline.INTERNAL)]


def test_an_evaluation_refused_says_why_with_or_without_located_problems(evaluator, monkeypatch):
    packet = pipeline.check(load_file(FX), evaluator.book)
    monkeypatch.setattr(evaluator, "evaluate", _raise(LadderError(summary="no rules for that level")))
    r = pipeline.evaluate(packet, evaluator)
    assert (r.kind, r.candidate, [str(p) for p in r.problems]) == (
        pipeline.INVALID, "emp-0988", [f"{FX}: no rules for that level"])
    located = [Problem(str(FX), "/candidate/target_level", "unknown level")]
    monkeypatch.setattr(evaluator, "evaluate", _raise(LadderError(located)))
    assert pipeline.evaluate(packet, evaluator).problems == located
