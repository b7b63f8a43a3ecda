"""The contacts export (FORMATS.md section 3), streamed from each account's latest lookup.

Cells are neutralized against spreadsheet formula injection as OWASP recommends: a text
cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
single quote, so Excel or LibreOffice shows it as text instead of running it.  An E.164
phone (``+16175550101``: a plus and up to 15 digits, nothing that can call a function)
is left as it is, so the ranked phones stay usable.
"""

from __future__ import annotations

from pathlib import Path

from .audit.trail import AuditTrail
from .consent.authorizer import Authorizer
from .errors import InputError
from .privacy import mask_identifiers, safe_file_name
from .outputs import open_private, safe_csv_writer, spreadsheet_safe  # noqa: F401 (API)

CONTACT_EXPORT_COLUMNS = (
    "account_id", "lookup_id", "kind", "rank", "value", "confidence", "identity_confidence",
    "sources", "first_seen", "last_seen", "explanation",
    # what reaches the person: the line type, what recorded consent says for the value
    # now, and the value's latest outcome on any account ("wrong_party 2024-03-03")
    "phone_type", "consent", "outcomes",
)
#: Cells that carry text from records (not ids, numbers or dates tracer made).
_TEXT_CELLS = frozenset(CONTACT_EXPORT_COLUMNS.index(c)
                        for c in ("account_id", "value", "sources", "explanation"))


def export_contacts(ws, out: Path, *, account_id: str | None = None,
                    batch_id: str | None = None, actor: str | None = None) -> tuple[int, int]:
    """Returns (rows written, accounts covered).  Each account is authorized
    (``export-contacts``) against its state now, under its lookup's purpose: one the
    user may not export (flagged or closed since, another collector's) is left out and
    the denial audited; with ``account_id``, a denial is raised before anything is written."""
    withheld = _withheld(ws, actor, account_id, batch_id)
    rows = accounts = 0
    last_account = None
    try:
        fh = open_private(out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
    with fh:
        writer = safe_csv_writer(fh)
        writer.writerow(CONTACT_EXPORT_COLUMNS)
        consent = _ConsentNow(ws)
        with ws.unit_of_work() as uow:
            found = uow.lookups.export_rows(account_id=account_id, batch_id=batch_id)
        for row in found:
            if row[0] in withheld:
                continue
            row = (*row[:12], consent.of(row[0], row[2], row[4]), row[12])
            # Nothing SSN- or DOB-shaped leaves, even from rows stored before the
            # import checked every field (tracer.privacy).
            writer.writerow([mask_identifiers(c) if i in _TEXT_CELLS and isinstance(c, str)
                             else c for i, c in enumerate(row)])
            rows += 1
            if row[0] != last_account:
                accounts, last_account = accounts + 1, row[0]
    AuditTrail(ws).append("export", {"what": "contacts", "file": safe_file_name(out.name), "rows": rows,
                                     "accounts": accounts, "account_filter": account_id,
                                     "batch_filter": batch_id,
                                     "withheld_accounts": len(withheld)}, actor=actor,
                          account_id=account_id)
    return rows, accounts


class _ConsentNow:
    """What recorded consent says for each exported value, now (consent.consents): one
    query per account that has none, as most have not."""

    def __init__(self, ws):
        self.ws = ws
        self._with_records: dict[str, bool] = {}

    def of(self, account_id: str, kind: str, value: str) -> str:
        from .consent.consents import NO_CONSENT, consent_for
        has = self._with_records.get(account_id)
        if has is None:
            with self.ws.unit_of_work() as uow:
                has = self._with_records[account_id] = uow.consents.any_for(account_id)
        if not has:
            return NO_CONSENT[kind]
        return consent_for(self.ws, account_id, kind, value)


def _withheld(ws, actor: str | None, account_id: str | None, batch_id: str | None
              ) -> set[str]:
    """The accounts among the latest lookups that ``actor`` may not export now."""
    auth = Authorizer(ws)
    auth.require(actor, "export-contacts")             # the role at all, before any file
    with ws.unit_of_work() as uow:
        lookups = uow.lookups.latest_completed(account_id=account_id, batch_id=batch_id)
    withheld = set()
    for account, lookup_id in lookups:
        if account_id is not None:
            auth.require(actor, "export-contacts", account, lookup_id=lookup_id)
        elif not auth.permitted(actor, "export-contacts", account, lookup_id=lookup_id).allowed:
            withheld.add(account)
    return withheld
