"""Charts for the HTML pages: inline SVG drawn from figures the page has already computed.

Every chart is drawn from the same values as the table beside it (the caller computes the figures
once and hands them to both), so a chart can never say something its table does not. Each one:

- is inline SVG with nothing fetched (the page's Content-Security-Policy forbids it anyway) and no
  style attribute (the policy blocks those too): it is styled by classes in the page's one style
  block (`CSS`) and by presentation attributes;
- reads in grey scale and on paper: every series has a pattern as well as a colour (`DEFS`, once
  per page) and every bar has its number written beside it;
- has a text alternative: `role="img"`, an `aria-label` and a <title> and <desc>, and a caption;
- carries its numbers: every bar has `data-value` (and `data-series`/`data-group`) and a <title>
  with the figure, one hover away.

Every value from a file (a group name, a criterion id) reaches the SVG through engine.base.escape.
The output is a pure function of the figures: no clock, no randomness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..base.escape import html_attr as attr, html_text as e

# series -> the class that fills it (colour and pattern, in CSS)
VERDICT_SERIES = (("ready", "ready"), ("not_ready", "not ready"), ("insufficient_evidence", "insufficient evidence"))

_W_LABEL, _W_BAR, _W_NUM = 220, 210, 80  # label column, bar area, the figure after the bar
_ROW, _GAP, _TOP = 18, 6, 26  # bar height, gap between bars, room for the legend
_WIDTH = _W_LABEL + _W_BAR + _W_NUM
_LABEL_CHARS = 32

# The patterns, once per page (an SVG of no size: a pattern inside display:none does not paint).
# Their ids are the page's own (no value from a file makes an id that starts with `pt-`).
DEFS = (
    '<svg class="chart-defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>'
    '<pattern id="pt-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#f6d3d3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#a4161a" '
    'stroke-width="3"/></pattern>'
    '<pattern id="pt-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
    '<rect width="5" height="5" fill="#fbeecb"/><circle cx="2.5" cy="2.5" r="1.3" fill="#8a5a00"/></pattern>'
    '<pattern id="pt-cross" patternUnits="userSpaceOnUse" width="6" height="6">'
    '<rect width="6" height="6" fill="#dde6f3"/><path d="M0 0L6 6M6 0L0 6" stroke="#0b4f9c" stroke-width="1"/>'
    "</pattern></defs></svg>"
)

CSS = """
.charts{display:flex;flex-wrap:wrap;gap:.5em 2em;align-items:flex-start}
figure.chart{margin:.6em 0;break-inside:avoid;max-width:100%}figure.chart figcaption{font-weight:600;margin-bottom:.2em}
figure.chart svg{max-width:100%;height:auto;font:12px system-ui,sans-serif;overflow:visible}
svg .lab{fill:#111}svg .num{fill:#333}svg .sub{fill:#555;font-style:italic}
svg .ax{stroke:#777;stroke-width:1}svg .trk{fill:#f2f2f2;stroke:#999;stroke-width:.5}
svg .s-ready,svg .s-met{fill:#1b6e35}svg .s-required{fill:#a4161a}
svg .s-not_ready,svg .s-unmet{fill:url(#pt-hatch)}
svg .s-insufficient_evidence,svg .s-supporting{fill:url(#pt-dots)}
svg .s-share{fill:#0b4f9c}svg .s-to_met{fill:#1b6e35}svg .s-to_unmet{fill:url(#pt-cross)}
svg .s-ready,svg .s-not_ready,svg .s-insufficient_evidence,svg .s-required,svg .s-supporting,svg .s-to_met,
svg .s-to_unmet,svg .s-share,svg .s-met,svg .s-unmet{stroke:#222;stroke-width:.5}
svg .h0{fill:#fff}svg .h1{fill:#e6e6e6}svg .h2{fill:#bdbdbd}svg .h3{fill:#8c8c8c}svg .h4{fill:#555}
svg .hc{stroke:#999;stroke-width:.5}svg .hd{stroke:#111;stroke-width:2.5}svg .hl{fill:#fff}
svg.mt .lab{text-anchor:end}.cand figure.chart{margin:.3em 0}.cand figure.chart figcaption{font-weight:normal;color:#555;font-size:.9em}
"""


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _svg(width: int, height: int, label: str, title: str, desc: str, body: str, kind: str) -> str:
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img"'
        f"{attr('aria-label', label)}{attr('data-chart', kind)}><title>{e(title)}</title><desc>{e(desc)}</desc>"
        f"{body}</svg>"
    )


def figure(svg: str, caption: str) -> str:
    return f'<figure class="chart"><figcaption>{e(caption)}</figcaption>{svg}</figure>'


def figure_row(figures: Sequence[str]) -> str:
    """Charts side by side (they wrap on a narrow page); nothing when there are none."""
    figures = [f for f in figures if f]
    return f'<div class="charts">{"".join(figures)}</div>' if figures else ""


def _legend(series: Sequence[tuple[str, str]], y: int = 4) -> str:
    out, x = [], _W_LABEL
    for key, label in series:
        out.append(
            f'<rect x="{x}" y="{y}" width="14" height="12"{attr("class", "s-" + key)}/>'
            f'<text x="{x + 18}" y="{y + 10}" class="lab">{e(label)}</text>'
        )
        x += 26 + 7 * len(label)
    return "".join(out)


def _row_label(y: int, label: str, sub: str = "") -> str:
    return (
        f'<text x="{_W_LABEL - 6}" y="{y + 13}" text-anchor="end" class="lab">{e(_short(label))}'
        f"<title>{e(label)}</title></text>"
        + (f'<text x="{_W_LABEL - 6}" y="{y + 25}" text-anchor="end" class="sub">{e(sub)}</text>' if sub else "")
    )


def _bar(x: float, y: int, w: float, series: str, group: str, value: object, tip: str, h: int = _ROW) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h}"{attr("class", "s-" + series)}'
        f"{attr('data-series', series)}{attr('data-group', group)}{attr('data-value', value)}>"
        f"<title>{e(tip)}</title></rect>"
    )


def stacked(
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[tuple[str, str]],
    caption: str,
    unit: str = "candidates",
    kind: str = "stacked",
) -> str:
    """Horizontal stacked bars: one per group, one segment per series; the total after the bar."""
    top = max((sum(v) for _, v in rows), default=0) or 1
    h = _TOP + len(rows) * (_ROW + _GAP)
    body = [_legend(series)]
    for i, (group, values) in enumerate(rows):
        y = _TOP + i * (_ROW + _GAP)
        body.append(_row_label(y, group))
        x = float(_W_LABEL)
        for (key, label), n in zip(series, values):
            w = _W_BAR * n / top
            if n:
                body.append(_bar(x, y, w, key, group, n, f"{group}: {n} {label}"))
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 13}" class="num">{sum(values)}</text>')
    desc = "; ".join(f"{g}: " + ", ".join(f"{n} {lab}" for (_, lab), n in zip(series, v)) for g, v in rows)
    return figure(_svg(_WIDTH, h, caption, caption, desc, "".join(body), kind), caption)


def bars(
    rows: Sequence[tuple[str, float | None, str, str]],
    caption: str,
    top: float,
    series: Sequence[tuple[str, str]],
    kind: str = "bars",
    sub: Sequence[str] = (),
) -> str:
    """Horizontal bars, one per row: (label, value or None when not shown, series, the figure as
    written after the bar). `top` is the value of a full bar. `sub`: a second line under each label."""
    step = _ROW + _GAP + (12 if sub else 0)
    top_y = _TOP if series else 2
    h = top_y + len(rows) * step
    body = [_legend(series)] if series else []
    for i, (label, value, key, text) in enumerate(rows):
        y = top_y + i * step
        body.append(_row_label(y, label, sub[i] if sub else ""))
        w = 0.0
        if value is not None:
            w = _W_BAR * value / (top or 1)
            body.append(_bar(_W_LABEL, y, max(w, 0.0), key, label, value, f"{label}: {text}"))
        body.append(f'<text x="{_W_LABEL + w + 4:.1f}" y="{y + 13}" class="num">{e(text)}</text>')
    desc = "; ".join(f"{label}: {text}" for label, _, _, text in rows)
    return figure(_svg(_WIDTH, h, caption, caption, desc, "".join(body), kind), caption)


def diverging(
    rows: Sequence[tuple[str, int, int]],
    caption: str,
    left: tuple[str, str],
    right: tuple[str, str],
    kind: str = "diverging",
) -> str:
    """Bars to the left (`left` series) and right (`right` series) of a centre line, per row."""
    top = max((max(a, b) for _, a, b in rows), default=0) or 1
    half = _W_BAR / 2
    mid = _W_LABEL + half + 20
    h = _TOP + len(rows) * (_ROW + _GAP) + 4
    body = [_legend([left, right]), f'<line x1="{mid}" y1="{_TOP - 2}" x2="{mid}" y2="{h}" class="ax"/>']
    for i, (label, a, b) in enumerate(rows):
        y = _TOP + i * (_ROW + _GAP)
        body.append(_row_label(y, label))
        wa, wb = half * a / top, half * b / top
        body.append(_bar(mid - wa, y, wa, left[0], label, a, f"{label}: {a} {left[1]}") if a else "")
        body.append(f'<text x="{mid - wa - 4:.1f}" y="{y + 13}" text-anchor="end" class="num">{a}</text>')
        body.append(_bar(mid, y, wb, right[0], label, b, f"{label}: {b} {right[1]}") if b else "")
        body.append(f'<text x="{mid + wb + 4:.1f}" y="{y + 13}" class="num">{b}</text>')
    desc = "; ".join(f"{label}: {a} {left[1]}, {b} {right[1]}" for label, a, b in rows)
    return figure(_svg(_WIDTH + 20, h, caption, caption, desc, "".join(body), kind), caption)


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    cells: Sequence[Sequence[int | None]],
    caption: str,
    diagonal: Sequence[tuple[int, int]] = (),
    shown: Callable[[int | None], str] = str,
    kind: str = "heatmap",
) -> str:
    """A matrix as shaded cells, each with its figure written in it (`shown(n)`; None is a cell
    not shown). Cells on `diagonal` (the pairs that agree) are outlined."""
    cw, ch, lw, th = 110, 34, 170, 22
    top = max((n for r in cells for n in r if n is not None), default=0) or 1
    w, h = lw + cw * len(cols), th + ch * len(rows)
    body = [
        f'<text x="{lw + i * cw + cw / 2:.0f}" y="15" text-anchor="middle" class="lab">{e(c)}</text>'
        for i, c in enumerate(cols)
    ]
    agree = set(diagonal)
    for r, label in enumerate(rows):
        y = th + r * ch
        body.append(f'<text x="{lw - 6}" y="{y + ch / 2 + 4:.0f}" text-anchor="end" class="lab">{e(label)}</text>')
        for c, n in enumerate(cells[r]):
            x = lw + c * cw
            shade = 0 if not n else 1 + min(3, int(4 * n / (top + 1)))
            cls = f"hc h{shade}" + (" hd" if (r, c) in agree else "")
            body.append(
                f'<rect x="{x}" y="{y}" width="{cw}" height="{ch}"{attr("class", cls)}'
                f"{attr('data-group', label)}{attr('data-series', cols[c])}"
                f"{attr('data-value', '' if n is None else n)}><title>{e(label)} / {e(cols[c])}: "
                f"{e(shown(n))}</title></rect>"
                f'<text x="{x + cw / 2:.0f}" y="{y + ch / 2 + 5:.0f}" text-anchor="middle"'
                f"{attr('class', 'hl' if shade >= 3 else 'lab')}>{e(shown(n))}</text>"
            )
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{shown(n)} {c}" for c, n in zip(cols, cells[r])) for r, label in enumerate(rows)
    )
    return figure(_svg(w, h, caption, caption, desc, "".join(body), kind), caption)


def meters(rows: Sequence[tuple[str, str, int, int]], label: str, caption: str) -> str:
    """A candidate's criteria: per row (label, series, met, needed) a track as long as what is
    needed and a bar as long as what is met (more met than needed is drawn full and written as
    the figure), with `met of needed` written after it. Kept small (one per candidate, and 10,000
    candidates make one page): no <title> per bar, since every figure is written out; the
    aria-label and the caption are its text alternative."""
    lw, bw, step = 150, 150, 15
    body = []
    for i, (name, key, met, needed) in enumerate(rows):
        y = 1 + i * step
        w = bw * min(met, needed) / needed if needed else (bw if met else 0)
        body.append(
            f'<text x="{lw - 5}" y="{y + 10}" class="lab">{e(name)}</text><rect x="{lw}" y="{y}" width="{bw}" '
            f'height="12" class="trk"/><rect x="{lw}" y="{y}" width="{w:.0f}" height="12" class="s-met"'
            f'{attr("data-series", key)}{attr("data-value", met)}{attr("data-needed", needed)}/><text x="{lw + bw + 5}" y="{y + 10}" '
            f'class="num">{met} of {needed}</text>'
        )
    return (
        f'<figure class="chart"><figcaption>{e(caption)}</figcaption><svg width="{lw + bw + 70}" '
        f'height="{2 + len(rows) * step}" role="img" class="mt"{attr("aria-label", label)} data-chart="meters">'
        f"{''.join(body)}</svg></figure>"
    )


def criteria_meters(levels: Sequence[dict]) -> str:
    """A candidate's chart from the verdict's levels (as verdict JSON has them): per level of the
    path, required criteria met of all required, supporting met of the number needed, and per
    aspect (where the pack has aspects) met of needed; the same figures as the level lines and the
    headline. The report's sections and the case page draw it alike."""
    rows = []
    for lv in levels:
        pre = f"{lv['id']} " if len(levels) > 1 else ""
        rows.append((pre + "required", "required", int(lv["required_met"]), int(lv["required_total"])))
        if lv.get("carried"):  # a level below the promotion: its required criteria only, nothing to draw else
            continue
        rows.append((pre + "supporting", "supporting", int(lv["supporting_met"]), int(lv["supporting_needed"])))
        rows += [
            (f"{pre}{a['aspect']} (aspect)", "supporting", int(a["met"]), int(a["needed"]))
            for a in lv.get("aspects", [])
        ]
    path = ", ".join(str(lv["id"]) for lv in levels)
    return meters(
        rows,
        f"Criteria met against needed, {path}",
        "Criteria met against needed (required: all; supporting: the number needed)",
    )
