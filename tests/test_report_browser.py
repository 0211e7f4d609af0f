"""The HTML report in a real browser (headless Chromium over the DevTools protocol, tools/browser.py):
every candidate is there, the filters and sorting work, the keyboard reaches the controls, nothing
is logged as an error and no request leaves the page. Skipped only when no Chromium is installed
(.ci/run installs Debian's `chromium`). LADDER_UPDATE_SCREENSHOT=1 rewrites docs/report.png."""
from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "tools"))
import browser  # noqa: E402
from test_hostile_html import PAYLOADS, calibration_page, hostile_cycle, report  # noqa: E402

pytestmark = pytest.mark.skipif(browser.find() is None, reason="chromium is not installed (.ci/run installs it)")
ORGS = ["Payments", "Growth", "Platform"]


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """The bundled fixtures as one cycle, with orgs, a candidate in two files and a broken packet."""
    from click.testing import CliRunner

    from cli import main

    d = tmp_path_factory.mktemp("cycle")
    for i, p in enumerate(sorted(FIXTURES.glob("*.yaml"))):
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        data["candidate"].update(org=ORGS[i % 3], cycle="2026-h1")
        (d / p.name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (d / "zz-again.yaml").write_bytes((d / "noor-ashgrove-mid-to-senior-ready.yaml").read_bytes())
    (d / "zz-broken.yaml").write_text("schema_version: 1\ncandidate: {id: emp-9}\n", encoding="utf-8")
    out, html = d / "results.jsonl", d / "cycle.html"
    r = CliRunner().invoke(main, ["batch", str(d), "--out", str(out), "--html", str(html), "--quiet"])
    assert r.exit_code == 3, r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    return html, lines


@pytest.fixture(scope="module")
def chromium():
    with browser.Chromium(width=1400, height=1000) as b:
        yield b


@pytest.fixture(scope="module")
def page(cycle, chromium):
    return chromium.open(cycle[0])


def _select(page, dim: str, value: str) -> None:
    page.eval(f"(function(s){{s.value={json.dumps(value)};s.dispatchEvent(new Event('change'))}})"
              f"(document.querySelector('[data-f={dim}]'))")


def _visible(page) -> list[list[str]]:
    """What is shown: each visible section's row (id, verdict, org, level); a visible section
    must have a visible row and the other way round."""
    rows = page.eval("[].map.call(document.querySelectorAll('.mx tbody tr:not([hidden])'),"
                     "function(s){return [s.dataset.id,s.dataset.verdict,s.dataset.org||'',s.dataset.level,"
                     "s.querySelector('a').getAttribute('href').slice(1)]})")
    secs = page.eval("[].map.call(document.querySelectorAll('.cand:not([hidden])'),function(s){return s.id})")
    assert sorted(r[4] for r in rows) == sorted(secs)
    return [r[:4] for r in rows]


def test_every_candidate_has_a_section_and_a_matrix_row(page, cycle):
    _, lines = cycle
    verdicts = [d for d in lines if "verdict" in d]
    ids = page.eval("[].map.call(document.querySelectorAll('.cand h3'),function(h){return h.firstChild.textContent.trim()})")
    assert sorted(ids) == sorted(d["candidate"]["id"] for d in verdicts)
    assert page.eval("document.querySelectorAll('.mx tbody tr').length") == len(verdicts)
    text = page.eval("document.body.innerText")
    assert "zz-broken.yaml" in text and "missing required field" in text  # what could not be evaluated, and why
    assert "emp-0988" in page.eval("document.querySelector('p.warn').innerText")  # in two files
    # cited evidence has its title: the first met criterion of the first candidate
    first = verdicts[0]
    met = next(c for c in first["criteria"] if c["status"] == "met")
    # (textContent: a section below the fold is not laid out, content-visibility: auto, so innerText skips it)
    sec = page.eval("[].filter.call(document.querySelectorAll('.cand'),function(s){return s.querySelector('h3')"
                    f".firstChild.textContent.trim()==={json.dumps(first['candidate']['id'])}}})[0].textContent")
    assert met["evidence"][0] in sec


def test_filters_and_search_show_only_what_matches(page, cycle):
    _, lines = cycle
    verdicts = [d for d in lines if "verdict" in d]
    _select(page, "verdict", "ready")
    shown = _visible(page)
    assert shown and {v for _, v, _, _ in shown} == {"ready"}
    assert len(shown) == sum(d["verdict"] == "ready" for d in verdicts)
    _select(page, "org", "Growth")
    shown = _visible(page)
    assert shown and all(v == "ready" and o == "Growth" for _, v, o, _ in shown)
    assert page.eval("document.querySelector('[data-shown]').textContent") == f"{len(shown)} of {len(verdicts)} shown"
    _select(page, "verdict", "")
    _select(page, "org", "")
    _select(page, "level", "director")
    assert {lv for *_, lv in _visible(page)} == {"director"}
    assert page.eval("[].filter.call(document.querySelectorAll('.grp'),function(g){return !g.hidden}).length") == 1
    _select(page, "level", "")
    page.eval("(function(i){i.value='EMP-0988';i.dispatchEvent(new Event('input'))})(document.querySelector('[data-q]'))")
    assert [i for i, *_ in _visible(page)] == ["emp-0988", "emp-0988"]
    page.eval("(function(i){i.value='';i.dispatchEvent(new Event('input'))})(document.querySelector('[data-q]'))")
    assert len(_visible(page)) == len(verdicts)


def test_sorting_by_id_and_back_to_closeness(page):
    first_rows = "[].map.call(document.querySelector('.mx tbody').children,function(r){return r.dataset.id})"
    closeness = page.eval(first_rows)
    page.eval("(function(s){s.value='id';s.dispatchEvent(new Event('change'))})(document.querySelector('[data-sort]'))")
    assert page.eval(first_rows) == sorted(closeness)
    page.eval("(function(s){s.value='k';s.dispatchEvent(new Event('change'))})(document.querySelector('[data-sort]'))")
    assert page.eval(first_rows) == closeness
    verdicts = page.eval("[].map.call(document.querySelector('.mx tbody').children,function(r){return r.dataset.verdict})")
    assert verdicts == sorted(verdicts, key=lambda v: v != "ready")  # ready first: closest to ready


def test_the_keyboard_reaches_the_controls(page):
    page.eval("document.activeElement && document.activeElement.blur(); window.focus()")
    page.key("Tab")
    assert page.eval("document.activeElement.className") == "skip"
    page.key("Tab")
    assert page.eval("document.activeElement.getAttribute('data-f')") == "level"


def test_no_request_leaves_the_page_and_nothing_is_logged(page, cycle):
    assert page.requests() == [cycle[0].resolve().as_uri()]
    assert page.errors() == []


def test_print_hides_the_controls_and_opens_nothing_external(page, tmp_path):
    page.b.send("Emulation.setEmulatedMedia", {"media": "print"}, page.session)
    try:
        assert page.eval("getComputedStyle(document.querySelector('.ctl')).display") == "none"
    finally:
        page.b.send("Emulation.setEmulatedMedia", {"media": ""}, page.session)
    assert page.pdf()[:4] == b"%PDF"


def test_screenshot(page, tmp_path):
    """Saved for a person to look at; docs/report.png is the one in the README."""
    shot = tmp_path / "report.png"
    page.eval("document.activeElement.blur(); window.scrollTo(0,0)")
    page.b.send("Emulation.setDeviceMetricsOverride", {"width": 1200, "height": 1700, "deviceScaleFactor": 1,
                                                       "mobile": False}, page.session)
    page.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("LADDER_UPDATE_SCREENSHOT"):
        (ROOT / "docs" / "report.png").write_bytes(shot.read_bytes())


# -- hostile text never acts ------------------------------------------------------------------------------
# Whatever a results file or packet holds, the page in a browser has no element or attribute it
# did not write, runs no script but its own (document.body.dataset.pwned is what every payload
# tries to set), logs nothing (a Content-Security-Policy violation would be logged) and asks for
# nothing but itself; and if an escape were ever lost, the policy still blocks what it let in.
ACT = """(function(){
 var all=[].slice.call(document.querySelectorAll('*'));
 all.forEach(function(el){['focus','mouseover','click','error','load'].forEach(function(t){
  try{el.dispatchEvent(new Event(t));}catch(e){}});});
 return new Promise(function(r){setTimeout(r,300);});
})()"""
INJECTED = """(function(){
 var bad=[];
 [].forEach.call(document.querySelectorAll('*'),function(el){[].forEach.call(el.attributes,function(a){
  if(/^on/i.test(a.name)||a.name==='autofocus'||(/^(href|src|action|formaction|xlink:href)$/i.test(a.name)&&
     !/^(#|https:)/.test(a.value)))bad.push(el.tagName+' '+a.name);});});
 return {pwned:document.body.dataset.pwned===undefined?null:document.body.dataset.pwned, bad:bad,
         scripts:document.scripts.length, imgs:document.images.length,
         styles:document.querySelectorAll('style').length, shown:getComputedStyle(document.body).display};
})()"""


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_report_runs_nothing_in_the_browser(run_cli, tmp_path, chromium, payload):
    res, packets = hostile_cycle(run_cli, tmp_path, payload)
    html = tmp_path / "hostile.html"
    report(run_cli, res, packets, html)
    page = chromium.open(html)
    page.eval(ACT)
    state = page.eval(INJECTED)
    assert state == {"pwned": None, "bad": [], "scripts": 1, "imgs": 0, "styles": 1, "shown": "block"}, state
    assert page.errors() == [] and page.requests() == [html.resolve().as_uri()]
    # the page's own script still works on hostile values: filter by the hostile target level
    n = page.eval("document.querySelectorAll('.mx tbody tr').length")
    level = page.eval("document.querySelector('[data-f=level] option:nth-child(2)').value")
    assert level.startswith(payload)
    _select(page, "level", level)
    shown = _visible(page)
    assert shown and {lv for *_, lv in shown} == {level} and len(shown) <= n
    assert page.eval("document.body.dataset.pwned") is None


def test_if_an_escape_were_lost_the_policy_still_blocks_what_it_let_in(cycle, chromium, tmp_path):
    """The report with raw markup pasted into it (as a lost escape would): an inline script, an
    event handler, an autofocus handler, a javascript: link, a remote image and a style block. None
    runs or loads, each is logged as a Content-Security-Policy violation, and the page's own script
    still filters."""
    text = cycle[0].read_text(encoding="utf-8")
    evil = ("<script>document.body.dataset.pwned='script'</script>"
            "<img src=x onerror=\"document.body.dataset.pwned='img'\">"
            "<input autofocus onfocus=\"document.body.dataset.pwned='focus'\">"
            "<a id=jsl href=\"javascript:document.body.dataset.pwned='link'\">x</a>"
            "<img src=https://example.invalid/x.png><style>body{display:none}</style>")
    html = tmp_path / "lost-escape.html"
    html.write_text(text.replace("<h2>Cohort</h2>", evil + "<h2>Cohort</h2>", 1), encoding="utf-8")
    page = chromium.open(html)
    page.eval("document.getElementById('jsl').click()")
    page.eval(ACT)
    assert page.eval("document.body.dataset.pwned") is None
    assert page.eval("getComputedStyle(document.body).display") == "block"
    assert any("Content Security Policy" in x for x in page.errors()), page.errors()
    _select(page, "verdict", "ready")
    assert {v for _, v, _, _ in _visible(page)} == {"ready"}
    # the images are asked for (the browser announces them) and refused by the policy, never fetched
    ids = {m["params"]["requestId"]: m["params"]["request"]["url"] for m in page._mine()
           if m.get("method") == "Network.requestWillBeSent"}
    refused = {ids[m["params"]["requestId"]] for m in page._mine() if m.get("method") == "Network.loadingFailed"
               and m["params"].get("blockedReason") == "csp"}
    assert set(ids.values()) - refused == {html.resolve().as_uri()}
    assert "https://example.invalid/x.png" in refused


@pytest.mark.parametrize("payload", PAYLOADS[:5])
def test_a_hostile_calibration_page_runs_nothing_in_the_browser(run_cli, tmp_path, chromium, payload):
    html = tmp_path / "calibration.html"
    html.write_text(calibration_page(run_cli, tmp_path, payload), encoding="utf-8")
    page = chromium.open(html)
    page.eval(ACT)
    state = page.eval(INJECTED)
    assert state == {"pwned": None, "bad": [], "scripts": 0, "imgs": 0, "styles": 1, "shown": "block"}, state
    assert page.errors() == [] and payload in page.eval("document.body.innerText")


# -- charts -----------------------------------------------------------------------------------------------
DRAWN = """[].map.call(document.querySelectorAll('svg[data-chart]'),function(s){
 var b=s.getBoundingClientRect(),bars=[].filter.call(s.querySelectorAll('rect[data-value]'),function(r){
  return r.getBBox().width>0;});
 var fills=bars.map(function(r){return getComputedStyle(r).fill;});
 return {kind:s.dataset.chart,w:b.width,h:b.height,bars:bars.length,
  patterned:fills.filter(function(f){return f.indexOf('url(')===0;}).length,
  bad:fills.filter(function(f){return f==='none'||f==='';}).length};})"""


def _clip_shot(page, selector: str, out, grey: bool = False, until: str | None = None, scale: float = 1) -> None:
    """A PNG of one element, or from it to the bottom of the last `until` (the controls hidden;
    grey: as someone without colour vision sees it)."""
    import base64

    page.eval("(function(c){if(c)c.hidden=true})(document.querySelector('.ctl'))")
    if grey:
        page.b.send("Emulation.setEmulatedVisionDeficiency", {"type": "achromatopsia"}, page.session)
    try:
        x, y, w, h = page.eval(f"(function(el,all){{el.scrollIntoView();var r=el.getBoundingClientRect(),b=r.bottom;"
                               f"if(all.length)b=all[all.length-1].getBoundingClientRect().bottom;"
                               f"return [r.x,r.y+window.scrollY,r.width,b-r.top]}})(document.querySelector({json.dumps(selector)}),"
                               f"document.querySelectorAll({json.dumps(until or '#none')}))")
        data = page.b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                      "clip": {"x": x, "y": y, "width": w, "height": h, "scale": scale}},
                           page.session)["data"]
    finally:
        page.b.send("Emulation.setEmulatedVisionDeficiency", {"type": "none"}, page.session)
        page.eval("(function(c){if(c)c.hidden=false})(document.querySelector('.ctl'))")
    out.write_bytes(base64.b64decode(data))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_charts_are_drawn_patterned_and_logged_nothing(cycle, chromium, tmp_path):
    """Every chart takes room, every non-zero bar is painted, the not-ready and insufficient bars
    are filled with the page's own patterns (grey scale, print), nothing is asked for or logged."""
    page = chromium.open(cycle[0])
    page.eval("[].forEach.call(document.querySelectorAll('.cand'),function(s){s.scrollIntoView()});window.scrollTo(0,0)")
    drawn = page.eval(DRAWN)
    kinds = {d["kind"] for d in drawn}
    assert {"verdicts", "readiness", "unmet", "meters"} <= kinds
    assert all(d["w"] > 100 and d["h"] > 10 and d["bad"] == 0 for d in drawn), [d for d in drawn if d["bad"] or d["w"] <= 100]
    verdicts = [d for d in drawn if d["kind"] == "verdicts"]
    assert all(d["bars"] > 0 and d["patterned"] > 0 for d in verdicts)  # not ready is hatched, not only red
    assert page.errors() == [] and page.requests() == [cycle[0].resolve().as_uri()]


def test_chart_screenshots(cycle, chromium, run_cli, tmp_path):
    """Saved for a person to look at; LADDER_UPDATE_SCREENSHOT=1 rewrites docs/charts-*.png."""
    page = chromium.open(cycle[0])
    # a candidate assessed on two levels (a skip-level path): its section's head and chart
    # (found by the page's own search, so the sections above it, laid out only when scrolled to, are hidden)
    page.eval("(function(s){s.classList.add('shot');var i=document.querySelector('[data-q]');"
              "i.value=s.querySelector('h3').firstChild.textContent.trim();i.dispatchEvent(new Event('input'))})"
              "([].filter.call(document.querySelectorAll('.cand'),function(s){"
              "return s.querySelectorAll('svg.mt rect[data-value]').length>=4})[0])")
    # the sources are in the test's temporary folder: shown by file name, the folder says nothing to a reader
    page.eval("[].forEach.call(document.querySelectorAll('.facts code'),function(c){"
              "c.textContent=c.textContent.split('/').pop()})")
    shots = {"charts-cohort.png": (".charts", False, None), "charts-cohort-grey.png": (".charts", True, None),
             "charts-candidate.png": (".cand.shot", False, ".cand.shot figure.chart")}
    for name, (sel, grey, until) in shots.items():
        _clip_shot(page, sel, tmp_path / name, grey, until)
    res = cycle[0].parent / "results.jsonl"
    cal = tmp_path / "calibration.html"
    cal.write_text(run_cli("calibrate", "--results", res, "--decisions", ROOT / "fixtures" / "decisions-2026-h1.csv",
                           "--format", "html", exit_code=None).stdout, encoding="utf-8")
    cpage = chromium.open(cal)
    assert cpage.errors() == [] and len(cpage.eval(DRAWN)) >= 3
    _clip_shot(cpage, "body", tmp_path / "charts-calibration.png", until=".charts", scale=0.75)
    if os.environ.get("LADDER_UPDATE_SCREENSHOT"):
        for name in [*shots, "charts-calibration.png"]:
            (ROOT / "docs" / name).write_bytes((tmp_path / name).read_bytes())


def test_every_matrix_fits_a_1400_pixel_window_with_named_columns(page):
    """Readable headers: each criterion column names its criterion (short: without the matrix's own
    level), and even the director matrix (its own and senior-pm's criteria) needs no sideways
    scroll at 1400 pixels; the key is open beside or below it."""
    got = page.eval("""[...document.querySelectorAll('table.mx')].map(function(m){
        m.scrollIntoView();
        var lv = m.closest('.grp').querySelector('h2').textContent.split(' ')[0];
        return [lv, m.getBoundingClientRect().width, m.parentNode.getBoundingClientRect().width,
                [...m.querySelectorAll('th.c span')].map(function(s){return s.textContent}),
                m.closest('.mxk').querySelector('details.key').open]})""")
    by = {lv: (w, room, names, key_open) for lv, w, room, names, key_open in got}
    assert "director" in by and len(by["director"][2]) >= 30
    for lv, (w, room, names, key_open) in by.items():
        assert w <= room + 1, (lv, w, room)
        assert key_open and names and all(n and not n.startswith(lv + ".") for n in names), lv
    assert "manages-pms" in by["director"][2] and "senior-pm.area-direction" in by["director"][2]
