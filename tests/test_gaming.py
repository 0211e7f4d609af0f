"""The gaming corpus (tests/gaming/): packets a committee member wrote to reach `ready` with claims
nobody checks, one per way issue 11 found. Each must get the verdict, error or warning that
tests/gaming/manifest.yaml names, and a plan offered to a gamed packet must itself be honest:
appended as it is, it gives a valid packet that is ready and raises no new warning."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, real_record

HERE = ROOT / "tests" / "gaming"
CASES = yaml.safe_load((HERE / "manifest.yaml").read_text(encoding="utf-8"))
TODAY = ["--today", "2026-11-30"]


def test_every_packet_has_a_case_and_every_case_a_packet():
    assert sorted(c["packet"] for c in CASES) == sorted(p.name for p in (HERE / "packets").glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c["packet"].removesuffix(".yaml") for c in CASES])
def test_a_gamed_packet_gets_what_the_manifest_says(case, run_cli, tmp_path):
    packet = HERE / "packets" / case["packet"]
    args = case.get("args", [])
    r = run_cli("evaluate", packet, "--format", "json", *TODAY, *args, exit_code=case.get("exit", 0))
    if case.get("exit") == 3:
        for want in case["errors"]:
            assert any(f": {want['path']}: " in line and want["says"] in line for line in r.stderr.splitlines()), \
                (want, r.stderr)
        return
    v = json.loads(r.stdout)
    assert v["verdict"] == case["verdict"]
    assert set(case.get("unmet", [])) <= set(v["unmet"])
    by_id = {c["id"]: c for c in v["criteria"]}
    for cid, words in case.get("reason", {}).items():
        assert words in by_id[cid]["reason"], by_id[cid]["reason"]
    for cid, words in case.get("reason_not", {}).items():
        assert words not in by_id[cid]["reason"], by_id[cid]["reason"]
    for cid, words in case.get("misses", {}).items():
        assert any(words in f for m in by_id[cid].get("nearest_misses", []) for f in m["failed"]), by_id[cid]
    for want in case.get("warnings", []):
        assert any(w["path"] == want["path"] and want["says"] in w["message"] for w in v["warnings"]), \
            (want, v["warnings"])
    if v["verdict"] != "ready":
        _the_plan_is_honest(v, packet, args, run_cli, tmp_path)


def _the_plan_is_honest(v: dict, packet: Path, args: list, run_cli, tmp_path: Path) -> None:
    assert v["plan"], v.get("plan_note")
    data = yaml.safe_load(packet.read_text(encoding="utf-8"))
    assert all(r["planned"] is True for r in v["plan"])  # advice: a packet holding it is refused (test_people)
    data["evidence"] += [real_record(r) for r in v["plan"]]
    planned = tmp_path / packet.name
    planned.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=False), encoding="utf-8")
    again = json.loads(run_cli("evaluate", planned, "--format", "json", *TODAY, *args).stdout)
    assert again["verdict"] == "ready"
    said = lambda ws: [(w["path"], w["message"]) for w in ws]  # noqa: E731 - lines move when re-dumped
    assert said(again["warnings"]) == said(v["warnings"])  # the plan raises nothing new, hides nothing
