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
