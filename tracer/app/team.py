"""The operations a team front end (tracer serve) needs beyond the CLI's: a collector's
worklist, account and lookup screens, the trace and the judgements on its results, the
reviewer's desk, API tokens.  Mixed into :class:`~tracer.app.session.Session`, so a web
handler makes one session per request and calls these; each one is authorized where
the CLI's is (the library functions it calls check the one policy themselves)."""

from __future__ import annotations

from datetime import date
from typing import Any


class TeamOperations:
    store: Any
    user_id: str | None

    # -- a collector's screens -------------------------------------------------------------
    def worklist(self, *, status: str | None = None, since: str | None = None,
                 unassigned: bool = False) -> dict[str, Any]:
        """My accounts (and unassigned ones on request); changed after ``since``: new."""
        from ..casework import worklist
        return worklist(self.store, self.user_id, status=status, since=since,
                        unassigned=unassigned)

    def account_activity(self, account_id: str) -> dict[str, Any]:
        from ..casework import account_activity
        return account_activity(self.store, self.user_id, account_id)

    def lookup_view(self, lookup_id: str) -> dict[str, Any]:
        from ..casework import lookup_view
        return lookup_view(self.store, self.user_id, lookup_id)

    # -- a lookup and what is done with its results ----------------------------------------
    def trace(self, account_id: str, *, purpose: str, reason: str,
              as_of: date | None = None, judgment_ref: str | None = None):
        """One lookup, gate first (tracer.lookup.Tracer); the LookupResult."""
        from ..lookup import Tracer
        tracer = Tracer(self.store)
        try:
            return tracer.trace(account_id, user_id=self.user_id, purpose=purpose,
                                reason=reason, as_of=as_of, judgment_ref=judgment_ref)
        finally:
            tracer.close()

    def accept(self, lookup_id: str, ref: str, *, via: str = "web") -> int:
        from ..attachments import attach
        return attach(self.store, lookup_id, ref, user_id=self.user_id, via=via)

    def reject(self, lookup_id: str, ref: str, *, note: str = "") -> int:
        from ..attachments import reject
        return reject(self.store, lookup_id, ref, user_id=self.user_id, note=note)

    def undo(self, attachment_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Undo one attachment; returns (the attachment, the values restored)."""
        from ..attachments import attachment, undo
        made = attachment(self.store, attachment_id)
        return made, undo(self.store, attachment_id, user_id=self.user_id)

    # -- the reviewer's desk -----------------------------------------------------------------
    def review_lookups(self, *, page: int = 1, **filters) -> dict[str, Any]:
        from ..consent.review_desk import lookups_page
        return lookups_page(self.store, self.user_id, page=page, **filters)

    def review_trail(self, lookup_id: str) -> list[dict[str, Any]]:
        from ..consent.review_desk import trail
        return trail(self.store, self.user_id, lookup_id)

    def review_finding(self, lookup_id: str, finding: str, note: str) -> int:
        from ..consent.review_desk import record_finding
        return record_finding(self.store, self.user_id, lookup_id, finding, note)

    def review_sample(self, n: int, seed: int, **filters) -> list[dict[str, Any]]:
        from ..consent.review_desk import sample_draw
        return sample_draw(self.store, self.user_id, n, seed, **filters)

    def review_stats(self, **filters) -> dict[str, Any]:
        from ..consent.review_desk import stats_over_time
        return stats_over_time(self.store, self.user_id, **filters)

    def review_export(self, fmt: str, *, lookup_id: str | None = None,
                      write) -> None:
        """Hand the trail's entries (``jsonl``/``csv`` text) to ``write``, then audit the
        export: one that failed to write is not recorded as made."""
        from ..consent.review_desk import export_for, record_export
        reviewer, chunks = export_for(self.store, self.user_id, fmt, lookup_id=lookup_id)
        write(chunks)
        record_export(self.store, reviewer, fmt, lookup_id)

    def chain_status(self) -> dict[str, Any]:
        from ..consent.review_desk import chain_status
        return chain_status(self.store, self.user_id)

    def may_review(self) -> bool:
        from ..consent.review_desk import may_review
        return may_review(self.store, self.user_id)

    # -- the data team's view ---------------------------------------------------------------
    def sources_overview(self, *, since: str | None = None) -> list[dict[str, Any]]:
        """Every registered source (kind, enabled or why not, purposes) with its health
        from the audit trail (calls, errors, p50/p95 latency, hit rate, coverage), as
        `tracer sources list` and `sources health` show them."""
        from ..consent.users import require_user
        from ..sources.health import source_health
        from ..sources.record_store import RecordStore
        from ..sources.registry import SourceRegistry
        require_user(self.store, self.user_id)
        health = source_health(self.store, since=since)
        registry = SourceRegistry(RecordStore(self.store))
        return [{**info.to_dict(), "disabled_reason": None if info.enabled
                 else info.disabled_reason, "health": health.get(info.name)}
                for info in sorted(registry.infos(), key=lambda i: i.name)]

    # -- API tokens (one's own) -----------------------------------------------------------------
    def tokens(self) -> list[dict[str, Any]]:
        from ..auth import list_tokens
        return list_tokens(self.store, self.user_id)

    def create_token(self, label: str) -> tuple[str, str]:
        from ..auth import create_token
        return create_token(self.store, self.user_id, label)

    def revoke_token(self, token_id: str) -> None:
        from ..auth import revoke_token
        revoke_token(self.store, self.user_id, token_id)
