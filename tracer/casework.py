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



def worklist(ws, user_id: str, *, status: str | None = None,
             since: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The accounts assigned to the user and the unassigned ones they may take, each with
    its last lookup; ``since`` marks those changed after it (new since I last looked)."""
    rows = list_accounts(ws, user_id)
    with ws.unit_of_work() as uow:
        last = uow.casework.last_lookups([r["account_id"] for r in rows])
        changed = uow.casework.updated_since(since) if since else set()
    out: dict[str, list[dict[str, Any]]] = {"assigned": [], "unassigned": []}
    for row in rows:
        if status and row["status"] != status:
            continue
        row = {**row, "last_lookup": last.get(row["account_id"]),
               "new": row["account_id"] in changed}
        if row["assigned_to"] == user_id:
            out["assigned"].append(row)
        elif not row["assigned_to"]:
            out["unassigned"].append(row)
    return out


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
