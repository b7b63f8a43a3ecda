"""The ``audit`` table: append-only rows of the hash chain (its triggers refuse any
other change), and the reads a reviewer, ``verify`` and source health make of it.

The chain's hashing is not here (:mod:`tracer.audit.chain`): this repository stores and
reads rows, in ``seq`` order."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Iterator

#: What :meth:`SqliteAudit.entries` yields per row, and what an export carries.
ENTRY_COLUMNS = ("seq", "ts", "event", "actor", "account_id", "lookup_id", "payload", "hash",
                 "actor_auth")
CHAIN_COLUMNS = ("seq", "ts", "event", "actor", "account_id", "lookup_id", "payload",
                 "payload_sha256", "redacted", "prev_hash", "hash", "chain", "actor_auth",
                 "redacted_sha256")

_LOOKUPS_SQL = """
SELECT r.lookup_id, r.ts, r.actor, r.account_id,
       json_extract(r.payload, '$.purpose') AS purpose,
       json_extract(r.payload, '$.reason') AS reason,
       json_extract(d.payload, '$.outcome') AS outcome,
       json_extract(d.payload, '$.policy_version') AS policy_version,
       d.payload AS decision, r.redacted
FROM audit r JOIN audit d ON d.lookup_id = r.lookup_id AND d.event = 'decision'
WHERE r.event = 'lookup_requested'
"""
LOOKUP_COLUMNS = ("lookup_id", "ts", "actor", "account_id", "purpose", "reason", "outcome",
                  "policy_version", "decision", "redacted")


class SqliteAudit:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # -- the chain ------------------------------------------------------------------
    def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry, or None for an empty trail."""
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def insert(self, row: dict[str, Any]) -> None:
        """One new entry (``CHAIN_COLUMNS`` but ``redacted``, which starts 0)."""
        cols = [c for c in CHAIN_COLUMNS if c != "redacted"]
        self.conn.execute(
            f"INSERT INTO audit ({', '.join(cols)}, redacted) VALUES"
            f" ({', '.join('?' * len(cols))}, 0)", [row[c] for c in cols])

    def hash_at(self, seq: int) -> str | None:
        row = self.conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def chain_rows(self) -> Iterator[tuple]:
        """Every row, ``CHAIN_COLUMNS``, in storage order (rowid): what verify walks."""
        return self.conn.execute(f"SELECT {', '.join(CHAIN_COLUMNS)} FROM audit ORDER BY rowid")

    def redact(self, seq: int, payload: str) -> None:
        """Put the redacted form in an entry's payload (the triggers check it)."""
        self.conn.execute("UPDATE audit SET payload = ?, redacted = 1 WHERE seq = ?",
                          (payload, seq))

    # -- reading ---------------------------------------------------------------------
    def entries(self, *, lookup_id: str | None = None, account_id: str | None = None,
                event: str | None = None, events: Iterable[str] | None = None,
                since: str | None = None) -> Iterator[tuple]:
        """Rows (``ENTRY_COLUMNS``) in seq order, filtered."""
        where, params = [], []
        for col, val in (("lookup_id", lookup_id), ("account_id", account_id),
                         ("event", event)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        if events is not None:
            events = list(events)
            where.append(f"event IN ({', '.join('?' * len(events))})")
            params.extend(events)
        if since:
            where.append("ts >= ?")
            params.append(since)
        sql = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.conn.execute(sql + " ORDER BY seq", params)

    def export_rows(self, lookup_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Entries with everything needed to recompute their hashes (docs/audit.md)."""
        sql = f"SELECT {', '.join(CHAIN_COLUMNS)} FROM audit"
        params: list[Any] = []
        if lookup_id:
            sql += " WHERE lookup_id = ?"
            params.append(lookup_id)
        for row in self.conn.execute(sql + " ORDER BY seq", params):
            yield dict(zip(CHAIN_COLUMNS, row))

    def payload_of(self, lookup_id: str, event: str) -> str | None:
        """The payload text of a lookup's first ``event`` entry (its ``decision``, say)."""
        row = self.conn.execute("SELECT payload FROM audit WHERE lookup_id = ? AND event = ?"
                                " ORDER BY seq LIMIT 1", (lookup_id, event)).fetchone()
        return row[0] if row else None

    def payloads_of(self, lookup_id: str, event: str) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT payload FROM audit WHERE lookup_id = ? AND event = ? ORDER BY seq",
            (lookup_id, event))]

    def account_of(self, lookup_id: str) -> str | None:
        row = self.conn.execute("SELECT account_id FROM audit WHERE lookup_id = ? LIMIT 1",
                                (lookup_id,)).fetchone()
        return row[0] if row else None

    def lookups_without_decision(self) -> tuple[int, str | None]:
        """(how many lookups have no ``decision`` entry, the first of them)."""
        return self.conn.execute(
            "SELECT count(*), min(lookup_id) FROM lookups l WHERE NOT EXISTS (SELECT 1"
            " FROM audit a WHERE a.lookup_id = l.lookup_id AND a.event = 'decision')"
        ).fetchone()

    def requested_lookups(self, *, actor=None, account=None, purpose=None, decision=None,
                          since=None, before=None, batch=None,
                          reviewed: bool | None = None) -> list[dict[str, Any]]:
        """Every lookup's request and decision entries, joined (``LOOKUP_COLUMNS``);
        ``reviewed`` keeps those with (True) or without (False) a reviewer's finding."""
        sql, params = _LOOKUPS_SQL, []
        for clause, value in (("r.actor = ?", actor), ("r.account_id = ?", account),
                              ("json_extract(r.payload, '$.purpose') = ?", purpose),
                              ("json_extract(d.payload, '$.outcome') = ?", decision),
                              ("r.ts >= ?", since), ("r.ts < ?", before),
                              ("json_extract(r.payload, '$.batch_id') = ?", batch)):
            if value:
                sql += f" AND {clause}"
                params.append(value)
        if reviewed is not None:
            sql += (f" AND {'' if reviewed else 'NOT '}EXISTS (SELECT 1 FROM audit f WHERE "
                    "f.lookup_id = r.lookup_id AND f.event = 'review_finding')")
        sql += " ORDER BY r.seq"
        return [dict(zip(LOOKUP_COLUMNS, row)) for row in self.conn.execute(sql, params)]

    def inactive_accounts(self, cutoff: str) -> list[str]:
        """Accounts whose newest entry (a redaction aside) and newest activity are both
        before ``cutoff``: what a retention purge redacts."""
        return [row[0] for row in self.conn.execute(
            """SELECT a.account_id FROM audit a LEFT JOIN accounts acc
                 ON acc.account_id = a.account_id
               WHERE a.account_id IS NOT NULL AND a.event != 'redaction'
               GROUP BY a.account_id
               HAVING max(a.ts) < ? AND (max(acc.last_activity) IS NULL
                                         OR max(acc.last_activity) < ?)
               ORDER BY a.account_id""", (cutoff, cutoff))]

    def unredacted_of(self, account_ids: list[str]) -> list[tuple[int, str]]:
        """(seq, payload) of the entries of these accounts not yet redacted."""
        out: list[tuple[int, str]] = []
        for i in range(0, len(account_ids), 500):
            part = account_ids[i:i + 500]
            out += self.conn.execute(
                f"SELECT seq, payload FROM audit WHERE redacted = 0 AND account_id IN"
                f" ({', '.join('?' * len(part))}) ORDER BY seq", part).fetchall()
        out.sort()
        return out
