"""The append-only, hash-chained audit trail.

Each entry's hash is SHA-256 over the previous hash and the canonical JSON of the
entry's header (sequence, time, event, actor, how the actor was identified, account,
lookup), the SHA-256 of its payload and the SHA-256 of the payload's *redacted form*
(:func:`redact_payload`).  Chaining over hashes rather than the payload itself lets a
retention purge redact personal data while every hash stays intact; committing to the
redacted form up front means a redaction can only ever put that form in the payload's
place (``verify`` checks it, and that a ``redaction`` entry past the retention period
covers it).  The store's triggers (``tracer.store.sqlite.migrations``) refuse any other UPDATE and
every DELETE.

The chain is unkeyed: whoever can write the file can recompute it.  What catches such a
rewrite is a checkpoint signed by a key held elsewhere (:mod:`tracer.audit.checkpoints`);
docs/audit.md states the threat model.  Entries written before schema 8 are ``chain``
1 (no actor_auth, no redacted form in the hash) and verify as they always did.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from .chain import (ACTOR_AUTH, CHAIN, GENESIS, KEPT_KEYS, RETENTION_YEARS,  # noqa: F401
                    canonical_json, entry_hash, now_iso, redact_payload, redacted_sha256,
                    seq_ranges, sha256_hex, years_before)
from ..errors import AuditIntegrityError
from ..privacy import assert_no_sensitive, refuse_sensitive_value

#: Every event type written to the trail, with what it records.
EVENT_TYPES = {
    "workspace_initialized": "a workspace was created",
    "user_added": "a user was created or changed role",
    "accounts_imported": "a portfolio file was imported (counts, file hash)",
    "records_imported": "a record extract was imported (source, counts, file hash)",
    "outcomes_imported": "a contact outcomes file was imported (counts by outcome, file hash)",
    "model_trained": "the match model was trained on the workspace's records (version, size)",
    "model_calibrated": "the contact model was fitted to the workspace's outcomes (version, "
                        "examples, held-out calibration error)",
    "lookup_requested": "who asked to trace which account, under which purpose and why",
    "decision": "the gate's outcome, reasons, citations and policy version",
    "source_query": "one source was asked: which fields were sent (names, not values)",
    "source_result": "what one source returned: record count and a hash of the records",
    "source_error": "one source failed; the others went on",
    "candidates_ranked": "identities and ranked contact points a lookup produced",
    "lookup_failed": "a lookup failed after its decision: what failed (masked); it ends failed",
    "scrub": "a deceased or bankruptcy event withheld results",
    "attachment": "a contact point was written onto an account",
    "judgement": "a collector accepted or rejected a candidate",
    "export": "contacts or audit entries left the workspace",
    "review_finding": "a reviewer's finding on a lookup",
    "redaction": "a purge redacted personal data from old entries",
    "batch_started": "a supervisor started a batch: its purpose, justification, selection and size",
    "batch_resumed": "an interrupted batch was resumed: what was left and which lookups re-ran",
    "batch_finished": "a batch finished: traced, located, nothing found, denied by reason, errors",
    "account_created": "an import created an account: each field set (DOB by year, SSN by last 4)",
    "account_changed": "an account changed: each field before and after, who, why, through what",
    "access_denied": "the authorization policy refused an action: action, reasons, settings",
    "settings_changed": "a command ran under other policy, purposes or sources settings: old and new digests",
    "consent_recorded": "consent for a channel was granted or revoked",
    "password_set": "a user's sign-in password was set (its hash is never in the trail)",
    "signed_in": "a user proved their password to the team server (from which address)",
    "sign_in_refused": "a sign-in was refused: wrong password, unknown user or lockout",
    "signed_out": "a user ended their web session",
    "api_token_created": "a user made an API token for scripts (its id and label)",
    "api_token_revoked": "a user revoked one of their API tokens",
}


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    event: str
    actor: str | None
    account_id: str | None
    lookup_id: str | None
    payload: dict[str, Any]
    hash: str
    actor_auth: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "event": self.event, "actor": self.actor,
                "actor_auth": self.actor_auth, "account_id": self.account_id,
                "lookup_id": self.lookup_id, "payload": self.payload, "hash": self.hash}


def _check_redacted_form(seq: int, payload: str, chain: int, committed: str | None) -> None:
    """A redacted payload must be the redacted form committed when it was written (chain
    2: its hash is in the entry's hash), never any other text."""
    actual = sha256_hex(payload)
    if chain >= 2 or committed is not None:
        if actual != committed:
            raise AuditIntegrityError(
                seq, f"audit entry {seq} was rewritten: its redacted payload is not the "
                     "redacted form of the original")
        return
    try:                                 # chain 1, redacted before schema 8: shape only
        data = json.loads(payload)
    except ValueError:
        data = None
    allowed = {"redacted", "reason_codes", *KEPT_KEYS}
    if not (isinstance(data, dict) and data.get("redacted") is True and set(data) <= allowed):
        raise AuditIntegrityError(
            seq, f"audit entry {seq} was rewritten: its redacted payload is not a redacted form")


def _check_redaction_covered(seq: int, ts: str, redactions: list[tuple[int, str, dict]]) -> None:
    """A later ``redaction`` entry names this entry (or, before schema 8, its cut-off), and
    the entry was older than the cut-off, itself past the retention period then."""
    for r_seq, r_ts, r_payload in redactions:
        if r_seq <= seq:
            continue
        ranges = r_payload.get("seqs")
        if ranges is not None and not any(a <= seq <= b for a, b in ranges):
            continue
        before = str(r_payload.get("before", ""))
        try:
            limit = years_before(datetime.fromisoformat(r_ts).date(), RETENTION_YEARS)
        except ValueError:
            continue
        if ts[:10] < before <= limit.isoformat():
            return
        raise AuditIntegrityError(
            seq, f"audit entry {seq} was redacted by entry {r_seq} before its "
                 f"{RETENTION_YEARS}-year retention period ended")
    raise AuditIntegrityError(
        seq, f"audit entry {seq} is redacted, but no redaction entry covers it")


class AuditTrail:
    """Append and read the audit table of one workspace."""

    def __init__(self, workspace):
        self.ws = workspace

    def append(self, event: str, payload: dict[str, Any], *, actor: str | None,
               account_id: str | None = None, lookup_id: str | None = None) -> AuditEntry:
        """Append one entry.  Runs inside the caller's transaction if there is one,
        else in its own, which is committed (durable) before this returns."""
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown audit event {event!r}")
        text = canonical_json(payload)
        assert_no_sensitive(text, where=f"audit payload ({event})")
        # The header is permanent too: an id that holds an SSN or a DOB never gets in.
        refuse_sensitive_value(actor, "the user id")
        refuse_sensitive_value(account_id, "the account id")
        assert_no_sensitive(lookup_id or "", where="the audit's lookup id")
        auth = getattr(self.ws, "actor_auth", "claimed") if actor else "none"
        if auth not in ACTOR_AUTH:
            raise ValueError(f"unknown actor_auth {auth!r}")
        with self.ws.unit_of_work(write=True) as uow:
            head = uow.audit.head()
            seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
            ts = now_iso()
            header = {"seq": seq, "ts": ts, "event": event, "actor": actor,
                      "actor_auth": auth, "account_id": account_id, "lookup_id": lookup_id}
            payload_sha, redacted_sha = sha256_hex(text), redacted_sha256(text)
            digest = entry_hash(prev, header, payload_sha, redacted_sha, CHAIN)
            uow.audit.insert({**header, "payload": text, "payload_sha256": payload_sha,
                              "prev_hash": prev, "hash": digest, "chain": CHAIN,
                              "redacted_sha256": redacted_sha})
        return AuditEntry(seq, ts, event, actor, account_id, lookup_id, payload, digest, auth)

    def entries(self, *, lookup_id: str | None = None, account_id: str | None = None,
                event: str | None = None) -> Iterator[AuditEntry]:
        with self.ws.unit_of_work() as uow:
            rows = uow.audit.entries(lookup_id=lookup_id, account_id=account_id, event=event)
            for row in rows:
                yield AuditEntry(row[0], row[1], row[2], row[3], row[4], row[5],
                                 json.loads(row[6]), row[7], row[8])

    def head(self) -> tuple[int, str]:
        with self.ws.unit_of_work() as uow:
            return uow.audit.head() or (0, GENESIS)

    # -- verification -----------------------------------------------------------------
    def verify(self) -> int:
        """Recompute the chain; returns the number of entries checked.

        Raises :class:`AuditIntegrityError` naming the first entry that was edited,
        inserted, reordered, that follows a deleted one, or whose redaction is not its
        committed redacted form under a ``redaction`` entry past the retention period.
        """
        prev_hash, expected_seq, count, newest_chain = GENESIS, 1, 0, 1
        redacted: list[tuple[int, str]] = []
        redactions: list[tuple[int, str, dict]] = []
        with self.ws.unit_of_work() as uow:
            rows = uow.audit.chain_rows()        # a cursor: streamed, never all in memory
        for (seq, ts, event, actor, account_id, lookup_id, payload, payload_sha,
             is_redacted, stored_prev, stored_hash, chain, auth, redacted_sha) in rows:
            if seq != expected_seq:
                what = "missing (deleted)" if seq > expected_seq else "out of order or duplicated"
                raise AuditIntegrityError(
                    seq, f"audit entry {expected_seq} is {what}: found entry {seq} in its place")
            if stored_prev != prev_hash:
                raise AuditIntegrityError(
                    seq, f"audit entry {seq} does not follow entry {seq - 1}: chain broken "
                         "(an entry was deleted, inserted or reordered)")
            if chain not in (1, CHAIN) or chain < newest_chain:
                raise AuditIntegrityError(
                    seq, f"audit entry {seq} was edited (chain format {chain!r} after "
                         f"{newest_chain})")
            newest_chain = chain
            if not is_redacted and sha256_hex(payload) != payload_sha:
                raise AuditIntegrityError(seq, f"audit entry {seq} payload was edited")
            if is_redacted:
                _check_redacted_form(seq, payload, chain, redacted_sha)
                redacted.append((seq, ts))
            header = {"seq": seq, "ts": ts, "event": event, "actor": actor,
                      "actor_auth": auth, "account_id": account_id, "lookup_id": lookup_id}
            if entry_hash(prev_hash, header, payload_sha, redacted_sha, chain) != stored_hash:
                raise AuditIntegrityError(seq, f"audit entry {seq} was edited (hash mismatch)")
            if event == "redaction" and not is_redacted:
                redactions.append((seq, ts, json.loads(payload)))
            prev_hash, expected_seq, count = stored_hash, expected_seq + 1, count + 1
        for seq, ts in redacted:
            _check_redaction_covered(seq, ts, redactions)
        return count

    def verify_complete(self) -> None:
        """Every lookup in the working tables has its decision in the trail.

        The gate writes both in one transaction, so a lookup the trail does not know
        means entries were lost: a trail emptied, replaced or cut short, which an intact
        but shorter chain cannot show by itself.
        """
        with self.ws.unit_of_work() as uow:
            missing, first = uow.audit.lookups_without_decision()
        if missing:
            raise AuditIntegrityError(
                None, f"the audit trail has lost entries: {missing} lookups (such as "
                      f"{first}) have no decision entry")

    # -- checkpoints --------------------------------------------------------------------
    def checkpoint(self) -> dict[str, Any]:
        """The legacy checkpoint: the head, an HMAC under the workspace secret.  It
        catches a truncated tail; a writer who can also read ``<db>.key`` can forge it
        (use :mod:`tracer.consent.checkpoints` for a key held elsewhere)."""
        seq, head = self.head()
        body = {"seq": seq, "hash": head, "ts": now_iso()}
        body["signature"] = self._sign(body)
        return body

    def _sign(self, body: dict[str, Any]) -> str:
        msg = canonical_json({k: body[k] for k in ("seq", "hash", "ts")})
        return self.ws.keyed_hash(msg, purpose="audit-checkpoint")

    def verify_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        try:
            seq, head, signature = int(checkpoint["seq"]), checkpoint["hash"], checkpoint["signature"]
        except (KeyError, TypeError, ValueError) as exc:
            raise AuditIntegrityError(None, f"checkpoint is malformed: {exc}") from exc
        if not hmac.compare_digest(self._sign(checkpoint), signature):
            raise AuditIntegrityError(None, "checkpoint signature does not match this workspace")
        self.check_head(seq, head)

    def check_head(self, seq: int, head: str) -> None:
        """The trail still holds entry ``seq`` with hash ``head`` (a checkpoint's claim)."""
        with self.ws.unit_of_work() as uow:
            stored = uow.audit.hash_at(seq)
        if stored is None:
            last, _ = self.head()
            raise AuditIntegrityError(
                last + 1, f"audit tail truncated: checkpoint names entry {seq}, "
                          f"the trail ends at entry {last}")
        if stored != head:
            raise AuditIntegrityError(seq, f"audit entry {seq} differs from the checkpoint")
