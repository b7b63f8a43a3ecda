"""A read-only view of the workspace's records for source adapters.

Sources never see the database; they get this narrow object instead.  Queries use the
blocking keys precomputed at import (``matching.keys``) so one trace against a million
records touches only the indexed blocks it needs.
"""

from __future__ import annotations

from typing import Any

from .matching.features import features_of
from .matching.keys import TRACE_BLOCKS
from .models import RECORD_FIELDS

_RECORD_COLUMNS = ("source", *RECORD_FIELDS, "raw_hash")


class RecordStore:
    def __init__(self, workspace):
        self._conn = workspace.conn

    def candidates(self, query: dict[str, Any], *, cap: int = 400) -> list[dict[str, Any]]:
        """Records sharing any blocking key with ``query`` (smallest blocks first)."""
        f = features_of(query, key="query", source="query")
        seen: dict[int, dict[str, Any]] = {}
        blocks = []
        for label, condition, params_of in TRACE_BLOCKS:
            params = params_of(f)
            if params is None:
                continue
            count = self._conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM records WHERE {condition} LIMIT ?)",
                (*params, cap + 1)).fetchone()[0]
            blocks.append((count, label, condition, params))
        for count, _label, condition, params in sorted(blocks, key=lambda b: b[0]):
            if len(seen) >= cap:
                break
            cur = self._conn.execute(
                f"SELECT id, {', '.join(_RECORD_COLUMNS)} FROM records WHERE {condition} "
                "ORDER BY id LIMIT ?", (*params, cap - len(seen)))
            for row in cur:
                if row[0] not in seen:
                    seen[row[0]] = dict(zip(_RECORD_COLUMNS, row[1:]))
        return [seen[k] for k in sorted(seen)]

    def account_contacts(self, account_id: str) -> list[dict[str, Any]]:
        """The account's current and earlier contact data, newest first."""
        cur = self._conn.execute(
            "SELECT first_name, middle_name, last_name, suffix, dob, ssn_last4, street, unit,"
            " city, state, zip, phone, email, employer, last_activity, updated_at, imported_at"
            " FROM accounts WHERE account_id = ?", (account_id,))
        cols = [c[0] for c in cur.description]
        row = cur.fetchone()
        if row is None:
            return []
        current = dict(zip(cols, row))
        # The creditor's data carries no observation dates of its own: only the last
        # collection activity says when it was last believed good.
        out = [{**current, "record_id": f"{account_id}:current", "first_seen": None,
                "last_seen": current["last_activity"]}]
        history = self._conn.execute(
            "SELECT id, street, unit, city, state, zip, phone, email, employer, replaced_at,"
            " seen_until FROM account_history WHERE account_id = ? ORDER BY id DESC",
            (account_id,))
        for hid, *values, replaced_at, seen_until in history:
            item = dict(zip(("street", "unit", "city", "state", "zip", "phone", "email",
                             "employer"), values))
            for name_col in ("first_name", "middle_name", "last_name", "suffix", "dob",
                             "ssn_last4"):
                item[name_col] = current[name_col]
            item.update(record_id=f"{account_id}:history:{hid}", first_seen=None,
                        last_seen=seen_until)
            out.append(item)
        return out
