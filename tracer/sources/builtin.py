"""The built-in sources, registered through the same hook as any plugin."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..models import RECORD_FIELDS, Record
from .base import NotConfigured, Source
from .hookspecs import hookimpl

_PERSON_FIELDS = ("first_name", "middle_name", "last_name", "suffix", "dob", "dob_year",
                  "ssn_last4", "street", "unit", "city", "state", "zip", "phone", "email")


def _record(source: str, row: Mapping[str, Any]) -> Record:
    values = {f: (str(row[f]) if row.get(f) not in (None, "") else None)
              for f in RECORD_FIELDS if f != "record_id"}
    return Record(source=source, record_id=str(row["record_id"]), raw_hash=row.get("raw_hash"),
                  **values)


class ImportedRecords(Source):
    """Record extracts imported with `tracer records import` (public-record files, vendor returns)."""

    name = "imported_records"
    kind = "vendor_file"
    query_fields = _PERSON_FIELDS
    returns = RECORD_FIELDS
    terms_url = "file terms recorded at import"

    def __init__(self, context):
        super().__init__(context)
        if context.store is None:
            raise NotConfigured("needs a workspace record store")
        self.cap = int(context.settings.get("max_records", 400))

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        for row in self.context.store.candidates(dict(query), cap=self.cap):
            # Each record keeps the name of the file's source for provenance.
            yield _record(row["source"], row)


class AccountHistory(Source):
    """The account's own contact data as the creditor had it, current and earlier."""

    name = "account_history"
    kind = "internal"
    query_fields = ("account_id",)
    returns = ("first_name", "last_name", "dob", "ssn_last4", "street", "unit", "city",
               "state", "zip", "phone", "email", "employer", "first_seen", "last_seen")
    terms_url = "internal: the creditor's own account data"

    def __init__(self, context):
        super().__init__(context)
        if context.store is None:
            raise NotConfigured("needs a workspace record store")

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        for row in self.context.store.account_contacts(query["account_id"]):
            yield _record("account", row)


@hookimpl
def register_sources():
    return [ImportedRecords, AccountHistory]
