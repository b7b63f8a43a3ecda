"""The ``records`` table (and ``record_history``): bulk import, and the indexed blocks a
trace retrieves its candidates by.

A trace's candidates are records sharing a retrieval rule's key with the query
(:data:`tracer.matching.keys.RETRIEVAL_RULES`), each rule compiled here to a condition
over the ``k_*`` columns precomputed at import, so one trace against a million records
touches only the indexed blocks it needs (tests/test_store_scale.py checks the plans).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Iterable, Iterator, Sequence

from ...matching.blocking import BlockingRule
from ...matching.features import Features
from ...matching.keys import (CONTACT_KEYS, KEY_COLUMNS, RETRIEVAL_RULES, STORED_KEYS,
                              stored_column)
from ...models import RECORD_FIELDS

_RECORD_COLUMNS = ("source", *RECORD_FIELDS, "raw_hash")
#: What an import writes per record, in this order.
IMPORT_COLUMNS = ("source", *RECORD_FIELDS, "raw_hash", "imported_at", "features", *KEY_COLUMNS)
# A re-delivered record (same source and record_id, other content) replaces the stored
# one in place; the trigger `records_keep_history` (migration 7) keeps the earlier
# version in record_history first.  The same content again changes nothing.
_UPSERT = (
    f"INSERT INTO records ({', '.join(IMPORT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(IMPORT_COLUMNS))}) ON CONFLICT(source, record_id) DO UPDATE"
    " SET " + ", ".join(f"{c} = excluded.{c}" for c in IMPORT_COLUMNS
                        if c not in ("source", "record_id"))
    + " WHERE records.raw_hash IS NOT excluded.raw_hash")
#: Columns a model trains on.
TRAINING_COLUMNS = ("record_id", "source", "first_name", "middle_name", "last_name", "suffix",
                    "full_name", "dob", "ssn_last4", "street", "unit", "city", "state", "zip",
                    "phone", "phone_type", "email")


def compile_rule(rule: BlockingRule) -> tuple[str, Callable[[Features], tuple | None]]:
    """(SQL condition over the records table, features -> its parameters or None when a
    column is missing) for a rule whose columns are all stored keys."""
    missing = [c for c in rule.columns if c not in STORED_KEYS]
    if missing:
        raise ValueError(f"rule {rule.label!r}: {', '.join(missing)} not stored as keys")
    columns = [STORED_KEYS[c][0] for c in rule.columns]
    getters = [STORED_KEYS[c][1] for c in rule.columns]
    condition = " AND ".join(f"{c} = ?" for c in columns)

    def params_of(f: Features) -> tuple | None:
        values = tuple(get(f) for get in getters)
        return None if any(v in (None, "") for v in values) else values
    return condition, params_of


#: The retrieval rules, compiled once to SQL over the stored keys.
TRACE_BLOCKS = tuple((rule.label, *compile_rule(rule)) for rule in RETRIEVAL_RULES)


def _marks(items: Sequence[Any]) -> str:
    return ", ".join("?" * len(items))


class SqliteRecords:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # -- a trace's candidates -----------------------------------------------------------
    def blocks(self, f: Features, limit: int) -> list[tuple[int, str, list[int]]]:
        """(size, rule label, record ids) of each retrieval rule's block for features
        ``f``, at most ``limit`` ids each.  Read as ids from the rule's index (covering:
        no table rows), which also gives the block's size."""
        out = []
        for label, condition, params_of in TRACE_BLOCKS:
            params = params_of(f)
            if params is None:
                continue
            ids = [r[0] for r in self.conn.execute(
                f"SELECT id FROM records WHERE {condition} ORDER BY id LIMIT ?",
                (*params, limit))]
            out.append((len(ids), label, ids))
        return out

    def sharing_contacts(self, ids: Sequence[int], cap: int, max_shared: int) -> list[int]:
        """Records that share a phone, email or address with the records ``ids``, not
        among them; values carried by more than ``max_shared`` records are not followed;
        rarer values first, at most ``cap``."""
        if not ids:
            return []
        columns = [stored_column(name) for name in CONTACT_KEYS]
        values: dict[str, set] = {c: set() for c in columns}
        for i in range(0, len(ids), 500):
            part = list(ids[i:i + 500])
            for row in self.conn.execute(
                    f"SELECT {', '.join(columns)} FROM records WHERE id IN ({_marks(part)})",
                    part):
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
                for rid, value in self.conn.execute(
                        f"SELECT id, {column} FROM records WHERE {column} IN ({_marks(part)})",
                        part):
                    groups.setdefault(value, []).append(rid)
                for members in groups.values():
                    if len(members) > max_shared:
                        continue
                    for rid in members:
                        if rid not in known:
                            found[rid] = min(found.get(rid, max_shared), len(members))
        return sorted(sorted(found, key=lambda rid: (found[rid], rid))[:cap])

    def rows(self, ids: Sequence[int]) -> list[tuple[dict[str, Any], str | None]]:
        """(record, its packed features or None) for ``ids``, in that order."""
        rows: dict[int, tuple[dict[str, Any], str | None]] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i:i + 500])
            for row in self.conn.execute(
                    f"SELECT id, {', '.join(_RECORD_COLUMNS)}, features FROM records"
                    f" WHERE id IN ({_marks(part)})", part):
                rows[row[0]] = (dict(zip(_RECORD_COLUMNS, row[1:-1])), row[-1])
        return [rows[i] for i in ids]

    # -- single records ------------------------------------------------------------------
    def by_key(self, source: str, record_id: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM records WHERE source = ? AND record_id = ?",
                                (source, record_id))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row)) if row else None

    def earlier_events(self, record_keys: Iterable[str]) -> set[tuple[str, str | None]]:
        """``(event, event_date)`` of the earlier versions of these records (``source:id``
        keys): a re-delivery replaces a record, but an event once reported still counts."""
        out: set[tuple[str, str | None]] = set()
        if self.conn.execute("SELECT 1 FROM record_history LIMIT 1").fetchone() is None:
            return out
        for key in record_keys:
            source, _, record_id = key.partition(":")
            out.update(self.conn.execute(
                "SELECT event, event_date FROM record_history WHERE source = ? AND"
                " record_id = ? AND event IS NOT NULL", (source, record_id)).fetchall())
        return out

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM records").fetchone()[0]

    def sample(self, step: int) -> Iterator[dict[str, Any]]:
        """Every ``step``-th record (by id), ``TRAINING_COLUMNS`` with its row id as
        ``record_id``: an even spread of the table to train on."""
        cur = self.conn.execute(
            f"SELECT id, {', '.join(TRAINING_COLUMNS)} FROM records WHERE id % ? = 0"
            " ORDER BY id", (step,))
        for rid, *values in cur:
            row = dict(zip(TRAINING_COLUMNS, values))
            row["record_id"] = str(rid)
            yield row

    # -- importing -----------------------------------------------------------------------
    def history_mark(self) -> int:
        """The newest record_history id: what an import's replaced versions follow."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM record_history").fetchone()[0]

    def replaced_since(self, mark: int) -> int:
        return self.conn.execute("SELECT count(*) FROM record_history WHERE id > ?",
                                 (mark,)).fetchone()[0]

    def upsert(self, rows: Sequence[Sequence[Any]]) -> int:
        """Insert records (``IMPORT_COLUMNS`` rows), replacing a stored record of the same
        source and record_id whose content differs; returns SQLite's change count (a
        replacement counts twice: the row and its history)."""
        before = self.conn.total_changes
        self.conn.executemany(_UPSERT, rows)
        return self.conn.total_changes - before

    def begin_import(self) -> int:
        """Make room for one import on this connection: a temporary table of the
        record_ids seen so far (constant memory) and a 256 MB page cache for the
        indexes; returns the previous cache size for :meth:`end_import`."""
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_ids"
                          " (record_id TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID")
        self.conn.execute("DELETE FROM temp.import_ids")
        self.conn.execute("PRAGMA cache_size = -262144")
        return cache

    def seen_in_import(self, ids: Sequence[str]) -> dict[str, int]:
        """Which of ``ids`` the import already had, with their lines."""
        found: dict[str, int] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i:i + 500])
            found.update(self.conn.execute(
                f"SELECT record_id, line FROM temp.import_ids WHERE record_id IN"
                f" ({_marks(part)})", part).fetchall())
        return found

    def note_in_import(self, ids_and_lines: Sequence[tuple[str, int]]) -> None:
        self.conn.executemany("INSERT INTO temp.import_ids VALUES (?, ?)", ids_and_lines)

    def end_import(self, cache: int) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("DROP TABLE IF EXISTS temp.import_ids")
        self.conn.execute(f"PRAGMA cache_size = {int(cache)}")
