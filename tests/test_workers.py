"""engine.base.workers: the pool behind batch, audit --jobs and reverify --jobs.

The property a committee relies on: however a worker dies, every packet gets exactly one result,
in input order, and the run ends. The hard case is a worker that dies halfway through sending a
result: with concurrent.futures' pool (one shared result pipe) that hung the batch for ever, one
run in seven with a real kill -9. Here it is made to happen every time: the task writes the start
of a reply to its own pipe and exits. Each such run is a subprocess with a deadline, so a
regression fails the test instead of hanging the suite.
"""
from __future__ import annotations

import faulthandler
import json
import multiprocessing
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from engine.base import workers
from engine.base.workers import WorkerPool, in_order

LINUX = sys.platform.startswith("linux")


@pytest.fixture(autouse=True)
def _never_hang():
    """A pool that stalls is this module's main failure: end the run with every thread's stack after
    two minutes rather than hold CI until its limit."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()

# A task that tears its reply: the length header of a 1,000-byte message, 10 bytes of it, death.
# Item "T<n>" tears every time; "O<n>" tears only the first time it is run (a marker file says so).
_PROBE = textwrap.dedent("""
    import json, os, struct, sys
    from pathlib import Path
    from engine.base.workers import WorkerPool, in_order

    MARK = Path(sys.argv[1])

    def own_socket():
        found = []
        for f in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{f}").startswith("socket:"):
                    found.append(int(f))
            except OSError:  # the descriptor listdir itself used
                pass
        (fd,) = found
        return fd

    def tear():
        os.write(own_socket(), struct.pack("!i", 1000) + b"x" * 10)
        os._exit(9)

    def task(items):
        for it in items:
            if it.startswith("T") or (it.startswith("O") and not MARK.exists()):
                if it.startswith("O"):
                    MARK.write_text("x")
                tear()
        return [it.lower() for it in items]

    items = [f"i{n}" for n in range(100)]
    items[37], items[70] = "T37", "O70"
    got = []
    in_order(WorkerPool(int(sys.argv[2]), lambda: None, (), task, lambda it: "crashed:" + it), items, got.append)
    print(json.dumps(got))
""")


@pytest.mark.skipif(not LINUX, reason="finds the worker's socket in /proc")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_dying_mid_reply_costs_no_packet_and_never_hangs(tmp_path, jobs):
    r = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "torn-once"), str(jobs)], cwd=ROOT,
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr[-2000:]
    want = [f"i{n}" for n in range(100)]
    want[37], want[70] = "crashed:T37", "o70"  # torn twice: reported; torn once: run again, answered
    assert json.loads(r.stdout) == want
    assert (tmp_path / "torn-once").exists()


def _noop() -> None:
    pass


def _double(items: list[int]) -> list[int]:
    return [2 * i for i in items]


def _fail_on_13(items: list[int]) -> list[int]:
    if 13 in items:
        raise LookupError("no rule for 13")
    return items


def _init_fails() -> None:
    raise RuntimeError("the rules folder vanished")


def _crashed(item):
    return ("crashed", item)


def test_results_come_back_in_input_order_and_no_worker_is_left():
    got: list[int] = []
    in_order(WorkerPool(2, _noop, (), _double, _crashed), range(1000), got.append)
    assert got == [2 * i for i in range(1000)]
    assert multiprocessing.active_children() == []
    assert workers._PARENT_ENDS == []


def test_an_exception_in_a_task_is_raised_in_the_caller_with_the_workers_traceback():
    """A bug in a task is not a crash to retry: it stops the run, as it would with --jobs 1."""
    got: list[int] = []
    with pytest.raises(LookupError, match="no rule for 13") as info:
        in_order(WorkerPool(2, _noop, (), _fail_on_13, _crashed), range(100), got.append)
    assert "_fail_on_13" in str(info.value.__cause__)
    assert got == list(range(len(got))) and len(got) < 100
    assert multiprocessing.active_children() == []


def test_a_failing_initializer_is_raised_not_reported_as_a_crash_per_packet():
    got: list = []
    with pytest.raises(RuntimeError, match="the rules folder vanished"):
        in_order(WorkerPool(2, _init_fails, (), _double, _crashed), range(100), got.append)
    assert got == []
    assert multiprocessing.active_children() == []


def _die_or_double(items: list[tuple[int, str, str]]) -> list[int]:
    """Items are (value, fate, marker file): fate "always" kills the worker every time, "once" only
    the first time (the marker file remembers), "slow" and "late" take a moment and longer, so
    replies arrive out of order and a read-ahead window can finish behind its first chunk."""
    import os
    import time
    from pathlib import Path

    out = []
    for value, fate, marker in items:
        if fate == "always" or (fate == "once" and not Path(marker).exists()):
            Path(marker).touch()
            os._exit(137)
        if fate in ("slow", "late"):
            time.sleep(0.002 if fate == "slow" else 0.05)
        out.append(2 * value)
    return out


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fates=st.lists(st.sampled_from(["ok", "ok", "ok", "slow", "late", "once", "always"]), max_size=150),
       jobs=st.integers(1, 3), chunk=st.integers(1, 40))
@example(fates=["late"] + ["ok"] * 40, jobs=2, chunk=1)  # the whole window done behind its first chunk
@example(fates=["ok"] * 5 + ["once", "always"] + ["ok"] * 30, jobs=2, chunk=4)  # a split chunk, then more
def test_any_mix_of_deaths_and_delays_gives_every_result_once_in_order(tmp_path_factory, fates, jobs, chunk):
    """The pool's whole contract as a property: whatever dies when, and whatever order replies come
    back in, each item gets exactly one result, in input order: its own, or `crashed` when it
    killed a worker twice. (It found the read-ahead stall: a window emptied with no work handed out.)"""
    where = tmp_path_factory.mktemp("marks")
    items = [(n, fate, str(where / f"m{n}")) for n, fate in enumerate(fates)]
    got: list = []
    in_order(WorkerPool(jobs, _noop, (), _die_or_double, _crashed), items, got.append, chunk)
    assert got == [_crashed(it) if it[1] == "always" else 2 * it[0] for it in items]
    assert multiprocessing.active_children() == []


# -- found by review: each of these failed, hung or leaked before its fix ----------------------------
def _exits_at_start() -> None:
    sys.exit(3)


def _dies_at_start() -> None:
    import os

    os._exit(139)  # the engine segfaulting while it loads the rules


def _fails_loudly() -> None:
    raise RuntimeError("x" * 400_000)  # larger than a socket buffer


def _unpicklable(items: list) -> list:
    return [lambda: item for item in items]


def _hold_the_gil(items: list[str]) -> list[str]:
    import time

    if "slow" in items:
        sum(range(10**10))  # one C call: no other thread of this worker runs until it returns
    else:
        time.sleep(1.5)  # long enough for the other worker to be deep in "slow"
    return items


def test_a_failing_start_up_is_raised_however_it_fails_and_never_hangs():
    """A start-up that exits, or dies outright, is an error for the run (not a crash line per
    packet, not a silent exit 3); one whose error is larger than a pipe's buffer, sent while the
    parent was sending it a large chunk, once deadlocked both."""
    with pytest.raises(workers.WorkerError, match="SystemExit"):
        in_order(WorkerPool(2, _exits_at_start, (), _double, _crashed), range(10), [].append)
    with pytest.raises(workers.WorkerError, match="died while starting"):
        in_order(WorkerPool(2, _dies_at_start, (), _double, _crashed), range(10), [].append)
    with pytest.raises(RuntimeError, match="xxxx"):
        in_order(WorkerPool(1, _fails_loudly, (), _double, _crashed), ["y" * 400_000] * 3, [].append)
    assert multiprocessing.active_children() == [] and workers._PARENT_ENDS == []


def test_a_result_that_cannot_be_sent_is_an_error_not_a_crash():
    with pytest.raises(Exception, match="pickle"):
        in_order(WorkerPool(2, _noop, (), _unpicklable, _crashed), range(5), [].append)
    assert multiprocessing.active_children() == []


def test_the_pool_forks_whatever_the_default_start_method():
    """Python 3.14 makes forkserver Linux's default; a forkserver worker's parent is the server,
    so a worker that watches its parent ended at once and every packet came back crashed."""
    code = ("import multiprocessing, sys; multiprocessing.set_start_method('forkserver'); "
            "from engine.base.workers import WorkerPool, in_order; got = []; "
            "in_order(WorkerPool(2, int, (), sorted, repr), [3, 1, 2], got.append, chunk=1); print(got)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[3, 1, 2]"


def test_a_signal_while_a_worker_is_forked_leaves_no_worker(monkeypatch):
    """Ctrl-C is held while a worker is forked and raised right after: the worker it interrupted
    must still be one the pool stops."""
    real = workers._release_signals

    def interrupted(saved, held):
        real(saved, held)
        raise KeyboardInterrupt

    monkeypatch.setattr(workers, "_release_signals", interrupted)
    with pytest.raises(KeyboardInterrupt):
        in_order(WorkerPool(2, _noop, (), _double, _crashed), range(10), [].append)
    assert multiprocessing.active_children() == [] and workers._PARENT_ENDS == []


def test_an_interrupted_run_does_not_wait_for_a_busy_worker():
    """Ctrl-C (here: the first result's emit raising it) while another worker is deep in the
    engine, holding the GIL: the run ends now, not when that packet is done (minutes here), nor
    after a SIGTERM's grace period (10 s: the worker's SIGTERM thread needs the GIL)."""
    import time

    def emit(_):
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        in_order(WorkerPool(2, _noop, (), _hold_the_gil, _crashed), ["quick", "slow"], emit, chunk=1)
    assert time.monotonic() - started < 8
    assert multiprocessing.active_children() == []
