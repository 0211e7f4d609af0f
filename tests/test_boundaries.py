"""Verdicts exactly on a rule's numbers: `within_days`, `min_count` and `min_supporting`.

Each test takes a ready fixture and a copy of the bundled rules whose number is set to exactly
what the fixture has (met, ready) and then one past it (unmet, not ready), so an off-by-one in
the compiler, the engine's thresholds or the explanation shows. The fixture: Linnea
Quillfeather, associate PM ready for mid-pm as of 2025-12-31; mid-pm.ships-reliably cites
ev-01 (2024-11-19, 407 days old), ev-02 and ev-08; five supporting criteria are met.
"""
from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import FIXTURES, ROOT

FIXTURE = FIXTURES / "linnea-quillfeather-apm-to-mid-ready.yaml"
OLDEST_DAYS = 407  # ev-01's age on the as-of date


def _rules(tmp_path, edit) -> str:
    """A copy of the bundled rules with mid-pm.yaml edited (as data, then written back)."""
    d = tmp_path / "pack"
    shutil.copytree(ROOT / "rules", d / "rules")
    shutil.copytree(ROOT / "schemas", d / "schemas")
    f = d / "rules" / "mid-pm.yaml"
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    edit(data)
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(d / "rules")


def _ships(data: dict) -> dict:
    return next(c for c in data["criteria"] if c["id"] == "mid-pm.ships-reliably")["condition"]


def _evaluate(run_cli, rules: str, packet=FIXTURE) -> dict:
    return json.loads(run_cli("evaluate", packet, "--rules", rules, "--format", "json", "--no-plan").stdout)


def _criterion(v: dict, cid: str) -> dict:
    return next(c for c in v["criteria"] if c["id"] == cid)


def test_the_age_check_fixture_is_what_the_docstring_says(run_cli):
    v = json.loads(run_cli("evaluate", FIXTURE, "--format", "json", "--no-plan").stdout)
    assert v["as_of"] == "2025-12-31" and v["verdict"] == "ready"
    assert _criterion(v, "mid-pm.ships-reliably")["evidence"] == ["ev-01", "ev-02", "ev-08"]
    assert next(lv for lv in v["levels"] if lv["id"] == "mid-pm")["supporting_met"] == 5  # (associate-pm is included)


@pytest.mark.parametrize("days, met", [(OLDEST_DAYS, True), (OLDEST_DAYS - 1, False)])
def test_within_days_counts_a_record_exactly_that_old(days, met, run_cli, tmp_path):
    def edit(d):
        _ships(d).update(within_days=days, min_count=3)
        d["criteria"][0].pop("basis", None), d["criteria"][0].pop("basis_note", None)

    c = _criterion(_evaluate(run_cli, _rules(tmp_path, edit)), "mid-pm.ships-reliably")
    if met:
        assert c["status"] == "met" and "ev-01" in c["evidence"]
    else:
        assert c["status"] == "unmet"
        (miss,) = [m for m in c["nearest_misses"] if m["evidence"] == "ev-01"]
        assert miss["failed"] == [f"dated {OLDEST_DAYS} days before the as-of date; needs within {days}"]


def test_a_miss_on_the_window_boundary_is_not_blamed_on_its_age(run_cli, tmp_path):
    """ev-01 is exactly `within_days` old but was late: the miss names lateness, never age."""
    def edit(d):
        _ships(d).update(within_days=OLDEST_DAYS, min_count=3)
        d["criteria"][0].pop("basis", None), d["criteria"][0].pop("basis_note", None)

    packet = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    next(e for e in packet["evidence"] if e["id"] == "ev-01")["on_time"] = False
    late = tmp_path / "late.yaml"
    late.write_text(yaml.safe_dump(packet, sort_keys=False), encoding="utf-8")
    c = _criterion(_evaluate(run_cli, _rules(tmp_path, edit), late), "mid-pm.ships-reliably")
    assert c["status"] == "unmet"
    (miss,) = [m for m in c["nearest_misses"] if m["evidence"] == "ev-01"]
    assert miss["failed"] == ["on_time is false; needs true"]


@pytest.mark.parametrize("count, met", [(3, True), (4, False)])
def test_min_count_is_met_by_exactly_that_many(count, met, run_cli, tmp_path):
    def edit(d):
        _ships(d)["min_count"] = count
        d["criteria"][0]["basis_note"] = f"{count} launches: boundary test"

    c = _criterion(_evaluate(run_cli, _rules(tmp_path, edit)), "mid-pm.ships-reliably")
    assert c["status"] == ("met" if met else "unmet")
    if not met:
        assert c["reason"].endswith("found 3 (ev-01, ev-02, ev-08); still needs 1 more record")


@pytest.mark.parametrize("drop, needed, verdict", [(None, 5, "ready"), ("ev-05", 5, "not_ready"),
                                                   ("ev-05", 4, "ready")])
def test_min_supporting_is_met_by_exactly_that_many(drop, needed, verdict, run_cli, tmp_path):
    """Five supporting criteria met of five needed: ready. With ev-05 (the only record of
    mid-pm.technical-curiosity) about the domain instead, four are met: not ready for five, ready
    for four. (It stays a record of learning the product, so the included associate-pm criterion
    learns-the-product stays met.)"""
    def edit(d):
        d["policy"]["min_supporting"] = needed
        d["policy"]["basis_note"] = f"{needed} supporting criteria: boundary test"

    packet = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    for e in packet["evidence"]:
        if e["id"] == drop:
            e["area"] = "domain"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(packet, sort_keys=False), encoding="utf-8")
    v = _evaluate(run_cli, _rules(tmp_path, edit), path)
    lv = next(lv for lv in v["levels"] if lv["id"] == "mid-pm")  # the promotion's level (associate-pm is included)
    assert (lv["supporting_met"], lv["supporting_needed"], v["verdict"]) == (5 if drop is None else 4, needed, verdict)
    if verdict == "not_ready":
        assert v["supporting_gaps"][0]["more"] == 1
        assert v["supporting_gaps"][0]["closest"][0] == "mid-pm.technical-curiosity"
        # every required criterion is met: the headline names only the supporting shortfall
        assert v["headline"] == "not ready for mid-pm: mid-pm needs 1 more supporting criterion (4 of 5 met)"
