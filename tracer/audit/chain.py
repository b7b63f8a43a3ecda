"""The hash chain's definitions: canonical JSON, entry hashes, the redacted form.

Pure functions, no workspace: the trail (:mod:`.trail`) appends and verifies with them,
the SQLite store registers :func:`redacted_sha256` as a SQL function for migration 8,
and a regulator's own script can recompute a chain from an export with them
(docs/audit.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any

GENESIS = "0" * 64
#: The chain format written today (see the module docstring).
CHAIN = 2
#: How an entry's actor was identified: ``claimed`` by the embedded CLI (--user or
#: $TRACER_USER, checked by nobody), ``password`` or ``token`` by an authenticating
#: server, ``none`` when no actor is named (set-up, system entries).
ACTOR_AUTH = ("claimed", "password", "token", "none")
#: Payload keys that carry no personal data and stay readable after redaction.
KEPT_KEYS = ("outcome", "policy_version", "source", "count", "elapsed_ms", "records_sha256",
             "query_sha256", "fields", "purpose", "finding", "verdict", "kind",
             "attachment_id", "flags", "allowed_sources", "allowed_kinds", "batch_id")

#: Years an inactive account's entries are kept in full before a purge may redact them
#: (12 CFR 1006.100): verify checks a redaction against it.
RETENTION_YEARS = 3


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redact_payload(payload: dict) -> dict:
    """The only form a payload may take after a retention purge: its non-personal facts."""
    kept = {k: payload[k] for k in KEPT_KEYS if k in payload}
    if "reasons" in payload:
        kept["reason_codes"] = [r.get("code") for r in payload["reasons"] if isinstance(r, dict)]
    return {"redacted": True, **kept}


def redacted_sha256(payload_text: str) -> str:
    """SHA-256 of the canonical redacted form of a stored payload (as text)."""
    try:
        payload = json.loads(payload_text)
    except ValueError:
        payload = {}
    return sha256_hex(canonical_json(redact_payload(payload if isinstance(payload, dict) else {})))


def entry_hash(prev_hash: str, header: dict[str, Any], payload_sha256: str,
               redacted: str | None = None, chain: int = 1) -> str:
    """Chain 1 hashes the header and the payload's hash; chain 2 also ``actor_auth`` (in
    ``header``), the redacted form's hash and the chain number (docs/audit.md)."""
    body = {**header, "payload_sha256": payload_sha256}
    if chain >= 2:
        body.update(redacted_sha256=redacted, chain=chain)
    else:
        body.pop("actor_auth", None)
    return sha256_hex(prev_hash + canonical_json(body))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def seq_ranges(seqs) -> list[list[int]]:
    """``[1, 2, 3, 7]`` -> ``[[1, 3], [7, 7]]``: what a redaction entry covers, compactly."""
    out: list[list[int]] = []
    for seq in sorted(seqs):
        if out and seq == out[-1][1] + 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return out
