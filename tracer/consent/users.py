"""Users and roles.  Every command that touches personal data names its user."""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError
from ..privacy import refuse_sensitive_value
from ..audit.trail import AuditTrail, now_iso

ROLES = ("collector", "supervisor", "compliance", "data")
#: Who may add, change and deactivate users.
MANAGER_ROLES = ("supervisor", "compliance")
# fullmatch, not ``$``: ``$`` also matches before a trailing newline.
_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def add_user(ws, user_id: str, role: str, *, actor: str | None = None) -> bool:
    """Create or update a user; returns True when created."""
    if not _USER_ID.fullmatch(user_id or ""):
        raise InputError(f"invalid user id {user_id!r}: use letters, digits, . _ @ - "
                         "(at most 64 characters)")
    refuse_sensitive_value(user_id, "the user id")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    with ws.unit_of_work(write=True) as uow:
        existing = uow.users.get(user_id)
        if role not in MANAGER_ROLES:
            _keep_a_manager(uow, user_id, f"make {user_id!r} a {role}")
        if existing:
            uow.users.set_role(user_id, role)
        else:
            uow.users.add(user_id, role, created_at=now_iso())
        AuditTrail(ws).append("user_added", {"user": user_id, "role": role,
                                             "created": existing is None}, actor=actor)
    return existing is None


def deactivate_user(ws, user_id: str, *, actor: str | None = None) -> None:
    with ws.unit_of_work(write=True) as uow:
        _keep_a_manager(uow, user_id, f"deactivate {user_id!r}")
        if not uow.users.deactivate(user_id):
            raise InputError(f"no user {user_id!r}")
        AuditTrail(ws).append("user_added", {"user": user_id, "active": False}, actor=actor)


def _keep_a_manager(uow, user_id: str, action: str) -> None:
    """Refuse to remove the last active supervisor or compliance user: without one, user
    management would fall back to the open set-up mode of a fresh workspace."""
    if uow.users.active_with_roles(MANAGER_ROLES) == [user_id]:
        raise InputError(f"cannot {action}: they are the last active supervisor or "
                         "compliance user; add another one first")


def require_user_manager(ws, actor: str | None, *, adding: bool = False
                         ) -> dict[str, Any] | None:
    """The user allowed to add, change or deactivate users: an active supervisor or
    compliance user.  A workspace with none yet (just after `tracer init`) is being set
    up: until the first supervisor or compliance user exists anyone may add users
    (``adding``; returns ``None``), and nobody may deactivate one."""
    with ws.unit_of_work() as uow:
        managers = uow.users.active_with_roles(MANAGER_ROLES)
    if not managers:
        if adding:
            return None
        raise InputError("no active supervisor or compliance user yet: add one first "
                         "(`tracer users add ID --role supervisor`)")
    if not actor:
        raise InputError("managing users needs a supervisor or compliance user: "
                         "--user ID or the TRACER_USER environment variable")
    return require_user(ws, actor, roles=MANAGER_ROLES)


def list_users(ws) -> list[dict[str, Any]]:
    with ws.unit_of_work() as uow:
        return uow.users.list()


def get_user(ws, user_id: str | None) -> dict[str, Any] | None:
    with ws.unit_of_work() as uow:
        return uow.users.get(user_id)


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
