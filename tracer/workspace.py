"""The workspace: where tracer keeps everything, opened by path.

A workspace is one SQLite file and its secret key beside it (:mod:`tracer.store.sqlite`,
the default), or a PostgreSQL database named by a ``postgresql://`` URL
(:mod:`tracer.store.postgres`); :func:`open_workspace` and :func:`init_workspace` are the
public way in, and everything else goes through the workspace's units of work::

    ws = open_workspace("tracer.db")
    with ws.unit_of_work() as uow:
        uow.accounts.get("ACC-1")
"""

from __future__ import annotations

import os
from pathlib import Path

from .store.sqlite import SCHEMA_VERSION, SqliteStore, init_sqlite, open_sqlite

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "Workspace", "init_workspace", "open_workspace",
           "resolve_db_path"]

DEFAULT_DB = "tracer.db"


def resolve_db_path(db: str | os.PathLike | None) -> Path:
    return Path(db or os.environ.get("TRACER_DB") or DEFAULT_DB)


class Workspace(SqliteStore):
    """An open workspace.  Use :func:`open_workspace` or :func:`init_workspace`."""


def _url(db) -> str | None:
    """The PostgreSQL URL ``db`` (or $TRACER_DB) names, if it names one."""
    from .store.postgres.store import is_postgres_url
    chosen = str(db) if db else os.environ.get("TRACER_DB")
    return chosen if is_postgres_url(chosen) else None


def init_workspace(db: str | os.PathLike | None = None):
    """Create (or migrate) the workspace; returns it and whether it was new."""
    url = _url(db)
    if url:
        from .store.postgres import init_postgres
        return init_postgres(url)
    return init_sqlite(resolve_db_path(db), Workspace)


def open_workspace(db: str | os.PathLike | None = None):
    """Open an existing workspace, migrating it forward if tracer is newer than the file."""
    url = _url(db)
    if url:
        from .store.postgres import open_postgres
        return open_postgres(url)
    return open_sqlite(resolve_db_path(db), Workspace)
