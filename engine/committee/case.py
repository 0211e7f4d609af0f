"""A promotion case per candidate: one readable page (markdown, or self-contained HTML that prints
to PDF) with the verdict in a sentence, each criterion met with the evidence that shows it, what is
still open, the development plan as sentences a manager can hand to the person, the fit with the
adjacent career paths, the committee's decisions and the candidate's earlier verdicts.

`build` reads the packet, decisions and results files into a `Case` of plain text (nothing
escaped yet); `markdown` and `html` render it, every value through engine.base.escape where it leaves
(escape.markdown, escape.html_shown), so a name, title or reason from a file is shown, never run.
The output is a pure function of the inputs: no clock (`--today` only decides the one check that
reads it), no randomness, the same bytes for the same files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..base.errors import EXIT_INVALID_PACKET, EXIT_OK, EngineError, Outcome, OutputError, Problem, UsageError
from ..base.escape import html_csp, html_shown, markdown as _md
from ..base.loader import DEFAULT_MAX_BYTES
from ..book.rules import RuleBook
from ..core import pipeline
from ..core.evaluator import Evaluator
from ..core.evidence import Packet
from ..core.verdict import INSUFFICIENT, NONE, READY, PathsReport, Verdict
from ..org.anchors import for_book
from ..outputs.charts import CSS as CHART_CSS, criteria_meters
from ..outputs.report import verdict_dict

FORMATS = ("html", "markdown")
_LABEL = {READY: "ready", "not_ready": "not ready", INSUFFICIENT: "insufficient evidence"}
_PAIRED = {READY: "promoted", "not_ready": "not_promoted", INSUFFICIENT: "deferred"}
_REDACTED = "(left out: --redact)"


# -- the case, as plain text ------------------------------------------------------------------------
@dataclass
class Item:
    """One criterion, path, decision or earlier verdict: a head line and the lines under it."""

    head: str
    tag: str = ""  # required / supporting, a fit, a decision word
    lines: list[str] = field(default_factory=list)
    flag: bool = False  # worth a second look: a decision not the one the rules pair with the verdict


@dataclass
class Case:
    title: str
    facts: list[tuple[str, str]]
    verdict: str
    sentence: str
    met: list[Item]
    open_required: list[Item]
    open_supporting: list[Item]
    plan: list[str] | None  # sentences; None: no plan section (ready, or --no-plan)
    plan_note: str
    paths: list[Item]
    paths_note: str
    decisions: list[Item]
    history: list[Item]
    history_given: bool
    footer: list[str]
    problems: list[Problem] = field(default_factory=list)
    levels: list[dict] = field(default_factory=list)  # the verdict's levels, as verdict JSON has them (the chart)


# -- evidence in words -------------------------------------------------------------------------------
def _type_label(t: object) -> str:
    return str(t).replace("_", " ")


def _record(r: dict, redact: bool) -> str:
    """A packet record as a reader wants it: its title (or, for feedback, who gave it and how it
    rated), its type and date, and who confirmed it."""
    parts = []
    if r.get("type") == "stakeholder_feedback":
        frm = got if isinstance(got := r.get("from"), dict) else {}
        who = "feedback from " + _GIVER.get(str(frm.get("relationship")), "a colleague")
        if frm.get("role") and not redact:
            who += f" ({frm['role']})"
        if frm.get("id"):
            who += f", {frm['id']}"
        parts.append(who)
        if r.get("rating") is not None:
            parts.append(f"rated {r['rating']} of 5")
        if r.get("quote") and not redact:
            parts.append(f"“{r['quote']}”")
        head = f"{r.get('id')}: " + ", ".join(parts) + f", {r.get('date')}"
        return head + (f"; confirmed by {r['verified_by']}" if r.get("verified_by") else "")
    title = r.get("title")
    head = _REDACTED if redact and title else str(title or _type_label(r.get("type")))
    head = f"{r.get('id')}: {head} ({_type_label(r.get('type'))}), {r.get('date')}"
    return head + (f"; confirmed by {r['verified_by']}" if r.get("verified_by") else "; not confirmed by anyone else")


_GIVER = {
    "manager": "their manager",
    "skip-level": "their manager's manager",
    "peer": "a peer",
    "direct-report": "a direct report",
    "cross-functional": "a cross-functional partner",
    "executive": "an executive",
    "customer": "a customer",
    "partner": "a partner",
}


def _words(x: object) -> str:
    return str(x).replace("-", " ").replace("_", " ")


# -- the plan as sentences -----------------------------------------------------------------------------
_RELATION = {
    "manager": ("your manager", "your managers"),
    "skip-level": ("your manager's manager", "leaders two levels above you"),
    "peer": ("a fellow PM you worked with this half", "fellow PMs you worked with this half"),
    "direct-report": ("someone who reports to you", "people who report to you"),
    "cross-functional": (
        "a cross-functional partner you worked with this half",
        "cross-functional partners you worked with this half",
    ),
    "executive": ("an executive who has seen your work", "executives who have seen your work"),
    "customer": ("a customer you worked with", "customers you worked with"),
    "partner": ("a partner you worked with", "partners you worked with"),
}
_SCOPE = {
    "feature": "a feature",
    "product-area": "a piece of work for your product area",
    "cross-team": "a piece of work that spans several teams",
    "portfolio": "work across a portfolio of products",
    "company": "a company-wide piece of work",
}
_SCOPE_AT = {
    "feature": "",
    "product-area": " for your product area",
    "cross-team": " across several teams",
    "portfolio": " across a portfolio",
    "company": " for the whole company",
}
_ROLE_DO = {"led": "Lead", "co-led": "Co-lead", "contributed": "Contribute to"}
_ARTIFACT = {
    "user-stories": "a set of user stories",
    "spec": "a spec",
    "prd": "a product requirements document",
    "tickets": "a set of tickets",
    "status-update": "a status update",
    "roadmap": "a roadmap",
    "strategy": "a strategy",
    "vision": "a vision document",
    "narrative": "a written narrative",
    "decision-record": "a decision record",
    "technical-design": "a technical design",
    "research-report": "a research report",
    "playbook": "a playbook",
    "framework": "a framework",
    "talk": "a talk",
    "article": "an article",
    "board-deck": "a board deck",
    "operating-plan": "an operating plan",
    "business-case": "a business case",
    "postmortem": "a postmortem",
    "positioning": "a positioning document",
}
_AUDIENCE = {
    "team": "your team",
    "cross-functional": "cross-functional partners",
    "leadership": "leadership",
    "executive": "the executive team",
    "board": "the board",
    "company": "the whole company",
    "external": "people outside the company",
}
_FORUM = {
    "leadership-review": "a leadership review",
    "exec-team": "an executive team meeting",
    "board": "a board meeting",
    "investors": "an investor meeting",
    "analysts": "an analyst briefing",
    "press": "a press briefing",
    "partners": "a partner meeting",
    "customer-executives": "a meeting with customer executives",
    "all-hands": "an all-hands",
}
_PART = {"led": "Lead the discussion at", "presented": "Present at", "advised": "Advise", "attended": "Take part in"}
_LEARN = {
    "technical": "a technical subject",
    "domain": "your product's domain",
    "business": "a business subject",
    "craft": "a part of the product craft",
    "leadership": "a leadership skill",
}
_FORM = {
    "deep-dive": "with a deep dive",
    "course": "through a course",
    "shadowing": "by shadowing someone who does it",
    "certification": "by earning a certification",
    "teaching": "by teaching it",
    "writing": "by writing about it",
}
_RISK = {
    "blocker": "a blocker",
    "risk": "a risk",
    "misalignment": "a misalignment between teams",
    "bottleneck": "an organisational bottleneck",
    "systemic-issue": "a systemic issue",
}
_REACH = {
    "team": "your team",
    "several-teams": "several teams",
    "product-org": "the product organisation",
    "company": "the whole company",
}
_ACTIVITY = {
    "managing": "Manage",
    "hiring": "Hire for the team",
    "coaching": "Coach",
    "performance-management": "Run performance reviews for",
    "career-development": "Develop the careers of",
    "team-structure": "Shape the team structure for",
    "goal-setting": "Set goals with",
    "succession": "Build a succession plan for",
}
_AREA = {
    "p-and-l": "a P&L",
    "budget": "a budget",
    "pricing": "pricing",
    "revenue": "a revenue target",
    "growth": "a growth target",
    "retention": "retention",
    "market-expansion": "a market expansion",
    "unit-economics": "unit economics",
    "fundraising": "fundraising",
    "partnership": "a partnership",
    "cost": "a cost target",
}
_NUMBER = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _join(xs: list[str]) -> str:
    xs = [x for x in xs if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def _level_name(book: RuleBook, lv: object) -> str:
    level = book.levels.get(str(lv))
    return level.title if level is not None else _words(lv)


def _metrics(r: dict) -> str:
    kinds = sorted({k for m in r.get("metrics") or [] if isinstance(m, dict) and (k := m.get("kind"))})
    if not kinds and r.get("metrics"):
        return "show the metric it moved"
    return f"show the {_join(kinds)} metric{'s' if len(kinds) > 1 else ''} it moved" if kinds else ""


def plan_sentence(r: dict, book: RuleBook, n: int = 1) -> str:
    """One planned record as advice to the person: what to do, in the second person, built from the
    record's type and its fields (never the record itself). `n`: how many such records the plan has."""
    t = r.get("type")
    times = "" if n == 1 else f" Do this {'twice' if n == 2 else str(n) + ' times'}, each a separate piece of work."
    confirm = " Ask someone who saw it to confirm it in writing." if r.get("verified_by") else ""
    if t == "stakeholder_feedback":
        frm = got if isinstance(got := r.get("from"), dict) else {}
        one, many = _RELATION.get(
            str(frm.get("relationship")), ("a colleague you worked with", "colleagues you worked with")
        )
        who = (
            one
            if n == 1
            else f"{_NUMBER.get(n, str(n))} different {many.removeprefix('your ')}"
            if not many.startswith("your ")
            else f"{_NUMBER.get(n, str(n))} of {many}"
        )
        themes = [_words(x) for x in r.get("themes") or []]
        on = f"on your {_join(themes)}" if themes else "on how you worked together"
        s = f"Ask {who} for written feedback {on}"
        if r.get("sought_input"):
            s += ", about a time they came to you for your view before deciding"
        return s + "." + confirm
    if t == "shipped_outcome":
        what = _SCOPE.get(str(r.get("scope")), "a piece of work")
        if r.get("risk") == "high":
            what = what.replace("a ", "a high-risk ", 1) if what.startswith("a ") else "high-risk " + what
        s = f"{_ROLE_DO.get(str(r.get('role')), 'Ship')} {'shipping ' if r.get('role') == 'contributed' else ''}{what}"
        if r.get("teams"):
            s += f" with {r['teams']} teams"
        how = []
        if r.get("zero_to_one"):
            how.append("building something new from nothing")
        if r.get("self_initiated"):
            how.append("one you proposed yourself")
        if r.get("end_to_end"):
            how.append("owning it from framing the problem to the measured result")
        if r.get("on_time"):
            how.append("on time")
        if r.get("quality") in ("met-bar", "exceeded"):
            how.append("at the quality bar" if r["quality"] == "met-bar" else "above the quality bar")
        if r.get("challenged_plan"):
            how.append("changing the plan when the data says so")
        if r.get("ambiguity") == "high":
            how.append("where the problem is still unclear")
        s += ", " + ", ".join(how) if how else ""
        m = _metrics(r)
        return s + (f", and {m}" if m else "") + "." + confirm + times
    if t == "artifact":
        verb = {"led": "Write and own", "co-led": "Co-write", "contributed": "Contribute to"}.get(
            str(r.get("role")), "Write"
        )
        s = f"{verb} {_ARTIFACT.get(str(r.get('kind')), 'a ' + _words(r.get('kind')))}{_SCOPE_AT.get(str(r.get('scope')), '')}"
        if r.get("audience"):
            s += f" for {_AUDIENCE.get(str(r['audience']), _words(r['audience']))}"
        after = []
        if r.get("adopted"):
            after.append(
                f"that {r['teams']} teams adopt" if r.get("teams") else "that other people use to guide their work"
            )
        elif r.get("teams"):
            after.append(f"that {r['teams']} teams use")
        if r.get("praised"):
            after.append("that its readers single out as clear and useful")
        return s + (" " + " and ".join(after) if after else "") + "." + confirm + times
    if t == "decision":
        stakes = f"{r['stakes']}-stakes " if r.get("stakes") in ("medium", "high") else ""
        kind = {
            "say-no": "decision to say no",
            "prioritisation": "prioritisation call",
            "trade-off": "trade-off decision",
        }.get(str(r.get("kind")), f"{_words(r.get('kind'))} decision")
        article = "an" if (stakes or kind)[:1] in "aeiou" else "a"
        s = f"{'Lead' if r.get('role') == 'led' else 'Make'} {article} {stakes}{kind}{_SCOPE_AT.get(str(r.get('scope')), '')}"
        how = []
        if r.get("data_informed"):
            how.append("base it on data")
        if r.get("documented"):
            how.append("write down the reasoning")
        if r.get("communicated_to"):
            how.append("explain it to " + _join([_AUDIENCE.get(str(a), _words(a)) for a in r["communicated_to"]]))
        if r.get("ambiguity") == "high":
            how.insert(0, "where the way forward is unclear")
        return s + _then(how) + "." + confirm + times
    if t == "executive_engagement":
        s = f"{_PART.get(str(r.get('part')), 'Take part in')} {_FORUM.get(str(r.get('forum')), _words(r.get('forum')))}"
        if r.get("topic"):
            s += f" on {_words(r['topic'])}"
        if r.get("influenced_decision"):
            s += " and change what it decides"
        elif r.get("outcome"):
            s += f" (outcome: {_words(r['outcome'])})"
        if r.get("recurring"):
            s += ", as a recurring part of your role"
        return s + "." + confirm + times
    if t == "mentoring":
        mentee = got if isinstance(got := r.get("mentee"), dict) else {}
        disc = str(mentee.get("discipline") or "product")
        person = ("product manager" if disc == "product" else f"{_words(disc)} colleague") + ("" if n == 1 else "s")
        level = f" at the {_level_name(book, mentee['level'])} level" if mentee.get("level") else ""
        months = r.get("months") or 1
        who = "a" if n == 1 else _NUMBER.get(n, str(n))
        s = f"Mentor {who} {person}{level}{'' if n == 1 else ', each'} for at least {months} month{'s' if months != 1 else ''}"
        if r.get("formal"):
            s += " in a formal programme"
        if r.get("frameworks_shared"):
            s += ", teaching ways of deciding, not only answers"
        outcome = {"promoted": ", and support them through to a promotion", "grew": ", and show how they grew"}
        return s + outcome.get(str(r.get("outcome")), "") + "." + confirm
    if t == "people_leadership":
        act = str(r.get("activity"))
        levels = [_level_name(book, lv) for lv in r.get("levels") or []]
        whom = (
            f"product managers at the {_join(levels)} level{'s' if len(levels) > 1 else ''}"
            if levels
            else "the product managers you lead"
        )
        s = f"{_ACTIVITY.get(act, _words(act).capitalize() + ' for')} {whom}"
        if act == "hiring":
            s = "Hire for the team" + (f": {r['hires']} hire(s)" if r.get("hires") else "")
        if r.get("reports"):
            s += f", with {r['reports']} direct report(s)"
        if r.get("promotions"):
            s += f", and see {r['promotions']} of them promoted"
        if r.get("outcome") == "improved":
            s += ", and show how the team improved"
        return s + "." + confirm + times
    if t == "learning":
        s = f"Go deep on {_LEARN.get(str(r.get('area')), _words(r.get('area')))}"
        if r.get("form"):
            s += f" {_FORM.get(str(r['form']), _words(r['form']))}"
        if r.get("shared"):
            s += ", and share what you learn with others"
        return s + "." + confirm + times
    if t == "risk_raised":
        s = f"Spot {_RISK.get(str(r.get('kind')), _words(r.get('kind')))}{_SCOPE_AT.get(str(r.get('scope')), '')}"
        s += " and raise it early, before it causes harm" if r.get("anticipated") else " and raise it"
        if r.get("resolved"):
            s += ", then see it resolved"
        return s + "." + confirm + times
    if t == "org_initiative":
        verb = {"led": "Lead", "co-led": "Co-lead", "contributed": "Contribute to"}.get(str(r.get("role")), "Start")
        s = f"{verb} a {_words(r.get('kind'))} initiative for {_REACH.get(str(r.get('reach')), 'the organisation')}"
        if r.get("self_initiated"):
            s += " that you start yourself"
        s += {"adopted": ", and see it adopted", "piloted": ", and pilot it", "proposed": ", and propose it"}.get(
            str(r.get("adoption")), ""
        )
        if r.get("bottleneck_removed"):
            s += ", removing a bottleneck"
        return s + "." + confirm + times
    if t == "discovery":
        s = f"{'Lead' if r.get('role') == 'led' else 'Run'} {_words(r.get('method'))}"
        if r.get("participants"):
            s += f" with {r['participants']} participants"
        if r.get("finding") in ("validated", "invalidated", "pivoted"):
            s += ", reach a clear finding"
        if r.get("influenced_decision"):
            s += ", and use it to change a product decision"
        return s + "." + confirm + times
    if t == "business_ownership":
        s = (
            f"Take {'named ' if r.get('accountable') else ''}ownership of {_AREA.get(str(r.get('area')), _words(r.get('area')))}"
            f"{_SCOPE_AT.get(str(r.get('scope')), '')}"
        )
        if r.get("outcome") == "target-met":
            s += " and meet its target"
        m = _metrics(r)
        return s + (f", and {m}" if m else "") + "." + confirm + times
    return f"Add a {_type_label(t)} record." + confirm + times


def _then(steps: list[str]) -> str:
    """`, a, b and c` after an action; ` and a` for one step."""
    if not steps:
        return ""
    return (" and " if len(steps) == 1 else ", ") + _join(steps)


_NTH = re.compile(r" \(\d+\)$")


def _plan_for(r: dict, open_titles: list[str]) -> list[str]:
    """The open criteria a planned record is for, read from its title (`Planned: A / B (2)`): each
    part matched to an open criterion's title (a long title is cut short in the record)."""
    title = str(r.get("title", "")).removeprefix("Planned: ")
    out = []
    for part in title.split(" / "):
        part = _NTH.sub("", part.strip())
        full = next((t for t in open_titles if t == part or (len(part) >= 20 and t.startswith(part))), part)
        if full and full not in out:
            out.append(full)
    return out


def plan_sentences(v: Verdict, book: RuleBook) -> list[str]:
    """The verdict's plan as sentences, one per kind of step (records that ask the same thing for
    the same criteria are one sentence with a count), in the plan's order."""
    open_titles = [c.title for c in v.criteria if not c.met]
    groups: dict[tuple, list[dict]] = {}
    for r in v.plan or []:
        key = (plan_sentence(r, book), tuple(_plan_for(r, open_titles)))
        groups.setdefault(key, []).append(r)
    out = []
    for (_, crits), recs in groups.items():
        s = plan_sentence(recs[0], book, len(recs))
        if crits:
            s += " This shows: " + "; ".join(crits) + "."
        out.append(s)
    return out


# -- reading the inputs ----------------------------------------------------------------------------------
def _decision_items(rows: list, v: Verdict, redact: bool) -> list[Item]:
    out = []
    for d in rows:
        differs = d["about"] and _PAIRED.get(v.verdict) != d["decision"]
        lines = [
            (f"decided on {d['decided_on']}" if d.get("decided_on") else "no date given")
            + (f" by {d['decided_by']}" if d.get("decided_by") else "")
        ]
        if d["overrides"]:
            lines.append(
                "criteria judged differently from the rules: " + ", ".join(f"{c} → {val}" for c, val in d["overrides"])
            )
        if d.get("reason"):
            lines.append("reason: " + (_REDACTED if redact else d["reason"]))
        if differs:
            lines.append(
                f"the rules said {_LABEL[v.verdict]}, which pairs with "
                f"{_PAIRED[v.verdict].replace('_', ' ')}: the committee decided otherwise"
            )
        head = (f"{d['cycle']}: " if d["cycle"] else "") + d["decision"].replace("_", " ")
        out.append(Item(head, d["where"], lines, differs))
    return out


def _decisions(book: RuleBook, files: tuple[str, ...], packet: Packet) -> tuple[list[dict], list[Problem]]:
    """This candidate's decisions: every row of the decisions files naming them, then the packet's
    own `committee:` section (for the packet's cycle); sorted by cycle, date and source."""
    from .decisions import load_decisions, parse_overrides

    rows: list[dict] = []
    problems: list[Problem] = []
    for f in files:
        got = load_decisions(f, book)
        problems += got.problems
        rows += [
            {
                "cycle": d.cycle,
                "decision": d.decision,
                "decided_on": d.decided_on,
                "reason": d.reason,
                "decided_by": d.decided_by,
                "overrides": list(d.overrides),
                "where": d.where,
            }
            for d in got.rows
            if d.candidate == packet.candidate_id
        ]
    rows.sort(key=lambda d: (d["cycle"], d["decided_on"], d["where"]))
    for d in rows:  # about this verdict: its packet's cycle, or the one decision when the packet names none
        d["about"] = d["cycle"] == packet.cycle if packet.cycle else len(rows) == 1
    com = packet.data.get("committee") if isinstance(packet.data, dict) else None
    if isinstance(com, dict) and com.get("decision"):
        rows.append(
            {
                "cycle": packet.cycle,
                "decision": str(com["decision"]),
                "decided_on": com.get("decided_on"),
                "reason": str(com.get("reason") or "").strip(),
                "overrides": parse_overrides(str(com.get("overrides") or ""))[0],
                "where": f"{packet.source}: committee",
                "about": True,
            }
        )
    return rows, problems


def _history(files: tuple[str, ...], cid: str) -> tuple[list[Item], list[Problem]]:
    """Every verdict for this candidate id in the results files, in file and line order."""
    from ..outputs.results import iter_lines, parse, summarise

    items, problems = [], []
    for f in files:
        for line in iter_lines(f):
            if isinstance(line, Problem):
                problems.append(line)
                continue
            s = summarise(line)
            if isinstance(s, Problem):
                problems.append(s)
                continue
            if isinstance(s, dict) or s.candidate != cid:
                continue
            d = parse(line)
            if isinstance(d, Problem):
                problems.append(d)
                continue
            when = " · ".join(
                x
                for x in (
                    f"cycle {s.cycle}" if s.cycle else "",
                    f"as of {d.get('as_of')}" if isinstance(d.get("as_of"), str) else "",
                )
                if x
            )
            lines = [str(d.get("headline", "")), f"{s.current} → {s.target}" + (f" · {when}" if when else "")]
            if s.gaps:
                lines.append("required criteria open: " + ", ".join(sorted(s.gaps)))
            items.append(Item(_LABEL.get(s.verdict, s.verdict), line.where, lines))
    return items, problems


def _paths(report: PathsReport, packet: Packet, redact: bool) -> list[Item]:
    out = []
    for p in report.paths:
        lines = []
        met = [s for s in p.signals if s.met]
        for s in met:
            lines.append(f"shows {s.title}: " + "; ".join(_cite(packet, s.evidence, redact)))
        missing = [s for s in p.signals if not s.met]
        if missing:
            lines.append(
                "still missing: " + "; ".join(s.title + (" (required)" if s.required else "") for s in missing)
            )
        word = "no" if p.fit == NONE else p.fit
        out.append(Item(p.title, f"{word} fit, {p.met_count} of {len(p.signals)} signals", lines))
    return out


def _cite(packet: Packet, ids: list[str], redact: bool) -> list[str]:
    return [_record(packet.by_id[i], redact) if i in packet.by_id else i for i in ids]


def build(
    book: RuleBook,
    path: str,
    redact: bool = False,
    with_plan: bool = True,
    decisions: tuple[str, ...] = (),
    history: tuple[str, ...] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    today: dt.date | None = None,
) -> Case:
    """Evaluate the packet (as of `today`; None: the system's day) and gather its case. Raises EvidenceError (a bad packet, exit 3),
    UsageError (a results file that is not there, exit 2), EngineError (a bug); problems in
    decisions or results files are returned in `problems`, the case still built without them."""
    from ..base.inputs import stdin_packet
    from ..core.career_fit import assessor_for

    assessor = assessor_for(book)  # a broken path profile: exit 4 before any work
    v, packet = pipeline.run(
        stdin_packet() if path == "-" else path,
        Evaluator(book),
        max_bytes=max_bytes,
        anchors=for_book(book, today),
        with_plan=with_plan,
    ).verdict_or_raise()
    fits = pipeline.fit(packet, assessor)
    if isinstance(fits, pipeline.Result):
        raise EngineError(fits.problems)

    name = v.name if v.name and not redact else None
    who = f"{name} ({v.candidate_id})" if name else v.candidate_id
    target = _level_name(book, v.target_level)
    current = "external candidate" if v.current_level == "external" else _level_name(book, v.current_level)
    facts = [
        ("Candidate", who),
        ("Level", f"{current} ({v.current_level}) → {target} ({v.target_level})"),
        ("Track", f"{v.from_track} → {v.track}" if v.move else v.track),
    ]
    facts += [(k, str(x)) for k, x in (("Org", v.org), ("Manager", v.manager), ("Cycle", v.cycle)) if x]
    facts += [("Period", f"{packet.start} to {packet.end} (as of {v.as_of})")]
    if len(v.path) > 1:
        facts.append(("Levels assessed", ", ".join(v.path)))

    subject = name or v.candidate_id
    word = {
        READY: "is ready",
        "not_ready": "is not yet ready",
        INSUFFICIENT: "cannot be judged yet (too little recent evidence)",
    }[v.verdict]
    detail = (
        v.headline.split(": ", 1)[1]
        if v.headline.startswith(("ready for", "not ready for")) and ": " in v.headline
        else v.headline
    )
    sentence = f"{subject} {word} for {target}: {detail}."

    met: list[Item] = []
    open_req: list[Item] = []
    open_sup: list[Item] = []
    for c in sorted(v.criteria, key=lambda c: (not c.required,)):  # stable: rule order within each kind
        kind = ("required" if c.required else "supporting") + f" · {c.level}"
        if c.met:
            met.append(Item(f"{c.title}", kind + f" · {c.id}", _cite(packet, c.evidence, redact)))
            continue
        lines = [c.reason]
        found = _cite(packet, c.evidence, redact)
        if found:
            lines += [f"found {x}" for x in found]
        for m in c.misses:
            lines.append(f"nearest: {m.evidence}: {'; '.join(m.failed)}")
        (open_req if c.required else open_sup).append(Item(c.title, kind + f" · {c.id}", lines))

    plan, plan_note = None, ""
    if v.verdict != READY and with_plan:
        plan = plan_sentences(v, book) if v.plan is not None else []
        plan_note = "" if v.plan is not None else f"No plan was found: {v.plan_note}"
    rows, problems = _decisions(book, decisions, packet)
    hist, hp = _history(history, v.candidate_id) if history else ([], [])
    footer = [f"rules {v.rules_version}", f"packet {v.packet_sha256}", f"paths {fits.paths_version}"]
    footer += [f"not checked: {n}" for n in (v.checked or {}).get("not_checked", [])]
    return Case(
        f"Promotion case: {who}",
        facts,
        v.verdict,
        sentence,
        met,
        open_req,
        open_sup,
        plan,
        plan_note,
        _paths(fits, packet, redact),
        "a career-conversation aid, never a promotion verdict",
        _decision_items(rows, v, redact),
        hist,
        bool(history),
        footer,
        problems + hp,
        verdict_dict(v)["levels"],
    )


# -- markdown ------------------------------------------------------------------------------------------------
def _md_items(items: list[Item], empty: str) -> list[str]:
    if not items:
        return [_md(empty), ""]
    out = []
    for it in items:
        tag = f" — {_md(it.tag)}" if it.tag else ""
        out.append(f"- **{_md(it.head)}**{tag}" + (" ⚑" if it.flag else ""))
        out += [f"  - {_md(x)}" for x in it.lines]
    return out + [""]


def markdown(case: Case) -> str:
    out = [f"# {_md(case.title)}", ""]
    out += [f"- **{k}:** {_md(val)}" for k, val in case.facts] + [""]
    out += [f"**Verdict: {_LABEL[case.verdict]}.** {_md(case.sentence)}", ""]
    out += [f"## What is met ({len(case.met)})", ""] + _md_items(case.met, "No criterion is met yet.")
    out += [f"## What is open: required ({len(case.open_required)})", ""]
    out += _md_items(case.open_required, "Every required criterion is met.")
    out += [f"## What is open: supporting ({len(case.open_supporting)})", ""]
    out += _md_items(case.open_supporting, "Every supporting criterion is met.")
    if case.plan is not None:
        out += ["## Development plan", ""]
        if case.plan_note:
            out += [_md(case.plan_note), ""]
        else:
            out += [
                "Each step below, done and recorded, is part of one plan that the rules show makes the "
                "candidate ready:",
                "",
            ]
            out += [f"{i}. {_md(s)}" for i, s in enumerate(case.plan, 1)] + [""]
    out += ["## Adjacent career paths", "", f"*{_md(case.paths_note.capitalize())}; strongest first.*", ""]
    out += _md_items(case.paths, "No adjacent paths are defined.")
    out += ["## Committee decisions", ""] + _md_items(case.decisions, "No decision recorded for this candidate.")
    if case.history_given:
        out += ["## History", ""] + _md_items(
            case.history, "No earlier verdict for this candidate in the results given."
        )
    out += ["---", ""] + [f"- {_md(x)}" for x in case.footer]
    return "\n".join(out).rstrip() + "\n"


# -- HTML ----------------------------------------------------------------------------------------------------
h = html_shown  # every value that reaches the page

_CSS = """
:root{--ok:#1b6e35;--no:#a4161a;--ins:#8a5a00;--mut:#555;--line:#ccc}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1.2em 1.6em;max-width:60em;color:#111}
h1{margin:.2em 0 .4em;font-size:1.6em}h2{margin:1.4em 0 .4em;border-bottom:2px solid #333;font-size:1.2em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.verdict{font-size:1.1em;border-left:6px solid var(--mut);padding:.4em .8em;background:#f6f6f6}
.verdict.ready{border-left-color:var(--ok)}.verdict.not_ready{border-left-color:var(--no)}.verdict.insufficient_evidence{border-left-color:var(--ins)}
.verdict b{text-transform:uppercase;letter-spacing:.03em}
ul.items{list-style:none;padding:0;margin:.3em 0}ul.items>li{margin:.5em 0;padding:.3em .6em;border:1px solid var(--line);break-inside:avoid}
ul.items>li.flag{border-left:4px solid var(--ins)}
.tag{color:var(--mut);font-size:.9em}ul.items ul{margin:.2em 0;padding-left:1.2em}ul.items ul li{margin:.1em 0}
.met>li{border-left:4px solid var(--ok)}.open>li{border-left:4px solid var(--no)}.open.sup>li{border-left-color:var(--mut)}
ol.plan li{margin:.35em 0}.note,.empty{color:var(--mut)}
footer{margin-top:2em;color:var(--mut);font-size:.85em;word-break:break-all}
@media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}.verdict{background:none}
ul.items>li{border-color:#999}a{color:inherit;text-decoration:none}}
@page{margin:16mm}
"""
_CSS += CHART_CSS
CSP = html_csp(None, _CSS)


def _html_items(items: list[Item], empty: str, cls: str) -> str:
    if not items:
        return f'<p class="empty">{h(empty)}</p>'
    out = [f'<ul class="items {cls}">']
    for it in items:
        tag = f' <span class="tag">— {h(it.tag)}</span>' if it.tag else ""
        sub = "<ul>" + "".join(f"<li>{h(x)}</li>" for x in it.lines) + "</ul>" if it.lines else ""
        flag = ' class="flag"' if it.flag else ""
        out.append(f"<li{flag}><b>{h(it.head)}</b>{tag}{sub}</li>")
    return "".join(out) + "</ul>"


def html(case: Case) -> str:
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{h(CSP)}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="generator" content="ladder">',
        f"<title>{h(case.title)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>{h(case.title)}</h1><dl class="facts">'
        + "".join(f"<dt>{h(k)}</dt><dd>{h(val)}</dd>" for k, val in case.facts)
        + "</dl>",
        f'<p class="verdict {h(case.verdict)}"><b>{h(_LABEL[case.verdict])}</b> — {h(case.sentence)}</p>'
        + (criteria_meters(case.levels) if case.levels else "")
        + "</header>",
        "<main>",
        f"<h2>What is met ({len(case.met)})</h2>" + _html_items(case.met, "No criterion is met yet.", "met"),
        f"<h2>What is open: required ({len(case.open_required)})</h2>"
        + _html_items(case.open_required, "Every required criterion is met.", "open"),
        f"<h2>What is open: supporting ({len(case.open_supporting)})</h2>"
        + _html_items(case.open_supporting, "Every supporting criterion is met.", "open sup"),
    ]
    if case.plan is not None:
        parts.append("<h2>Development plan</h2>")
        if case.plan_note:
            parts.append(f'<p class="note">{h(case.plan_note)}</p>')
        else:
            parts.append(
                "<p>Each step below, done and recorded, is part of one plan that the rules show makes the "
                'candidate ready:</p><ol class="plan">' + "".join(f"<li>{h(s)}</li>" for s in case.plan) + "</ol>"
            )
    parts.append(
        f'<h2>Adjacent career paths</h2><p class="note">{h(case.paths_note.capitalize())}; strongest first.</p>'
        + _html_items(case.paths, "No adjacent paths are defined.", "paths")
    )
    parts.append(
        "<h2>Committee decisions</h2>" + _html_items(case.decisions, "No decision recorded for this candidate.", "dec")
    )
    if case.history_given:
        parts.append(
            "<h2>History</h2>"
            + _html_items(case.history, "No earlier verdict for this candidate in the results given.", "hist")
        )
    parts.append("</main><footer>" + "<br>".join(h(x) for x in case.footer) + "</footer></body></html>\n")
    return "".join(parts)


# -- the command ---------------------------------------------------------------------------------------------
def execute(
    book: RuleBook,
    path: str,
    fmt: str = "html",
    out: str = "-",
    decisions: tuple[str, ...] = (),
    history: tuple[str, ...] = (),
    redact: bool = False,
    with_plan: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    today: dt.date | None = None,
) -> Outcome:
    """`ladder case`: the page to `out` (atomic; `-`: stdout). A problem in a decisions or results
    file is named on stderr and the page is still written without it (exit 3); a bad packet is
    exit 3 with nothing written; a results file that is not there, exit 2."""
    from ..base.output import AtomicWriter, check_outputs
    from ..outputs.results import problems_text

    if fmt not in FORMATS:
        raise UsageError(summary=f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    check_outputs(
        [("--out", out)],
        [("PACKET", path)]
        + [("a --decisions file", f) for f in decisions]
        + [("a --history file", f) for f in history],
    )
    case = build(book, path, redact, with_plan, decisions, history, max_bytes, today)
    text = html(case) if fmt == "html" else markdown(case)
    err = problems_text(case.problems)
    code = EXIT_INVALID_PACKET if case.problems else EXIT_OK
    if out == "-":
        return Outcome(text.rstrip("\n"), code, err)
    try:
        w = AtomicWriter(out)
        try:
            w.write(text)
            w.finish()
        except BaseException:
            w.abort()
            raise
        w.commit()
    except OSError as exc:
        raise OutputError(summary=f"cannot write {out}: {exc.strerror or exc}") from None
    return Outcome(
        "", code, "\n".join(x for x in (f"{out}: the case of {case.title.removeprefix('Promotion case: ')}", err) if x)
    )
