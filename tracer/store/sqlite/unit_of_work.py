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

    @cached_property
    def audit(self):
        from .audit import SqliteAudit
        return SqliteAudit(self.conn)

    @cached_property
    def users(self):
        from .users import SqliteUsers
        return SqliteUsers(self.conn)

    @cached_property
    def settings_seen(self):
        from .users import SqliteSettingsSeen
        return SqliteSettingsSeen(self.conn)

    @cached_property
    def accounts(self):
        from .accounts import SqliteAccounts
        return SqliteAccounts(self.conn)

    @cached_property
    def records(self):
        from .records import SqliteRecords
        return SqliteRecords(self.conn)

    @cached_property
    def lookups(self):
        from .lookups import SqliteLookups
        return SqliteLookups(self.conn)

    @cached_property
    def attachments(self):
        from .lookups import SqliteAttachments
        return SqliteAttachments(self.conn)

    @cached_property
    def batches(self):
        from .batches import SqliteBatches
        return SqliteBatches(self.conn, self.database)

    @cached_property
    def models(self):
        from .models import SqliteModels
        return SqliteModels(self.conn)

    @cached_property
    def graphs(self):
        from .models import SqliteGraphs
        return SqliteGraphs(self.conn)

    @cached_property
    def outcomes(self):
        from .evidence import SqliteOutcomes
        return SqliteOutcomes(self.conn)

    @cached_property
    def consents(self):
        from .evidence import SqliteConsents
        return SqliteConsents(self.conn)

    @cached_property
    def credentials(self):
        from .credentials import SqliteCredentials
        return SqliteCredentials(self.conn)

    @cached_property
    def casework(self):
        from .casework import SqliteCasework
        return SqliteCasework(self.conn)

    def database(self):
        """sqlite-utils over this unit of work's connection (bulk inserts)."""
        return self.store.connections.database()
