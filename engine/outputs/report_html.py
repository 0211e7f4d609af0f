"""The committee's cycle on one screen: verdict lines -> one self-contained HTML file.

A cohort overview (counts by verdict, target level, track and org), per target level a candidate x
criterion matrix sorted by closeness to ready, and a section per candidate (headline, criteria
with the cited evidence, gaps, plan, warnings, evidence appendix). CSS and JS are inline and a
Content-Security-Policy forbids every request, so the file works offline and nothing leaves it.
Filtering and sorting are small inline JS over data attributes; without JS everything is shown.
Every value read from a results line or a packet is written through engine.base.escape (text through
html_text, attributes quoted through html_attr, ids through html_id), every attribute is quoted,
and the Content-Security-Policy allows only this page's own script and style, by their sha256:
an edited results file can put any text on the page, never markup or script.
Matrices and sections are `content-visibility: auto` (laid out when scrolled to): at 10,000
candidates the page took 30 s to load without it and about 3.5 s with it (bench/run.py).

`Report` is fed one line at a time (a verdict or an error line, as `ladder batch` writes them)
and keeps each candidate's section already rendered, so a 10,000-line cycle is never held as
parsed JSON. The output is a pure function of the lines in order: no clock, no randomness.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..base.escape import html_attr as attr, html_csp, html_id, html_text
from . import charts
from .report import SUPPRESS_BELOW, plan_fields

VERDICT_ORDER = ("ready", "not_ready", "insufficient_evidence")
_LABEL = {"ready": "ready", "not_ready": "not ready", "insufficient_evidence": "insufficient evidence"}
_REDACTED = "(redacted)"
TOP_UNMET = 15  # criteria in the "most often unmet" table and chart
_MALFORMED = "not shown: a field is not the shape ladder batch writes (an edited or damaged results line)"


e = html_text  # text content (and the tests' way to find it)


def _pol(lv: dict) -> str:
    """ ", policy" beside a level's own numbers when the ladder labels them its choice."""
    return ", policy" if lv.get("basis") == "policy" else ""


def _str(x: object) -> str:
    return "" if x is None else str(x)


@dataclass
class _Row:
    n: int  # input order
    key: tuple  # closeness to ready (smaller is closer), then input order
    cid: str
    name: str
    verdict: str
    level: str
    track: str
    org: str
    shape: tuple[str, ...]  # the criterion ids judged, in the verdict's order (one shared tuple per shape)
    codes: str  # per criterion of `shape`: M/m met (required/supporting), R/S open (required/supporting)
    open_required: int
    short: int
    spot: tuple[int, int]  # where the rendered section is in the report's spill file (offset, bytes)
    manager: str = ""
    decision: str | None = None  # the committee's decision (report --decisions), when one is recorded
    extra: dict[str, str] = field(default_factory=dict)  # the directory's further columns for this candidate

    @property
    def statuses(self) -> dict[str, tuple[str, bool]]:
        """Criterion id -> (met | unmet, required), made when asked: a row keeps one short string."""
        return {cid: ("met" if c in "Mm" else "unmet", c in "MR") for cid, c in zip(self.shape, self.codes)}


class Report:
    def __init__(
        self,
        redact: bool = False,
        titled: bool = True,
        level_order: list[str] | tuple = (),
        charts: bool = True,
        decisions: Any = None,
        directory: Any = None,
    ):
        self.redact = redact
        # engine.org.people.Directory (report --people): its further columns (location, ...) become
        # cohort groups beside level, track, org and manager, and it gives a candidate's manager
        # where the verdict line has none
        self.directory = directory
        self.group_columns: tuple[str, ...] = (
            tuple(sorted({c for more in directory.extra.values() for c in more})) if directory is not None else ()
        )
        self.decisions = decisions  # engine.committee.decisions.Matcher (report --decisions), or None
        self._last_decision: str | None = None
        self.decided: Counter[str] = Counter()  # decision -> candidates shown with it
        self.charts = charts  # False: the tables only (ladder report --no-charts)
        self.level_order = list(level_order)
        self.titled = titled  # False: no evidence titles were available (ladder report without --packets)
        self.rows: list[_Row] = []
        self.errors: list[tuple[str, str]] = []
        self.criteria: dict[str, dict[str, tuple[str, bool]]] = {}  # target level -> criterion id -> (title, required)
        self.level_titles: dict[str, str] = {}
        self.rules: Counter[str] = Counter()
        self.cycles: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self.needs: dict[str, str] = {}  # criterion id -> what it needs (the first part of its unmet reason)
        # criterion id -> its policy note ("" for a number whose only note is the default window's):
        # a number in it is the ladder's choice, not the guide's, shown "policy" in the key
        self.policy: dict[str, str] = {}
        self.default_window: dict | None = None  # the ladder's default window and its note, when labelled
        self.path_fits: dict[str, Counter[str]] = {}  # adjacent path -> fit -> candidates (batch --paths)
        self._shapes: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per list of criteria seen
        self._spill: Any = None  # the rendered sections, in a temporary file (_spill_section)

    # -- reading ----------------------------------------------------------------------------
    def add(self, d: dict, titles: dict | None = None) -> None:
        n = len(self.rows) + len(self.errors)
        if "error" in d or "verdict" not in d:
            from ..base.errors import first_problem

            err = d.get("error")
            problems = err.get("problems") if isinstance(err, dict) else None
            try:
                first = first_problem(problems) if isinstance(problems, list) else ""
            except (AttributeError, KeyError, TypeError):
                first = _MALFORMED
            self.errors.append((str(d.get("source", f"line {n + 1}")), first))
            return
        try:
            row, crits, levels, needs = self._read(d, n, None if self.redact else titles)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            # an edited line of the wrong shape: named on the page, never half-counted, never a crash
            self.errors.append((str(d.get("source", f"line {n + 1}")), _MALFORMED))
            return
        cand = d.get("candidate") or {}
        self.seen[row.cid] += 1
        crit = self.criteria.setdefault(row.level, {})
        for cid, t in crits:
            crit.setdefault(cid, t)
        for lid, t in levels:
            self.level_titles.setdefault(lid, t)
        for cid, t in needs.items():
            self.needs.setdefault(cid, t)
        for c in d.get("criteria", []):
            if c.get("basis") == "policy" or c.get("window"):
                self.policy.setdefault(c["id"], _str(c.get("basis_note")))
        if self.default_window is None and isinstance(d.get("default_window"), dict):
            self.default_window = d["default_window"]
        self.rules[str(d.get("rules_version", ""))] += 1
        if cand.get("cycle"):
            self.cycles[str(cand["cycle"])] += 1
        self.rows.append(row)

    def _read(self, d: dict, n: int, titles: dict | None) -> tuple[_Row, list, list, dict]:
        """One verdict line as its row (section rendered) and what it adds to the page's keys; an
        exception if the line is not the shape batch writes. Changes nothing on the report."""
        cand = d.get("candidate") or {}
        cid = str(cand.get("id", ""))
        name = "" if self.redact else str(cand.get("name") or "")
        level, verdict = str(d.get("target_level", "")), str(d.get("verdict", ""))
        crits, ids, codes = [], [], []
        for c in d.get("criteria", []):
            req = bool(c.get("required"))
            crits.append((c["id"], (_str(c.get("title")), req)))
            ids.append(str(c["id"]))
            codes.append(("M" if req else "m") if c["status"] == "met" else ("R" if req else "S"))
        shape = self._shapes.setdefault(tuple(ids), tuple(ids))
        levels = [(str(lv["id"]), _str(lv.get("title"))) for lv in d.get("levels", [])]
        open_required = len(d.get("gaps", []))
        short = sum(g.get("more", 0) for g in d.get("supporting_gaps", []))
        if not isinstance(short, int):
            raise TypeError("supporting_gaps: more is not a whole number")
        rank = VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else 3
        # ready first; then the fewest required criteria open, the fewest supporting short, and
        # insufficient evidence after not ready at equal distance (there is more to gather)
        key = (0 if verdict == "ready" else 1, open_required, short, rank, n)
        row = _Row(
            n,
            key,
            cid,
            name,
            verdict,
            level,
            str(d.get("track", "")),
            str(cand.get("org") or ""),
            shape,
            "".join(codes),
            open_required,
            short,
            (0, 0),
            str(cand.get("manager") or ""),
        )
        if self.directory is not None:
            me = self.directory.get(cid)
            if me is not None:
                row.extra = self.directory.extra.get(me.key, {})
                row.manager = row.manager or (me.manager_id or "")
        needs: dict[str, str] = {}
        self._last_decision = None
        section = self._section(d, row, titles, needs).encode("utf-8")
        row.decision = self._last_decision
        row.spot = self._spill_section(section)
        return row, crits, levels, needs

    def _spill_section(self, section: bytes) -> tuple[int, int]:
        """A candidate's rendered section goes to a temporary file at once: the report holds a short
        row per candidate, not the page (50,000 candidates in a few hundred megabytes)."""
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # removed when closed, or when the process ends
        self._spill.seek(0, os.SEEK_END)
        at = self._spill.tell()
        self._spill.write(section)
        return at, len(section)

    def _section_of(self, r: _Row) -> str:
        assert self._spill is not None
        self._spill.seek(r.spot[0])
        return self._spill.read(r.spot[1]).decode("utf-8")

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def _found(self, c: dict, needs: dict[str, str]) -> str:
        """An unmet criterion's reason less its `needs ...;` part (the same for every candidate,
        shown once in the key, gathered in `needs`)."""
        reason = str(c.get("reason", ""))
        head, sep, tail = reason.partition("; found")
        if reason.startswith("needs ") and sep:
            needs.setdefault(c["id"], head)
            return "found" + tail
        return reason

    # -- rendering --------------------------------------------------------------------------
    def _who(self, r: _Row) -> str:
        return e(r.cid) + (f' <span class="nm">{e(r.name)}</span>' if r.name else "")

    def _attrs(self, r: _Row) -> str:
        return (
            attr("data-level", r.level)
            + attr("data-track", r.track)
            + attr("data-verdict", r.verdict)
            + (attr("data-org", r.org) if r.org else "")
            + attr("data-id", r.cid.lower())
            + (attr("data-name", r.name.lower()) if r.name else "")
            + attr("data-k", f"{r.key[0]}.{r.key[1]:04d}.{r.key[2]:04d}.{r.key[3]}.{r.n:07d}")
        )

    def _cite(self, ids: list[str], titles: dict | None, a: str) -> str:
        if not titles:  # no appendix to link to
            return ", ".join(map(e, ids))
        out = []
        for i in ids:
            t = titles.get(i)
            label = (t[2] or str(t[0]).replace("_", " ")) if t else ""  # feedback has no title: its type
            out.append(f"<a{attr('href', '#' + html_id(a, i))}>{e(i)}</a>" + (f" {e(label)}" if label else ""))
        return "; ".join(out)

    @staticmethod
    def _meters(levels: list[dict]) -> str:
        """The candidate's chart (charts.criteria_meters: the case page draws the same)."""
        return charts.criteria_meters(levels)

    def _decision(self, cid: str, cycle: object, verdict: str) -> str:
        """The committee's decision on this verdict, as a paragraph ("" without --decisions or none)."""
        if self.decisions is None:
            return ""
        got = self.decisions.match(cid, cycle if isinstance(cycle, str) else None)
        if isinstance(got, str):  # several cycles and the verdict names none
            return f'<p class="dec">Committee: {e(got)}</p>'
        if got is None:
            self.decided["no decision recorded"] += 1
            return '<p class="dec">Committee: no decision recorded</p>'
        self.decided[got.decision] += 1
        self._last_decision = got.decision
        paired = {"ready": "promoted", "not_ready": "not_promoted", "insufficient_evidence": "deferred"}
        differs = paired.get(verdict) != got.decision
        over = "; overrides: " + ", ".join(f"{c} → {v}" for c, v in got.overrides) if got.overrides else ""
        reason = "" if self.redact or not got.reason else f" — {got.reason}"
        by = f" by {got.decided_by}" if got.decided_by else ""
        return (
            f'<p class="dec{" differs" if differs else ""}"><b>Committee {e(got.cycle)}: '
            f"{e(got.decision.replace('_', ' '))}</b> (decided {e(got.decided_on)}{e(by)}"
            f"{', not what the rules said' if differs else ''}){e(over)}{e(reason)}</p>"
        )

    def _section(self, d: dict, r: _Row, titles: dict | None, needs: dict[str, str]) -> str:
        a = f"c{r.n}"
        cand = d.get("candidate") or {}
        facts = [
            f"{e(d.get('track'))} track",
            f"{e(d.get('current_level'))} → {e(d.get('target_level'))}",
            f"as of {e(d.get('as_of'))}",
        ]
        for k in ("org", "manager", "cycle"):
            if cand.get(k):
                facts.append(f"{k} {e(cand[k])}")
        if d.get("also_in"):
            facts.append("<strong>also in " + e(", ".join(d["also_in"])) + "</strong>")
        decided = self._decision(r.cid, cand.get("cycle"), r.verdict)
        out = [
            f'<section class="cand"{attr("id", a)}{attr("data-verdict", r.verdict)}>',
            f"<h3>{self._who(r)} <span{attr('class', 'v ' + r.verdict)}>{e(_LABEL.get(r.verdict, r.verdict))}"
            f'</span></h3><p class="hl">{e(d.get("headline"))}</p><p class="facts">{" · ".join(facts)} · source '
            f"<code>{e(d.get('source', ''))}</code></p>" + decided,
        ]
        fits = d.get("paths")
        if isinstance(fits, list) and fits:  # batch --paths: the adjacent paths' fit, strongest first
            out.append(
                '<p class="paths">Adjacent paths: '
                + ", ".join(
                    f"{e(p.get('title') or p.get('id'))} <b>{e(p.get('fit'))}</b>" for p in fits if isinstance(p, dict)
                )
                + "</p>"
            )
            for p in fits:
                if isinstance(p, dict) and p.get("fit") in ("strong", "some", "none"):
                    self.path_fits.setdefault(str(p.get("id")), Counter())[str(p["fit"])] += 1
        levels = d.get("levels", [])
        if self.charts and levels:
            out.append(self._meters(levels))
        if len(levels) > 1 or r.verdict == "insufficient_evidence":  # else the headline says it
            out.append(
                '<ul class="lv">'
                + "".join(
                    f"<li>{e(lv['id'])}: {e(_LABEL.get(lv['verdict'], lv['verdict']))} · required "
                    f"{lv['required_met']}/{lv['required_total']} · supporting {lv['supporting_met']} (needs "
                    f"{lv['supporting_needed']}{_pol(lv)}) · recent evidence {lv['recent_records']} (needs "
                    f"{lv['recent_needed']}{_pol(lv)})</li>"
                    for lv in levels
                )
                + "</ul>"
            )
        # Criterion titles and what each criterion needs are in the level's key, once: at 10,000
        # candidates, repeating them made a 72 MB page. A section says what is particular to the
        # candidate: what was found, what is still missing, the nearest misses, the evidence cited.
        crits = d.get("criteria", [])
        closest = {cid for g in d.get("supporting_gaps", []) for cid in g.get("closest", [])}
        unmet = [c for c in crits if c["status"] != "met"]
        detail = [c for c in unmet if c.get("required") or c["id"] in closest]
        detail.sort(key=lambda c: not c.get("required"))  # stable: rule order within each kind
        rest = [c for c in unmet if c not in detail]
        met = [c for c in crits if c["status"] == "met"]
        if detail:
            out.append('<h4>Not met</h4><ul class="crit u">')
            for c in detail:
                miss = "".join(
                    f"<br><small>nearest: {e(m['evidence'])}: {e('; '.join(m['failed']))}</small>"
                    for m in c.get("nearest_misses", [])[:1]
                )
                out.append(
                    f"<li{attr('class', 'req') if c.get('required') else ''}><b>{e(c['id'])}</b>"
                    "<br>"
                    f"<small>{e(self._found(c, needs))}</small>{miss}"
                )
            out.append("</ul>")
        if rest:
            out.append('<p class="rest">Also not met (supporting): ' + ", ".join(e(c["id"]) for c in rest) + "</p>")
        if met:
            own = sum(1 for c in met if not c.get("verified", True))
            out.append(
                "<h4>Met</h4>"
                + (
                    f'<p class="rest">{own} of {len(met)} on self-declared records only (no verified_by)</p>'
                    if own
                    else ""
                )
                + '<ul class="crit m">'
            )
            out += [f"<li><b>{e(c['id'])}</b> {self._cite(c.get('evidence', []), titles, a)}" for c in met]
            out.append("</ul>")
        gaps, sup = d.get("gaps", []), d.get("supporting_gaps", [])
        if gaps or sup:  # the required ones are listed above, marked required
            out.append(
                f"<p><b>Gaps to close:</b> {len(gaps)} required"
                + "".join(
                    f"; {e(g['level'])} needs {g['more']} more supporting"
                    + (f" {e(g['aspect'])}" if "aspect" in g else "")
                    + f", closest: {e(', '.join(g['closest']))}"
                    for g in sup
                )
                + "</p>"
            )
        if "plan" in d:
            if d["plan"] is None:
                out.append(f"<h4>Plan</h4><p>No plan found: {e(d.get('plan_note'))}</p>")
            else:
                out.append(f'<h4>What would make this ready ({len(d["plan"])} record(s) to add)</h4><ol class="plan">')
                out += [
                    f"<li>{e(p.get('type'))}, dated {e(p.get('date'))}: {e(plan_fields(p))}</li>" for p in d["plan"]
                ]
                out.append("</ol>")
        warns = d.get("warnings", [])
        if warns:
            out.append(f'<h4>Warnings for the committee ({len(warns)})</h4><ul class="warn">')
            out += [
                f"<li>{'line ' + e(w['line']) + ': ' if w.get('line') is not None else ''}"
                f"<code>{e(w.get('path'))}</code> {e(w.get('message'))}</li>"
                for w in warns
            ]
            out.append("</ul>")
        ids = list(titles) if titles else []  # without titles the appendix would only repeat the ids cited
        if ids:
            out.append(
                f'<details class="ev"><summary>Evidence ({len(ids)} record(s))</summary><table><thead><tr>'
                '<th scope="col">id<th scope="col">type<th scope="col">date<th scope="col">title</thead><tbody>'
            )
            for i in ids:
                t = titles.get(i) if titles else None
                out.append(
                    f"<tr{attr('id', html_id(a, i))}><td>{e(i)}<td>{e(t[0]) if t else ''}<td>{e(t[1]) if t else ''}"
                    f"<td>{e(t[2]) if t else ''}"
                )
            out.append("</tbody></table></details>")
        out.append("</section>")
        return "".join(out)

    def cohort(self) -> dict:
        """The cohort's figures, computed once: the tables and the charts of the Cohort section are
        both drawn from this. A candidate id in several inputs counts once, by its first (as
        batch's summary). `by`: per dimension, each group's counts in VERDICT_ORDER; `readiness`:
        per dimension, (group, candidates, ready, percent ready), ready and percent None for a
        group under SUPPRESS_BELOW (as calibrate's groups); `unmet`: the criteria most often unmet,
        (criterion id, required, candidates it is unmet for, candidates assessed on it)."""
        first: dict[str, _Row] = {}
        for r in self.rows:
            first.setdefault(r.cid, r)
        rows = list(first.values())
        verdicts = Counter(r.verdict for r in rows)
        by: dict[str, list[tuple[str, list[int]]]] = {}
        readiness: dict[str, list[tuple[str, int, int | None, float | None]]] = {}
        for dim, attr_name in (("target level", "level"), ("track", "track"), ("org", "org")):
            c = Counter((getattr(r, attr_name), r.verdict) for r in rows if getattr(r, attr_name))
            groups = sorted({g for g, _ in c})
            if not groups:
                continue
            by[dim] = [(g, [c[g, v] for v in VERDICT_ORDER]) for g in groups]
            ready: list[tuple[str, int, int | None, float | None]] = []
            for g, counts in by[dim]:
                n = sum(counts)
                if n < SUPPRESS_BELOW:
                    ready.append((g, n, None, None))
                else:
                    ready.append((g, n, counts[0], round(100 * counts[0] / n, 1)))
            readiness[dim] = ready
        unmet: Counter[str] = Counter()
        assessed: Counter[str] = Counter()
        required: dict[str, bool] = {}
        groups_out = cohort_groups(rows, self.decisions is not None, self.group_columns)
        for r in rows:
            for cid, (status, req) in r.statuses.items():
                assessed[cid] += 1
                required.setdefault(cid, req)
                if status != "met":
                    unmet[cid] += 1
        top = sorted(unmet.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNMET]
        return {
            "candidates": len(rows),
            "verdicts": [verdicts[v] for v in VERDICT_ORDER],
            "by": by,
            "readiness": readiness,
            "unmet": [(cid, required[cid], n, assessed[cid]) for cid, n in top],
            "groups": groups_out,
        }

    def _counts(self, fig: dict) -> str:
        parts = [f"<li><b>{n}</b> {e(_LABEL[v])}" for v, n in zip(VERDICT_ORDER, fig["verdicts"])]
        if self.errors:
            parts.append(f"<li><b>{len(self.errors)}</b> could not be evaluated")
        out = [f'<ul class="counts">{"".join(parts)}</ul>']
        if self.decisions is not None:  # report --decisions: what the committee decided, in the same words
            out.append(
                '<p class="dec">Committee decisions: '
                + ", ".join(f"{n} {e(k.replace('_', ' '))}" for k, n in sorted(self.decided.items()))
                + "</p>"
            )
        for dim, groups in fig["by"].items():
            cells = "".join(
                f'<tr><th scope="row">{e(k)}' + "".join(f"<td>{n}" for n in counts) + f"<td>{sum(counts)}"
                for k, counts in groups
            )
            out.append(
                f'<table class="by"><caption>By {dim}</caption><thead><tr><th scope="col">{dim}'
                + "".join(f'<th scope="col">{e(_LABEL[v])}' for v in VERDICT_ORDER)
                + f'<th scope="col">all</thead><tbody>{cells}</tbody></table>'
            )
        for dim, groups in fig["readiness"].items():
            cells = "".join(
                f'<tr><th scope="row">{e(g)}<td>{n}'
                + (f'<td colspan="2">fewer than {SUPPRESS_BELOW}' if ready is None else f"<td>{ready}<td>{share:.1f}%")
                for g, n, ready, share in groups
            )
            out.append(
                f'<table class="by rd"><caption>Readiness by {dim}</caption><thead><tr><th scope="col">{dim}'
                f'<th scope="col">candidates<th scope="col">ready<th scope="col">share ready</thead>'
                f"<tbody>{cells}</tbody></table>"
            )
        out.append(_impact_tables(fig["groups"]))
        if self.path_fits:
            cells = "".join(
                f'<tr><th scope="row"><code>{e(pid)}</code>'
                + "".join(f"<td>{fits[f]}" for f in ("strong", "some", "none"))
                for pid, fits in sorted(self.path_fits.items())
            )
            out.append(
                '<table class="by"><caption>Adjacent paths: fit across the cohort (batch --paths)</caption>'
                '<thead><tr><th scope="col">path<th scope="col">strong<th scope="col">some<th scope="col">none'
                f"</thead><tbody>{cells}</tbody></table>"
            )
        if fig["unmet"]:
            cells = "".join(
                f'<tr><th scope="row"><code>{e(cid)}</code><td>{"required" if req else "supporting"}<td>{n}<td>{of}'
                for cid, req, n, of in fig["unmet"]
            )
            out.append(
                '<table class="by un"><caption>Most often unmet</caption><thead><tr><th scope="col">criterion'
                '<th scope="col">kind<th scope="col">unmet<th scope="col">of candidates assessed</thead>'
                f"<tbody>{cells}</tbody></table>"
            )
        if self.charts:
            out.append(self._cohort_charts(fig))
        return "".join(out)

    def _cohort_charts(self, fig: dict) -> str:
        out = ['<div class="charts">']
        for dim, groups in fig["by"].items():
            out.append(charts.stacked(groups, charts.VERDICT_SERIES, f"Verdicts by {dim}", kind="verdicts"))
        for dim, groups in fig["readiness"].items():
            out.append(
                charts.bars(
                    [
                        (g, share, "share", f"fewer than {SUPPRESS_BELOW}" if share is None else f"{share:.1f}% of {n}")
                        for g, n, ready, share in groups
                    ],
                    f"Share ready by {dim} (groups under {SUPPRESS_BELOW} not shown)",
                    100,
                    (),
                    kind="readiness",
                )
            )
        if fig["unmet"]:
            out.append(
                charts.bars(
                    [(cid, n, "required" if req else "supporting", f"{n} of {of}") for cid, req, n, of in fig["unmet"]],
                    "Most often unmet criteria",
                    max(n for _, _, n, _ in fig["unmet"]),
                    (("required", "required"), ("supporting", "supporting")),
                    kind="unmet",
                )
            )
        out.append("</div>")
        return "".join(out)

    def _policy(self, cid: str) -> str:
        """ " policy: note" in a criterion's key entry when a number in it is the ladder's choice."""
        if cid not in self.policy:
            return ""
        note = self.policy[cid]
        return ' <i class="pol">policy' + (f": {e(note)}" if note else " (default window)") + "</i>"

    def _matrix(self, level: str, rows: list[_Row]) -> str:
        cols = list(self.criteria.get(level, {}).items())
        own = level + "."
        head = "".join(
            f'<th scope="col" class="c"{attr("title", f"{cid}: {t}")}><a{attr("href", "#" + html_id("k", level, i + 1))}>'
            f"{i + 1}</a>{'<sup>*</sup>' if req else ''} <span>{e(cid.removeprefix(own))}</span>"
            for i, (cid, (t, req)) in enumerate(cols)
        )
        body = []
        for r in rows:
            cells = []
            stat = r.statuses
            for cid, _ in cols:
                st = stat.get(cid)
                if st is None:
                    cells.append("<td>")
                elif st[0] == "met":
                    cells.append('<td class="y">✓')
                else:
                    cells.append(f"<td{attr('class', 'r' if st[1] else 'n')}>✗")
            body.append(
                f'<tr{self._attrs(r)}><th scope="row"><a{attr("href", f"#c{r.n}")}>{self._who(r)}</a>'
                f"<td{attr('class', 'v ' + r.verdict)}>{e(_LABEL.get(r.verdict, r.verdict))}"
                f"<td>{r.open_required}<td>{r.short}{''.join(cells)}"
            )
        legend = "".join(
            f"<li{attr('id', html_id('k', level, i + 1))}><code>{e(cid)}</code> {e(t)}{' <i>(required)</i>' if req else ''}"
            + self._policy(cid)
            + (f"<br><small>{e(self.needs[cid])}</small>" if cid in self.needs else "")
            for i, (cid, (t, req)) in enumerate(cols)
        )
        dw, window = self.default_window, ""
        if dw:
            window = (
                f'<p class="rest">policy (default window): evidence counts within {e(dw.get("days"))} days of '
                f"the as-of date wherever a criterion gives no window of its own ({e(dw.get('basis_note'))})</p>"
            )
        return (
            '<div class="mxk"><div class="wrap"><table class="mx"><caption>Candidates × criteria (✓ met, ✗ open; * required; '
            'sorted by closeness to ready)</caption><thead><tr><th scope="col">candidate<th scope="col">verdict'
            '<th scope="col" title="required criteria open">req. open<th scope="col" '
            f'title="supporting criteria short">supp. short{head}</thead><tbody>{"".join(body)}</tbody></table></div>'
            f'<details class="key" open><summary>Criteria key ({len(cols)})</summary><ol>{legend}</ol>{window}'
            "</details></div>"
        )

    def render(self) -> str:
        return "".join(self.render_chunks())

    def render_chunks(self) -> Iterator[str]:
        """The page in pieces, in order: the head and cohort, then each level's matrix and its
        candidates' sections, read back from the spill file one at a time."""
        rows = sorted(self.rows, key=lambda r: r.key)
        order = {lv: i for i, lv in enumerate(self.level_order)}
        levels = sorted({r.level for r in rows}, key=lambda lv: (order.get(lv, len(order)), lv))  # the ladder's order
        cycles = ", ".join(sorted(self.cycles))
        title = "Promotion cycle" + (f" {cycles}" if cycles else "")
        repeated = sorted(k for k, n in self.seen.items() if n > 1)
        opts = {dim: sorted({getattr(r, dim) for r in rows if getattr(r, dim)}) for dim in ("level", "track", "org")}
        filters = "".join(
            f'<label>{label} <select{attr("data-f", dim)}><option value="">all</option>'
            + "".join(f"<option{attr('value', v)}>{e(_LABEL.get(v, v))}</option>" for v in values)
            + "</select></label>"
            for dim, label, values in (
                ("level", "Target level", opts["level"]),
                ("track", "Track", opts["track"]),
                ("verdict", "Verdict", [v for v in VERDICT_ORDER if any(r.verdict == v for r in rows)]),
                ("org", "Org", opts["org"]),
            )
            if values
        )
        parts = [
            _HEAD_START + e(title) + _HEAD_END,
            '<a class="skip" href="#main">Skip to the candidates</a>',
            f"<header><h1>{e(title)}</h1><p>{len(rows) + len(self.errors)} packet(s), {len(rows)} evaluated"
            f"{', ' + str(len(set(r.cid for r in rows))) + ' candidate(s)' if repeated else ''}. Rules "
            + ", ".join(f"<code>{e(v[:19])}…</code>" for v in sorted(self.rules))
            + (
                ". Names and evidence titles left out (--redact)."
                if self.redact
                else ""
                if self.titled
                else ". Evidence titles not shown: give the packets too (ladder report RESULTS.jsonl PACKET...)."
            )
            + "</p></header>",
            f'<nav class="ctl" aria-label="Filter and sort">{filters}<label>Find <input type="search" data-q '
            'placeholder="id or name"></label><label>Sort <select data-sort><option value="k">closeness to ready'
            f'</option><option value="id">candidate id</option>{"" if self.redact else """<option value="name">name</option>"""}'
            f'</select></label><output aria-live="polite" data-shown>{len(rows)} of {len(rows)} shown</output></nav>',
            "<h2>Cohort</h2>",
            self._counts(self.cohort()),
        ]
        if repeated:
            parts.append(
                '<p class="warn">Candidate id(s) in more than one input (each has a section; check which '
                "packet is current): " + ", ".join(f"<code>{e(c)}</code>" for c in repeated) + "</p>"
            )
        if self.errors:
            parts.append(
                f'<details class="errs" open><summary>Could not be evaluated ({len(self.errors)})</summary><ul>'
                + "".join(f"<li><code>{e(s)}</code>: {e(p)}" for s, p in self.errors)
                + "</ul></details>"
            )
        parts.append('<main id="main" tabindex="-1">')
        yield "".join(parts)
        for lv in levels:
            mine = [r for r in rows if r.level == lv]
            yield (
                f'<section class="grp"{attr("data-level", lv)}><h2>{e(lv)} · {e(self.level_titles.get(lv, ""))}'
                f' <small>({len(mine)})</small></h2>{self._matrix(lv, mine)}<div class="secs">'
            )
            held: list[str] = []
            for r in mine:
                held.append(self._section_of(r))
                if len(held) == 256:
                    yield "".join(held)
                    held = []
            yield "".join(held) + "</div></section>"
        yield "</main><script>" + _JS + "</script></body></html>\n"


FOUR_FIFTHS = Fraction(4, 5)  # a group's rate under 4/5 of the highest group's: the adverse-impact rule of thumb
GROUP_DIMS = (("target level", "level"), ("track", "track"), ("org", "org"), ("manager", "manager"))
GROUP_COLUMNS = [
    "dimension",
    "group",
    "candidates",
    "ready",
    "share_ready",
    "ready_ratio_to_highest",
    "ready_below_four_fifths",
    "decided",
    "promoted",
    "share_promoted",
    "promoted_ratio_to_highest",
    "promoted_below_four_fifths",
    "suppressed",
]


def cohort_groups(rows: list, with_decisions: bool, columns: tuple[str, ...] = ()) -> list[dict]:
    """Per dimension and group (level, track, org, manager): candidates, how many are ready and the
    share, that share against the highest group's of the dimension (the adverse-impact ratio; under
    four fifths is flagged), and with decisions the same for promotions among those decided. A
    group under SUPPRESS_BELOW candidates (as calibrate's) shows only that it is small, and takes
    no part in the ratios. `columns`: the people directory's further columns, each a dimension too."""
    out: list[dict] = []
    dims = [(dim, attr_, False) for dim, attr_ in GROUP_DIMS] + [(c, c, True) for c in columns]
    for dim, attr_, more in dims:
        groups: dict[str, list] = {}
        for r in rows:
            g = r.extra.get(attr_) if more else getattr(r, attr_)
            if g:
                groups.setdefault(g, []).append(r)
        mine = []
        exact: dict[tuple[str, str], Fraction] = {}  # the shares as fractions: the 4/5 test is exact
        for g in sorted(groups):
            rs = groups[g]
            row: dict[str, Any] = {"dimension": dim, "group": g, "candidates": len(rs)}
            if len(rs) < SUPPRESS_BELOW:
                row["suppressed"] = True
            else:
                row["ready"] = sum(r.verdict == "ready" for r in rs)
                row["share_ready"] = row["ready"] / len(rs)
                exact["ready", g] = Fraction(row["ready"], len(rs))
                if with_decisions:
                    decided = [r for r in rs if r.decision is not None]
                    row["decided"] = len(decided)
                    if len(decided) >= SUPPRESS_BELOW:
                        row["promoted"] = sum(r.decision == "promoted" for r in decided)
                        row["share_promoted"] = row["promoted"] / len(decided)
                        exact["promoted", g] = Fraction(row["promoted"], len(decided))
            mine.append(row)
        for key in ("ready", "promoted"):
            top = max((f for (k, _), f in exact.items() if k == key), default=Fraction(0))
            for r in mine:
                if (key, r["group"]) in exact and top > 0:
                    ratio = exact[key, r["group"]] / top
                    r[f"{key}_ratio_to_highest"] = float(ratio)
                    r[f"{key}_below_four_fifths"] = ratio < FOUR_FIFTHS
        out += mine
    return out


def _impact_tables(groups: list[dict]) -> str:
    """Readiness (and promotions) per group with the adverse-impact ratio, one table a dimension."""
    out = []
    for dim in dict.fromkeys(g["dimension"] for g in groups):
        rows = [g for g in groups if g["dimension"] == dim]
        promo = any("decided" in g for g in groups)
        cells = []
        for g in rows:
            if g.get("suppressed"):
                cells.append(
                    f'<tr><th scope="row">{e(g["group"])}<td>{g["candidates"]}'
                    f'<td colspan="{6 if promo else 3}">fewer than {SUPPRESS_BELOW}'
                )
                continue
            cell = (
                f'<tr><th scope="row">{e(g["group"])}<td>{g["candidates"]}<td>{100 * g["share_ready"]:.1f}%'
                + _ratio(g, "ready")
            )
            if promo:
                cell += f"<td>{g['decided']}" + (
                    f"<td>{100 * g['share_promoted']:.1f}%" + _ratio(g, "promoted")
                    if "share_promoted" in g
                    else f'<td colspan="2">fewer than {SUPPRESS_BELOW} decided'
                )
            cells.append(cell)
        head = '<th scope="col">candidates<th scope="col">share ready<th scope="col">vs highest' + (
            '<th scope="col">decided<th scope="col">share promoted<th scope="col">vs highest' if promo else ""
        )
        out.append(
            f'<table class="by ai"><caption>Rates by {e(dim)}, against the highest group (under 4/5 flagged)'
            f'</caption><thead><tr><th scope="col">{e(dim)}{head}</thead><tbody>{"".join(cells)}</tbody></table>'
        )
    return "".join(out)


def _ratio(g: dict, key: str) -> str:
    r = g.get(f"{key}_ratio_to_highest")
    if r is None:
        return "<td>n/a"
    return f"<td>{r:.2f}" + (' <b class="ai-low">below 4/5</b>' if g[f"{key}_below_four_fifths"] else "")


def groups_csv_rows(groups: list[dict]) -> list[list[str]]:
    """The same figures as CSV rows (GROUP_COLUMNS), shares and ratios to four places."""
    out = []
    for g in groups:
        out.append(
            [g["dimension"], g["group"], str(g["candidates"])]
            + [
                (
                    ""
                    if g.get(k) is None
                    else f"{g[k]:.4f}"
                    if isinstance(g[k], float)
                    else ("true" if g[k] else "false")
                    if isinstance(g[k], bool)
                    else str(g[k])
                )
                for k in GROUP_COLUMNS[3:-1]
            ]
            + ["true" if g.get("suppressed") else "false"]
        )
    return out


_CSS = """
:root{--ok:#1b6e35;--no:#a4161a;--ins:#8a5a00;--mut:#555;--line:#ccc}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1em 1.5em;max-width:86em;color:#111}
h1{margin:.2em 0}h2{margin:1.2em 0 .4em;border-bottom:2px solid #333}h3{margin:.2em 0}h4{margin:.6em 0 .2em}
a{color:#0b4f9c}:focus-visible{outline:3px solid #e0a400;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:1em;top:1em;background:#fff;padding:.4em;z-index:2}
.ctl{position:sticky;top:0;background:#f4f4f4;border:1px solid var(--line);padding:.5em;display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center;z-index:1}
.ctl select,.ctl input{font:inherit}
.counts{display:flex;gap:1.5em;list-style:none;padding:0;font-size:1.1em}
table{border-collapse:collapse;margin:.4em 1.5em .4em 0}td,th{border:1px solid var(--line);padding:.15em .45em;text-align:left}
table.by{display:inline-table;vertical-align:top}caption{text-align:left;font-weight:600}
.wrap{overflow-x:auto;content-visibility:auto;contain-intrinsic-size:auto 1500px}
.mxk{display:flex;flex-wrap:wrap;gap:0 1em;align-items:flex-start}.mxk .wrap{max-width:100%}
.mxk .key{flex:1 1 22em;max-width:40em;font-size:.9em}.key ol{padding-left:2em;margin:.3em 0}
.mx th.c{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;vertical-align:bottom;text-align:left;
padding:.4em 0;font-weight:normal;font-size:.85em}.mx th.c span{color:var(--mut)}
.mx td{text-align:center;min-width:1.4em;padding:.15em .2em}.mx th[scope=row]{white-space:nowrap;font-weight:normal}
.mx td.y{background:#e3f3e6;color:var(--ok)}.mx td.n{background:#fbecec;color:var(--no)}
.mx td.r{background:#f5c9c9;color:var(--no);font-weight:700}.mx td:empty{background:#fafafa}
.v{font-weight:600;white-space:nowrap}.v.ready{color:var(--ok)}.v.not_ready{color:var(--no)}.v.insufficient_evidence{color:var(--ins)}
h3 .v{font-size:.8em;border:1px solid currentColor;border-radius:.3em;padding:0 .3em}
.nm{color:var(--mut);font-weight:normal}
.cand{content-visibility:auto;contain-intrinsic-size:auto 500px;border:1px solid var(--line);border-left:5px solid var(--mut);padding:.5em .9em;margin:.8em 0;break-inside:avoid-page}
.cand[data-verdict=ready]{border-left-color:var(--ok)}.cand[data-verdict=not_ready]{border-left-color:var(--no)}
.cand[data-verdict=insufficient_evidence]{border-left-color:var(--ins)}
.hl{font-weight:600;margin:.2em 0}.facts,small{color:var(--mut)}
.dec{margin:.2em 0}.dec.differs{border-left:4px solid var(--ins);padding-left:.5em}.ai-low{color:var(--no)}
.crit{padding-left:1.2em}.crit li{margin:.2em 0}.crit.u li::marker{content:"✗ ";color:var(--no)}.crit.m li::marker{content:"✓ ";color:var(--ok)}
.crit li.req b{color:var(--no)}.crit li.req b::after{content:" (required)";font-weight:normal;font-style:italic}.warn{color:#7a4a00}.rest{color:var(--mut);margin:.2em 0}
details.ev table{font-size:.92em}
[hidden]{display:none!important}
@media print{.ctl,.skip{display:none}.wrap,.cand{content-visibility:visible}body{max-width:none;padding:0;font-size:11px}.cand{break-inside:avoid}
.grp{break-before:page}a{color:inherit;text-decoration:none}.wrap{overflow:visible}}
"""


_JS = """
(function(){
var d=document,f={},q='';
var rows=[].slice.call(d.querySelectorAll('.mx tbody tr'));
var shown=d.querySelector('[data-shown]');
function sec(r){return d.getElementById(r.querySelector('a').getAttribute('href').slice(1));}
function apply(){
 var n=0;
 rows.forEach(function(el){
  var ok=true;
  for(var k in f){if(f[k]&&(el.getAttribute('data-'+k)||'')!==f[k]){ok=false;}}
  if(ok&&q){ok=el.getAttribute('data-id').indexOf(q)>=0||(el.getAttribute('data-name')||'').indexOf(q)>=0;}
  el.hidden=!ok;sec(el).hidden=!ok;if(ok)n++;
 });
 [].forEach.call(d.querySelectorAll('.grp'),function(g){g.hidden=!g.querySelector('.mx tbody tr:not([hidden])');});
 shown.textContent=n+' of '+rows.length+' shown';
}
[].forEach.call(d.querySelectorAll('[data-f]'),function(s){
 s.addEventListener('change',function(){f[s.getAttribute('data-f')]=s.value;apply();});
});
d.querySelector('[data-q]').addEventListener('input',function(ev){q=ev.target.value.trim().toLowerCase();apply();});
d.querySelector('[data-sort]').addEventListener('change',function(ev){
 var a='data-'+ev.target.value;
 [].forEach.call(d.querySelectorAll('.mx tbody'),function(box){
  var kids=[].slice.call(box.children);
  kids.sort(function(x,y){var p=x.getAttribute(a)||'',r=y.getAttribute(a)||'';
   return p<r?-1:p>r?1:(x.getAttribute('data-k')<y.getAttribute('data-k')?-1:1);});
  var secs=box.closest('.grp').querySelector('.secs');
  kids.forEach(function(k){box.appendChild(k);secs.appendChild(sec(k));});
 });
});
window.addEventListener('beforeprint',function(){
 [].forEach.call(d.querySelectorAll('details'),function(x){x.setAttribute('data-was',x.open?'1':'');x.open=true;});
});
window.addEventListener('afterprint',function(){
 [].forEach.call(d.querySelectorAll('details[data-was]'),function(x){x.open=!!x.getAttribute('data-was');});
});
})();
"""
_CSS += charts.CSS
CSP = html_csp(_JS, _CSS)
_HEAD_START = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    f'<meta http-equiv="Content-Security-Policy"{attr("content", CSP)}>'
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="generator" content="ladder">'
    "<title>"
)
_HEAD_END = "</title><style>" + _CSS + "</style></head><body>" + charts.DEFS
