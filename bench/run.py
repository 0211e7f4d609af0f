#!/usr/bin/env python3
"""The `ladder` benchmark: throughput and memory of validate and batch, and one evaluate's latency.

    python bench/run.py                   # 10,000 packets, then 100,000 for memory
    python bench/run.py --skip-big        # only the 10,000-packet rows and evaluate
    python bench/run.py --count 2000 --big-count 20000 --ladder /path/to/ladder

Every measurement runs in a fresh intermediate process (a few lines of Python, see WRAPPER) that
starts the command, times it, and reports getrusage(RUSAGE_CHILDREN) for that command's tree only.
Meanwhile this script samples /proc every --poll-ms and sums the RSS of every process below the
intermediate one, which gives the peak memory of the whole tree (batch workers included).
Everything runs on this interpreter (sys.executable) and the `ladder` next to it, unless --ladder.

Exit status: 0 when every target passes, 1 when one fails or a command errors, 2 on bad usage,
130 when interrupted (the command being measured is killed with it).
See bench/README.md for what each row means.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
GENERATOR = BENCH / "generate.py"
KESTREL = BENCH.parent / "examples" / "kestrel"  # the example pack of a company's own (issue 15)
DEFAULT_SEED = 20260630

# Targets from the benchmark issue, on the 2-core development machine.
TARGET_BATCH_J2 = 2000.0  # packets/s, end to end
TARGET_BATCH_J1 = 1100.0
TARGET_VALIDATE = 5000.0
TARGET_RSS_MB = 250.0
TARGET_EVALUATE_MS = 400.0
TARGET_REPORT_S, TARGET_REPORT_LOAD_S, TARGET_REPORT_MB = 3.0, 3.0, 25.0  # issue 13: ladder report on 10,000
TARGET_AUDIT_RATIO = 1.3  # ladder audit --jobs 2 (one rule changed) over ladder batch --jobs 2, same packets
TARGET_CHARTS_RATIO = 1.3  # issue 30: ladder report (with its charts) over ladder report --no-charts, same run
TARGET_PATHS_RATIO = 1.3  # ladder batch --jobs 2 --paths over ladder batch --jobs 2, same packets, same run
# "The same at 100,000 packets as at 10,000": the big run's peak may exceed the small one's by
# sampling noise only, i.e. at most 10% or 16 MB, whichever is larger.
RSS_FLAT_RATIO, RSS_FLAT_SLACK_MB = 1.10, 16.0

# The intermediate process: run the command with the given stdout/stderr files, time it, and
# report the command tree's rusage (children only: this process's own start-up is not counted).
WRAPPER = r"""
import json, resource, subprocess, sys, time
res, out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5:]
with open(out, "wb") as o, open(err, "wb") as e:
    t0 = time.perf_counter()
    try:
        rc = subprocess.call(cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    except OSError as exc:
        e.write(f"cannot start {cmd[0]}: {exc}\n".encode())
        rc = 127
    wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(res, "w") as fh:
    json.dump({"rc": rc, "wall": wall, "maxrss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime}, fh)
"""

# The floor: read and json-parse every line, nothing else.
FLOOR = r"""
import json, sys
n = 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        if line.strip():
            json.loads(line)
            n += 1
print(n)
"""

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# --- process-tree memory -------------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:  # exited meanwhile
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree_rss_kb(root: int) -> int:
    """Summed RSS of every process below `root` (not root itself), in KiB."""
    kids = _children_map()
    total, stack = 0, list(kids.get(root, []))
    while stack:
        pid = stack.pop()
        stack.extend(kids.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE // 1024
        except (OSError, IndexError, ValueError):
            pass
    return total


# --- one measurement -----------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    packets: int | None  # None: not a throughput row
    cmd: list[str]
    rc: int | None = None
    wall: float | None = None
    cpu: float | None = None
    peak_tree_mb: float | None = None
    max_proc_mb: float | None = None
    samples: int = 0
    error: str | None = None  # set when the row is an ERROR
    notes: list[str] = field(default_factory=list)
    stdout: str = ""

    @property
    def rate(self) -> float | None:
        return self.packets / self.wall if self.packets and self.wall else None


def measure(name: str, cmd: list[str], packets: int | None, work: Path, *, ok_rc: tuple[int, ...] = (0,),
            timeout: float, poll_ms: float) -> Result:
    r = Result(name, packets, cmd)
    tag = "".join(c if c.isalnum() else "-" for c in name).strip("-")[:60]
    res, out, err = work / f"{tag}.res.json", work / f"{tag}.stdout", work / f"{tag}.stderr"
    res.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(res), str(out), str(err), "--", *cmd],
                            start_new_session=True)  # its own process group: a timeout kills the tree
    peak, deadline = 0, time.monotonic() + timeout
    interval = poll_ms / 1000 if poll_ms > 0 else 0.2
    try:
        while proc.poll() is None:
            if poll_ms > 0:
                peak = max(peak, tree_rss_kb(proc.pid))
                r.samples += 1
            if time.monotonic() > deadline:
                _kill(proc)
                r.error = f"timed out after {timeout:.0f} s (killed)"
                return r
            time.sleep(interval)
    except KeyboardInterrupt:  # the command is in its own session: Ctrl-C does not reach it
        _kill(proc)
        raise
    try:
        info = json.loads(res.read_text())
    except (OSError, ValueError):
        r.error = f"the measuring process failed (exit {proc.returncode})"
        return r
    r.rc, r.wall, r.cpu = info["rc"], info["wall"], info["cpu"]
    r.max_proc_mb = info["maxrss_kb"] / 1024
    r.peak_tree_mb = peak / 1024 if poll_ms > 0 else None
    r.stdout = _tail(out, 4000)
    if r.rc not in ok_rc:
        r.error = f"exit {r.rc}\n" + (_tail(err, 2000) or "(no stderr)") + _labelled("stdout", _tail(out, 1200))
    return r


def _ratio_check(name: str, r: Result, batch: Result, target: float, count: int) -> tuple[str, str]:
    """(status, text) of "`name` takes at most `target` times batch --jobs 2" on the same packets."""
    what = f"{name} <= {target}x batch --jobs 2"
    if r.error or batch.error:
        return "ERROR", f"{what}: a command failed"
    ratio = r.wall / batch.wall
    return ("PASS" if ratio <= target else "FAIL",
            f"{what} (same {count:,} packets): {r.wall:.2f} s / {batch.wall:.2f} s = {ratio:.2f}x (fastest of each)")


def _fastest(runs: list[Result]) -> Result:
    """The run a row reports: the fastest good one (an error anywhere makes the row an ERROR).
    Its peak RSS is the largest of all runs, so memory is never understated."""
    bad = [r for r in runs if r.error]
    if bad:
        return bad[0]
    best = min(runs, key=lambda r: r.wall)
    peaks = [r.peak_tree_mb for r in runs if r.peak_tree_mb is not None]
    best.peak_tree_mb = max(peaks) if peaks else best.peak_tree_mb
    best.max_proc_mb = max(r.max_proc_mb for r in runs)
    if len(runs) > 1:
        rates = [r.rate for r in runs]
        best.notes.append(f"fastest of {len(runs)}; packets/s per run: " + ", ".join(f"{x:,.0f}" for x in rates)
                          + f"; median {statistics.median(rates):,.0f}")
        best.name += f" (best of {len(runs)})"
    return best


def _kill(proc: subprocess.Popen) -> None:
    """Kill the intermediate process and the command tree below it (one process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _tail(path: Path, nbytes: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - nbytes))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _labelled(label: str, text: str) -> str:
    return f"\n--- {label} (tail) ---\n{text}" if text else ""


# --- inputs ----------------------------------------------------------------------------------------
def generate(path: Path, count: int, seed: str, jobs: int) -> None:
    """The generator's own CLI, in `jobs` slices written side by side and joined in order."""
    jobs = max(1, min(jobs, count // 5000 or 1))
    step = -(-count // jobs)
    parts, procs = [], []
    for k in range(jobs):
        start, n = k * step, min(step, count - k * step)
        part = path.with_name(f"{path.name}.part{k}")
        parts.append(part)
        procs.append(subprocess.Popen([sys.executable, str(GENERATOR), "--count", str(n), "--start", str(start),
                                       "--seed", seed, "--out", str(part), "--quiet"]))
    if any(p.wait() != 0 for p in procs):
        raise SystemExit(f"run.py: the generator failed writing {path}")
    with open(path, "wb") as dst:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            part.unlink()


def small_packet(seed: str, path: Path) -> None:
    """The first packet of the stream with at most 8 records, as an ordinary .json file."""
    sys.path.insert(0, str(BENCH))
    import generate as gen  # noqa: PLC0415 - bench/ is not a package

    s: int | str = int(seed) if seed.lstrip("-").isdigit() else seed
    for i in range(10_000):
        p = gen.make_packet(s, i)
        if len(p["evidence"]) <= 8:
            path.write_text(json.dumps(p, indent=2) + "\n", encoding="utf-8")
            return
    raise SystemExit("run.py: no small packet found")


def kestrel_packets(path: Path, count: int) -> None:
    """examples/kestrel's fixtures repeated to `count` packets as JSONL, each candidate id made
    unique (the same id twice in a batch is flagged on both lines: work a real cycle does not do).
    Its packets need its own rules: the generator writes packets for the bundled ladder only."""
    import yaml  # noqa: PLC0415 - installed with ladder; only this row needs it

    fixtures = [yaml.safe_load(f.read_text(encoding="utf-8")) for f in sorted((KESTREL / "fixtures").glob("*.yaml"))]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(count):
            p = fixtures[i % len(fixtures)]
            p = {**p, "candidate": {**p["candidate"], "id": f"{p['candidate']['id']}-{i}"}}
            fh.write(json.dumps(p, default=str, separators=(",", ":")) + "\n")


def check_batch_output(r: Result, out: Path, expected: int) -> dict[str, int]:
    """One line per packet, and what they say. Problems become notes on the row."""
    verdicts: Counter[str] = Counter()
    lines = 0
    try:
        with open(out, "rb") as fh:
            for line in fh:
                lines += 1
                try:
                    rec = json.loads(line)
                except ValueError:
                    verdicts["(not JSON)"] += 1
                    continue
                verdicts[rec.get("verdict") or ("error" if "error" in rec else "(no verdict)")] += 1
    except OSError:
        r.notes.append(f"no output file {out.name}")
        return {}
    if lines != expected:
        r.notes.append(f"output has {lines} lines for {expected} packets")
    return dict(verdicts)


def sha256(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


# --- reporting -------------------------------------------------------------------------------------
def _f(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def x_floor(r: Result, floor: Result | None) -> float | None:
    """Time per packet over the floor's (the wall-time ratio when both saw the same packets)."""
    if r.error or not r.rate or floor is None or floor.error or not floor.rate:
        return None
    return floor.rate / r.rate


def table(rows: list[Result], floor: Result | None) -> str:
    head = f"{'measurement':<36} {'packets':>8} {'wall s':>8} {'packets/s':>10} {'x floor':>8} {'CPU s':>7} " \
           f"{'peak RSS MB':>11} {'max 1 proc MB':>13}  status"
    out = [head, "-" * len(head)]
    for r in rows:
        ratio = x_floor(r, floor)
        status = "ERROR" if r.error else "ok"
        rate = None if r.error else r.rate  # a failed run's speed means nothing
        out.append(f"{r.name:<36} {_f(r.packets, ',d'):>8} {_f(r.wall, '.3f'):>8} {_f(rate, ',.0f'):>10} "
                   f"{_f(ratio, '.1f'):>8} {_f(r.cpu, '.2f'):>7} {_f(r.peak_tree_mb, '.1f'):>11} "
                   f"{_f(r.max_proc_mb, '.1f'):>13}  {status}")
    return "\n".join(out)


def verdict_line(counts: dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    return ", ".join(f"{k} {v:,} ({100 * v / total:.1f}%)" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def audit_repo(work: Path) -> Path:
    """A git repository holding the bundled rules and packet schema, committed, with one rule
    changed in the working tree (senior-pm's first `min_count: 2` -> 3, the change docs/review.md
    shows): what `ladder audit --base HEAD` compares. Returns its rules folder."""
    repo = work / "audit-repo"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(BENCH.parent / "rules", repo / "rules")
    shutil.copytree(BENCH.parent / "schemas", repo / "schemas")
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.org",
           "-c", "commit.gpgsign=false"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base rules"]):
        subprocess.run(git + args, check=True, capture_output=True)
    f = repo / "rules" / "senior-pm.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("min_count: 2\n", "min_count: 3\n", 1), encoding="utf-8")
    return repo / "rules"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ladder_version(ladder: str) -> str:
    try:
        p = subprocess.run([ladder, "--version"], capture_output=True, text=True, timeout=60)
        return (p.stdout or p.stderr).strip().splitlines()[0] if (p.stdout or p.stderr).strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return "not runnable"


# --- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark ladder validate / batch / evaluate on generated packets.")
    ap.add_argument("--count", type=int, default=10_000, help="packets for the throughput rows (default 10000)")
    ap.add_argument("--big-count", type=int, default=100_000, help="packets for the memory row (default 100000)")
    ap.add_argument("--skip-big", action="store_true", help="leave out the big-count memory row")
    ap.add_argument("--skip-people", action="store_true",
                    help="leave out the people-directory rows (bench/people.py: a 10,000-person directory)")
    ap.add_argument("--report-only", action="store_true",
                    help="only the ladder report rows: one batch --jobs 2 for the verdicts, then the report built "
                         "and loaded in headless Chromium")
    ap.add_argument("--seed", default=str(DEFAULT_SEED), help=f"generator seed (default {DEFAULT_SEED})")
    ap.add_argument("--ladder", default=None, help="the ladder executable (default: the one next to sys.executable)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of the throughput rows; each row reports its fastest run (default 3)")
    ap.add_argument("--evaluate-runs", type=int, default=5, help="new processes timed for evaluate (default 5)")
    ap.add_argument("--poll-ms", type=float, default=50.0,
                    help="RSS sampling period; 0 turns sampling off (default 50)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per command (default 1800)")
    ap.add_argument("--workdir", default=None, help="keep inputs and outputs here instead of a temporary folder")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the results as JSON to this file")
    a = ap.parse_args(argv)
    if a.count < 1 or a.big_count < 1 or a.evaluate_runs < 1:
        ap.error("--count, --big-count and --evaluate-runs must be at least 1")

    ladder = a.ladder or str(Path(sys.executable).parent / "ladder")
    if not (os.path.isfile(ladder) and os.access(ladder, os.X_OK)):
        found = shutil.which(ladder)
        print(f"warning: {ladder} is not an executable file" + (f"; using {found}" if found else ""), file=sys.stderr)
        ladder = found or ladder
    work = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="ladder-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run_report_only(a, ladder, work) if a.report_only else run(a, ladder, work)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


def run(a: argparse.Namespace, ladder: str, work: Path) -> int:
    gen_jobs = min(4, os.cpu_count() or 1)
    kw = {"timeout": a.timeout, "poll_ms": a.poll_ms}
    packets = work / "packets.jsonl"
    t0 = time.perf_counter()
    generate(packets, a.count, a.seed, gen_jobs)
    gen_s = time.perf_counter() - t0
    one = work / "one-packet.json"
    small_packet(a.seed, one)
    size_mb = packets.stat().st_size / 1e6

    print(f"ladder benchmark: {a.count:,} packets (seed {a.seed}, {size_mb:.1f} MB JSONL, generated in {gen_s:.1f} s)")
    print(f"python {platform.python_version()} at {sys.executable}")
    print(f"ladder: {ladder} ({ladder_version(ladder)})")
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.system()} {platform.release()}")
    print(f"RSS sampled every {a.poll_ms:g} ms over the process tree\n" if a.poll_ms > 0 else "RSS sampling off\n")
    sys.stdout.flush()

    rows: list[Result] = []

    def go(name, cmd, n, **extra):
        r = measure(name, cmd, n, work, **kw, **extra)
        rows.append(r)
        print(f"  {name}: {'ERROR' if r.error else f'{r.wall:.2f} s'}", file=sys.stderr, flush=True)
        return r

    # Rounds of the four throughput rows, interleaved, so each row samples the machine at several
    # moments; a row reports its fastest run (the least disturbed: this machine class varies by
    # up to half from one second to the next), with every run's rate and the median in a note.
    names = ["parse only (floor)", "ladder validate", "ladder batch --jobs 1", "ladder batch --jobs 2",
             "ladder audit --jobs 2 (1 rule changed)", "ladder batch --jobs 2 --paths",
             "ladder batch --jobs 1, examples/kestrel"]
    runs: dict[str, list[Result]] = {n: [] for n in names}
    kestrel_in = work / "packets-kestrel.jsonl"
    kestrel_packets(kestrel_in, a.count)
    audit_rules = audit_repo(work)
    outs = {j: work / f"out-jobs{j}.jsonl" for j in (1, 2)}
    mixes: dict[int, dict[str, int]] = {}
    digests: dict[int, set] = {1: set(), 2: set()}
    floor_note = None
    kestrel_mix: dict[str, int] = {}
    for rnd in range(max(1, a.repeat)):
        r = measure(names[0], [sys.executable, "-c", FLOOR, str(packets)], a.count, work, **kw)
        if not r.error and r.stdout.strip() != str(a.count):
            floor_note = f"parsed {r.stdout.strip()!r} packets, expected {a.count}"
        runs[names[0]].append(r)
        runs[names[1]].append(measure(names[1], [ladder, "validate", str(packets)], a.count, work, **kw))
        for j in (1, 2):
            r = measure(names[1 + j], [ladder, "batch", str(packets), "--out", str(outs[j]), "--jobs", str(j),
                                       "--quiet"], a.count, work, **kw)
            runs[names[1 + j]].append(r)
            if not r.error:
                mixes[j] = check_batch_output(r, outs[j], a.count)
                digests[j].add(sha256(outs[j]))
            if not (j == 2 and rnd == max(1, a.repeat) - 1):  # the last one feeds the report rows
                outs[j].unlink(missing_ok=True)
        runs[names[4]].append(measure(names[4], [ladder, "audit", "--rules", str(audit_rules), "--base", "HEAD",
                                                 "--packets", str(packets), "--jobs", "2", "--format", "json"],
                                      a.count, work, **kw))
        paths_out = work / "out-paths.jsonl"
        r = measure(names[5], [ladder, "batch", str(packets), "--out", str(paths_out), "--jobs", "2", "--quiet",
                               "--paths"], a.count, work, **kw)
        runs[names[5]].append(r)
        if not r.error:
            check_batch_output(r, paths_out, a.count)
        paths_out.unlink(missing_ok=True)
        kestrel_out = work / "out-kestrel.jsonl"
        r = measure(names[6], [ladder, "batch", str(kestrel_in), "--rules", str(KESTREL / "rules"), "--out",
                               str(kestrel_out), "--jobs", "1", "--quiet"], a.count, work, **kw)
        runs[names[6]].append(r)
        if not r.error:
            kestrel_mix = check_batch_output(r, kestrel_out, a.count)
        kestrel_out.unlink(missing_ok=True)
        print(f"  round {rnd + 1}: " + ", ".join(
            f"{n.removeprefix('ladder ')} {'ERROR' if rs[-1].error else f'{rs[-1].rate:,.0f}/s'}"
            for n, rs in runs.items()), file=sys.stderr, flush=True)
    picked = {n: _fastest(rs) for n, rs in runs.items()}
    floor, validate = picked[names[0]], picked[names[1]]
    batch = {1: picked[names[2]], 2: picked[names[3]]}
    audit = picked[names[4]]
    with_paths = picked[names[5]]
    if floor_note:
        floor.notes.append(floor_note)
    rows.extend(picked.values())
    same = None
    if 1 in mixes and 2 in mixes:
        same = len(digests[1]) == 1 and digests[1] == digests[2]
        if not same:
            batch[2].notes.append("outputs differ between runs or from --jobs 1 (order or content)")

    # evaluate: one warm-up (page cache), then the median of new processes
    measure("evaluate warm-up", [ladder, "evaluate", str(one)], None, work, **kw)
    evals = [measure("ladder evaluate (1 packet)", [ladder, "evaluate", str(one)], None, work, **kw)
             for _ in range(a.evaluate_runs)]
    ev_ok = [r for r in evals if not r.error]
    ev = evals[0] if not ev_ok else sorted(ev_ok, key=lambda r: r.wall)[len(ev_ok) // 2]
    ev.name = f"ladder evaluate, 1 packet (median of {len(ev_ok)})" if ev_ok else "ladder evaluate, 1 packet"
    if ev_ok:
        walls = [r.wall for r in ev_ok]
        ev.notes.append("wall ms per run: " + ", ".join(f"{w * 1000:.0f}" for w in walls))
        ev.wall = statistics.median(walls)
    if len(ev_ok) < len(evals):
        ev.error = ev.error or next(r.error for r in evals if r.error)
    rows.append(ev)
    print(f"  {ev.name}: {'ERROR' if ev.error else f'{ev.wall * 1000:.0f} ms'}", file=sys.stderr, flush=True)
    people_checks: list[tuple[str, str]] = []
    if not a.skip_people:  # bench/people.py: load a 10,000-person directory; batch with it and without
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from people import people_rows

        p_rows, people_checks = people_rows(ladder, packets, work, measure, kw, a.repeat)
        rows.extend(p_rows)
    report_checks: list[tuple[str, str]] = []
    if outs[2].exists():
        rep_rows, report_checks = report_rows(ladder, outs[2], a.count, work, kw)
        rows.extend(rep_rows)
        outs[2].unlink(missing_ok=True)

    big = None
    if not a.skip_big:
        big_in = work / "packets-big.jsonl"
        t0 = time.perf_counter()
        generate(big_in, a.big_count, a.seed, gen_jobs)
        print(f"  generated {a.big_count:,} packets in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        big_out = work / "out-big.jsonl"
        big = go(f"ladder batch --jobs 2, {a.big_count:,} packets",
                 [ladder, "batch", str(big_in), "--out", str(big_out), "--jobs", "2", "--quiet"], a.big_count)
        if not big.error:
            check_batch_output(big, big_out, a.big_count)
        big_in.unlink(missing_ok=True)
        big_out.unlink(missing_ok=True)

    # --- the report
    print()
    print(table(rows, floor))
    print()
    print("x floor: time per packet over the parse-only floor's. peak RSS: sum over the process tree, sampled;"
          " max 1 proc: the largest single process (getrusage).")
    for r in rows:
        for n in r.notes:
            print(f"note: {r.name}: {n}")
    if 2 in mixes:
        print(f"verdicts (batch --jobs 2): {verdict_line(mixes[2])}")
    if kestrel_mix:
        print(f"verdicts (examples/kestrel): {verdict_line(kestrel_mix)}")
    if same is not None:
        print(f"batch --jobs 1 and --jobs 2 outputs are {'byte-identical' if same else 'DIFFERENT'}")
    for r in rows:
        if r.error:
            print(f"\nERROR in {r.name}: {' '.join(r.cmd[:2])} ...\n{r.error}")

    # --- targets
    checks: list[tuple[str, str]] = []

    def rate_target(label: str, r: Result, goal: float) -> None:
        if r.error:
            checks.append(("ERROR", f"{label} >= {goal:,.0f} packets/s: the command failed"))
        else:
            rates = [x.rate for x in runs_of.get(label, [])]
            how = f" (fastest of {len(rates)}; median {statistics.median(rates):,.0f})" if len(rates) > 1 else ""
            checks.append(("PASS" if r.rate >= goal else "FAIL",
                           f"{label} >= {goal:,.0f} packets/s: {r.rate:,.0f}{how}"))

    runs_of = {"batch --jobs 2": runs[names[3]], "batch --jobs 1": runs[names[2]], "validate": runs[names[1]]}
    rate_target("batch --jobs 2", batch[2], TARGET_BATCH_J2)
    rate_target("batch --jobs 1", batch[1], TARGET_BATCH_J1)
    rate_target("validate", validate, TARGET_VALIDATE)
    mem_rows = [r for r in (validate, batch[1], batch[2], big) if r is not None]
    measured = [r for r in mem_rows if not r.error and (r.peak_tree_mb or r.max_proc_mb)]
    if measured:
        worst = max(measured, key=lambda r: r.peak_tree_mb or r.max_proc_mb)
        peak = worst.peak_tree_mb or worst.max_proc_mb
        status = "PASS" if peak <= TARGET_RSS_MB and len(measured) == len(mem_rows) else \
            ("FAIL" if peak > TARGET_RSS_MB else "ERROR")
        checks.append((status, f"peak RSS <= {TARGET_RSS_MB:.0f} MB: {peak:.1f} MB ({worst.name})"
                       + ("" if len(measured) == len(mem_rows) else "; some rows failed")))
    else:
        checks.append(("ERROR", f"peak RSS <= {TARGET_RSS_MB:.0f} MB: nothing measured"))
    if big is None:
        checks.append(("SKIP", f"peak RSS flat from {a.count:,} to {a.big_count:,} packets: --skip-big"))
    elif big.error or batch[2].error:
        checks.append(("ERROR", f"peak RSS flat from {a.count:,} to {a.big_count:,} packets: a batch failed"))
    else:
        small_mb = batch[2].peak_tree_mb or batch[2].max_proc_mb
        big_mb = big.peak_tree_mb or big.max_proc_mb
        limit = max(small_mb * RSS_FLAT_RATIO, small_mb + RSS_FLAT_SLACK_MB)
        checks.append(("PASS" if big_mb <= limit else "FAIL",
                       f"peak RSS flat from {a.count:,} to {a.big_count:,} packets: {small_mb:.1f} -> {big_mb:.1f} MB "
                       f"(allowed up to {limit:.1f})"))
    checks.append(_ratio_check("audit --jobs 2", audit, batch[2], TARGET_AUDIT_RATIO, a.count))
    checks.append(_ratio_check("batch --jobs 2 --paths", with_paths, batch[2], TARGET_PATHS_RATIO, a.count))
    if ev.error:
        checks.append(("ERROR", f"evaluate, new process <= {TARGET_EVALUATE_MS:.0f} ms: the command failed"))
    else:
        ms = ev.wall * 1000
        checks.append(("PASS" if ms <= TARGET_EVALUATE_MS else "FAIL",
                       f"evaluate, new process <= {TARGET_EVALUATE_MS:.0f} ms: {ms:.0f} ms (median)"))
    checks += report_checks + people_checks
    print("\ntargets:")
    for status, text in checks:
        print(f"  {status:<5} {text}")

    if a.json_out:
        doc = {"count": a.count, "big_count": None if a.skip_big else a.big_count, "seed": a.seed,
               "python": platform.python_version(), "cpus": os.cpu_count(), "cpu_model": cpu_model(),
               "ladder": ladder, "ladder_version": ladder_version(ladder),
               "rows": [{"name": r.name, "packets": r.packets, "wall_s": r.wall,
                         "packets_per_s": None if r.error else r.rate,
                         "x_floor": x_floor(r, floor),
                         "cpu_s": r.cpu, "peak_rss_tree_mb": r.peak_tree_mb, "max_proc_rss_mb": r.max_proc_mb,
                         "error": r.error, "notes": r.notes} for r in rows],
               "verdicts": mixes.get(2), "jobs_outputs_identical": same,
               "targets": [{"status": s, "target": t} for s, t in checks]}
        Path(a.json_out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0 if all(s in ("PASS", "SKIP") for s, _ in checks) else 1



# --- the HTML report (issue 13) ------------------------------------------------------------------
def _decisions_for(results: Path, out: Path) -> None:
    """A decisions CSV with one row per verdict line: mostly what the tool said, every seventh
    candidate decided against it with an override and a reason (as bench/committee.py)."""
    decide = {"ready": "promoted", "not_ready": "not_promoted", "insufficient_evidence": "deferred"}
    with open(results, encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as d:
        d.write("cycle,candidate_id,decision,decided_on,reason,overrides\n")
        for n, line in enumerate(fh):
            v = json.loads(line)
            if "verdict" not in v:
                continue
            decision, override = decide.get(v["verdict"], "deferred"), ""
            if n % 7 == 3:
                decision = "promoted" if v["verdict"] != "ready" else "deferred"
                override = f"{v['unmet'][0]}=met" if v.get("unmet") else ""
            cycle = v["candidate"].get("cycle") or "2026-h1"
            d.write(f"{cycle},{v['candidate']['id']},{decision},2026-07-01,Decided in the meeting.,{override}\n")


def report_rows(ladder: str, results: Path, count: int, work: Path, kw: dict) -> tuple[list[Result], list]:
    """`ladder report` over `results` (seconds, file size) and the page's load in headless Chromium
    (tools/browser.py: navigation to the load event, median of 3 fresh tabs)."""
    html = work / "cycle.html"
    r = measure(f"ladder report, {count:,} verdicts", [ladder, "report", str(results), "--out", str(html)], None,
                work, **kw)
    rows, checks = [r], []
    if r.error or not html.exists():
        return rows, [("ERROR", f"ladder report <= {TARGET_REPORT_S:g} s: the command failed")]
    mb = html.stat().st_size / 1e6
    r.notes.append(f"file size {mb:.1f} MB")
    checks.append(("PASS" if r.wall <= TARGET_REPORT_S else "FAIL",
                   f"ladder report on {count:,} verdicts <= {TARGET_REPORT_S:g} s: {r.wall:.2f} s"))
    checks.append(("PASS" if mb <= TARGET_REPORT_MB else "FAIL", f"report file <= {TARGET_REPORT_MB:g} MB: {mb:.1f} MB"))
    # the committee's word on the page (issue 27): the same report with a decision for every candidate
    dec = work / "decisions.csv"
    _decisions_for(results, dec)
    rd = measure(f"ladder report --decisions, {count:,} verdicts",
                 [ladder, "report", str(results), "--out", str(work / "cycle-decided.html"), "--decisions", str(dec)],
                 None, work, **kw)
    rows.append(rd)
    checks.append(("ERROR", f"ladder report --decisions <= {TARGET_REPORT_S:g} s: the command failed") if rd.error
                  else ("PASS" if rd.wall <= TARGET_REPORT_S else "FAIL",
                        f"ladder report --decisions on {count:,} verdicts <= {TARGET_REPORT_S:g} s: {rd.wall:.2f} s"))
    # the charts' cost: the report with and without them, in interleaved rounds, each side's fastest
    plain = work / "cycle-no-charts.html"
    with_charts, without = [r], []
    for i in range(3):
        without.append(measure(f"ladder report --no-charts, {count:,} verdicts",
                               [ladder, "report", str(results), "--out", str(plain), "--no-charts"], None, work, **kw))
        if i:
            with_charts.append(measure(r.name, [ladder, "report", str(results), "--out", str(html)], None, work, **kw))
    if any(x.error for x in with_charts + without):
        checks.append(("ERROR", f"report <= {TARGET_CHARTS_RATIO:g}x report --no-charts: a command failed"))
    else:
        best, base = min(x.wall for x in with_charts), min(without, key=lambda x: x.wall)
        base.notes.append(f"file size {plain.stat().st_size / 1e6:.1f} MB; walls s: "
                          + ", ".join(f"{x.wall:.2f}" for x in without) + "; with charts: "
                          + ", ".join(f"{x.wall:.2f}" for x in with_charts))
        rows.append(base)
        ratio = best / base.wall
        checks.append(("PASS" if ratio <= TARGET_CHARTS_RATIO else "FAIL",
                       f"report <= {TARGET_CHARTS_RATIO:g}x report --no-charts: {ratio:.2f}x "
                       f"({best:.2f} s / {base.wall:.2f} s, fastest of 3 each, interleaved)"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import browser

    if browser.find() is None:
        checks.append(("SKIP", "report page load: no chromium"))
        return rows, checks
    loads, sections = [], None
    with browser.Chromium() as b:
        for _ in range(3):
            page = b.open(html)
            loads.append(page.load_seconds)
            sections = page.eval("document.querySelectorAll('.cand').length")
            if page.errors():
                r.notes.append(f"console errors: {page.errors()[:3]}")
    load = statistics.median(loads)
    lr = Result(f"report page load in headless Chromium (median of 3), {sections:,} sections", None, [], wall=load)
    lr.notes.append("loads s: " + ", ".join(f"{x:.2f}" for x in loads))
    rows.append(lr)
    checks.append(("PASS" if load <= TARGET_REPORT_LOAD_S else "FAIL",
                   f"report page loads in <= {TARGET_REPORT_LOAD_S:g} s: {load:.2f} s (median of 3)"))
    return rows, checks


def run_report_only(a: argparse.Namespace, ladder: str, work: Path) -> int:
    packets, out = work / "packets.jsonl", work / "out.jsonl"
    generate(packets, a.count, a.seed, min(4, os.cpu_count() or 1))
    kw = {"timeout": a.timeout, "poll_ms": a.poll_ms}
    b = measure("ladder batch --jobs 2", [ladder, "batch", str(packets), "--out", str(out), "--jobs", "2", "--quiet"],
                a.count, work, **kw)
    if b.error:
        print(b.error)
        return 1
    rows, checks = report_rows(ladder, out, a.count, work, kw)
    print(table([b] + rows, None))
    for r in rows:
        for n in r.notes:
            print(f"note: {r.name}: {n}")
    print("\ntargets:")
    for status, text in checks:
        print(f"  {status:<5} {text}")
    return 0 if all(st in ("PASS", "SKIP") for st, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
