"""Batches: ``batches``, their items (``batch_items``) and the accounts they lease
(``account_leases``).  How an item moves in step with its lookup is
:mod:`tracer.batch.items`'s business; this repository reads and writes the rows."""

from __future__ import annotations

import sqlite3
from typing import Any, Mapping, Sequence

from .accounts import selection_sql

BATCH_COLUMNS = ("batch_id", "user_id", "purpose", "reason", "as_of", "selection",
                 "attach_above", "workers", "total", "status", "owner", "created_at",
                 "updated_at", "finished_at")


class SqliteBatches:
    def __init__(self, conn: sqlite3.Connection, database=None):
        self.conn = conn
        self._database = database

    # -- batches -----------------------------------------------------------------------
    def get(self, batch_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches WHERE"
                                " batch_id = ?", (batch_id,)).fetchone()
        return dict(zip(BATCH_COLUMNS, row)) if row else None

    def add_items(self, batch_id: str, account_ids: Sequence[str] | None = None, *,
                  where: str | None = None) -> int:
        """The batch's items: ``account_ids`` in their order, else the accounts a
        ``--where`` filter selects (open ones unless it names status), by account_id.
        Returns how many."""
        if account_ids is not None:
            # sqlite-utils' bulk insert: chunked multi-row INSERTs inside this transaction
            self._database()["batch_items"].insert_all(
                ({"batch_id": batch_id, "seq": i, "account_id": a}
                 for i, a in enumerate(account_ids, start=1)), batch_size=500)
        else:
            condition, params = selection_sql(where, default_open=True)
            self.conn.execute(
                "INSERT INTO batch_items (batch_id, seq, account_id) SELECT ?,"
                " row_number() OVER (ORDER BY account_id), account_id FROM accounts"
                f" WHERE {condition} ORDER BY account_id", [batch_id, *params])
        return self.conn.execute("SELECT count(*) FROM batch_items WHERE batch_id = ?",
                                 (batch_id,)).fetchone()[0]

    def insert(self, batch: Mapping[str, Any]) -> None:
        cols = [c for c in BATCH_COLUMNS if c in batch]
        self.conn.execute(f"INSERT INTO batches ({', '.join(cols)}) VALUES"
                          f" ({', '.join('?' * len(cols))})", [batch[c] for c in cols])

    def update(self, batch_id: str, values: Mapping[str, Any], *,
               only_if_status: str | None = None) -> None:
        """Set columns of a batch (``summary`` too); ``only_if_status`` guards a move."""
        allowed = (*BATCH_COLUMNS, "summary")
        unknown = [c for c in values if c not in allowed]
        if unknown:
            raise ValueError(f"not a batch column: {unknown[0]}")
        sets = ", ".join(f"{c} = ?" for c in values)
        sql, params = f"UPDATE batches SET {sets} WHERE batch_id = ?", [*values.values(), batch_id]
        if only_if_status is not None:
            sql += " AND status = ?"
            params.append(only_if_status)
        self.conn.execute(sql, params)

    def list(self) -> list[tuple]:
        """(batch_id, status, owner, total, user_id, purpose, created_at, finished_at,
        done) per batch, newest first."""
        return self.conn.execute(
            "SELECT b.batch_id, b.status, b.owner, b.total, b.user_id, b.purpose, b.created_at,"
            " b.finished_at, (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.batch_id"
            " AND i.status = 'done') FROM batches b ORDER BY b.created_at DESC").fetchall()

    # -- items -------------------------------------------------------------------------
    def item_status(self, batch_id: str, account_id: str) -> str | None:
        row = self.conn.execute("SELECT status FROM batch_items WHERE batch_id = ? AND"
                                " account_id = ?", (batch_id, account_id)).fetchone()
        return row[0] if row else None

    def update_item(self, batch_id: str, account_id: str, values: Mapping[str, Any], *,
                    lookup_id: str | None = None) -> None:
        """Set columns of one item, by (batch, account) -- unique and indexed, while
        lookup_id is not, and a scan of the batch per lookup is quadratic -- and, when
        given, only while it still names ``lookup_id``."""
        sets = ", ".join(f"{c} = ?" for c in values)
        sql = f"UPDATE batch_items SET {sets} WHERE batch_id = ? AND account_id = ?"
        params = [*values.values(), batch_id, account_id]
        if lookup_id is not None:
            sql += " AND lookup_id = ?"
            params.append(lookup_id)
        self.conn.execute(sql, params)

    def set_item_error(self, batch_id: str, seq: int, error: str) -> None:
        self.conn.execute("UPDATE batch_items SET error = ? WHERE batch_id = ? AND seq = ?",
                          (error, batch_id, seq))

    def status_counts(self, batch_id: str) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, count(*) FROM batch_items WHERE"
                                      " batch_id = ? GROUP BY status", (batch_id,)).fetchall())

    def open_lookups(self, batch_id: str) -> list[str]:
        """Lookup ids of the items left ``open`` (decided, no results), in order."""
        return [r[0] for r in self.conn.execute(
            "SELECT lookup_id FROM batch_items WHERE batch_id = ? AND status = 'open'"
            " ORDER BY seq", (batch_id,))]

    def count_items(self, batch_id: str, *, status: str | None = None,
                    not_status: str | None = None) -> int:
        sql, params = "SELECT count(*) FROM batch_items WHERE batch_id = ?", [batch_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if not_status is not None:
            sql += " AND status != ?"
            params.append(not_status)
        return self.conn.execute(sql, params).fetchone()[0]

    def items(self, batch_id: str, status: str, *, after: int, n: int, k: int,
              limit: int = 500) -> list[tuple[int, str, str | None]]:
        """(seq, account_id, lookup_id) of this worker's share (``seq % n == k``) of the
        items in ``status`` after ``seq``, in order."""
        return self.conn.execute(
            "SELECT seq, account_id, lookup_id FROM batch_items WHERE batch_id = ? AND"
            " status = ? AND seq > ? AND seq % ? = ? ORDER BY seq LIMIT ?",
            (batch_id, status, after, n, k, limit)).fetchall()

    def tallies(self, batch_id: str) -> dict[str, Any]:
        """What a summary counts: items by result (else status), denial reason lists,
        source error lists, attached, errors, done."""
        by_result = dict(self.conn.execute(
            "SELECT coalesce(result, status), count(*) FROM batch_items WHERE batch_id = ?"
            " GROUP BY 1", (batch_id,)).fetchall())
        denied = self.conn.execute(
            "SELECT reasons, count(*) FROM batch_items WHERE batch_id = ? AND"
            " result = 'denied' GROUP BY reasons", (batch_id,)).fetchall()
        errors = self.conn.execute(
            "SELECT source_errors, count(*) FROM batch_items WHERE batch_id = ? AND"
            " source_errors IS NOT NULL GROUP BY source_errors", (batch_id,)).fetchall()
        attached, failed, done = self.conn.execute(
            "SELECT coalesce(sum(attached), 0), count(error), count(done_at) FROM batch_items"
            " WHERE batch_id = ?", (batch_id,)).fetchone()
        return {"by_result": by_result, "denied": denied, "source_errors": errors,
                "attached": attached, "errors": failed, "done": done}

    # -- leases ------------------------------------------------------------------------
    def lease(self, batch_id: str, *, acquired_at: str) -> list[tuple[str, int, str | None]]:
        """Lease every unfinished item's account to this batch where free; returns the
        (other batch, accounts it holds, its owner) that hold the rest."""
        self.conn.execute(
            "INSERT INTO account_leases (account_id, batch_id, acquired_at) SELECT account_id,"
            " ?, ? FROM batch_items WHERE batch_id = ? AND status != 'done'"
            " ON CONFLICT(account_id) DO NOTHING", (batch_id, acquired_at, batch_id))
        held = self.conn.execute(
            "SELECT l.batch_id, count(*) FROM batch_items i JOIN account_leases l"
            " ON l.account_id = i.account_id WHERE i.batch_id = ? AND i.status != 'done'"
            " AND l.batch_id != ? GROUP BY l.batch_id ORDER BY 2 DESC",
            (batch_id, batch_id)).fetchall()
        out = []
        for other, count in held:
            row = self.conn.execute("SELECT owner FROM batches WHERE batch_id = ?",
                                    (other,)).fetchone()
            out.append((other, count, row[0] if row else None))
        return out

    def release(self, batch_id: str) -> None:
        self.conn.execute("DELETE FROM account_leases WHERE batch_id = ?", (batch_id,))

    def set_cache_kb(self, kb: int) -> None:
        """A larger page cache for this connection (a batch inserts into large indexes)."""
        self.conn.execute(f"PRAGMA cache_size = {-int(kb)}")
