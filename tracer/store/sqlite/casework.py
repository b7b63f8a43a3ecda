"""What a collector's screens read beside the account itself: lookups, attachments and
judgements of an account or of one lookup, its stored results (tracer.casework)."""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence

LOOKUP_COLUMNS = ("lookup_id", "account_id", "user_id", "purpose", "reason", "as_of",
                  "requested_at", "outcome", "status", "batch_id")
RESULT_COLUMNS = ("kind", "rank", "value", "confidence", "identity_confidence", "sources",
                  "first_seen", "last_seen", "explanation", "detail", "phone_type")


class SqliteCasework:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def last_lookups(self, account_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """account id -> its newest lookup (id, requested_at, outcome, status)."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(account_ids), 500):
            ids = list(account_ids[start:start + 500])
            cur = self.conn.execute(
                f"SELECT account_id, lookup_id, requested_at, outcome, status FROM lookups"
                f" WHERE account_id IN ({', '.join('?' * len(ids))}) ORDER BY requested_at",
                ids)
            for account_id, lookup_id, at, outcome, status in cur:
                out[account_id] = {"lookup_id": lookup_id, "requested_at": at,
                                   "outcome": outcome, "status": status}
        return out

    def updated_since(self, since: str) -> set[str]:
        return {r[0] for r in self.conn.execute(
            "SELECT account_id FROM accounts WHERE updated_at > ?", (since,))}

    def lookup(self, lookup_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(LOOKUP_COLUMNS)} FROM lookups"
                                " WHERE lookup_id = ?", (lookup_id,)).fetchone()
        return dict(zip(LOOKUP_COLUMNS, row)) if row else None

    def lookups_of(self, account_id: str) -> list[dict[str, Any]]:
        cur = self.conn.execute(f"SELECT {', '.join(LOOKUP_COLUMNS)} FROM lookups"
                                " WHERE account_id = ? ORDER BY requested_at DESC",
                                (account_id,))
        return [dict(zip(LOOKUP_COLUMNS, r)) for r in cur]

    def attachments_of(self, *, account_id: str | None = None,
                       lookup_id: str | None = None) -> list[dict[str, Any]]:
        column, value = ("account_id", account_id) if account_id else ("lookup_id", lookup_id)
        cur = self.conn.execute(
            "SELECT id, lookup_id, kind, value, user_id, ts, consent, undone_at FROM"
            f" attachments WHERE {column} = ? ORDER BY id DESC", (value,))
        return [dict(zip(("id", "lookup_id", "kind", "value", "user", "ts", "consent",
                          "undone_at"), r)) for r in cur]

    def judgements_of(self, *, account_id: str | None = None,
                      lookup_id: str | None = None) -> list[dict[str, Any]]:
        column, value = ("account_id", account_id) if account_id else ("lookup_id", lookup_id)
        cur = self.conn.execute(
            "SELECT lookup_id, kind, value, verdict, user_id, ts, note FROM judgements"
            f" WHERE {column} = ? ORDER BY id DESC", (value,))
        return [dict(zip(("lookup_id", "kind", "value", "verdict", "user", "ts", "note"), r))
                for r in cur]

    def results(self, lookup_id: str) -> list[dict[str, Any]]:
        cur = self.conn.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM contact_results"
                                " WHERE lookup_id = ? ORDER BY kind, rank", (lookup_id,))
        return [dict(zip(RESULT_COLUMNS, r)) for r in cur]
