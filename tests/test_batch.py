"""`ladder batch`: every packet accounted for, in input order, written safely, memory flat."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.committee import batch as batch_mod
from engine.base import workers as workers_mod
from engine.committee.batch import BatchOptions, Outcome, run_batch
from engine.outputs.derived import SUMMARY_HEADER

from conftest import FIXTURES, ROOT, bench_generator

PACKETS = sorted(FIXTURES.glob("*.yaml"))
LADDER = [sys.executable, "-c", "import cli; cli.main()"]


def _jsonl(tmp_path: Path, n: int, name: str = "many.jsonl") -> Path:
    """n packets built from the fixtures, each with its own candidate id."""
    from engine.base.loader import load_file

    base = [load_file(p).data for p in PACKETS]
    out = tmp_path / name
    with out.open("w") as fh:
        for i in range(n):
            d = json.loads(json.dumps(base[i % len(base)]))
            d["candidate"]["id"] = f"gen-{i:06d}"
            fh.write(json.dumps(d) + "\n")
    return out


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_line_per_packet_in_input_order_whatever_the_jobs(tmp_path, run_cli):
    """Committees join results back to inputs by position: order and count never depend on --jobs."""
    src = _jsonl(tmp_path, 150)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_cli("batch", src, "--out", one, "--jobs", "1", "--quiet")
    run_cli("batch", src, "--out", two, "--jobs", "2", "--quiet")
    assert one.read_bytes() == two.read_bytes()
    ids = [d["candidate"]["id"] for d in _lines(two)]
    assert ids == [f"gen-{i:06d}" for i in range(150)]


def test_batch_lines_equal_single_evaluations(tmp_path, run_cli):
    """A batch line is exactly what `ladder evaluate --format json` prints for that packet, led by
    the `source` it was read from."""
    out = tmp_path / "out.jsonl"
    run_cli("batch", *PACKETS, "--out", out, "--jobs", "2", "--quiet")
    lines = out.read_text().splitlines()
    assert len(lines) == len(PACKETS)
    for packet, line in zip(PACKETS, lines):
        single = run_cli("evaluate", packet, "--format", "json").stdout.strip()
        verdict, options = line.rsplit(',"options":', 1)  # last: what the line was made with (reverify)
        assert verdict + "}" == '{"source":' + json.dumps(str(packet)) + "," + single[1:]
        assert set(json.loads(options[:-1])) == {"target", "track", "paths", "plan", "redact", "today", "people",
                                                 "cycles"}


def test_invalid_packets_get_error_lines_and_exit_3(tmp_path, run_cli):
    """Bad input is a result, not a stop: every input gets a line, valid ones are still evaluated."""
    good = PACKETS[0]
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("schema_version: 1\ncandidate: {id: c-1, current_level: senoir-pm}\n"
                        "period: {start: 2025-01-01, end: 2025-12-31}\nevidence: []\n")
    jsonl = tmp_path / "mixed.jsonl"
    valid = json.dumps(json.loads(_jsonl(tmp_path, 1, "one.jsonl").read_text()))
    jsonl.write_text(valid + "\n" + "{not json\n" + "\n" + valid.replace("gen-000000", "gen-000001")
                     + "\n" + '{"schema_version": 1, "candidate": {"id": "half')  # half-written last line
    missing = tmp_path / "vanished.yaml"
    out = tmp_path / "out.jsonl"
    r = run_cli("batch", good, bad_yaml, jsonl, missing, "--out", out, "--jobs", "2", "--quiet", exit_code=3)
    lines = _lines(out)
    assert len(lines) == 7  # 1 + 1 + 4 packets in the JSONL (the blank line is not a packet) + 1 missing
    assert "verdict" in lines[0]
    assert lines[1]["source"] == str(bad_yaml) and lines[1]["candidate"] == {"id": "c-1"}
    assert lines[1]["error"]["problems"][0]["path"] == "/candidate/current_level"
    assert "verdict" in lines[2]
    assert lines[3]["source"] == f"{jsonl}:2" and lines[3]["error"]["kind"] == "parse"
    assert lines[4]["candidate"]["id"] == "gen-000001"
    assert lines[5]["source"] == f"{jsonl}:5" and lines[5]["candidate"] is None
    assert lines[6]["source"] == str(missing) and lines[6]["error"]["kind"] == "io"
    assert "could not be evaluated" in r.stderr


def test_stdin_and_stdout(tmp_path, run_cli):
    """`-` reads JSONL from stdin; `--out -` writes to stdout (for pipelines)."""
    src = _jsonl(tmp_path, 5)
    r = run_cli("batch", "-", "--out", "-", "--jobs", "1", "--quiet", input=src.read_bytes())
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [d["candidate"]["id"] for d in lines] == [f"gen-{i:06d}" for i in range(5)]


def test_summary_and_csv(tmp_path, run_cli):
    """The end-of-run summary and the CSV answer a committee's first questions."""
    out, csv_path = tmp_path / "out.jsonl", tmp_path / "summary.csv"
    r = run_cli("batch", *PACKETS, "--out", out, "--summary", csv_path, "--quiet")
    rows = csv_path.read_text().splitlines()
    assert rows[0] == ("candidate_id,name,source,org,manager,cycle,track,current_level,target_level,as_of,verdict,"
                       "required_met,required_total,supporting_met,supporting_needed,supporting_short,required_gaps,"
                       "supporting_gaps,warnings,also_in,invalid_reason,rules_version,numbers_basis,plan_records,warning_text,paths_fit")
    assert len(rows) == len(PACKETS) + 1
    verdicts = [d["verdict"] for d in _lines(out)]
    for v in ("ready", "not_ready", "insufficient_evidence"):
        assert f"{verdicts.count(v)} {v}" in r.stderr
    assert "most often unmet:" in r.stderr and "by target level:" in r.stderr


def test_a_worker_crash_loses_no_packet(tmp_path, monkeypatch):
    """The engine's C core can segfault; a dead worker must not take packets with it."""
    src = _jsonl(tmp_path, 80)
    real = batch_mod.process_item

    def crashing(item):
        if item.source.endswith(":7"):
            os._exit(139)  # what a segfault looks like to the pool
        return real(item)

    monkeypatch.setattr(batch_mod, "process_item", crashing)  # forked workers inherit the patch
    got: list[Outcome] = []
    run_batch([str(src)], BatchOptions(jobs=2), got.append)
    assert len(got) == 80
    assert [o.source for o in got] == [f"{src}:{i}" for i in range(1, 81)]
    crashed = [o for o in got if not o.ok]
    assert [o.source for o in crashed] == [f"{src}:7"]
    assert json.loads(crashed[0].line)["error"]["kind"] == "crash"


def _interrupted_batch(tmp_path, jobs: int, stop) -> tuple[subprocess.Popen, bytes, Path]:
    """A 20,000-packet batch, stopped by `stop(proc)` after 2.5 s; skips if it finished first."""
    src = _jsonl(tmp_path, 20000)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([*LADDER, "batch", str(src), "--out", str(out), "--jobs", str(jobs), "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)
    stop(proc)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.fail("the batch finished before the signal arrived (make the input larger)")
    return proc, err, out


def test_ctrl_c_leaves_no_partial_output(tmp_path):
    """An interrupted run never leaves a half-written results file, and says how far it got."""
    proc, err, out = _interrupted_batch(tmp_path, 2, lambda p: p.send_signal(signal.SIGINT))
    assert proc.returncode == 130, err
    assert b"interrupted after" in err and b"no output file was written" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl")]


def test_sigterm_also_cleans_up(tmp_path):
    """A kill (SIGTERM) is handled like Ctrl-C: no partial results file."""
    _, _, out = _interrupted_batch(tmp_path, 1, lambda p: p.terminate())
    # Either nothing was written, or (signal after the rename) the complete file.
    assert not out.exists() or len(out.read_text().splitlines()) == 20000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl")]


def _peak_rss_mb(args: list[str]) -> float:
    """Peak RSS of a batch run and all its workers, measured in a fresh intermediate process."""
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    kb, rc = out.stdout.split()
    assert rc == "0", out.stderr
    return int(kb) / 1024


@pytest.mark.slow
def test_memory_does_not_grow_with_batch_size(tmp_path):
    """Inputs and outputs stream: 6,000 packets need no more memory than 600."""
    small, big = _jsonl(tmp_path, 600, "small.jsonl"), _jsonl(tmp_path, 6000, "big.jsonl")
    a = _peak_rss_mb([*LADDER, "batch", str(small), "--out", str(tmp_path / "a.jsonl"), "--jobs", "1", "--quiet"])
    b = _peak_rss_mb([*LADDER, "batch", str(big), "--out", str(tmp_path / "b.jsonl"), "--jobs", "1", "--quiet"])
    assert b < a + 15, f"peak RSS grew from {a:.0f} MB to {b:.0f} MB"
    assert len((tmp_path / "b.jsonl").read_text().splitlines()) == 6000


def test_progress_bar_shows_done_total_rate_and_eta():
    """On a terminal the bar says how far, how fast and how long; off a terminal it says nothing."""
    import io

    from engine.committee.batch import Progress

    stream = io.StringIO()
    bar = Progress(True, 3, stream)
    for _ in range(3):
        bar.tick()
    bar.finish()
    text = stream.getvalue()
    assert "3/3" in text and "/s" in text and "ETA" in text
    quiet = io.StringIO()
    silent = Progress(False, 3, quiet)
    silent.tick()
    silent.finish()
    assert quiet.getvalue() == ""


def test_progress_is_off_when_stderr_is_not_a_terminal(tmp_path, run_cli):
    """Logs and CI capture stderr: no carriage-return bar there, only the summary."""
    out = tmp_path / "out.jsonl"
    r = run_cli("batch", *PACKETS[:3], "--out", out)
    assert "\r" not in r.stderr and "ETA" not in r.stderr
    assert r.stderr.startswith("3 packet(s):")


def test_parallel_validate_reports_exactly_what_sequential_does(tmp_path, run_cli):
    """Large inputs are validated by worker processes; the report must not change by a byte."""
    gen = bench_generator()
    src = tmp_path / "mixed.jsonl"
    with src.open("w") as fh:
        for line, _kind in gen.generate(1000, "validate-parallel", invalid_rate=0.15):
            fh.write(line + "\n")
    assert src.stat().st_size > 4 * 1024 * 1024  # above the threshold where workers are used
    for fmt, total in (("text", "of 1000 packet(s) valid"), ("json", '"packets":1000')):
        one = run_cli("validate", src, "--jobs", "1", "--format", fmt, exit_code=3).stdout
        two = run_cli("validate", src, "--jobs", "2", "--format", fmt, exit_code=3).stdout
        assert one == two
        assert total in one


def test_the_summary_counts_integrity_warnings(tmp_path, run_cli):
    """A committee reading the summary learns that some verdicts carry warnings to look at."""
    import yaml as _yaml

    fx = FIXTURES / "amara-stonebridge-senior-to-director-not-ready.yaml"
    data = _yaml.safe_load(fx.read_text(encoding="utf-8"))
    twice = dict(data["evidence"][0], id="again")  # the same record again: a flagged repeat
    data["evidence"].append(twice)
    data["candidate"]["id"] += "-b"  # another candidate: the same id twice would count once
    warned = tmp_path / "warned.yaml"
    warned.write_text(_yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run_cli("batch", fx, warned, "--out", out, "--quiet")
    lines = _lines(out)
    n = len(lines[1]["warnings"])
    assert lines[0]["warnings"] == [] and n >= 1
    assert f"1 packet(s) carry {n} integrity warning(s)" in r.stderr


def test_each_csv_row_says_what_its_jsonl_line_says(tmp_path, run_cli):
    """The summary CSV is the same cycle as the JSONL, field by field and row by row (a swapped
    column or a row out of order is a wrong decision in a spreadsheet)."""
    import csv as _csv

    out, csv_path = tmp_path / "out.jsonl", tmp_path / "summary.csv"
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema_version: 1\ncandidate: {id: emp-9}\n", encoding="utf-8")
    run_cli("batch", *PACKETS, bad, "--out", out, "--summary", csv_path, "--quiet", exit_code=3)
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(_csv.DictReader(fh))
    lines = _lines(out)
    assert len(rows) == len(lines) == len(PACKETS) + 1
    for row, line, src in zip(rows, lines, [*map(str, PACKETS), str(bad)]):
        assert row["source"] == src == line["source"]
        if "error" in line:
            assert row["verdict"] == "invalid" and row["candidate_id"] == (line["candidate"] or {}).get("id", "")
            first = line["error"]["problems"][0]
            assert row["invalid_reason"].startswith(f"line {first['line']}: {first['path']}: {first['message']}".replace(
                ": : ", ": "))
            assert row["required_met"] == row["track"] == row["rules_version"] == ""
            continue
        assert row["invalid_reason"] == "" and row["candidate_id"] == line["candidate"]["id"]
        assert row["name"] == line["candidate"]["name"]
        for k in ("track", "current_level", "target_level", "as_of", "verdict", "rules_version"):
            assert row[k] == line[k], k
        assert (row["required_gaps"].split(";") if row["required_gaps"] else []) == line["gaps"]
        req = [c for c in line["criteria"] if c["required"]]
        assert int(row["required_met"]) == sum(c["status"] == "met" for c in req)
        assert int(row["required_total"]) == len(req)
        assert int(row["supporting_needed"]) == sum(lv["supporting_needed"] for lv in line["levels"])
        sup = [c for c in line["criteria"] if not c["required"]]
        assert int(row["supporting_met"]) == sum(c["status"] == "met" for c in sup)  # as text and JSON count them
        assert int(row["supporting_met"]) == sum(lv["supporting_met"] for lv in line["levels"])
        short = sum(max(lv["supporting_needed"] - lv["supporting_met"], 0) for lv in line["levels"])
        assert int(row["supporting_short"]) == short  # (no aspects in the bundled ladder)
        assert row["manager"] == (line["candidate"].get("manager") or "")
        assert row["plan_records"] == ("" if "plan" not in line else str(len(line["plan"] or [])) if line["plan"]
                                       is not None else "none found")
        assert row["supporting_gaps"].split(";") if short else row["supporting_gaps"] == ""
        assert int(row["warnings"]) == len(line["warnings"])
        assert row["warning_text"].count(" | ") == max(len(line["warnings"]) - 1, 0)
        if line["verdict"] == "ready":  # a ready row shows nothing open (issue 13: "ready ... unmet_count 5")
            assert row["required_gaps"] == row["supporting_gaps"] == "" and row["supporting_short"] == "0"


def test_the_summary_lists_the_most_often_unmet_first(tmp_path, run_cli):
    """'most often unmet' is a ranking: counts never rise down the list, ties by criterion id."""
    import re as _re

    out = tmp_path / "out.jsonl"
    r = run_cli("batch", *PACKETS, "--out", out, "--quiet")
    ranked = _re.findall(r"^ +(\d+)  (\S+)$", r.stderr, _re.M)
    assert len(ranked) >= 5
    counts = [(-int(n), cid) for n, cid in ranked]
    assert counts == sorted(counts)
    from collections import Counter as _Counter

    truth = _Counter(cid for line in _lines(out) for cid in line["unmet"])
    assert [cid for _, cid in counts] == [c for c, _ in sorted(truth.items(), key=lambda kv: (-kv[1], kv[0]))][:10]


def test_a_slow_first_packet_does_not_let_later_ones_overtake_it(tmp_path, monkeypatch):
    """Force the race: the first chunk's packets are slow, so with two workers the second chunk
    finishes first every time. Output is still in input order (an "emit as completed" bug fails
    this on every run, not one run in three)."""
    src = _jsonl(tmp_path, 80)
    real = batch_mod.process_item

    def slow_first(item):
        line = int(item.source.rsplit(":", 1)[1])
        if line <= workers_mod.CHUNK:
            time.sleep(0.03)
        return real(item)

    monkeypatch.setattr(batch_mod, "process_item", slow_first)  # forked workers inherit the patch
    got: list[Outcome] = []
    run_batch([str(src)], BatchOptions(jobs=2), got.append)
    assert [o.source for o in got] == [f"{src}:{i}" for i in range(1, 81)]
    assert all(o.ok for o in got)


def test_a_candidate_in_two_inputs_is_flagged_on_both_lines_and_counted_once(tmp_path, run_cli):
    """Two packets for one candidate id (last cycle's file left in the folder): each line names the
    other input, the CSV says so too, and the summary counts the candidate once and says why."""
    import csv as _csv

    fx = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    copy = tmp_path / "noor-again.yaml"
    copy.write_bytes(fx.read_bytes())
    other = FIXTURES / "amara-stonebridge-senior-to-director-not-ready.yaml"
    out, csv_path = tmp_path / "out.jsonl", tmp_path / "s.csv"
    r = run_cli("batch", fx, other, copy, "--out", out, "--summary", csv_path, "--quiet")
    lines = _lines(out)
    assert [d["source"] for d in lines] == [str(fx), str(other), str(copy)]
    assert lines[0]["also_in"] == [str(copy)] and lines[2]["also_in"] == [str(fx)]
    assert "also_in" not in lines[1]
    assert list(lines[0])[:3] == ["source", "also_in", "candidate"]
    assert r.stderr.startswith("3 packet(s): 1 ready, 1 not_ready, 0 insufficient_evidence, 0 could not be evaluated")
    assert f"emp-0988: {fx}, {copy}" in r.stderr
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(_csv.DictReader(fh))
    assert [row["also_in"] for row in rows] == [str(copy), "", str(fx)]
    # stdout streams each line as it is decided: the first cannot know the second, the second names
    # the first; the stderr summary names both inputs
    r = run_cli("batch", fx, copy, "--out", "-")
    std = r.stdout.splitlines()
    assert ["also_in" in json.loads(x) for x in std] == [False, True] and json.loads(std[1])["also_in"] == [str(fx)]
    assert f"emp-0988: {fx}, {copy}" in r.stderr and "flagged on each later line, as streamed" in r.stderr
    # the streamed lines are the file's, but for the first line's flag
    run_cli("batch", fx, copy, "--out", tmp_path / "o2.jsonl", "--quiet")
    filed = [json.loads(x) for x in (tmp_path / "o2.jsonl").read_text().splitlines()]
    filed[0].pop("also_in")
    assert [json.loads(x) for x in std] == filed


def test_the_summary_lists_what_could_not_be_evaluated_and_why(tmp_path, run_cli):
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema_version: 1\ncandidate: {id: emp-9}\n", encoding="utf-8")
    r = run_cli("batch", PACKETS[0], bad, tmp_path / "missing.yaml", "--out", tmp_path / "o.jsonl", "--quiet",
                exit_code=3)
    assert "could not be evaluated:\n" in r.stderr
    assert f"  {bad}: line 1: missing required field 'evidence' (and 2 more)" in r.stderr
    assert f"  {tmp_path / 'missing.yaml'}: no such file" in r.stderr


def test_summary_cells_cannot_run_as_formulas(tmp_path, run_cli):
    """A file named `=SUM(1+1).yaml` must not put a formula into a spreadsheet."""
    evil = tmp_path / "=SUM(1+1).yaml"
    evil.write_bytes(PACKETS[0].read_bytes())
    out, s, c = tmp_path / "o.jsonl", tmp_path / "s.csv", tmp_path / "c.csv"
    import os as _os

    here = _os.getcwd()
    _os.chdir(tmp_path)
    try:
        run_cli("batch", evil.name, "--out", out, "--summary", s, "--criteria-csv", c, "--quiet")
    finally:
        _os.chdir(here)
    for f in (s, c):
        for line in f.read_text(encoding="utf-8").splitlines()[1:]:
            assert ",'=SUM(1+1).yaml," in line, line
            assert ",=" not in line and not line.startswith(("=", "+", "-", "@"))


def test_safe_cell_quotes_every_formula_lead():
    from engine.base.escape import csv_cell as safe_cell

    for lead in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(lead + "1") == "'" + lead + "1"
    assert safe_cell("emp-1") == "emp-1" and safe_cell(True) == "true" and safe_cell(None) == ""


def test_criteria_csv_is_the_long_form_of_the_verdicts(tmp_path, run_cli):
    import csv as _csv

    out, c = tmp_path / "o.jsonl", tmp_path / "c.csv"
    run_cli("batch", *PACKETS[:4], "--out", out, "--criteria-csv", c, "--quiet")
    with c.open(encoding="utf-8", newline="") as fh:
        rows = list(_csv.DictReader(fh))
    want = [(d["candidate"]["id"], cr["id"], cr["status"], str(cr["required"]).lower(), str(len(cr["evidence"])))
            for d in _lines(out) for cr in d["criteria"]]
    assert [(r["candidate_id"], r["criterion_id"], r["status"], r["required"], r["evidence_count"]) for r in rows] == want


def test_batch_reads_yaml_documents_on_stdin(run_cli):
    """`cat a.yaml b.yaml | ladder batch -`: one verdict per document, not an error per YAML line."""
    a, b = PACKETS[0].read_text(encoding="utf-8"), PACKETS[1].read_text(encoding="utf-8")
    r = run_cli("batch", "-", "--out", "-", "--quiet", input=(a + "\n---\n" + b).encode())
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 2 and all("verdict" in d for d in lines)
    assert lines[0]["source"] == "<stdin>:1" and lines[1]["source"].startswith("<stdin>:")


def test_a_packet_that_crashed_a_worker_once_is_retried_and_evaluated(tmp_path, monkeypatch):
    """A worker can die for reasons that are not the packet's (the OOM killer, a stray signal):
    a packet whose worker died once is run again on a fresh one and gets its verdict; only a
    packet that kills a worker twice is reported as a crash."""
    src = _jsonl(tmp_path, 40)
    marker = tmp_path / "crashed-once"
    real = batch_mod.process_item

    def crash_once(item):
        if item.source.endswith(":5") and not marker.exists():
            marker.write_text("x")
            os._exit(137)
        return real(item)

    monkeypatch.setattr(batch_mod, "process_item", crash_once)
    got: list[Outcome] = []
    run_batch([str(src)], BatchOptions(jobs=2), got.append)
    assert [o.source for o in got] == [f"{src}:{i}" for i in range(1, 41)]
    assert marker.exists() and all(o.ok for o in got)


def test_the_library_default_carries_plans(tmp_path):
    """BatchOptions() as a library caller makes it: not-ready verdicts carry their plan, as the
    CLI's default does."""
    got: list[Outcome] = []
    run_batch([str(FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml")], BatchOptions(), got.append)
    assert json.loads(got[0].line)["plan"]


def test_supporting_short_is_the_real_gap_not_the_sum_of_its_views():
    """An aspect's criteria count toward the level's overall number too: per level the gap is the
    larger of the two shortfalls, summed over levels (issue 27: 12 shown where the gap was 6)."""
    from engine.outputs.derived import supporting_short

    def g(level, more, aspect=None):
        return {"level": level, "more": more, **({"aspect": aspect} if aspect else {})}

    assert supporting_short([]) == 0
    assert supporting_short([g("a", 3)]) == 3
    assert supporting_short([g("a", 3), g("a", 1, "craft"), g("a", 1, "delivery")]) == 3  # overall covers both
    assert supporting_short([g("a", 1), g("a", 2, "craft"), g("a", 1, "delivery")]) == 3  # the aspects need more
    assert supporting_short([g("a", 2), g("a", 2, "craft")]) == 2  # equal: once
    assert supporting_short([g("a", 2, "craft")]) == 2  # overall already met
    assert supporting_short([g("a", 3), g("a", 1, "craft"), g("b", 2), g("b", 3, "x")]) == 6


def test_summary_and_criteria_csv_refuse_a_workbook_name(tmp_path, run_cli):
    """--summary and --criteria-csv write CSV: a workbook's name is a usage error before any work
    (exit 2), not CSV text that a spreadsheet program then fails to open."""
    for opt in ("--summary", "--criteria-csv"):
        for name in ("r.xlsx", "r.XLS", "r.ods"):
            r = run_cli("batch", *PACKETS[:1], "--out", tmp_path / "o.jsonl", opt, tmp_path / name, exit_code=2)
            assert f"{opt}: " in r.stderr and "writes CSV; name a .csv file" in r.stderr
            assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / name).exists()
    run_cli("batch", *PACKETS[:1], "--out", tmp_path / "o.jsonl", "--summary", tmp_path / "r.csv")


def test_gap_ids_are_listed_once(tmp_path, run_cli):
    """A criterion closest for a level and for one of its aspects appears once in supporting_gaps."""
    from engine.outputs.derived import summary_row

    d = {"candidate": {"id": "emp-1"}, "levels": [], "gaps": ["a.x", "a.x", "a.y"],
         "supporting_gaps": [{"level": "a", "more": 1, "closest": ["a.p", "a.q"]},
                             {"level": "a", "aspect": "craft", "more": 1, "closest": ["a.q", "a.r"]}]}
    row = dict(zip(SUMMARY_HEADER, summary_row(d)))
    assert row["required_gaps"] == "a.x;a.y" and row["supporting_gaps"] == "a.p;a.q;a.r"
    assert row["supporting_short"] == 1


def _ladder_cmd() -> list[str]:
    import sys

    return [sys.executable, "-c", "import cli; cli.run()"]


def test_out_dash_streams_the_first_verdict_before_the_last_packet_is_read(tmp_path):
    """A slow writer on stdin: the first verdict line is on stdout while the input is still open
    (it used to wait for the end of the whole run)."""
    import select
    import subprocess
    import time

    from conftest import ROOT

    lines = _jsonl(tmp_path, 3).read_text().splitlines()
    p = subprocess.Popen([*_ladder_cmd(), "batch", "-", "--out", "-", "--jobs", "1", "--quiet", "--no-plan"],
                         cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # one chunk of the worker pool is filled by one packet only when the input pauses: send
        # the first packet, keep stdin open, and wait for its verdict
        p.stdin.write((lines[0] + "\n").encode())
        p.stdin.flush()
        deadline = time.monotonic() + 60
        got = b""
        while not got.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 1)
            if ready:
                got += p.stdout.read1(65536)
        assert got.endswith(b"\n"), "no verdict line while the input was still open"
        assert json.loads(got.decode().splitlines()[0])["candidate"]["id"] == "gen-000000"
        assert p.poll() is None  # still reading its input
        p.stdin.write(("\n".join(lines[1:]) + "\n").encode())
        p.stdin.close()
        rest = p.stdout.read().decode().splitlines()
        assert [json.loads(x)["candidate"]["id"] for x in rest] == ["gen-000001", "gen-000002"]
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            if not f.closed:
                f.close()


def test_a_reader_that_goes_away_ends_a_long_streamed_run_promptly(tmp_path):
    """`ladder batch big.jsonl --out - | head -1`: once the reader is gone the run stops at its next
    line, long before the input is done, quietly (no traceback, no message)."""
    import subprocess
    import time

    from conftest import ROOT

    src = _jsonl(tmp_path, 3000)
    p = subprocess.Popen([*_ladder_cmd(), "batch", str(src), "--out", "-", "--jobs", "2", "--quiet"],
                         cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    assert json.loads(first)["candidate"]["id"] == "gen-000000"
    t = time.monotonic()
    p.stdout.close()  # the reader goes away
    try:
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    took = time.monotonic() - t
    err = p.stderr.read().decode()
    p.stderr.close()
    assert "Traceback" not in err and err == "", err
    assert took < 10, f"the run went on for {took:.1f} s after its reader left"  # 3,000 packets take far longer


def test_batch_paths_reach_the_summary_csv_and_the_report(run_cli, tmp_path):
    """With --paths, each row of the summary CSV gives every adjacent path's fit (as the verdict
    line orders them, strongest first) and the report shows them in each section and as a cohort
    table; without --paths the column is empty and the report says nothing of paths."""
    import csv as _csv

    for flag in (["--paths"], []):
        out, summ, page = tmp_path / f"r{len(flag)}.jsonl", tmp_path / f"s{len(flag)}.csv", tmp_path / f"p{len(flag)}.html"
        run_cli("batch", *sorted(FIXTURES.glob("*.yaml")), *flag, "--out", out, "--summary", summ, "--html", page,
                "--quiet", exit_code=None)
        lines = {d["candidate"]["id"]: d for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())
                 if "verdict" in d}
        rows = list(_csv.DictReader(summ.read_text(encoding="utf-8").splitlines()))
        html = page.read_text(encoding="utf-8")
        for row in rows:
            d = lines.get(row["candidate_id"])
            if d is None:
                continue
            want = "; ".join(f"{p['id']}={p['fit']}" for p in d["paths"]) if flag else ""
            assert row["paths_fit"] == want
        if flag:
            assert all(r["paths_fit"] for r in rows if r["verdict"] != "invalid")
            assert html.count('<p class="paths">Adjacent paths: ') == len(lines)
            strong = sum(p["fit"] == "strong" for d in lines.values() for p in d["paths"] if p["id"] == "product-marketing")
            assert f"<tr><th scope=\"row\"><code>product-marketing</code><td>{strong}<td>" in html
        else:
            assert "Adjacent paths" not in html
