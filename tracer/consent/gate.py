"""The consent and permissible-purpose gate.

``decide`` is pure: rules in, :class:`~tracer.models.Decision` out.  ``Gate.open_lookup``
records the request and the decision in the audit trail and commits them, and only
then hands back a decision that a lookup may act on: no source is called before the
decision is durable (invariant 1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from ..models import Decision, Reason
from ..privacy import refuse_sensitive_text, refuse_sensitive_value
from ..audit.trail import AuditTrail, now_iso
from .fingerprint import given_fingerprint, note_settings, rules_in_force
from .policy import REQUIRED_ALLOWS, RULES, Finding, LookupContext, Policy, field_plan
from .purposes import PurposeCatalog


def decide(ctx: LookupContext, policy: Policy) -> Decision:
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(ctx, policy))
    denies = [f for f in findings if f.effect == "deny"]
    allows = {f.reason.code for f in findings if f.effect == "allow"}
    plan: dict[str, tuple[str, ...]] = {}
    if not denies and ctx.purpose is not None:
        plan, source_findings = field_plan(ctx.purpose, ctx.sources)
        findings.extend(source_findings)
        if not plan:
            denies.append(Finding("deny", Reason(
                "no_permitted_source", f"no enabled source is permitted for {ctx.purpose.code}")))
    missing = [code for code in REQUIRED_ALLOWS if code not in allows]
    if not denies and missing:  # deny by default: nothing positively allowed this lookup
        denies.append(Finding("deny", Reason(
            "default_deny", f"no rule allowed this lookup (missing: {', '.join(missing)})")))
    flags = tuple(sorted({f.flag for f in findings if f.flag}))
    if denies:
        return Decision("deny", tuple(f.reason for f in denies), policy.version, flags=flags)
    restricted = any(f.effect == "restrict" for f in findings)
    purpose = ctx.purpose
    kinds = purpose.contact_kinds
    return Decision(
        "restrict" if restricted or flags else "allow",
        tuple(f.reason for f in findings if f.effect != "deny"),
        policy.version,
        allowed_sources=tuple(sorted(plan)),
        allowed_kinds=tuple(kinds),
        flags=flags,
        source_fields=plan,
        relatives=purpose.relatives,
    )


@dataclass
class LookupRequest:
    account_id: str
    user_id: str | None
    purpose: str
    reason: str
    as_of: str
    judgment_ref: str | None = None
    batch_id: str | None = None


class Gate:
    """Decides and durably records why each lookup was made."""

    def __init__(self, workspace, *, policy: Policy | None = None,
                 catalog: PurposeCatalog | None = None):
        self.ws = workspace
        rules = rules_in_force()
        self.policy = policy or rules.policy
        self.catalog = catalog or rules.catalog
        #: what every decision names as the settings it was made under
        self.fingerprint = (rules.fingerprint if policy is None and catalog is None
                            else given_fingerprint(policy, catalog))
        self.audit = AuditTrail(workspace)

    def _context(self, req: LookupRequest, sources: Sequence[Any]) -> LookupContext:
        now = datetime.now(timezone.utc)
        hour_ago = (now - timedelta(hours=1)).isoformat()
        window = (now - timedelta(hours=self.policy.repeat_window_hours)).isoformat()
        with self.ws.unit_of_work() as uow:
            user = uow.users.get(req.user_id) if req.user_id else None
            found = uow.accounts.get(req.account_id)
            per_hour = uow.lookups.interactive_by_user_since(req.user_id, hour_ago)
            repeats = uow.lookups.interactive_of_account_since(req.account_id, window)
        account = found.to_dict() if found is not None else None
        return LookupContext(
            user=user, account=account, purpose_code=req.purpose,
            purpose=self.catalog.get(req.purpose), reason=req.reason,
            judgment_ref=req.judgment_ref, lookups_last_hour=per_hour,
            recent_lookups_of_account=repeats, batch=req.batch_id is not None,
            sources=sources)

    def open_lookup(self, req: LookupRequest, sources: Sequence[Any]) -> tuple[str, Decision]:
        """Decide, then commit the request and decision (audit + lookups row) in one
        transaction.  Returns only after the commit."""
        # The reason goes into the permanent audit: a full SSN or DOB typed into it is
        # refused here too, for callers of the Python API (the CLI checks at parse time).
        refuse_sensitive_text(req.reason, "the lookup's reason")
        refuse_sensitive_value(req.account_id, "the account id")
        lookup_id = "L-" + uuid.uuid4().hex[:12]
        with self.ws.unit_of_work(write=True) as uow:
            note_settings(self.ws, req.user_id, self.fingerprint)
            ctx = self._context(req, sources)
            decision = replace(decide(ctx, self.policy), settings=self.fingerprint)
            account_known = ctx.account is not None
            self.audit.append("lookup_requested", {
                "purpose": req.purpose, "reason": req.reason, "as_of": req.as_of,
                "judgment_ref": req.judgment_ref, "batch_id": req.batch_id,
                "account_known": account_known,
            }, actor=req.user_id, account_id=req.account_id, lookup_id=lookup_id)
            self.audit.append("decision", decision.to_dict(), actor=req.user_id,
                              account_id=req.account_id, lookup_id=lookup_id)
            uow.lookups.insert({
                "lookup_id": lookup_id, "account_id": req.account_id,
                "user_id": req.user_id or "", "purpose": req.purpose, "reason": req.reason,
                "as_of": req.as_of, "requested_at": now_iso(), "outcome": decision.outcome,
                "status": "decided" if decision.allowed else "denied",
                "batch_id": req.batch_id})
        return lookup_id, decision
