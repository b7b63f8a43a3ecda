"""Lookups and what they leave: ``lookups``, ``contact_results``, ``judgements`` and
``attachments``."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterator, Mapping, Sequence

LOOKUP_COLUMNS = ("lookup_id", "account_id", "user_id", "purpose", "reason", "as_of",
                  "requested_at", "outcome", "status", "batch_id", "completed_at")
RESULT_COLUMNS = ("lookup_id", "account_id", "kind", "rank", "value", "confidence",
                  "identity_confidence", "sources", "first_seen", "last_seen", "explanation",
                  "detail", "phone_type", "value_key")
#: The contacts export's row (FORMATS.md section 3), in its column order.
EXPORT_COLUMNS = ("account_id", "lookup_id", "kind", "rank", "value", "confidence",
                  "identity_confidence", "sources", "first_seen", "last_seen", "explanation")
ATTACHMENT_COLUMNS = ("id", "lookup_id", "account_id", "kind", "value", "previous",
                      "user_id", "ts", "consent", "undone_at", "idempotency_key")


def _marks(items: Sequence[Any]) -> str:
    return ", ".join("?" * len(items))


class SqliteLookups:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # -- lookups ---------------------------------------------------------------------
    def insert(self, lookup: Mapping[str, Any]) -> None:
        cols = [c for c in LOOKUP_COLUMNS if c in lookup]
        self.conn.execute(f"INSERT INTO lookups ({', '.join(cols)}) VALUES ({_marks(cols)})",
                          [lookup[c] for c in cols])

    def get(self, lookup_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(LOOKUP_COLUMNS)} FROM lookups WHERE"
                                " lookup_id = ?", (lookup_id,)).fetchone()
        return dict(zip(LOOKUP_COLUMNS, row)) if row else None

    def finish(self, lookup_id: str, status: str, *, completed_at: str) -> None:
        self.conn.execute("UPDATE lookups SET status = ?, completed_at = ? WHERE lookup_id = ?",
                          (status, completed_at, lookup_id))

    def interactive_by_user_since(self, user_id: str | None, since: str) -> int:
        """Lookups ``user_id`` made outside batches since ``since`` (the rate rule)."""
        return self.conn.execute(
            "SELECT count(*) FROM lookups WHERE user_id = ? AND requested_at >= ? "
            "AND batch_id IS NULL", (user_id, since)).fetchone()[0]

    def interactive_of_account_since(self, account_id: str, since: str) -> int:
        """Allowed lookups of the account outside batches since ``since`` (repeats)."""
        return self.conn.execute(
            "SELECT count(*) FROM lookups WHERE account_id = ? AND requested_at >= ? "
            "AND outcome != 'deny' AND batch_id IS NULL", (account_id, since)).fetchone()[0]

    def latest_allowed(self, account_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT lookup_id FROM lookups WHERE account_id = ? AND outcome != 'deny'"
            " ORDER BY requested_at DESC, rowid DESC LIMIT 1", (account_id,)).fetchone()
        return row[0] if row else None

    # -- contact results ---------------------------------------------------------------
    def add_results(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """A lookup's ranked contact points (``RESULT_COLUMNS``)."""
        if rows:
            self.conn.executemany(
                f"INSERT INTO contact_results ({', '.join(RESULT_COLUMNS)}) VALUES"
                f" ({_marks(RESULT_COLUMNS)})", [[r[c] for c in RESULT_COLUMNS] for r in rows])

    def result(self, lookup_id: str, kind: str, rank: int) -> dict[str, Any] | None:
        """One ranked contact point with its lookup's status and outcome."""
        names = ("account_id", "kind", "value", "confidence", "sources", "status", "outcome")
        row = self.conn.execute(
            "SELECT c.account_id, c.kind, c.value, c.confidence, c.sources, l.status, l.outcome"
            " FROM contact_results c JOIN lookups l ON l.lookup_id = c.lookup_id"
            " WHERE c.lookup_id = ? AND c.kind = ? AND c.rank = ?",
            (lookup_id, kind, rank)).fetchone()
        return dict(zip(names, row)) if row else None

    def _latest_completed(self, account_id: str | None, batch_id: str | None
                          ) -> tuple[str, list[Any]]:
        where, params = ["l.status = 'completed'"], []
        if account_id:
            where.append("l.account_id = ?")
            params.append(account_id)
        if batch_id:
            where.append("l.batch_id = ?")
            params.append(batch_id)
        return (
            "SELECT l.account_id, l.lookup_id FROM lookups l WHERE " + " AND ".join(where) +
            " AND l.requested_at = (SELECT max(requested_at) FROM lookups l2 WHERE"
            " l2.account_id = l.account_id AND l2.status = 'completed'"
            + (" AND l2.batch_id = l.batch_id" if batch_id else "") + ")", params)

    def latest_completed(self, *, account_id: str | None = None,
                         batch_id: str | None = None) -> list[tuple[str, str]]:
        """(account_id, lookup_id) of each account's latest completed lookup (of the
        batch, when given)."""
        sql, params = self._latest_completed(account_id, batch_id)
        return self.conn.execute(sql, params).fetchall()

    def export_rows(self, *, account_id: str | None = None,
                    batch_id: str | None = None) -> Iterator[tuple]:
        """The contact points of those lookups, by account, kind, rank: ``EXPORT_COLUMNS``,
        then the line type and the value's latest outcome on any account
        (``"wrong_party 2024-03-03"``, `` (another account)`` when not this one's)."""
        latest, params = self._latest_completed(account_id, batch_id)
        return self.conn.execute(
            f"SELECT c.account_id, c.lookup_id, c.kind, c.rank, c.value, c.confidence,"
            f" c.identity_confidence, c.sources, c.first_seen, c.last_seen, c.explanation,"
            f" c.phone_type, (SELECT o.outcome || ' ' || o.date ||"
            f"   CASE WHEN o.account_id = c.account_id THEN '' ELSE ' (another account)' END"
            f"   FROM outcomes o WHERE o.channel = c.kind AND o.value_key = c.value_key"
            f"   ORDER BY o.date DESC, o.id DESC LIMIT 1)"
            f" FROM ({latest}) x JOIN contact_results c ON c.lookup_id = x.lookup_id"
            f" ORDER BY c.account_id, c.kind, c.rank", params)

    # -- judgements --------------------------------------------------------------------
    def add_judgement(self, judgement: Mapping[str, Any]) -> int:
        cols = ("lookup_id", "account_id", "kind", "value", "verdict", "user_id", "ts", "note")
        cur = self.conn.execute(f"INSERT INTO judgements ({', '.join(cols)}) VALUES"
                                f" ({_marks(cols)})", [judgement.get(c) for c in cols])
        return cur.lastrowid

    def rejected(self, account_id: str) -> set[tuple[str, str]]:
        """(kind, value) a collector rejected on this account."""
        rows = self.conn.execute(
            "SELECT kind, value FROM judgements WHERE account_id = ? AND verdict = 'reject'",
            (account_id,)).fetchall()
        return {(k, v) for k, v in rows}

    def redact_accounts(self, account_ids: Sequence[str]) -> None:
        """A retention purge: reasons, results and judged values of these accounts go."""
        ids = list(account_ids)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            self.conn.execute(f"UPDATE lookups SET reason = '[redacted]' WHERE account_id IN"
                              f" ({_marks(part)})", part)
            self.conn.execute(f"DELETE FROM contact_results WHERE account_id IN ({_marks(part)})",
                              part)
            self.conn.execute(f"UPDATE judgements SET value = '[redacted]', note = NULL"
                              f" WHERE account_id IN ({_marks(part)})", part)


class SqliteAttachments:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def by_idempotency_key(self, key: str) -> int | None:
        row = self.conn.execute("SELECT id FROM attachments WHERE idempotency_key = ?",
                                (key,)).fetchone()
        return row[0] if row else None

    def add(self, attachment: Mapping[str, Any]) -> int:
        cols = [c for c in ATTACHMENT_COLUMNS if c != "id" and c != "undone_at"]
        cur = self.conn.execute(f"INSERT INTO attachments ({', '.join(cols)}) VALUES"
                                f" ({_marks(cols)})", [attachment.get(c) for c in cols])
        return cur.lastrowid

    def get(self, attachment_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(ATTACHMENT_COLUMNS)} FROM attachments"
                                " WHERE id = ?", (attachment_id,)).fetchone()
        return dict(zip(ATTACHMENT_COLUMNS, row)) if row else None

    def active_after(self, account_id: str, kind: str, attachment_id: int) -> list[int]:
        """Later attachments of the same field, not undone, newest first."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM attachments WHERE account_id = ? AND kind = ? AND id > ?"
            " AND undone_at IS NULL ORDER BY id DESC", (account_id, kind, attachment_id))]

    def mark_undone(self, attachment_id: int, *, undone_at: str) -> None:
        self.conn.execute("UPDATE attachments SET undone_at = ? WHERE id = ?",
                          (undone_at, attachment_id))
