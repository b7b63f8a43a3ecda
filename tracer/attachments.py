"""Attaching accepted contact points to an account, judging candidates, and undoing.

Only after an allowing decision, only contact kinds the decision allowed, always with an
audit entry naming the lookup it came from (DESIGN.md invariant 2).  Traced phones and
emails carry no consent: phones are manual-dial only and emails are not eligible for the
Regulation F safe harbor until consent is recorded.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .consent.audit import AuditTrail, now_iso
from .consent.users import require_user
from .errors import InputError

TRACING_ROLES = ("collector", "supervisor")
ADDRESS_COLUMNS = ("street", "unit", "city", "state", "zip")
CONSENT_ON_ATTACH = {
    "address": "not_applicable",
    "phone": "none: manual dial only until consent is recorded (TCPA 47 U.S.C. 227)",
    "email": "none: not eligible for the Regulation F safe harbor (12 CFR 1006.6(d)(4)) "
             "until consent is recorded",
}
# The last part of a one-line address (FORMATS.md section 3): "IL 62704", "IL" or "62704".
_LAST_LINE = re.compile(r"(?:(?P<state>[A-Z]{2}) )?(?P<zip>\d{5})|(?P<state_only>[A-Z]{2})")


def _contact(ws, lookup_id: str, ref: str) -> dict[str, Any]:
    try:
        kind, rank = ref.split(":", 1)
        rank_no = int(rank)
    except ValueError:
        raise InputError(f"contact reference {ref!r} must look like address:1, phone:2 "
                         "(as printed by `tracer trace`)") from None
    cur = ws.conn.execute(
        "SELECT c.account_id, c.kind, c.value, c.confidence, c.sources, l.status, l.outcome"
        " FROM contact_results c JOIN lookups l ON l.lookup_id = c.lookup_id"
        " WHERE c.lookup_id = ? AND c.kind = ? AND c.rank = ?", (lookup_id, kind, rank_no))
    row = cur.fetchone()
    if row is None:
        if ws.conn.execute("SELECT 1 FROM lookups WHERE lookup_id = ?", (lookup_id,)).fetchone():
            raise InputError(f"lookup {lookup_id} has no contact {ref}")
        raise InputError(f"no lookup {lookup_id}")
    return dict(zip(("account_id", "kind", "value", "confidence", "sources", "status",
                     "outcome"), row))


def _allowed_kinds(ws, lookup_id: str) -> list[str]:
    row = ws.conn.execute("SELECT payload FROM audit WHERE lookup_id = ? AND event = 'decision'",
                          (lookup_id,)).fetchone()
    return json.loads(row[0]).get("allowed_kinds", []) if row else []


def _current(conn, account_id: str, kind: str) -> dict[str, Any]:
    cols = ADDRESS_COLUMNS if kind == "address" else (kind,)
    row = conn.execute(f"SELECT {', '.join(cols)} FROM accounts WHERE account_id = ?",
                       (account_id,)).fetchone()
    return dict(zip(cols, row))


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
    With an ``idempotency_key`` a repeat returns the first attachment instead of a second."""
    require_user(ws, user_id, roles=TRACING_ROLES)
    if idempotency_key:
        row = ws.conn.execute("SELECT id FROM attachments WHERE idempotency_key = ?",
                              (idempotency_key,)).fetchone()
        if row:
            return row[0]
    contact = _contact(ws, lookup_id, ref)
    if contact["outcome"] == "deny" or contact["status"] != "completed":
        raise InputError(f"lookup {lookup_id} did not complete with an allowing decision")
    kind = contact["kind"]
    if kind not in _allowed_kinds(ws, lookup_id):
        raise InputError(f"the decision for {lookup_id} does not allow attaching {kind}s")
    account_id = contact["account_id"]
    with ws.transaction() as conn:
        previous = _current(conn, account_id, kind)
        new = _new_values(kind, contact["value"])
        sets = ", ".join(f"{c} = ?" for c in new)
        conn.execute(f"UPDATE accounts SET {sets}, updated_at = ? WHERE account_id = ?",
                     [*new.values(), now_iso(), account_id])
        cur = conn.execute(
            "INSERT INTO attachments (lookup_id, account_id, kind, value, previous, user_id, ts,"
            " consent, idempotency_key) VALUES (?,?,?,?,?,?,?,?,?)",
            (lookup_id, account_id, kind, contact["value"], json.dumps(previous), user_id,
             now_iso(), CONSENT_ON_ATTACH[kind], idempotency_key))
        attachment_id = cur.lastrowid
        conn.execute(
            "INSERT INTO judgements (lookup_id, account_id, kind, value, verdict, user_id, ts,"
            " note) VALUES (?,?,?,?,?,?,?,?)",
            (lookup_id, account_id, kind, contact["value"], "accept", user_id, now_iso(), via))
        AuditTrail(ws).append("attachment", {
            "attachment_id": attachment_id, "ref": ref, "kind": kind, "value": contact["value"],
            "confidence": contact["confidence"], "provenance": contact["sources"].split(";"),
            "consent": CONSENT_ON_ATTACH[kind], "via": via,
        }, actor=user_id, account_id=account_id, lookup_id=lookup_id)
    return attachment_id


def reject(ws, lookup_id: str, ref: str, *, user_id: str, note: str = "") -> int:
    """Record that a candidate contact does not reach the debtor; later lookups of the
    account never rank it first."""
    require_user(ws, user_id, roles=TRACING_ROLES)
    contact = _contact(ws, lookup_id, ref)
    with ws.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO judgements (lookup_id, account_id, kind, value, verdict, user_id, ts,"
            " note) VALUES (?,?,?,?,?,?,?,?)",
            (lookup_id, contact["account_id"], contact["kind"], contact["value"], "reject",
             user_id, now_iso(), note))
        AuditTrail(ws).append("judgement", {
            "verdict": "reject", "ref": ref, "kind": contact["kind"], "value": contact["value"],
            "note": note,
        }, actor=user_id, account_id=contact["account_id"], lookup_id=lookup_id)
    return cur.lastrowid


def _refuse_if_replaced(conn, attachment_id: int, account_id: str, kind: str) -> None:
    """Attachments of one field stack: each saved the value the one before it wrote.
    Undoing one that a later, still active attachment replaced would overwrite the later
    value and leave the account on neither, so attachments are undone newest first."""
    later = [r[0] for r in conn.execute(
        "SELECT id FROM attachments WHERE account_id = ? AND kind = ? AND id > ?"
        " AND undone_at IS NULL ORDER BY id DESC", (account_id, kind, attachment_id))]
    if later:
        ids = ", ".join(map(str, later))
        which = f"attachment {ids}" if len(later) == 1 else f"attachments {ids}"
        raise InputError(f"attachment {attachment_id} was replaced by {which}, still active "
                         f"on {account_id}'s {kind}: undo {ids} first (newest first)")


def undo(ws, attachment_id: int, *, user_id: str) -> dict[str, Any]:
    """Restore the account's contact data from before the attachment."""
    require_user(ws, user_id, roles=TRACING_ROLES)
    row = ws.conn.execute(
        "SELECT lookup_id, account_id, kind, value, previous, undone_at FROM attachments"
        " WHERE id = ?", (attachment_id,)).fetchone()
    if row is None:
        raise InputError(f"no attachment {attachment_id}")
    lookup_id, account_id, kind, value, previous, undone_at = row
    if undone_at:
        raise InputError(f"attachment {attachment_id} was already undone at {undone_at}")
    restored = json.loads(previous)
    with ws.transaction() as conn:
        _refuse_if_replaced(conn, attachment_id, account_id, kind)
        sets = ", ".join(f"{c} = ?" for c in restored)
        conn.execute(f"UPDATE accounts SET {sets}, updated_at = ? WHERE account_id = ?",
                     [*restored.values(), now_iso(), account_id])
        conn.execute("UPDATE attachments SET undone_at = ? WHERE id = ?",
                     (now_iso(), attachment_id))
        AuditTrail(ws).append("attachment", {
            "attachment_id": attachment_id, "undo": True, "kind": kind, "removed": value,
            "restored": restored,
        }, actor=user_id, account_id=account_id, lookup_id=lookup_id)
    return restored
