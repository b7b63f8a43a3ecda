"""The operations on accounts a collector or supervisor runs from any front end: the
portfolio's accounts (show, list, flag, assign, set, clear a review, import), the
undo of an attachment's effects, and batches.  Mixed into
:class:`~tracer.app.session.Session`; the library functions called here check the one
authorization policy and write the audit entries themselves, so the CLI and a web
handler get the same checks by calling the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


class WorkOperations:
    store: Any
    user_id: str | None

    # -- accounts ------------------------------------------------------------------------
    def show_account(self, account_id: str) -> dict[str, Any]:
        """One account as shown (DOB as its year, SSN as its last four), its changes."""
        from ..accounts import show_account
        return show_account(self.store, self.user_id, account_id)

    def list_accounts(self, where: str | None = None) -> list[dict[str, Any]]:
        """The accounts this user may read that a ``--where`` filter selects."""
        from ..accounts import list_accounts
        return list_accounts(self.store, self.user_id, where)

    def flag_account(self, account_id: str, flag: str, *, add: bool, reason: str,
                     evidence: str | None = None) -> list[dict[str, Any]]:
        from ..accounts import flag_account
        return flag_account(self.store, self.user_id, account_id, flag, add=add,
                            reason=reason, evidence=evidence)

    def assign_account(self, account_id: str, to_user: str, *,
                       reason: str) -> list[dict[str, Any]]:
        from ..accounts import assign_account
        return assign_account(self.store, self.user_id, account_id, to_user, reason=reason)

    def set_account_fields(self, account_id: str, assignments, *,
                           reason: str) -> list[dict[str, Any]]:
        """``FIELD=VALUE`` pairs (or a dict), each read as an import reads it."""
        from ..accounts import parse_assignments, set_fields
        values = assignments if isinstance(assignments, dict) else parse_assignments(assignments)
        return set_fields(self.store, self.user_id, account_id, values, reason=reason)

    def clear_review(self, account_id: str, *, reason: str) -> list[dict[str, Any]]:
        from ..accounts import clear_review
        return clear_review(self.store, self.user_id, account_id, reason=reason)

    def import_accounts(self, path: Path, *, column_map: dict[str, str] | None,
                        reason: str | None = None,
                        progress: Callable[[int], None] | None = None):
        """A portfolio file imported as this user may (row by row), audited."""
        from ..imports import import_accounts
        return import_accounts(self.store, path, column_map=column_map, actor=self.user_id,
                               progress=progress, reason=reason)

    # -- attachments -----------------------------------------------------------------------
    def attachment(self, attachment_id: int) -> dict[str, Any]:
        from ..attachments import attachment
        return attachment(self.store, attachment_id)

    # -- batches ---------------------------------------------------------------------------
    def start_batch(self, *, purpose: str, reason: str, as_of=None,
                    accounts_file: Path | None = None, where: str | None = None,
                    workers: int = 1, attach_above: float | None = None) -> str:
        """Record a batch (supervisors), its items and leases, audited; its id."""
        from ..batch import BatchSpec, create_batch
        return create_batch(self.store, BatchSpec(
            user_id=self.user_id, purpose=purpose, reason=reason, as_of=as_of,
            accounts_file=accounts_file, where=where, workers=workers,
            attach_above=attach_above))

    def trace_batch(self, batch_id: str, *, progress=None, workers: int | None = None) -> dict:
        """Trace every item of the batch not yet done, in ``workers`` processes; the
        summary.  (The team pages' ``run_batch`` checks the role first; here, as in
        `tracer batch`, the batch's start or resume did.)"""
        from ..batch import run_batch
        return run_batch(self.store, batch_id, progress=progress, workers=workers)

    def resume_batch(self, batch_id: str, *, workers: int | None = None) -> dict:
        from ..batch import resume_batch
        return resume_batch(self.store, batch_id, user_id=self.user_id, workers=workers)

    def cancel_batch(self, batch_id: str) -> dict:
        from ..batch import cancel_batch
        return cancel_batch(self.store, batch_id, user_id=self.user_id)

    def all_batches(self) -> list[dict]:
        """Every batch, newest first, as `tracer batch list` shows them to anyone (the
        team pages' ``batches`` asks for the start-batch right)."""
        from ..batch import list_batches
        return list_batches(self.store)

    def batch_progress(self, batch_id: str) -> dict:
        """One batch's summary, as `tracer batch show` shows it to anyone."""
        from ..batch import summarize
        return summarize(self.store, batch_id)
