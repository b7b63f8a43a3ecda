"""The SQLite store: tracer's embedded default, and the only place with SQLite's SQL."""

from .connection import DATABASE_ERRORS
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .store import SqliteStore, init_sqlite, open_sqlite

__all__ = ["DATABASE_ERRORS", "MIGRATIONS", "SCHEMA_VERSION", "SqliteStore", "init_sqlite",
           "open_sqlite"]
