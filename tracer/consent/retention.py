"""Retention: redact personal data from the audit entries of long-inactive accounts.

Regulation F (12 CFR 1006.100) requires keeping records of collection activity for three
years after the last activity.  After that, a purge replaces the payloads of an inactive
account's entries with their non-personal facts.  Each entry's hash chains over the
payload's SHA-256, which is kept, so ``audit verify`` still passes; the purge itself is
audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from ..errors import InputError
from .audit import AuditTrail, canonical_json

RETENTION_YEARS = 3
#: Payload keys that carry no personal data and stay readable after redaction.
KEPT_KEYS = ("outcome", "policy_version", "source", "count", "elapsed_ms", "records_sha256",
             "query_sha256", "fields", "purpose", "finding", "verdict", "kind",
             "attachment_id", "flags", "allowed_sources", "allowed_kinds", "batch_id")


@dataclass
class PurgeReport:
    before: str
    accounts: list[str] = field(default_factory=list)
    entries: int = 0
    dry_run: bool = True

    def to_dict(self) -> dict:
        return {"before": self.before, "accounts": len(self.accounts),
                "entries": self.entries, "dry_run": self.dry_run}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def redact_payload(payload: dict) -> dict:
    kept = {k: payload[k] for k in KEPT_KEYS if k in payload}
    if "reasons" in payload:
        kept["reason_codes"] = [r.get("code") for r in payload["reasons"] if isinstance(r, dict)]
    return {"redacted": True, **kept}


def purge(ws, before: date, *, dry_run: bool, actor: str, today: date | None = None) -> PurgeReport:
    today = today or date.today()
    limit = _years_before(today, RETENTION_YEARS)
    if before > limit:
        raise InputError(f"--before {before.isoformat()} is within the {RETENTION_YEARS}-year "
                         f"retention period (12 CFR 1006.100); use {limit.isoformat()} or earlier")
    cutoff = before.isoformat()
    accounts = [row[0] for row in ws.conn.execute(
        """SELECT a.account_id FROM audit a LEFT JOIN accounts acc ON acc.account_id = a.account_id
           WHERE a.account_id IS NOT NULL AND a.event != 'redaction'
           GROUP BY a.account_id
           HAVING max(a.ts) < ? AND (max(acc.last_activity) IS NULL OR max(acc.last_activity) < ?)
           ORDER BY a.account_id""", (cutoff, cutoff))]
    report = PurgeReport(cutoff, accounts, dry_run=dry_run)
    if not accounts:
        return report
    marks = ",".join("?" * len(accounts))
    rows = ws.conn.execute(
        f"SELECT seq, payload FROM audit WHERE redacted = 0 AND account_id IN ({marks})",
        accounts).fetchall()
    report.entries = len(rows)
    if dry_run:
        return report
    with ws.transaction() as conn:
        for seq, payload in rows:
            conn.execute("UPDATE audit SET payload = ?, redacted = 1 WHERE seq = ?",
                         (canonical_json(redact_payload(json.loads(payload))), seq))
        conn.execute(f"UPDATE lookups SET reason = '[redacted]' WHERE account_id IN ({marks})",
                     accounts)
        conn.execute(f"DELETE FROM contact_results WHERE account_id IN ({marks})", accounts)
        conn.execute(f"UPDATE judgements SET value = '[redacted]', note = NULL"
                     f" WHERE account_id IN ({marks})", accounts)
        AuditTrail(ws).append("redaction", {"before": cutoff, "accounts": len(accounts),
                                            "entries": report.entries,
                                            "rule": "12 CFR 1006.100: 3 years after last activity"},
                              actor=actor)
    return report
