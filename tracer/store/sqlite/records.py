"""A read-only view of the workspace's records for source adapters.

Sources never see the database; they get this narrow object instead.  Queries use the
blocking keys precomputed at import (``matching.keys``) so one trace against a million
records touches only the indexed blocks it needs.
"""

from __future__ import annotations

from typing import Any

from ...matching.features import features_of, remember_features
from ...matching.keys import CONTACT_KEYS, RETRIEVAL_RULES, compile_rule, stored_column
from ...models import RECORD_FIELDS

_RECORD_COLUMNS = ("source", *RECORD_FIELDS, "raw_hash")


#: A block with more records than this is a crowd, not a key (a common surname and
#: first name, a phone number shared by hundreds): it is skipped when a smaller block
#: exists, because scoring every pair in it costs more than it finds.
MAX_BLOCK = 50
#: The most records a second hop adds (records sharing a candidate's phone, email or
#: address), and the most records one such value may carry to be followed: a number on
#: hundreds of records is a switchboard, not a person's.
MAX_SECOND_HOP = 150
MAX_SHARED = 12
#: The retrieval rules, compiled once to SQL over the stored keys.
TRACE_BLOCKS = tuple((rule.label, *compile_rule(rule)) for rule in RETRIEVAL_RULES)


class RecordStore:
    def __init__(self, workspace, *, max_block: int | None = None):
        self._ws = workspace
        self._open_dob = workspace.dob_seal.open
        self.max_block = MAX_BLOCK if max_block is None else max_block

    def candidates(self, query: dict[str, Any], *, cap: int = 400,
                   second_hop: bool = True) -> list[dict[str, Any]]:
        """Records sharing any retrieval rule's key with ``query``
        (:data:`.matching.keys.RETRIEVAL_RULES`): smallest blocks first, blocks over
        ``max_block`` records skipped unless none is smaller, at most ``cap``; then (with
        ``second_hop``) up to :data:`MAX_SECOND_HOP` records sharing a phone, email or
        address with those.

        Each block is read once, as ids from its index (covering: no table rows), which
        also gives its size; only the chosen rows are then fetched, in one query."""
        f = features_of(query, key="query", source="query")
        blocks = []
        for label, condition, params_of in TRACE_BLOCKS:
            params = params_of(f)
            if params is None:
                continue
            ids = [r[0] for r in self._ws.conn.execute(
                f"SELECT id FROM records WHERE {condition} ORDER BY id LIMIT ?",
                (*params, cap + 1))]
            blocks.append((len(ids), label, ids))
        blocks.sort(key=lambda b: b[0])
        if blocks and blocks[0][0] <= self.max_block:
            blocks = [b for b in blocks if b[0] <= self.max_block]
        else:
            blocks = blocks[:1]
        chosen: set[int] = set()
        for _count, _label, ids in blocks:
            if len(chosen) >= cap:
                break
            chosen.update(ids[:cap - len(chosen)])
        rows = self._rows(sorted(chosen))
        if second_hop:
            rows += self._rows(self._second_hop(sorted(chosen), min(MAX_SECOND_HOP, cap)))
        return rows

    def _second_hop(self, ids: list[int], cap: int) -> list[int]:
        """Records that share a phone, email or address with the candidates ``ids``, not
        among them: whoever else was seen with the debtor's number or at the debtor's
        address (a reassigned number's new holder, a new occupant).  Values carried by
        more than :data:`MAX_SHARED` records are not followed; rarer values first."""
        if not ids:
            return []
        columns = [stored_column(name) for name in CONTACT_KEYS]
        values: dict[str, set] = {c: set() for c in columns}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for row in self._ws.conn.execute(
                    f"SELECT {', '.join(columns)} FROM records WHERE id IN"
                    f" ({', '.join('?' * len(part))})", part):
                for column, value in zip(columns, row):
                    if value:
                        values[column].add(value)
        known = set(ids)
        found: dict[int, int] = {}       # record id -> size of the value's block
        for column, wanted in values.items():
            wanted_list = sorted(wanted)
            for i in range(0, len(wanted_list), 400):
                part = wanted_list[i:i + 400]
                groups: dict[str, list[int]] = {}
                for rid, value in self._ws.conn.execute(
                        f"SELECT id, {column} FROM records WHERE {column} IN"
                        f" ({', '.join('?' * len(part))})", part):
                    groups.setdefault(value, []).append(rid)
                for members in groups.values():
                    if len(members) > MAX_SHARED:
                        continue
                    for rid in members:
                        if rid not in known:
                            found[rid] = min(found.get(rid, MAX_SHARED), len(members))
        return sorted(sorted(found, key=lambda rid: (found[rid], rid))[:cap])

    def _rows(self, ids: list[int]) -> list[dict[str, Any]]:
        rows: dict[int, dict[str, Any]] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for row in self._ws.conn.execute(
                    f"SELECT id, {', '.join(_RECORD_COLUMNS)}, features FROM records WHERE id IN"
                    f" ({', '.join('?' * len(part))})", part):
                record = dict(zip(_RECORD_COLUMNS, row[1:-1]))
                record["dob"] = self._open_dob(record["dob"])
                if row[-1] is not None:
                    remember_features(f"{record['source']}:{record['record_id']}",
                                      record["raw_hash"], row[-1], record["source"],
                                      record["dob"])
                rows[row[0]] = record
        return [rows[i] for i in ids]

    def account_contacts(self, account_id: str) -> list[dict[str, Any]]:
        """The account's current and earlier contact data, newest first."""
        cur = self._ws.conn.execute(
            "SELECT first_name, middle_name, last_name, suffix, dob, ssn_last4, street, unit,"
            " city, state, zip, phone, email, employer, last_activity, updated_at, imported_at"
            " FROM accounts WHERE account_id = ?", (account_id,))
        cols = [c[0] for c in cur.description]
        row = cur.fetchone()
        if row is None:
            return []
        current = dict(zip(cols, row))
        current["dob"] = self._open_dob(current["dob"])
        # The creditor's data carries no observation dates of its own: only the last
        # collection activity says when it was last believed good.
        out = [{**current, "record_id": f"{account_id}:current", "first_seen": None,
                "last_seen": current["last_activity"]}]
        history = self._ws.conn.execute(
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


def earlier_events(workspace, record_keys) -> set[tuple[str, str | None]]:
    """``(event, event_date)`` of the earlier versions of these records (``source:id``
    keys): a re-delivery replaces a record, but an event once reported still counts."""
    out: set[tuple[str, str | None]] = set()
    conn = workspace.conn
    if conn.execute("SELECT 1 FROM record_history LIMIT 1").fetchone() is None:
        return out
    for key in record_keys:
        source, _, record_id = key.partition(":")
        out.update(conn.execute(
            "SELECT event, event_date FROM record_history WHERE source = ? AND record_id = ?"
            " AND event IS NOT NULL", (source, record_id)).fetchall())
    return out
