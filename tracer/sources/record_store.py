"""A read-only view of the workspace's records for source adapters.

Sources never see the database; they get this narrow object instead (its
``SourceContext.store``).  It asks the store for the indexed blocks of the query's
retrieval keys, smallest first, and never more than a trace can score.
"""

from __future__ import annotations

from typing import Any

from ..matching.features import features_of, remember_features

#: A block with more records than this is a crowd, not a key (a common surname and
#: first name, a phone number shared by hundreds): it is skipped when a smaller block
#: exists, because scoring every pair in it costs more than it finds.
MAX_BLOCK = 50
#: The most records a second hop adds (records sharing a candidate's phone, email or
#: address), and the most records one such value may carry to be followed: a number on
#: hundreds of records is a switchboard, not a person's.
MAX_SECOND_HOP = 150
MAX_SHARED = 12
#: What the creditor's own data says of an account's past contact points.
_HISTORY = ("street", "unit", "city", "state", "zip", "phone", "email", "employer")


class RecordStore:
    """``candidates(query)`` and ``account_contacts(account_id)`` over a workspace."""

    def __init__(self, workspace, *, max_block: int | None = None):
        self._ws = workspace
        self._open_dob = workspace.dob_seal.open
        self.max_block = MAX_BLOCK if max_block is None else max_block

    def candidates(self, query: dict[str, Any], *, cap: int = 400,
                   second_hop: bool = True) -> list[dict[str, Any]]:
        """Records sharing any retrieval rule's key with ``query``
        (:data:`tracer.matching.keys.RETRIEVAL_RULES`): smallest blocks first, blocks
        over ``max_block`` records skipped unless none is smaller, at most ``cap``; then
        (with ``second_hop``) up to :data:`MAX_SECOND_HOP` records sharing a phone,
        email or address with those.  Only the chosen rows are fetched."""
        f = features_of(query, key="query", source="query")
        with self._ws.unit_of_work() as uow:
            blocks = uow.records.blocks(f, cap + 1)
            blocks.sort(key=lambda b: b[0])
            if blocks and blocks[0][0] <= self.max_block:
                blocks = [b for b in blocks if b[0] <= self.max_block]
            else:
                blocks = blocks[:1]
            chosen: set[int] = set()
            for _count, _label, ids in blocks:
                if len(chosen) >= cap:
                    break
                chosen.update(ids[:cap - len(chosen)])
            ids = sorted(chosen)
            if second_hop:
                ids += uow.records.sharing_contacts(ids, min(MAX_SECOND_HOP, cap), MAX_SHARED)
        return self.rows(ids)

    def rows(self, ids: list[int]) -> list[dict[str, Any]]:
        """The records of these row ids, in order; the features the import stored with
        each are kept for matching (:func:`tracer.matching.features.remember_features`),
        so a trace does not normalize them again."""
        with self._ws.unit_of_work() as uow:
            rows = uow.records.rows(ids)
        out = []
        for record, packed in rows:
            record["dob"] = self._open_dob(record["dob"])
            if packed is not None:
                remember_features(f"{record['source']}:{record['record_id']}",
                                  record["raw_hash"], packed, record["source"],
                                  record["dob"])
            out.append(record)
        return out

    def account_contacts(self, account_id: str) -> list[dict[str, Any]]:
        """The account's current and earlier contact data, newest first."""
        with self._ws.unit_of_work() as uow:
            current = uow.accounts.contact_view(account_id)
            if current is None:
                return []
            history = uow.accounts.contact_history(account_id)
        current = {**current, "dob": self._open_dob(current["dob"])}
        # The creditor's data carries no observation dates of its own: only the last
        # collection activity says when it was last believed good.
        out = [{**current, "record_id": f"{account_id}:current", "first_seen": None,
                "last_seen": current["last_activity"]}]
        for hid, *values, _replaced_at, seen_until in history:
            item = dict(zip(_HISTORY, values))
            for name_col in ("first_name", "middle_name", "last_name", "suffix", "dob",
                             "ssn_last4"):
                item[name_col] = current[name_col]
            item.update(record_id=f"{account_id}:history:{hid}", first_seen=None,
                        last_seen=seen_until)
            out.append(item)
        return out
