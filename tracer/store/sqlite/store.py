"""A workspace in one SQLite file: the :class:`tracer.store.base.Store` tracer ships.

The file's secret keys every HMAC (SSN hashes, legacy audit checkpoints).  It lives
beside the database in ``<db>.key`` rather than inside it, so that a copy of the
database alone cannot brute-force SSN hashes.  The database, its -wal/-shm and the key
are created mode 0600 whatever the umask, and a workspace whose database or key other
users can read is refused with the ``chmod`` that fixes it (tracer.outputs)::

    store = open_sqlite(Path("tracer.db"))
    with store.unit_of_work() as uow:                 # reads, this thread's connection
        account = uow.accounts.get("ACC-1")
    with store.unit_of_work(write=True) as uow:       # one BEGIN IMMEDIATE transaction
        uow.users.add("alice", "collector", created_at=now)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import sqlite_utils

from ...errors import WorkspaceError
from ...outputs import refuse_open_permissions, workspace_files
from ...sealed import DobSeal, FileSeal
from .connection import Connections, connect, file_has_tables, file_schema_version
from .migrations import SCHEMA_VERSION, migrate
from .unit_of_work import SqliteUnitOfWork

T = TypeVar("T")


class SqliteStore:
    """An open SQLite workspace.  Use :func:`open_sqlite` or :func:`init_sqlite`."""

    dialect = "sqlite"

    def __init__(self, path: Path, secret: bytes, conn: sqlite3.Connection | None = None):
        self.path = path
        self._secret = secret
        self.connections = Connections(path, conn, secret)
        #: Full dates of birth are stored sealed (tracer/sealed.py); matching opens them.
        self.dob_seal = DobSeal(secret)
        #: Files kept for a moment (a batch upload) are sealed too (tracer/sealed.py).
        self.file_seal = FileSeal(secret)
        #: How the actors of this session's audit entries were identified: ``claimed``
        #: (the embedded CLI's --user / $TRACER_USER: nobody checked), or ``password`` /
        #: ``token`` for a server that authenticated them.  Hashed into every entry.
        self.actor_auth = "claimed"

    # -- units of work ------------------------------------------------------------
    @contextlib.contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[SqliteUnitOfWork]:
        """The repositories over this thread's connection; ``write=True`` makes the
        block one write transaction (joining this thread's open one, if any)."""
        if write:
            with self.connections.transaction() as conn:
                yield SqliteUnitOfWork(conn, self)
        else:
            yield SqliteUnitOfWork(self.connections.get(), self)

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT under the file's one writer (see .connection)."""
        return self.connections.transaction()

    def execute_write_fn(self, fn: Callable[[SqliteUnitOfWork], T]) -> T:
        """``fn(uow)`` as one write transaction, as datasette's method of that name."""
        with self.unit_of_work(write=True) as uow:
            return fn(uow)

    @property
    def in_transaction(self) -> bool:
        """Whether this thread is inside a write transaction of this store."""
        return self.connections.get().in_transaction

    def rollback(self) -> None:
        """Abandon this thread's open transaction (nothing half-written is kept)."""
        conn = self.connections.get()
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    # -- for tests and tools: the library goes through unit_of_work ----------------
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self.connections.get()

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over this thread's connection."""
        return self.connections.database()

    # -- the workspace ------------------------------------------------------------
    def keyed_hash(self, value: str, purpose: str = "ssn") -> str:
        """HMAC-SHA256 of ``value`` under the workspace secret, domain-separated."""
        msg = f"{purpose}\x00{value}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def schema_version(self) -> int:
        return self.connections.get().execute("PRAGMA user_version").fetchone()[0]

    def files(self) -> dict[str, Path]:
        """Every file that is part of the workspace, by what it is: no output may
        overwrite one."""
        return workspace_files(self.path)

    def close(self) -> None:
        self.connections.close()


def key_path(path: Path) -> Path:
    return path.with_name(path.name + ".key")


def _private_files(path: Path) -> list[Path]:
    return [p for what, p in workspace_files(path).items() if what != "SQLite -journal file"]


def _lost(path: Path) -> bool:
    """An existing file with no tracer schema (emptied, truncated, replaced)."""
    if path.stat().st_size == 0:
        return True
    return not file_schema_version(path)


def _read_key(path: Path) -> bytes:
    text = path.read_text().strip()
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise WorkspaceError(f"workspace key {path} is corrupt") from exc


def init_sqlite(path: Path, cls: type[SqliteStore] = SqliteStore) -> tuple[SqliteStore, bool]:
    """Create (or migrate) the workspace at ``path``; returns it and whether it was new."""
    if path.parent and not path.parent.exists():
        raise WorkspaceError(f"directory {path.parent} does not exist")
    key = key_path(path)
    created = not path.exists()
    if not key.exists():
        if not created and file_has_tables(path):
            raise WorkspaceError(
                f"{path} exists but its secret {key} is missing; restore the key file")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    elif created or _lost(path):
        # A key with no workspace beside it: the database was deleted, emptied or
        # replaced.  Starting a fresh trail under the old key would hide the loss
        # behind `OK: 0 audit entries verified`.
        raise WorkspaceError(
            f"{path} is {'missing' if created else 'empty or not a tracer workspace'}, "
            f"but its secret key {key} exists: the workspace and its audit trail were "
            f"lost. Restore {path.name} from a backup; to start a new workspace on purpose, "
            f"move {key.name} away first")
    refuse_open_permissions([*_private_files(path)], f"workspace {path}")
    secret = _read_key(key)
    conn = connect(path, secret)
    migrate(conn)
    return cls(path, secret, conn), created


def open_sqlite(path: Path, cls: type[SqliteStore] = SqliteStore) -> SqliteStore:
    """Open an existing workspace, migrating it forward if tracer is newer than the file."""
    if not path.exists():
        raise WorkspaceError(f"no workspace at {path}: run `tracer init` first (or pass --db)")
    key = key_path(path)
    if not key.exists():
        raise WorkspaceError(f"workspace secret {key} is missing")
    # `tracer init` always migrates, so a file beside its key with no schema was emptied
    # or replaced: migrating it here would hide the loss behind a fresh, empty trail.
    lost = WorkspaceError(
        f"{path} is empty or not a tracer workspace, although its secret key exists: "
        "restore it from a backup (or run `tracer init` to start an empty one)")
    if path.stat().st_size == 0:
        raise lost
    refuse_open_permissions(_private_files(path), f"workspace {path}")
    secret = _read_key(key)
    conn = connect(path, secret)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        conn.close()
        raise lost
    if version > SCHEMA_VERSION:
        conn.close()
        raise WorkspaceError(
            f"{path} has schema version {version}, newer than this tracer ({SCHEMA_VERSION})")
    migrate(conn)
    return cls(path, secret, conn)
