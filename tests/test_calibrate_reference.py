"""Calibration's figures against a reference, and its counting against shuffles and repeats.

The agreement rate and Cohen's kappa are checked against scikit-learn (`accuracy_score`,
`cohen_kappa_score`, a test-only dependency) on generated matrices, unequal marginals, empty cells
and single-class cohorts included: a formula that drops a marginal from the chance term agrees with
the reference only when row and column totals happen to be equal, which generated cohorts rarely
are. Then calibrate is run over results files with lines shuffled and repeated: every candidate is
counted once, the figures equal the reference over the distinct candidates, per group too, and the
criteria "disagreed with most" come most-overridden first.
"""
from __future__ import annotations

import math
import warnings
from collections import Counter

import pytest
from sklearn import metrics as sklearn_metrics
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.committee.calibrate import DECISIONS, PAIRED, SUPPRESS_BELOW, VERDICTS, agreement, as_dict, calibrate
from engine.book.rules import load_rules

from test_committee import _verdict, _write_csv, _write_jsonl


# The tool's verdicts and the committee's decisions as one label set: a pair agrees when its
# verdict's paired decision is the decision.
_LABEL = {v: PAIRED[v] for v in VERDICTS}
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _reference(pairs: list[tuple[str, str]]) -> tuple[float | None, float | None]:
    if not pairs:
        return None, None
    y_tool = [_LABEL[v] for v, _ in pairs]
    y_committee = [d for _, d in pairs]
    acc = sklearn_metrics.accuracy_score(y_tool, y_committee)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one class only: the reference says nan, ladder says None
        k = sklearn_metrics.cohen_kappa_score(y_tool, y_committee, labels=list(DECISIONS))
    return round(acc, 4), None if math.isnan(k) else round(k, 4)


def _pairs(m: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    return [(v, d) for v in VERDICTS for d in DECISIONS for _ in range(m[v][d])]


matrices = st.fixed_dictionaries({v: st.fixed_dictionaries({d: st.integers(0, 9) for d in DECISIONS})
                                  for v in VERDICTS})


@SETTINGS
@given(matrices)
def test_agreement_and_kappa_equal_the_reference(m):
    n, agree, kappa = agreement(m)
    pairs = _pairs(m)
    assert n == len(pairs)
    ref_agree, ref_kappa = _reference(pairs)
    assert agree == ref_agree
    if kappa is None or ref_kappa is None:
        assert kappa is None and ref_kappa is None
    else:
        assert math.isclose(kappa, ref_kappa, abs_tol=1e-4)


@pytest.mark.parametrize("m, kappa", [
    # unequal marginals: rows 6/3/1, columns 3/6/1; agreement 7/10, chance (6*3 + 3*6 + 1*1)/100 = 0.37,
    # kappa 0.33/0.63 (a chance term from the rows alone, (36+9+1)/100, would give 0.4444)
    ({"ready": {"promoted": 3, "not_promoted": 3, "deferred": 0},
      "not_ready": {"promoted": 0, "not_promoted": 3, "deferred": 0},
      "insufficient_evidence": {"promoted": 0, "not_promoted": 0, "deferred": 1}}, 0.5238),
    # one class only, both sides: chance agreement is 1, kappa undefined
    ({"ready": {"promoted": 7, "not_promoted": 0, "deferred": 0},
      "not_ready": {"promoted": 0, "not_promoted": 0, "deferred": 0},
      "insufficient_evidence": {"promoted": 0, "not_promoted": 0, "deferred": 0}}, None),
    # complete disagreement on two classes: kappa -1
    ({"ready": {"promoted": 0, "not_promoted": 4, "deferred": 0},
      "not_ready": {"promoted": 4, "not_promoted": 0, "deferred": 0},
      "insufficient_evidence": {"promoted": 0, "not_promoted": 0, "deferred": 0}}, -1.0),
])
def test_kappa_worked_cases(m, kappa):
    assert agreement(m)[2] == kappa == _reference(_pairs(m))[1]


def test_an_empty_cohort_has_no_figures():
    assert agreement({v: {d: 0 for d in DECISIONS} for v in VERDICTS}) == (0, None, None)


# -- calibrate over shuffled, repeated results ------------------------------------------------------
CRITERIA = ["senior-pm.aligns-teams", "senior-pm.moves-key-metrics", "senior-pm.area-direction"]
candidates = st.lists(
    st.tuples(st.sampled_from(VERDICTS), st.sampled_from(DECISIONS), st.sampled_from(["north", "south", "west"]),
              st.sets(st.sampled_from(CRITERIA)), st.lists(st.tuples(st.sampled_from(CRITERIA),
                                                                    st.sampled_from(["met", "unmet"])),
                                                          max_size=2, unique_by=lambda x: x[0])),
    min_size=1, max_size=24)


@SETTINGS
@given(candidates, st.randoms(use_true_random=False), st.integers(0, 6))
def test_calibrate_counts_each_candidate_once_whatever_the_order(tmp_path_factory, cohort, rnd, repeats):
    tmp = tmp_path_factory.mktemp("cal")
    book = load_rules(None)
    lines = [_verdict(f"c{i:03d}", v, org=org, unmet=sorted(unmet)) for i, (v, _, org, unmet, _) in enumerate(cohort)]
    # a repeated line is the same candidate again (first one counts); the file order is shuffled
    dup = [dict(lines[rnd.randrange(len(lines))]) for _ in range(repeats)]
    shuffled = lines + dup
    rnd.shuffle(shuffled)
    rows = [("2026-h1", f"c{i:03d}", d, "2026-07-01", "", ";".join(f"{c}={s}" for c, s in ov))
            for i, (_, d, _, _, ov) in enumerate(cohort)]
    dec = _write_csv(tmp / "d.csv", rows)
    a = as_dict(calibrate(book, str(_write_jsonl(tmp / "a.jsonl", lines)), str(dec)), book)
    b = as_dict(calibrate(book, str(_write_jsonl(tmp / "b.jsonl", shuffled)), str(dec)), book)
    for key in ("candidates", "matrix", "agreement", "kappa", "criteria", "groups", "disagreed_most"):
        assert a[key] == b[key], key
    assert b["unmatched"]["duplicate_verdicts"] == repeats
    # the figures are the reference's over the distinct candidates
    pairs = [(v, d) for v, d, *_ in cohort]
    assert b["candidates"] == len(cohort)
    assert b["matrix"] == {v: {d: Counter(pairs)[(v, d)] for d in DECISIONS} for v in VERDICTS}
    ref_agree, ref_kappa = _reference(pairs)
    assert b["agreement"] == ref_agree and (b["kappa"] is None) == (ref_kappa is None)
    for g in b["groups"]["org"]:
        members = [(v, d) for v, d, org, *_ in cohort if org == g["id"]]
        if len(members) < SUPPRESS_BELOW:
            assert g.get("suppressed")
        else:
            assert g["candidates"] == len(members) and g["agreement"] == _reference(members)[0]
    # most overridden first, ties by id
    totals = [(-(r["overridden_to_met"] + r["overridden_to_unmet"]), r["id"]) for r in b["criteria"]]
    assert totals == sorted(totals)
    assert [s["id"] for s in b["disagreed_most"]] == [r["id"] for r in b["criteria"][:len(b["disagreed_most"])]]


def test_disagreed_most_is_most_overridden_first_without_ties(tmp_path):
    """Three criteria overridden 3, 1 and 2 times: listed 3, 2, 1 (not by id, not reversed)."""
    book = load_rules(None)
    ids = [f"c{i:02d}" for i in range(6)]
    lines = [_verdict(c, "not_ready", unmet=CRITERIA) for c in ids]
    ov = {"c00": "senior-pm.area-direction=met", "c01": "senior-pm.area-direction=met",
          "c02": "senior-pm.area-direction=met;senior-pm.aligns-teams=met",
          "c03": "senior-pm.moves-key-metrics=met", "c04": "senior-pm.moves-key-metrics=met"}
    dec = _write_csv(tmp_path / "d.csv", [("2026-h1", c, "promoted", "2026-07-01", "", ov.get(c, "")) for c in ids])
    d = as_dict(calibrate(book, str(_write_jsonl(tmp_path / "r.jsonl", lines)), str(dec)), book)
    assert [s["id"] for s in d["disagreed_most"]] == ["senior-pm.area-direction", "senior-pm.moves-key-metrics",
                                                      "senior-pm.aligns-teams"]
    assert [s["overrides"] for s in d["disagreed_most"]] == [3, 2, 1]

