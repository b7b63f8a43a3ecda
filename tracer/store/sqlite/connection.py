"""SQLite connections for tracer: one per thread, one writer per database file.

Datasette's ``Database.execute_write_fn`` sends every write to a single writer, so
writes never interleave.  tracer's writes carry Python decisions in their middle (read
the account, authorize, write, audit: one transaction), so rather than ship closures to
a writer thread, each write runs on the calling thread's own connection while holding
the file's one writer lock for its whole ``BEGIN IMMEDIATE ... COMMIT``; other
processes queue on SQLite's own lock.  Reads never wait for it (WAL).

Nothing is shared across threads: a connection is made in, and only used by, its own
thread (``check_same_thread`` stays on), and a nested :meth:`SqliteStore.transaction`
joins only the same thread's open transaction: another thread's is on another
connection, so one request's audit entry can never land in another request's
transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import sqlite_utils

from ...outputs import create_private

#: Seconds a write waits for the writer lock (this process) or SQLite's (another one).
BUSY_TIMEOUT = 30.0
#: What a corrupt or foreign file raises: the CLI turns it into one line.
DATABASE_ERRORS = (sqlite3.DatabaseError,)

T = TypeVar("T")
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def writer_lock(path: Path) -> threading.RLock:
    """The one writer lock of the database file at ``path`` in this process (shared by
    every store object opened on it).  Re-entrant, so one thread that opened the file
    twice waits on SQLite's busy timeout, as it always did, rather than on itself."""
    key = os.path.realpath(path)
    with _WRITERS_GUARD:
        lock = _WRITERS.get(key)
        if lock is None:
            lock = _WRITERS[key] = threading.RLock()
        return lock


def _sha256_sql(text):
    return None if text is None else hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def _redacted_sha256_sql(payload):
    from ...audit.chain import redacted_sha256        # the chain's own definition
    return None if payload is None else redacted_sha256(payload)


def connect(path: Path, secret: bytes | None = None) -> sqlite3.Connection:
    """A tracer connection: autocommit (tracer opens its transactions itself), WAL,
    the SQL functions the audit triggers and migrations 8 and 9 call (9's seal needs the
    workspace ``secret``).  The file is created mode 0600 before SQLite opens it: its
    -wal and -shm files take its mode."""
    from ...matching.features import features_without_dob
    from ...sealed import DobSeal
    create_private(path)
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT)
    if secret is not None:
        conn.create_function("tracer_seal_dob", 1, DobSeal(secret).seal, deterministic=True)
    conn.create_function("tracer_features_without_dob", 1, features_without_dob,
                         deterministic=True)
    conn.create_function("tracer_sha256", 1, _sha256_sql, deterministic=True)
    conn.create_function("tracer_redacted_sha256", 1, _redacted_sha256_sql,
                         deterministic=True)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    conn.execute("PRAGMA foreign_keys=ON")
    # A deleted or rewritten cell (a purge, a sealed DOB's plain predecessor) is zeroed,
    # not left readable in a free page.
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def file_schema_version(path: Path) -> int | None:
    """``user_version`` of the file at ``path`` (a plain connection, no WAL switch), or
    None when it is not a SQLite database."""
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def file_has_tables(path: Path) -> bool:
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    finally:
        conn.close()


class Connections:
    """Per-thread connections to one database file, and its writer."""

    def __init__(self, path: Path, first: sqlite3.Connection | None = None,
                 secret: bytes | None = None):
        self.path = path
        self._secret = secret
        self.writer = writer_lock(path)
        self._local = threading.local()
        if first is not None:
            self._local.conn = first

    def get(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, closed with its thread)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path, self._secret)
        return conn

    def database(self) -> sqlite_utils.Database:
        """sqlite-utils over this thread's connection (bulk inserts, introspection)."""
        db = getattr(self._local, "db", None)
        if db is None or db.conn is not self.get():
            db = self._local.db = sqlite_utils.Database(self.get())
        return db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT under the writer lock; inside this thread's open
        transaction, part of it.  Rolled back on any exception, Ctrl-C included."""
        conn = self.get()
        if conn.in_transaction:
            yield conn
            return
        if not self.writer.acquire(timeout=BUSY_TIMEOUT):
            raise sqlite3.OperationalError("database is locked (another thread of this "
                                           f"process kept writing for {BUSY_TIMEOUT:g} s)")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
        finally:
            self.writer.release()

    def execute_write_fn(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` as one write transaction (datasette's name for it)."""
        with self.transaction() as conn:
            return fn(conn)

    def close(self) -> None:
        """Close this thread's connection.  Other threads' connections close when their
        threads end (SQLite objects may not be touched from another thread), so the WAL
        is checkpointed first: the database file alone then holds every committed write,
        as it did when the last connection closed (a copy or backup of it is complete)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            self._local.db = None
            try:
                if not conn.in_transaction:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.DatabaseError:
                pass                    # a busy reader elsewhere: SQLite checkpoints later
            finally:
                conn.close()


def rows_as_dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor]
