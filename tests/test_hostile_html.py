"""Hostile text never acts in the HTML pages: a results file or packet edited to carry markup,
attribute breakers, script or javascript: URLs in every string it holds gives a page whose
elements and attributes are exactly those an honest report has, every attribute quoted, and a
Content-Security-Policy that runs only the page's own script, named by its sha256. (The same pages
in a real browser: tests/test_report_browser.py.)

Every string of a verdict line and of its packet's evidence is replaced, consistently (the same
original string always becomes the same hostile one, so citations still find their appendix rows
and criterion ids their key), by one payload plus a number that keeps distinct values distinct."""
from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml

from conftest import FIXTURES

PAYLOADS = (
    'x" autofocus onfocus="document.body.dataset.pwned=1',
    "senior-pm autofocus onfocus=document.body.dataset.pwned=1",
    "<img src=x onerror=document.body.dataset.pwned=1>",
    "</script><script>document.body.dataset.pwned=1</script>",
    "javascript:document.body.dataset.pwned=1",
    "x' onmouseover='document.body.dataset.pwned=1' y=",
    "<style>body{display:none}</style><a href=javascript:document.body.dataset.pwned=1 id=k-x-1>",
)
PACKETS = [FIXTURES / n for n in ("noor-ashgrove-mid-to-senior-ready.yaml",
                                  "caspian-thistlewood-mid-to-senior-not-ready.yaml",
                                  "hollis-penrake-mid-to-senior-insufficient.yaml")]
KEEP = {"ready", "not_ready", "insufficient_evidence", "met", "unmet"}  # what a results file must hold to be read
# (SVG's own attribute names are camelCase: viewBox, patternUnits; the page writes them itself)
START_TAG = re.compile(r'<[a-z][a-z0-9]*(?:\s+[a-z][a-zA-Z0-9-]*(?:="[^"]*")?)*\s*/?>')


# -- building the hostile cycle (also used by test_report_browser.py) ---------------------------------
class Hostile:
    """Every string turned into `payload` + a number, the same string always into the same one."""

    def __init__(self, payload: str):
        self.payload, self.seen = payload, {}

    def s(self, text: str) -> str:
        if text in KEEP:
            return text
        return self.seen.setdefault(text, f"{self.payload}{len(self.seen)}")

    def walk(self, x, skip=("packet_sha256", "verdict", "status")):
        if isinstance(x, str):
            return self.s(x)
        if isinstance(x, list):
            return [self.walk(v, skip) for v in x]
        if isinstance(x, dict):
            return {k: (v if k in skip else self.walk(v, skip)) for k, v in x.items()}
        return x


def honest_results(run_cli, tmp_path: Path) -> Path:
    out = tmp_path / "honest.jsonl"
    if not out.exists():
        run_cli("batch", *PACKETS, "--out", out, "--quiet")
    return out


def hostile_cycle(run_cli, tmp_path: Path, payload: str) -> tuple[Path, Path]:
    """(results file, folder of packets): the honest cycle with every string hostile, the packets'
    evidence too (each verdict's packet_sha256 names its hostile packet, so its titles are shown)."""
    from engine.core.evidence import packet_sha256

    h = Hostile(payload)
    d = tmp_path / f"hostile-{abs(hash(payload))}"
    d.mkdir(exist_ok=True)
    lines = [json.loads(x) for x in honest_results(run_cli, tmp_path).read_text(encoding="utf-8").splitlines()]
    out = []
    for i, (line, src) in enumerate(zip(lines, PACKETS)):
        packet = json.loads(json.dumps(yaml.safe_load(src.read_text(encoding="utf-8")), default=str))
        packet["evidence"] = h.walk(packet["evidence"])  # ids, types, dates, titles, links
        (d / f"p{i}.json").write_text(json.dumps(packet), encoding="utf-8")
        v = h.walk(line)
        v["candidate"]["manager"] = h.s("manager of the candidate")
        v["also_in"] = [h.s("another input")]
        v["packet_sha256"] = packet_sha256(packet)
        out.append(v)
    out.append({"source": h.s("broken.yaml"), "error": {"problems": [{"path": h.s("/candidate"), "line": 1,
                                                                      "message": h.s("bad")}]}})
    res = d / "results.jsonl"
    res.write_text("".join(json.dumps(v) + "\n" for v in out), encoding="utf-8")
    return res, d


def report(run_cli, results: Path, packets: Path, out: Path) -> str:
    run_cli("report", results, packets, "--out", out)
    return out.read_text(encoding="utf-8")


# -- reading a page back ---------------------------------------------------------------------------------
class Page(HTMLParser):
    """Every start tag as written, its attributes, and the text of each script and style."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.raw, self.attrs, self.scripts, self.styles, self.csp = [], [], [], [], []
        self._in = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.raw.append(self.get_starttag_text())
        self.attrs.append((tag, attrs))
        if tag in ("script", "style"):
            self._in = (self.scripts if tag == "script" else self.styles)
            self._in.append("")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(dict(attrs)["content"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[-1] += data

    def shape(self) -> set[tuple[str, str]]:
        return {(tag, name) for tag, attrs in self.attrs for name, _ in attrs} | {(tag, "") for tag, _ in self.attrs}


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def check_page(text: str, honest: str | None) -> Page:
    """What every page must be, hostile input or not."""
    p = Page(text)
    unquoted = [t for t in p.raw if not START_TAG.fullmatch(t)]
    assert unquoted == [], unquoted[:3]  # every attribute name="value" (or bare), nothing else in a tag
    assert not [(t, a) for t, attrs in p.attrs for a, _ in attrs if a.startswith("on")]  # no event handler
    assert "autofocus" not in {a for _, attrs in p.attrs for a, _ in attrs}
    for tag, attrs in p.attrs:
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction"):
                assert value.startswith(("#", "https://")), (tag, name, value)
    ids = [v for _, attrs in p.attrs for a, v in attrs if a == "id"]
    assert len(ids) == len(set(ids))  # distinct values never make one id
    targets = {v[1:] for _, attrs in p.attrs for a, v in attrs if a == "href" and v.startswith("#")}
    assert targets <= set(ids), sorted(targets - set(ids))[:3]  # every link finds its target
    # the policy: the page's own script and style by hash, nothing inline besides, nothing fetched
    assert len(p.csp) == 1
    policy = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in p.csp[0].split(";")) if d}
    assert policy["default-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert len(p.scripts) <= 1 and len(p.styles) == 1
    assert policy["script-src"] == ([sha(p.scripts[0])] if p.scripts else ["'none'"])
    assert policy["style-src"] == [sha(p.styles[0])]
    assert not {"connect-src", "img-src", "font-src", "media-src", "frame-src", "object-src"} & set(policy)
    assert "unsafe" not in p.csp[0] and "http" not in p.csp[0]
    if honest is not None:  # no element and no attribute the honest page does not have
        extra = p.shape() - Page(honest).shape()
        assert extra == set(), sorted(extra)
    return p


# -- the report ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def honest_page(tmp_path_factory):
    from click.testing import CliRunner

    from cli import main

    d = tmp_path_factory.mktemp("honest")
    out, page = d / "r.jsonl", d / "r.html"
    r = CliRunner().invoke(main, ["batch", *map(str, PACKETS), "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["report", str(out), *map(str, PACKETS), "--out", str(page)])
    assert r.exit_code == 0, r.output
    return page.read_text(encoding="utf-8")


def test_the_honest_page_meets_the_same_rules(honest_page):
    p = check_page(honest_page, None)
    assert len(p.scripts) == 1 and "addEventListener" in p.scripts[0]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_results_file_and_packets_put_text_on_the_page_never_markup(run_cli, tmp_path, honest_page,
                                                                              payload):
    """The report of a cycle whose every string is hostile: all of it shown as text, none of it
    markup, an attribute, an id that breaks out or a link anywhere but the page itself."""
    res, packets = hostile_cycle(run_cli, tmp_path, payload)
    text = report(run_cli, res, packets, tmp_path / "x.html")
    # the same cycle with plain words for the payload: the elements and attributes an honest page has
    plain = report(run_cli, *hostile_cycle(run_cli, tmp_path, "plain"), tmp_path / "plain.html")
    assert Page(honest_page).shape() <= Page(plain).shape()
    p = check_page(text, plain)
    # the payload is there, as text, in every place it was put: content and attribute values alike
    shown = "".join(x for x in re.split(r"<[^>]*>", text))
    assert payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("'", "&#x27;") in shown
    values = [v for _, attrs in p.attrs for _, v in attrs if v]
    assert any(payload in v for v in values)  # data-level, data-org, title...: the value, whole, inside quotes
    # the places the issue names: the key's links and ids, the evidence links and rows, the facts line
    assert re.search(r'<a href="#k-[A-Za-z0-9_.:-]+-1">1</a>', text)
    assert re.search(r'<li id="k-[A-Za-z0-9_.:-]+-1">', text)
    assert re.search(r'<a href="#c0-[A-Za-z0-9_.:-]+">', text) and re.search(r'<tr id="c0-[A-Za-z0-9_.:-]+">', text)
    facts = re.findall(r'<p class="facts">(.*?)</p>', text)
    assert facts and all("manager " in f and "<" not in f.replace("<code>", "").replace("</code>", "")
                         .replace("<strong>", "").replace("</strong>", "") for f in facts)


def test_a_line_of_the_wrong_shape_is_named_not_fatal(run_cli, tmp_path):
    """A verdict line whose fields are not what batch writes (a number for a list, a list for a
    name) is shown as not shown, with a fixed message, and the rest of the page is made."""
    line = json.loads(honest_results(run_cli, tmp_path).read_text(encoding="utf-8").splitlines()[0])
    bad = []
    for field, value in (("levels", [1]), ("supporting_gaps", [{"more": "<b>x</b>"}]), ("also_in", [["x"]]),
                         ("warnings", ["<b>x</b>"]), ("plan", [7]), ("gaps", 3)):
        bad.append({**line, field: value, "source": f"bad-{field}.yaml"})
    res = tmp_path / "bad.jsonl"
    res.write_text("".join(json.dumps(v) + "\n" for v in [line, *bad]), encoding="utf-8")
    r = run_cli("report", res, "--out", tmp_path / "x.html")
    text = (tmp_path / "x.html").read_text(encoding="utf-8")
    assert text.count("not the shape ladder batch writes") == len(bad) and "<b>x</b>" not in text
    assert "Traceback" not in r.output
    check_page(text, None)


def test_ids_from_values_are_distinct_and_inert():
    from engine.base.escape import html_attr, html_id

    values = ["a/", "a_2f_", "a_", "a", "a b", 'a"', "a'", "a>", "é", "_e9_", "senior-pm", "senior_pm", ""]
    ids = [html_id("c3", v) for v in values]
    assert len(set(ids)) == len(values) and all(re.fullmatch(r"[A-Za-z0-9_.:-]+", i) for i in ids)
    assert html_id("k", "senior-pm", 2) == "k-senior-pm-2"  # honest ids read as before
    for name, value in (("onclick", "x"), ("href", "javascript:alert(1)"), ("href", " https://x"),
                        ("src", "data:text/html,x"), ("Href", "#x")):
        with pytest.raises(ValueError):
            html_attr(name, value)


# -- the calibration page ------------------------------------------------------------------------------
def calibration_page(run_cli, tmp_path: Path, payload: str) -> str:
    """A calibration whose results carry the payload in candidate ids, orgs, tracks and target
    levels, and whose decisions carry it in reasons and candidate ids."""
    rows, decisions = [], []
    for i in range(12):
        cid = f"c{i}" if i < 8 else f"{payload} {i}"  # not an id a decisions file may hold: never paired
        rows.append({"candidate": {"id": cid, "org": f"{payload}org", "cycle": "2026-h1"},
                     "track": f"{payload}track" if i % 2 else "management", "current_level": "mid-pm",
                     "target_level": "senior-pm" if i < 6 else f"{payload}level", "path": ["senior-pm"],
                     "as_of": "2026-06-30", "verdict": "ready" if i % 3 else "not_ready", "headline": payload,
                     "levels": [], "criteria": [{"id": "senior-pm.aligns-teams", "level": "senior-pm", "required": True,
                                                 "status": "met"}],
                     "unmet": [], "gaps": [], "supporting_gaps": [], "warnings": [], "rules_version": "sha256:r",
                     "schema_version": "sha256:s", "packet_sha256": f"sha256:{i}"})
        decisions.append(("2026-h1", cid, "promoted" if i % 2 else "not_promoted", "2026-07-01", f"{payload} reason {i}",
                          "senior-pm.aligns-teams=unmet" if i == 1 else ""))
    res = tmp_path / "cal.jsonl"
    res.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    dec = tmp_path / "dec.csv"
    with dec.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("cycle", "candidate_id", "decision", "decided_on", "reason", "overrides"))
        w.writerows(decisions)
    return run_cli("calibrate", "--results", res, "--decisions", dec, "--format", "html", exit_code=None).stdout


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_calibration_page_shows_text_never_markup(run_cli, tmp_path, payload):
    text = calibration_page(run_cli, tmp_path, payload)
    (tmp_path / "h").mkdir()
    honest = calibration_page(run_cli, tmp_path / "h", "honest")
    assert "By org" in text and "By level" in text  # the hostile groups are there, as text
    p = check_page(text, honest)
    assert p.scripts == []
    # the payload is in the charts' attribute values (a group's name), whole, inside quotes; never
    # anywhere else in a tag (an attribute of its own)
    assert "document.body" not in "".join(re.sub(r'="[^"]*"', "", t) for t in p.raw)
    values = [v for _, attrs in p.attrs for _, v in attrs if v]
    assert any(f"{payload}org" == v for v in values)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="&<>\"'a;#x\x00\u2028"), st.integers(), st.none()))
def test_html_text_is_exactly_the_standard_librarys_escape(value):
    """The report's one HTML door is fast (no copy when nothing needs escaping) and must give what
    `html.escape(quote=True)` gives, byte for byte, for any text: the reference it replaced."""
    import html as _html

    from engine.base.escape import html_text

    want = _html.escape("" if value is None else str(value), quote=True)
    assert html_text(value) == want
