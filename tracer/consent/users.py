"""Users and roles.  Every command that touches personal data names its user."""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError
from .audit import AuditTrail, now_iso

ROLES = ("collector", "supervisor", "compliance", "data")
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def add_user(ws, user_id: str, role: str, *, actor: str | None = None) -> bool:
    """Create or update a user; returns True when created."""
    if not _USER_ID.match(user_id or ""):
        raise InputError(f"invalid user id {user_id!r}: use letters, digits, . _ @ - "
                         "(at most 64 characters)")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    with ws.transaction() as conn:
        existing = conn.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
        if existing:
            conn.execute("UPDATE users SET role = ?, active = 1 WHERE id = ?", (role, user_id))
        else:
            conn.execute("INSERT INTO users (id, role, active, created_at) VALUES (?,?,1,?)",
                         (user_id, role, now_iso()))
        AuditTrail(ws).append("user_added", {"user": user_id, "role": role,
                                             "created": existing is None}, actor=actor)
    return existing is None


def deactivate_user(ws, user_id: str, *, actor: str | None = None) -> None:
    with ws.transaction() as conn:
        if conn.execute("UPDATE users SET active = 0 WHERE id = ?", (user_id,)).rowcount == 0:
            raise InputError(f"no user {user_id!r}")
        AuditTrail(ws).append("user_added", {"user": user_id, "active": False}, actor=actor)


def list_users(ws) -> list[dict[str, Any]]:
    cur = ws.conn.execute("SELECT id, role, active, created_at FROM users ORDER BY id")
    return [dict(zip(("id", "role", "active", "created_at"), r)) for r in cur]


def get_user(ws, user_id: str | None) -> dict[str, Any] | None:
    if not user_id:
        return None
    row = ws.conn.execute("SELECT id, role, active FROM users WHERE id = ?", (user_id,)).fetchone()
    return {"id": row[0], "role": row[1], "active": row[2]} if row else None


def require_user(ws, user_id: str | None, *, roles: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The acting user, or a clear error.  ``roles`` restricts who may run a command."""
    if not user_id:
        raise InputError("say who you are: --user ID or the TRACER_USER environment variable")
    user = get_user(ws, user_id)
    if user is None:
        raise InputError(f"no user {user_id!r}: add one with `tracer users add`")
    if not user["active"]:
        raise InputError(f"user {user_id!r} is not active")
    if roles and user["role"] not in roles:
        raise InputError(f"user {user_id!r} ({user['role']}) may not do this; "
                         f"needs role {' or '.join(roles)}")
    return user
