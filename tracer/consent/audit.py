"""The append-only, hash-chained audit trail.

Each entry's hash is SHA-256 over the previous hash and the canonical JSON of the
entry's header (sequence, time, event, actor, account, lookup) and the SHA-256 of its
payload.  Chaining over the payload's *hash* rather than the payload itself lets a
retention purge redact personal data while every hash, and so ``verify``, stays intact.
SQLite triggers (see ``workspace.MIGRATIONS``) refuse UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from ..errors import AuditIntegrityError
from ..privacy import assert_no_sensitive

GENESIS = "0" * 64

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
}


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str, header: dict[str, Any], payload_sha256: str) -> str:
    body = canonical_json({**header, "payload_sha256": payload_sha256})
    return sha256_hex(prev_hash + body)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


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

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "event": self.event, "actor": self.actor,
                "account_id": self.account_id, "lookup_id": self.lookup_id,
                "payload": self.payload, "hash": self.hash}


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
        with self.ws.transaction() as conn:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            ts = now_iso()
            header = {"seq": seq, "ts": ts, "event": event, "actor": actor,
                      "account_id": account_id, "lookup_id": lookup_id}
            payload_sha = sha256_hex(text)
            digest = entry_hash(prev, header, payload_sha)
            conn.execute(
                "INSERT INTO audit (seq, ts, event, actor, account_id, lookup_id, payload,"
                " payload_sha256, redacted, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,0,?,?)",
                (seq, ts, event, actor, account_id, lookup_id, text, payload_sha, prev, digest))
        return AuditEntry(seq, ts, event, actor, account_id, lookup_id, payload, digest)

    def entries(self, *, lookup_id: str | None = None, account_id: str | None = None,
                event: str | None = None) -> Iterator[AuditEntry]:
        where, params = [], []
        for col, val in (("lookup_id", lookup_id), ("account_id", account_id), ("event", event)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        sql = "SELECT seq, ts, event, actor, account_id, lookup_id, payload, hash FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq"
        for row in self.ws.conn.execute(sql, params):
            yield AuditEntry(row[0], row[1], row[2], row[3], row[4], row[5],
                             json.loads(row[6]), row[7])

    def head(self) -> tuple[int, str]:
        row = self.ws.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    # -- verification -----------------------------------------------------------------
    def verify(self) -> int:
        """Recompute the chain; returns the number of entries checked.

        Raises :class:`AuditIntegrityError` naming the first entry that was edited,
        inserted, reordered, or that follows a deleted one.
        """
        prev_hash, expected_seq, count = GENESIS, 1, 0
        rows = self.ws.conn.execute(
            "SELECT seq, ts, event, actor, account_id, lookup_id, payload, payload_sha256,"
            " redacted, prev_hash, hash FROM audit ORDER BY rowid")
        for (seq, ts, event, actor, account_id, lookup_id, payload, payload_sha,
             redacted, stored_prev, stored_hash) in rows:
            if seq != expected_seq:
                what = "missing (deleted)" if seq > expected_seq else "out of order or duplicated"
                raise AuditIntegrityError(
                    seq, f"audit entry {expected_seq} is {what}: found entry {seq} in its place")
            if stored_prev != prev_hash:
                raise AuditIntegrityError(
                    seq, f"audit entry {seq} does not follow entry {seq - 1}: chain broken "
                         "(an entry was deleted, inserted or reordered)")
            if not redacted and sha256_hex(payload) != payload_sha:
                raise AuditIntegrityError(seq, f"audit entry {seq} payload was edited")
            header = {"seq": seq, "ts": ts, "event": event, "actor": actor,
                      "account_id": account_id, "lookup_id": lookup_id}
            if entry_hash(prev_hash, header, payload_sha) != stored_hash:
                raise AuditIntegrityError(seq, f"audit entry {seq} was edited (hash mismatch)")
            prev_hash, expected_seq, count = stored_hash, expected_seq + 1, count + 1
        return count

    def verify_complete(self) -> None:
        """Every lookup in the working tables has its decision in the trail.

        The gate writes both in one transaction, so a lookup the trail does not know
        means entries were lost: a trail emptied, replaced or cut short, which an intact
        but shorter chain cannot show by itself.
        """
        missing, first = self.ws.conn.execute(
            "SELECT count(*), min(lookup_id) FROM lookups l WHERE NOT EXISTS (SELECT 1"
            " FROM audit a WHERE a.lookup_id = l.lookup_id AND a.event = 'decision')"
        ).fetchone()
        if missing:
            raise AuditIntegrityError(
                None, f"the audit trail has lost entries: {missing} lookups (such as "
                      f"{first}) have no decision entry")

    # -- checkpoints --------------------------------------------------------------------
    def checkpoint(self) -> dict[str, Any]:
        """A signed statement of the head: keep it outside the workspace to detect
        truncation of the tail later."""
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
        row = self.ws.conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            last, _ = self.head()
            raise AuditIntegrityError(
                last + 1, f"audit tail truncated: checkpoint names entry {seq}, "
                          f"the trail ends at entry {last}")
        if row[0] != head:
            raise AuditIntegrityError(seq, f"audit entry {seq} differs from the checkpoint")
