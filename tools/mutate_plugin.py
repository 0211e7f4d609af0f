"""The pytest side of tools/mutate.py (loaded with `-p mutate_plugin`, tools/ on the path).

When the coverage map is built (MUTATE_DURATIONS set): each test is its own coverage context (its
node id, given to coverage.py in this process and, through MUTATE_TEST in the environment, to the
subprocesses and forked workers it starts), and its duration and outcome are written to
MUTATE_DURATIONS at the end of the session.

When a mutant is judged (MUTATE_SELECT set): only the node ids listed in that JSON file are run, in
its order; ids that were not collected are written next to it (MUTATE_SELECT + ".missing") so the
runner can tell "a test failed" from "the selection could not be run".
"""
from __future__ import annotations

import json
import os
import time

import pytest

_TIMES: dict[str, float] = {}
_FAILED: set[str] = set()


def _coverage():
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage.current()


_FAILED_NOW: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if os.environ.get("MUTATE_DURATIONS"):
        os.environ["MUTATE_TEST"] = item.nodeid  # the static context of the subprocesses it starts
        cov = _coverage()
        if cov is not None:
            cov.switch_context(item.nodeid)
    t0 = time.perf_counter()
    yield
    _TIMES[item.nodeid] = _TIMES.get(item.nodeid, 0.0) + time.perf_counter() - t0


def pytest_runtest_logreport(report):
    if report.failed:
        _FAILED.add(report.nodeid)
        _FAILED_NOW.append(report.nodeid)
        killer = os.environ.get("MUTATE_KILLER")  # the first test a mutant failed, for the runner's order
        if killer and not os.path.exists(killer):
            with open(killer, "w", encoding="utf-8") as f:
                f.write(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("MUTATE_DURATIONS")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"durations": _TIMES, "failed": sorted(_FAILED)}, f)


def pytest_collection_modifyitems(session, config, items):
    path = os.environ.get("MUTATE_SELECT")
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        wanted = json.load(f)
    by_id = {it.nodeid: it for it in items}
    missing = [n for n in wanted if n not in by_id]
    if missing:
        with open(path + ".missing", "w", encoding="utf-8") as f:
            json.dump(missing, f)
    keep = set(wanted)
    config.hook.pytest_deselected(items=[it for it in items if it.nodeid not in keep])
    items[:] = [by_id[n] for n in wanted if n in by_id]


# -- the session server: collect once, run each mutant's tests in a fork ---------------------------------
# With MUTATE_SERVE="<read fd>,<write fd>" the session collects the tests and then, instead of running
# them, answers requests (a JSON line each): {"patch": {...}, "ids": [...], "timeout": s}. Each is run in
# a fork: the mutated function's code object is put in place of the original's (every reference to the
# function sees it: `from .x import f` holds the same function object) and the listed tests run in
# order, stopping at the first failure. The answer is {"rc": 0 passed, 1 failed, -1 hung, 99 could not
# patch (the caller then runs the mutant the slow way, in a fresh interpreter)}.


def _unwrap(obj):
    """The plain functions behind a class attribute or module name (property, staticmethod...)."""
    import types

    todo, out = [obj], []
    while todo:
        o = todo.pop()
        if isinstance(o, types.FunctionType):
            out.append(o)
        elif isinstance(o, (staticmethod, classmethod)):
            todo.append(o.__func__)
        elif isinstance(o, property):
            todo += [f for f in (o.fget, o.fset, o.fdel) if f is not None]
        elif hasattr(o, "__wrapped__"):
            todo.append(o.__wrapped__)
        elif hasattr(o, "func") and not isinstance(o, type):  # functools.cached_property, partial
            todo.append(o.func)
    return out


def _codes(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_qualname"):
            yield from _codes(c)


def patch(module: str, file: str, source: str, qualname: str, first: int) -> bool:
    """Put the mutated `qualname` of `module` (from `source`) in place; True when done or when the
    module is not imported yet (it is then imported from the mutated file)."""
    import sys

    mod = sys.modules.get(module)
    if mod is None:
        return True
    new = [c for c in _codes(compile(source, file, "exec")) if c.co_qualname == qualname and c.co_firstlineno == first]
    obj = mod
    for part in qualname.split("."):
        obj = vars(obj).get(part) if hasattr(obj, "__dict__") else None
        if obj is None:
            return False
    live = [f for f in _unwrap(obj) if f.__code__.co_qualname == qualname and f.__code__.co_firstlineno == first]
    if len(new) != 1 or len(live) != 1:
        return False
    try:
        live[0].__code__ = new[0]
    except ValueError:  # other free variables
        return False
    for v in list(vars(mod).values()):  # results cached from the original code
        for f in [v, *(vars(v).values() if isinstance(v, type) else ())]:
            clear = getattr(f, "cache_clear", None)
            if callable(clear):
                try:
                    clear()
                except Exception:  # noqa: BLE001
                    pass
    return True


def _run_items(session, ids: list[str]) -> int:
    by_id = {it.nodeid: it for it in session.items}
    items = [by_id[i] for i in ids if i in by_id]
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nxt)
        if _FAILED_NOW:
            return 1
    return 0 if len(items) == len(ids) else 98


def _serve_session(session) -> None:
    import json
    import signal
    import sys
    import traceback

    r, w = (int(x) for x in os.environ["MUTATE_SERVE"].split(","))
    reqs = os.fdopen(r, "r", encoding="utf-8")
    os.write(w, (json.dumps({"ready": len(session.items)}) + "\n").encode())
    for line in reqs:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 70
            err = os.dup(2)
            try:
                os.setpgid(0, 0)
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                sys.dont_write_bytecode = True
                os.environ.update(req.get("env", {}))
                code = 99
                if patch(**req["patch"]):
                    code = _run_items(session, req["ids"])
            except BaseException:  # noqa: BLE001 - logged, and the slow way decides
                os.write(err, traceback.format_exc().encode())
                code = 99
            finally:
                os._exit(code)
        deadline = time.monotonic() + req["timeout"]
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                rc = os.waitstatus_to_exitcode(status)
                rc = rc if rc >= 0 else 1
                break
            if time.monotonic() > deadline:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                rc = -1
                break
            time.sleep(0.005)
        os.write(w, (json.dumps({"rc": rc}) + "\n").encode())


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if not os.environ.get("MUTATE_SERVE"):
        return None
    _serve_session(session)
    return True
