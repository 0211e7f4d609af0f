"""Audit results as text, JSON and markdown (a pull-request comment under 60,000 characters)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ..base.escape import markdown as _md, markdown_code as _code
from ..outputs.report import dumps
from .diff import RuleDiff, schema_change_text, show
from .result import (
    AuditResult,
    PacketChange,
    Side,
    StatusChange,
    Tally,
    also_traced,
    cause_label,
    cause_parts,
    flip_causes,
    flips_by_cause,
)

MD_MAX_ROWS = 200  # a pull-request comment is capped at 65,536 characters; JSON has every row
MD_MAX_CHARS = 60_000  # the whole markdown stays under this, leaving room for a wrapper around it


def _arrow(a: str | None, b: str | None) -> str:
    return f"{a or '(absent)'} -> {b or '(absent)'}"


def diff_entries(d: RuleDiff) -> list[tuple[str, str, list[str]]]:
    """The rule diff as (mark, subject, field changes); mark is + added, - removed, ~ changed."""
    out: list[tuple[str, str, list[str]]] = []
    if d.ladder:
        out.append(("~", "ladder", [f.text() for f in d.ladder]))
    out += [("+", f"level {lv}", _contents_text(d.level_contents.get(lv))) for lv in d.levels_added]
    out += [("-", f"level {lv}", _contents_text(d.level_contents.get(lv))) for lv in d.levels_removed]
    out += [("~", f"level {lv}", [f.text() for f in fs]) for lv, fs in d.levels.items()]
    for c in d.criteria:
        if c.change == "renamed":
            out.append(("r", f"criterion {c.old_id} -> {c.id}", []))
        elif c.change == "changed":
            out.append(("~", f"criterion {c.id}", [f.text() for f in c.fields]))
        else:
            out.append(
                (
                    "+" if c.change == "added" else "-",
                    f"criterion {c.id} ({'required' if c.required else 'supporting'})",
                    [],
                )
            )
    return out


def _contents_text(c: dict | None) -> list[str]:
    if not c:
        return []
    req = set(c["required"])
    crits = ", ".join(f"{cid} ({'required' if cid in req else 'supporting'})" for cid in c["criteria"])
    return [f"policy: {show(c['policy'])}", f"criteria: {crits or '(none)'}"]


_WORD = {"+": "added", "-": "removed", "~": "changed", "r": "renamed"}


def _levels_text(p: PacketChange) -> str:
    tgt = p.target_level if p.base_target_level is None else f"{p.base_target_level} -> {p.target_level}"
    return f"{p.current_level} -> {tgt}" if p.current_level else tgt or "?"


def render_json(r: AuditResult) -> str:
    return dumps(
        {
            "base": r.base.version,
            "head": r.head.version,
            "revisions": {"base": r.base.as_dict(), "head": r.head.as_dict()},
            "rules_changed": not r.diff.empty,
            "rule_diff": r.diff.as_dict(),
            "schema_diff": r.schema_diff,
            "summary": {
                "packets": r.packets,
                "evaluated": r.evaluated,
                "flips": len(r.flips),
                "status_changes": r.status_change_count,
                "packets_with_status_changes": len(r.status_only),
                "validity_changes": len(r.validity),
                "invalid": len(r.invalid),
                "new_verdicts": len(r.new),
            },
            "criteria_added_removed": r.outcome_rows(),
            "flips_by_cause": [
                {
                    "base": b,
                    "head": h,
                    "cause": c,
                    "because": cause_label(r, (c,), max_fields=99),
                    "flips": len(ps),
                    "also_other_changes": also_traced(r, ps),
                }
                for b, h, c, ps in flips_by_cause(r)
            ],
            "new_pack": r.new_pack,
            "new_verdicts": [p.as_dict() for p in r.new],
            "flips": [{**p.as_dict(), "causes": list(flip_causes(r, p))} for p in r.flips],
            "status_changes": [p.as_dict() for p in r.status_only],
            "validity_changes": [p.as_dict() for p in r.validity],
            "invalid": [i.as_dict() for i in r.invalid],
            "totals": {
                "by_target_level": {k: r.by_level[k].as_dict() for k in _level_keys(r)},
                "by_track": {k: r.by_track[k].as_dict() for k in sorted(r.by_track)},
            },
        }
    )


def _level_keys(r: AuditResult) -> list[str]:
    known = [lv for lv in r.level_order if lv in r.by_level]
    return known + sorted(k for k in r.by_level if k not in known)


def _crit_text(cs: list[StatusChange], arrow: str = "->") -> str:
    return "; ".join(c.text(arrow) for c in cs)


def render_text(r: AuditResult) -> str:
    out = [
        f"ladder audit: base {r.base.label()} -> head {r.head.label()}",
        f"rules: {r.base.version or '(none: a new pack)'} -> {r.head.version}",
        "",
    ]
    out.append(
        f"Rule changes: {r.diff.counts()}"
        + (
            " (the files differ only in order or formatting)"
            if r.diff.empty and r.base.version != r.head.version
            else ""
        )
    )
    for mark, subject, fields in diff_entries(r.diff):
        out.append(f"  {'~' if mark == 'r' else mark} {subject}" + (" (renamed)" if mark == "r" else ""))
        out += [f"      {f}" for f in fields]
    if r.schema_diff:
        out += ["", "Packet schema changes:"] + [f"  ~ {schema_change_text(c)}" for c in r.schema_diff]
    out += ["", f"Impact: {r.summary()}"]
    if r.new_pack:
        out += ["", f"New rules pack (its folder does not exist at the base): {_new_counts(r)}"]
    if r.flips:
        out += ["", "Flips by cause:"]
        out += [
            f"  {len(ps):>6}  {_arrow(b, h)}  decided by {cause_label(r, (c,))}"
            + (f" ({n} also trace to other changes)" if (n := also_traced(r, ps)) else "")
            for b, h, c, ps in flips_by_cause(r)
        ]
    outcomes = r.outcome_rows()
    if outcomes:
        out += ["", "Criteria only one version has (packets judged on their level that meet them):"]
        out += [f"  {o['change']} {o['id']}: met by {o['met']}, unmet by {o['unmet']}" for o in outcomes]
    if r.flips:
        out += ["", "Verdict flips:"]
        for p in r.flips:
            out.append(f"  {p.candidate}  {p.source}  {p.track}  {_levels_text(p)}  {_arrow(p.base, p.head)}")
            out += [f"      {c.text()}" for c in p.criteria]
            out += [f"      level {lc.text()}" for lc in p.levels]
    if r.status_only:
        out += [
            "",
            f"Criterion status changes without a flip: {r.status_change_count} in {len(r.status_only)} "
            "packet(s), by criterion:",
        ]
        out += [f"  {n:>6}  {cid}" for cid, n in r.status_by_criterion()]
    if r.validity:
        out += ["", "Valid under one version only:"]
        for p in r.validity:
            out.append(f"  {p.candidate}  {p.source}  {_arrow(p.base or 'invalid', p.head or 'invalid')}: {p.problem}")
    if r.invalid:
        out += ["", f"Invalid packets ({len(r.invalid)}), not evaluated under either version:"]
        out += [f"  {i.text()}" for i in r.invalid]
    if r.by_level:
        out += ["", "By target level:"] + [f"  {k}: {_tally_text(r.by_level[k])}" for k in _level_keys(r)]
        out += ["By track:"] + [f"  {k}: {_tally_text(r.by_track[k])}" for k in sorted(r.by_track)]
    return "\n".join(out)


def _tally_text(t: Tally) -> str:
    s = (
        f"{t.packets} packet(s), {t.flips} flip(s), {t.status_changes} with criterion changes only, "
        f"{t.unchanged} unchanged"
    )
    return s + (f", {t.validity_changes} valid under one version only" if t.validity_changes else "")


def _md_verdict(a: str | None, b: str | None) -> str:
    return f"{a or 'invalid'} → **{b or 'invalid'}**"


def _md_rows(rows: list[str], total: int) -> list[str]:
    if total > len(rows):
        rows = rows + [f"\n… and {total - len(rows)} more (see `--format json`)"]
    return rows


def render_markdown(r: AuditResult, limit: int = MD_MAX_CHARS) -> str:
    """The PR comment, at most `limit` characters: when the full tables would be longer, the
    tables (and a long rule diff) keep their first rows, and a note says how to get every row."""
    md = _render_markdown(r, MD_MAX_ROWS, None)
    if len(md) <= limit:
        return md
    for rows in (100, 50, 20, 10, 5, 0):
        md = _render_markdown(r, rows, max(rows, 10), shortened=True)
        if len(md) <= limit:
            return md
    return _cut(md, limit)


_SHORT_NOTE = (
    "> **Shortened to fit a pull-request comment**: counts are complete, tables show their first "
    "rows only. Run `ladder audit` with `--format json` for the full list."
)


def _cut(md: str, limit: int) -> str:
    """Last resort (huge single cells): keep whole lines up to the limit, close open <details>."""
    tail = "\n\n… cut here to fit a pull-request comment; `--format json` has everything.\n"
    kept: list[str] = []
    size = len(tail) + 40
    for line in md.split("\n"):
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    text = "\n".join(kept)
    opened = text.count("<details>") - text.count("</details>")
    return text + tail + "\n</details>" * max(opened, 0) + ("\n" if opened > 0 else "")


MD_ROWS_PER_CAUSE = 10  # flip rows shown under each cause; the JSON has every row
MD_MAX_CAUSES = 30  # cause groups in the summary table


def _short(version: str) -> str:
    """`sha256:23723de6cafe` for a rules_version (the full one is in the Revisions block)."""
    algo, _, hexd = version.partition(":")
    return f"{algo}:{hexd[:12]}" if hexd else version[:12]


def _side_md(side: Side) -> str:
    if side.rev is None:
        return "the working tree"
    return f"{_code(side.rev)} ({_code((side.commit or '')[:12])})"


def _new_counts(r: AuditResult) -> str:
    n = Counter(p.head or "" for p in r.new)  # every new packet has a head verdict
    return ", ".join(f"{n[v]} {v}" for v in sorted(n)) or "none"


def _md_cause(r: AuditResult, causes: tuple[str, ...] | str, most: int = 2) -> str:
    out = []
    for key in (causes,) if isinstance(causes, str) else causes:
        what, name, details = cause_parts(r, key)
        shown = [_code(t.replace(" -> ", " → ")) if ": " in t else _md(t) for t in details[:most]]
        if len(details) > most:
            shown.append(f"and {len(details) - most} more")
        out.append(f"{what}{' ' + _code(name) if name else ''}" + (": " + "; ".join(shown) if shown else ""))
    return " + ".join(out)


def _md_diff_line(mark: str, subject: str, fields: list[str]) -> list[str]:
    if mark == "r":
        old, _, new = subject.partition(" ")[2].partition(" -> ")
        return [f"- criterion **renamed**: {_code(old)} → {_code(new)}"]
    kind, _, name = subject.partition(" ")
    name, _, tag = name.partition(" ")
    what = f"- {kind} **{_WORD[mark]}**" + (f": {_code(name)}" if name else "")
    return [what + (f" {tag}" if tag else "") + (":" if fields else "")] + [
        f"  - {_code(f.replace(' -> ', ' → '))}" for f in fields
    ]


def _render_markdown(
    r: AuditResult, max_rows: int, max_diff: int | None, shortened: bool = False, per_cause: int = MD_ROWS_PER_CAUSE
) -> str:
    """Top down: what flipped and why (a table by direction and cause), the rule diff, the first
    flips of each cause, then the rest collapsed; full hashes in a Revisions block at the end."""
    per_cause = min(per_cause, max_rows)
    flips = f"**{len(r.flips)} verdict flip(s)**" if r.flips else "no verdict flips"
    out = [
        f"**ladder audit**: {flips} in {r.packets} packet(s)",
        "",
        f"Base {_side_md(r.base)} → head {_side_md(r.head)} · rules {_code(_short(r.base.version))} → "
        f"{_code(_short(r.head.version))} · {r.diff.counts()}",
        "",
    ]
    if shortened:
        out += [_SHORT_NOTE, ""]
    groups = flips_by_cause(r)
    if r.new_pack:
        out += [
            f"**New rules pack**: its folder does not exist at the base, so every level and criterion is added. "
            f"Verdicts under the head: {_new_counts(r)}.",
            "",
        ]
    if groups:
        out += ["| Flips | Verdict | Decided by | Also other changes |", "|---:|---|---|---:|"]
        out += [
            f"| {len(ps)} | {_md_verdict(b, h)} | {_md_cause(r, c)} | {also_traced(r, ps)} |"
            for b, h, c, ps in groups[:MD_MAX_CAUSES]
        ]
        if len(groups) > MD_MAX_CAUSES:
            rest = groups[MD_MAX_CAUSES:]
            out.append(
                f"| {sum(len(g[3]) for g in rest)} | … | {len(rest)} more causes "
                "(`--format json`: `flips_by_cause`) | |"
            )
        out += [
            "",
            "_Decided by_: the rule change a flip traces to, a required criterion before a level's policy "
            "before a supporting criterion; _also other changes_: how many of those flips trace to more than "
            "one (each row below lists them all).",
            "",
        ]
    also = [f"{r.status_change_count} criterion status change(s) without a flip (in {len(r.status_only)} packet(s))"]
    also += [f"{len(r.validity)} valid under one version only"] if r.validity else []
    also += [f"{len(r.invalid)} invalid (under both versions)"] if r.invalid else []
    out += ["Also: " + " · ".join(also) + ".", ""]
    outcomes = r.outcome_rows()
    if outcomes:
        out += [
            "Criteria only one version has (how many packets judged on their level meet them):",
            "",
            "| Criterion | Change | Met | Unmet |",
            "|---|---|---:|---:|",
        ]
        rows = [
            f"| {_code(o['id'])} | {o['change']} | {o['met']} | {o['unmet']} |" for o in outcomes[: max(max_rows, 10)]
        ]
        out += _md_rows(rows, len(outcomes)) + [""]
    out += ["#### Rule changes", ""]
    d = r.diff
    if d.empty:
        out.append(
            "No change in meaning"
            + (" (the files differ only in order or formatting)." if r.base.version != r.head.version else ".")
        )
    entries = diff_entries(d)
    if max_diff is not None and len(entries) > max_diff:
        out.append(f"_{len(entries)} rule changes; the first {max_diff} are shown (`--format json` has all)._")
        entries = entries[:max_diff]
    for mark, subject, fields in entries:
        out += _md_diff_line(mark, subject, fields)
    if r.schema_diff:
        out += ["", "#### Packet schema changes", ""] + [f"- {_code(schema_change_text(c))}" for c in r.schema_diff]
    out += ["", f"#### Verdict flips by cause ({len(r.flips)})", ""]
    if not r.flips:
        out += ["No verdict changes.", ""]
    for b, h, c, ps in groups[:MD_MAX_CAUSES]:
        out += [f"**{len(ps)}** × {_md_verdict(b, h)}, decided by {_md_cause(r, c, 1)}", ""]
        if per_cause == 0:
            out += ["_rows left out to fit; `--format json` has them_", ""]
            continue
        out += [
            "| Candidate | Source | Track | Levels | Criteria that changed | How the levels decided |",
            "|---|---|---|---|---|---|",
        ]
        rows = [
            f"| {_code(p.candidate)} | {_code(p.source)} | {_md(p.track or '')} | "
            f"{_md(_levels_text(p).replace('->', '→'))} | {_md(_crit_text(p.criteria, '→')) or '—'} | "
            f"{_md(' · '.join(lc.text('→') for lc in p.levels)) or '—'} |"
            for p in ps[:per_cause]
        ]
        out += _md_rows(rows, len(ps)) + [""]
    if r.status_only:
        out += [
            f"<details><summary>Criterion status changes without a verdict flip: {r.status_change_count} in "
            f"{len(r.status_only)} packet(s)</summary>",
            "",
            "| Criterion | Packets |",
            "|---|---:|",
        ]
        by_crit = r.status_by_criterion()
        out += _md_rows([f"| {_code(cid)} | {n} |" for cid, n in by_crit[: max(max_rows, 20)]], len(by_crit))
        out += ["", "| Candidate | Source | Levels | Verdict | Criteria that changed |", "|---|---|---|---|---|"]
        rows = [
            f"| {_code(p.candidate)} | {_code(p.source)} | {_md(_levels_text(p).replace('->', '→'))} | {p.head} | "
            f"{_md(_crit_text(p.criteria, '→')) or '—'} |"
            for p in r.status_only[:max_rows]
        ]
        out += _md_rows(rows, len(r.status_only)) + ["", "</details>", ""]
    if r.validity:
        out += [
            f"<details><summary>Valid under one version only: {len(r.validity)}</summary>",
            "",
            "| Candidate | Source | Verdict | First problem |",
            "|---|---|---|---|",
        ]
        rows = [
            f"| {_code(p.candidate)} | {_code(p.source)} | {_md_verdict(p.base, p.head)} | {_md(p.problem)} |"
            for p in r.validity[:max_rows]
        ]
        out += _md_rows(rows, len(r.validity)) + ["", "</details>", ""]
    if r.invalid:
        out += [
            f"<details><summary>Invalid packets, not evaluated: {len(r.invalid)}</summary>",
            "",
            "| Source | First problem |",
            "|---|---|",
        ]
        rows = [f"| {_code(i.source)} | {_md(i.text())} |" for i in r.invalid[:max_rows]]
        out += _md_rows(rows, len(r.invalid)) + ["", "</details>", ""]
    out += [
        "<details><summary>Totals by target level and track</summary>",
        "",
        "| Target level | Packets | Flips | Criterion changes only | Unchanged | Valid under one version |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {_md(k)} | {t.packets} | {t.flips} | {t.status_changes} | {t.unchanged} | {t.validity_changes} |"
        for k in _level_keys(r)
        for t in [r.by_level[k]]
    ]
    out += [
        "",
        "| Track | Packets | Flips | Criterion changes only | Unchanged | Valid under one version |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {_md(k)} | {t.packets} | {t.flips} | {t.status_changes} | {t.unchanged} | {t.validity_changes} |"
        for k in sorted(r.by_track)
        for t in [r.by_track[k]]
    ]
    out += [
        "",
        "</details>",
        "",
        "<details><summary>Revisions</summary>",
        "",
        "| | Revision | Commit | rules_version | Packet schema |",
        "|---|---|---|---|---|",
    ]
    for name, side in (("base", r.base), ("head", r.head)):
        out.append(
            f"| {name} | {_code(side.rev) if side.rev else 'working tree'} | "
            f"{_code(side.commit) if side.commit else '—'} | {_code(side.version)} | "
            f"{_code(side.schema_version) if side.schema_version else '—'} |"
        )
    out += ["", "</details>"]
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[AuditResult], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
