"""The contacts export (FORMATS.md section 3), streamed from each account's latest lookup.

Cells are neutralized against spreadsheet formula injection as OWASP recommends: a text
cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
single quote, so Excel or LibreOffice shows it as text instead of running it.  An E.164
phone (``+16175550101``: a plus and up to 15 digits, nothing that can call a function)
is left as it is, so the ranked phones stay usable.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .consent.audit import AuditTrail
from .errors import InputError

CONTACT_EXPORT_COLUMNS = (
    "account_id", "lookup_id", "kind", "rank", "value", "confidence", "identity_confidence",
    "sources", "first_seen", "last_seen", "explanation",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def spreadsheet_safe(value):
    """``value`` as a CSV cell no spreadsheet will evaluate (see the module docstring)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _E164.fullmatch(value):
        return "'" + value
    return value


def export_contacts(ws, out: Path, *, account_id: str | None = None,
                    batch_id: str | None = None, actor: str | None = None) -> tuple[int, int]:
    """Returns (rows written, accounts covered)."""
    where, params = ["l.status = 'completed'"], []
    if account_id:
        where.append("l.account_id = ?")
        params.append(account_id)
    if batch_id:
        where.append("l.batch_id = ?")
        params.append(batch_id)
    latest = (
        "SELECT l.account_id, l.lookup_id FROM lookups l WHERE " + " AND ".join(where) +
        " AND l.requested_at = (SELECT max(requested_at) FROM lookups l2 WHERE"
        " l2.account_id = l.account_id AND l2.status = 'completed'"
        + (" AND l2.batch_id = l.batch_id" if batch_id else "") + ")")
    sql = (f"SELECT c.account_id, c.lookup_id, c.kind, c.rank, c.value, c.confidence,"
           f" c.identity_confidence, c.sources, c.first_seen, c.last_seen, c.explanation"
           f" FROM ({latest}) x JOIN contact_results c ON c.lookup_id = x.lookup_id"
           f" ORDER BY c.account_id, c.kind, c.rank")
    rows = accounts = 0
    last_account = None
    try:
        fh = out.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
    with fh:
        writer = csv.writer(fh)
        writer.writerow(CONTACT_EXPORT_COLUMNS)
        for row in ws.conn.execute(sql, params):
            writer.writerow([spreadsheet_safe(cell) for cell in row])
            rows += 1
            if row[0] != last_account:
                accounts, last_account = accounts + 1, row[0]
    AuditTrail(ws).append("export", {"what": "contacts", "file": out.name, "rows": rows,
                                     "accounts": accounts, "account_filter": account_id,
                                     "batch_filter": batch_id}, actor=actor,
                          account_id=account_id)
    return rows, accounts
