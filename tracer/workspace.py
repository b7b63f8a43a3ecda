"""The workspace: where tracer keeps everything, opened by path.

Today a workspace is one SQLite file and its secret key beside it
(:mod:`tracer.store.sqlite`); :func:`open_workspace` and :func:`init_workspace` are the
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


def init_workspace(db: str | os.PathLike | None = None) -> tuple[Workspace, bool]:
    """Create (or migrate) the workspace; returns it and whether it was new."""
    return init_sqlite(resolve_db_path(db), Workspace)


def open_workspace(db: str | os.PathLike | None = None) -> Workspace:
    """Open an existing workspace, migrating it forward if tracer is newer than the file."""
    return open_sqlite(resolve_db_path(db), Workspace)
