"""What the debtor and the dialer said: ``consents`` and contact ``outcomes``."""

from __future__ import annotations

import sqlite3
from typing import Any, Mapping, Sequence

CONSENT_COLUMNS = ("channel", "value", "status", "recorded_at", "user_id", "note")
OUTCOME_COLUMNS = ("account_id", "channel", "value", "value_key", "outcome", "date", "user_id",
                   "note")
_OUTCOMES = f"SELECT {', '.join(OUTCOME_COLUMNS)} FROM outcomes"


class SqliteConsents:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def add(self, consent: Mapping[str, Any]) -> None:
        cols = ("account_id", *CONSENT_COLUMNS)
        self.conn.execute(f"INSERT INTO consents ({', '.join(cols)}) VALUES"
                          f" ({', '.join('?' * len(cols))})", [consent.get(c) for c in cols])

    def of_account(self, account_id: str) -> list[dict[str, Any]]:
        """Every consent record of the account (``CONSENT_COLUMNS``), oldest first."""
        return [dict(zip(CONSENT_COLUMNS, r)) for r in self.conn.execute(
            f"SELECT {', '.join(CONSENT_COLUMNS)} FROM consents WHERE account_id = ?"
            " ORDER BY id", (account_id,))]

    def latest(self, account_id: str, channel: str, value: str) -> tuple[str, str] | None:
        """(status, recorded_at) of the newest record for this channel and value."""
        row = self.conn.execute(
            "SELECT status, recorded_at FROM consents WHERE account_id = ? AND channel = ?"
            " AND value = ? ORDER BY id DESC LIMIT 1", (account_id, channel, value)).fetchone()
        return (row[0], row[1]) if row else None

    def any_for(self, account_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM consents WHERE account_id = ? LIMIT 1",
                                 (account_id,)).fetchone() is not None


class SqliteOutcomes:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def add(self, outcome: Mapping[str, Any]) -> bool:
        """Whether it was new (the same account, channel, value, outcome and date again
        adds nothing)."""
        cols = (*OUTCOME_COLUMNS, "imported_at")
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO outcomes ({', '.join(cols)}) VALUES"
            f" ({', '.join('?' * len(cols))})", [outcome.get(c) for c in cols])
        return cur.rowcount > 0

    def of_account(self, account_id: str) -> list[tuple]:
        """``OUTCOME_COLUMNS`` rows of one account, newest first."""
        return self.conn.execute(_OUTCOMES + " WHERE account_id = ? ORDER BY date DESC, id DESC",
                                 (account_id,)).fetchall()

    def attempts(self, account_id: str) -> list[tuple[str, str, str, str]]:
        """(channel, value_key, outcome, date) of one account, oldest first."""
        return self.conn.execute(
            "SELECT channel, value_key, outcome, date FROM outcomes WHERE account_id = ?"
            " ORDER BY date", (account_id,)).fetchall()

    def for_values(self, values: Sequence[tuple[str, str]]) -> list[tuple]:
        """``OUTCOME_COLUMNS`` rows of these (channel, value_key), on any account, oldest
        first within each chunk of 400 values."""
        out: list[tuple] = []
        wanted = list(values)
        for i in range(0, len(wanted), 400):
            part = wanted[i:i + 400]
            where = " OR ".join("(channel = ? AND value_key = ?)" for _ in part)
            params = [x for pair in part for x in pair]
            out += self.conn.execute(_OUTCOMES + f" WHERE {where} ORDER BY date, id",
                                     params).fetchall()
        return out

    def newest_id(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM outcomes").fetchone()[0]
