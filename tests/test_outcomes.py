"""Evidence anchored to the organisation's own records (issue 23, parts 4-6).

The corpus (tests/outcomes/): packets that inflate a case (falling GMV declared lower-is-better,
one launch in phases, restated in basis points or with a look-alike letter, metrics moved from 0
to 0.01), each `ready` before, and honest packets the checks used to hurt (recurring reviews and
updates under one title, a mentoring that began before the period). Then the policy numbers at
their boundaries, the pack's own integrity policy, and the same outcome claimed across packets.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT
from test_gaming import TODAY, _the_plan_is_honest

HERE = ROOT / "tests" / "outcomes"
CASES = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))


def test_every_packet_has_a_case_and_every_case_a_packet():
    assert sorted(c["packet"] for c in CASES) == sorted(p.name for p in (HERE / "packets").glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c["packet"].removesuffix(".yaml") for c in CASES])
def test_each_packet_gets_what_the_manifest_says(case, run_cli, tmp_path):
    packet = HERE / "packets" / case["packet"]
    r = run_cli("evaluate", packet, "--format", "json", *TODAY, exit_code=case.get("exit", 0))
    if case.get("exit") == 3:
        for want in case["errors"]:
            assert any(f": {want['path']}: " in line and want["says"] in line for line in r.stderr.splitlines()), \
                (want, r.stderr)
        return
    v = json.loads(r.stdout)
    assert v["verdict"] == case["verdict"]
    assert set(case.get("unmet", [])) <= set(v["unmet"])
    assert not set(case.get("met", [])) & set(v["unmet"])
    for want in case.get("warnings", []):
        assert any(w["path"] == want["path"] and want["says"] in w["message"] for w in v["warnings"]), \
            (want, v["warnings"])
    if case.get("no_warnings"):
        assert v["warnings"] == []
    if v["verdict"] != "ready":
        _the_plan_is_honest(v, packet, [], run_cli, tmp_path)


# -- policy numbers, each at its boundary and one step past it ------------------------------------
def _policy(**kw):
    from engine.book.integrity import DEFAULT_WORDS, IntegrityPolicy, _phrases

    return IntegrityPolicy(words=_phrases(DEFAULT_WORDS), **kw)


@pytest.mark.parametrize("base, result, improved", [
    (0, 1, True),        # from 0: exactly the floor (integrity.materiality.from_zero: 1) moved
    (0, 0.99, False),    # one step under it did not
    (0, 0.01, False),    # the gaming case
    (100, 101, True),    # relative: exactly 1 % of the baseline
    (100, 100.99, False),
])
def test_materiality_is_relative_and_from_zero_absolute(base, result, improved):
    from engine.book.integrity import moved

    assert moved(base, result, True, _policy()) is improved


def _restated(days: int) -> list[dict]:
    a = {"id": "a", "type": "shipped_outcome", "date": "2026-03-01", "title": "Checkout redesign",
         "metrics": [{"kind": "business", "baseline": 2.1, "result": 2.6, "unit": "%"}]}
    b = {"id": "b", "type": "shipped_outcome", "date": f"2026-03-{1 + days:02d}", "title": "Conversion uplift",
         "metrics": [{"kind": "business", "baseline": 210, "result": 260, "unit": "bp"}]}
    return [a, b]


@pytest.mark.parametrize("days, same", [(7, True), (8, False), (0, True)])
def test_a_restatement_in_other_units_is_one_outcome_within_the_window(days, same):
    from engine.book.integrity import repeat_groups

    assert bool(repeat_groups(_restated(days), policy=_policy())) is same


def test_a_restatement_is_a_power_of_ten_not_any_ratio():
    """2.1 -> 2.6 and 4.2 -> 5.2 moved by the same ratio but are other figures: two launches."""
    from engine.book.integrity import repeat_groups

    a, b = _restated(0)
    b["metrics"] = [{"kind": "business", "baseline": 4.2, "result": 5.2}]
    assert repeat_groups([a, b], policy=_policy()) == {}


def test_phases_chain_only_on_the_same_kind_of_metric():
    from engine.book.integrity import repeat_groups

    p1 = {"id": "p1", "type": "shipped_outcome", "date": "2026-01-10", "title": "Phase one",
          "metrics": [{"kind": "user", "baseline": 3.0, "result": 3.4}]}
    p2 = {"id": "p2", "type": "shipped_outcome", "date": "2026-02-10", "title": "Phase two",
          "metrics": [{"kind": "user", "baseline": 3.4, "result": 3.9}]}
    assert repeat_groups([p1, p2], policy=_policy()) == {"p1": "p1", "p2": "p1"}
    p2["metrics"][0]["kind"] = "business"
    assert repeat_groups([p1, p2], policy=_policy()) == {}


@pytest.mark.parametrize("title", ["Сheckout redesign", "ＣＨＥＣＫＯＵＴ redesign", "Checkout  Redesign!", "Checkout rеdesign"])
def test_a_look_alike_title_is_the_same_title(title):
    from engine.book.outcomes import norm_title

    assert norm_title(title) == norm_title("Checkout redesign")
    assert norm_title("Checkout redesign") != norm_title("Checkout resign")


@pytest.mark.parametrize("types, repeats", [((), False), (("artifact",), True)])
def test_the_same_title_on_another_date_repeats_only_for_a_type_that_does_not_recur(types, repeats):
    from engine.book.integrity import repeat_groups

    ev = [{"id": f"u{m}", "type": "artifact", "kind": "status-update", "date": f"2026-0{m}-01",
           "title": "Monthly delivery update"} for m in (1, 2)]
    assert bool(repeat_groups(ev, policy=_policy(once=frozenset(types)))) is repeats
    ev[1]["date"] = ev[0]["date"]  # the same date: one update entered twice, whatever the type
    assert repeat_groups(ev, policy=_policy(once=frozenset(types))) == {"u1": "u1", "u2": "u1"}


@pytest.mark.parametrize("began, counts_from_start", [
    ("2025-03-01", False),  # 4 months from 2025-03-01 ends on 2025-07-01, the period's start: no overlap
    ("2025-03-02", True),   # a day later it runs into the period
])
def test_a_mentoring_counts_from_the_period_start_when_it_runs_into_it(began, counts_from_start):
    from engine.book.integrity import effective_date

    ev = {"type": "mentoring", "date": began, "months": 4}
    assert effective_date(ev, "2025-07-01") == ("2025-07-01" if counts_from_start else began)


@pytest.mark.parametrize("name, says", [
    ("GMV", True), ("MRR (self-serve)", True), ("ARR", True), ("revenue per visitor", True),
    ("rеvenue", True),  # a Cyrillic e does not hide the word
    ("support contacts per 1k bookings", False),  # the measure is contacts; bookings is the denominator
    ("time to first value", False), ("armrest returns", False),  # whole words only: arr is not in armrest
])
def test_metric_direction_words_are_whole_words_of_the_measure(name, says):
    from engine.book.integrity import says_higher_is_better

    assert says_higher_is_better(_policy(), name) is says


def _noor(change=None) -> dict:
    from engine.base.loader import load_file

    data = copy.deepcopy(load_file(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml").data)
    if change:
        change(data)
    return data


def _check(data: dict, book=None):
    from engine import check_document, load_rules
    from engine.base.loader import Document

    book = book or load_rules()
    return check_document(Document("p.json", data, json.dumps(data), "json"), book)


@pytest.mark.parametrize("reports, warned", [(7, False), (8, True)])
def test_reports_far_above_an_early_level_at_the_policy_boundary(reports, warned):
    def lead(d):
        d["candidate"].update(current_level="associate-pm", target_level="mid-pm")
        d["evidence"] = [e for e in d["evidence"] if e["type"] != "mentoring"]
        d["evidence"].append({"id": "ev-pl", "type": "people_leadership", "date": "2026-01-05",
                              "activity": "managing", "reports": reports})
    p = _check(_noor(lead))
    assert any("far above associate-pm" in w.message for w in p.warnings) is warned


# -- the pack's own policy ------------------------------------------------------------------------
def _pack(tmp_path: Path, integrity: dict | None) -> Path:
    import shutil

    d = tmp_path / "rules"
    shutil.copytree(ROOT / "examples" / "kestrel" / "rules", d)
    lad = yaml.safe_load((d / "ladder.yaml").read_text(encoding="utf-8"))
    lad.pop("integrity", None)
    if integrity is not None:
        lad["integrity"] = integrity
    (d / "ladder.yaml").write_text(yaml.safe_dump(lad, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return d


def _kestrel_lead(reports: int) -> dict:
    return {"schema_version": 1, "candidate": {"id": "emp-31", "current_level": "product-l1"},
            "period": {"start": "2025-07-01", "end": "2026-06-30"},
            "evidence": [{"id": "ev-1", "type": "people_leadership", "date": "2026-01-05", "activity": "managing",
                          "reports": reports}]}


def test_a_pack_without_the_block_gets_plausibility_by_its_own_level_order(tmp_path):
    """examples/kestrel names no bundled level: its two lowest orders are the early levels."""
    from engine.book.rules import load_rules

    book = load_rules(_pack(tmp_path, None))
    assert [lv for lv, _, _ in book.integrity.levels] == ["product-l1", "product-l2"]
    assert [w.path for w in _check(_kestrel_lead(8), book).warnings] == ["/evidence/0"]
    assert _check(_kestrel_lead(7), book).warnings == []


def test_a_pack_sets_its_own_policy(tmp_path):
    from engine.book.rules import load_rules

    rat = {"basis": "policy", "rationale": "our leads start with small teams"}
    book = load_rules(_pack(tmp_path, {"plausibility": {**rat, "levels": {"product-l1": {"max_reports": 9}}},
                                       "materiality": {**rat, "relative": 0.05, "from_zero": 10}}))
    assert _check(_kestrel_lead(9), book).warnings == []
    assert [w.path for w in _check(_kestrel_lead(10), book).warnings] == ["/evidence/0"]
    assert (book.integrity.relative, book.integrity.from_zero) == (0.05, 10)


def test_a_pack_policy_naming_what_the_pack_has_not_is_a_located_error(tmp_path, run_cli):
    rat = {"basis": "policy", "rationale": "a rationale here"}
    d = _pack(tmp_path, {"plausibility": {**rat, "levels": {"product-l9": {"max_reports": 3}},
                                          "no_reports_tracks": ["icc"]},
                         "does_not_recur": {**rat, "types": ["shipped_outcomes"]}})
    err = run_cli("rules", "lint", "--rules", d, exit_code=4).stderr
    assert "ladder.yaml:" in err and "/integrity/plausibility/levels/product-l9: unknown level 'product-l9'" in err
    assert "/integrity/plausibility/no_reports_tracks/0: unknown track 'icc'" in err
    assert "/integrity/does_not_recur/types/0: unknown evidence type 'shipped_outcomes'; did you mean " \
           "'shipped_outcome'?" in err


def test_a_policy_part_must_say_it_is_policy_and_why(tmp_path, run_cli):
    d = _pack(tmp_path, {"materiality": {"relative": 0.02, "from_zero": 1}})
    err = run_cli("rules", "lint", "--rules", d, exit_code=4).stderr
    assert "/integrity/materiality" in err and "basis" in err


def test_ladder_init_writes_the_policy_and_it_loads(tmp_path, run_cli):
    from engine.book.rules import load_rules

    run_cli("init", tmp_path / "pack")
    lad = yaml.safe_load((tmp_path / "pack" / "rules" / "ladder.yaml").read_text(encoding="utf-8"))
    assert set(lad["integrity"]) == {"materiality", "restatement", "plausibility", "who_may_verify",
                                     "higher_is_better", "does_not_recur"}
    assert all(part["basis"] == "policy" and part["rationale"] for part in lad["integrity"].values())
    assert load_rules(tmp_path / "pack" / "rules").integrity.by_level == {"pm-1": (7, "cross-team")}


def test_the_bundled_policy_is_the_documented_default():
    """rules/ladder.yaml spells out the defaults a pack without the block gets (but the
    individual-contributor track, which only the pack can name)."""
    from engine.book.integrity import default_policy
    from engine.book.rules import load_rules

    book = load_rules()
    default = default_policy({lv.id: lv.order for lv in book.levels.values()})
    assert book.integrity == default.__class__(**{**default.__dict__, "no_reports_tracks": frozenset({"ic"})})


# -- across packets --------------------------------------------------------------------------------
def test_the_same_outcome_claimed_by_two_candidates_is_flagged_on_both_and_counted(tmp_path, run_cli):
    """Two candidates in one batch with identical evidence: both lines say which of their records
    another candidate claims too (by a short hash, never the title), and the summary counts it.
    A third candidate with other launches is not flagged, nor is one candidate in two inputs."""
    src = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    twin = copy.deepcopy(data)
    twin["candidate"].update(id="emp-7301", name="Ottavia Penhallow")
    (tmp_path / "twin.yaml").write_text(yaml.safe_dump(twin, sort_keys=False), encoding="utf-8")
    other = FIXTURES / "amara-stonebridge-senior-to-director-not-ready.yaml"
    out = tmp_path / "out.jsonl"
    r = run_cli("batch", src, other, tmp_path / "twin.yaml", src, "--out", out, *TODAY)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    launches = sorted(e["id"] for e in data["evidence"] if e["type"] in ("shipped_outcome", "decision",
                                                                           "org_initiative") and e.get("title"))
    for line, who in ((lines[0], "emp-7301"), (lines[2], "emp-0988"), (lines[3], "emp-7301")):
        flags = line["shared_outcomes"]
        assert sorted(f["evidence"] for f in flags) == launches
        assert all(f["also_claimed_by"] == [who] and len(f["outcome"]) == 12 for f in flags)
    assert "shared_outcomes" not in lines[1]
    assert list(lines[0])[:4] == ["source", "also_in", "shared_outcomes", "candidate"]
    titles = [e["title"] for e in data["evidence"] if e.get("title")]
    assert not any(t in out.read_text(encoding="utf-8") for t in titles)  # no free text leaks
    assert f"{len(launches)} outcome(s) claimed by more than one candidate" in r.stderr
    assert "emp-0988, emp-7301" in r.stderr
    # the lines are the same bytes when the summary CSV is written too (each line parsed again)
    flagged = out.read_bytes()
    run_cli("batch", src, other, tmp_path / "twin.yaml", src, "--out", out, "--summary", tmp_path / "s.csv", *TODAY)
    assert out.read_bytes() == flagged
    # one candidate alone, in two inputs: also_in, never a shared outcome
    run_cli("batch", src, src, "--out", out, *TODAY)
    assert all("shared_outcomes" not in json.loads(x) for x in out.read_text(encoding="utf-8").splitlines())


def test_shared_outcome_flags_do_not_depend_on_the_order_of_the_inputs():
    """A candidate who entered one launch twice, and another who claims it too: each of the first
    candidate's records is flagged whichever packet the batch reads first (before, the repeat was
    flagged only when the other claimant came first)."""
    import itertools

    from engine.book.outcomes import SharedOutcomes

    packets = [("emp-a", [("ev-1", "fp-launch"), ("ev-2", "fp-launch"), ("ev-3", "fp-other")]),
               ("emp-b", [("ev-9", "fp-launch")]),
               ("emp-c", [("ev-4", "fp-other"), ("ev-5", "fp-solo")])]
    seen = set()
    for order in itertools.permutations(packets):
        so = SharedOutcomes()
        for cid, claims in order:
            so.add(cid, claims)
        flags = so.flags()
        seen.add(tuple((cid, tuple(sorted((f["evidence"], f["outcome"]) for f in flags.get(cid) or [])))
                       for cid in ("emp-a", "emp-b", "emp-c")))
    assert len(seen) == 1
    (got,) = seen
    assert got == (("emp-a", (("ev-1", "fp-launch"), ("ev-2", "fp-launch"), ("ev-3", "fp-other"))),
                   ("emp-b", (("ev-9", "fp-launch"),)), ("emp-c", (("ev-4", "fp-other"),)))
