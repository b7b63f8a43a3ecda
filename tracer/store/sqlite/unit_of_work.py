"""One operation's repositories over one connection (the calling thread's own)."""

from __future__ import annotations

import sqlite3
from functools import cached_property
from typing import Any


class SqliteUnitOfWork:
    """``uow.accounts``, ``uow.records``, ... bound to one connection.  A write unit of
    work is one transaction; a read one sees each statement's own snapshot."""

    def __init__(self, conn: sqlite3.Connection, store: Any):
        self.conn = conn
        self.store = store
