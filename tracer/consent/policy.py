"""The policy (``config/policy.toml``) and the gate's rules.

Deny by default: a lookup is allowed only when the three positive rules (a user who may
trace, a traceable account, a known purpose) each allow it and no rule denies it.  Every
rule returns :class:`Finding` objects carrying a reason code, text and citations, so a
decision can always say which rule produced it.  The user, account and flag rules are
:mod:`.authorization`'s, shared with every later action on the account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import ConfigError
from ..settings import load_toml
from .authorization import (ActionRule, Finding, _f, flags_of, parse_actions,  # noqa: F401
                            rule_account, rule_flags, rule_user)
from .purposes import Purpose

#: Query fields a source may declare, by the field class a purpose allows.
FIELD_CLASS_MEMBERS = {
    "name": ("first_name", "middle_name", "last_name", "suffix"),
    "dob": ("dob",),
    "dob_year": ("dob_year",),
    "ssn_last4": ("ssn_last4",),
    "address": ("street", "unit", "city", "state", "zip"),
    "phone": ("phone",),
    "email": ("email",),
}
QUERY_FIELDS = tuple(f for members in FIELD_CLASS_MEMBERS.values() for f in members)
#: Flags whose removal needs a supervisor or compliance user and a reason, unless
#: policy.toml's [accounts] says otherwise.
PROTECTED_FLAGS = ("bankruptcy", "deceased", "cease_communication", "attorney_represented",
                   "disputed")
FLAG_ACTIONS = ("deny", "deny_unless_purpose", "deny_contact_seeking", "restrict",
                "supervisor_only")


@dataclass(frozen=True)
class Policy:
    version: str
    tracing_roles: tuple[str, ...]
    assigned_only_roles: tuple[str, ...]
    never_trace_roles: tuple[str, ...]
    traceable_statuses: tuple[str, ...]
    min_words: int
    min_chars: int
    placeholders: frozenset[str]
    max_lookups_per_hour: int
    repeat_window_hours: int
    repeat_flag_after: int
    repeat_deny_after: int
    fcra_excluded_origins: tuple[str, ...]
    fcra_citation: str
    flags: dict[str, dict[str, Any]]
    scrub_events: tuple[str, ...]
    scrub_min_identity_confidence: float
    scrub_review_min_identity_confidence: float = 0.3
    #: A possible deceased or bankruptcy match holds the account's contacts (no accept,
    #: no export) until a supervisor or compliance user clears the review.
    scrub_hold_pending_review: bool = True
    #: who may do what besides tracing (tracer.consent.authorization)
    actions: dict[str, ActionRule] = field(default_factory=dict)
    #: flags only ``flag_removers`` may remove, with a reason
    protected_flags: tuple[str, ...] = ()
    flag_removers: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str = "policy.toml") -> "Policy":
        try:
            flags = data.get("flags", {})
            for name, rule in flags.items():
                if rule.get("action") not in FLAG_ACTIONS:
                    raise ConfigError(f"{path}: [flags.{name}] action must be one of "
                                      f"{', '.join(FLAG_ACTIONS)}")
            return cls(
                version=str(data["version"]),
                tracing_roles=tuple(data["roles"]["tracing"]),
                assigned_only_roles=tuple(data["roles"].get("assigned_only", [])),
                never_trace_roles=tuple(data["roles"].get("never_trace", [])),
                traceable_statuses=tuple(data["account"]["traceable_statuses"]),
                min_words=int(data["justification"]["min_words"]),
                min_chars=int(data["justification"].get("min_chars", 0)),
                placeholders=frozenset(_simplify(p) for p in data["justification"].get("placeholders", [])),
                max_lookups_per_hour=int(data["rate"]["max_lookups_per_hour"]),
                repeat_window_hours=int(data["rate"]["repeat_window_hours"]),
                repeat_flag_after=int(data["rate"]["repeat_flag_after"]),
                repeat_deny_after=int(data["rate"]["repeat_deny_after"]),
                fcra_excluded_origins=tuple(data["debt_origin"]["fcra_excluded"]),
                fcra_citation=data["debt_origin"]["fcra_citation"],
                flags=flags,
                scrub_events=tuple(data.get("scrubs", {}).get("events", ["deceased", "bankruptcy"])),
                scrub_min_identity_confidence=float(
                    data.get("scrubs", {}).get("min_identity_confidence", 0.8)),
                scrub_review_min_identity_confidence=float(
                    data.get("scrubs", {}).get("review_min_identity_confidence", 0.3)),
                scrub_hold_pending_review=bool(
                    data.get("scrubs", {}).get("hold_pending_review", True)),
                actions=parse_actions(data.get("actions", {}), path),
                protected_flags=tuple(data.get("accounts", {}).get(
                    "protected_flags", PROTECTED_FLAGS)),
                flag_removers=tuple(data.get("accounts", {}).get(
                    "protected_flag_removers", ["supervisor", "compliance"])),
            )
        except KeyError as exc:
            raise ConfigError(f"{path}: missing setting {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc


def load_policy() -> Policy:
    data, _text, path = load_toml("policy.toml")
    return Policy.from_dict(data, str(path))


def _simplify(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@dataclass
class LookupContext:
    """Everything the rules look at; built by the gate from the workspace."""

    user: dict[str, Any] | None
    account: dict[str, Any] | None
    purpose_code: str
    purpose: Purpose | None
    reason: str
    judgment_ref: str | None = None
    lookups_last_hour: int = 0
    recent_lookups_of_account: int = 0
    batch: bool = False
    sources: Sequence[Any] = field(default_factory=list)


# -- the rules ------------------------------------------------------------------------------

def rule_purpose(ctx: LookupContext, policy: Policy) -> list[Finding]:
    purpose = ctx.purpose
    if purpose is None:
        return [_f("deny", "purpose_unknown",
                   f"purpose {ctx.purpose_code!r} is not in the purpose catalog")]
    out = [_f("allow", "purpose_permitted", purpose.title, *purpose.legal_basis)]
    flags = flags_of(ctx.account)
    for requirement in purpose.requires:
        if requirement == "judgment_ref" and not (ctx.judgment_ref or "").strip():
            out.append(_f("deny", "requirement_missing",
                          f"purpose {purpose.code} requires a judgment reference (--judgment-ref)",
                          *purpose.legal_basis[:1]))
        if requirement == "flag:deceased" and ctx.account is not None and "deceased" not in flags:
            out.append(_f("deny", "requirement_missing",
                          f"purpose {purpose.code} applies only to deceased consumers' accounts",
                          *purpose.legal_basis[:1]))
    return out


def rule_justification(ctx: LookupContext, policy: Policy) -> list[Finding]:
    text = (ctx.reason or "").strip()
    simple = _simplify(text)
    words = simple.split()
    if not text:
        return [_f("deny", "justification_missing", "a justification is required")]
    if simple in policy.placeholders:
        return [_f("deny", "justification_placeholder", "the justification is a placeholder")]
    if ctx.purpose is not None and simple in (_simplify(ctx.purpose.title), _simplify(ctx.purpose.code)):
        return [_f("deny", "justification_copies_purpose",
                   "the justification only repeats the purpose; say why this account, now")]
    if len(words) < policy.min_words or len(text) < policy.min_chars or len(set(words)) < 2:
        return [_f("deny", "justification_too_short",
                   f"the justification must be at least {policy.min_words} words of real text")]
    return []


def rule_debt_origin(ctx: LookupContext, policy: Policy) -> list[Finding]:
    if ctx.account is None or ctx.purpose is None or not ctx.purpose.fcra_based:
        return []
    origin = ctx.account.get("debt_origin") or "unknown"
    if origin in policy.fcra_excluded_origins:
        return [_f("deny", "debt_origin_not_fcra",
                   f"a {origin} debt does not qualify for FCRA-based purpose {ctx.purpose.code}",
                   policy.fcra_citation)]
    return []


def rule_rate(ctx: LookupContext, policy: Policy) -> list[Finding]:
    if ctx.batch:
        return []
    out = []
    if ctx.lookups_last_hour >= policy.max_lookups_per_hour:
        out.append(_f("deny", "rate_limit",
                      f"user made {ctx.lookups_last_hour} lookups in the last hour "
                      f"(limit {policy.max_lookups_per_hour})"))
    repeats = ctx.recent_lookups_of_account
    if repeats >= policy.repeat_deny_after:
        out.append(_f("deny", "repeat_lookup",
                      f"account already traced {repeats} times in the last "
                      f"{policy.repeat_window_hours} h"))
    elif repeats >= policy.repeat_flag_after:
        out.append(_f("flag", "repeat_lookup",
                      f"account already traced {repeats} time(s) in the last "
                      f"{policy.repeat_window_hours} h", flag="repeat_lookup"))
    return out


RULES = (rule_user, rule_account, rule_purpose, rule_justification, rule_debt_origin,
         rule_flags, rule_rate)
REQUIRED_ALLOWS = ("user_may_trace", "account_open", "purpose_permitted")


def field_plan(purpose: Purpose, sources: Sequence[Any]) -> tuple[dict[str, tuple[str, ...]], list[Finding]]:
    """Which sources may be asked, and for which fields (minimisation)."""
    allowed_fields = {f for cls in purpose.field_classes for f in FIELD_CLASS_MEMBERS[cls]}
    plan: dict[str, tuple[str, ...]] = {}
    findings = []
    for source in sources:
        if not source.enabled:
            continue
        if source.kind not in purpose.source_kinds:
            findings.append(_f("restrict", "source_kind_excluded",
                               f"source {source.name} ({source.kind}) is not permitted for "
                               f"{purpose.code}"))
            continue
        if source.purposes and "*" not in source.purposes and purpose.code not in source.purposes:
            findings.append(_f("restrict", "source_purpose_excluded",
                               f"source {source.name} does not permit purpose {purpose.code}"))
            continue
        # Internal sources look the account up by its own id; nothing personal is sent.
        fields = tuple(f for f in source.query_fields if f in allowed_fields
                       or (f == "account_id" and source.kind == "internal"))
        if not fields:
            findings.append(_f("restrict", "source_fields_excluded",
                               f"purpose {purpose.code} allows none of the fields "
                               f"source {source.name} needs"))
            continue
        plan[source.name] = fields
    return plan, findings
