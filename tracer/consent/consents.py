"""Consent records: what the debtor allowed or revoked, per channel and value, and what
that means for a contact point now.

The latest record for (account, channel, value) decides: a revocation ends an earlier
grant, a later grant starts a new one.  :func:`consent_for` is what `accept`, the trace
text and the contacts export say about a phone or an email::

    record_consent(ws, "alice", "ACC-1", "phone", "(217) 555-0101", "granted",
                   note="consented on the recorded call of 2026-11-02")
    consent_for(ws, "ACC-1", "phone", "+12175550101")
    # 'granted: calls consented on 2026-11-02 (TCPA 47 U.S.C. 227)'
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..matching.normalize import normalize_email, normalize_phone
from ..privacy import refuse_sensitive_text
from ..audit.trail import AuditTrail, now_iso
from .authorizer import Authorizer

CHANNELS = ("phone", "text", "email")
STATUSES = ("granted", "revoked")
TCPA = "TCPA 47 U.S.C. 227"
REG_F = "12 CFR 1006.6(d)(4)"
#: What an unconsented contact point allows (also what `accept` said before consent
#: records were read).
NO_CONSENT = {
    "address": "not_applicable",
    "phone": f"none: manual dial only until consent is recorded ({TCPA})",
    "text": f"none: no texts until consent is recorded ({TCPA})",
    "email": f"none: not eligible for the Regulation F safe harbor ({REG_F}) "
             "until consent is recorded",
}
_WHAT = {"phone": "calls", "text": "texts", "email": "email"}
_LAW = {"phone": TCPA, "text": TCPA, "email": REG_F}


def normalized(channel: str, value: str) -> str:
    """The value as consent is stored and looked up: E.164 for phones, lower-case emails."""
    normal = (normalize_email(value).email if channel == "email"
              else normalize_phone(value).e164)
    if not normal:
        raise InputError(f"{value!r} is not a valid {'email' if channel == 'email' else 'phone'}")
    return normal


def record_consent(ws, user_id: str | None, account_id: str, channel: str, value: str,
                   status: str, note: str = "") -> dict[str, Any]:
    """Record a grant or revocation for one channel of an account, audited."""
    if channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}; use granted or revoked")
    refuse_sensitive_text(value, "--value")
    refuse_sensitive_text(note, "--note")
    normal = normalized(channel, value)
    with Authorizer(ws).authorized(user_id, "record-consent", account_id) as grant:
        recorded = now_iso()
        with ws.unit_of_work(write=True) as uow:
            uow.consents.add({"account_id": account_id, "channel": channel, "value": normal,
                              "status": status, "recorded_at": recorded,
                              "user_id": grant.user["id"], "note": note})
        AuditTrail(ws).append("consent_recorded", {"channel": channel, "value": normal,
                                                   "status": status, "note": note},
                              actor=grant.user["id"], account_id=account_id)
    return {"account_id": account_id, "channel": channel, "value": normal,
            "status": status, "recorded_at": recorded, "user": grant.user["id"],
            "note": note}


def list_consents(ws, user_id: str | None, account_id: str) -> list[dict[str, Any]]:
    """Every consent record of an account, oldest first, with what each channel says now."""
    Authorizer(ws).require(user_id, "read-account", account_id)
    with ws.unit_of_work() as uow:
        rows = uow.consents.of_account(account_id)
    out = [{("user" if k == "user_id" else k): v for k, v in r.items()} for r in rows]
    for item in out:
        item["now"] = _statement(ws, account_id, item["channel"], item["value"])
    return out


def _latest(ws, account_id: str, channel: str, value: str) -> tuple[str, str] | None:
    with ws.unit_of_work() as uow:
        row = uow.consents.latest(account_id, channel, value)
    return (row[0], row[1][:10]) if row else None


def _statement(ws, account_id: str, channel: str, value: str) -> str:
    latest = _latest(ws, account_id, channel, value)
    what, law = _WHAT[channel], _LAW[channel]
    if latest is None:
        return NO_CONSENT[channel]
    status, day = latest
    if status == "granted":
        return f"granted: {what} consented on {day} ({law})"
    stop = {"phone": "manual dial only", "text": "no texts", "email": "do not email"}[channel]
    return f"revoked: {what} consent revoked on {day}: {stop} ({law})"


def consent_for(ws, account_id: str, channel: str, value: str) -> str:
    """What recorded consent (and revocation) says for ``value`` on ``channel`` now.

    ``channel`` is a contact kind (``address``, ``phone``, ``email``) or a consent
    channel (``text``); a phone's statement covers calls and, once recorded, texts.
    Starts with ``granted:``, ``revoked:`` or ``none:`` (``not_applicable`` for an
    address), so a dialer can read the first word."""
    if channel == "address":
        return NO_CONSENT["address"]
    try:
        value = normalized("email" if channel == "email" else "phone", value)
    except InputError:
        return NO_CONSENT.get(channel, NO_CONSENT["phone"])
    if channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}")
    statement = _statement(ws, account_id, channel, value)
    if channel == "phone" and _latest(ws, account_id, "text", value):
        statement += "; " + _statement(ws, account_id, "text", value)
    return statement


def contact_consents(ws, account_id: str, contacts) -> dict[str, str]:
    """``{ref: statement}`` for the phones and emails among ranked contact points (one
    query when the account has no consent record, as most have not)."""
    wanted = [c for c in contacts if c.kind in ("phone", "email")]
    if not wanted:
        return {}
    with ws.unit_of_work() as uow:
        recorded = uow.consents.any_for(account_id)
    if not recorded:
        return {c.ref: NO_CONSENT[c.kind] for c in wanted}
    return {c.ref: consent_for(ws, account_id, c.kind, c.value) for c in wanted}
