"""Attaching accepted contact points to an account, judging candidates, and undoing.

Only after an allowing decision, only contact kinds the decision allowed, always with an
audit entry naming the lookup it came from (DESIGN.md invariant 2), and only when the
authorization policy allows it against the account as it is now: a flag, closure or
reassignment since the lookup stops it (invariant 7).  What consent is on record for a
phone or email is read at the moment of attaching (tracer.consent.consents): without one
a phone is manual-dial only and an email not eligible for the Regulation F safe harbor.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .accounts import field_changes
from .audit.trail import AuditTrail, now_iso
from .consent.authorizer import Authorizer
from .consent.consents import NO_CONSENT, consent_for
from .errors import InputError

TRACING_ROLES = ("collector", "supervisor")
ADDRESS_COLUMNS = ("street", "unit", "city", "state", "zip")
#: What an attachment says when no consent is on record (kept for callers of 0.1).
CONSENT_ON_ATTACH = {kind: NO_CONSENT[kind] for kind in ("address", "phone", "email")}
# The last part of a one-line address (FORMATS.md section 3): "IL 62704", "IL" or "62704".
_LAST_LINE = re.compile(r"(?:(?P<state>[A-Z]{2}) )?(?P<zip>\d{5})|(?P<state_only>[A-Z]{2})")


def _contact(ws, lookup_id: str, ref: str) -> dict[str, Any]:
    try:
        kind, rank = ref.split(":", 1)
        rank_no = int(rank)
    except ValueError:
        raise InputError(f"contact reference {ref!r} must look like address:1, phone:2 "
                         "(as printed by `tracer trace`)") from None
    with ws.unit_of_work() as uow:
        contact = uow.lookups.result(lookup_id, kind, rank_no)
        if contact is None:
            if uow.lookups.get(lookup_id) is not None:
                raise InputError(f"lookup {lookup_id} has no contact {ref}")
            raise InputError(f"no lookup {lookup_id}")
    return contact


def _allowed_kinds(ws, lookup_id: str) -> list[str]:
    with ws.unit_of_work() as uow:
        payload = uow.audit.payload_of(lookup_id, "decision")
    return json.loads(payload).get("allowed_kinds", []) if payload else []


def _current(uow, account_id: str, kind: str) -> dict[str, Any]:
    return uow.accounts.values(account_id, ADDRESS_COLUMNS if kind == "address" else (kind,))


def _new_values(kind: str, value: str) -> dict[str, Any]:
    if kind != "address":
        return {kind: value}
    # "STREET[ UNIT][, CITY][, ST ZIP5 | , ST | , ZIP5]", as the address normalizer
    # writes it (its streets and cities hold no commas); the unit stays in the street.
    street, *rest = [part.strip() for part in value.split(",")]
    state = zip5 = None
    if rest and (last := _LAST_LINE.fullmatch(rest[-1])):
        state, zip5 = last["state"] or last["state_only"], last["zip"]
        rest = rest[:-1]
    return {"street": street, "unit": None, "city": ", ".join(rest) or None,
            "state": state, "zip": zip5}


def attach(ws, lookup_id: str, ref: str, *, user_id: str, via: str = "manual",
           idempotency_key: str | None = None) -> int:
    """Write contact ``ref`` of ``lookup_id`` onto its account; returns the attachment id.
    With an ``idempotency_key`` a repeat returns the first attachment instead of a second.
    Authorized (``accept-contact``) against the account as it is now."""
    if idempotency_key:
        with ws.unit_of_work() as uow:
            earlier = uow.attachments.by_idempotency_key(idempotency_key)
        if earlier is not None:
            return earlier
    contact = _contact(ws, lookup_id, ref)
    account_id, kind = contact["account_id"], contact["kind"]
    with Authorizer(ws).authorized(user_id, "accept-contact", account_id,
                                   lookup_id=lookup_id):
        if contact["outcome"] == "deny" or contact["status"] != "completed":
            raise InputError(f"lookup {lookup_id} did not complete with an allowing decision")
        if kind not in _allowed_kinds(ws, lookup_id):
            raise InputError(f"the decision for {lookup_id} does not allow attaching {kind}s")
        with ws.unit_of_work(write=True) as uow:
            previous = _current(uow, account_id, kind)
            new = _new_values(kind, contact["value"])
            consent = consent_for(ws, account_id, kind, contact["value"])
            uow.accounts.update(account_id, new, updated_at=now_iso())
            attachment_id = uow.attachments.add({
                "lookup_id": lookup_id, "account_id": account_id, "kind": kind,
                "value": contact["value"], "previous": json.dumps(previous),
                "user_id": user_id, "ts": now_iso(), "consent": consent,
                "idempotency_key": idempotency_key})
            uow.lookups.add_judgement({
                "lookup_id": lookup_id, "account_id": account_id, "kind": kind,
                "value": contact["value"], "verdict": "accept", "user_id": user_id,
                "ts": now_iso(), "note": via})
        AuditTrail(ws).append("attachment", {
            "attachment_id": attachment_id, "ref": ref, "kind": kind, "value": contact["value"],
            "confidence": contact["confidence"], "provenance": contact["sources"].split(";"),
            "consent": consent, "via": via, "action": "attach",
            "changes": field_changes(previous, new),
        }, actor=user_id, account_id=account_id, lookup_id=lookup_id)
    return attachment_id


def attachment(ws, attachment_id: int) -> dict[str, Any]:
    """One attachment: what was written onto which account, by whom, with which consent."""
    with ws.unit_of_work() as uow:
        row = uow.attachments.get(attachment_id)
    if row is None:
        raise InputError(f"no attachment {attachment_id}")
    return {("user" if c == "user_id" else c): row[c]
            for c in ("id", "lookup_id", "account_id", "kind", "value", "user_id", "ts",
                      "consent", "undone_at")}


def reject(ws, lookup_id: str, ref: str, *, user_id: str, note: str = "") -> int:
    """Record that a candidate contact does not reach the debtor; later lookups of the
    account never rank it first.  Authorized (``reject-contact``) against the account now."""
    contact = _contact(ws, lookup_id, ref)
    with Authorizer(ws).authorized(user_id, "reject-contact", contact["account_id"],
                                   lookup_id=lookup_id) as grant:
        with ws.unit_of_work(write=True) as uow:
            judgement_id = uow.lookups.add_judgement({
                "lookup_id": lookup_id, "account_id": contact["account_id"],
                "kind": contact["kind"], "value": contact["value"], "verdict": "reject",
                "user_id": grant.user["id"], "ts": now_iso(), "note": note})
        AuditTrail(ws).append("judgement", {
            "verdict": "reject", "ref": ref, "kind": contact["kind"], "value": contact["value"],
            "note": note,
        }, actor=user_id, account_id=contact["account_id"], lookup_id=lookup_id)
    return judgement_id


def _refuse_if_replaced(uow, attachment_id: int, account_id: str, kind: str) -> None:
    """Attachments of one field stack: each saved the value the one before it wrote.
    Undoing one that a later, still active attachment replaced would overwrite the later
    value and leave the account on neither, so attachments are undone newest first."""
    later = uow.attachments.active_after(account_id, kind, attachment_id)
    if later:
        ids = ", ".join(map(str, later))
        which = f"attachment {ids}" if len(later) == 1 else f"attachments {ids}"
        raise InputError(f"attachment {attachment_id} was replaced by {which}, still active "
                         f"on {account_id}'s {kind}: undo {ids} first (newest first)")


def undo(ws, attachment_id: int, *, user_id: str) -> dict[str, Any]:
    """Restore the account's contact data from before the attachment.  Authorized
    (``undo-attachment``): a collector undoes only their own, on accounts they work."""
    with ws.unit_of_work() as uow:
        row = uow.attachments.get(attachment_id)
    if row is None:
        raise InputError(f"no attachment {attachment_id}")
    lookup_id, account_id, kind, value, previous, undone_at, made_by = (
        row[c] for c in ("lookup_id", "account_id", "kind", "value", "previous", "undone_at",
                         "user_id"))
    if undone_at:
        raise InputError(f"attachment {attachment_id} was already undone at {undone_at}")
    restored = json.loads(previous)
    with Authorizer(ws).authorized(user_id, "undo-attachment", account_id,
                                   owner=made_by) as grant:
        with ws.unit_of_work(write=True) as uow:
            _refuse_if_replaced(uow, attachment_id, account_id, kind)
            current = _current(uow, account_id, kind)
            uow.accounts.update(account_id, restored, updated_at=now_iso())
            uow.attachments.mark_undone(attachment_id, undone_at=now_iso())
        AuditTrail(ws).append("attachment", {
            "attachment_id": attachment_id, "undo": True, "kind": kind, "removed": value,
            "restored": restored, "action": "undo",
            "changes": field_changes(current, restored),
        }, actor=grant.user["id"], account_id=account_id, lookup_id=lookup_id)
    return restored
