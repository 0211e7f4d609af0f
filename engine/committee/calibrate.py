"""`ladder calibrate`: where the committee and the rules agree, and where they do not.

Reads a results file (streamed, a line at a time) and a decisions file, pairs each verdict with
the committee's decision, and returns a `Calibration` value: the agreement matrix (tool verdict x
decision), the agreement rate and Cohen's kappa, per criterion how often the committee overrode
it and which way, the same figures per target level, track and org with small cells suppressed,
and the criteria most disagreed with. Rendering (text, json, markdown, html) is separate.

Agreement pairs each verdict with one decision: ready with promoted, not_ready with
not_promoted, insufficient_evidence with deferred (too little evidence to judge now, and a
decision put off, are the same call). Kappa is Cohen's over that 3 x 3 table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import EXIT_INVALID_PACKET, EXIT_OK, Outcome, Problem, UsageError
from ..base.escape import markdown as _md, markdown_code as _code, terminal_lines
from ..book.rules import RuleBook
from ..outputs import charts
from ..outputs.report import SUPPRESS_BELOW, dumps
from ..outputs.results import VERDICTS, iter_lines, problems_text, summarise
from .decisions import DECISIONS, Matcher, from_packets, load_decisions, not_assessed, override_status

PAIRED = dict(zip(VERDICTS, DECISIONS))  # ready->promoted, not_ready->not_promoted, insufficient->deferred
TOP = 5
FORMATS = ("text", "json", "markdown", "html")


def _matrix() -> dict[str, dict[str, int]]:
    return {v: {d: 0 for d in DECISIONS} for v in VERDICTS}


def agreement(m: dict[str, dict[str, int]]) -> tuple[int, float | None, float | None]:
    """(candidates, agreement rate, Cohen's kappa) of a matrix; None where undefined."""
    n = sum(sum(row.values()) for row in m.values())
    if not n:
        return 0, None, None
    po = sum(m[v][PAIRED[v]] for v in VERDICTS) / n
    pe = sum(sum(m[v].values()) * sum(m[u][PAIRED[v]] for u in VERDICTS) for v in VERDICTS) / (n * n)
    kappa = None if pe >= 1 else (po - pe) / (1 - pe)
    return n, round(po, 4), None if kappa is None else round(kappa, 4)


@dataclass
class Calibration:
    results: str
    decisions: str
    cycle: str | None
    matrix: dict[str, dict[str, int]] = field(default_factory=_matrix)
    overrides: dict[str, Counter] = field(default_factory=dict)  # criterion -> Counter(met=.., unmet=..)
    tool_unmet: Counter = field(default_factory=Counter)  # criterion -> candidates the tool left it unmet
    paths: Counter = field(default_factory=Counter)  # path (levels) -> candidates: who was assessed on what
    groups: dict[str, dict[str, dict[str, dict[str, int]]]] = field(
        default_factory=lambda: {"level": {}, "track": {}, "org": {}}
    )
    without_decision: int = 0
    without_verdict: int = 0
    not_evaluated: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # overrides the tool already agrees with
    more_problems: int = 0
    # each candidate the committee decided otherwise than the rules, or overrode a criterion for
    disagreements: list[dict] = field(default_factory=list)

    def problem(self, p: Problem) -> None:
        if len(self.problems) < 1000:
            self.problems.append(p)
        else:
            self.more_problems += 1


def calibrate(
    book: RuleBook,
    results_path: str,
    decisions_path: str | None,
    cycle: str | None = None,
    packets: list[str] | tuple[str, ...] = (),
) -> Calibration:
    """`decisions_path` (a decisions file) and/or `packets` (whose `committee:` sections are
    decisions too; a file's row for the same candidate and cycle comes first)."""
    rows: list = []
    problems: list[Problem] = []
    if decisions_path is not None:
        decs = load_decisions(decisions_path, book)
        rows, problems = list(decs.rows), list(decs.problems)
    if packets:
        own = from_packets(packets, book)
        rows, problems = rows + own.rows, problems + own.problems
    cal = Calibration(results_path, decisions_path or ", ".join(packets), cycle)
    cal.problems.extend(problems)
    matcher = Matcher(rows, cycle)
    level_of = {c.id: c.level for c in book.all_criteria()}
    used: set[tuple[str, int]] = set()
    seen: set[tuple[str, str | None]] = set()
    for item in iter_lines(results_path):
        if isinstance(item, Problem):
            cal.problem(item)
            continue
        s = summarise(item)
        if isinstance(s, Problem):
            cal.problem(s)
            continue
        if isinstance(s, dict):
            cal.not_evaluated += 1
            continue
        if cycle is not None and s.cycle is not None and s.cycle != cycle:
            continue
        key = (s.candidate, s.cycle)
        if key in seen:  # the same candidate twice in one results file: counted once
            cal.duplicates += 1
            continue
        seen.add(key)
        d = matcher.match(s.candidate, s.cycle)
        if isinstance(d, str):
            cal.problem(Problem(results_path, "", d, line=item.number, kind="decisions"))
            continue
        if d is None:
            cal.without_decision += 1
            continue
        used.add((d.source, d.line))
        cal.matrix[s.verdict][d.decision] += 1
        for dim, value in (("level", s.target), ("track", s.track), ("org", s.org)):
            if value is not None:
                cal.groups[dim].setdefault(value, _matrix())[s.verdict][d.decision] += 1
        cal.paths[s.path] += 1
        cal.tool_unmet.update(s.unmet)
        counted: list[str] = []
        for crit, value in d.overrides:
            tool = override_status(crit, s, level_of)
            if tool is None:
                cal.problem(not_assessed(d, crit, s.target, results_path, item.number))
            elif tool == value:
                cal.notes.append(
                    Problem(
                        d.source,
                        "overrides",
                        f"{crit}={value} agrees with the tool "
                        f"({results_path}:{item.number}): not counted as an override",
                        line=d.line,
                        kind="decisions",
                        severity="warning",
                    )
                )
            else:
                cal.overrides.setdefault(crit, Counter())[value] += 1
                counted.append(f"{crit} -> {value}")
        if counted or PAIRED[s.verdict] != d.decision:
            cal.disagreements.append(
                {
                    "candidate": s.candidate,
                    "cycle": s.cycle,
                    "target": s.target,
                    "rules_said": s.verdict,
                    "committee_decided": d.decision,
                    "overrides": counted,
                    "reason": d.reason,
                    "decided_on": d.decided_on,
                    "decided_by": d.decided_by,
                    "decision_line": d.line,
                }
            )
    cal.disagreements.sort(key=lambda r: (r["candidate"], r["cycle"] or ""))
    cal.without_verdict = sum(1 for d in matcher.rows() if (d.source, d.line) not in used)
    return cal


# -- the figures, as data -------------------------------------------------------------------------
def _assessed(cal: Calibration, level: str) -> int:
    return sum(n for path, n in cal.paths.items() if level in path)


def criteria_rows(cal: Calibration, book: RuleBook) -> list[dict]:
    """Every overridden criterion, the most overridden first (then by id)."""
    level_of = {c.id: c.level for c in book.all_criteria()}
    rows: list[dict[str, Any]] = []
    for crit, c in cal.overrides.items():
        assessed = _assessed(cal, level_of.get(crit, crit.split(".", 1)[0]))
        unmet = cal.tool_unmet[crit]
        rows.append(
            {
                "id": crit,
                "level": level_of.get(crit),
                "overridden_to_met": c["met"],
                "overridden_to_unmet": c["unmet"],
                "assessed": assessed,
                "tool_met": assessed - unmet,
                "tool_unmet": unmet,
            }
        )
    rows.sort(key=lambda r: (-(r["overridden_to_met"] + r["overridden_to_unmet"]), r["id"]))
    return rows


def _suppressed(m: dict[str, dict[str, int]]) -> dict[str, dict[str, int | None]]:
    return {v: {d: (None if 0 < n < SUPPRESS_BELOW else n) for d, n in row.items()} for v, row in m.items()}


def group_rows(cal: Calibration) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for dim, groups in cal.groups.items():
        rows = []
        for key in sorted(groups):
            n, agree, kappa = agreement(groups[key])
            if n < SUPPRESS_BELOW:
                rows.append({"id": key, "suppressed": True})
            else:
                rows.append(
                    {"id": key, "candidates": n, "agreement": agree, "kappa": kappa, "matrix": _suppressed(groups[key])}
                )
        out[dim] = rows
    return out


def suggestions(cal: Calibration, book: RuleBook, rows: list[dict]) -> list[dict]:
    """The criteria disagreed with most: each with the rule file to edit and the audit to run."""
    out = []
    for r in rows[:TOP]:
        file = book.level_rules[r["level"]].file if r["level"] in book.level_rules else ""
        rel = _rel(file)
        way = "met" if r["overridden_to_met"] >= r["overridden_to_unmet"] else "unmet"
        copy = None
        if file and _installed(file):  # an installed ladder is not edited in place: copy it first
            copy, rel = "ladder init COPY --bundled", f"COPY/rules/{Path(file).name}"
            how = "ladder audit --rules COPY/rules --base HEAD --packets PACKETS"
        else:
            how = "ladder audit --base HEAD --packets PACKETS" + (
                f" --rules {_rel(str(Path(file).parent))}" if file and not _bundled(file) else ""
            )
        out.append(
            {
                "id": r["id"],
                "overrides": r["overridden_to_met"] + r["overridden_to_unmet"],
                "committee_says": way,
                "copy_first": copy,
                "rules_file": rel,
                "try": how,
            }
        )
    return out


def _bundled(file: str) -> bool:
    from ..base.resources import default_rules_dir

    try:
        return Path(file).resolve().parent == default_rules_dir().resolve()
    except OSError:
        return False


def _installed(file: str) -> bool:
    """The bundled ladder of an installed ladder (site-packages), not a checkout's rules/."""
    parts = Path(file).resolve().parts
    return _bundled(file) and any(p in ("site-packages", "dist-packages", "_bundled") for p in parts)


def _rel(file: str) -> str:
    if not file:
        return ""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return file


def as_dict(cal: Calibration, book: RuleBook) -> dict:
    n, agree, kappa = agreement(cal.matrix)
    rows = criteria_rows(cal, book)
    return {
        "results": cal.results,
        "decisions": cal.decisions,
        "cycle": cal.cycle,
        "candidates": n,
        "matrix": cal.matrix,
        "agreement": agree,
        "kappa": kappa,
        "pairs": PAIRED,
        "criteria": rows,
        "groups": group_rows(cal),
        "disagreed_most": suggestions(cal, book, rows),
        "disagreements": cal.disagreements,
        "unmatched": {
            "verdicts_without_decision": cal.without_decision,
            "decisions_without_verdict": cal.without_verdict,
            "not_evaluated": cal.not_evaluated,
            "duplicate_verdicts": cal.duplicates,
        },
        "suppressed_below": SUPPRESS_BELOW,
    }


# -- reporters ------------------------------------------------------------------------------------
def _f(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x * 100:.1f}%" if pct else f"{x:.4f}"


def _cell(n: int | None) -> str:
    return f"<{SUPPRESS_BELOW}" if n is None else str(n)


def render_text(d: dict) -> str:
    out = [
        f"calibration: {d['results']} against {d['decisions']}" + (f" (cycle {d['cycle']})" if d["cycle"] else ""),
        f"{d['candidates']} candidate(s) with a verdict and a decision; agreement {_f(d['agreement'], True)}, "
        f"Cohen's kappa {_f(d['kappa'])}",
        "",
    ]
    out += _table_text(d["matrix"])
    u = d["unmatched"]
    out += [
        "",
        f"not paired: {u['verdicts_without_decision']} verdict(s) without a decision, "
        f"{u['decisions_without_verdict']} decision(s) without a verdict, {u['not_evaluated']} packet(s) not "
        f"evaluated, {u['duplicate_verdicts']} repeated verdict(s)",
    ]
    out += ["", "overrides by criterion (the committee judged it met / unmet against the tool):"]
    if not d["criteria"]:
        out.append("  none")
    for r in d["criteria"]:
        out.append(
            f"  {r['id']}: to met {r['overridden_to_met']} of {r['tool_unmet']} unmet, to unmet "
            f"{r['overridden_to_unmet']} of {r['tool_met']} met"
        )
    for dim, rows in d["groups"].items():
        if not rows:
            continue
        out += ["", f"by {dim} (groups and cells under {d['suppressed_below']} candidates suppressed):"]
        for r in rows:
            if r.get("suppressed"):
                out.append(f"  {r['id']}: fewer than {d['suppressed_below']} candidates")
            else:
                out.append(
                    f"  {r['id']}: {r['candidates']} candidates, agreement {_f(r['agreement'], True)}, "
                    f"kappa {_f(r['kappa'])}"
                )
    if d["disagreements"]:
        out += [
            "",
            "where the committee decided otherwise (candidate: rules said -> committee decided; overrides; reason):",
        ]
        out += [
            f"  {r['candidate']} ({r['target']}): {r['rules_said']} -> {r['committee_decided']}"
            + (f" (by {r['decided_by']})" if r.get("decided_by") else "")
            + (f"; {', '.join(r['overrides'])}" if r["overrides"] else "")
            + (f"; reason: {r['reason']}" if r["reason"] else "")
            for r in d["disagreements"]
        ]
    if d["disagreed_most"]:
        out += ["", "disagreed with most (candidates for a rule change):"]
        for s in d["disagreed_most"]:
            copy = f"copy the ladder (`{s['copy_first']}`, then commit the copy), " if s["copy_first"] else ""
            out.append(
                f"  {s['id']}: overridden {s['overrides']} time(s), mostly to {s['committee_says']}; {copy}edit "
                f"it in {s['rules_file']}, then `{s['try']}` lists whose verdict the change flips"
            )
    return terminal_lines(out)  # each line escaped whole: group ids and sources come from files


def _table_text(m: dict) -> list[str]:
    w = max(len(v) for v in VERDICTS)
    label = "tool \\ committee"
    out = [f"  {label:<{w}}  " + "  ".join(f"{d:>12}" for d in DECISIONS)]
    for v in VERDICTS:
        out.append(f"  {v:<{w}}  " + "  ".join(f"{_cell(m[v][d]):>12}" for d in DECISIONS))
    return out


def render_markdown(d: dict) -> str:
    out = [
        f"## Calibration: {d['candidates']} candidates" + (f", cycle {d['cycle']}" if d["cycle"] else ""),
        "",
        f"Agreement **{_f(d['agreement'], True)}**, Cohen's kappa **{_f(d['kappa'])}** (ready pairs with "
        "promoted, not ready with not promoted, insufficient evidence with deferred).",
        "",
        "| tool \\ committee | " + " | ".join(DECISIONS) + " |",
        "|---|" + "---:|" * len(DECISIONS),
    ]
    out += [f"| {v} | " + " | ".join(_cell(d["matrix"][v][x]) for x in DECISIONS) + " |" for v in VERDICTS]
    out += ["", "### Overrides by criterion", ""]
    if d["criteria"]:
        out += ["| criterion | to met | tool unmet | to unmet | tool met |", "|---|---:|---:|---:|---:|"]
        out += [
            f"| {_code(r['id'])} | {r['overridden_to_met']} | {r['tool_unmet']} | {r['overridden_to_unmet']} | "
            f"{r['tool_met']} |"
            for r in d["criteria"]
        ]
    else:
        out.append("None.")
    for dim, rows in d["groups"].items():
        if rows:
            out += ["", f"### By {dim}", "", "| " + dim + " | candidates | agreement | kappa |", "|---|---:|---:|---:|"]
            out += [
                f"| {_md(r['id'])} | <{d['suppressed_below']} | | |"
                if r.get("suppressed")
                else f"| {_md(r['id'])} | {r['candidates']} | {_f(r['agreement'], True)} | {_f(r['kappa'])} |"
                for r in rows
            ]
    if d["disagreements"]:
        out += [
            "",
            "### Where the committee decided otherwise",
            "",
            "| candidate | target | rules said | committee decided | overrides | reason |",
            "|---|---|---|---|---|---|",
        ]
        out += [
            f"| {_md(r['candidate'])} | {_md(r['target'])} | {r['rules_said']} | {r['committee_decided']}"
            + (f" (by {_md(r['decided_by'])})" if r.get("decided_by") else "")
            + " | "
            f"{_md(', '.join(r['overrides']))} | {_md(r['reason'])} |"
            for r in d["disagreements"]
        ]
    if d["disagreed_most"]:
        out += ["", "### Disagreed with most", ""]
        out += [
            f"1. {_code(s['id'])}: overridden {s['overrides']} time(s), mostly to {s['committee_says']}. "
            + (f"Copy the ladder with {_code(s['copy_first'])} and commit the copy; " if s["copy_first"] else "")
            + f"Edit it in {_code(s['rules_file'])}, then run {_code(s['try'])}."
            for s in d["disagreed_most"]
        ]
    return "\n".join(out) + "\n"


_CAL_CSS = (
    "body{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;"
    "margin:.5em 0}td,th{border:1px solid #999;padding:.2em .6em;text-align:right}"
    "th[scope=row],td:first-child{text-align:left}"
) + charts.CSS


def _charts(d: dict) -> dict[str, str]:
    """The calibration page's charts, drawn from the same dict as its tables (as_dict): the
    agreement matrix as a heat map (the agreeing pairs outlined), the overrides per criterion as
    bars to met and to unmet, and the agreement per group with its count (suppressed groups
    written as such, as in the table)."""
    matrix = charts.heatmap(
        list(VERDICTS),
        list(DECISIONS),
        [[d["matrix"][v][x] for x in DECISIONS] for v in VERDICTS],
        "Tool verdict (rows) against the committee's decision (columns); agreeing pairs outlined",
        diagonal=[(i, DECISIONS.index(PAIRED[v])) for i, v in enumerate(VERDICTS)],
        shown=_cell,
    )
    overrides = (
        charts.diverging(
            [(r["id"], r["overridden_to_unmet"], r["overridden_to_met"]) for r in d["criteria"]],
            "Overrides per criterion: to unmet (left), to met (right)",
            ("to_unmet", "to unmet"),
            ("to_met", "to met"),
        )
        if d["criteria"]
        else ""
    )
    groups = []
    for dim, rs in d["groups"].items():
        if rs:
            groups.append(
                charts.bars(
                    [
                        (r["id"], None, "share", f"fewer than {d['suppressed_below']}")
                        if r.get("suppressed")
                        else (
                            r["id"],
                            None if r["agreement"] is None else round(r["agreement"] * 100, 1),
                            "share",
                            f"{_f(r['agreement'], True)} of {r['candidates']}",
                        )
                        for r in rs
                    ],
                    f"Agreement by {dim} (groups under {d['suppressed_below']} not shown)",
                    100,
                    (),
                    kind="agreement",
                )
            )
    return {
        "matrix": charts.figure_row([matrix]),
        "overrides": charts.figure_row([overrides]),
        "groups": charts.figure_row(groups),
    }


def render_html(d: dict) -> str:
    """The figures as one page: every value read from a file through engine.base.escape, every
    attribute quoted, and a Content-Security-Policy that runs no script and allows only the page's
    own style (by sha256)."""
    from ..base.escape import html_attr, html_csp, html_text as e

    rows = "".join(
        f'<tr><th scope="row">{e(v)}</th>'
        + "".join(f"<td>{e(_cell(d['matrix'][v][x]))}</td>" for x in DECISIONS)
        + "</tr>"
        for v in VERDICTS
    )
    crit = "".join(
        f"<tr><td><code>{e(r['id'])}</code></td><td>{e(r['overridden_to_met'])}</td>"
        f"<td>{e(r['tool_unmet'])}</td><td>{e(r['overridden_to_unmet'])}</td><td>{e(r['tool_met'])}</td></tr>"
        for r in d["criteria"]
    )
    groups = ""
    for dim, rs in d["groups"].items():
        if not rs:
            continue
        body = "".join(
            f'<tr><td>{e(r["id"])}</td><td colspan="3">fewer than {e(d["suppressed_below"])}</td></tr>'
            if r.get("suppressed")
            else f"<tr><td>{e(r['id'])}</td><td>{e(r['candidates'])}</td><td>{e(_f(r['agreement'], True))}</td>"
            f"<td>{e(_f(r['kappa']))}</td></tr>"
            for r in rs
        )
        groups += (
            f"<h2>By {e(dim)}</h2><table><thead><tr><th>{e(dim)}</th><th>candidates</th><th>agreement</th>"
            f"<th>kappa</th></tr></thead><tbody>{body}</tbody></table>"
        )
    figs = _charts(d)
    dis = "".join(
        f"<tr><td>{e(r['candidate'])}</td><td>{e(r['target'])}</td><td>{e(r['rules_said'])}</td>"
        f"<td>{e(r['committee_decided'])}{e(' (by ' + r['decided_by'] + ')' if r.get('decided_by') else '')}</td><td>{e(', '.join(r['overrides']))}</td><td>{e(r['reason'])}</td>"
        "</tr>"
        for r in d["disagreements"]
    )
    sugg = "".join(
        f"<li><code>{e(s['id'])}</code>: overridden {e(s['overrides'])} time(s), mostly to "
        f"{e(s['committee_says'])}. "
        + (f"Copy the ladder with <code>{e(s['copy_first'])}</code> and commit the copy. " if s["copy_first"] else "")
        + f"Edit it in <code>{e(s['rules_file'])}</code>, then run "
        f"<code>{e(s['try'])}</code>.</li>"
        for s in d["disagreed_most"]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy"{html_attr("content", html_csp(None, _CAL_CSS))}>'
        f"<title>ladder calibration</title><style>{_CAL_CSS}</style></head><body>{charts.DEFS}"
        f"<h1>Calibration: {e(d['candidates'])} candidates{e(', cycle ' + d['cycle']) if d['cycle'] else ''}</h1>"
        f"<p>Agreement <strong>{e(_f(d['agreement'], True))}</strong>, Cohen's kappa <strong>{e(_f(d['kappa']))}"
        "</strong> (ready pairs with promoted, not ready with not promoted, insufficient evidence with deferred).</p>"
        "<table><thead><tr><th>tool \\ committee</th>"
        + "".join(f"<th>{e(x)}</th>" for x in DECISIONS)
        + f"</tr></thead><tbody>{rows}</tbody></table>{figs['matrix']}<h2>Overrides by criterion</h2>"
        + (
            f"<table><thead><tr><th>criterion</th><th>to met</th><th>tool unmet</th><th>to unmet</th>"
            f"<th>tool met</th></tr></thead><tbody>{crit}</tbody></table>{figs['overrides']}"
            if crit
            else "<p>None.</p>"
        )
        + groups
        + figs["groups"]
        + (
            "<h2>Where the committee decided otherwise</h2><table><thead><tr><th>candidate</th><th>target</th>"
            "<th>rules said</th><th>committee decided</th><th>overrides</th><th>reason</th></tr></thead>"
            f"<tbody>{dis}</tbody></table>"
            if dis
            else ""
        )
        + (f"<h2>Disagreed with most</h2><ol>{sugg}</ol>" if sugg else "")
        + "</body></html>\n"
    )


RENDER = {"text": render_text, "json": dumps, "markdown": render_markdown, "html": render_html}


def execute(
    book: RuleBook,
    results_path: str,
    decisions_path: str | None,
    fmt: str = "text",
    cycle: str | None = None,
    packets: list[str] | tuple[str, ...] = (),
) -> Outcome:
    """The figures; exit 3 when a line or row had to be left out."""
    if decisions_path is None and not packets:
        raise UsageError(
            summary="calibrate needs the committee's decisions: --decisions FILE, or the packets "
            "whose committee: sections hold them (--packets)"
        )
    cal = calibrate(book, results_path, decisions_path, cycle, packets)
    d = as_dict(cal, book)
    err = problems_text(cal.problems, cal.more_problems)
    notes = "\n".join(str(p) + " (warning)" for p in cal.notes[:100])
    errors = [p for p in cal.problems if p.severity == "error"]
    return Outcome(RENDER[fmt](d), EXIT_INVALID_PACKET if errors else EXIT_OK, "\n".join(x for x in (err, notes) if x))
