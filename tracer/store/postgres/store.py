"""A workspace in a PostgreSQL database: the same :class:`tracer.store.base.Store` as
the SQLite file, for a team on several servers (``--db postgresql://...``).

The repositories are SQLite's own (tracer/store/sqlite/), over :class:`.dialect.PgConnection`;
the schema is the same migrations (:mod:`.migrations`).  Each thread has its own
connection, as on SQLite.  A write unit of work is one transaction that first takes
the workspace's transaction-scoped advisory lock (``pg_advisory_xact_lock``): writers on
any number of hosts then follow each other as SQLite's ``BEGIN IMMEDIATE`` makes them,
so the audit chain's head read and its next entry are one step, and N writer processes
keep one chain.  Reads never wait for it.

The secret that keys SSN hashes and seals DOBs is not in the database (a dump of it
alone cannot brute-force them): it is a key file, ``$TRACER_KEY_FILE`` or
``~/.config/tracer/keys/<host>-<port>-<database>.key``, made by ``tracer init`` and
copied to every host that runs tracer on the workspace.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlsplit

from ...errors import WorkspaceError
from ...outputs import refuse_open_permissions
from ...sealed import DobSeal
from ..sqlite.migrations import SCHEMA_VERSION
from .dialect import PgConnection
from .migrations import grant_statements, pg_migrations

T = TypeVar("T")
#: The advisory lock every write transaction of a workspace takes (one per database).
WRITER_LOCK = 0x7472616365                 # "trace"
#: Seconds a statement may wait for a lock before the write fails (SQLite's busy timeout).
LOCK_TIMEOUT_S = 60


def is_postgres_url(db) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def key_file_for(url: str) -> Path:
    """Where the workspace's secret lives on this host."""
    if os.environ.get("TRACER_KEY_FILE"):
        return Path(os.environ["TRACER_KEY_FILE"])
    parts = urlsplit(url)
    name = f"{parts.hostname or 'local'}-{parts.port or 5432}-{parts.path.strip('/') or 'tracer'}"
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "tracer" / "keys" / f"{name}.key"


def display_url(url: str) -> str:
    """The URL without its password (for messages and the audit)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _connect(url: str):
    try:
        import psycopg
    except ImportError as exc:                      # the core install has no driver
        raise WorkspaceError("a postgresql:// workspace needs psycopg: "
                             "pip install 'tracer-skiptrace[postgres]'") from exc
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkspaceError(f"cannot connect to {display_url(url)}: {first}") from exc
    raw.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
    return PgConnection(raw)


class PgConnections:
    """Per-thread connections to one database, and its writer (the advisory lock)."""

    def __init__(self, url: str, first: PgConnection | None = None):
        self.url = url
        self._local = threading.local()
        self._all: list[PgConnection] = []
        self._guard = threading.Lock()
        if first is not None:
            self._local.conn = first
            self._all.append(first)

    def get(self) -> PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.raw.closed:
            conn = self._local.conn = _connect(self.url)
            with self._guard:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """BEGIN ... COMMIT under the workspace's advisory lock; inside this thread's
        open transaction, part of it.  Rolled back on any exception."""
        conn = self.get()
        if conn.in_transaction:
            yield conn
            return
        conn.raw.execute("BEGIN")
        try:
            conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            yield conn
        except BaseException:
            if not conn.raw.closed:
                conn.raw.execute("ROLLBACK")
            raise
        else:
            conn.raw.execute("COMMIT")

    def close(self) -> None:
        with self._guard:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()


class PgStore:
    """An open PostgreSQL workspace.  Use :func:`open_postgres` or :func:`init_postgres`."""

    dialect = "postgresql"

    def __init__(self, url: str, secret: bytes, conn: PgConnection | None = None):
        self.url = url
        #: The key file: what a workspace path is to the file-backed parts (caches).
        self.path = key_file_for(url)
        self._secret = secret
        self.connections = PgConnections(url, conn)
        self.dob_seal = DobSeal(secret)
        self.actor_auth = "claimed"

    def __str__(self) -> str:
        return display_url(self.url)

    @property
    def location(self) -> str:
        """What ``open_workspace`` takes to open this workspace again (a worker)."""
        return self.url

    # -- units of work ------------------------------------------------------------
    @contextlib.contextmanager
    def unit_of_work(self, *, write: bool = False):
        from .unit_of_work import PgUnitOfWork
        if write:
            with self.connections.transaction() as conn:
                yield PgUnitOfWork(conn, self)
        else:
            yield PgUnitOfWork(self.connections.get(), self)

    def transaction(self):
        return self.connections.transaction()

    def execute_write_fn(self, fn: Callable[..., T]) -> T:
        with self.unit_of_work(write=True) as uow:
            return fn(uow)

    @property
    def in_transaction(self) -> bool:
        return self.connections.get().in_transaction

    def rollback(self) -> None:
        conn = self.connections.get()
        if conn.in_transaction:
            conn.raw.execute("ROLLBACK")

    @property
    def conn(self) -> PgConnection:
        return self.connections.get()

    # -- the workspace ------------------------------------------------------------
    def keyed_hash(self, value: str, purpose: str = "ssn") -> str:
        msg = f"{purpose}\x00{value}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def schema_version(self) -> int:
        return _schema_version(self.connections.get()) or 0

    def files(self) -> dict[str, Path]:
        return {"workspace key file": self.path}

    def close(self) -> None:
        self.connections.close()


def _schema_version(conn: PgConnection) -> int | None:
    row = conn.raw.execute("SELECT to_regclass('tracer_schema')").fetchone()
    if row[0] is None:
        return None
    row = conn.raw.execute("SELECT max(version) FROM tracer_schema").fetchone()
    return row[0]


def _key_check(secret: bytes) -> str:
    return hmac.new(secret, b"tracer workspace key check", hashlib.sha256).hexdigest()


def migrate(conn: PgConnection, secret: bytes) -> list[int]:
    """Apply the migrations the database lacks, each in its own transaction under the
    writer lock (two hosts migrating at once apply each migration once)."""
    applied: list[int] = []
    raw = conn.raw
    raw.execute("BEGIN")
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
    raw.execute("CREATE TABLE IF NOT EXISTS tracer_schema (version BIGINT PRIMARY KEY,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), key_check TEXT)")
    raw.execute("COMMIT")
    for version, stmts in pg_migrations():
        raw.execute("BEGIN")
        try:
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            current = raw.execute("SELECT coalesce(max(version), 0) FROM tracer_schema"
                                  ).fetchone()[0]
            if version <= current:
                raw.execute("COMMIT")
                continue
            for stmt in stmts:
                raw.execute(stmt)
            raw.execute("INSERT INTO tracer_schema (version, key_check) VALUES (%s, %s)",
                        (version, _key_check(secret)))
            role = os.environ.get("TRACER_PG_APP_ROLE")
            if role:
                for stmt in grant_statements(role):
                    raw.execute(stmt)
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        applied.append(version)
    return applied


def _read_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise WorkspaceError(f"workspace key {path} is corrupt") from exc


def _check_key(conn: PgConnection, secret: bytes, key: Path, url: str) -> None:
    row = conn.raw.execute("SELECT key_check FROM tracer_schema ORDER BY version LIMIT 1"
                           ).fetchone()
    if row and row[0] and not hmac.compare_digest(row[0], _key_check(secret)):
        raise WorkspaceError(f"{key} is not the secret key of {display_url(url)}: copy the "
                             "key file `tracer init` made for this workspace to this host")


def init_postgres(url: str, cls: type[PgStore] = PgStore) -> tuple[PgStore, bool]:
    """Create (or migrate) the workspace in the database at ``url``; returns it and
    whether it was new."""
    conn = _connect(url)
    try:
        version = _schema_version(conn)
        key = key_file_for(url)
        created = not version
        if not key.exists():
            if not created:
                raise WorkspaceError(f"{display_url(url)} is a tracer workspace but its "
                                     f"secret {key} is missing; copy the key file here "
                                     "(or set $TRACER_KEY_FILE)")
            key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        refuse_open_permissions([key], f"workspace key {key}")
        secret = _read_key(key)
        if not created:
            _check_key(conn, secret, key, url)
        migrate(conn, secret)
    except BaseException:
        conn.close()
        raise
    return cls(url, secret, conn), created


def open_postgres(url: str, cls: type[PgStore] = PgStore) -> PgStore:
    """Open an existing PostgreSQL workspace, migrating it forward if tracer is newer."""
    conn = _connect(url)
    try:
        version = _schema_version(conn)
        if not version:
            raise WorkspaceError(f"no workspace at {display_url(url)}: run `tracer init` "
                                 "first")
        if version > SCHEMA_VERSION:
            raise WorkspaceError(f"{display_url(url)} has schema version {version}, newer "
                                 f"than this tracer ({SCHEMA_VERSION})")
        key = key_file_for(url)
        if not key.exists():
            raise WorkspaceError(f"workspace secret {key} is missing (copy it from the "
                                 "host that ran `tracer init`, or set $TRACER_KEY_FILE)")
        refuse_open_permissions([key], f"workspace key {key}")
        secret = _read_key(key)
        _check_key(conn, secret, key, url)
        if version < SCHEMA_VERSION:
            migrate(conn, secret)
    except BaseException:
        conn.close()
        raise
    return cls(url, secret, conn)
