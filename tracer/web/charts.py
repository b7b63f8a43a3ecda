"""Small SVG charts for the reviewer's stats page, drawn on the server: denial rates as
bars, lookups per week as stacked columns.  Presentation attributes only (the CSP allows
no inline style or script); every bar carries its figures as a tooltip and the page
shows the same figures in a table, so nothing is only in a picture."""

from __future__ import annotations

import html

from markupsafe import Markup

from ..matching.graph import SVG_NAMESPACE

ALLOWED, DENIED, AXIS = "#1d6b3a", "#a32020", "#5d6778"


def denial_bars(table: dict[str, dict], *, title: str, chart_id: str) -> Markup:
    """One bar per key (a user, a purpose): its denial rate, labelled with counts."""
    rows = list(table.items())
    label_w, bar_w, pitch = 170, 300, 22
    height = 30 + pitch * max(len(rows), 1)
    out = [f'<svg xmlns="{SVG_NAMESPACE}" id="{chart_id}" role="img" width="{label_w + bar_w + 150}" '
           f'height="{height}" font-family="sans-serif" font-size="12">',
           f"<title>{html.escape(title)}</title>",
           f'<text x="0" y="14" fill="{AXIS}">{html.escape(title)}</text>']
    for i, (key, info) in enumerate(rows):
        y = 24 + i * pitch
        rate = float(info.get("denial_rate") or 0)
        tip = html.escape(f"{key}: {info['denied']} of {info['lookups']} denied ({rate:.0%})")
        name = key if len(key) <= 24 else key[:23] + "…"
        out.append(f'<text x="0" y="{y + 13}">{html.escape(name)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="16" fill="#eef0f4"/>'
                   f'<rect class="bar" x="{label_w}" y="{y}" width="{bar_w * rate:.1f}" '
                   f'height="16" fill="{DENIED}"><title>{tip}</title></rect>'
                   f'<text x="{label_w + bar_w + 8}" y="{y + 13}">{rate:.0%} '
                   f'({info["denied"]}/{info["lookups"]})</text>')
    out.append("</svg>")
    return Markup("".join(out))


def weekly_columns(weeks: list[dict], *, chart_id: str) -> Markup:
    """Lookups per week, allowed (green) under denied (red)."""
    top = max((w["lookups"] for w in weeks), default=0) or 1
    col, gap, plot_h = 28, 8, 160
    width = 50 + max(len(weeks), 1) * (col + gap)
    out = [f'<svg xmlns="{SVG_NAMESPACE}" id="{chart_id}" role="img" width="{max(width, 320)}" '
           f'height="{plot_h + 70}" font-family="sans-serif" font-size="11">',
           "<title>Lookups per week, allowed and denied</title>",
           f'<text x="0" y="12" fill="{AXIS}">lookups per week: '
           f'<tspan fill="{ALLOWED}">allowed</tspan> / <tspan fill="{DENIED}">denied</tspan></text>',
           f'<line x1="40" y1="{plot_h + 24}" x2="{width}" y2="{plot_h + 24}" stroke="{AXIS}"/>',
           f'<text x="0" y="30" fill="{AXIS}">{top}</text>']
    for i, w in enumerate(weeks):
        x = 46 + i * (col + gap)
        denied_h = plot_h * w["denied"] / top
        allowed_h = plot_h * (w["lookups"] - w["denied"]) / top
        base = plot_h + 24
        tip = html.escape(f"{w['week']}: {w['lookups']} lookups, {w['denied']} denied")
        out.append(f'<g class="week"><title>{tip}</title>'
                   f'<rect x="{x}" y="{base - allowed_h:.1f}" width="{col}" '
                   f'height="{allowed_h:.1f}" fill="{ALLOWED}"/>'
                   f'<rect x="{x}" y="{base - allowed_h - denied_h:.1f}" width="{col}" '
                   f'height="{denied_h:.1f}" fill="{DENIED}"/>'
                   f'<text x="{x}" y="{base + 14}" font-size="9">{html.escape(w["week"][-3:])}'
                   f'</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
