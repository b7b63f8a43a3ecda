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

    # -- batches from the browser (supervisors: the start-batch rule) --------------------
    def may_start_batch(self) -> bool:
        """Whether to offer the batch pages (they check again when asked)."""
        from ..consent.authorizer import Authorizer
        verdict, _user, _account = Authorizer(self.store).evaluate(self.user_id,
                                                                   "start-batch")
        return verdict.allowed                     # asked, not acted on: nothing audited

    def _batcher(self) -> None:
        from ..consent.authorizer import Authorizer
        Authorizer(self.store).require(self.user_id, "start-batch")

    def batches(self) -> list[dict[str, Any]]:
        from ..batch import list_batches
        self._batcher()
        return list_batches(self.store)

    def batch_summary(self, batch_id: str) -> dict[str, Any]:
        from ..batch import summarize
        self._batcher()
        return summarize(self.store, batch_id)

    def keep_batch_upload(self, stream) -> str:
        """Keep an uploaded file (owner-only, beside the workspace); its upload id."""
        from ..batch_upload import store_upload
        self._batcher()
        return store_upload(self.store, self.user_id, stream)

    def batch_upload_preview(self, upload_id: str) -> dict[str, Any]:
        from ..batch_upload import open_upload, preview
        self._batcher()
        return preview(open_upload(self.store, self.user_id, upload_id))

    def start_uploaded_batch(self, upload_id: str, column: int, *, purpose: str,
                             reason: str, as_of: date | None = None,
                             attach_above: float | None = None):
        """Judge the upload's rows, then start the batch over the accounts kept (the
        start-batch rule and the batch's justification decide, as for `tracer batch`).
        Returns ``(batch_id, selection)``; the batch is started, not run."""
        from ..batch import BatchSpec, create_batch
        from ..batch_upload import discard_upload, open_upload, select_accounts
        from ..errors import InputError
        self._batcher()
        selection = select_accounts(self.store, open_upload(self.store, self.user_id,
                                                            upload_id), column)
        if not selection.account_ids:
            raise InputError(f"none of the file's {selection.rows} rows names an account "
                             "in the workspace: nothing was started")
        batch_id = create_batch(self.store, BatchSpec(
            user_id=self.user_id, purpose=purpose, reason=reason, as_of=as_of,
            accounts_file=selection.ids_path, attach_above=attach_above))
        discard_upload(self.store.path, self.user_id, upload_id)
        return batch_id, selection

    def run_batch(self, batch_id: str) -> dict[str, Any]:
        """Trace the batch's accounts not yet done (as `tracer batch resume` would)."""
        from ..batch import run_batch
        self._batcher()
        return run_batch(self.store, batch_id)

    def batch_rejects(self, batch_id: str):
        """The rejects report of the upload the batch came from, or None."""
        from ..batch_upload import rejects_of
        summary = self.batch_summary(batch_id)
        return rejects_of(self.store.path, summary["selection"].get("accounts_file", ""))

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

    def imports_history(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """The newest imports (accounts, records, outcomes) as the trail records them:
        when, who, which file (its name and SHA-256), what it changed and how many rows
        it refused; the rejects report was written beside the imported file."""
        from ..audit.trail import AuditTrail
        from ..consent.users import require_user
        require_user(self.store, self.user_id)
        found = []
        trail = AuditTrail(self.store)
        for kind, event in (("accounts", "accounts_imported"), ("records", "records_imported"),
                            ("outcomes", "outcomes_imported")):
            for e in trail.entries(event=event):
                p = e.payload if isinstance(e.payload, dict) else {}
                name = p.get("file") or ""
                stem = name[:-4] if name.lower().endswith(".csv") else name
                found.append({"seq": e.seq, "ts": e.ts, "actor": e.actor, "kind": kind,
                              "source": p.get("source"), "file": name,
                              "file_sha256": p.get("file_sha256"),
                              "imported": p.get("imported", 0), "updated": p.get("updated", 0),
                              "unchanged": p.get("unchanged", 0),
                              "rejected": p.get("rejected", 0), "problems": p.get("problems"),
                              "rejects_file": f"{stem}.rejects.csv" if p.get("rejected") else None})
        found.sort(key=lambda r: -r["seq"])
        return found[:limit]

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
