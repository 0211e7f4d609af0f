"""The HTML report's header and its list of lines that could not be evaluated (engine.outputs.report_html):
the rules versions a page was made under, and an error line without a source named by its place."""
from __future__ import annotations

import json

from engine.outputs.report_html import Report

from conftest import FIXTURES


def verdict_line(run_cli, fixture: str) -> dict:
    return json.loads(run_cli("evaluate", FIXTURES / fixture, "--format", "json").stdout)


def test_the_header_lists_every_rules_version_once_in_order(run_cli):
    line = verdict_line(run_cli, "noor-ashgrove-mid-to-senior-ready.yaml")
    r = Report()
    for version in ("b" * 64, "a" * 64, "b" * 64):
        r.add({**line, "rules_version": version})
    try:
        html = r.render()
    finally:
        r.close()
    assert f"Rules <code>{'a' * 19}…</code>, <code>{'b' * 19}…</code>" in html


def test_an_error_line_without_a_source_is_named_by_its_place_among_the_lines(run_cli):
    line = verdict_line(run_cli, "noor-ashgrove-mid-to-senior-ready.yaml")
    r = Report()
    r.add(line)
    r.add({"error": {"problems": []}})  # the 2nd line: no source
    r.add({"verdict": "ready", "criteria": "not a list"})  # the 3rd: the wrong shape
    try:
        html = r.render()
    finally:
        r.close()
    assert "<li><code>line 2</code>: " in html and "<li><code>line 3</code>: " in html


def test_the_title_names_each_cycle_of_the_verdicts_once(run_cli):
    line = verdict_line(run_cli, "noor-ashgrove-mid-to-senior-ready.yaml")
    r = Report()
    for cycle in ("2026-h2", "2026-h1", "2026-h2"):
        r.add({**line, "candidate": {**line["candidate"], "cycle": cycle}})
    try:
        html = r.render()
    finally:
        r.close()
    assert "<h1>Promotion cycle 2026-h1, 2026-h2</h1>" in html
