"""`ladder case`: one candidate's promotion case on one page (engine/committee/case.py).

Each section on the bundled fixtures, in markdown and HTML; redaction; the same bytes for the same
inputs; located errors and the exit codes of the other commands; hostile values shown, never run;
and the page in headless Chromium (it renders, prints to PDF, asks for nothing; docs/case.png)."""
from __future__ import annotations

import os
import re
import shutil
import sys
from html.parser import HTMLParser

import pytest
import yaml

from conftest import FIXTURES, ROOT

CASPIAN = FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml"  # one required gap; a decision overriding it
NOOR = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"  # ready; a record confirmed by verified_by
DECISIONS = FIXTURES / "decisions-2026-h1.csv"
TODAY = ("--today", "2026-12-31")


def case(run_cli, *args, exit_code=0):
    return run_cli("case", *args, *TODAY, exit_code=exit_code)


def section(md: str, heading: str) -> str:
    """The markdown between `## heading` and the next `## `."""
    m = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## |^---$|\Z)", md, re.M | re.S)
    assert m, f"no section {heading!r} in:\n{md}"
    return m.group(1)


def text_of(html: str) -> str:
    """What a reader sees: the page's text, entities decoded, style left out."""
    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.out, self.skip = [], False

        def handle_starttag(self, tag, attrs):
            self.skip = tag in ("style", "script", "title")

        def handle_endtag(self, tag):
            self.skip = False

        def handle_data(self, data):
            if not self.skip:
                self.out.append(data)

    p = P()
    p.feed(html)
    return " ".join(" ".join(p.out).split())


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Two cycles' results: Caspian in 2026-h1 (not ready) and 2026-h2 (ready), another candidate too."""
    from click.testing import CliRunner

    from cli import main

    d = tmp_path_factory.mktemp("history")
    files = []
    for name, packets in (("h1.jsonl", [CASPIAN, NOOR]), ("h2.jsonl", [FIXTURES / "cycle-2026-h2" / "caspian-thistlewood.yaml"])):
        out = d / name
        r = CliRunner().invoke(main, ["batch", *map(str, packets), "--out", str(out), "--quiet", "--jobs", "1", *TODAY])
        assert r.exit_code == 0, r.output
        files.append(out)
    return files


# -- each section --------------------------------------------------------------------------------------------
def test_the_candidate_and_the_verdict_in_a_sentence(run_cli):
    md = case(run_cli, CASPIAN, "--format", "markdown").stdout
    assert md.startswith("# Promotion case: Caspian Thistlewood (emp-1054)\n")
    assert "- **Level:** Mid-Level Product Manager (mid-pm) → Senior Product Manager (senior-pm)" in md
    assert "- **Track:** management" in md
    assert ("**Verdict: not ready.** Caspian Thistlewood is not yet ready for Senior Product Manager: "
            "1 of 8 required criteria open.") in md
    h2 = case(run_cli, FIXTURES / "cycle-2026-h2" / "caspian-thistlewood.yaml", "--format", "markdown").stdout
    assert "- **Org:** Logistics" in h2 and "- **Cycle:** 2026-h2" in h2
    assert "**Verdict: ready.** Caspian Thistlewood is ready for Senior Product Manager" in h2


def test_met_criteria_cite_their_evidence_with_titles_dates_and_who_confirmed_it(run_cli):
    md = case(run_cli, CASPIAN, "--format", "markdown").stdout
    met = section(md, "What is met")
    assert "- **Gets small things shipped on time and at the quality bar** — required · mid-pm · mid-pm.ships-reliably" in met
    assert ("  - ev-01: Route optimisation for same-day couriers (shipped outcome), 2025-06-24; "
            "not confirmed by anyone else") in met
    assert "feedback from a cross-functional partner (Engineering manager, Routing), emp-0650, rated 4 of 5, 2026-02-18" in met
    assert "senior-pm.aligns-teams" not in met
    noor = section(case(run_cli, NOOR, "--format", "markdown").stdout, "What is met")
    assert "; confirmed by emp-2210" in noor


def test_what_is_open_says_what_was_found(run_cli):
    md = case(run_cli, CASPIAN, "--format", "markdown").stdout
    req = section(md, "What is open: required")
    assert "**Keeps people in several roles aligned, as their feedback shows** — required · senior-pm · senior-pm.aligns-teams" in req
    assert "still needs 1 more different from.relationship value" in req
    assert "  - found ev-07: feedback from their manager (Director of Product, Logistics)" in req
    assert "  - nearest: ev-09: rating is 3; needs ≥ 4" in req
    sup = section(md, "What is open: supporting")
    assert "senior-pm.discovery-discipline" in sup and "senior-pm.mentors-pms" in sup
    assert sup.index("senior-pm.leads-independently") < sup.index("senior-pm.mentors-pms")  # the rules' order


def test_the_plan_is_sentences_to_hand_over_never_record_dumps(run_cli):
    md = case(run_cli, CASPIAN, "--format", "markdown").stdout
    plan = section(md, "Development plan")
    assert ("1. Ask your manager's manager for written feedback on how you worked together. "
            "This shows: Keeps people in several roles aligned, as their feedback shows.") in plan
    for path in sorted(FIXTURES.glob("*.yaml")):
        md = case(run_cli, path, "--format", "markdown").stdout
        if "## Development plan" not in md:
            assert "**Verdict: ready.**" in md, path.name
            continue
        steps = [x for x in section(md, "Development plan").splitlines() if re.match(r"\d+\. ", x)]
        assert steps, path.name
        for s in steps:
            # a sentence: a capital verb first, a full stop last; no ids, dates, field names or lists of the record
            assert re.match(r"\d+\. [A-Z][a-z]", s) and s.endswith("."), s
            assert not re.search(r"plan-\d|plan-person|\d{4}-\d\d-\d\d|\b(dated|activity|relationship|"
                                 r"rating|kind|scope|role|planned)\b|\[|_", s), s


def test_the_plan_groups_like_steps_and_a_ready_or_no_plan_case_has_none(run_cli):
    md = case(run_cli, FIXTURES / "ilse-marchetti-vos-director-to-vp-not-ready.yaml", "--format", "markdown").stdout
    plan = section(md, "Development plan")
    assert "Ask three different cross-functional partners you worked with this half for written feedback" in plan
    assert "Mentor two product managers at the Associate Product Manager / Product Manager level, each for" in plan
    assert "## Development plan" not in case(run_cli, NOOR, "--format", "markdown").stdout
    assert "## Development plan" not in case(run_cli, CASPIAN, "--format", "markdown", "--no-plan").stdout


def test_the_adjacent_paths_are_shown_strongest_first(run_cli):
    import json

    md = case(run_cli, CASPIAN, "--format", "markdown").stdout
    paths = section(md, "Adjacent career paths")
    fits = json.loads(run_cli("paths", CASPIAN, "--format", "json", *TODAY).stdout)["paths"]
    heads = re.findall(r"^- \*\*(.+?)\*\* — (\w+) fit", paths, re.M)
    assert [h for h, _ in heads] == [p["title"].replace("&", "\\&") for p in fits]
    assert [f for _, f in heads] == [("no" if p["fit"] == "none" else p["fit"]) for p in fits]
    assert "a career-conversation aid, never a promotion verdict" in paths.lower()
    assert "still missing:" in paths and "Route optimisation for same-day couriers" in paths


def test_committee_decisions_from_files_and_the_packet(run_cli, tmp_path):
    md = case(run_cli, CASPIAN, "--format", "markdown", "--decisions", DECISIONS).stdout
    dec = section(md, "Committee decisions")
    assert f"- **2026-h1: promoted** — {DECISIONS}:6 ⚑" in dec
    assert "  - decided on 2026-07-09" in dec
    assert "  - criteria judged differently from the rules: senior-pm.aligns-teams → met" in dec
    assert "  - reason: Design and data leads spoke for the alignment work in the meeting" in dec
    assert "the rules said not ready, which pairs with not promoted: the committee decided otherwise" in dec
    assert "No decision recorded" in section(case(run_cli, CASPIAN, "--format", "markdown").stdout, "Committee decisions")
    # the packet's own committee: section, for its cycle
    data = yaml.safe_load(CASPIAN.read_text(encoding="utf-8"))
    data["candidate"]["cycle"] = "2026-h1"
    data["committee"] = {"decision": "deferred", "decided_on": "2026-07-20", "reason": "Asked for written feedback first.",
                         "overrides": "senior-pm.aligns-teams=unmet"}
    p = tmp_path / "caspian.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    dec = section(case(run_cli, p, "--format", "markdown", "--decisions", DECISIONS).stdout, "Committee decisions")
    assert f"- **2026-h1: deferred** — {p}: committee ⚑" in dec
    assert "reason: Asked for written feedback first." in dec and "senior-pm.aligns-teams → unmet" in dec
    assert dec.index("promoted") < dec.index("deferred")  # the file's row, then the packet's own


def test_history_lists_this_candidates_verdicts_only(run_cli, history):
    h1, h2 = history
    md = case(run_cli, FIXTURES / "cycle-2026-h2" / "caspian-thistlewood.yaml", "--format", "markdown",
              "--history", h1, "--history", h2).stdout
    hist = section(md, "History")
    assert f"- **not ready** — {h1}:1" in hist and f"- **ready** — {h2}:1" in hist
    assert "required criteria open: senior-pm.aligns-teams" in hist
    assert "mid-pm → senior-pm · cycle 2026-h2 · as of" in hist
    assert "emp-0988" not in hist and hist.count("- **") == 2
    assert "## History" not in case(run_cli, CASPIAN, "--format", "markdown").stdout
    other = section(case(run_cli, FIXTURES / "wren-halloway-external-to-associate-not-ready.yaml", "--format",
                         "markdown", "--history", h1).stdout, "History")
    assert "No earlier verdict for this candidate" in other


def test_the_html_page_has_every_section_and_is_self_contained(run_cli, tmp_path, history):
    out = tmp_path / "case.html"
    r = case(run_cli, CASPIAN, "--decisions", DECISIONS, "--history", history[0], "--out", out)
    assert r.stdout == "" and str(out) in r.stderr
    page = out.read_text(encoding="utf-8")
    text = text_of(page)
    for want in ("Promotion case: Caspian Thistlewood (emp-1054)", "not ready — Caspian Thistlewood is not yet ready",
                 "What is met (12)", "ev-01: Route optimisation for same-day couriers (shipped outcome), 2025-06-24",
                 "What is open: required (1)", "Development plan",
                 "Ask your manager's manager for written feedback on how you worked together.",
                 "Adjacent career paths", "Committee decisions", "2026-h1: promoted",
                 "reason: Design and data leads spoke for the alignment work", "History"):
        assert want in text, want
    # nothing to fetch, no script; the one style block allowed by its hash; print CSS
    assert "<script" not in page and not re.search(r"\b(src|href)=", page) and "@import" not in page
    import html as html_mod
    csp = html_mod.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1))
    assert "script-src 'none'" in csp and "default-src 'none'" in csp and "@media print" in page
    from engine.committee.case import _CSS
    from engine.base.escape import csp_hash
    assert csp_hash(_CSS) in csp


# -- redaction and determinism -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_redact_leaves_names_and_free_text_out(run_cli, fmt, tmp_path, history):
    data = yaml.safe_load(CASPIAN.read_text(encoding="utf-8"))
    data["candidate"]["cycle"] = "2026-h1"
    data["committee"] = {"decision": "promoted", "decided_on": "2026-07-09", "reason": "SECRET-packet-reason"}
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    plain = case(run_cli, p, "--format", fmt, "--decisions", DECISIONS, "--history", history[0]).stdout
    red = case(run_cli, p, "--format", fmt, "--decisions", DECISIONS, "--history", history[0], "--redact").stdout
    secrets = ["Caspian", "Thistlewood", "Route optimisation", "Engineering manager, Routing", "Owns the numbers",
               "Design and data leads", "SECRET-packet-reason"]
    for s in secrets:
        assert s in plain, s
        assert s not in red, s
    assert "emp-1054" in red and "senior-pm.aligns-teams" in red and "(left out: --redact)" in red


def test_the_same_inputs_give_the_same_bytes(run_cli, tmp_path, history):
    args = (CASPIAN, "--decisions", DECISIONS, "--history", history[0], "--history", history[1])
    for fmt in ("html", "markdown"):
        a = case(run_cli, *args, "--format", fmt).stdout
        assert a == case(run_cli, *args, "--format", fmt).stdout
        out = tmp_path / f"case.{fmt}"
        case(run_cli, *args, "--format", fmt, "--out", out)
        assert out.read_bytes() == a.encode("utf-8")  # a file holds what stdout shows
    # the packet as JSON with its keys in another order: the same page, less the source it names
    data = yaml.safe_load(CASPIAN.read_text(encoding="utf-8"))
    j = tmp_path / "caspian.json"
    import json
    j.write_text(json.dumps(dict(reversed(list(data.items()))), default=str), encoding="utf-8")
    assert case(run_cli, j, "--format", "markdown").stdout == case(run_cli, CASPIAN, "--format", "markdown").stdout


def test_stdin_is_read_as_one_packet(run_cli):
    r = run_cli("case", "-", "--format", "markdown", *TODAY, input=CASPIAN.read_text(encoding="utf-8"))
    assert "Caspian Thistlewood is not yet ready" in r.stdout


# -- errors ---------------------------------------------------------------------------------------------------------
def test_an_invalid_packet_is_named_by_file_line_and_field_and_writes_nothing(run_cli, tmp_path):
    out = tmp_path / "case.html"
    bad = FIXTURES / "invalid" / "duplicate-evidence-id.yaml"
    r = case(run_cli, bad, "--out", out, exit_code=3)
    assert re.search(rf"^{re.escape(str(bad))}:\d+: /evidence/1/id: .*used twice", r.stderr, re.M), r.stderr
    assert "Traceback" not in r.output and not out.exists()
    r = case(run_cli, tmp_path / "missing.yaml", exit_code=3)
    assert "missing.yaml" in r.stderr and "Traceback" not in r.output


def test_a_bad_decisions_file_is_located_and_the_page_still_written(run_cli, tmp_path):
    bad = tmp_path / "decisions.csv"
    bad.write_text("cycle,candidate_id,decision,decided_on,reason,overrides\n"
                   "2026-h1,emp-1054,promotd,2026-07-09,x,\n"
                   "2026-h1,emp-1054,promoted,2026-02-30,y,\n", encoding="utf-8")
    out = tmp_path / "case.md"
    r = case(run_cli, CASPIAN, "--format", "markdown", "--decisions", bad, "--out", out, exit_code=3)
    assert f"{bad}:2: decision: 'promotd' is not a decision; did you mean 'promoted'?" in r.stderr
    assert f"{bad}:3: decided_on: '2026-02-30' is not a real calendar date" in r.stderr
    assert "No decision recorded" in section(out.read_text(encoding="utf-8"), "Committee decisions")


def test_history_files_missing_or_broken(run_cli, tmp_path, history):
    r = case(run_cli, CASPIAN, "--history", tmp_path / "gone.jsonl", exit_code=2)
    assert "gone.jsonl: no such file" in r.stderr and "Traceback" not in r.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(history[0].read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    r = case(run_cli, CASPIAN, "--format", "markdown", "--history", broken, exit_code=3)
    assert f"{broken}:3: not valid JSON" in r.stderr
    assert f"- **not ready** — {broken}:1" in r.stdout  # the readable lines are still shown


def test_usage_errors(run_cli, tmp_path):
    r = case(run_cli, CASPIAN, "--out", tmp_path, exit_code=2)
    assert "is a folder" in r.stderr
    copy = tmp_path / "c.yaml"
    shutil.copy(CASPIAN, copy)
    r = case(run_cli, copy, "--out", copy, exit_code=2)
    assert "writing it would replace what is read" in r.stderr and copy.read_bytes() == CASPIAN.read_bytes()
    r = case(run_cli, CASPIAN, "--decisions", DECISIONS, "--out", DECISIONS, exit_code=2)
    assert "--decisions" in r.stderr
    case(run_cli, CASPIAN, "--format", "pdf", exit_code=2)
    r = case(run_cli, CASPIAN, "--out", tmp_path / "no" / "such" / "case.html", exit_code=74)
    assert "case.html" in r.stderr


# -- hostile values -------------------------------------------------------------------------------------------------
HOSTILE = ["<script>document.body.dataset.pwned=1</script>", '"><img src=x onerror=document.body.dataset.pwned=1>',
           "\x1b[31mred\x1b[0m", "=HYPERLINK(\"https://example.invalid\",\"x\")", "+SUM(1)", "@cmd", "-2+3"]


@pytest.fixture
def hostile(tmp_path):
    data = yaml.safe_load(CASPIAN.read_text(encoding="utf-8"))
    data["candidate"]["name"] = " ".join(HOSTILE)
    for i, ev in enumerate(data["evidence"]):
        if "title" in ev:
            ev["title"] = HOSTILE[i % len(HOSTILE)]
        if ev["type"] == "stakeholder_feedback":
            ev["from"]["role"] = HOSTILE[(i + 1) % len(HOSTILE)]
            ev["quote"] = HOSTILE[(i + 2) % len(HOSTILE)]
    data["candidate"]["cycle"] = "2026-h1"
    data["committee"] = {"decision": "promoted", "decided_on": "2026-07-09", "reason": " ".join(HOSTILE)}
    p = tmp_path / "hostile.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    d = tmp_path / "decisions.csv"
    reason = " ".join(HOSTILE).replace('"', '""')
    d.write_text(f'cycle,candidate_id,decision,decided_on,reason,overrides\n2026-h1,emp-1054,promoted,2026-07-09,'
                 f'"{reason}",senior-pm.aligns-teams=met\n', encoding="utf-8")
    return p, d


def test_hostile_values_are_shown_only_escaped(run_cli, hostile, tmp_path):
    p, d = hostile
    page = case(run_cli, p, "--decisions", d).stdout
    md = case(run_cli, p, "--format", "markdown", "--decisions", d).stdout
    assert "\x1b" not in page and "<script" not in page and "<img" not in page
    assert "\x1b" not in md and not re.search(r"(?<!\\)<", md)  # every < from a value is \<
    # HTML: the tags are the page's own, every value entity-escaped, and the reader sees each value as written
    tags = set(re.findall(r"<([a-z0-9]+)", page))
    assert tags <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "dl", "dt", "dd", "p", "b",
                    "main", "h2", "ul", "li", "span", "ol", "footer", "br",
                    "figure", "figcaption", "svg", "rect", "text"}, tags  # the page's own chart
    assert "&lt;script&gt;" in page and "&quot;&gt;&lt;img src=x onerror=" in page and "\\x1b[31mred" in page
    seen = text_of(page)
    for v in HOSTILE:
        assert v.replace("\x1b", "\\x1b") in seen, v
    # markdown: markup escaped, no line or list item starts with a formula or a block marker from a value
    assert "\\<script\\>" in md and "\\x1b\\[31mred" in md
    for line in md.splitlines():
        body = re.sub(r"^\s*(?:[-*] |\d+\. |#+ )?(?:\*\*[^*]*\*\*:? ?)?", "", line)
        assert not body.startswith(("=", "+", "@", "<")), line
    assert page.count("document.body.dataset.pwned") >= 1  # the values are there, as text


# -- a real browser ---------------------------------------------------------------------------------------------------
sys.path.insert(0, str(ROOT / "tools"))
import browser  # noqa: E402

needs_chromium = pytest.mark.skipif(browser.find() is None, reason="chromium is not installed (.ci/run installs it)")


@needs_chromium
def test_the_page_renders_and_prints_in_chromium(run_cli, tmp_path, hostile):
    html = tmp_path / "case.html"
    case(run_cli, CASPIAN, "--decisions", DECISIONS, "--out", html)
    with browser.Chromium(width=1000, height=1400) as b:
        page = b.open(html)
        text = page.eval("document.body.innerText")
        assert "Caspian Thistlewood is not yet ready for Senior Product Manager" in text
        assert "Ask your manager's manager for written feedback" in text
        assert page.eval("getComputedStyle(document.querySelector('.verdict')).borderLeftStyle") == "solid"  # the style ran
        assert page.eval("document.querySelector('h1').getBoundingClientRect().height") > 10
        assert page.errors() == [] and page.requests() == [html.resolve().as_uri()]
        b.send("Emulation.setEmulatedMedia", {"media": "print"}, page.session)
        assert page.eval("getComputedStyle(document.body).fontSize").endswith("px")
        b.send("Emulation.setEmulatedMedia", {"media": ""}, page.session)
        pdf = page.pdf()
        assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
        # docs/case.png: a short case with every section on one screen (a plan, a decision against the rules)
        short = tmp_path / "elodie.html"
        case(run_cli, FIXTURES / "elodie-farrowgate-apm-to-mid-not-ready.yaml", "--decisions", DECISIONS, "--out", short)
        spage = b.open(short)
        assert spage.errors() == [] and spage.pdf()[:4] == b"%PDF"
        shot = tmp_path / "case.png"
        spage.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        if os.environ.get("LADDER_UPDATE_SCREENSHOT"):
            (ROOT / "docs" / "case.png").write_bytes(shot.read_bytes())
        # the hostile case: nothing runs, nothing is asked for, nothing logged
        p, d = hostile
        bad = tmp_path / "hostile.html"
        case(run_cli, p, "--decisions", d, "--out", bad)
        hp = b.open(bad)
        assert hp.eval("document.body.dataset.pwned") is None
        assert hp.eval("document.images.length") == 0 and hp.eval("document.scripts.length") == 0
        assert hp.errors() == [] and hp.requests() == [bad.resolve().as_uri()]
        assert "<script>document.body.dataset.pwned=1</script>" in hp.eval("document.body.innerText")


def test_html_shown_escapes_markup_and_shows_terminal_controls():
    from engine.base.escape import html_shown

    assert html_shown('a\x1b[31m<b>"x\'\nq\u202e') == "a\\x1b[31m&lt;b&gt;&quot;x&#x27;\\x0aq\\u202e"
    assert html_shown(None) == ""


def test_the_case_page_draws_met_against_needed_from_the_verdicts_own_figures(run_cli):
    """The case page's chart (issue 30: charts in every HTML output) is the report's candidate
    chart: per level of the path, required met of all required and supporting met of the number
    needed, each bar carrying the verdict JSON's figures."""
    import json as _json

    p = FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml"
    page = run_cli("case", p, "--today", "2026-11-30").stdout
    v = _json.loads(run_cli("evaluate", p, "--format", "json", "--today", "2026-11-30").stdout)
    want = []
    for lv in v["levels"]:
        want += [("required", lv["required_met"], lv["required_total"])]
        if lv.get("carried"):  # a level below the promotion: required criteria only
            continue
        want += [("supporting", lv["supporting_met"], lv["supporting_needed"])]
        want += [("supporting", a["met"], a["needed"]) for a in lv.get("aspects", [])]
    got = re.findall(r'data-series="(\w+)" data-value="(\d+)" data-needed="(\d+)"', page)
    assert page.count('data-chart="meters"') == 1 and [(s, int(m), int(n)) for s, m, n in got] == want
