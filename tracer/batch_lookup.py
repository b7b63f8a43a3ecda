"""One lookup inside a batch: the interactive lookup, with its batch item kept in step.

A batch item moves ``pending -> open -> done``.  Each move is written in the same
transaction as the lookup's own state, so a crash can never leave the two disagreeing:

* the gate's transaction (lookup row, ``lookup_requested`` and ``decision`` entries)
  also sets the item ``open`` with its ``lookup_id`` -- or ``done`` when denied;
* the results' transaction (``contact_results``, ``candidates_ranked``, the lookup's
  ``completed`` status, and any ``--attach-above`` attachments) also sets it ``done``.

An item left ``open`` by a crash has a durable decision and no results: resuming re-runs
its sources and matching under the *same* lookup id and decision (no second gate
decision, no second ``lookup_requested``), so the batch ends with exactly one lookup per
account and the contact results an uninterrupted run would have stored.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date

from .attachments import attach
from .audit.trail import now_iso
from .consent.gate import Gate, LookupRequest
from .errors import AccessDenied
from .lookup import (DEFAULT_TIMEOUT, LookupResult, Tracer, _call_with_timeout, _query_for,
                     failure_text)
from .matching.ranking import USABLE
from .models import CONTACT_KINDS, Decision, Reason

log = logging.getLogger("tracer.batch")


class ItemNotPending(Exception):
    """Another process already opened this item's lookup (or it is done)."""


@dataclass(frozen=True)
class BatchContext:
    """What every lookup of one batch shares, loaded once."""

    batch_id: str
    user_id: str
    purpose: str
    reason: str
    as_of: date
    attach_above: float | None = None


class BatchGate(Gate):
    """The interactive gate, plus the item's move to ``open``/``done`` in its transaction."""

    def __init__(self, workspace, batch: BatchContext, **kwargs):
        super().__init__(workspace, **kwargs)
        self.batch = batch

    def open_lookup(self, req: LookupRequest, sources):
        batch_id = self.batch.batch_id
        with self.ws.unit_of_work(write=True) as uow:
            if uow.batches.item_status(batch_id, req.account_id) != "pending":
                raise ItemNotPending(req.account_id)
            lookup_id, decision = super().open_lookup(req, sources)
            if decision.allowed:
                uow.batches.update_item(batch_id, req.account_id, {
                    "status": "open", "lookup_id": lookup_id, "error": None})
            else:
                uow.batches.update_item(batch_id, req.account_id, {
                    "status": "done", "lookup_id": lookup_id, "result": "denied",
                    "reasons": ";".join(r.code for r in decision.reasons), "contacts": 0,
                    "attached": 0, "error": None, "done_at": now_iso()})
        return lookup_id, decision


def decision_from_dict(data: dict) -> Decision:
    """The inverse of :meth:`Decision.to_dict` (as stored in the ``decision`` entry)."""
    return Decision(
        data["outcome"],
        tuple(Reason(r["code"], r["text"], tuple(r.get("citations", ()))) for r in data["reasons"]),
        data["policy_version"],
        allowed_sources=tuple(data.get("allowed_sources", ())),
        allowed_kinds=tuple(data.get("allowed_kinds", ())),
        flags=tuple(data.get("flags", ())),
        source_fields={k: tuple(v) for k, v in data.get("source_fields", {}).items()},
        relatives=bool(data.get("relatives", False)),
        settings=data.get("settings", {}),
    )


class BatchTracer(Tracer):
    """A :class:`Tracer` whose registry, model, policy and gate live for the whole batch."""

    #: An interrupted batch lookup stays open: `batch resume` finishes it.
    FAILS_ON = (Exception,)

    def __init__(self, workspace, batch: BatchContext, **kwargs):
        super().__init__(workspace, gate=BatchGate(workspace, batch), **kwargs)
        self.batch = batch
        # ~25 KB per lookup; `tracer graph` rebuilds a batch lookup's graph from the audit.
        self.persist_graphs = False

    def trace_item(self, account_id: str) -> LookupResult:
        b = self.batch
        return self.trace(account_id, user_id=b.user_id, purpose=b.purpose, reason=b.reason,
                          as_of=b.as_of, batch_id=b.batch_id)

    # -- a chunk of items at once: gate each, ask the sources together, finish each ------
    def sources_asked_together(self) -> list[str]:
        """Sources that answer many searches cheaper at once than one by one: those that
        override :meth:`Source.search_many` (OSCN: one crawl for a whole batch)."""
        from .sources.base import Source
        return [info.name for info in self.registry.infos()
                if (a := self.registry.adapter(info.name)) is not None
                and type(a).search_many is not Source.search_many]

    def open_item(self, account_id: str) -> LookupResult:
        """The gate's decision on one pending item (the item moves to ``open``, or to
        ``done`` when denied); sources are asked by :meth:`ask_together` and
        :meth:`finish_item`."""
        b = self.batch
        request = LookupRequest(account_id, b.user_id, b.purpose, b.reason,
                                b.as_of.isoformat(), None, b.batch_id)
        lookup_id, decision = self.gate.open_lookup(request, self.registry.infos())
        return LookupResult(lookup_id, account_id, decision, b.as_of.isoformat())

    def ask_together(self, results: list[LookupResult]) -> None:
        """Ask each source of :meth:`sources_asked_together` once for every allowed
        lookup of ``results`` that may ask it, with only the fields each decision allows;
        each lookup's ``source_query`` entry is written before the call, its answer kept
        for :meth:`finish_item` (which writes ``source_result`` or ``source_error``)."""
        together = set(self.sources_asked_together())
        groups: dict[str, list[tuple[LookupResult, dict]]] = {}
        for result in results:
            if not result.decision.allowed:
                continue
            account = self._account(result.account_id)
            for name in result.decision.allowed_sources:
                if name in together:
                    query = _query_for(account, result.decision.source_fields[name])
                    groups.setdefault(name, []).append((result, query))
        for name, group in groups.items():
            adapter = self.registry.adapter(name)
            for result, query in group:
                self.note_query(name, query, result.account_id, result.lookup_id,
                                self.batch.user_id)
            queries = [query for _result, query in group]
            timeout = float(adapter.context.settings.get("timeout", DEFAULT_TIMEOUT)) * len(group)
            started = time.perf_counter()
            try:
                answers = _call_with_timeout(lambda: adapter.search_many(queries), timeout)
            except TimeoutError:
                answers = [f"timed out after {timeout:g} s"] * len(group)
            except Exception as exc:  # the whole call failed: each lookup says so
                answers = [f"{type(exc).__name__}: {exc}"[:300]] * len(group)
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            for (result, _query), answer in zip(group, answers):
                if isinstance(answer, str):
                    entry = ([], answer, elapsed)
                elif isinstance(answer, BaseException):
                    entry = ([], f"{type(answer).__name__}: {answer}"[:300], elapsed)
                else:
                    entry = (list(answer), None, elapsed)
                self.answered[(result.lookup_id, name)] = entry

    def finish_item(self, result: LookupResult) -> LookupResult:
        """Sources (those not asked together), matching, ranking, the item ``done``."""
        if result.decision.allowed:
            self._complete(result, self.batch.as_of, self.batch.user_id)
        return result

    def rerun(self, lookup_id: str) -> LookupResult:
        """Finish a lookup whose decision was committed before a crash: same lookup id,
        same decision, sources and matching run again (see the module docstring)."""
        with self.ws.unit_of_work() as uow:
            lookup = uow.lookups.get(lookup_id)
            payload = uow.audit.payload_of(lookup_id, "decision")
        account_id, user_id, as_of, status = (lookup[c] for c in ("account_id", "user_id",
                                                                   "as_of", "status"))
        decision = decision_from_dict(json.loads(payload))
        result = LookupResult(lookup_id, account_id, decision, as_of)
        if status != "decided":   # cannot happen (same transaction); never store twice
            raise ItemNotPending(account_id)
        self._complete(result, date.fromisoformat(as_of), user_id)
        return result

    def _fail(self, result: LookupResult, exc: BaseException, user_id: str | None) -> None:
        """The lookup ends ``failed`` and its item ``done`` (result ``failed``), in one
        transaction: a resume never re-runs a lookup that already failed."""
        with self.ws.unit_of_work(write=True) as uow:
            super()._fail(result, exc, user_id)
            uow.batches.update_item(self.batch.batch_id, result.account_id, {
                "status": "done", "result": "failed", "error": failure_text(exc),
                "contacts": 0, "attached": 0, "done_at": now_iso()},
                lookup_id=result.lookup_id)

    def _store(self, result: LookupResult, user_id: str | None) -> None:
        with self.ws.unit_of_work(write=True) as uow:
            super()._store(result, user_id)
            attached = self._attach(result)
            best = max((c.confidence for c in result.contacts), default=0.0)
            kind = ("withheld" if result.withheld
                    else "nothing_found" if not result.contacts
                    else "located" if best >= USABLE else "nothing_current")
            errors = ";".join(s.source for s in result.sources if s.error) or None
            uow.batches.update_item(self.batch.batch_id, result.account_id, {
                "status": "done", "result": kind, "source_errors": errors,
                "contacts": len(result.contacts), "attached": attached, "error": None,
                "done_at": now_iso()}, lookup_id=result.lookup_id)

    def _attach(self, result: LookupResult) -> int:
        """Rank-1 contacts at or above the batch's threshold, as the batch's judgement;
        idempotent per (batch, account, kind)."""
        threshold = self.batch.attach_above
        if threshold is None:
            return 0
        count = 0
        for kind in CONTACT_KINDS:
            best = next((c for c in result.contacts if c.kind == kind and c.rank == 1), None)
            if best is None or best.confidence < threshold:
                continue
            try:
                attach(self.ws, result.lookup_id, best.ref, user_id=self.batch.user_id,
                       via=f"batch {self.batch.batch_id}",
                       idempotency_key=f"{self.batch.batch_id}:{result.account_id}:{kind}")
            except AccessDenied:
                continue   # the denial is audited; the lookup's results stay stored
            count += 1
        return count
