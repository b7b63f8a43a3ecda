"""SQLite's SQL, spoken to PostgreSQL: the dialect layer that lets one set of
repositories (tracer/store/sqlite/*.py, and batch.py's and imports.py's statements
while they move into repositories) run on both stores.

The repositories write portable SQL with ``?`` placeholders; :func:`translate` turns
each statement into PostgreSQL's (``%s`` placeholders, ``INSERT OR IGNORE`` ->
``ON CONFLICT DO NOTHING``, ``IS [NOT]`` between values -> ``IS [NOT] DISTINCT FROM``,
``json_extract`` -> ``->>``, ``temp.`` -> ``pg_temp.``, ``LIKE`` -> ``ILIKE`` as SQLite
compares ASCII case-insensitively), once per statement text (cached).
:class:`PgConnection` gives a psycopg 3 connection the few ``sqlite3.Connection``
manners the repositories use (``execute`` returning a cursor, ``executemany``,
``lastrowid``, ``total_changes``, ``in_transaction``); a ``PRAGMA`` (SQLite's page
cache) is a no-op here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence

#: Tables whose ``id INTEGER PRIMARY KEY`` SQLite fills itself: PostgreSQL's identity.
ID_TABLES = frozenset({"account_history", "records", "judgements", "attachments",
                       "consents", "outcomes", "record_history", "login_attempts"})
#: Primary keys an ``INSERT OR REPLACE`` conflicts on.
REPLACE_KEYS = {"graph_edges": ("lookup_id", "src", "dst", "kind"),
                "graph_nodes": ("lookup_id", "node_id")}

_INSERT_TABLE = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+([\w.]+)",
                           re.I)
_JSON = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.I)


def _outside_literals(sql: str) -> Iterator[tuple[bool, str]]:
    """(is code, text) pieces: quoted strings and identifiers apart from code."""
    for piece in re.split(r"('(?:[^']|'')*'|\"[^\"]*\")", sql):
        if piece:
            yield not (piece[0] in "'\"" and len(piece) > 1 and piece[-1] == piece[0]), piece


def _code(text: str) -> str:
    text = re.sub(r"\bIS\s+NOT\s+(?!NULL\b|DISTINCT\b|TRUE\b|FALSE\b)", "IS DISTINCT FROM ",
                  text, flags=re.I)
    text = re.sub(r"\bIS\s+(?!NOT\b|NULL\b|DISTINCT\b|TRUE\b|FALSE\b)", "IS NOT DISTINCT FROM ",
                  text, flags=re.I)
    text = re.sub(r"\btemp\.", "pg_temp.", text)
    text = re.sub(r"\bWITHOUT\s+ROWID\b", "", text, flags=re.I)
    text = re.sub(r"\bWHERE\s+1(\s|$)", r"WHERE TRUE\1", text)
    text = re.sub(r"(?<![\w.])LIKE\b", "ILIKE", text)
    return text.replace("%", "%%").replace("?", "%s")


@lru_cache(maxsize=2048)
def translate(sql: str, *, returning_id: bool = False) -> str:
    """The PostgreSQL text of one SQLite statement (see the module docstring)."""
    sql = _JSON.sub(lambda m: f"({m.group(1)}::jsonb ->> '{m.group(2)}')", sql)
    out = "".join(_code(piece) if code else piece.replace("%", "%%")
                  for code, piece in _outside_literals(sql))
    if re.search(r"\bFROM\s+audit\b", out) and "rowid" in out:
        out = re.sub(r"\browid\b", "seq", out)       # seq is the audit table's rowid
    m = _INSERT_TABLE.match(out)
    if m:
        verb, table = (m.group(1) or "").upper(), m.group(2)
        out = re.sub(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO", "INSERT INTO", out,
                     flags=re.I)
        if verb == "IGNORE":
            out += " ON CONFLICT DO NOTHING"
        elif verb == "REPLACE":
            keys = REPLACE_KEYS[table]
            cols = re.search(r"\(([^)]*)\)", out).group(1).split(",")
            sets = [c.strip() for c in cols if c.strip() not in keys]
            out += (f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in sets))
        if returning_id and table in ID_TABLES and "RETURNING" not in out.upper():
            out += " RETURNING id"
    return out


def _numeric(value: Any) -> Any:
    """SQLite hands sums back as int (or float); PostgreSQL as numeric."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _row(row: tuple | None) -> tuple | None:
    if row is None:
        return None
    return tuple(_numeric(v) for v in row)


class PgCursor:
    """What ``sqlite3.Cursor`` offers the repositories, over a psycopg cursor."""

    def __init__(self, cur, lastrowid: int | None = None):
        self._cur = cur
        self.lastrowid = lastrowid
        self.rowcount = cur.rowcount if cur is not None else -1

    @property
    def description(self):
        return self._cur.description if self._cur is not None else None

    def fetchone(self):
        if self._cur is None or self._cur.description is None:
            return None
        return _row(self._cur.fetchone())

    def fetchall(self) -> list[tuple]:
        if self._cur is None or self._cur.description is None:
            return []
        return [_row(r) for r in self._cur.fetchall()]

    def fetchmany(self, size: int = 1000) -> list[tuple]:
        if self._cur is None or self._cur.description is None:
            return []
        return [_row(r) for r in self._cur.fetchmany(size)]

    def __iter__(self):
        if self._cur is None or self._cur.description is None:
            return iter(())
        return (_row(r) for r in self._cur)

    def close(self) -> None:
        if self._cur is not None:
            self._cur.close()


class _Pragma(PgCursor):
    """A PRAGMA: SQLite's page cache and the like mean nothing here."""

    def __init__(self, value: Any = 0):
        super().__init__(None)
        self._value = value

    def fetchone(self):
        return (self._value,)

    def fetchall(self):
        return [(self._value,)]


class PgConnection:
    """A psycopg 3 connection (autocommit: tracer opens its transactions itself) with
    the ``sqlite3.Connection`` manners the repositories use."""

    def __init__(self, raw):
        self.raw = raw
        self._changes = 0

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    @property
    def total_changes(self) -> int:
        """Rows changed on this connection, a trigger's history row included as SQLite
        counts it (record_history ids only grow)."""
        cur = self.raw.execute("SELECT coalesce(max(id), 0) FROM record_history")
        return self._changes + cur.fetchone()[0]

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> PgCursor:
        head = sql.lstrip()[:16].upper()
        if head.startswith("PRAGMA"):
            return _Pragma()
        if head.startswith("BEGIN"):
            sql = "BEGIN"
        cur = self.raw.cursor()
        cur.execute(translate(sql, returning_id=True), list(params or ()))
        lastrowid = None
        if head.startswith("INSERT") and cur.description is not None \
                and cur.description[0].name == "id":
            row = cur.fetchone()
            lastrowid = row[0] if row else None
        if cur.rowcount > 0 and not head.startswith("SELECT"):
            self._changes += cur.rowcount
        return PgCursor(cur, lastrowid)

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> PgCursor:
        rows = [list(p) for p in seq_of_params]
        cur = self.raw.cursor()
        if rows:
            cur.executemany(translate(sql), rows)
            if cur.rowcount > 0:
                self._changes += cur.rowcount
        return PgCursor(cur)

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()
