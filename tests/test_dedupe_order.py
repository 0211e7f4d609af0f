"""Each candidate counted once, whatever the order (issue 31, point 4): the report and compare
over results files whose lines are shuffled and repeated give the figures of the file without
repeats (calibrate's own property is in tests/test_calibrate_reference.py). A repeated line counts
at its first appearance; the order of lines never changes a figure."""
from __future__ import annotations

import csv
import io
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    from click.testing import CliRunner

    from cli import main

    d = tmp_path_factory.mktemp("dedupe")
    out = d / "r.jsonl"
    r = CliRunner().invoke(main, ["batch", *map(str, sorted(FIXTURES.glob("*.yaml"))), "--out", str(out), "--quiet",
                                  "--no-plan"])
    assert r.exit_code in (0, 3), r.output
    got = [x for x in out.read_text(encoding="utf-8").splitlines() if '"verdict"' in x]
    ids = [json.loads(x)["candidate"]["id"] for x in got]
    return [x for i, x in enumerate(got) if ids.index(ids[i]) == i]  # one line per candidate


def _groups(run_cli, tmp, name: str, body: list[str]) -> dict:
    res = tmp / f"{name}.jsonl"
    res.write_text("\n".join(body) + "\n", encoding="utf-8")
    run_cli("report", res, "--out", tmp / f"{name}.html", "--groups-csv", tmp / f"{name}.csv", exit_code=None)
    rows = csv.DictReader(io.StringIO((tmp / f"{name}.csv").read_text(encoding="utf-8")))
    return {(r["dimension"], r["group"]): (r["candidates"], r["ready"]) for r in rows}


@settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), repeats=st.integers(0, 6))
def test_report_and_compare_count_each_candidate_once_whatever_the_order(lines, run_cli, tmp_path_factory, seed,
                                                                         repeats):
    tmp = tmp_path_factory.mktemp("p")
    rnd = random.Random(seed)
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    # a repeat comes after the line it repeats: the first appearance is the one counted
    body = shuffled + [rnd.choice(shuffled) for _ in range(repeats)]
    assert _groups(run_cli, tmp, "b", body) == _groups(run_cli, tmp, "a", lines)
    a, b = tmp / "a.jsonl", tmp / "b.jsonl"
    out = json.loads(run_cli("compare", a, b, "--format", "json", exit_code=None).stdout)
    moved = [c["movement"] for c in out["candidates"]]
    assert len(moved) == len(lines) and set(moved) == {"stayed"}
