"""The authorization policy applied to a workspace: :class:`Authorizer` reads the current
user, account and lookup, decides with :func:`~.authorization.decide_action`, audits every
denial (``access_denied``, with the settings fingerprint) and raises
:class:`~tracer.errors.AccessDenied`::

    with authorized(ws, "alice", "accept-contact", "ACC-1", lookup_id=lid) as grant:
        ...                                  # inside one write transaction

Apart from the pure policy (:mod:`.authorization`), which the rule files' parser
(:mod:`.policy`) builds on, so that reading the rules in force does not loop back here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

from ..audit.trail import AuditTrail
from ..errors import InputError
from ..models import Reason
from .authorization import Verdict, decide_action, denial_error, with_settings
from .fingerprint import note_settings, rules_in_force


@dataclass(frozen=True)
class Grant:
    """An allowed action: the user and account as they were when it was decided."""

    user: dict[str, Any]
    account: dict[str, Any] | None
    verdict: Verdict


class Authorizer:
    """Decides actions for one command under the rules in force; audits each denial."""

    def __init__(self, ws, rules=None):
        self.ws = ws
        self.rules = rules or rules_in_force()
        self._noted: set[str | None] = set()

    @property
    def policy(self):
        return self.rules.policy

    def evaluate(self, user_id: str | None, action: str, account_id: str | None = None, *,
                 lookup_id: str | None = None, **facts) -> tuple[Verdict, dict | None,
                                                                  dict | None]:
        """(verdict, user, account) from the workspace's current rows; nothing audited."""
        if not user_id:
            raise InputError("say who you are: --user ID or the TRACER_USER environment "
                             "variable")
        if user_id not in self._noted:
            note_settings(self.ws, user_id, self.rules.fingerprint)
            self._noted.add(user_id)
        with self.ws.unit_of_work() as uow:
            user = uow.users.get(user_id)
            account = uow.accounts.get(account_id) if account_id is not None else None
            lookup = uow.lookups.get(lookup_id) if lookup_id is not None else None
        if lookup_id is not None and "purpose" not in facts:
            code = lookup["purpose"] if lookup else None
            facts.update(purpose_code=code, purpose=self.rules.catalog.get(code or ""))
        verdict = decide_action(self.policy, user, action, account, **facts)
        if account_id is not None and account is None and verdict.allowed:
            verdict = Verdict(action, False, (Reason("account_unknown",
                                                     f"no account {account_id}"),),
                              self.policy.version)
        return with_settings(verdict, self.rules.fingerprint), user, account

    def record_denial(self, verdict: Verdict, user_id: str, account_id: str | None,
                      lookup_id: str | None = None, **detail) -> None:
        AuditTrail(self.ws).append("access_denied", {**verdict.to_dict(), **detail},
                                   actor=user_id, account_id=account_id, lookup_id=lookup_id)

    def permitted(self, user_id: str | None, action: str, account_id: str | None = None, *,
                  lookup_id: str | None = None, **facts) -> Verdict:
        """The verdict; a denial is audited (for commands that skip what they may not do)."""
        verdict, _user, _account = self.evaluate(user_id, action, account_id,
                                                 lookup_id=lookup_id, **facts)
        if not verdict.allowed:
            self.record_denial(verdict, user_id, account_id, lookup_id)
        return verdict

    def require(self, user_id: str | None, action: str, account_id: str | None = None, *,
                lookup_id: str | None = None, **facts) -> Grant:
        """The grant, or an audited denial raised as :class:`AccessDenied`."""
        verdict, user, account = self.evaluate(user_id, action, account_id,
                                               lookup_id=lookup_id, **facts)
        if not verdict.allowed:
            self.record_denial(verdict, user_id, account_id, lookup_id)
            raise denial_error(verdict, user_id, user)
        return Grant(user, account, verdict)

    @contextlib.contextmanager
    def authorized(self, user_id: str | None, action: str, account_id: str | None = None,
                   *, lookup_id: str | None = None, **facts) -> Iterator[Grant]:
        """Decide and act in one write transaction, so the account cannot change between
        the check and the action; a denial is audited after that transaction ends."""
        with self.ws.unit_of_work(write=True):
            verdict, user, account = self.evaluate(user_id, action, account_id,
                                                   lookup_id=lookup_id, **facts)
            if verdict.allowed:
                yield Grant(user, account, verdict)
                return
        self.record_denial(verdict, user_id, account_id, lookup_id)
        raise denial_error(verdict, user_id, user)

    @contextlib.contextmanager
    def authorized_steps(self, user_id: str | None, account_id: str, plan,
                         **facts) -> Iterator[Grant]:
        """Like :meth:`authorized` for a change that takes several actions:
        ``plan(account)`` lists ``(action, facts)`` from the account as read in the
        transaction; every one must be allowed."""
        with self.ws.unit_of_work(write=True) as uow:
            account = uow.accounts.get(account_id)
            steps = plan(account) if account is not None else [("read-account", {})]
            for action, step_facts in steps:
                verdict, user, account = self.evaluate(user_id, action, account_id,
                                                       **facts, **step_facts)
                if not verdict.allowed:
                    break
            else:
                yield Grant(user, account, verdict)
                return
        self.record_denial(verdict, user_id, account_id)
        raise denial_error(verdict, user_id, user)


def authorize(ws, user_id: str | None, action: str, account_id: str | None = None,
              **facts) -> Grant:
    """:meth:`Authorizer.require` under the rules in force now."""
    return Authorizer(ws).require(user_id, action, account_id, **facts)


def authorized(ws, user_id: str | None, action: str, account_id: str | None = None,
               **facts):
    """:meth:`Authorizer.authorized` under the rules in force now."""
    return Authorizer(ws).authorized(user_id, action, account_id, **facts)
