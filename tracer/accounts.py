"""Accounts as an audited object: show, list, flag, assign and set, each change audited.

Every change of an account (a flag added or removed, an assignment, a field set, an
imported row, a scrub's review note) is written by :func:`record_change`: one UPDATE and
one ``account_changed`` entry naming each field with its value before and after (a date
of birth by its year only, an SSN by its last four), who and why, in one transaction.
Who may make which change is decided by :mod:`tracer.consent.authorization`::

    flag_account(ws, "alice", "ACC-1", "bankruptcy", add=True, reason="debtor's letter")
    set_fields(ws, "sam", "ACC-1", {"status": "open"}, reason="recalled in error")
"""

from __future__ import annotations

import json
from typing import Any

from .audit.trail import AuditTrail, now_iso
from .consent.authorization import decide_action, flags_of
from .consent.authorizer import Authorizer
from .consent.users import get_user
from .errors import InputError
from .models import ACCOUNT_FLAGS
from .privacy import dob_year, mask_dob, mask_ssn_last4, refuse_sensitive_text

#: The columns an account's state is made of (row_hash and the timestamps are bookkeeping).
ACCOUNT_FIELDS = (
    "first_name", "middle_name", "last_name", "suffix", "dob", "ssn_last4", "ssn_hash",
    "street", "unit", "city", "state", "zip", "phone", "email", "employer", "balance",
    "status", "flags", "assigned_to", "debt_origin", "last_activity", "review_reason",
)
CONTACT_COLUMNS = ("street", "unit", "city", "state", "zip", "phone", "email", "employer")
#: What `tracer accounts set` may change (flags and assignment have commands of their own;
#: ``ssn`` is read as an import reads it: last four and a keyed hash are kept).
SETTABLE = ("first_name", "middle_name", "last_name", "suffix", "dob", "ssn", "street",
            "unit", "city", "state", "zip", "phone", "email", "employer", "balance",
            "status", "debt_origin", "last_activity")
LIST_COLUMNS = ("account_id", "last_name", "first_name", "state", "balance", "status",
                "flags", "assigned_to", "review_reason")
CHANGE_EVENTS = ("account_created", "account_changed", "attachment")


def audit_value(field: str, value: Any) -> Any:
    """A value as the audit trail may hold it: a DOB by its year, never an SSN's hash."""
    if value in (None, ""):
        return None
    if field == "dob":
        return mask_dob(str(value))
    if field == "ssn_hash":
        return "(keyed hash)"
    return value


def field_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{field, before, after}]`` for each field of ``new`` that differs from ``old``."""
    out = []
    for name, after in new.items():
        before = (old or {}).get(name)
        if _norm(before) != _norm(after):
            out.append({"field": name, "before": audit_value(name, before),
                        "after": audit_value(name, after)})
    return out


def _norm(value):
    return None if value == "" else value


def actions_for(old: dict[str, Any], new: dict[str, Any], policy) -> list[tuple[str, dict]]:
    """The authorization actions a change of ``old`` into ``new`` takes, with their facts:
    each flag added or removed, an assignment, a reopening, any other field."""
    out: list[tuple[str, dict]] = []
    for name, after in new.items():
        before = old.get(name)
        if _norm(before) == _norm(after):
            continue
        if name == "flags":
            was, now = flags_of(old), flags_of({"flags": after})
            if now - was:
                out.append(("add-flag", {}))
            out += [("remove-flag", {"flag": f}) for f in sorted(was - now)]
        elif name == "assigned_to":
            out.append(("assign-account", {}))
        elif (name == "status" and before not in policy.traceable_statuses
              and after in policy.traceable_statuses):
            out.append(("reopen-account", {}))
        elif ("update-account", {}) not in out:
            out.append(("update-account", {}))
    return out


def record_change(ws, account_id: str, new: dict[str, Any], *, actor: str | None,
                  action: str, reason: str | None = None, evidence: str | None = None,
                  via: str | None = None, lookup_id: str | None = None,
                  old: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Write ``new`` (field -> value) onto the account with its ``account_changed`` entry;
    returns the changes (none: nothing written).  Contact data replaced goes to the
    account's own contact history, as an import's always has."""
    with ws.unit_of_work(write=True) as uow:
        old = old if old is not None else uow.accounts.get(account_id)
        if old is None:
            raise InputError(f"no account {account_id}")
        changes = field_changes(old, new)
        if not changes:
            return []
        now = now_iso()
        changed = [c["field"] for c in changes]
        if any(c in CONTACT_COLUMNS for c in changed):
            uow.accounts.add_history(account_id, old, replaced_at=now,
                                     seen_until=(old.get("updated_at") or now)[:10])
        uow.accounts.update(account_id, new, updated_at=now)
        payload = {"action": action, "changes": changes, "reason": reason}
        if evidence:
            payload["evidence"] = evidence
        if via:
            payload["via"] = via
        AuditTrail(ws).append("account_changed", payload, actor=actor,
                              account_id=account_id, lookup_id=lookup_id)
    return changes


# -- reading ------------------------------------------------------------------------------

def shown(account: dict[str, Any]) -> dict[str, Any]:
    """An account as tracer shows it: DOB by its year, SSN by its last four, no hash."""
    out = {k: v for k, v in account.items() if k not in ("dob", "ssn_last4", "ssn_hash",
                                                          "row_hash")}
    out["dob_year"] = dob_year(account.get("dob")) or None
    out["ssn"] = mask_ssn_last4(account.get("ssn_last4")) or None
    out["flags"] = sorted(flags_of(account))
    return out


def show_account(ws, user_id: str | None, account_id: str) -> dict[str, Any]:
    """The account (masked) and every audited change of it, oldest first."""
    grant = Authorizer(ws).require(user_id, "read-account", account_id)
    changes = []
    with ws.unit_of_work() as uow:
        entries = uow.audit.entries(account_id=account_id, events=CHANGE_EVENTS)
    for _seq, ts, event, actor, _account, _lookup, payload, _hash, _auth in entries:
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            continue                            # a redacted entry keeps only its hash
        if data.get("changes"):
            changes.append({"ts": ts, "event": event, "actor": actor,
                            "action": data.get("action") or event,
                            "reason": data.get("reason"), "changes": data["changes"]})
    return {**shown(grant.account), "changes": changes}


def list_accounts(ws, user_id: str | None, where: str | None = None) -> list[dict[str, Any]]:
    """Accounts matching ``where`` (the batch filter language) that the user may read."""
    auth = Authorizer(ws)
    grant = auth.require(user_id, "read-account")
    out = []
    with ws.unit_of_work() as uow:
        selected = uow.accounts.select(where)
    for account in selected:
        if decide_action(auth.policy, grant.user, "read-account", account).allowed:
            item = {c: account[c] for c in LIST_COLUMNS}
            item["flags"] = sorted(flags_of(account))
            out.append(item)
    return out


# -- changing -----------------------------------------------------------------------------

def _why(reason: str | None, what: str = "--reason") -> str:
    if not (reason or "").strip():
        raise InputError(f"say why: {what} TEXT is recorded with the change")
    return refuse_sensitive_text(reason.strip(), what)


def flag_account(ws, user_id: str | None, account_id: str, flag: str, *, add: bool,
                 reason: str | None, evidence: str | None = None) -> list[dict[str, Any]]:
    """Add or remove one flag; returns the changes (none when it was already so)."""
    if flag not in ACCOUNT_FLAGS:
        raise InputError(f"unknown flag {flag!r}; flags are {', '.join(ACCOUNT_FLAGS)}")
    reason = _why(reason)
    refuse_sensitive_text(evidence, "--evidence")
    action = "add-flag" if add else "remove-flag"
    with Authorizer(ws).authorized(user_id, action, account_id, reason=reason,
                                   flag=None if add else flag) as grant:
        flags = flags_of(grant.account)
        flags = flags | {flag} if add else flags - {flag}
        return record_change(ws, account_id, {"flags": ";".join(sorted(flags))},
                             actor=user_id, action=action, reason=reason,
                             evidence=evidence, old=grant.account)


def clear_review(ws, user_id: str | None, account_id: str, *,
                 reason: str | None) -> list[dict[str, Any]]:
    """Clear a pending scrub review (a possible deceased or bankruptcy match judged not
    to be the debtor's), audited with who and why; the contacts it held are released."""
    reason = _why(reason)
    with Authorizer(ws).authorized(user_id, "clear-review", account_id,
                                   reason=reason) as grant:
        if not grant.account.get("review_reason"):
            raise InputError(f"account {account_id} has no review pending")
        return record_change(ws, account_id, {"review_reason": None}, actor=user_id,
                             action="clear-review", reason=reason, old=grant.account)


def assign_account(ws, user_id: str | None, account_id: str, to_user: str, *,
                   reason: str | None) -> list[dict[str, Any]]:
    """Assign the account to ``to_user``, an active user of a tracing role."""
    reason = _why(reason)
    auth = Authorizer(ws)
    with auth.authorized(user_id, "assign-account", account_id, reason=reason) as grant:
        target = get_user(ws, to_user)
        if target is None or not target["active"]:
            raise InputError(f"no active user {to_user!r} to assign {account_id} to")
        if target["role"] not in auth.policy.tracing_roles:
            raise InputError(f"{to_user} is a {target['role']}: accounts are assigned to "
                             f"{' or '.join(auth.policy.tracing_roles)} users")
        return record_change(ws, account_id, {"assigned_to": to_user}, actor=user_id,
                             action="assign-account", reason=reason, old=grant.account)


def cleaned_fields(ws, account: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """``FIELD=VALUE`` text read as an import reads the same column (dates, state, zip,
    phone, email, balance, an SSN to last four and a keyed hash); InputError if not."""
    from .cleaning import RowError, clean_account

    unknown = [f for f in values if f not in SETTABLE]
    if unknown:
        raise InputError(f"cannot set {unknown[0]!r}: settable fields are "
                         f"{', '.join(SETTABLE)} (flags and assignment have commands "
                         "of their own)")
    row = {"account_id": account["account_id"], "first_name": account["first_name"] or "",
           "last_name": account["last_name"] or "", **values}
    try:
        clean = clean_account(ws, row)
    except RowError as exc:
        raise InputError(str(exc)) from None
    out = {}
    for name in values:
        if name == "ssn":
            out["ssn_last4"], out["ssn_hash"] = clean["ssn_last4"], clean["ssn_hash"]
            if out["ssn_hash"] is None and out["ssn_last4"] == account.get("ssn_last4"):
                out["ssn_hash"] = account.get("ssn_hash")    # a masked SSN keeps the hash
        else:
            out[name] = clean[name]
    return out


def set_fields(ws, user_id: str | None, account_id: str, values: dict[str, str], *,
               reason: str | None) -> list[dict[str, Any]]:
    """Set fields of one account (each change authorized, then one audit entry)."""
    if not values:
        raise InputError("give at least one FIELD=VALUE")
    reason = _why(reason)
    auth = Authorizer(ws)
    new: dict[str, Any] = {}

    def plan(account):
        new.update(cleaned_fields(ws, account, values))
        return actions_for(account, new, auth.policy) or [("update-account", {})]
    with auth.authorized_steps(user_id, account_id, plan, reason=reason) as grant:
        return record_change(ws, account_id, new, actor=user_id, action="set-fields",
                             reason=reason, old=grant.account)


def parse_assignments(pairs) -> dict[str, str]:
    """``FIELD=VALUE`` arguments (an empty VALUE clears the field)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"expected FIELD=VALUE, got {pair!r}")
        out[name.strip().lower()] = value.strip()
    return out

