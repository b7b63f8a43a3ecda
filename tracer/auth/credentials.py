"""Passwords and signing in: argon2id hashes, throttling per user and per address, a
lockout that holds even against the right password, every outcome audited.

A wrong password, an unknown user, an inactive one and a locked one all read the same
to the person signing in ("user or password is wrong, or sign-in is locked"), and an
unknown user costs the same argon2 work as a known one, so the page cannot be used to
find out who has an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..audit.trail import AuditTrail, now_iso
from ..consent.users import get_user
from ..errors import InputError, TracerError

#: argon2id (the library's default type) with its RFC 9106 "low memory" parameters.
HASHER = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 1024
_DUMMY_HASH = HASHER.hash("tracer: no such user, same cost")


class SignInRefused(TracerError):
    """Wrong user or password, or sign-in is locked: one message for every case."""

    exit_code = 4
    MESSAGE = "user or password is wrong, or sign-in is locked for now"

    def __init__(self, why: str):
        super().__init__(self.MESSAGE)
        self.why = why                       # for the audit, never shown


@dataclass(frozen=True)
class Throttle:
    """How many failures within ``window`` lock a user or an address, and for how long
    after the last one (each refused try while locked extends it)."""

    per_user: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InputError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InputError(f"a password has at most {MAX_LENGTH} characters")


def set_password(ws, user_id: str, password: str, *, actor: str | None) -> None:
    """Store ``user_id``'s password as an argon2id hash; clears their lockout."""
    check_password_rules(password)
    if get_user(ws, user_id) is None:
        raise InputError(f"no user {user_id!r}: add one with `tracer users add`")
    hashed = HASHER.hash(password)
    with ws.unit_of_work(write=True) as uow:
        at = now_iso()
        uow.credentials.set_password_hash(user_id, hashed, at=at, by=actor)
        # A new password ends the user's sessions and lifts a lockout.
        uow.credentials.close_sessions_of(user_id, at=at)
        uow.credentials.add_attempt(user_id, "password-set", at=at, ok=True)
        AuditTrail(ws).append("password_set", {"user": user_id}, actor=actor)


def _since(window: timedelta) -> str:
    return (datetime.now(timezone.utc) - window).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def locked(ws, user_id: str | None, address: str, throttle: Throttle) -> str | None:
    """Why sign-in is locked for this user or address now, or None."""
    checks = [({"address": address}, "address", throttle.per_address)]
    if user_id:
        checks.insert(0, ({"user_id": user_id}, "user", throttle.per_user))
    since = _since(throttle.window + throttle.lockout)
    with ws.unit_of_work() as uow:
        for who, what, limit in checks:
            count, last = uow.credentials.failures(since=since, **who)
            if count >= limit and last and last > _since(throttle.lockout):
                return f"{what} locked after {count} failures"
    return None


def sign_in(ws, user_id: str, password: str, address: str,
            throttle: Throttle = Throttle()) -> dict:
    """The user, when ``password`` is theirs and neither they nor ``address`` is locked;
    else :class:`SignInRefused`.  Every attempt is counted and audited."""
    user = get_user(ws, user_id) if user_id and len(user_id) <= 64 else None
    known = user["id"] if user else None
    with ws.unit_of_work() as uow:
        stored = uow.credentials.password_hash(known) if known else None
    why = locked(ws, known, address, throttle)
    try:
        HASHER.verify(stored or _DUMMY_HASH, password[:MAX_LENGTH])
        ok = stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not why:
        if user is None:
            why = "unknown user"
        elif stored is None:
            why = "no password set"
        elif not user["active"]:
            why = "user inactive"
        elif not ok:
            why = "wrong password"
    with ws.unit_of_work(write=True) as uow:
        uow.credentials.add_attempt(known, address, at=now_iso(), ok=not why)
        if why:
            AuditTrail(ws).append("sign_in_refused", {"user": known, "why": why,
                                                      "address": address}, actor=None)
        else:
            ws.actor_auth = "password"       # this workspace now acts for a proven user
            AuditTrail(ws).append("signed_in", {"address": address}, actor=known)
    if why:
        raise SignInRefused(why)
    if HASHER.check_needs_rehash(stored):
        with ws.unit_of_work(write=True) as uow:
            uow.credentials.set_password_hash(known, HASHER.hash(password), at=now_iso(),
                                              by=known)
    return user
