"""One lookup: gate → sources → normalize → match & cluster → rank → stored results.

The gate's decision is committed before the first source is called; every source query,
result and error is audited; one failing or hanging source never sinks the others.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .accounts import record_change
from .audit.trail import AuditTrail, canonical_json, now_iso
from .consent.consents import contact_consents
from .consent.gate import Gate, LookupRequest
from .matching.contact_model import ContactModel, workspace_contact_model
from .matching.graph import persist_graph
from .matching.match_stage import match_and_rank
from .matching.model import MatchModel
from .matching.ranking import USABLE
from .outcomes import outcomes_for, same_debtor_accounts
from .models import CandidateIdentity, ContactPoint, Decision
from .errors import LookupFailed
from .privacy import mask_identifiers, mask_text, record_problem
from .sources.registry import SourceRegistry
from .sources.record_store import RecordStore

DEFAULT_TIMEOUT = 10.0
log = logging.getLogger("tracer.lookup")


@dataclass
class SourceOutcome:
    source: str
    fields: tuple[str, ...]
    count: int = 0
    error: str | None = None
    elapsed_ms: float = 0.0


@dataclass
class LookupResult:
    lookup_id: str
    account_id: str
    decision: Decision
    as_of: str
    contacts: list[ContactPoint] = field(default_factory=list)
    identities: list[CandidateIdentity] = field(default_factory=list)
    sources: list[SourceOutcome] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    note: str = ""
    #: contact ref -> what recorded consent says for it (phones and emails)
    consent: dict[str, str] = field(default_factory=dict)

    @property
    def denied(self) -> bool:
        return not self.decision.allowed

    def to_dict(self) -> dict[str, Any]:
        return {
            "lookup_id": self.lookup_id, "account_id": self.account_id, "as_of": self.as_of,
            "decision": self.decision.to_dict(),
            "contacts": [c.to_dict() for c in self.contacts],
            "identities": [i.to_dict() for i in self.identities],
            "sources": [s.__dict__ | {"fields": list(s.fields)} for s in self.sources],
            "withheld": self.withheld, "note": self.note, "consent": self.consent,
        }


def _query_for(account: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Only the fields the decision allows this source to receive (minimisation)."""
    query = {}
    for name in fields:
        if name == "dob_year":
            if account.get("dob"):
                query["dob_year"] = account["dob"][:4]
        elif account.get(name) not in (None, ""):
            query[name] = account[name]
    return query


def _field_coverage(rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        for name, value in row.items():
            if value not in (None, "") and name not in ("source", "record_id", "raw_hash",
                                                         "ssn_hash"):
                counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def _hash_rows(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(canonical_json(row).encode())
    return digest.hexdigest()


def failure_text(exc: BaseException) -> str:
    """An exception as the audit and a log may show it: its type and message, SSN- and
    DOB-shaped runs masked, at most 300 characters."""
    return mask_identifiers(f"{type(exc).__name__}: {exc}")[:300]


def _call_with_timeout(fn, timeout: float):
    """Run ``fn`` in a daemon thread: a hung source is abandoned, and never keeps the
    process from exiting (a pool's worker would be joined at exit)."""
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
    thread = threading.Thread(target=target, name="source", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    return box["value"]


class Tracer:
    """Runs lookups in one workspace; holds the registry and model across lookups."""

    #: What ends a lookup ``failed``: anything, Ctrl-C included (a batch keeps an
    #: interrupted lookup open instead, for ``batch resume`` to finish).
    FAILS_ON: tuple[type[BaseException], ...] = (Exception, KeyboardInterrupt)

    def __init__(self, workspace, *, registry: SourceRegistry | None = None,
                 model: MatchModel | None = None, gate: Gate | None = None,
                 contact_model: ContactModel | None = None):
        self.ws = workspace
        self.audit = AuditTrail(workspace)
        self.gate = gate or Gate(workspace)
        # Sources are discovered (their plugin modules imported) at the first lookup.
        self._registry = registry
        # The models are read (and the match model trained, on a large workspace that
        # has none) at the first lookup, not here: constructing a Tracer stays cheap.
        self._model = model
        self._contact_model = contact_model
        #: Store each lookup's identity graph for `tracer graph` (batches switch it off).
        self.persist_graphs = True
        #: ``(lookup_id, source) -> (records, error, elapsed_ms)`` a batch asked for several
        #: lookups at once (:meth:`BatchTracer.ask_together`), used instead of asking again.
        self.answered: dict[tuple[str, str], tuple[list, str | None, float]] = {}

    @property
    def registry(self) -> SourceRegistry:
        """The workspace's sources, loaded on first use."""
        if self._registry is None:
            ws = self.ws
            self._registry = SourceRegistry(
                RecordStore(ws), cache_dir=ws.path.with_name(ws.path.name + ".cache"))
        return self._registry

    @registry.setter
    def registry(self, value: SourceRegistry) -> None:
        self._registry = value

    @property
    def model(self) -> MatchModel:
        """The workspace's match model, loaded (or trained) on first use."""
        if self._model is None:
            from .matching.model_store import workspace_model
            self._model = workspace_model(self.ws)
        return self._model

    @model.setter
    def model(self, value: MatchModel) -> None:
        self._model = value

    @property
    def contact_model(self) -> ContactModel:
        """The workspace's contact model, loaded on first use."""
        if self._contact_model is None:
            self._contact_model = workspace_contact_model(self.ws)
        return self._contact_model

    @contact_model.setter
    def contact_model(self, value: ContactModel) -> None:
        self._contact_model = value

    def trace(self, account_id: str, *, user_id: str | None, purpose: str, reason: str,
              as_of: date | None = None, judgment_ref: str | None = None,
              batch_id: str | None = None) -> LookupResult:
        as_of = as_of or date.today()
        request = LookupRequest(account_id, user_id, purpose, reason, as_of.isoformat(),
                                judgment_ref, batch_id)
        lookup_id, decision = self.gate.open_lookup(request, self.registry.infos())
        result = LookupResult(lookup_id, account_id, decision, as_of.isoformat())
        log.info("lookup %s of %s by %s: %s (%s)", lookup_id, account_id, user_id,
                 decision.outcome, ", ".join(r.code for r in decision.reasons))
        if not decision.allowed:
            return result
        self._complete(result, as_of, user_id)
        return result

    def _complete(self, result: LookupResult, as_of: date, user_id: str | None) -> None:
        """Sources, matching, ranking, stored results: whatever fails in there, the
        lookup ends ``failed`` with its audit entry, never left ``decided``."""
        try:
            account = self._account(result.account_id)
            rows = self._gather(result, account, user_id)
            self._match_and_rank(result, account, rows, as_of, user_id)
            result.consent = contact_consents(self.ws, result.account_id, result.contacts)
        except self.FAILS_ON as exc:
            if self.ws.in_transaction:           # nothing half-written is kept
                self.ws.rollback()
            self._fail(result, exc, user_id)
            if not isinstance(exc, Exception):   # Ctrl-C: recorded, then still an interrupt
                raise
            raise LookupFailed(result.lookup_id,
                               f"lookup {result.lookup_id} of {result.account_id} failed "
                               f"({failure_text(exc)}); it is recorded as failed in the "
                               "audit trail") from exc

    def _fail(self, result: LookupResult, exc: BaseException, user_id: str | None) -> None:
        log.error("lookup %s failed: %s", result.lookup_id, failure_text(exc))
        log.debug("lookup %s failure", result.lookup_id, exc_info=exc)
        with self.ws.unit_of_work(write=True) as uow:
            uow.lookups.finish(result.lookup_id, "failed", completed_at=now_iso())
            self.audit.append("lookup_failed", {"error": failure_text(exc)}, actor=user_id,
                              account_id=result.account_id, lookup_id=result.lookup_id)

    def _gather(self, result: LookupResult, account: dict[str, Any],
                user_id: str | None) -> list[dict[str, Any]]:
        """Ask every source the decision allows; returns their records as dicts."""
        rows: list[dict[str, Any]] = []
        for name in result.decision.allowed_sources:
            if self.registry.adapter(name) is None:  # e.g. disabled since the decision
                outcome = SourceOutcome(name, (), error="source not available")
                self.audit.append("source_error", {"source": name, "error": outcome.error,
                                                   "elapsed_ms": 0.0},
                                  actor=user_id, account_id=account["account_id"],
                                  lookup_id=result.lookup_id)
            else:
                outcome, found = self._ask(name, result.decision.source_fields[name],
                                           account, result.lookup_id, user_id)
                rows.extend(found)
            result.sources.append(outcome)
        return rows

    def _account(self, account_id: str) -> dict[str, Any]:
        with self.ws.unit_of_work() as uow:
            account = uow.accounts.get(account_id)
        return self.ws.dob_seal.open_row(account.to_dict())

    def _ask(self, name: str, fields: tuple[str, ...], account: dict[str, Any],
             lookup_id: str, user_id: str | None):
        adapter = self.registry.adapter(name)
        query = _query_for(account, fields)
        outcome = SourceOutcome(name, tuple(sorted(query)))
        answered = self.answered.pop((lookup_id, name), None)
        if answered is not None:          # asked with the batch's other lookups, at once
            records, outcome.error, outcome.elapsed_ms = answered
        else:
            self.note_query(name, query, account["account_id"], lookup_id, user_id)
            timeout = float(adapter.context.settings.get("timeout", DEFAULT_TIMEOUT))
            started = time.perf_counter()
            try:
                records = _call_with_timeout(lambda: list(adapter.search(query)), timeout)
            except TimeoutError:
                outcome.error = f"timed out after {timeout:g} s"
                records = []
            except Exception as exc:  # a failing source never sinks the others
                outcome.error = f"{type(exc).__name__}: {exc}"[:300]
                records = []
            outcome.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("source %s: %s in %.0f ms (fields %s)", name,
                 outcome.error or f"{len(records)} records", outcome.elapsed_ms,
                 ",".join(outcome.fields))
        rows = [r.to_dict() for r in records]  # once: hashed, counted and matched
        # A record holding a full SSN or DOB outside its columns (a source's, or one
        # stored before the import checked every field) is dropped, never matched on,
        # audited or shown: one poisoned row must not sink the lookup.
        refused = [i for i, row in enumerate(rows) if record_problem(row)]
        if refused:
            keep = [i for i in range(len(rows)) if i not in set(refused)]
            rows, records = [rows[i] for i in keep], [records[i] for i in keep]
        if outcome.error:
            outcome.error = mask_text(outcome.error)
            self.audit.append("source_error", {
                "source": name, "error": outcome.error, "elapsed_ms": outcome.elapsed_ms,
            }, actor=user_id, account_id=account["account_id"], lookup_id=lookup_id)
        else:
            outcome.count = len(records)
            payload = {
                "source": name, "count": len(records), "records_sha256": _hash_rows(rows),
                "elapsed_ms": outcome.elapsed_ms,
                "record_keys": [r.key for r in records][:1000],
                # which declared fields actually came back, for `tracer sources health`
                "field_coverage": _field_coverage(rows),
            }
            if refused:
                payload["refused"] = {"count": len(refused), "reason": "a full SSN or date "
                                      "of birth outside its columns"}
            meta = getattr(adapter, "last_call_meta", None)
            if meta:  # billable pages, cache hits, HTTP statuses: what the call cost
                payload["meta"] = dict(meta)
            self.audit.append("source_result", payload, actor=user_id,
                              account_id=account["account_id"], lookup_id=lookup_id)
        return outcome, rows

    def note_query(self, name: str, query: dict[str, Any], account_id: str, lookup_id: str,
                   user_id: str | None) -> None:
        """The ``source_query`` entry, written before the source is asked."""
        self.audit.append("source_query", {
            "source": name, "fields": sorted(query),
            "query_sha256": hashlib.sha256(canonical_json(query).encode()).hexdigest(),
        }, actor=user_id, account_id=account_id, lookup_id=lookup_id)

    def _match_and_rank(self, result: LookupResult, account: dict[str, Any], rows,
                        as_of: date, user_id: str | None) -> None:
        ranked = match_and_rank(
            account, rows, as_of=as_of, model=self.model, contact_model=self.contact_model,
            outcomes=lambda values: outcomes_for(self.ws, values),
            same_debtor=lambda debtor, ids: same_debtor_accounts(self.ws, debtor, ids),
            kinds=result.decision.allowed_kinds, rejected=self._rejected(account["account_id"]))
        outcome, contacts, min_conf = ranked.matching, ranked.contacts, ranked.min_identity_confidence
        if self.persist_graphs:  # batches rebuild graphs on demand from the audit instead
            persist_graph(self.ws, result.lookup_id, ranked.account, outcome, self.model)
        log.debug("lookup %s: %d records, %d pairs scored, %d identities", result.lookup_id,
                  len(ranked.records), outcome.pairs_scored, len(outcome.identities))
        result.identities = [
            CandidateIdentity(i.identity_id, tuple(f.key for f in i.members),
                              round(i.confidence, 4), (i.evidence,),
                              tuple(sorted({(f.event, f.event_date.isoformat() if f.event_date else None)
                                            for f in i.members if f.event})))
            for i in outcome.identities if i.confidence >= min_conf]
        result.withheld = self._scrub(result, account, user_id)
        if result.withheld:
            contacts = []
        result.contacts = contacts
        best = max((c.confidence for c in contacts), default=0.0)
        if not result.note:  # a scrub warning outranks the quality notes
            if not contacts and not result.withheld:
                result.note = "nothing found: no record matched the account well enough"
            elif contacts and best < USABLE:
                result.note = (f"nothing current found: every contact point has low "
                               f"confidence (best {best:.2f})")
        self._store(result, user_id)

    def _rejected(self, account_id: str) -> set[tuple[str, str]]:
        with self.ws.unit_of_work() as uow:
            return uow.lookups.rejected(account_id)

    def _scrub(self, result: LookupResult, account: dict[str, Any], user_id) -> list[str]:
        """Deceased or bankruptcy events on a matched identity withhold the contacts;
        on a weaker match they flag the account for review and warn, nothing more.

        FORMATS.md carries no account-opened date, so every such event counts (the
        conservative reading of "dated after the account was opened or unknown")."""
        policy = self.gate.policy
        estate = "deceased" in (account.get("flags") or "").split(";")
        withheld, possible = [], []
        for ident in result.identities:
            if ident.confidence < policy.scrub_review_min_identity_confidence:
                continue
            sure = ident.confidence >= policy.scrub_min_identity_confidence
            # A record delivered again keeps the events of its earlier versions.
            events = sorted(set(ident.events) | self._earlier_events(ident.record_keys),
                            key=lambda e: (e[0], e[1] or ""))
            for event, when in events:
                if event not in policy.scrub_events:
                    continue
                if event == "deceased" and estate:
                    continue  # locating the estate's representative expects this
                text = (f"{event} {when or 'undated'} on identity {ident.identity_id} "
                        f"({ident.confidence:.2f})")
                (withheld if sure else possible).append(text)
        if withheld or possible:
            action = ("contacts withheld; account flagged for review" if withheld
                      else "possible match: account flagged for review; contacts kept")
            with self.ws.unit_of_work(write=True):
                record_change(self.ws, account["account_id"],
                              {"review_reason": "; ".join(withheld or possible)},
                              actor=user_id, action="scrub", reason=action,
                              lookup_id=result.lookup_id)
                self.audit.append("scrub", {"events": withheld or possible, "action": action},
                                  actor=user_id, account_id=account["account_id"],
                                  lookup_id=result.lookup_id)
        if possible and not withheld:
            result.note = ("review before contact: possible " + "; ".join(possible)).strip()
        return withheld

    def _earlier_events(self, record_keys) -> set:
        with self.ws.unit_of_work() as uow:
            return uow.records.earlier_events(record_keys)

    def _store(self, result: LookupResult, user_id: str | None) -> None:
        with self.ws.unit_of_work(write=True) as uow:
            uow.lookups.add_results([{
                "lookup_id": result.lookup_id, "account_id": result.account_id,
                "kind": c.kind, "rank": c.rank, "value": c.value, "confidence": c.confidence,
                "identity_confidence": c.identity_confidence, "sources": ";".join(c.sources),
                "first_seen": c.first_seen, "last_seen": c.last_seen,
                "explanation": c.explanation,
                "detail": canonical_json({"waterfall": c.waterfall,
                                          "record_keys": c.record_keys,
                                          "evidence": dict(c.evidence)}),
                "phone_type": c.phone_type, "value_key": c.value_key}
                for c in result.contacts])
            self.audit.append("candidates_ranked", {
                "identities": [{"id": i.identity_id, "confidence": i.confidence,
                                "records": len(i.record_keys)} for i in result.identities],
                "contacts": [{"ref": c.ref, "kind": c.kind, "confidence": c.confidence,
                              "sources": list(c.sources), "value_sha256":
                                  hashlib.sha256(c.value.encode()).hexdigest()}
                             for c in result.contacts],
                "withheld": result.withheld, "note": result.note,
                # what scored them, so a score can be reproduced during an audit
                "models": {"match": self.model.version, "contact": self.contact_model.version},
            }, actor=user_id, account_id=result.account_id, lookup_id=result.lookup_id)
            uow.lookups.finish(result.lookup_id,
                               "withheld" if result.withheld else "completed",
                               completed_at=now_iso())

    def close(self) -> None:
        """Nothing to release today; kept so callers need not change when sources pool."""
