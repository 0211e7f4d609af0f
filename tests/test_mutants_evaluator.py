"""The evaluator (engine/core/evaluator.py): a headline of counts on a skip-level path of
supporting-only levels, and the engine rulesets an evaluator frees. Written against the survivors
of a mutation run (docs/development.md)."""
from __future__ import annotations

import json

import yaml

from engine.base.loader import Document
from engine.book.rules import load_rules
from engine.core.evaluator import Evaluator
from engine.core.evidence import check_document

from test_rules import PROBE_CRITERIA, packet, rec

LADDER = """\
ladder_version: 1
levels:
  - {id: base, title: Base, guide_level: "Level 1", order: 1}
  - {id: mid, title: Mid, guide_level: "Level 2", order: 2}
  - {id: top, title: Top, guide_level: "Level 3", order: 3}
tracks:
  management: [base, mid, top]
"""


def _level(level: str, criteria: dict, need: int) -> dict:
    return {"level": level,
            "policy": {"min_supporting": need, "sufficient_evidence": {"min_records": 1, "within_days": 365}},
            "criteria": [{"id": f"{level}.{k}", "title": f"{level} {k}", "source": "Level 2 · Test",
                          "required": False, "condition": c} for k, c in criteria.items()]}


def _book(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "ladder.yaml").write_text(LADDER, encoding="utf-8")
    levels = {"base": ({"learns": {"evidence": "learning"}}, 0),
              "mid": ({"a": PROBE_CRITERIA["gte"], "b": PROBE_CRITERIA["exists"]}, 1),
              "top": ({"c": PROBE_CRITERIA["contains"], "d": PROBE_CRITERIA["exists"]}, 2)}
    for lv, (crit, need) in levels.items():
        (d / f"{lv}.yaml").write_text(yaml.safe_dump(_level(lv, crit, need), sort_keys=False), encoding="utf-8")
    return load_rules(d)


def _verdict(ev, book, evidence):
    data = packet(evidence)
    data["candidate"]["target_level"] = "top"
    return ev.evaluate(check_document(Document("p.json", data, json.dumps(data), "json"), book))


def test_a_skip_level_path_of_supporting_only_levels_names_each_level_in_its_headline(tmp_path):
    """Two levels judged (mid and top): each figure is labelled with its level, ready or not; a
    level that has enough is left out of a not-ready headline."""
    book = _book(tmp_path)
    ev = Evaluator(book)
    try:
        a, b = rec("a", "risk_raised", teams=3), rec("b", "learning", shared=True)
        c, plain = rec("c", "artifact", themes=["alignment"]), rec("p", "learning")  # `plain` meets nothing
        v = _verdict(ev, book, [a, c])
        assert v.headline == "not ready for top: top: 1 of 2 supporting criteria met, 2 needed"
        v = _verdict(ev, book, [a, b, c])
        assert v.headline == ("ready for top: mid: 2 of 2 supporting criteria met, 1 needed; "
                              "top: 2 of 2 supporting criteria met, 2 needed")
        v = _verdict(ev, book, [c, plain])
        assert v.headline == ("not ready for top: mid: 0 of 2 supporting criteria met, 1 needed; "
                              "top: 1 of 2 supporting criteria met, 2 needed")
    finally:
        ev.close()


def test_closing_an_evaluator_frees_the_engine_rulesets_it_registered(tmp_path):
    """An audit loads two rule books in one process: what one evaluator registered goes with it."""
    book = _book(tmp_path)
    ev = Evaluator(book)
    _verdict(ev, book, [rec("a", "risk_raised", teams=3), rec("p", "learning")])
    names = [rs.name for rs in ev._rulesets.values()]
    assert names and all(ev.engine.registered(n) for n in names)
    ev.close()
    assert not any(ev.engine.registered(n) for n in names)
    assert ev._rulesets == {}
    # and it can be used again: the rulesets are compiled and registered anew
    assert _verdict(ev, book, [rec("a", "risk_raised", teams=3), rec("p", "learning")]).verdict == "not_ready"
    ev.close()
