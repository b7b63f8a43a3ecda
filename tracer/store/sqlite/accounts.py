"""The ``accounts`` table and the account's own contact history (``account_history``)."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterator, Mapping, Sequence

from ..base import ACCOUNT_COLUMNS, Account
from .filters import mentions_status, where_sql

_SELECT = f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts"
#: What an account's contact history keeps of each replaced version.
HISTORY_COLUMNS = ("street", "unit", "city", "state", "zip", "phone", "email", "employer")
#: The columns a source's view of the account's own data carries.
CONTACT_VIEW = ("first_name", "middle_name", "last_name", "suffix", "dob", "ssn_last4",
                "street", "unit", "city", "state", "zip", "phone", "email", "employer",
                "last_activity", "updated_at", "imported_at")


def _account(row) -> Account:
    return Account(*row)


def selection_sql(where: str | None, *, default_open: bool) -> tuple[str, list[Any]]:
    """The condition of a ``--where`` filter; with ``default_open``, open accounts only
    unless the filter names ``status`` itself."""
    if not where:
        return ("status = 'open'", []) if default_open else ("1", [])
    condition, params = where_sql(where)
    if default_open and not mentions_status(where):
        condition = f"status = 'open' AND {condition}"
    return condition, params


class SqliteAccounts:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def get(self, account_id: str) -> Account | None:
        row = self.conn.execute(_SELECT + " WHERE account_id = ?", (account_id,)).fetchone()
        return _account(row) if row else None

    def exists(self, account_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM accounts WHERE account_id = ?",
                                 (account_id,)).fetchone() is not None

    def insert(self, values: Mapping[str, Any]) -> None:
        cols = list(values)
        self.conn.execute(f"INSERT INTO accounts ({', '.join(cols)}) VALUES"
                          f" ({', '.join('?' * len(cols))})", list(values.values()))

    def update(self, account_id: str, values: Mapping[str, Any], *, updated_at: str) -> None:
        unknown = [c for c in values if c not in ACCOUNT_COLUMNS]
        if unknown:
            raise ValueError(f"not an account column: {unknown[0]}")
        sets = ", ".join(f"{c} = ?" for c in values)
        self.conn.execute(f"UPDATE accounts SET {sets}, updated_at = ? WHERE account_id = ?",
                          [*values.values(), updated_at, account_id])

    def add_history(self, account_id: str, old: Mapping[str, Any], *, replaced_at: str,
                    seen_until: str | None) -> None:
        """Keep the contact data ``old`` had before a change replaced it."""
        self.conn.execute(
            f"INSERT INTO account_history (account_id, replaced_at, {', '.join(HISTORY_COLUMNS)},"
            f" seen_until) VALUES (?,?,{','.join('?' * len(HISTORY_COLUMNS))},?)",
            (account_id, replaced_at, *[old[c] for c in HISTORY_COLUMNS], seen_until))

    def select(self, where: str | None = None, *, default_open: bool = False
               ) -> Iterator[Account]:
        """Accounts matching a ``--where`` filter, by account_id (streamed)."""
        condition, params = selection_sql(where, default_open=default_open)
        cur = self.conn.execute(f"{_SELECT} WHERE {condition} ORDER BY account_id", params)
        return (_account(row) for row in cur)

    def values(self, account_id: str, columns: Sequence[str]) -> dict[str, Any]:
        """Some columns of one account (say, its address)."""
        unknown = [c for c in columns if c not in ACCOUNT_COLUMNS]
        if unknown:
            raise ValueError(f"not an account column: {unknown[0]}")
        row = self.conn.execute(f"SELECT {', '.join(columns)} FROM accounts WHERE"
                                " account_id = ?", (account_id,)).fetchone()
        return dict(zip(columns, row))

    def contact_view(self, account_id: str) -> dict[str, Any] | None:
        """The account's own person and contact columns (``CONTACT_VIEW``)."""
        row = self.conn.execute(f"SELECT {', '.join(CONTACT_VIEW)} FROM accounts"
                                " WHERE account_id = ?", (account_id,)).fetchone()
        return dict(zip(CONTACT_VIEW, row)) if row else None

    def contact_history(self, account_id: str) -> list[tuple]:
        """``(id, *HISTORY_COLUMNS, replaced_at, seen_until)`` per replaced version,
        newest first."""
        return self.conn.execute(
            f"SELECT id, {', '.join(HISTORY_COLUMNS)}, replaced_at, seen_until"
            " FROM account_history WHERE account_id = ? ORDER BY id DESC",
            (account_id,)).fetchall()

    def unknown(self, account_ids: Sequence[str]) -> tuple[int, int | None]:
        """How many of ``account_ids`` no account has, and the position of the first
        (1-based)."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS batch_ids"
                          " (pos INTEGER, account_id TEXT)")
        self.conn.execute("DELETE FROM temp.batch_ids")
        self.conn.executemany("INSERT INTO temp.batch_ids VALUES (?, ?)",
                              enumerate(account_ids, start=1))
        count, first = self.conn.execute(
            "SELECT count(*), min(pos) FROM temp.batch_ids b WHERE NOT EXISTS"
            " (SELECT 1 FROM accounts a WHERE a.account_id = b.account_id)").fetchone()
        self.conn.execute("DELETE FROM temp.batch_ids")
        return count, first

    def by_ids(self, account_ids: Sequence[str]) -> list[Account]:
        out: list[Account] = []
        ids = list(account_ids)
        for i in range(0, len(ids), 400):
            part = ids[i:i + 400]
            out += [_account(r) for r in self.conn.execute(
                f"{_SELECT} WHERE account_id IN ({', '.join('?' * len(part))})", part)]
        return out

    def with_outcomes(self) -> list[Account]:
        """Every account some contact outcome was recorded on, by account_id."""
        return [_account(r) for r in self.conn.execute(
            f"{_SELECT} WHERE account_id IN (SELECT DISTINCT account_id FROM outcomes)"
            " ORDER BY account_id")]
