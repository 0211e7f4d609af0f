"""`ladder report` and `batch --html` without a browser: the same bytes from either, every run;
titles only from the packet a verdict was made from; --redact; bad lines named, not fatal."""
from __future__ import annotations

import json
import re

from conftest import FIXTURES

PACKETS = sorted(FIXTURES.glob("*.yaml"))


def test_report_equals_batch_html_and_is_byte_identical_run_to_run(run_cli, tmp_path):
    out, html = tmp_path / "r.jsonl", tmp_path / "b.html"
    run_cli("batch", *PACKETS, "--out", out, "--html", html, "--quiet")
    a, b = tmp_path / "a.html", tmp_path / "a2.html"
    run_cli("report", out, *PACKETS, "--out", a)
    run_cli("report", out, FIXTURES, "--out", b)  # a folder gives the same titles
    assert a.read_bytes() == html.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text and "<script src" not in text and "http://" not in text
    assert "https://" not in text and "<link" not in text
    for d in (json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()):
        assert f">{d['candidate']['id']} <span class=\"nm\">{d['candidate']['name']}</span>" in text


def test_titles_come_only_from_the_packet_the_verdict_was_made_from(run_cli, tmp_path):
    """A packet edited since its verdict (another packet_sha256) lends it no titles."""
    fx = FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml"
    out = tmp_path / "r.jsonl"
    run_cli("batch", fx, "--out", out, "--quiet")
    edited = tmp_path / "edited.yaml"
    edited.write_text(fx.read_text(encoding="utf-8").replace("Route optimisation", "Route optimization"),
                      encoding="utf-8")
    run_cli("report", out, edited, "--out", tmp_path / "x.html")
    assert "Route optimi" not in (tmp_path / "x.html").read_text(encoding="utf-8")
    run_cli("report", out, fx, "--out", tmp_path / "y.html")
    assert "Route optimisation for same-day couriers" in (tmp_path / "y.html").read_text(encoding="utf-8")


def test_redact_leaves_names_and_titles_out(run_cli, tmp_path):
    out = tmp_path / "r.jsonl"
    run_cli("batch", *PACKETS[:5], "--out", out, "--quiet")
    run_cli("report", out, *PACKETS[:5], "--out", tmp_path / "x.html", "--redact")
    text = (tmp_path / "x.html").read_text(encoding="utf-8")
    for d in (json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()):
        assert d["candidate"]["id"] in text and d["candidate"]["name"] not in text
    assert "Route optimisation" not in text and "left out (--redact)" in text


def test_a_bad_results_line_is_named_and_the_rest_reported(run_cli, tmp_path):
    out = tmp_path / "r.jsonl"
    run_cli("batch", PACKETS[0], "--out", out, "--quiet")
    with out.open("a", encoding="utf-8") as fh:
        fh.write("not json\n")
    r = run_cli("report", out, "--out", tmp_path / "x.html", exit_code=3)
    assert f"{out}:2: not valid JSON" in r.stderr
    assert "1 verdict(s)" in r.stderr and (tmp_path / "x.html").exists()
    r = run_cli("report", tmp_path / "missing.jsonl", "--out", tmp_path / "y.html", exit_code=2)
    assert "no such file" in r.stderr and not (tmp_path / "y.html").exists()


def test_the_page_is_well_formed(run_cli, tmp_path):
    """Every element the report opens it closes, in order (a browser forgives a missing </ol>;
    a screen reader's outline and the print layout do not)."""
    from html.parser import HTMLParser

    void = {"meta", "br", "input", "img", "hr", "link", "col", "wbr"}
    optional = {"p", "li", "tr", "td", "th", "thead", "tbody", "option", "dt", "dd"}  # HTML may omit these ends

    class Balance(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.errors = [], []

        def handle_starttag(self, tag, attrs):
            if tag not in void:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            while self.stack and self.stack[-1] != tag and self.stack[-1] in optional:
                self.stack.pop()
            if not self.stack or self.stack[-1] != tag:
                self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            else:
                self.stack.pop()

    out, html = tmp_path / "r.jsonl", tmp_path / "b.html"
    run_cli("batch", *PACKETS, "--out", out, "--html", html, "--quiet")
    b = Balance()
    b.feed(html.read_text(encoding="utf-8"))
    b.close()
    assert b.errors == [] and [t for t in b.stack if t not in optional] == []


def _batch_report(run_cli, tmp_path) -> tuple[list[dict], str]:
    out, page = tmp_path / "r.jsonl", tmp_path / "r.html"
    run_cli("batch", *PACKETS, "--out", out, "--quiet")
    run_cli("report", out, *PACKETS, "--out", page)
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()], page.read_text(encoding="utf-8")


def test_the_by_level_and_track_tables_count_the_verdicts(run_cli, tmp_path):
    """Each row of the 'By target level' and 'By track' tables counts that group's verdicts, as the
    results say: ready, not ready, insufficient evidence, all."""
    from collections import Counter

    rows, page = _batch_report(run_cli, tmp_path)
    order = ("ready", "not_ready", "insufficient_evidence")
    for caption, field in (("By target level", "target_level"), ("By track", "track")):
        table = page[page.index(f"<caption>{caption}</caption>"):]
        table = table[:table.index("</table>")]
        n = Counter((d[field], d["verdict"]) for d in rows)
        for group in sorted({d[field] for d in rows}):
            cells = "".join(f"<td>{n[group, v]}" for v in order) + f"<td>{sum(n[group, v] for v in order)}"
            assert f'<tr><th scope="row">{group}{cells}' in table, (caption, group)


def test_the_key_says_what_each_detailed_unmet_criterion_needs(run_cli, tmp_path):
    """A detailed unmet reason 'needs X; found Y' shows 'found Y' in the candidate's section and
    'needs X' in the level's criteria key: the part left out beside the candidate is never lost."""
    from engine.outputs.report_html import e

    rows, page = _batch_report(run_cli, tmp_path)
    def detailed(d: dict) -> list[dict]:  # the unmet criteria a candidate's section details
        closest = {cid for g in d.get("supporting_gaps", []) for cid in g.get("closest", [])}
        return [c for c in d["criteria"] if c["status"] != "met" and (c.get("required") or c["id"] in closest)]

    split = [(c["id"], *c["reason"].partition("; found")) for d in rows for c in detailed(d)
             if c.get("reason", "").startswith("needs ") and "; found" in c["reason"]]
    assert len(split) >= 10
    for cid, needs, _, _ in split:
        entries = re.findall(rf'<li id="k-[^"]*"><code>{re.escape(e(cid))}</code>(.*?)(?=<li |</ol>)', page, re.S)
        assert entries and any(f"<br><small>{e(needs)}</small>" in x for x in entries), cid


def test_sorting_by_closeness_in_the_browser_keeps_the_page_order(run_cli, tmp_path):
    """'Sort: closeness to ready' orders the rows by their data-k (as strings, as the page's script
    compares them): the order the page opened with, the one the server made."""
    _, page = _batch_report(run_cli, tmp_path)
    bodies = re.findall(r'<table class="mx">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert len(bodies) >= 3
    for body in bodies:
        keys = re.findall(r'<tr [^>]*data-k="([^"]+)"', body)
        assert keys and keys == sorted(keys), keys


def test_report_with_decisions_shows_each_candidates_decision(run_cli, tmp_path):
    """--decisions: each section says the committee's decision, when and why (escaped), marked
    where it is not what the rules said; the cohort counts them; --redact leaves the reason out;
    without --decisions the page is what it was (no decision paragraphs at all)."""
    fx = [FIXTURES / "caspian-thistlewood-mid-to-senior-not-ready.yaml", FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"]
    out = tmp_path / "r.jsonl"
    run_cli("batch", *fx, "--out", out, "--quiet", "--no-plan")
    ids = [json.loads(x)["candidate"]["id"] for x in out.read_text(encoding="utf-8").splitlines()]
    dec = tmp_path / "d.csv"
    dec.write_text("cycle,candidate_id,decision,decided_on,reason,overrides\n"
                   f"2026-h1,{ids[0]},promoted,2026-07-08,Spoke for <script>x</script> them,senior-pm.aligns-teams=met\n",
                   encoding="utf-8")
    plain = tmp_path / "p.html"
    run_cli("report", out, "--out", plain)
    assert 'class="dec' not in plain.read_text(encoding="utf-8")
    page = tmp_path / "d.html"
    run_cli("report", out, "--out", page, "--decisions", dec)
    text = page.read_text(encoding="utf-8")
    assert '<p class="dec differs"><b>Committee 2026-h1: promoted</b> (decided 2026-07-08, not what the rules said)' in text
    assert "senior-pm.aligns-teams → met" in text and "<script>x" not in text and "&lt;script&gt;x" in text
    assert "Committee: no decision recorded" in text
    assert "Committee decisions: 1 no decision recorded, 1 promoted" in text
    run_cli("report", out, "--out", page, "--decisions", dec, "--redact")
    assert "Spoke for" not in page.read_text(encoding="utf-8")


def _line(cid: str, verdict: str, org: str, manager: str = "") -> dict:
    cand = {"id": cid, "org": org, **({"manager": manager} if manager else {})}
    return {"candidate": cand, "track": "management", "current_level": "mid-pm", "target_level": "senior-pm",
            "path": ["senior-pm"], "as_of": "2026-06-30", "verdict": verdict, "headline": "h", "levels": [],
            "criteria": [{"id": "senior-pm.x", "level": "senior-pm", "required": True,
                          "status": "met" if verdict == "ready" else "unmet"}],
            "unmet": [] if verdict == "ready" else ["senior-pm.x"], "gaps": [], "supporting_gaps": [],
            "warnings": [], "rules_version": "sha256:r", "schema_version": "sha256:s", "packet_sha256": f"sha256:{cid}"}


def test_groups_csv_gives_the_adverse_impact_ratio_exactly_at_four_fifths(run_cli, tmp_path):
    """Worked by hand: org a 5 of 5 ready (1.0), b 4 of 5 (0.8: exactly four fifths, not flagged),
    c 3 of 5 (0.6: flagged), d 4 candidates (suppressed, no part in the ratios). With decisions:
    promotions among the decided, the same rule."""
    import csv as _csv
    import io

    plan = {"a": 5, "b": 4, "c": 3}
    rows = []
    for org, ready in plan.items():
        rows += [_line(f"{org}{i}", "ready" if i < ready else "not_ready", org, manager="emp-9001") for i in range(5)]
    rows += [_line(f"d{i}", "ready", "d") for i in range(4)]
    res = tmp_path / "r.jsonl"
    res.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    dec = tmp_path / "d.csv"
    dec.write_text("cycle,candidate_id,decision,decided_on,reason,overrides\n" + "".join(
        f"2026-h1,{r['candidate']['id']},{'promoted' if r['verdict'] == 'ready' else 'not_promoted'},2026-07-01,,\n"
        for r in rows), encoding="utf-8")
    run_cli("report", res, "--out", tmp_path / "r.html", "--groups-csv", tmp_path / "g.csv", "--decisions", dec)
    got = {(r["dimension"], r["group"]): r for r in _csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text()))}
    a, b, c, d = (got["org", k] for k in "abcd")
    assert (a["share_ready"], a["ready_ratio_to_highest"], a["ready_below_four_fifths"]) == ("1.0000", "1.0000", "false")
    assert (b["ready_ratio_to_highest"], b["ready_below_four_fifths"]) == ("0.8000", "false")
    assert (c["ready_ratio_to_highest"], c["ready_below_four_fifths"]) == ("0.6000", "true")
    assert d["suppressed"] == "true" and d["share_ready"] == "" and d["candidates"] == "4"
    assert (b["promoted_ratio_to_highest"], c["promoted_below_four_fifths"]) == ("0.8000", "true")
    assert got["manager", "emp-9001"]["candidates"] == "15"
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Rates by org" in page and page.count('class="ai-low"') == 2  # c's readiness and promotions


def test_four_fifths_is_exact_when_the_highest_group_is_below_one(run_cli, tmp_path):
    """Worked by hand: org a 1 of 5 ready (0.20), b 4 of 25 (0.16). 0.16 / 0.20 is four fifths
    exactly, though 0.16 / 0.2 in floating point is 0.7999...: not flagged. c 3 of 20 (0.15,
    ratio 0.75) is."""
    import csv as _csv
    import io

    rows = []
    for org, ready, n in (("a", 1, 5), ("b", 4, 25), ("c", 3, 20)):
        rows += [_line(f"{org}{i}", "ready" if i < ready else "not_ready", org) for i in range(n)]
    res = tmp_path / "r.jsonl"
    res.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run_cli("report", res, "--out", tmp_path / "r.html", "--groups-csv", tmp_path / "g.csv")
    got = {(r["dimension"], r["group"]): r for r in _csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text()))}
    assert (got["org", "b"]["ready_ratio_to_highest"], got["org", "b"]["ready_below_four_fifths"]) == ("0.8000", "false")
    assert (got["org", "c"]["ready_ratio_to_highest"], got["org", "c"]["ready_below_four_fifths"]) == ("0.7500", "true")


def test_a_people_directorys_further_columns_are_cohort_groups(run_cli, tmp_path):
    """report --people: each further column of the directory (here `site`) is a dimension of the
    rates tables and the groups CSV, with the same suppression and four-fifths rule; a candidate
    whose verdict line names no manager is grouped under the directory's. A hostile site name is
    shown escaped."""
    import csv as _csv
    import io

    hostile = '<img src=x onerror=alert(1)>'
    sites = {"a": ("north", 5, 5), "b": ("south", 5, 3), "c": (hostile, 5, 1), "d": ("east", 4, 4)}
    rows, people = [], ["id,name,level,track,manager,org,status,site", "emp-9000,Boss,director,management,,x,active,north"]
    for k, (site, n, ready) in sites.items():
        for i in range(n):
            rows.append(_line(f"{k}{i}", "ready" if i < ready else "not_ready", "x"))
            people.append(f'{k}{i},P {k}{i},mid-pm,management,emp-9000,x,active,"{site}"')
    res = tmp_path / "r.jsonl"
    res.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "people.csv").write_text("\n".join(people) + "\n", encoding="utf-8")
    run_cli("report", res, "--out", tmp_path / "r.html", "--groups-csv", tmp_path / "g.csv",
            "--people", tmp_path / "people.csv")
    got = {(r["dimension"], r["group"]): r for r in _csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text()))}
    assert (got["site", "north"]["share_ready"], got["site", "north"]["ready_below_four_fifths"]) == ("1.0000", "false")
    assert (got["site", "south"]["ready_ratio_to_highest"], got["site", "south"]["ready_below_four_fifths"]) == \
        ("0.6000", "true")
    assert got["site", "east"]["suppressed"] == "true"
    assert got["manager", "emp-9000"]["candidates"] == "19"  # from the directory: the lines name no manager
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Rates by site" in page and hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    # without the directory there is no site dimension
    run_cli("report", res, "--out", tmp_path / "r2.html", "--groups-csv", tmp_path / "g2.csv")
    assert "site," not in (tmp_path / "g2.csv").read_text()


def test_report_reads_a_packets_own_committee_section_as_its_decision(run_cli, tmp_path):
    """A packet given to `report` with a `committee:` section (and a cycle) is shown with that
    decision; a decisions file's row for the same candidate and cycle comes first; a section that
    names an unknown criterion is a located problem (exit 3) and the page is still written."""
    import yaml as _yaml

    from conftest import FIXTURES

    src = FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml"
    d = _yaml.safe_load(src.read_text(encoding="utf-8"))
    d["candidate"]["cycle"] = "2026-h1"
    d["committee"] = {"decision": "deferred", "decided_on": "2026-07-02", "reason": "Asked for one more half."}
    packet = tmp_path / "noor.yaml"
    packet.write_text(_yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    res = tmp_path / "r.jsonl"
    run_cli("batch", packet, "--out", res, "--quiet")
    run_cli("report", res, packet, "--out", tmp_path / "a.html")
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "<b>Committee 2026-h1: deferred</b> (decided 2026-07-02, not what the rules said)" in page
    dec = tmp_path / "d.csv"
    dec.write_text("cycle,candidate_id,decision,decided_on,reason,overrides\n"
                   "2026-h1,emp-0988,promoted,2026-07-08,,\n", encoding="utf-8")
    run_cli("report", res, packet, "--out", tmp_path / "b.html", "--decisions", dec)
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "Committee 2026-h1: promoted" in page and "deferred" not in page.split("<main", 1)[1]
    d["committee"]["overrides"] = "senior-pm.no-such-thing=met"
    packet.write_text(_yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    r = run_cli("report", res, packet, "--out", tmp_path / "c.html", exit_code=3)
    assert f"{packet}:" in r.stderr and "/committee/overrides: unknown criterion 'senior-pm.no-such-thing'" in r.stderr
    assert (tmp_path / "c.html").exists()
