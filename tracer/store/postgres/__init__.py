"""The PostgreSQL store: a workspace a team shares from several servers
(``--db postgresql://...``), through SQLite's repositories and migrations put in
PostgreSQL's words (:mod:`.dialect`, :mod:`.migrations`)."""

from .store import PgStore, display_url, init_postgres, is_postgres_url, open_postgres

__all__ = ["PgStore", "display_url", "init_postgres", "is_postgres_url", "open_postgres"]
