"""Retention: redact personal data from the audit entries of long-inactive accounts.

Regulation F (12 CFR 1006.100) requires keeping records of collection activity for three
years after the last activity.  After that, a purge replaces the payloads of an inactive
account's entries with their redacted form (:func:`~tracer.consent.audit.redact_payload`),
the one whose hash each entry committed to when it was written, so ``audit verify`` still
passes; the purge's own ``redaction`` entry names the entries it covers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from ..errors import InputError
from .audit import KEPT_KEYS, AuditTrail, canonical_json, redact_payload, seq_ranges  # noqa: F401

RETENTION_YEARS = 3


@dataclass
class PurgeReport:
    before: str
    accounts: list[str] = field(default_factory=list)
    entries: int = 0
    dry_run: bool = True

    def to_dict(self) -> dict:
        return {"before": self.before, "accounts": len(self.accounts),
                "entries": self.entries, "dry_run": self.dry_run}


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def purge(ws, before: date, *, dry_run: bool, actor: str, today: date | None = None) -> PurgeReport:
    today = today or date.today()
    limit = years_before(today, RETENTION_YEARS)
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
                                            # what verify checks each redacted entry against
                                            "seqs": seq_ranges(seq for seq, _ in rows),
                                            "rule": "12 CFR 1006.100: 3 years after last activity"},
                              actor=actor)
    return report
