"""The ``users`` table and ``settings_seen`` (the settings the workspace last ran under)."""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence


class SqliteUsers:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def get(self, user_id: str | None) -> dict[str, Any] | None:
        """``{id, role, active}``, or None."""
        if not user_id:
            return None
        row = self.conn.execute("SELECT id, role, active FROM users WHERE id = ?",
                                (user_id,)).fetchone()
        return {"id": row[0], "role": row[1], "active": row[2]} if row else None

    def add(self, user_id: str, role: str, *, created_at: str) -> None:
        self.conn.execute("INSERT INTO users (id, role, active, created_at) VALUES (?,?,1,?)",
                          (user_id, role, created_at))

    def set_role(self, user_id: str, role: str) -> None:
        """Change a user's role; a deactivated user is active again."""
        self.conn.execute("UPDATE users SET role = ?, active = 1 WHERE id = ?", (role, user_id))

    def deactivate(self, user_id: str) -> bool:
        """Whether such a user existed."""
        return self.conn.execute("UPDATE users SET active = 0 WHERE id = ?",
                                 (user_id,)).rowcount > 0

    def active_with_roles(self, roles: Sequence[str]) -> list[str]:
        return [r[0] for r in self.conn.execute(
            f"SELECT id FROM users WHERE active = 1 AND role IN ({', '.join('?' * len(roles))})"
            " ORDER BY id", tuple(roles))]

    def list(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT id, role, active, created_at FROM users ORDER BY id")
        return [dict(zip(("id", "role", "active", "created_at"), r)) for r in cur]


class SqliteSettingsSeen:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def all(self) -> dict[str, tuple[str, str]]:
        """name -> (path, sha256) of each settings file the workspace last ran under."""
        return {name: (path, sha) for name, path, sha in
                self.conn.execute("SELECT name, path, sha256 FROM settings_seen")}

    def save(self, seen: dict[str, tuple[str, str]], *, seen_at: str) -> None:
        self.conn.executemany(
            "INSERT INTO settings_seen (name, path, sha256, seen_at) VALUES (?,?,?,?)"
            " ON CONFLICT(name) DO UPDATE SET path = excluded.path,"
            " sha256 = excluded.sha256, seen_at = excluded.seen_at",
            [(name, path, sha, seen_at) for name, (path, sha) in seen.items()])
