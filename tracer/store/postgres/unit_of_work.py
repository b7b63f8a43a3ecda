"""One operation's repositories on PostgreSQL: SQLite's repositories over the dialect
layer (:mod:`.dialect`), but for the one bulk insert sqlite-utils did."""

from __future__ import annotations

from functools import cached_property
from typing import Sequence

from ..sqlite.batches import SqliteBatches
from ..sqlite.unit_of_work import SqliteUnitOfWork


class PgBatches(SqliteBatches):
    def add_items(self, batch_id: str, account_ids: Sequence[str] | None = None, *,
                  where: str | None = None) -> int:
        if account_ids is None:
            return super().add_items(batch_id, where=where)
        self.conn.executemany("INSERT INTO batch_items (batch_id, seq, account_id)"
                              " VALUES (?,?,?)",
                              ((batch_id, i, a) for i, a in enumerate(account_ids, start=1)))
        return self.conn.execute("SELECT count(*) FROM batch_items WHERE batch_id = ?",
                                 (batch_id,)).fetchone()[0]


class PgUnitOfWork(SqliteUnitOfWork):
    @cached_property
    def batches(self):
        return PgBatches(self.conn)

    def database(self):
        raise NotImplementedError("sqlite-utils is SQLite's: use the repositories")
