"""Worker processes for batch, audit --jobs and reverify --jobs: a pool that a dead worker cannot
hang, and results in input order.

durable_rules holds the GIL and is not thread-safe, so workers are processes, each with one
engine built once. The engine's C core can segfault and the OOM killer picks the biggest process,
so a worker may die at any moment, even halfway through sending a result.

Why not concurrent.futures.ProcessPoolExecutor: its workers share one result pipe guarded by one
lock. A worker killed while it writes a result leaves that lock held and half a message in the
pipe; the other workers wait for the lock and the executor's reader waits for the rest of the
message, for ever. Measured on Python 3.11.7: 1 run in 7 of a 1,500-packet batch hung when one
worker was SIGKILLed (tests/test_faults.py). Here each worker has its own pipe, and only the parent
holds the other end: a worker's death is the end of its pipe (EOF), a torn message included, and
costs only the packets that worker held. Those are run again one at a time, on any worker; a
packet on which a worker dies twice when run alone is reported by `crashed(item)`. A worker is
sent work only once its initializer has run and it has said so; a failing initializer, or a task
that raises, stops the run with the worker's traceback (a bug, not a crash to retry).

A worker never outlives its parent, ignores Ctrl-C (the parent stops the pool itself) and obeys
SIGTERM only from its parent: see _worker_signals.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

_FORKING = False  # True while the pool forks a worker
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL = 0.5  # seconds: how often a worker checks that its parent is alive
STOP_WAIT = 10.0  # seconds a worker is given to end before it is killed
MAX_STILLBORN = 3  # workers in a row dying before they are ready: the run stops
_PARENT_ENDS: list[Connection] = []  # the parent's ends of the live workers' pipes (a child closes its copies)


# -- signals, in the worker ---------------------------------------------------------------------
def _worker_signals_after_fork() -> None:
    """In a worker, right after the fork, before it runs any other Python (see _worker_signals)."""
    if _FORKING:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if hasattr(signal, "pthread_sigmask"):
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # held for _sigterm_waiter
        except ValueError:  # forked from another thread: _worker_signals does it a moment later
            pass


if hasattr(os, "register_at_fork"):  # POSIX; with spawn (no fork) no handler is inherited anyway
    os.register_at_fork(after_in_child=_worker_signals_after_fork)


def _die_with_parent(parent: int, from_main_thread: bool) -> None:
    """A worker never outlives its parent, however the parent died (kill -9, the OOM killer).

    Measured before this: the parent SIGKILLed mid-batch left both workers running under init for
    48 s and more. On Linux the kernel kills the worker the moment its parent dies
    (PR_SET_PDEATHSIG). That signal follows the *thread* that forked the worker, so it is asked
    for only when the main thread forked it (a worker must not die with a helper thread); the
    waiter thread of _worker_signals, which polls getppid(), covers every other case within
    PARENT_POLL seconds. The parent may have died before this ran: check once now."""
    if from_main_thread and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the waiter thread still watches
            pass
    if os.getppid() != parent:
        os._exit(128 + signal.SIGKILL)


def _worker_signals(parent: int, from_main_thread: bool) -> None:
    """Workers ignore Ctrl-C, obey SIGTERM only from their parent, and end when their parent is
    gone (_die_with_parent).

    The parent handles Ctrl-C and SIGTERM and stops the pool itself. A `kill -TERM -PGID` (timeout,
    a CI cancel) also reaches every worker: one that inherited the parent's handler raised
    KeyboardInterrupt (a traceback each). So a thread waits for SIGTERM and exits the worker only
    if the parent sent it, or the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent, from_main_thread)
    if not hasattr(signal, "sigtimedwait"):  # not POSIX: keep the default (die on SIGTERM)
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

    def _sigterm_waiter() -> None:
        while True:
            info = signal.sigtimedwait({signal.SIGTERM}, PARENT_POLL)
            if os.getppid() != parent or (info is not None and info.si_pid == parent):
                os._exit(128 + signal.SIGTERM)

    threading.Thread(target=_sigterm_waiter, name="ladder-sigterm", daemon=True).start()


def _hold_signals(held: list[int]) -> dict:
    """Note SIGINT/SIGTERM instead of acting on them (main thread only); see WorkerPool._spawn."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, lambda signum, frame: held.append(signum)) for sig in _SIGNALS}


def _release_signals(saved: dict, held: list[int]) -> None:
    for sig, handler in saved.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    if held:
        signal.raise_signal(held[0])  # delivered now, at a safe point


# -- the worker's loop --------------------------------------------------------------------------
class WorkerError(Exception):
    """A task raised in a worker: a bug in ladder. Carries the worker's traceback as text."""


def _portable(exc: BaseException) -> tuple[BaseException, str]:
    """`exc` if it survives pickling (else a WorkerError naming it), and the worker's traceback."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickle.loads(pickle.dumps(exc))
        return exc, tb
    except Exception:  # noqa: BLE001 - any exception type may fail to pickle in its own way
        return WorkerError(f"{type(exc).__name__} in a worker"), tb


def _reply(conn: Connection, status: str, payload: Any) -> None:
    """Send (status, payload), pickled first: a payload that cannot be pickled is sent as the
    failure it is, not a dead worker (which the parent would take for a crash and retry)."""
    try:
        data = ForkingPickler.dumps((status, payload))
    except Exception as exc:  # noqa: BLE001 - any object may fail to pickle in its own way
        data = ForkingPickler.dumps(("failed", _portable(exc)))
    conn.send_bytes(data)


def _worker_main(
    conn: Connection,
    forker: tuple[int, bool],
    initializer: Callable[..., None],
    initargs: tuple,
    task: Callable[[list], list],
) -> None:
    for other in _PARENT_ENDS:  # inherited over fork: holding them would keep a sibling's pipe open
        other.close()
    _worker_signals(*forker)
    try:
        initializer(*initargs)
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: reported to the parent, which raises it
        if not isinstance(exc, Exception):  # not a SystemExit in the parent: that would end it quietly
            exc = WorkerError(f"{type(exc).__name__}({exc}) while a worker started")
        _reply(conn, "failed", _portable(exc))
        return
    _reply(conn, "ready", None)  # only now is it sent work: a send to it cannot wait on its start-up
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):  # the parent is gone or closed the pool
            return
        if items is None:
            return
        try:
            _reply(conn, "ok", task(items))
        except Exception as exc:  # noqa: BLE001 - as above
            _reply(conn, "failed", _portable(exc))


# -- the parent's side --------------------------------------------------------------------------
@dataclass(eq=False)
class _Part:
    """Packets sent to one worker as one task; `slot` is the input chunk they belong to."""

    items: list
    slot: _Slot
    deaths: int = 0  # how many workers died holding this part
    results: list | None = None


@dataclass(eq=False)
class _Slot:
    """One input chunk, in input order; split into one-packet parts after a worker died on it."""

    parts: list[_Part] = field(default_factory=list)

    def done(self) -> bool:
        return all(p.results is not None for p in self.parts)


@dataclass(eq=False)
class _Worker:
    proc: Any
    conn: Connection
    ready: bool = False  # its initializer has run: it may be sent work
    part: _Part | None = None


CHUNK = 32  # packets per task: amortises inter-process overhead


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list]:
    chunk: list = []
    for it in items:
        chunk.append(it)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def in_order(
    pool: WorkerPool, items: Iterable[Any], emit: Callable[[Any], None], chunk: int = CHUNK, live: bool = False
) -> None:
    """Stream items through the pool in chunks, a bounded window read ahead (memory stays flat),
    calling emit(result) once per item, in input order; the pool is closed however this ends.

    live=True (a pipe on stdin): items are read by a thread and a chunk is whatever has arrived
    (1 to `chunk` items), so a slow writer's packet is evaluated and emitted while the next one is
    still on its way, instead of waiting for a full chunk or for the end of the input."""
    source: Iterable[list] | Prefetch = Prefetch(items, chunk) if live else chunks(items, chunk)
    pool.run(source, emit, window=max(2, pool.jobs * 4))


class Prefetch:
    """Chunks of what a reader thread has read so far: get(block) returns a chunk (at least one
    item, at most `size`), None at the end, or NOT_YET when nothing has arrived and block is False.
    An exception from the input is raised by get(), in the caller's thread."""

    _END = object()

    def __init__(self, items: Iterable[Any], size: int):
        self.size = size
        self.q: queue.Queue = queue.Queue(maxsize=size * 8)
        self.done = False
        self.t = threading.Thread(target=self._read, args=(iter(items),), name="ladder-input", daemon=True)
        self.t.start()

    def _read(self, it: Iterator[Any]) -> None:
        try:
            for x in it:
                self.q.put((True, x))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.q.put((False, exc))
            return
        self.q.put((True, self._END))

    def _take(self, ok_x: tuple[bool, Any]) -> Any:
        ok, x = ok_x
        if not ok:
            raise x
        return x

    def get(self, block: bool) -> Any:  # a chunk (list), None at the end, or NOT_YET
        if self.done:
            return None
        try:
            first = self._take(self.q.get(block))
        except queue.Empty:
            return NOT_YET
        if first is self._END:
            self.done = True
            return None
        out = [first]
        while len(out) < self.size:
            try:
                x = self._take(self.q.get_nowait())
            except queue.Empty:
                break
            if x is self._END:
                self.done = True
                break
            out.append(x)
        return out


NOT_YET = object()  # Prefetch.get(block=False): nothing has arrived yet


class WorkerPool:
    """`jobs` worker processes, each running initializer(*initargs) once and then task(chunk) for
    each chunk it is sent. run() streams chunks through them and emits every result in input order."""

    def __init__(
        self,
        jobs: int,
        initializer: Callable[..., None],
        initargs: tuple,
        task: Callable[[list], list],
        crashed: Callable[[Any], Any],
    ):
        self.jobs = max(1, jobs)
        self.initializer, self.initargs, self.task, self.crashed = initializer, initargs, task, crashed
        # fork where there is one: the pool relies on it (at-fork signal handling, closing inherited
        # pipe ends), and a forkserver worker's parent is the server, not us (_die_with_parent)
        self.ctx = (
            multiprocessing.get_context("fork")
            if "fork" in multiprocessing.get_all_start_methods()
            else multiprocessing.get_context("spawn")
        )
        self.stillborn = 0  # workers in a row that died before they were ready
        self.workers: list[_Worker] = []

    def _spawn(self) -> _Worker:
        """Fork (or spawn) one worker. A Ctrl-C or SIGTERM is held until it is done: raised inside the
        fork it could be swallowed by an at-fork hook (the run then ended 0, as if never
        interrupted) or leave a worker half set up."""
        global _FORKING
        held: list[int] = []
        saved = _hold_signals(held)
        forker = (os.getpid(), threading.current_thread() is threading.main_thread())
        _FORKING = True
        try:
            mine, theirs = self.ctx.Pipe(duplex=True)
            proc = self.ctx.Process(
                target=_worker_main,
                name="ladder-worker",
                daemon=True,
                args=(theirs, forker, self.initializer, self.initargs, self.task),
            )
            _PARENT_ENDS.append(mine)  # listed before the fork: the worker closes its copy of our end too
            try:
                proc.start()
            except BaseException:
                _PARENT_ENDS.remove(mine)
                mine.close()
                raise
            finally:
                theirs.close()  # only the worker holds its end now: its death is our EOF
            w = _Worker(proc, mine)
            self.workers.append(w)  # before a held signal is raised: close() must see it
            return w
        finally:
            _FORKING = False
            _release_signals(saved, held)

    def run(self, chunks: Iterable[list] | Prefetch, emit: Callable[[Any], None], window: int) -> None:
        """Send every chunk to a worker, at most `window` chunks read ahead, and emit each chunk's
        results in input order; the pool is closed however this ends."""
        slots: deque[_Slot] = deque()
        todo: deque[_Part] = deque()  # parts waiting for a worker; a retried part goes first
        source = chunks if isinstance(chunks, Prefetch) else iter(chunks)
        more = True
        try:
            while True:  # emit what is done, read ahead, hand out work, wait: in that order
                while slots and slots[0].done():
                    slot = slots.popleft()
                    for part in slot.parts:
                        for result in part.results or ():
                            emit(result)
                    slot.parts.clear()  # parts point back at their slot: free them now, not at the next gc
                while more and len(slots) < window:
                    # a live input blocks only when nothing is in flight: else results go out first
                    chunk = source.get(block=not slots) if isinstance(source, Prefetch) else next(source, None)
                    if chunk is NOT_YET:
                        break
                    if chunk is None:
                        more = False
                        break
                    slot = _Slot()
                    slot.parts.append(_Part(chunk, slot))
                    slots.append(slot)
                    todo.append(slot.parts[0])
                if not slots and not more:
                    return
                self._dispatch(todo)
                self._wait(todo)
        finally:
            self.close()

    def _dispatch(self, todo: deque[_Part]) -> None:
        """Start workers up to `jobs` while parts wait for one, and give waiting parts to workers
        that are ready and idle: such a worker is reading, so the send cannot wait on it."""
        while len(self.workers) < self.jobs and len(todo) > sum(w.part is None for w in self.workers):
            self._spawn()
        for w in self.workers:
            if w.ready and w.part is None and todo:
                w.part = todo.popleft()
                try:
                    w.conn.send(w.part.items)
                except OSError:  # it died: _wait sees its end
                    pass

    def _wait(self, todo: deque[_Part]) -> None:
        """Wait until a worker replies, becomes ready or dies, and take what it said."""
        by_key: dict[Any, _Worker] = {}
        for w in self.workers:
            by_key[w.conn] = w
            by_key[w.proc.sentinel] = w
        for key in wait(list(by_key)):
            w = by_key[key]
            if w not in self.workers:  # already handled through its other key
                continue
            if key is w.conn and self._receive(w):
                continue
            self._bury(w, todo)
        self._dispatch(todo)  # a worker that just replied gets its next part before results are emitted

    def _receive(self, w: _Worker) -> bool:
        """Take the worker's message; False if it is dead (its pipe ended, maybe mid-message)."""
        try:
            status, payload = w.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            return False
        if status == "failed":
            exc, tb = payload
            raise exc from WorkerError(tb)
        if status == "ready":
            w.ready, self.stillborn = True, 0
        elif w.part is not None:
            w.part.results = payload
            w.part = None
        return True

    def _bury(self, w: _Worker, todo: deque[_Part]) -> None:
        """A worker died: take any whole reply it sent first, then run what it held again, one
        packet at a time; a packet on which a worker dies twice when run alone is reported by
        `crashed`. Workers that keep dying before they are ready (the engine crashing as it
        loads the rules) stop the run: no packet could be evaluated."""
        while w.part is not None and w.conn.poll(0) and self._receive(w):
            pass
        if w.proc.is_alive():  # its pipe has ended: it is dead or about to be
            w.proc.kill()
        self._end(w, time.monotonic() + STOP_WAIT)
        self.workers.remove(w)
        if not w.ready:
            self.stillborn += 1
            if self.stillborn >= MAX_STILLBORN:
                raise WorkerError(
                    f"{MAX_STILLBORN} worker processes in a row died while starting "
                    f"(last exit status {w.proc.exitcode})"
                )
        part = w.part
        if part is None:
            return
        part.deaths += 1
        slot = part.slot
        at = slot.parts.index(part)
        if len(part.items) > 1:
            singles = [_Part([item], slot) for item in part.items]
            slot.parts[at : at + 1] = singles
            todo.extendleft(reversed(singles))
        elif part.deaths >= 2:
            part.results = [self.crashed(part.items[0])]
        else:
            todo.appendleft(part)

    def _end(self, w: _Worker, deadline: float) -> None:
        w.proc.join(max(0.0, deadline - time.monotonic()))
        if w.proc.is_alive():
            w.proc.kill()
            w.proc.join()
        if w.conn in _PARENT_ENDS:
            _PARENT_ENDS.remove(w.conn)
        w.conn.close()

    def close(self) -> None:
        """Stop every worker: an idle one is told to end (and given STOP_WAIT seconds, all together);
        a busy or starting one (the run was interrupted or failed) is killed, since its work is
        discarded: a SIGTERM would wait for the GIL, which the engine holds while it runs."""
        for w in self.workers:
            try:
                if w.ready and w.part is None:
                    w.conn.send(None)
                else:
                    w.proc.kill()
            except OSError:
                pass
        deadline = time.monotonic() + STOP_WAIT
        for w in self.workers:
            self._end(w, deadline)
        self.workers.clear()
