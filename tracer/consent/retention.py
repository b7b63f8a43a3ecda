"""Retention: redact personal data from the audit entries of long-inactive accounts.

Regulation F (12 CFR 1006.100) requires keeping records of collection activity for three
years after the last activity.  After that, a purge replaces the payloads of an inactive
account's entries with their redacted form (:func:`~tracer.audit.trail.redact_payload`),
the one whose hash each entry committed to when it was written, so ``audit verify`` still
passes; the purge's own ``redaction`` entry names the entries it covers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from ..errors import InputError
from ..audit.chain import RETENTION_YEARS, years_before  # noqa: F401
from ..audit.trail import KEPT_KEYS, AuditTrail, canonical_json, redact_payload, seq_ranges  # noqa: F401



@dataclass
class PurgeReport:
    before: str
    accounts: list[str] = field(default_factory=list)
    entries: int = 0
    dry_run: bool = True

    def to_dict(self) -> dict:
        return {"before": self.before, "accounts": len(self.accounts),
                "entries": self.entries, "dry_run": self.dry_run}


def purge(ws, before: date, *, dry_run: bool, actor: str, today: date | None = None) -> PurgeReport:
    today = today or date.today()
    limit = years_before(today, RETENTION_YEARS)
    if before > limit:
        raise InputError(f"--before {before.isoformat()} is within the {RETENTION_YEARS}-year "
                         f"retention period (12 CFR 1006.100); use {limit.isoformat()} or earlier")
    cutoff = before.isoformat()
    with ws.unit_of_work() as uow:
        accounts = uow.audit.inactive_accounts(cutoff)
        rows = uow.audit.unredacted_of(accounts) if accounts else []
    report = PurgeReport(cutoff, accounts, dry_run=dry_run)
    if not accounts:
        return report
    report.entries = len(rows)
    if dry_run:
        return report
    with ws.unit_of_work(write=True) as uow:
        for seq, payload in rows:
            uow.audit.redact(seq, canonical_json(redact_payload(json.loads(payload))))
        uow.lookups.redact_accounts(accounts)
        AuditTrail(ws).append("redaction", {"before": cutoff, "accounts": len(accounts),
                                            "entries": report.entries,
                                            # what verify checks each redacted entry against
                                            "seqs": seq_ranges(seq for seq, _ in rows),
                                            "rule": "12 CFR 1006.100: 3 years after last activity"},
                              actor=actor)
    return report
