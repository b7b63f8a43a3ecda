"""Sign-in's tables (migration 10): password hashes, web sessions, API tokens, login
attempts.  Nothing secret is stored in clear: a password only as its argon2id hash, a
session or API token only as its keyed hash (tracer.auth computes both)."""

from __future__ import annotations

import sqlite3
from typing import Any

#: Migration 10, self-contained: the tables behind `tracer serve`'s sign-in.
MIGRATION = (10, [
    """CREATE TABLE user_credentials (
        user_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, set_at TEXT NOT NULL,
        set_by TEXT)""",
    """CREATE TABLE web_sessions (
        session_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL, expires_at TEXT NOT NULL, address TEXT,
        purpose TEXT, closed_at TEXT)""",
    "CREATE INDEX idx_web_sessions_user ON web_sessions(user_id)",
    """CREATE TABLE api_tokens (
        token_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL, created_at TEXT NOT NULL, last_used TEXT, revoked_at TEXT)""",
    "CREATE INDEX idx_api_tokens_user ON api_tokens(user_id)",
    """CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY, user_id TEXT, address TEXT, ts TEXT NOT NULL,
        ok INTEGER NOT NULL)""",
    "CREATE INDEX idx_login_attempts_user ON login_attempts(user_id, ts)",
    "CREATE INDEX idx_login_attempts_address ON login_attempts(address, ts)",
])

TOKEN_COLUMNS = ("token_id", "label", "created_at", "last_used", "revoked_at")


class SqliteCredentials:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # -- passwords and attempts ---------------------------------------------------------
    def password_hash(self, user_id: str) -> str | None:
        row = self.conn.execute("SELECT password_hash FROM user_credentials WHERE user_id = ?",
                                (user_id,)).fetchone()
        return row[0] if row else None

    def set_password_hash(self, user_id: str, hashed: str, *, at: str,
                          by: str | None) -> None:
        self.conn.execute(
            "INSERT INTO user_credentials (user_id, password_hash, set_at, set_by)"
            " VALUES (?,?,?,?) ON CONFLICT(user_id) DO UPDATE SET"
            " password_hash = excluded.password_hash, set_at = excluded.set_at,"
            " set_by = excluded.set_by", (user_id, hashed, at, by))

    def add_attempt(self, user_id: str | None, address: str, *, at: str, ok: bool) -> None:
        self.conn.execute("INSERT INTO login_attempts (user_id, address, ts, ok)"
                          " VALUES (?,?,?,?)", (user_id, address, at, 1 if ok else 0))

    def failures(self, *, user_id: str | None = None, address: str | None = None,
                 since: str) -> tuple[int, str | None]:
        """(count, newest) of failures of the user (or address) after both ``since``
        and its last success."""
        column, value = ("user_id", user_id) if user_id is not None else ("address", address)
        last_ok = self.conn.execute(
            f"SELECT max(ts) FROM login_attempts WHERE {column} = ? AND ok = 1",
            (value,)).fetchone()[0]
        row = self.conn.execute(
            f"SELECT count(*), max(ts) FROM login_attempts WHERE {column} = ? AND ok = 0"
            " AND ts > ?", (value, max(since, last_ok or ""))).fetchone()
        return row[0], row[1]

    # -- web sessions -----------------------------------------------------------------------
    def add_session(self, key: str, user_id: str, *, at: str, expires_at: str,
                    address: str) -> None:
        self.conn.execute("INSERT INTO web_sessions (session_hash, user_id, created_at,"
                          " last_seen, expires_at, address) VALUES (?,?,?,?,?,?)",
                          (key, user_id, at, at, expires_at, address))

    def session(self, key: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT user_id, created_at, last_seen, expires_at, purpose,"
                                " closed_at FROM web_sessions WHERE session_hash = ?", (key,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row)) if row else None

    def touch_session(self, key: str, *, at: str) -> None:
        self.conn.execute("UPDATE web_sessions SET last_seen = ? WHERE session_hash = ?",
                          (at, key))

    def set_session_purpose(self, key: str, purpose: str) -> None:
        self.conn.execute("UPDATE web_sessions SET purpose = ? WHERE session_hash = ?",
                          (purpose, key))

    def close_session(self, key: str, *, at: str) -> None:
        self.conn.execute("UPDATE web_sessions SET closed_at = ? WHERE session_hash = ?"
                          " AND closed_at IS NULL", (at, key))

    def close_sessions_of(self, user_id: str, *, at: str) -> None:
        self.conn.execute("UPDATE web_sessions SET closed_at = ? WHERE user_id = ?"
                          " AND closed_at IS NULL", (at, user_id))

    def previous_visit(self, user_id: str, before: str) -> str | None:
        """When the user was last seen in a session opened before ``before``."""
        return self.conn.execute("SELECT max(last_seen) FROM web_sessions WHERE user_id = ?"
                                 " AND created_at < ?", (user_id, before)).fetchone()[0]

    # -- API tokens ---------------------------------------------------------------------------
    def add_token(self, token_id: str, user_id: str, key: str, label: str, *, at: str) -> None:
        self.conn.execute("INSERT INTO api_tokens (token_id, user_id, token_hash, label,"
                          " created_at) VALUES (?,?,?,?,?)", (token_id, user_id, key, label, at))

    def tokens_of(self, user_id: str) -> list[dict[str, Any]]:
        cur = self.conn.execute(f"SELECT {', '.join(TOKEN_COLUMNS)} FROM api_tokens"
                                " WHERE user_id = ? ORDER BY created_at", (user_id,))
        return [dict(zip(TOKEN_COLUMNS, r)) for r in cur]

    def revoke_token(self, token_id: str, user_id: str, *, at: str) -> bool:
        return self.conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?"
                                 " AND user_id = ? AND revoked_at IS NULL",
                                 (at, token_id, user_id)).rowcount > 0

    def live_token(self, key: str) -> tuple[str, str] | None:
        """(token id, user id) of an unrevoked token."""
        row = self.conn.execute("SELECT token_id, user_id FROM api_tokens WHERE"
                                " token_hash = ? AND revoked_at IS NULL", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def token_used(self, token_id: str, *, at: str) -> None:
        self.conn.execute("UPDATE api_tokens SET last_used = ? WHERE token_id = ?",
                          (at, token_id))
