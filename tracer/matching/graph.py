"""The identity graph behind a lookup: records and attributes as nodes, "same person"
edges with match probabilities, "has attribute" edges with dates.

Persisted per lookup (tables ``graph_nodes``/``graph_edges``, migration 4) by
:func:`persist_graph`, which the lookup calls after matching; ``tracer graph`` reads it
back, or rebuilds it from the lookup's audited record keys.  No node or edge carries a
DOB or an SSN: a reviewer sees names, sources, contact values and scores.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

from .features import Features, features_of
from .engine import IdentityResult, identify
from .model import MatchModel

#: The XML namespace of inline SVG: an identifier, never fetched.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"

MIN_EDGE_PROBABILITY = 0.01


def _record_label(f: Features) -> str:
    name = " ".join(filter(None, (f.first, f.middle_initial, f.last, f.suffix))) or "?"
    return f"{name} ({f.source})"


def build_graph(account: Features, result: IdentityResult,
                model: MatchModel | None = None) -> dict[str, Any]:
    """Nodes and edges as plain dicts (the JSON ``tracer graph`` prints)."""
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    nodes[account.key] = {"id": account.key, "kind": "account", "label": _record_label(account),
                          "identity_id": None}
    for ident in result.identities:
        for f in ident.members:
            nodes[f.key] = {"id": f.key, "kind": "record", "label": _record_label(f),
                            "identity_id": ident.identity_id,
                            "identity_confidence": round(ident.confidence, 4)}
            score = result.account_scores.get(f.key)
            if score is not None and score.probability >= MIN_EDGE_PROBABILITY:
                edges.append({"src": account.key, "dst": f.key, "kind": "same_person",
                              "probability": round(score.probability, 4),
                              "evidence": score.explain()})
            for kind, value in (("address", f.address), ("phone", f.phone),
                                ("email", f.email)):
                if not value:
                    continue
                node_id = f"{kind}:{value}"
                nodes.setdefault(node_id, {"id": node_id, "kind": kind, "label": value,
                                           "identity_id": None})
                edges.append({"src": f.key, "dst": node_id, "kind": "has_attribute",
                              "first_seen": f.first_seen.isoformat() if f.first_seen else None,
                              "last_seen": f.last_seen.isoformat() if f.last_seen else None})
    for a, b, probability, evidence in result.record_edges(MIN_EDGE_PROBABILITY):
        if a in nodes and b in nodes and a != account.key and b != account.key:
            edges.append({"src": a, "dst": b, "kind": "same_person",
                          "probability": probability, "evidence": evidence})
    return {"nodes": list(nodes.values()), "edges": edges}


def persist_graph(ws, lookup_id: str, account_features: Features,
                  identity_result: IdentityResult, model: MatchModel | None = None) -> dict:
    """Store the graph of one lookup (replacing any earlier copy); returns it."""
    graph = build_graph(account_features, identity_result, model)
    with ws.unit_of_work(write=True) as uow:
        uow.graphs.replace(lookup_id, graph["nodes"], graph["edges"])
    return graph


def load_graph(ws, lookup_id: str) -> dict | None:
    with ws.unit_of_work() as uow:
        return uow.graphs.load(lookup_id)


def latest_lookup(ws, account_id: str) -> str | None:
    with ws.unit_of_work() as uow:
        return uow.lookups.latest_allowed(account_id)


def rebuild_graph(ws, lookup_id: str, model: MatchModel) -> dict:
    """Recompute a lookup's graph from the record keys its audit entries name."""
    with ws.unit_of_work() as uow:
        account_id = uow.lookups.get(lookup_id)["account_id"]
        account = ws.dob_seal.open_row(uow.accounts.get(account_id).to_dict())
        keys: list[str] = []
        for payload in uow.audit.payloads_of(lookup_id, "source_result"):
            keys.extend(json.loads(payload).get("record_keys", []))
        records = []
        seen = set()
        for key in keys:
            source, _, record_id = key.partition(":")
            found = uow.records.by_key(source, record_id)
            if found and key not in seen:
                seen.add(key)
                records.append(features_of(ws.dob_seal.open_row(found)))
    account_features = features_of(account, key=f"account:{account_id}", source="account")
    result = identify(account_features, records, model,
                      model.settings.get("term_frequencies", {}))
    return persist_graph(ws, lookup_id, account_features, result, model)


_COLOURS = {"account": "#d62728", "record": "#1f77b4", "address": "#2ca02c",
            "phone": "#ff7f0e", "email": "#9467bd"}


def render_html(graph: dict, title: str) -> str:
    """A self-contained page (inline SVG, no scripts from anywhere) of the graph."""
    nodes = graph["nodes"]
    n = max(len(nodes), 1)
    size = 760
    centre, radius = size / 2, size / 2 - 110
    pos = {}
    for i, node in enumerate(nodes):
        if node["kind"] == "account":
            pos[node["id"]] = (centre, centre)
            continue
        angle = 2 * math.pi * i / n
        pos[node["id"]] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    parts = [f'<svg xmlns="{SVG_NAMESPACE}" width="{size}" height="{size}">']
    for e in graph["edges"]:
        (x1, y1), (x2, y2) = pos.get(e["src"], (0, 0)), pos.get(e["dst"], (0, 0))
        same = e["kind"] == "same_person"
        prob = e.get("probability")
        width = 1 + 3 * (prob or 0) if same else 1
        tip = html.escape(f"{e['kind']} {prob if prob is not None else ''} "
                          f"{e.get('evidence') or ''} {e.get('first_seen') or ''}"
                          f"..{e.get('last_seen') or ''}")
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                     f'stroke="{"#444" if same else "#bbb"}" stroke-width="{width:.1f}">'
                     f'<title>{tip}</title></line>')
    for node in nodes:
        x, y = pos[node["id"]]
        colour = _COLOURS.get(node["kind"], "#777")
        label = html.escape(node["label"])
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="7" fill="{colour}">'
                     f'<title>{html.escape(node["kind"])}: {label}</title></circle>'
                     f'<text x="{x + 9:.0f}" y="{y + 4:.0f}" font-size="10">{label}</text>')
    parts.append("</svg>")
    rows = "".join(f"<tr><td>{html.escape(e['src'])}</td><td>{html.escape(e['kind'])}</td>"
                   f"<td>{html.escape(e['dst'])}</td><td>{e.get('probability') or ''}</td>"
                   f"<td>{html.escape(e.get('evidence') or '')}</td></tr>"
                   for e in graph["edges"] if e["kind"] == "same_person")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            "</title><style>body{font-family:sans-serif}td{padding:2px 8px}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{''.join(parts)}<h2>Same-person edges</h2>"
            f"<table><tr><th>from</th><th>edge</th><th>to</th><th>p</th><th>evidence</th></tr>"
            f"{rows}</table></body></html>")
