"""The identity graph drawn for a person to read: columns, not a hairball.

An account's graph is nearly bipartite (the account, the records judged to be the same
person, the addresses, phones and emails those records carry), so it is laid out in
columns: the account, then its records (strongest match first), then each kind of
contact point.  Every label sits to the right of its node, nodes in a column are a fixed
pitch apart and each column starts after the widest label of the one before, so no two
labels can overlap (a test measures it).  Record-to-record "same person" edges, which
would run along a column, are drawn as arcs to its left.  Colours and line styles are
named in a legend.  Plain SVG with presentation attributes: no script, no inline style
(the server's CSP allows neither)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from markupsafe import Markup

from ..matching.graph import SVG_NAMESPACE

COLOURS = {"account": "#d62728", "record": "#1f77b4", "address": "#2ca02c",
           "phone": "#ff7f0e", "email": "#9467bd"}
LEGEND = (("account", "the account"), ("record", "a source record"),
          ("address", "address"), ("phone", "phone"), ("email", "email"))
COLUMNS = ("account", "record", "address", "phone", "email")
PITCH = 26           # px between node centres in a column
FONT = 12            # px; labels are estimated at CHAR_WIDTH per character
CHAR_WIDTH = 7.2
MARGIN = 24
GAP = 56             # px between a column's widest label and the next column
TOP = 64             # room for the legend
MAX_LABEL = 48       # characters; longer labels are shortened (the full one is the tooltip)


@dataclass(frozen=True)
class Placed:
    node: dict
    x: float
    y: float
    label: str

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The label's bounding box (left, top, right, bottom), as estimated."""
        left = self.x + 10
        return (left, self.y - FONT * 0.8, left + label_width(self.label), self.y + FONT * 0.3)


def label_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def layout(graph: dict) -> tuple[list[Placed], float, float]:
    """Where every node goes; returns (placed nodes, width, height)."""
    nodes = graph.get("nodes", [])
    strength: dict[str, float] = {}
    for e in graph.get("edges", []):
        if e.get("kind") == "same_person" and e.get("probability") is not None:
            strength[e["dst"]] = max(strength.get(e["dst"], 0.0), float(e["probability"]))
    columns: dict[str, list[dict]] = {kind: [] for kind in COLUMNS}
    for node in nodes:
        columns.setdefault(node.get("kind", "record"), []).append(node)
    columns["record"].sort(key=lambda n: (-strength.get(n["id"], 0.0), n["label"]))
    for kind in ("address", "phone", "email"):
        columns[kind].sort(key=lambda n: n["label"])
    placed: list[Placed] = []
    x = MARGIN + (90 if columns["record"] else 0)      # room for record-to-record arcs
    height = TOP
    for kind, members in columns.items():
        if not members:
            continue
        widest = 0.0
        for i, node in enumerate(members):
            label = _short(str(node.get("label", "")))
            placed.append(Placed(node, x, TOP + MARGIN + i * PITCH, label))
            widest = max(widest, label_width(label))
        height = max(height, TOP + MARGIN + len(members) * PITCH)
        x += 10 + widest + GAP
    return placed, max(x, 600.0), height + MARGIN


def render_svg(graph: dict) -> Markup:
    """The graph as inline SVG with a legend."""
    placed, width, height = layout(graph)
    where = {p.node["id"]: p for p in placed}
    out = [f'<svg xmlns="{SVG_NAMESPACE}" id="graph-svg" role="img" '
           f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'font-family="sans-serif" font-size="{FONT}">',
           "<title>Identity graph</title>"]
    out.extend(_legend())
    for e in graph.get("edges", []):
        a, b = where.get(e["src"]), where.get(e["dst"])
        if a is None or b is None:
            continue
        same = e.get("kind") == "same_person"
        p = e.get("probability")
        tip = html.escape(" ".join(str(v) for v in (
            e.get("kind"), f"p={p}" if p is not None else "", e.get("evidence") or "",
            f"{e.get('first_seen') or ''}..{e.get('last_seen') or ''}"
            if not same else "") if v))
        stroke = "#333" if same else "#aab"
        width_px = 1 + 3 * float(p or 0) if same else 1
        dash = "" if same else ' stroke-dasharray="4 3"'
        if a.x == b.x:                                   # along a column: an arc left
            bend = a.x - 30 - min(60, abs(b.y - a.y) / 4)
            out.append(f'<path d="M{a.x:.0f},{a.y:.0f} C{bend:.0f},{a.y:.0f} {bend:.0f},'
                       f'{b.y:.0f} {b.x:.0f},{b.y:.0f}" fill="none" stroke="{stroke}" '
                       f'stroke-width="{width_px:.1f}"{dash}><title>{tip}</title></path>')
        else:
            if b.x < a.x:
                a, b = b, a
            start = a.box[2] + 4                         # from the end of the left label
            out.append(f'<line x1="{start:.0f}" y1="{a.y:.0f}" x2="{b.x:.0f}" y2="{b.y:.0f}" '
                       f'stroke="{stroke}" stroke-width="{width_px:.1f}"{dash}>'
                       f'<title>{tip}</title></line>')
    for p in placed:
        kind = p.node.get("kind", "record")
        full = html.escape(str(p.node.get("label", "")))
        out.append(f'<g class="node {html.escape(kind)}" data-id="{html.escape(p.node["id"])}">'
                   f'<circle cx="{p.x:.0f}" cy="{p.y:.0f}" r="{9 if kind == "account" else 6}" '
                   f'fill="{COLOURS.get(kind, "#777")}"><title>{html.escape(kind)}: {full}'
                   f'</title></circle><text x="{p.x + 10:.0f}" y="{p.y + 4:.0f}">'
                   f'{html.escape(p.label)}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))


def _legend() -> list[str]:
    parts, x = ['<g id="graph-legend">'], MARGIN
    for kind, text in LEGEND:
        parts.append(f'<circle cx="{x + 6}" cy="18" r="6" fill="{COLOURS[kind]}"/>'
                     f'<text x="{x + 16}" y="22">{html.escape(text)}</text>')
        x += 24 + int(label_width(text))
    parts.append(f'<line x1="{MARGIN}" y1="42" x2="{MARGIN + 40}" y2="42" stroke="#333" '
                 f'stroke-width="3"/><text x="{MARGIN + 48}" y="46">same person (thicker: '
                 'more likely)</text>')
    x2 = MARGIN + 48 + int(label_width("same person (thicker: more likely)")) + 24
    parts.append(f'<line x1="{x2}" y1="42" x2="{x2 + 40}" y2="42" stroke="#aab" '
                 f'stroke-dasharray="4 3"/><text x="{x2 + 48}" y="46">has this contact '
                 'point</text></g>')
    return parts
