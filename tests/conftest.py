"""Shared test helpers: where the fixtures live, and one way to run the CLI."""
from __future__ import annotations

import signal
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main

# A shell without job control starts a background command (`pytest ... &`, a CI step, a tool that
# runs the suite) with SIGINT ignored, and a process started from it inherits that: the Ctrl-C tests
# would then signal a process that cannot hear it, and the batch would simply finish. What the tests
# start gets SIGINT as a command started from a terminal has it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
INVALID = FIXTURES / "invalid"


def explain(result: Result) -> str:
    """Everything needed to debug a CLI run from the assertion message alone."""
    text = f"exit code {result.exit_code}\n--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}"
    if result.exc_info and not isinstance(result.exception, SystemExit):
        text += "--- exception ---\n" + "".join(traceback.format_exception(*result.exc_info))
    return text


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run `ladder ARGS...` in-process; assert the exit code (unless exit_code=None).

    A failed assertion shows stdout, stderr, the exit code and any traceback. A Python exception
    escaping the CLI always fails the test: bad input must never reach the user as a traceback.
    """

    def run(*args: str | Path, exit_code: int | None = 0, input: str | bytes | None = None) -> Result:
        result = CliRunner().invoke(main, [str(a) for a in args], input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), explain(result)
        if exit_code is not None:
            assert result.exit_code == exit_code, explain(result)
        return result

    return run


def bench_generator():
    """bench/generate.py as a module: realistic, deterministic packets for tests that need many."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- no silent skips in CI ------------------------------------------------------------------------------
# .ci/run sets LADDER_NO_SKIPS=1: a skipped test then fails the run, listed with its reason, so a test
# that quietly stopped testing (a timing race, a missing tool, a shallow clone) cannot pass CI.
# LADDER_ALLOWED_SKIPS names reasons that may still skip (comma-separated words): .ci/run allows
# "chromium" only when Debian's chromium could not be installed on the machine, and says so.
def _disallowed_skips(config) -> list:
    import os

    if not os.environ.get("LADDER_NO_SKIPS"):
        return []
    allowed = [w for w in os.environ.get("LADDER_ALLOWED_SKIPS", "").split(",") if w]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    return [r for r in skipped if not any(w in str(r.longrepr) for w in allowed)]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    bad = _disallowed_skips(config)
    if bad:
        terminalreporter.section("skipped tests fail this run (LADDER_NO_SKIPS)", red=True)
        for r in bad:
            terminalreporter.line(f"{r.nodeid}: {r.longrepr[-1] if isinstance(r.longrepr, tuple) else r.longrepr}")


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0 and _disallowed_skips(session.config):
        session.exitstatus = 1


def real_record(rec: dict) -> dict:
    """A plan record as the real record a person writes in its place: the `planned` marker dropped
    (a packet holding a planned record is invalid) and each person the plan invents (plan-person-N,
    a placeholder no packet may keep) named: one id per placeholder."""
    import copy

    r = {k: v for k, v in copy.deepcopy(rec).items() if k != "planned"}
    for k in ("from", "mentee"):
        pid = r[k].get("id") if isinstance(r.get(k), dict) else None
        if isinstance(pid, str) and pid.startswith("plan-person-"):
            r[k]["id"] = "emp-77" + pid.removeprefix("plan-person-")
    if str(r.get("verified_by", "")).startswith("plan-person-"):
        r["verified_by"] = "emp-77" + r["verified_by"].removeprefix("plan-person-")
    return r
