"""What a collector's screens read: the worklist, an account's activity, a lookup's
stored results.  Each reader is authorized by the one policy (``read-account``) against
the account as it is, so a front end that calls these cannot show what the CLI would
refuse; none of them writes anything but an audited denial."""

from __future__ import annotations

import json
from typing import Any

from .accounts import list_accounts, show_account
from .consent.authorizer import Authorizer
from .consent.consents import contact_consents, list_consents
from .errors import InputError
from .models import ContactPoint



#: At most this many unassigned accounts are listed (a portfolio may hold 100k).
UNASSIGNED_SHOWN = 200


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def worklist(ws, user_id: str, *, status: str | None = None, since: str | None = None,
             unassigned: bool = False) -> dict[str, Any]:
    """The accounts assigned to the user (and, with ``unassigned``, the first
    :data:`UNASSIGNED_SHOWN` unassigned ones they may take), each with its last lookup;
    ``since`` marks those changed after it (new since I last looked).  Selected in SQL
    by the filter language, then each one decided by ``read-account``."""
    condition = f"assigned_to = {_quoted(user_id)}"
    if status:
        condition += f" and status = {_quoted(status)}"
    rows = list_accounts(ws, user_id, condition)
    free: list[dict[str, Any]] = []
    if unassigned:
        free = list_accounts(ws, user_id, "assigned_to is null" + (
            f" and status = {_quoted(status)}" if status else ""))
    shown = free[:UNASSIGNED_SHOWN]
    with ws.unit_of_work() as uow:
        last = uow.casework.last_lookups([r["account_id"] for r in rows + shown])
        changed = uow.casework.updated_since(since) if since else set()

    def item(row):
        return {**row, "last_lookup": last.get(row["account_id"]),
                "new": row["account_id"] in changed}
    return {"assigned": [item(r) for r in rows], "unassigned": [item(r) for r in shown],
            "unassigned_total": len(free)}


def account_activity(ws, user_id: str, account_id: str) -> dict[str, Any]:
    """The account (masked), its audited changes, lookups, attachments, judgements and
    consent records: the account page."""
    account = show_account(ws, user_id, account_id)       # authorizes read-account
    with ws.unit_of_work() as uow:
        lookups = uow.casework.lookups_of(account_id)
        attachments = uow.casework.attachments_of(account_id=account_id)
        judgements = uow.casework.judgements_of(account_id=account_id)
    return {"account": account, "lookups": lookups, "attachments": attachments,
            "judgements": judgements, "consents": list_consents(ws, user_id, account_id)}


def lookup_view(ws, user_id: str, lookup_id: str) -> dict[str, Any]:
    """One lookup as stored: request, decision (reasons, citations), ranked contacts with
    their waterfall, consent now, and what was attached or rejected from it."""
    with ws.unit_of_work() as uow:
        lookup = uow.casework.lookup(lookup_id)
    if lookup is None:
        raise InputError(f"no lookup {lookup_id}")
    Authorizer(ws).require(user_id, "read-account", lookup["account_id"],
                           lookup_id=lookup_id)
    with ws.unit_of_work() as uow:
        decision = _loads(uow.audit.payload_of(lookup_id, "decision"))
        results = uow.casework.results(lookup_id)
        attached = list(reversed(uow.casework.attachments_of(lookup_id=lookup_id)))
        verdicts = {(j["kind"], j["value"]): j["verdict"]
                    for j in reversed(uow.casework.judgements_of(lookup_id=lookup_id))}
    contacts = []
    for r in results:
        detail = _loads(r["detail"])
        contacts.append(ContactPoint(
            r["kind"], r["value"], r["rank"], r["confidence"], r["identity_confidence"],
            tuple(s for s in r["sources"].split(";") if s), r["first_seen"], r["last_seen"],
            r["explanation"], waterfall=tuple(tuple(step) for step in
                                              detail.get("waterfall", [])),
            phone_type=r["phone_type"]))
    order = {"address": 0, "phone": 1, "email": 2}
    contacts.sort(key=lambda c: (order.get(c.kind, 3), c.rank))
    consent = contact_consents(ws, lookup["account_id"], contacts)
    return {"lookup": lookup, "decision": decision, "contacts": contacts,
            "consent": consent, "attachments": attached, "verdicts": verdicts}


def _loads(text: str | None) -> dict[str, Any]:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}                                   # a redacted entry keeps only its hash
