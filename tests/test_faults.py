"""Faults survived (issue 16): a killed, starved or cut-off run leaves nothing behind and says the
right thing.

Each fault is done for real where the machine allows it: the parent or a worker killed with
SIGKILL, the reader of stdout closed by a real `head`, a full filesystem (a small tmpfs when this
runs as root and may mount, /dev/full always), a read-only folder. Where it cannot be done for
real (mounting as non-root, an unwritable folder as root), it is simulated at the system call.
Each test asserts what the user sees (exit status, stderr) and that no process and no file is
left over. Waiting is by polling with a deadline, never a fixed sleep that a busy machine outruns.
"""
from __future__ import annotations

import errno
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from engine.base import inputs as inputs_mod
from engine.base import output as output_mod
from engine.base.loader import load_file

# `run`, the console script's function: it sets up Ctrl-C handling that `main` alone does not.
LADDER = [sys.executable, "-c", "import cli; cli.run()"]
GOOD = sorted(FIXTURES.glob("*.yaml"))[:3]
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="reads /proc, and PR_SET_PDEATHSIG is Linux's")


# -- helpers ----------------------------------------------------------------------------------
def _jsonl(path: Path, n: int) -> Path:
    """n valid packets, one a line, each with its own candidate id."""
    base = [load_file(p).data for p in GOOD]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            d = json.loads(json.dumps(base[i % len(base)]))
            d["candidate"]["id"] = f"gen-{i:06d}"
            fh.write(json.dumps(d) + "\n")
    return path


def _wait_for(cond: Callable[[], object], timeout: float, what: str):
    """Poll cond() until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def _state(pid: int) -> str | None:
    """The process's state letter, or None when it is gone. A zombie (Z) has ended: it only waits
    for a parent to collect its status (in a container, init may never do that)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z", "X")


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                out.append(int(d.name))
    return out


def _running_with(marker: str) -> list[int]:
    """Live processes whose command line mentions `marker` (a test's own tmp_path): a ladder run
    and its workers (forked, so they share its command line), and nothing else."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmdline = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and _alive(int(d.name)):
            found.append(int(d.name))
    return found


def _no_process_left(tmp_path: Path) -> None:
    _wait_for(lambda: not _running_with(str(tmp_path)), 10, f"every process of the run to end: {tmp_path}")


def _partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.partial"))


def _launch(args: list, tmp_path: Path, code: str = "import cli; cli.run()") -> subprocess.Popen:
    """A run in the background, its stdout and stderr in files (tmp_path/stdout, tmp_path/stderr):
    workers that wrongly outlive it would hold a pipe open, and waiting for the pipe's end would
    hang the test instead of failing it."""
    with (tmp_path / "stdout").open("wb") as out, (tmp_path / "stderr").open("wb") as err:
        return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, stdout=out, stderr=err)


def _stderr(tmp_path: Path) -> str:
    return (tmp_path / "stderr").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(autouse=True)
def _reaper(tmp_path):
    """Whatever a test leaves running (a regression: workers outliving their parent) is killed
    at teardown, so one failure does not leave processes behind for the next tests."""
    yield
    for pid in _running_with(str(tmp_path)):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _ladder(args: list, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*LADDER, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kw)


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path(f"/tmp/ladder-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    finally:
        probe.rmdir()


CAN_MOUNT = LINUX and _can_mount()


class _Tmpfs:
    """A small tmpfs mounted at a folder for one test (root only), unmounted however the test ends."""

    def __init__(self, folder: Path, options: str):
        self.folder = folder
        folder.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)

    def __enter__(self) -> Path:
        return self.folder

    def __exit__(self, *exc) -> None:
        subprocess.run(["umount", str(self.folder)], check=True)


# -- the parent killed hard -------------------------------------------------------------------
@pytest.mark.parametrize("watch", ["parent-death signal", "workers poll their parent"])
def test_parent_killed_workers_end_and_the_next_run_cleans_up(tmp_path, watch):
    """kill -9 of the parent (the OOM killer, a CI timeout) mid-batch: both workers end within
    seconds (they used to run on under init for good), the 40 MB partial file it strands is
    recognised by the next run writing the same output, removed, and the user told so.

    Both ways a worker notices are tried: the kernel's parent-death signal (Linux), and, with it
    turned off (prctl given option 0, which it refuses), the worker's own poll of getppid()."""
    src = _jsonl(tmp_path / "in.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    args = [src, "--out", out, "--jobs", "2", "--quiet", "--no-plan"]
    code = "import cli; cli.run()"
    if watch == "workers poll their parent":
        code = "import cli; from engine.base import workers; workers._PR_SET_PDEATHSIG = 0; cli.run()"
    proc = _launch(["batch", *args], tmp_path, code)
    try:
        workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _partials(tmp_path)
                            and _partials(tmp_path)[0].stat().st_size > 0 and _children(proc.pid), 60,
                            "two workers and some output")
        if proc.poll() is not None:
            pytest.fail("the batch finished before it could be killed (make the input larger)")
        proc.kill()
        proc.wait(timeout=10)
        _wait_for(lambda: not any(_alive(w) for w in workers), 5, f"workers {workers} to end after their parent")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    (leftover,) = _partials(tmp_path)
    assert leftover.name.startswith(".out.jsonl.ladder-")
    assert not out.exists()

    again = _ladder(["batch", GOOD[0], "--out", out, "--quiet"])
    assert again.returncode == 0, again.stderr
    assert f"{out}: removed {leftover.name} (" in again.stderr
    assert "left by an earlier run that was killed before it finished" in again.stderr
    assert not _partials(tmp_path)
    assert len(out.read_text().splitlines()) == 1
    _no_process_left(tmp_path)


def test_a_worker_killed_loses_no_packet(tmp_path):
    """kill -9 of one worker (the OOM killer picks the biggest process): the pool is rebuilt, the
    packets in flight are redone, every packet gets its verdict in order, exit 0, and nothing is
    left: no worker, no partial file."""
    src = _jsonl(tmp_path / "in.jsonl", 1500)
    out = tmp_path / "out.jsonl"
    proc = _launch(["batch", src, "--out", out, "--jobs", "2", "--quiet", "--no-plan"], tmp_path)
    try:
        workers = _wait_for(lambda: len(_children(proc.pid)) == 2 and _partials(tmp_path)
                            and _partials(tmp_path)[0].stat().st_size > 0 and _children(proc.pid), 60,
                            "two workers and some output")
        if proc.poll() is not None:
            pytest.fail("the batch finished before a worker was killed (make the input larger)")
        os.kill(workers[0], signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    err = _stderr(tmp_path)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    ids = [json.loads(line)["candidate"]["id"] for line in out.read_text().splitlines()]
    assert ids == [f"gen-{i:06d}" for i in range(1500)]
    assert not _partials(tmp_path)
    _no_process_left(tmp_path)


# -- leftovers: only ours, only this output's ----------------------------------------------------
def _hold_lock(path: Path) -> subprocess.Popen:
    """Another live process holding the lock on `path` (a run still writing it)."""
    code = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX); "
            "print('locked', flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_only_this_tools_abandoned_partials_of_this_output_are_removed(tmp_path, run_cli):
    """A leftover is removed only when every sign says it is ours and abandoned: the exact name
    for this output, a regular file with one link, our owner, mode 0600, and no live lock. A run
    still writing, a file of another output, an older name, a link, a file with another mode or
    a second name: all left exactly as they were."""
    out = tmp_path / "out.jsonl"
    target = tmp_path / "precious.txt"
    target.write_text("keep me")

    def partial(name: str, mode: int = 0o600) -> Path:
        p = tmp_path / name
        p.write_text('{"half": ')
        p.chmod(mode)
        return p

    abandoned = partial(".out.jsonl.ladder-abcd_123.partial")
    kept = [
        partial(".out.jsonl.ladder-live0000.partial"),  # a run still writing it: locked below
        partial(".other.jsonl.ladder-abcd1234.partial"),  # another output's
        partial(".out.jsonl.abcd1234.partial"),  # no `ladder-` tag: not provably ours
        partial(".out.jsonl.ladder-abcd12345.partial"),  # not tempfile's 8 random characters
        partial(".out.jsonl.ladder-mode0644.partial", 0o644),  # not created by tempfile
        partial("out.jsonl.ladder-nodot000.partial"),  # not hidden
    ]
    link = tmp_path / ".out.jsonl.ladder-symlink0.partial"
    link.symlink_to(target)
    second = tmp_path / ".out.jsonl.ladder-hardlnk0.partial"
    os.link(target, second)
    target.chmod(0o600)
    kept += [link, second]
    holder = _hold_lock(kept[0])
    try:
        r = run_cli("batch", GOOD[0], "--out", out, "--quiet")
    finally:
        holder.communicate(input="", timeout=10)
    assert not abandoned.exists()
    assert r.stderr.count("removed ") == 1 and f"removed {abandoned.name} (9 bytes)" in r.stderr
    for p in kept:
        assert os.path.lexists(p), p.name
    assert target.read_text() == "keep me" and link.is_symlink()
    assert out.exists() and set(_partials(tmp_path)) == {p for p in kept if p.name.startswith(".")}


def test_own_partial_file_is_locked_while_it_is_written(tmp_path):
    """The proof the cleaner relies on: a writer holds the lock on its partial file for as long as
    it writes, so a concurrent run writing the same output never removes it."""
    out = tmp_path / "out.jsonl"
    w = output_mod.AtomicWriter(str(out))
    try:
        w.write("{}\n")
        code = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
                "try: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
                "except OSError: print('locked')")
        seen = subprocess.run([sys.executable, "-c", code, w.tmp], capture_output=True, text=True, timeout=30)
        assert seen.stdout.strip() == "locked", seen.stderr
        other = subprocess.run([*LADDER, "batch", str(GOOD[0]), "--out", str(out), "--quiet"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 0 and "removed" not in other.stderr
        assert os.path.exists(w.tmp)
    finally:
        w.abort()
    assert not _partials(tmp_path)


# -- a reader that goes away --------------------------------------------------------------------
@pytest.mark.parametrize("command", ["batch", "validate"])
def test_a_closed_reader_ends_the_run_quietly(tmp_path, command):
    """`ladder batch ... --out - | head -c 100`, through a real pipe to a real head: no message
    (it was "cannot write output: [Errno 32] Broken pipe" and exit 2), the shell's SIGPIPE status
    141 under pipefail, and no worker left. `validate` printing a long report does the same."""
    if command == "batch":
        src = _jsonl(tmp_path / "in.jsonl", 400)
        args = ["batch", src, "--out", "-", "--jobs", "2", "--quiet", "--no-plan"]
    else:
        src = tmp_path / "in.jsonl"
        src.write_text("{not json\n" * 20000)  # a report of 20,000 lines: far beyond a pipe's buffer
        args = ["validate", src, "--jobs", "1"]
    got, err = tmp_path / "head.out", tmp_path / "stderr"
    script = (f"set -o pipefail; {shlex.join([*LADDER, *map(str, args)])} 2> {shlex.quote(str(err))} | "
              f"head -c 100 > {shlex.quote(str(got))}")
    r = subprocess.run(["bash", "-c", script], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 128 + signal.SIGPIPE, err.read_text()
    assert err.read_text() == ""
    assert len(got.read_bytes()) == 100
    _no_process_left(tmp_path)


# -- a full disk, an unwritable folder, a vanished folder ---------------------------------------
def _status(r) -> int:
    """The exit status of a subprocess run or of an in-process CliRunner one."""
    return r.returncode if hasattr(r, "returncode") else r.exit_code


def _assert_nothing_written(r, folder: Path, out: Path, why: str) -> None:
    assert _status(r) == 74, r.stderr
    assert f"{out}: cannot write: {why}; nothing was written there" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists() and not _partials(folder)


def test_a_full_disk(tmp_path, run_cli, monkeypatch):
    """A real full filesystem (a 256 KB tmpfs) where this machine lets us mount one: exit 74 (not
    the usage error's 2), a message naming the file, and the filesystem left as empty as it was;
    the summary CSV too. Elsewhere (no root, or no mount in a container), the disk is filled at
    the system call, as test_a_full_disk_simulated does: never a skip."""
    if not CAN_MOUNT:
        test_a_full_disk_simulated(tmp_path, run_cli, monkeypatch)
        return
    src = _jsonl(tmp_path / "in.jsonl", 300)
    with _Tmpfs(tmp_path / "small", "size=256k") as small:
        out = small / "out.jsonl"
        r = _ladder(["batch", src, "--out", out, "--summary", small / "summary.csv", "--jobs", "2", "--quiet",
                     "--no-plan"])
        _assert_nothing_written(r, small, out, "No space left on device")
        assert os.listdir(small) == []
        _no_process_left(tmp_path)


def test_a_full_disk_simulated(tmp_path, run_cli, monkeypatch):
    """Without a mount: the disk fills when the finished file is forced to it (fsync), as it does
    for a small output on a real full disk. Same message, same status, nothing left."""
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_mod.os, "fsync", full)
    out = tmp_path / "out.jsonl"
    r = run_cli("batch", *GOOD, "--out", out, "--summary", tmp_path / "s.csv", "--quiet", exit_code=None)
    _assert_nothing_written(r, tmp_path, out, "No space left on device")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("command", [["batch", GOOD[0], "--out", "-"], ["evaluate", GOOD[0]]])
def test_stdout_on_a_full_disk(tmp_path, command):
    """Standard output redirected to a full disk (/dev/full answers every write with ENOSPC, for
    any user): exit 74 and one line saying so, not a traceback and not exit 0."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([*LADDER, *map(str, command)], cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=120)
    assert r.returncode == 74, r.stderr
    assert "cannot write to standard output: No space left on device" in r.stderr
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr


def test_an_unwritable_folder(tmp_path, run_cli, monkeypatch):
    """An output folder nobody may write to: for real where possible (a read-only tmpfs as root,
    chmod as anyone else), else refused at the system call. Exit 74 naming the file; nothing left."""
    if CAN_MOUNT:
        with _Tmpfs(tmp_path / "ro", "ro,size=64k") as ro:
            out = ro / "out.jsonl"
            r = _ladder(["batch", GOOD[0], "--out", out, "--quiet"])
            _assert_nothing_written(r, ro, out, "Read-only file system")
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    out = folder / "out.jsonl"
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            r = _ladder(["batch", GOOD[0], "--out", out, "--quiet"])
        finally:
            folder.chmod(0o700)
    else:
        def refused(*args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(output_mod.tempfile, "mkstemp", refused)
        r = run_cli("batch", GOOD[0], "--out", out, "--quiet", exit_code=None)
    _assert_nothing_written(r, folder, out, "Permission denied")


def test_a_vanished_output_folder(tmp_path, run_cli, monkeypatch):
    """The output folder deleted mid-run (a cleanup job): the finished file cannot be renamed into
    place; exit 74 naming it, and nothing appears anywhere."""
    folder = tmp_path / "results"
    folder.mkdir()
    out = folder / "out.jsonl"
    real = inputs_mod.iter_inputs

    def deleting(paths, stdin=None, **kw):
        for i, item in enumerate(real(paths, stdin, **kw)):
            if i == 1:
                shutil.rmtree(folder)
            yield item

    monkeypatch.setattr("engine.committee.batch.iter_inputs", deleting)
    r = run_cli("batch", *GOOD, "--out", out, "--jobs", "1", "--quiet", exit_code=74)
    assert f"{out}: cannot write: No such file or directory; nothing was written there" in r.stderr
    assert not folder.exists()


# -- Ctrl-C at any moment -------------------------------------------------------------------------
INTERRUPT_AT = {
    # while cli imports its dependencies (the longest part of start-up, ~0.3 s)
    "importing": ("import builtins, os, signal\nreal = builtins.__import__\n"
                  "def hooked(name, *a, **k):\n"
                  "    if name == 'click': os.kill(os.getpid(), signal.SIGINT)\n"
                  "    return real(name, *a, **k)\n"
                  "builtins.__import__ = hooked\nimport cli\ncli.run()"),
    # while the rules load (click said "Aborted!" and exited 1 here)
    "loading the rules": ("import os, signal, time, cli\n"
                          "def slow(*a, **k): os.kill(os.getpid(), signal.SIGINT); time.sleep(30)\n"
                          "cli.load_rules = slow\ncli.run()"),
    # while the command runs
    "validating": ("import os, signal, time, cli\n"
                   "def slow(*a, **k): os.kill(os.getpid(), signal.SIGINT); time.sleep(30)\n"
                   "cli.commands.validate = slow\ncli.run()"),
}


@pytest.mark.parametrize("moment", list(INTERRUPT_AT))
def test_ctrl_c_at_any_moment_is_one_line_and_130(moment):
    """Ctrl-C while starting, loading rules or running: exit 130 and the one line "interrupted";
    never click's "Aborted!" with exit 1, never a traceback."""
    r = subprocess.run([sys.executable, "-c", INTERRUPT_AT[moment], "validate", str(GOOD[0])], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (130, "interrupted\n")


def test_a_real_ctrl_c_during_start_up(tmp_path):
    """A real SIGINT from outside, the moment the process has mapped the rules engine (deep in
    start-up): one line, 130, no worker and no file left."""
    src = _jsonl(tmp_path / "in.jsonl", 50)
    out = tmp_path / "out.jsonl"
    proc = _launch(["batch", src, "--out", out, "--jobs", "2", "--quiet"], tmp_path)

    def engine_mapped() -> bool:
        try:
            return "durable_rules_engine" in Path(f"/proc/{proc.pid}/maps").read_text()
        except OSError:
            return proc.poll() is not None

    try:
        _wait_for(engine_mapped, 60, "the rules engine to load")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    if proc.returncode == 0:
        pytest.fail("the batch finished before the signal (make the input larger)")
    err = _stderr(tmp_path)
    assert proc.returncode == 130, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted"), lines
    assert not out.exists() and not _partials(tmp_path)
    _no_process_left(tmp_path)


# -- the small ones -------------------------------------------------------------------------------
def test_no_packets_is_said_and_is_not_success_for_validate(tmp_path, run_cli):
    """An empty .jsonl used to pass as "all 0 packet(s) valid", exit 0. validate now exits 2 and
    says nothing was checked; batch writes the empty file and says it read nothing."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = run_cli("validate", empty, exit_code=2)
    assert r.stderr.strip() == (f"no packets found in {empty}: nothing was checked (packets are .yaml, .yml or "
                                ".json files, or the lines of a .jsonl file)")
    out = tmp_path / "out.jsonl"
    r = run_cli("batch", empty, "--out", out, "--quiet")
    assert out.read_text() == ""
    assert f"no packets were read from {empty}; {out} is empty" in r.stderr


def test_a_truncated_jsonl_line_has_one_line_number(tmp_path, run_cli):
    """A JSONL file whose last packet was cut off after a comma (its line end kept): validate said
    line 4, batch said `file:3` with "line": 4. Both now say line 3, the packet's own line."""
    text = json.dumps(load_file(GOOD[0]).data)
    cut = text[: text.index(', "period"') + 1]
    src = tmp_path / "cut.jsonl"
    src.write_text(f"{text}\n{text}\n{cut}\n", encoding="utf-8")
    v = run_cli("validate", src, exit_code=3)
    assert v.stdout.splitlines()[0].startswith(f"{src}:3: not valid JSON")
    out = tmp_path / "out.jsonl"
    run_cli("batch", src, "--out", out, "--quiet", exit_code=3)
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["source"] == f"{src}:3" and last["error"]["problems"][0]["line"] == 3
