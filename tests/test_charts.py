"""The charts say what the tables say: every bar's data-value is read back from the page and
compared with the table beside it and with figures counted here from the results themselves; every
chart has its text alternative; --no-charts leaves them out; hostile group names stay text."""
from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from conftest import FIXTURES

PACKETS = sorted(FIXTURES.glob("*.yaml"))
ORDER = ("ready", "not_ready", "insufficient_evidence")


class Charts(HTMLParser):
    """Every chart on a page: its kind, caption, aria-label, <title>, <desc>, and its bars as
    (series, group, data-value, data-needed); and every table by its caption, as rows of cell text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.charts: list[dict] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._fig = self._svg = self._cap = self._table = None
        self._text: list[str] | None = None
        self._in: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self._fig = {"bars": [], "caption": "", "label": None, "title": "", "desc": "", "kind": None}
        elif tag == "svg" and self._fig is not None:
            self._fig.update(kind=a.get("data-chart"), label=a.get("aria-label"))
            self._svg = True
        elif tag == "rect" and self._fig is not None and "data-value" in a:
            self._fig["bars"].append((a.get("data-series"), a.get("data-group"), a["data-value"], a.get("data-needed")))
        elif tag in ("figcaption", "title", "desc", "caption") and (self._fig is not None or tag == "caption"):
            self._text, self._cap = [], tag
        elif tag == "table":
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None and self._table:
            self._table[-1].append("")
            self._cell = True
        self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in self._in:  # HTML may leave a </td>, </tr> or </li> out: close up to the tag
            while self._in.pop() != tag:
                pass
        if tag == self._cap and self._text is not None:
            text = "".join(self._text)
            if tag == "caption":
                self._caption = text
            elif tag == "figcaption":
                self._fig["caption"] = text
            elif self._fig is not None and not self._fig[tag] and self._svg and self._depth_ok():
                self._fig[tag] = text
            self._text = self._cap = None
        elif tag == "figure" and self._fig is not None:
            self.charts.append(self._fig)
            self._fig = self._svg = None
        elif tag == "table" and self._table is not None:
            self.tables[getattr(self, "_caption", "")] = [r for r in self._table if r]
            self._table, self._caption = None, ""

    def _depth_ok(self) -> bool:  # the svg's own <title>/<desc>, not a bar's
        return bool(self._in) and self._in[-1] == "svg"

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._table is not None and self._table and self._table[-1] and self._in and self._in[-1] in ("td", "th", "code"):
            self._table[-1][-1] += data

    def of(self, kind: str, caption: str | None = None) -> list[dict]:
        return [c for c in self.charts if c["kind"] == kind and (caption is None or c["caption"] == caption)]


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """The bundled fixtures as one cycle, with orgs: results lines and the report page."""
    import yaml
    from click.testing import CliRunner

    from cli import main

    d = tmp_path_factory.mktemp("charts")
    orgs = ["Payments", "Growth", "Platform"]
    for i, p in enumerate(PACKETS):
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        # uneven groups, at the suppression boundary: Search has 4 candidates, Legal 5
        data["candidate"]["org"] = ("Search" if i in (3, 10, 17, 30) else "Legal" if i in (5, 12, 19, 26, 33)
                                    else orgs[i % 3])
        (d / p.name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out, html = d / "r.jsonl", d / "r.html"
    r = CliRunner().invoke(main, ["batch", str(d), "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["report", str(out), str(d), "--out", str(html)])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    return lines, html.read_text(encoding="utf-8"), out


def test_every_chart_has_a_text_alternative_and_its_numbers(cycle):
    _, page, _ = cycle
    p = Charts(page)
    assert len(p.charts) >= 8
    for c in p.charts:
        assert c["label"] and c["caption"], c
        if c["kind"] != "meters":  # the cohort's charts: <title> and <desc> too, and a <title> per bar
            assert c["title"] == c["label"] and c["desc"], c
    assert page.count('data-chart="meters"') == len(cycle[0])


def test_the_verdict_charts_carry_the_by_tables_figures(cycle):
    """Each stacked bar's segments are the row of the By table, and both are the results' counts."""
    lines, page, _ = cycle
    p = Charts(page)
    for dim, field in (("target level", "target_level"), ("track", "track"), ("org", "org")):
        counted = Counter(((d["candidate"].get("org") if field == "org" else d[field]), d["verdict"]) for d in lines)
        table = {row[0]: [int(x) for x in row[1:4]] for row in p.tables[f"By {dim}"][1:]}
        chart = p.of("verdicts", f"Verdicts by {dim}")
        assert len(chart) == 1
        drawn: dict[str, list[int]] = {g: [0, 0, 0] for g in table}
        for series, group, value, _ in chart[0]["bars"]:
            drawn[group][ORDER.index(series)] += int(value)
        assert drawn == table == {g: [counted[g, v] for v in ORDER] for g in table}, dim
        assert sum(map(sum, drawn.values())) == len(lines)


def test_the_readiness_chart_suppresses_the_groups_its_table_suppresses(cycle):
    from engine.committee.calibrate import SUPPRESS_BELOW

    lines, page, _ = cycle
    p = Charts(page)
    sizes = Counter(d["candidate"]["org"] for d in lines)
    assert sizes["Search"] == SUPPRESS_BELOW - 1 and sizes["Legal"] == SUPPRESS_BELOW  # either side of the line
    ready = Counter(d["candidate"]["org"] for d in lines if d["verdict"] == "ready")
    table = {row[0]: row[1:] for row in p.tables["Readiness by org"][1:]}
    chart = p.of("readiness", f"Share ready by org (groups under {SUPPRESS_BELOW} not shown)")[0]
    bars = {group: float(value) for _, group, value, _ in chart["bars"]}
    for org, n in sizes.items():
        if n < SUPPRESS_BELOW:
            assert table[org] == [str(n), f"fewer than {SUPPRESS_BELOW}"] and org not in bars
        else:
            share = round(100 * ready[org] / n, 1)
            assert table[org] == [str(n), str(ready[org]), f"{share:.1f}%"] and bars[org] == share


def test_the_unmet_chart_is_the_most_often_unmet_table(cycle):
    from engine.outputs.report_html import TOP_UNMET

    lines, page, _ = cycle
    p = Charts(page)
    unmet = Counter(c["id"] for d in lines for c in d["criteria"] if c["status"] != "met")
    assessed = Counter(c["id"] for d in lines for c in d["criteria"])
    required = {c["id"]: c["required"] for d in lines for c in d["criteria"]}
    expect = sorted(unmet.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNMET]
    table = p.tables["Most often unmet"][1:]
    assert [(r[0], r[1], int(r[2]), int(r[3])) for r in table] == [
        (cid, "required" if required[cid] else "supporting", n, assessed[cid]) for cid, n in expect]
    chart = p.of("unmet")[0]
    assert [(g, s, int(v)) for s, g, v, _ in chart["bars"]] == [
        (cid, "required" if required[cid] else "supporting", n) for cid, n in expect]


def test_each_candidate_chart_shows_met_against_needed_per_level_and_aspect(cycle, run_cli, tmp_path):
    lines, page, _ = cycle
    sections = re.findall(r'<section class="cand" id="(c\d+)".*?</section>', page, re.S)
    assert len(sections) == len(lines)
    bodies = dict(re.findall(r'<section class="cand" id="(c\d+)"(.*?)</section>', page, re.S))
    for i, d in enumerate(lines):
        p = Charts(bodies[f"c{i}"])
        (chart,) = p.of("meters")
        expect = []
        for lv in d["levels"]:
            expect += [("required", lv["required_met"], lv["required_total"])]
            if lv.get("carried"):  # a level below the promotion: required criteria only
                continue
            expect += [("supporting", lv["supporting_met"], lv["supporting_needed"])]
            expect += [("supporting", a["met"], a["needed"]) for a in lv.get("aspects", [])]
        assert [(s, int(v), int(n)) for s, _, v, n in chart["bars"]] == expect, d["candidate"]["id"]
        assert all(lv["id"] in chart["label"] for lv in d["levels"])
    # a pack with aspects: a row per aspect
    from conftest import ROOT

    kestrel = ROOT / "examples" / "kestrel"
    out, html = tmp_path / "k.jsonl", tmp_path / "k.html"
    run_cli("batch", kestrel / "fixtures", "--rules", kestrel / "rules", "--out", out, "--quiet", exit_code=None)
    run_cli("report", out, "--rules", kestrel / "rules", "--out", html)
    klines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    with_aspects = [d for d in klines if any(lv.get("aspects") for lv in d.get("levels", []))]
    assert with_aspects
    kpage = html.read_text(encoding="utf-8")
    d = with_aspects[0]
    body = dict(re.findall(r'<section class="cand" id="(c\d+)"(.*?)</section>', kpage, re.S))[f"c{klines.index(d)}"]
    texts = re.findall(r'class="lab">([^<]*)</text>', body)
    for lv in d["levels"]:
        for a in lv.get("aspects", []):
            assert f"{a['aspect']} (aspect)" in texts or any(t.endswith(f" {a['aspect']} (aspect)") for t in texts), (a, texts)


def test_no_charts_leaves_them_out_and_keeps_the_tables(cycle, run_cli, tmp_path):
    lines, page, out = cycle
    run_cli("report", out, "--out", tmp_path / "plain.html", "--no-charts")
    plain = (tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "data-chart" not in plain and "data-chart" in page
    assert "<caption>Most often unmet</caption>" in plain and "<caption>By target level</caption>" in plain


def test_the_calibration_charts_carry_its_json_figures(run_cli, tmp_path):
    res = tmp_path / "r.jsonl"
    run_cli("batch", *PACKETS, "--out", res, "--quiet")
    dec = FIXTURES / "decisions-2026-h1.csv"
    d = json.loads(run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "json").stdout)
    page = run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "html").stdout
    p = Charts(page)
    (heat,) = p.of("heatmap")
    assert {(g, s): int(v) for s, g, v, _ in heat["bars"]} == {
        (v, x): n for v, row in d["matrix"].items() for x, n in row.items()}
    agree = re.findall(r'<rect [^>]*class="hc h\d hd"[^>]*data-group="([^"]+)" data-series="([^"]+)"', page)
    assert sorted(agree) == sorted(d["pairs"].items())  # the outlined cells are the agreeing pairs
    (div,) = p.of("diverging")
    drawn = Counter()
    for s, g, v, _ in div["bars"]:
        drawn[g, s] += int(v)
    assert drawn == Counter({k: n for r in d["criteria"] for k, n in (((r["id"], "to_met"), r["overridden_to_met"]),
                                                                    ((r["id"], "to_unmet"), r["overridden_to_unmet"]))
                             if n})
    assert len(p.of("agreement")) == sum(1 for rows in d["groups"].values() if rows) >= 2
    for dim, rows in d["groups"].items():
        if not rows:
            continue
        (bars,) = [c for c in p.of("agreement") if c["caption"].startswith(f"Agreement by {dim} ")]
        shown = {g: float(v) for _, g, v, _ in bars["bars"]}
        assert shown == {r["id"]: round(r["agreement"] * 100, 1) for r in rows if not r.get("suppressed")}
        assert all(r["id"] not in shown for r in rows if r.get("suppressed"))


def test_hostile_group_names_are_text_in_the_charts(run_cli, tmp_path):
    from test_hostile_html import PAYLOADS, check_page, hostile_cycle, report

    payload = PAYLOADS[2]  # <img src=x onerror=...>
    res, packets = hostile_cycle(run_cli, tmp_path, payload)
    text = report(run_cli, res, packets, tmp_path / "x.html")
    check_page(text, None)
    p = Charts(text)
    groups = {g for c in p.charts for _, g, _, _ in c["bars"] if g}
    assert any(g.startswith(payload) for g in groups)  # the hostile level is a bar's group, whole, as a value
    svg = "".join(re.findall(r"<svg .*?</svg>", text, re.S))
    assert "<img" not in svg and "&lt;img src=x onerror" in svg
