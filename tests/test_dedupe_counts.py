"""One deduplicated set for every count (issue 28, point 4): a record entered twice (engine.book.integrity
repeat groups) is one record for the verdict, for each level's figures (the recent records the
insufficiency message quotes, required and supporting met) and for every aggregate the engine
decides on (count, distinct values, mean, people). Before, the level's recent-record figure
counted the copies: "6 record(s) ...; at least 5 needed" beside an insufficient verdict."""
from __future__ import annotations

import copy
import json

import pytest
import yaml

from conftest import FIXTURES

PACKETS = [p for p in sorted(FIXTURES.glob("*.yaml"))
           if (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("evidence")]  # a record to copy


def _figures(v: dict) -> tuple:
    return (v["verdict"], v["headline"],
            [(lv["id"], lv["verdict"], lv["required_met"], lv["supporting_met"], lv["recent_records"])
             for lv in v["levels"]],
            [(c["id"], c["status"]) for c in v["criteria"]])


@pytest.mark.parametrize("packet", PACKETS, ids=[p.stem for p in PACKETS])
def test_copies_of_a_record_change_no_figure_of_the_verdict(packet, run_cli, tmp_path):
    d = yaml.safe_load(packet.read_text(encoding="utf-8"))
    base = json.loads(run_cli("evaluate", packet, "--format", "json", "--no-plan", exit_code=None).stdout)
    for pick in {0, len(d["evidence"]) - 1}:
        dup = copy.deepcopy(d)
        for k in range(3):
            again = copy.deepcopy(d["evidence"][pick])
            again["id"] = f"ev-copy-{k}"
            dup["evidence"].append(again)
        p = tmp_path / f"dup{pick}.yaml"
        p.write_text(yaml.safe_dump(dup, sort_keys=False, allow_unicode=True, default_flow_style=False),
                     encoding="utf-8")
        got = json.loads(run_cli("evaluate", p, "--format", "json", "--no-plan", exit_code=None).stdout)
        assert _figures(got) == _figures(base), pick
        assert any("repeats" in w["message"] for w in got["warnings"])  # the copies are named for the committee
