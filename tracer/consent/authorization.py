"""One authorization policy for every action on an account: who may, on which account,
in which state, with a reason code for every allow and deny.

The gate's user, account and flag rules live here and are shared: a lookup is decided
by them (with the purpose, justification and rate rules of :mod:`.policy`), and so is
every later action on the account's data (attach, reject, undo, export, graph, a
batch's next account), against the account as it is at the moment of the action::

    verdict = decide_action(policy, user, "accept-contact", account, purpose=purpose)
    with authorized(ws, "alice", "accept-contact", "ACC-1", lookup_id=lid) as grant:
        ...                                  # inside one write transaction

:func:`decide_action` is pure (no workspace, no CLI: the web server will call it too);
:class:`~.authorizer.Authorizer` (in :mod:`.authorizer`) reads the current user, account and lookup, audits every denial
(``access_denied``, with the settings fingerprint) and raises
:class:`~tracer.errors.AccessDenied`.  The table of actions is ``[actions]`` in
``config/policy.toml``; an action it does not name is denied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import AccessDenied, ConfigError
from ..models import Reason


@dataclass(frozen=True)
class Finding:
    """One rule's verdict: ``allow`` (a positive basis), ``deny``, ``restrict`` or ``flag``."""

    effect: str
    reason: Reason
    flag: str | None = None


def _f(effect: str, code: str, text: str, *citations: str, flag: str | None = None) -> Finding:
    return Finding(effect, Reason(code, text, tuple(citations)), flag)


def flags_of(account: dict[str, Any] | None) -> set[str]:
    if not account:
        return set()
    return {f for f in (account.get("flags") or "").split(";") if f}


# -- the rules a lookup and every later action share ---------------------------------------

def rule_user(ctx, policy) -> list[Finding]:
    user = ctx.user
    if user is None:
        return [_f("deny", "user_unknown", "the user does not exist")]
    if not user.get("active", 1):
        return [_f("deny", "user_inactive", f"user {user['id']} is not active")]
    role = user["role"]
    if role in policy.never_trace_roles or role not in policy.tracing_roles:
        return [_f("deny", "role_cannot_trace", f"role {role!r} may not trace accounts")]
    if role in policy.assigned_only_roles and ctx.account is not None:
        finding = _assignment(user, ctx.account)
        if finding:
            return [finding]
    return [_f("allow", "user_may_trace", f"{role} {user['id']} may trace this account")]


def _assignment(user: dict[str, Any], account: dict[str, Any]) -> Finding | None:
    assigned = account.get("assigned_to")
    if assigned and assigned != user["id"]:
        return _f("deny", "not_assigned",
                  f"account is assigned to another collector; a {user['role']} may work "
                  "only accounts assigned to them or unassigned")
    return None


def rule_account(ctx, policy) -> list[Finding]:
    account = ctx.account
    if account is None:
        return [_f("deny", "account_unknown", "the account does not exist")]
    if account["status"] not in policy.traceable_statuses:
        return [_f("deny", "account_not_open",
                   f"account status is {account['status']!r}; only "
                   f"{'/'.join(policy.traceable_statuses)} accounts may be traced")]
    return [_f("allow", "account_open", "the account is open")]


def rule_flags(ctx, policy) -> list[Finding]:
    out = []
    role = (ctx.user or {}).get("role")
    for flag in sorted(flags_of(ctx.account)):
        rule = policy.flags.get(flag)
        if rule is None:
            continue
        action, text, cites = rule["action"], rule["text"], rule.get("citations", [])
        code = f"flag_{flag}"
        if action == "deny":
            out.append(_f("deny", code, text, *cites))
        elif action == "deny_unless_purpose":
            if ctx.purpose_code not in rule.get("purposes", []):
                out.append(_f("deny", code, text, *cites))
        elif action == "deny_contact_seeking":
            if ctx.purpose is None or ctx.purpose.contact_seeking:
                out.append(_f("deny", code, text, *cites))
        elif action == "restrict":
            out.append(_f("restrict", code, text, *cites, flag=rule.get("flag", flag)))
        elif action == "supervisor_only":
            if role != "supervisor":
                out.append(_f("deny", code, text, *cites))
            else:
                out.append(_f("flag", code, text, *cites, flag=rule.get("flag", flag)))
    return out


# -- the action table --------------------------------------------------------------------

@dataclass(frozen=True)
class ActionRule:
    """Who may do one action (``[actions.NAME]`` in policy.toml)."""

    name: str
    roles: tuple[str, ...]
    #: roles in ``roles.assigned_only`` act only on accounts assigned to them or
    #: unassigned (and undo only their own attachments)
    scoped: bool = True
    #: roles for which the account must be traceable now, under the lookup's purpose
    account_state: tuple[str, ...] = ()
    needs_reason: bool = False


#: What each action is, for messages.
ACTION_TITLES = {
    "trace": "trace this account",
    "read-account": "read this account",
    "create-account": "create accounts",
    "update-account": "change this account",
    "add-flag": "add a flag",
    "remove-flag": "remove a flag",
    "assign-account": "assign this account",
    "reopen-account": "reopen this account",
    "accept-contact": "attach this contact point",
    "reject-contact": "judge this contact point",
    "undo-attachment": "undo this attachment",
    "export-contacts": "export this account's contacts",
    "view-graph": "see this identity graph",
    "start-batch": "run batches",
    "record-consent": "record consent",
    "clear-review": "clear a scrub review",
}
#: What a pending scrub review holds (``[scrubs] hold_pending_review``): acting on the
#: contacts, not seeing them or the graph a reviewer needs.
HELD_BY_REVIEW = ("accept-contact", "export-contacts")
ROLE_NAMES = ("collector", "supervisor", "compliance", "data")
_TRACING, _WORKING = ("collector", "supervisor"), ("collector", "supervisor", "compliance")

#: The shipped table (config/policy.toml repeats it); a policy.toml that does not name
#: an action gets this rule for it.
DEFAULT_ACTIONS = {rule.name: rule for rule in (
    ActionRule("read-account", _WORKING),
    ActionRule("create-account", _TRACING, scoped=False),
    ActionRule("update-account", _TRACING),
    ActionRule("add-flag", _WORKING, scoped=False),
    ActionRule("remove-flag", _WORKING, needs_reason=True),
    ActionRule("assign-account", ("supervisor",), needs_reason=True),
    ActionRule("reopen-account", ("supervisor",), needs_reason=True),
    ActionRule("accept-contact", _TRACING, account_state=_TRACING),
    ActionRule("reject-contact", _TRACING, account_state=_TRACING),
    ActionRule("undo-attachment", _TRACING),
    ActionRule("export-contacts", _TRACING, account_state=_TRACING),
    ActionRule("view-graph", _WORKING, account_state=_TRACING),
    ActionRule("start-batch", ("supervisor",), scoped=False),
    ActionRule("record-consent", _WORKING),
    ActionRule("clear-review", ("supervisor", "compliance"), needs_reason=True),
)}


def parse_actions(table: dict[str, Any], path: str) -> dict[str, ActionRule]:
    """``[actions.NAME]`` tables: ``roles``, ``scoped``, ``account_state``, ``needs_reason``."""
    out = dict(DEFAULT_ACTIONS)
    for name, entry in (table or {}).items():
        where = f"{path}: [actions.{name}]"
        if name == "trace":
            raise ConfigError(f"{where}: who may trace is [roles], judged by the gate")
        if name not in ACTION_TITLES:
            raise ConfigError(f"{where} is not an action; known: {', '.join(ACTION_TITLES)}")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        roles = entry.get("roles", [])
        state = entry.get("account_state", [])
        for key, value in (("roles", roles), ("account_state", state)):
            if not isinstance(value, list) or not set(value) <= set(ROLE_NAMES):
                raise ConfigError(f"{where} {key} must be a list of roles "
                                  f"({', '.join(ROLE_NAMES)})")
        for key in ("scoped", "needs_reason"):
            if not isinstance(entry.get(key, False), bool):
                raise ConfigError(f"{where} {key} must be true or false")
        out[name] = ActionRule(name, tuple(roles), entry.get("scoped", True), tuple(state),
                               entry.get("needs_reason", False))
    return out


@dataclass(frozen=True)
class Verdict:
    """Allow or deny for one (user, action, account), with the reasons that decided it."""

    action: str
    allowed: bool
    reasons: tuple[Reason, ...]
    policy_version: str = ""
    settings: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.reasons[0].code

    @property
    def text(self) -> str:
        return self.reasons[0].text

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "outcome": "allow" if self.allowed else "deny",
                "reasons": [r.to_dict() for r in self.reasons],
                "policy_version": self.policy_version, "settings": self.settings}


@dataclass
class _State:
    """What the shared rules read (the attribute names of a LookupContext)."""

    user: dict[str, Any] | None
    account: dict[str, Any] | None
    purpose_code: str | None = None
    purpose: Any = None


def decide_action(policy, user: dict[str, Any] | None, action: str,
                  account: dict[str, Any] | None = None, *, purpose=None,
                  purpose_code: str | None = None, owner: str | None = None,
                  flag: str | None = None, reason: str | None = None) -> Verdict:
    """The verdict for ``user`` doing ``action`` to ``account`` as it is (pure).

    ``account`` None checks only whether the role may do the action at all (a command
    over many accounts, before each is checked).  ``purpose`` is the lookup's (for
    actions on its results), ``owner`` who made what is acted on (an attachment),
    ``flag`` the flag being removed, ``reason`` the reason given."""
    def deny(code: str, text: str, *cites: str) -> Verdict:
        return Verdict(action, False, (Reason(code, text, tuple(cites)),), policy.version)

    rule = policy.actions.get(action)
    if rule is None:
        return deny("unknown_action", f"no rule allows {action!r} (deny by default)")
    if user is None:
        return deny("user_unknown", "the user does not exist")
    if not user.get("active", 1):
        return deny("user_inactive", f"user {user['id']} is not active")
    role, title = user["role"], ACTION_TITLES[action]
    if role not in rule.roles:
        return deny("role_not_permitted", f"role {role!r} may not {title}; needs role "
                                          f"{' or '.join(rule.roles) or '(none allowed)'}")
    scoped = rule.scoped and role in policy.assigned_only_roles
    if account is not None and scoped:
        finding = _assignment(user, account)
        if finding:
            return deny(finding.reason.code, finding.reason.text)
    if scoped and owner and owner != user["id"]:
        return deny("not_own", f"this was done by {owner}; a {role} may {title} only "
                               "when it is their own")
    if flag and flag in policy.protected_flags and role not in policy.flag_removers:
        return deny("flag_protected",
                    f"removing {flag} needs a {' or '.join(policy.flag_removers)} user")
    needs_reason = rule.needs_reason or (action == "remove-flag"
                                         and flag in policy.protected_flags)
    if needs_reason and not (reason or "").strip():
        return deny("reason_required", f"to {title} needs a reason")
    if account is not None and role in rule.account_state:
        state = _State(user, account, purpose_code or getattr(purpose, "code", None), purpose)
        denies = [f.reason for f in (*rule_account(state, policy), *rule_flags(state, policy))
                  if f.effect == "deny"]
        if denies:
            return Verdict(action, False, tuple(denies), policy.version)
        if action in HELD_BY_REVIEW and policy.scrub_hold_pending_review \
                and account.get("review_reason"):
            return deny("scrub_review_pending",
                        f"a scrub review is pending ({account['review_reason']}): a "
                        "supervisor or compliance user clears it (tracer accounts "
                        "clear-review) or flags the account")
    return Verdict(action, True, (Reason("permitted", f"{role} {user['id']} may {title}"),),
                   policy.version)


# -- against the workspace: current state, audited denials --------------------------------

def with_settings(verdict: Verdict, fingerprint) -> Verdict:
    return Verdict(verdict.action, verdict.allowed, verdict.reasons, verdict.policy_version,
                   fingerprint)


def denial_error(verdict: Verdict, user_id: str | None, user: dict | None) -> AccessDenied:
    if verdict.code == "user_unknown":
        text = f"no user {user_id!r}: add one with `tracer users add`"
    elif verdict.code == "user_inactive":
        text = f"user {user_id!r} is not active"
    else:
        texts = "; ".join(r.text + (f" [{'; '.join(r.citations)}]" if r.citations else "")
                          for r in verdict.reasons)
        text = f"user {user_id!r} ({user['role']}) may not do this: {texts}"
    codes = ", ".join(r.code for r in verdict.reasons)
    return AccessDenied(f"{text} ({codes})", verdict)
