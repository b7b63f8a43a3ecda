"""Web sessions and API tokens: random bearer secrets handed out once, kept only as
keyed hashes, with idle and absolute expiry, logout and revocation.

The CSRF token of a session is derived from its secret (a keyed hash under another
label), so it needs no column, changes with every session and cannot be computed from
the database."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..audit.trail import AuditTrail, now_iso
from ..consent.users import get_user
from ..errors import InputError

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOKEN_PREFIX = "trc_"


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose, since when, and the purpose chosen for it."""

    user: dict
    created_at: str
    purpose: str | None
    #: when this user was last seen in an earlier session ("new since I last looked")
    previous_visit: str | None = None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(ws, secret: str, label: str) -> str:
    return ws.keyed_hash(secret, purpose=label)


def open_session(ws, user_id: str, address: str, *, absolute: timedelta = ABSOLUTE) -> str:
    """A new session for a user who just proved a password; returns its secret (the
    cookie), which is never stored."""
    secret = secrets.token_urlsafe(32)
    now = _now()
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.add_session(_hash(ws, secret, "session"), user_id, at=_iso(now),
                                    expires_at=_iso(now + absolute), address=address)
    return secret


def session_for(ws, secret: str | None, *, idle: timedelta = IDLE) -> WebSession | None:
    """The live session the cookie names, touched; None when unknown, closed, idle too
    long, past its absolute expiry, or its user is gone or inactive."""
    if not secret or len(secret) > 128:
        return None
    key = _hash(ws, secret, "session")
    with ws.unit_of_work() as uow:
        row = uow.credentials.session(key)
    if row is None:
        return None
    now = _now()
    if row["closed_at"] or _iso(now) >= row["expires_at"] \
            or _iso(now - idle) > row["last_seen"]:
        return None
    user = get_user(ws, row["user_id"])
    if user is None or not user["active"]:
        return None
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.touch_session(key, at=_iso(now))
        previous = uow.credentials.previous_visit(user["id"], row["created_at"])
    return WebSession(user, row["created_at"], row["purpose"], previous)


def csrf_for(ws, secret: str) -> str:
    """The CSRF token every state-changing request of this session must carry."""
    return _hash(ws, secret, "csrf")[:43]


def set_session_purpose(ws, secret: str, purpose: str) -> None:
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.set_session_purpose(_hash(ws, secret, "session"), purpose)


def close_session(ws, secret: str, user_id: str) -> None:
    """Logout: the cookie stops working here, whatever the browser keeps."""
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.close_session(_hash(ws, secret, "session"), at=now_iso())
        AuditTrail(ws).append("signed_out", {}, actor=user_id)


# -- API tokens ------------------------------------------------------------------------------

def create_token(ws, user_id: str, label: str) -> tuple[str, str]:
    """A token for scripts acting as ``user_id``: returns (token id, token).  The token
    is shown this once; only its keyed hash is kept."""
    label = (label or "").strip()[:80] or "script"
    token_id = "T-" + secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.add_token(token_id, user_id, _hash(ws, token, "api-token"), label,
                                  at=now_iso())
        AuditTrail(ws).append("api_token_created", {"token_id": token_id, "label": label},
                              actor=user_id)
    return token_id, token


def list_tokens(ws, user_id: str) -> list[dict]:
    with ws.unit_of_work() as uow:
        return uow.credentials.tokens_of(user_id)


def revoke_token(ws, user_id: str, token_id: str) -> None:
    """Revoke one of the user's own tokens (another user's reads as unknown)."""
    with ws.unit_of_work(write=True) as uow:
        if not uow.credentials.revoke_token(token_id, user_id, at=now_iso()):
            raise InputError(f"no active token {token_id} of yours")
        AuditTrail(ws).append("api_token_revoked", {"token_id": token_id}, actor=user_id)


def user_for_token(ws, token: str | None) -> dict | None:
    """The active user a live API token acts for, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    with ws.unit_of_work() as uow:
        found = uow.credentials.live_token(_hash(ws, token, "api-token"))
    if found is None:
        return None
    user = get_user(ws, found[1])
    if user is None or not user["active"]:
        return None
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.token_used(found[0], at=now_iso())
    return user
