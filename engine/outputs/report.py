"""Reporters: verdicts and problems as json, text or markdown. Pure functions of values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..base.errors import Problem
from ..base.escape import Line, Paint, markdown as _md, terminal_lines
from ..base.words import counted
from ..core.verdict import (
    INSUFFICIENT,
    NONE,
    READY,
    SOME,
    STRONG,
    CriterionResult,
    LevelResult,
    PathFit,
    PathsReport,
    Verdict,
)

SUPPRESS_BELOW = 5  # a cohort group or cell of fewer candidates is not shown: it could single a person out

FORMATS = ("text", "json", "markdown")


def dumps(obj: Any) -> str:
    """The one JSON encoder for output: compact UTF-8, keys in the order built, no clock, no
    randomness. orjson: a tenth of a batch's time went to encoding verdicts with the json module."""
    return orjson.dumps(obj).decode()


def verdict_dict(v: Verdict, redact: bool = False) -> dict:
    cand: dict[str, Any] = {"id": v.candidate_id}
    if v.name and not redact:
        cand["name"] = v.name
    if v.org is not None:
        cand["org"] = v.org
    if v.cycle is not None:
        cand["cycle"] = v.cycle
    if v.manager is not None:
        cand["manager"] = v.manager
    crits = []
    unmet_required: list[str] = []
    unmet_supporting: list[str] = []
    for c in v.criteria:
        d: dict[str, Any] = {
            "id": c.id,
            "level": c.level,
            "title": c.title,
            "required": c.required,
            "status": c.status,
            "evidence": c.evidence,
            "reason": c.reason,
            "source": c.source,
        }
        d["basis"] = c.basis or "guide"
        if c.basis_note:
            d["basis_note"] = c.basis_note
        if _policy_window(v, c):
            d["window"] = {"days": c.window, "basis": "policy"}
        if c.misses:
            d["nearest_misses"] = [{"evidence": m.evidence, "failed": m.failed} for m in c.misses]
        if c.met:
            d["verified"] = c.verified  # false: it rests only on records no one else confirms
        crits.append(d)
        if c.status != "met":
            (unmet_required if c.required else unmet_supporting).append(c.id)
    return {
        "candidate": cand,
        "track": v.track,
        "current_level": v.current_level,
        "target_level": v.target_level,
        "path": v.path,
        **({"move": v.move} if v.move else {}),
        "as_of": v.as_of,
        "verdict": v.verdict,
        "headline": v.headline,
        "levels": [_level_dict(lr) for lr in v.levels],
        "criteria": crits,
        "unmet": unmet_required + unmet_supporting,
        "gaps": unmet_required,
        "supporting_gaps": _supporting_shortfall(v),
        "warnings": [w.as_dict() for w in v.warnings],
        **_plan_keys(v),
        "checked_against": v.checked or _unchecked(),
        **(
            {"default_window": {"days": dw[0], "basis": "policy", "basis_note": dw[2]}}
            if (dw := v.default_window) and _labelled_window(v)
            else {}
        ),
        "rules_version": v.rules_version,
        "schema_version": v.schema_version,
        "packet_sha256": v.packet_sha256,
    }


def _labelled_window(v: Verdict) -> bool:
    return bool(v.default_window and v.default_window[1] == "policy")


def _policy_window(v: Verdict, c: CriterionResult) -> bool:
    """The criterion relies on the ladder's default window, and the ladder labels it policy."""
    return bool(c.window) and _labelled_window(v)


def criterion_tag(v: Verdict, c: CriterionResult) -> str:
    """required / supporting, and "policy" when a number in it (its own, or the ladder's default
    window it relies on) is the ladder's choice rather than the guide's."""
    policy = c.basis == "policy" or _policy_window(v, c)
    return ("required" if c.required else "supporting") + (" · policy" if policy else "")


def window_line(v: Verdict) -> str | None:
    """The ladder's default window, once per verdict, beside the criteria tagged policy for it."""
    if v.default_window is None or not _labelled_window(v):
        return None
    days, _, note = v.default_window
    return (
        f"policy: evidence counts when dated inside the period and within {days} days of the as-of date "
        f"wherever a criterion gives no window of its own ({note})"
    )


def level_figures(lr: LevelResult) -> str:
    """A level's counts in words; a number that is the ladder's own choice says "policy" beside it."""
    if lr.carried:
        return (
            f"required {lr.required_met}/{lr.required_total} · included: its required criteria only, "
            f"with current evidence (a level below the promotion)"
        )
    pol = ", policy" if lr.basis == "policy" else ""
    return (
        f"required {lr.required_met}/{lr.required_total} · supporting {lr.supporting_met}/{lr.supporting_total} "
        f"(needs {lr.supporting_needed}{pol}) · recent evidence {lr.recent_records} (needs {lr.recent_needed} "
        f"within {lr.recent_window_days} days{pol})"
    )


def _unchecked() -> dict:
    from ..org.anchors import UNCHECKED

    return UNCHECKED


def not_checked(v: Verdict) -> list[str]:
    """Plain sentences for what the verdict's packet was not checked against (engine.org.anchors)."""
    return list((v.checked or _unchecked()).get("not_checked", []))


def _level_dict(lr: LevelResult) -> dict:
    """A level's figures; `aspects` only for a level with per-aspect thresholds."""
    d = dict(lr.__dict__)
    if not d["aspects"]:
        del d["aspects"]
    if not d["carried"]:
        del d["carried"]
    for k in ("basis", "basis_note"):
        if d[k] is None or d.get("carried"):
            del d[k]
    return d


def _plan_keys(v: Verdict) -> dict:
    """`plan` (records to add) for a not-ready verdict; `plan: null` and `plan_note` when none
    was found within the bounds (engine.core.plan); nothing for a ready verdict or with plans off."""
    if not v.planned:
        return {}
    if v.plan is None:
        return {"plan": None, "plan_note": v.plan_note}
    return {"plan": v.plan}


_PLAN_SKIP = frozenset({"id", "type", "date", "title", "planned"})


def _plan_fields(r: dict) -> str:
    """A planned record's key fields, short: `role led, scope product-area, metrics [kind business, improved]`."""
    out = []
    for k, val in r.items():
        if k in _PLAN_SKIP:
            continue
        if isinstance(val, dict):
            val = ", ".join(f"{k2} {_val(v2)}" for k2, v2 in val.items())
            out.append(f"{k} ({val})")
        elif isinstance(val, list) and val and isinstance(val[0], dict):
            out.append(f"{k} [" + "; ".join(", ".join(f"{k2} {_val(v2)}" for k2, v2 in m.items()) for m in val) + "]")
        else:
            out.append(f"{k} {_val(val)}")
    return ", ".join(out)


plan_fields = _plan_fields  # engine.outputs.report_html


def _val(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, list):
        return "[" + ", ".join(map(_val, x)) + "]"
    return str(x)


def plan_lines(v: Verdict) -> list[str]:
    """ "What would make this ready": one line per planned record, or why there is no plan."""
    if not v.planned:
        return []
    if v.plan is None:
        return [f"no plan found: {v.plan_note}"]
    return [f"{r['id']} · {r['type']} · {r.get('title', '')} · dated {r['date']}: {_plan_fields(r)}" for r in v.plan]


def _supporting_shortfall(v: Verdict) -> list[dict]:
    """Per level short of supporting criteria: how many more, and the closest open ones first
    (those where the engine already found some of the evidence)."""
    out = []
    for lr in v.levels:
        more = lr.supporting_needed - lr.supporting_met
        if more > 0:
            open_ = [c for c in v.criteria if c.level == lr.id and not c.required and not c.met]
            open_.sort(key=lambda c: -len(c.found))  # stable: rule order among equals
            out.append(
                {
                    "level": lr.id,
                    "needed": lr.supporting_needed,
                    "met": lr.supporting_met,
                    "more": more,
                    "closest": [c.id for c in open_[: max(more, 3)]],
                }
            )
        for a in lr.aspects_short:
            more = a["needed"] - a["met"]
            open_ = [c for c in _open_of_aspect(v, lr.id, a["aspect"])]
            open_.sort(key=lambda c: -len(c.found))
            out.append(
                {
                    "level": lr.id,
                    "aspect": a["aspect"],
                    "needed": a["needed"],
                    "met": a["met"],
                    "more": more,
                    "closest": [c.id for c in open_[: max(more, 3)]],
                }
            )
    return out


def _open_of_aspect(v: Verdict, level: str, aspect: str) -> list:
    """The open supporting criteria of one aspect at a level (the verdict's own results)."""
    return [c for c in v.criteria if c.level == level and not c.required and not c.met and c.aspect == aspect]


def verdict_json(v: Verdict, redact: bool = False) -> str:
    return dumps(verdict_dict(v, redact))


_MARK = {True: "✓", False: "✗"}
_COLOUR = {READY: "green", INSUFFICIENT: "yellow"}


def _cite(v_evidence: dict[str, dict], ids: list[str], redact: bool) -> str:
    out = []
    for i in ids:
        title = v_evidence.get(i, {}).get("title")
        out.append(f"{i} ({title})" if title and not redact else i)
    return ", ".join(out)


def verdict_text(
    v: Verdict, evidence: dict[str, dict] | None = None, redact: bool = False, style: Callable[..., str] | None = None
) -> str:
    """The verdict for a terminal. Every line is escaped whole where it leaves (escape.terminal_lines):
    a title or name from the packet can neither start a line nor move the cursor; colours, when
    `style` is given, come only from the Paint pieces below."""
    evidence = evidence or {}
    who = v.candidate_id + (f" ({v.name})" if v.name and not redact else "")
    lines: list[Line] = [
        f"{who} · {_track_text(v)} · {v.current_level} → {v.target_level} · as of {v.as_of}",
        (Paint(v.verdict.upper().replace("_", " "), fg=_COLOUR.get(v.verdict, "red"), bold=True), f" — {v.headline}"),
        "",
    ]
    for lr in v.levels:
        lines.append((Paint(f"{lr.id} · {lr.title}", bold=True), f": {lr.verdict} · {level_figures(lr)}"))
        if lr.basis_note and not lr.carried:
            lines.append(f"  policy: {lr.basis_note}")
        for c in _by_kind(v, lr.id):
            tag = criterion_tag(v, c)
            lines.append(("  ", Paint(_MARK[c.met], fg="green" if c.met else "red"), f" [{tag}] {c.id} — {c.title}"))
            if c.met:
                lines.append(f"      met by {_cite(evidence, c.evidence, redact)}")
            else:
                lines.append(f"      {c.reason}")
                for m in c.misses:
                    lines.append(f"      nearest: {m.evidence}: {'; '.join(m.failed)}")
            lines.append(f"      source: {c.source}")
            if c.basis_note:
                lines.append(f"      policy: {c.basis_note}")
        lines.append("")
    gaps = [c.id for c in v.criteria if not c.met and c.required]
    if gaps:
        lines.append("Required gaps to close first: " + ", ".join(gaps))
    lines.extend(_supporting_gaps(v))
    lines.extend(_self_declared(v))
    plan = plan_lines(v)
    if plan:
        lines.append(f"What would make this ready ({len(v.plan or [])} record(s) to add):")
        lines += [f"  {p}" for p in plan]
    if v.warnings:
        lines.append(f"Warnings for the committee ({len(v.warnings)}):")
        lines += [f"  {_warning_text(w)}" for w in v.warnings]
    if window := window_line(v):
        lines.append(window)
    lines += [f"Not checked: {n}" for n in not_checked(v)]
    lines.append(f"rules {v.rules_version}")
    return terminal_lines(lines, style)


def _track_text(v: Verdict) -> str:
    """`management track`, or `management → ic track` for a move between tracks."""
    return f"{v.from_track} → {v.track} track" if v.move else f"{v.track} track"


def _self_declared(v: Verdict) -> list[str]:
    own = [c.id for c in v.criteria if c.met and not c.verified]
    if not own:
        return []
    return [
        f"Met on self-declared records only (no verified_by): {len(own)} of "
        f"{sum(c.met for c in v.criteria)} met criteria"
    ]


def _warning_text(w: Problem) -> str:
    return (f"line {w.line}: " if w.line is not None else "") + f"{w.path}: {w.message}"


def _by_kind(v: Verdict, level: str) -> list:
    """A level's criteria for reading: required first, then supporting, each in rule order."""
    mine = [c for c in v.criteria if c.level == level]
    return [c for c in mine if c.required] + [c for c in mine if not c.required]


def _supporting_gaps(v: Verdict) -> list[str]:
    """Only levels short of supporting criteria: how many more, and which could close the gap."""
    out = []
    for lr in v.levels:
        short = lr.supporting_needed - lr.supporting_met
        if short > 0:
            open_ = [c.id for c in v.criteria if c.level == lr.id and not c.required and not c.met]
            more = counted(short, "more supporting criterion", "more supporting criteria")
            out.append(f"{lr.id} needs {more}, from: {', '.join(open_)}")
        for a in lr.aspects_short:
            open_ = [c.id for c in _open_of_aspect(v, lr.id, a["aspect"])]
            out.append(
                f"{lr.id} needs "
                + counted(
                    a["needed"] - a["met"],
                    f"more supporting {a['aspect']} criterion",
                    f"more supporting {a['aspect']} criteria",
                )
                + f" ({a['met']} of {a['needed']} met), from: {', '.join(open_)}"
            )
    return out


def verdict_markdown(v: Verdict, evidence: dict[str, dict] | None = None, redact: bool = False) -> str:
    evidence = evidence or {}
    who = v.candidate_id + (f" ({_md(v.name)})" if v.name and not redact else "")
    out = [
        f"## Promotion readiness: {who}",
        "",
        f"**{v.verdict.replace('_', ' ').capitalize()}** — {_md(v.headline)}",
        "",
        f"- Track: {_track_text(v).removesuffix(' track')}; {v.current_level} → {v.target_level} "
        f"(levels assessed: {', '.join(v.path)})",
        f"- As of: {v.as_of}",
        f"- Rules: `{v.rules_version}`",
        *([f"- {_md(window_line(v))}"] if window_line(v) else []),
        *[f"- Not checked: {_md(n)}" for n in not_checked(v)],
        "",
    ]
    gaps = [c for c in v.criteria if not c.met and c.required]
    if gaps:
        out += ["### Required gaps to close first", ""]
        out += [f"1. **{c.id}** — {_md(c.title)}: {_md(c.reason)}" for c in gaps]
        out.append("")
    sup = _supporting_gaps(v)
    if sup:
        out += ["### Supporting criteria still needed", ""] + [f"- {_md(line)}" for line in sup] + [""]
    out += [f"- {_md(line)}" for line in _self_declared(v)] + ([""] if _self_declared(v) else [])
    plan = plan_lines(v)
    if plan:
        out += ["### What would make this ready", ""] + [f"- {_md(p)}" for p in plan] + [""]
    if v.warnings:
        out += [f"### Warnings for the committee ({len(v.warnings)})", ""]
        out += [f"- {_md(_warning_text(w))}" for w in v.warnings] + [""]
    for lr in v.levels:
        figures = level_figures(lr)
        if lr.basis_note and not lr.carried:
            figures += f" · policy: {lr.basis_note}"
        out += [
            f"### {lr.id} · {_md(lr.title)} — {lr.verdict}",
            "",
            _md(figures[0].upper() + figures[1:]),
            "",
            "| | Criterion | Kind | Evidence / what is missing | Source |",
            "|---|---|---|---|---|",
        ]
        for c in _by_kind(v, lr.id):
            detail = _md(_cite(evidence, c.evidence, redact) if c.met else c.reason)
            if not c.met and c.misses:
                detail += "<br>nearest: " + _md("; ".join(f"{m.evidence}: {', '.join(m.failed)}" for m in c.misses))
            kind = criterion_tag(v, c) + (f"<br>policy: {_md(c.basis_note)}" if c.basis_note else "")
            out.append(f"| {_MARK[c.met]} | **{c.id}**<br>{_md(c.title)} | {kind} | {detail} | {_md(c.source)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def problems_json(source: str, problems: list[Problem], valid: bool) -> dict:
    return {"source": source, "valid": valid, "problems": [p.as_dict() for p in problems]}


# -- adjacent career paths (engine.core.career_fit) -------------------------------------------------------
PATHS_NOTE = "a career-conversation aid, never a promotion verdict"


def paths_list(r: PathsReport) -> list[dict]:
    """The `paths` of `ladder paths --format json` (README, `ladder paths`), also the `paths` key that
    `--paths` appends to a verdict."""
    # `met`: each met signal's id and the records it cites; `missing` names the others. What a
    # signal is and needs belongs to the rules (`ladder rules show`; text and markdown output),
    # the same for every packet, so a batch line does not repeat it.
    return [
        {
            "id": p.id,
            "title": p.title,
            "fit": p.fit,
            "evidence": p.evidence,
            "missing": p.missing,
            "met": {s.id: s.evidence for s in p.signals if s.met},
        }
        for p in r.paths
    ]


def paths_dict(r: PathsReport, redact: bool = False) -> dict:
    cand: dict[str, Any] = {"id": r.candidate_id}
    if r.name and not redact:
        cand["name"] = r.name
    return {
        "candidate": cand,
        "current_level": r.current_level,
        "track": r.track,
        "as_of": r.as_of,
        "note": PATHS_NOTE,
        "paths": paths_list(r),
        "paths_version": r.paths_version,
    }


def paths_json(r: PathsReport, redact: bool = False) -> str:
    return dumps(paths_dict(r, redact))


def with_paths_json(v: Verdict, r: PathsReport, redact: bool = False) -> str:
    """The verdict's JSON with `paths` appended: every byte before it is the verdict's own."""
    return dumps({**verdict_dict(v, redact), "paths": paths_list(r)})


def _fit_word(p: PathFit) -> str:
    return f"{'no' if p.fit == NONE else p.fit} fit ({p.met_count} of {len(p.signals)} signals)"


_FIT_COLOUR = {STRONG: "green", SOME: "yellow"}


def paths_text(
    r: PathsReport,
    evidence: dict[str, dict] | None = None,
    redact: bool = False,
    style: Callable[..., str] | None = None,
) -> str:
    evidence = evidence or {}
    who = r.candidate_id + (f" ({r.name})" if r.name and not redact else "")
    lines: list[Line] = [
        f"Adjacent paths for {who} · {r.current_level} on the {r.track} track · as of {r.as_of}",
        f"({PATHS_NOTE}; strongest first)",
        "",
    ]
    for p in r.paths:
        lines.append(
            (Paint(f"{p.id} · {p.title}", bold=True), ": ", Paint(_fit_word(p), fg=_FIT_COLOUR.get(p.fit, "red")))
        )
        for s in p.signals:
            tag = ("required" if s.required else "supporting") + (" · policy" if s.basis == "policy" else "")
            lines.append(("  ", Paint(_MARK[s.met], fg="green" if s.met else "red"), f" [{tag}] {s.id} — {s.title}"))
            if s.met:
                lines.append(f"      shown by {_cite(evidence, s.evidence, redact)}")
            else:
                lines.append(f"      needs {s.needs}" + (f"; found {', '.join(s.evidence)}" if s.evidence else ""))
        lines.append(
            f"  source: {p.source}"
            + (f" · strong: every required signal and {p.min_supporting} supporting" if p.min_supporting else "")
        )
        lines.append("")
    lines.append(f"paths {r.paths_version}")
    return terminal_lines(lines, style)


def paths_markdown(r: PathsReport, evidence: dict[str, dict] | None = None, redact: bool = False) -> str:
    evidence = evidence or {}
    who = r.candidate_id + (f" ({_md(r.name)})" if r.name and not redact else "")
    out = [
        f"## Adjacent paths: {who}",
        "",
        f"*{PATHS_NOTE.capitalize()}.* {r.current_level} on the {r.track} track, as of {r.as_of}; strongest first.",
        "",
        "| Path | Fit | Evidence | Missing |",
        "|---|---|---|---|",
    ]
    for p in r.paths:
        out.append(
            f"| **{p.id}**<br>{_md(p.title)} | {_fit_word(p)} | {_md(_cite(evidence, p.evidence, redact)) or '-'}"
            f" | {', '.join(p.missing) or '-'} |"
        )
    out.append("")
    for p in r.paths:
        out += [
            f"### {p.id} · {_md(p.title)} — {p.fit}",
            "",
            f"Source: {_md(p.source)}",
            "",
            "| | Signal | Kind | Evidence / what is missing |",
            "|---|---|---|---|",
        ]
        for s in p.signals:
            detail = _cite(evidence, s.evidence, redact) if s.met else "needs " + s.needs
            out.append(
                f"| {_MARK[s.met]} | **{s.id}**<br>{_md(s.title)} | "
                f"{'required' if s.required else 'supporting'} | {_md(detail)} |"
            )
        out.append("")
    out.append(f"Paths version `{r.paths_version}`")
    return "\n".join(out).rstrip() + "\n"


# -- how two verdicts differ, in words (rules test goldens, reverify) ---------------------------
def diff_verdicts(old: dict, new: dict) -> list[str]:
    out = []
    if old.get("verdict") != new.get("verdict"):
        out.append(f"verdict: {old.get('verdict')} -> {new.get('verdict')}")
    olds = {c["id"]: c for c in old.get("criteria", [])}
    news = {c["id"]: c for c in new.get("criteria", [])}
    for cid in sorted(set(olds) | set(news)):
        a, b = olds.get(cid), news.get(cid)
        if a is None:
            out.append(f"  + {cid}: new criterion, {news[cid]['status']}")
        elif b is None:
            out.append(f"  - {cid}: criterion removed (was {a['status']})")
        elif a["status"] != b["status"]:
            out.append(f"  {cid}: {a['status']} -> {b['status']} ({b['reason']})")
        elif a.get("evidence") != b.get("evidence"):
            out.append(f"  {cid}: cites {a.get('evidence')} -> {b.get('evidence')}")
        elif a != b:
            out += [f"  {cid}: {line}" for line in _what_changed(a, b)]
    if not out and old != new:
        for key in sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)):
            out.append(f"  {key} changed" + (f": {new.get(key)}" if key == "headline" else ""))
    return out


# What a criterion's golden entry holds, in the words a diff uses for it.
_FIELD_WORDS = {
    "title": "title",
    "reason": "explanation",
    "required": "required/supporting",
    "level": "level",
    "misses": "nearest misses",
}


def _what_changed(a: dict, b: dict) -> list[str]:
    """Each field of one criterion's entry that changed, named: a title edit is not an explanation change."""
    out = []
    for key in sorted(set(a) | set(b), key=lambda k: (k != "title", k != "reason", k)):
        if a.get(key) == b.get(key):
            continue
        word = _FIELD_WORDS.get(key, key)
        if key in ("title", "reason"):
            out.append(f"{word} changed: {a.get(key)!r} -> {b.get(key)!r}")
        else:
            out.append(f"{word} changed")
    return out
