"""``tracer workspace copy SRC DST``: a workspace moved between stores (SQLite to
PostgreSQL or back), every table row for row, under the same secret, and its audit
chain verified where it landed.

The destination must be new (or empty): it is created under the source's secret (its key
file is written with it), so sealed dates of birth, SSN hashes and the chain's hashes
stay valid.  Rows are copied verbatim, ids included; PostgreSQL's identity sequences
are moved past the copied ids."""

from __future__ import annotations

from typing import Any

from ..errors import WorkspaceError
from .postgres.dialect import ID_TABLES

BATCH = 2000


def _tables(store) -> list[str]:
    conn = store.conn
    if store.dialect == "sqlite":
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND"
                            " name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    else:
        rows = conn.raw.execute("SELECT table_name FROM information_schema.tables WHERE"
                                " table_schema = 'public' AND table_type = 'BASE TABLE'"
                                " AND table_name != 'tracer_schema' ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def _columns(store, table: str) -> list[str]:
    cur = store.conn.execute(f'SELECT * FROM "{table}" LIMIT 0')
    return [d[0] for d in cur.description]


def key_path_of(db: str) -> Any:
    from ..store.postgres.store import is_postgres_url, key_file_for
    from ..store.sqlite.store import key_path
    from ..workspace import resolve_db_path
    return key_file_for(db) if is_postgres_url(db) else key_path(resolve_db_path(db))


def copy_workspace(src: str, dst: str, *, progress=None) -> dict[str, int]:
    """Copy the workspace at ``src`` into a new one at ``dst``; returns rows per table.
    Raises AuditIntegrityError when the copied chain does not verify."""
    from ..audit.trail import AuditTrail
    from ..workspace import init_workspace, open_workspace
    source = open_workspace(src)
    try:
        key = key_path_of(dst)
        secret_hex = source._secret.hex()
        if key.exists() and key.read_text().strip() != secret_hex:
            raise WorkspaceError(f"{dst}: its key file {key} exists and holds another "
                                 "secret; a copy keeps the source's secret")
        if not key.exists() and _is_url(dst):
            _write_key(key, secret_hex)                 # PostgreSQL checks it at init
        target, _created = init_workspace(dst)
        if target._secret.hex() != secret_hex:         # a new SQLite file made its own
            target.close()
            key.write_text(secret_hex)
            target = open_workspace(dst)
        try:
            with target.unit_of_work() as uow:
                if uow.audit.head() is not None:
                    raise WorkspaceError(f"{dst} already holds a workspace with an audit "
                                         "trail; copy into a new, empty one")
            counts = _copy_rows(source, target, progress)
            AuditTrail(target).verify()
        finally:
            target.close()
    finally:
        source.close()
    return counts


def _is_url(db: str) -> bool:
    from ..store.postgres.store import is_postgres_url
    return is_postgres_url(db)


def _write_key(key, secret_hex: str) -> None:
    import os
    key.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret_hex)


def _copy_rows(source, target, progress) -> dict[str, int]:
    counts: dict[str, int] = {}
    wanted = set(_tables(target))
    with target.unit_of_work(write=True) as uow:
        conn = uow.conn
        for table in _tables(source):
            if table not in wanted:
                continue
            theirs = set(_columns(target, table)) - {"rowid"}
            cols = [c for c in _columns(source, table) if c in theirs]
            select = source.conn.execute(
                f"SELECT {', '.join(cols)} FROM \"{table}\"")
            insert = (f"INSERT INTO \"{table}\" ({', '.join(cols)}) VALUES"
                      f" ({', '.join('?' * len(cols))})")
            if table == "audit":
                select = source.conn.execute(
                    f"SELECT {', '.join(cols)} FROM audit ORDER BY seq")
            n = 0
            while True:
                rows = select.fetchmany(BATCH)
                if not rows:
                    break
                conn.executemany(insert, rows)
                n += len(rows)
            counts[table] = n
            if progress:
                progress(table, n)
            if target.dialect == "postgresql" and table in ID_TABLES:
                conn.raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
    return counts
