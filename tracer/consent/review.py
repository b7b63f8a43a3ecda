"""What a compliance reviewer reads: lookups from the audit trail, one lookup's whole
trail, reproducible samples, findings, exports and statistics.

Everything here reads the audit table itself (the tamper-evident record), not the
mutable ``lookups`` working table.
"""

from __future__ import annotations

import csv
import io
import json
import random
import statistics
from collections import Counter, defaultdict
from typing import Any, Iterator

from ..audit.trail import AuditTrail

REVIEWER_ROLES = ("compliance", "supervisor")
FINDINGS = ("ok", "issue")

def list_lookups(ws, *, actor=None, account=None, purpose=None, decision=None, since=None,
                 until=None, batch=None, reviewed: bool | None = None) -> list[dict[str, Any]]:
    """Every lookup (its request and decision entries) matching the filters, oldest first;
    ``reviewed`` True/False keeps those with/without a reviewer's finding."""
    with ws.unit_of_work() as uow:
        found = uow.audit.requested_lookups(actor=actor, account=account, purpose=purpose,
                                            decision=decision, since=since,
                                            before=_day_after(until), batch=batch,
                                            reviewed=reviewed)
    rows = []
    for r in found:
        reasons = [x["code"] for x in json.loads(r["decision"]).get("reasons", [])]
        rows.append({"lookup_id": r["lookup_id"], "ts": r["ts"], "actor": r["actor"],
                     "account_id": r["account_id"], "purpose": r["purpose"],
                     "reason": r["reason"], "decision": r["outcome"],
                     "policy_version": r["policy_version"], "reason_codes": reasons,
                     "redacted": bool(r["redacted"])})
    return rows


def _day_after(day: str | None) -> str | None:
    """``--until 2026-11-24`` includes that whole day."""
    if not day:
        return None
    from datetime import date, timedelta
    try:
        return (date.fromisoformat(day[:10]) + timedelta(days=1)).isoformat()
    except ValueError:
        return day


def lookup_trail(ws, lookup_id: str) -> list[dict[str, Any]]:
    return [e.to_dict() for e in AuditTrail(ws).entries(lookup_id=lookup_id)]


def sample(ws, n: int, seed: int, **filters) -> list[dict[str, Any]]:
    """A reproducible random sample: the same workspace, filters and seed give the same
    lookups, so two reviewers can audit the same draw."""
    rows = list_lookups(ws, **filters)
    rng = random.Random(seed)
    picked = rng.sample(range(len(rows)), min(n, len(rows)))
    return [rows[i] for i in sorted(picked)]


def add_finding(ws, lookup_id: str, finding: str, note: str, *, reviewer: str) -> int:
    with ws.unit_of_work() as uow:
        known = uow.audit.payload_of(lookup_id, "decision") is not None
        account_id = uow.audit.account_of(lookup_id)
    if not known:
        from ..errors import InputError
        raise InputError(f"no lookup {lookup_id} in the audit trail")
    entry = AuditTrail(ws).append("review_finding", {"finding": finding, "note": note},
                                  actor=reviewer, lookup_id=lookup_id,
                                  account_id=account_id)
    return entry.seq


EXPORT_COLUMNS = ("seq", "ts", "event", "actor", "account_id", "lookup_id", "payload",
                  "payload_sha256", "redacted", "prev_hash", "hash", "chain", "actor_auth",
                  "redacted_sha256")


def export_entries(ws, *, lookup_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Entries with everything needed to recompute their hashes (see docs/audit.md)."""
    with ws.unit_of_work() as uow:
        for row in uow.audit.export_rows(lookup_id):
            item = {c: row[c] for c in EXPORT_COLUMNS}
            item["redacted"] = bool(item["redacted"])
            yield item


def export_text(ws, fmt: str, *, lookup_id: str | None = None) -> Iterator[str]:
    entries = export_entries(ws, lookup_id=lookup_id)
    if fmt == "jsonl":
        for item in entries:
            yield json.dumps(item, ensure_ascii=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, EXPORT_COLUMNS)
    writer.writeheader()
    for item in entries:
        writer.writerow(item)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def stats(ws, **filters) -> dict[str, Any]:
    """Lookups and denial rates by user, purpose and reason; users outside the norm."""
    rows = list_lookups(ws, **filters)
    by_user: dict[str, Counter] = defaultdict(Counter)
    by_purpose: dict[str, Counter] = defaultdict(Counter)
    reasons: Counter = Counter()
    for row in rows:
        denied = row["decision"] == "deny"
        for table, key in ((by_user, row["actor"] or "?"), (by_purpose, row["purpose"] or "?")):
            table[key]["lookups"] += 1
            table[key]["denied"] += denied
        if denied:
            reasons.update(row["reason_codes"])

    def summarise(table):
        return {k: {"lookups": c["lookups"], "denied": c["denied"],
                    "denial_rate": round(c["denied"] / c["lookups"], 3)}
                for k, c in sorted(table.items())}

    users = summarise(by_user)
    outliers = _outliers(users)
    for name, info in users.items():
        info["outlier"] = outliers.get(name)
    return {"lookups": len(rows), "denied": sum(r["decision"] == "deny" for r in rows),
            "by_user": users, "by_purpose": summarise(by_purpose),
            "denials_by_reason": dict(reasons.most_common())}


def _outliers(users: dict[str, dict]) -> dict[str, str]:
    """Users whose volume or denial rate stands far from their peers' (median-based, so
    one heavy user cannot hide by raising the mean)."""
    if len(users) < 3:
        return {}
    volumes = [u["lookups"] for u in users.values()]
    rates = [u["denial_rate"] for u in users.values()]
    med_volume, med_rate = statistics.median(volumes), statistics.median(rates)
    mad_rate = statistics.median(abs(r - med_rate) for r in rates) or 0.05
    out = {}
    for name, u in users.items():
        notes = []
        if u["lookups"] > 3 * max(med_volume, 1):
            notes.append(f"{u['lookups']} lookups, over 3x the median {med_volume:g}")
        if u["denial_rate"] - med_rate > 3 * mad_rate and u["denied"] >= 2:
            notes.append(f"denial rate {u['denial_rate']:.0%} vs median {med_rate:.0%}")
        if notes:
            out[name] = "; ".join(notes)
    return out
