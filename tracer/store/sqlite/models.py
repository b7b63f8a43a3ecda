"""Versioned models (``match_models``, ``contact_models``) and lookups' identity graphs
(``graph_nodes``, ``graph_edges``)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Mapping, Sequence


class SqliteModels:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def latest_match(self) -> tuple[int, str] | None:
        """(version, model JSON) of the newest trained match model."""
        row = self.conn.execute(
            "SELECT version, model FROM match_models ORDER BY version DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def save_match(self, model_json: str, *, created_at: str) -> int:
        version = (self.conn.execute("SELECT max(version) FROM match_models").fetchone()[0]
                   or 0) + 1
        self.conn.execute("INSERT INTO match_models (version, created_at, model) VALUES (?,?,?)",
                          (version, created_at, model_json))
        return version

    def latest_contact(self) -> tuple[int, str, int] | None:
        """(version, model JSON, outcomes seen) of the newest fitted contact model."""
        row = self.conn.execute(
            "SELECT version, model, outcomes_seen FROM contact_models ORDER BY version DESC"
            " LIMIT 1").fetchone()
        return (row[0], row[1], row[2]) if row else None

    def save_contact(self, model_json: str, outcomes_seen: int, *, created_at: str,
                     version: int | None = None) -> int:
        if version is None:
            version = self.next_contact_version()
        self.conn.execute("INSERT INTO contact_models (version, created_at, model, outcomes_seen)"
                          " VALUES (?,?,?,?)", (version, created_at, model_json, outcomes_seen))
        return version

    def next_contact_version(self) -> int:
        return (self.conn.execute("SELECT max(version) FROM contact_models").fetchone()[0]
                or 0) + 1


class SqliteGraphs:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def replace(self, lookup_id: str, nodes: Sequence[Mapping[str, Any]],
                edges: Sequence[Mapping[str, Any]]) -> None:
        """Store one lookup's graph (nodes as ``build_graph`` makes them), replacing any
        earlier copy."""
        self.conn.execute("DELETE FROM graph_nodes WHERE lookup_id = ?", (lookup_id,))
        self.conn.execute("DELETE FROM graph_edges WHERE lookup_id = ?", (lookup_id,))
        self.conn.executemany(
            "INSERT INTO graph_nodes (lookup_id, node_id, kind, label, identity_id, detail)"
            " VALUES (?,?,?,?,?,?)",
            [(lookup_id, n["id"], n["kind"], n["label"], n.get("identity_id"),
              json.dumps({k: v for k, v in n.items()
                          if k not in ("id", "kind", "label", "identity_id")}))
             for n in nodes])
        self.conn.executemany(
            "INSERT OR REPLACE INTO graph_edges (lookup_id, src, dst, kind, probability,"
            " first_seen, last_seen, evidence) VALUES (?,?,?,?,?,?,?,?)",
            [(lookup_id, e["src"], e["dst"], e["kind"], e.get("probability"),
              e.get("first_seen"), e.get("last_seen"), e.get("evidence"))
             for e in edges])

    def load(self, lookup_id: str) -> dict[str, Any] | None:
        nodes = self.conn.execute(
            "SELECT node_id, kind, label, identity_id, detail FROM graph_nodes WHERE"
            " lookup_id = ? ORDER BY node_id", (lookup_id,)).fetchall()
        if not nodes:
            return None
        edges = self.conn.execute(
            "SELECT src, dst, kind, probability, first_seen, last_seen, evidence FROM"
            " graph_edges WHERE lookup_id = ? ORDER BY src, dst, kind", (lookup_id,)).fetchall()
        return {"nodes": [{"id": i, "kind": k, "label": lbl, "identity_id": ident,
                           **json.loads(d)} for i, k, lbl, ident, d in nodes],
                "edges": [{"src": s, "dst": t, "kind": k, "probability": p, "first_seen": fs,
                           "last_seen": ls, "evidence": ev}
                          for s, t, k, p, fs, ls, ev in edges]}
