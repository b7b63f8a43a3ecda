"""Socrata SODA open data: one generic adapter, configured per public-record dataset.

Each ``[sources.soda_*]`` table with ``adapter = "socrata"`` becomes its own source (a
subclass generated at registration, so pluggy still registers classes), with the
dataset's domain, id, a SoQL name match and a map from dataset columns to Record
fields.  SODA answers a JSON array of flat objects whose values are all strings; pages
are read with ``$limit``/``$offset`` under a stable ``$order``.  (SOURCES.md §5.)

Dataset keys::

    base_url       https://{domain}
    dataset        the 4x4 id (3723-97qp)
    where          SoQL with {last}, {first}, {first_initial}: upper-cased, quotes doubled
    order          columns for a stable page order (default ":id")
    page_size      rows per page ($limit)        max_pages  pages per lookup
    record_id      a template over the row's columns; {_hash} is a digest of the row
    event          a constant Record event, e.g. "property_owner"
    fields         Record field = "column" or "template {column} {column}"
    app_token_env  optional: the variable holding an X-App-Token
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from typing import Any, ClassVar, Iterable, Mapping

from ..errors import SourceError
from ..models import RECORD_FIELDS, Record
from .base import NotConfigured
from .http import HttpSource, check_status, decode_json

DATE_FIELDS = ("dob", "first_seen", "last_seen", "event_date")
_FLOATING_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def soql_literal(value: str) -> str:
    """A value fit to sit inside a SoQL '…' string and a LIKE pattern: upper-cased,
    quotes doubled, LIKE wildcards removed (a name never needs them)."""
    return re.sub(r"[%_]", "", value.strip().upper()).replace("'", "''")


class SocrataSource(HttpSource):
    """A Socrata SODA public-record dataset, searched by name (configured per dataset)."""

    name = ""  # generated subclasses are named after their config table
    kind = "public_record"
    purposes = ("*",)
    query_fields = ("first_name", "last_name")
    returns = ("full_name", "first_name", "last_name", "street", "unit", "city", "state",
               "zip", "employer", "first_seen", "last_seen", "event")
    terms_url = "https://dev.socrata.com/"
    default_settings: ClassVar[Mapping[str, Any]] = {
        "order": ":id", "page_size": 50, "max_pages": 2, "app_token_env": "SOCRATA_APP_TOKEN",
        "record_id": "{_hash}", "fields": {}}

    def __init__(self, context, **kwargs):
        super().__init__(context, **kwargs)
        for key in ("dataset", "where", "fields"):
            if not self.settings.get(key):
                raise NotConfigured(f"set {key} in [sources.{self.name}]")
        unknown = set(self.settings["fields"]) - set(RECORD_FIELDS)
        if unknown:
            raise NotConfigured(f"[sources.{self.name}.fields] names {', '.join(sorted(unknown))}"
                                ", which are not Record fields")
        self.app_token = self.secret("app_token_env", "a Socrata app token", required=False)
        self.page_size = max(1, int(self.settings["page_size"]))
        self.max_pages = max(1, int(self.settings["max_pages"]))

    def where(self, query: Mapping[str, Any]) -> str:
        first = soql_literal(query.get("first_name") or "")
        return self.settings["where"].format(last=soql_literal(query.get("last_name") or ""),
                                             first=first, first_initial=first[:1])

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        meta = {"pages": 0, "rows": 0, "truncated": False}
        self.last_call_meta = meta
        if not (query.get("last_name") or "").strip():
            meta["skipped"] = "no last name to search"
            return []
        headers = {"Accept": "application/json"}
        if self.app_token:
            headers["X-App-Token"] = self.app_token
        records: dict[str, Record] = {}
        for page in range(self.max_pages):
            params = {"$where": self.where(query), "$order": self.settings["order"],
                      "$limit": self.page_size, "$offset": page * self.page_size}
            rows = self._page(params, headers)
            meta["pages"] += 1
            meta["rows"] += len(rows)
            for row in rows:
                record = self._record(row)
                records.setdefault(record.record_id, record)
            if len(rows) < self.page_size:
                break
        else:
            meta["truncated"] = True
        return list(records.values())

    def _page(self, params: Mapping[str, Any], headers: Mapping[str, str]) -> list[dict]:
        path = f"resource/{self.settings['dataset']}.json"
        try:
            response = self.client.request("GET", path, params=params, headers=headers)
        except SourceError as exc:
            if "429" in str(exc) and not self.app_token:
                raise SourceError(self.name, f"{str(exc).split(': ', 1)[-1]}; set "
                                  f"{self.settings['app_token_env']} to an app token for a "
                                  "quota of its own", retryable=True) from None
            raise
        check_status(self.name, response)
        rows = decode_json(self.name, response)
        if isinstance(rows, dict) and (rows.get("error") or rows.get("errorCode")):
            raise SourceError(self.name, f"query error: {str(rows.get('message'))[:160]}")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SourceError(self.name, "answer is not a JSON array of rows")
        return rows

    def _record(self, row: Mapping[str, Any]) -> Record:
        values = defaultdict(str, {k: ("" if v is None else str(v)) for k, v in row.items()})
        values["_hash"] = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:12]
        out: dict[str, str | None] = {}
        for field, spec in self.settings["fields"].items():
            text = spec.format_map(values) if "{" in spec else values[spec]
            text = " ".join(text.split())
            if field in DATE_FIELDS and _FLOATING_TIMESTAMP.match(text):
                text = text[:10]
            out[field] = text or None
        if self.settings.get("event"):
            out.setdefault("event", self.settings["event"])
        return Record(source=self.name,
                      record_id=self.settings["record_id"].format_map(values), **out)


def socrata_source(name: str, table: Mapping[str, Any]) -> type[SocrataSource]:
    """A SocrataSource subclass for one dataset: its config table becomes the defaults
    (the registry's settings for ``name`` still override them)."""
    class_name = "".join(p.title() for p in re.split(r"[^A-Za-z0-9]", name)) + "Source"
    return type(class_name, (SocrataSource,), {
        "name": name,
        "default_settings": {**SocrataSource.default_settings, **table},
        "description": str(table.get("description") or SocrataSource.__doc__.split("\n")[0]),
        "terms_url": str(table.get("terms_url") or SocrataSource.terms_url),
        "query_fields": tuple(table.get("query_fields") or SocrataSource.query_fields),
        "__doc__": SocrataSource.__doc__,
    })


def configured_datasets(settings: Mapping[str, Mapping[str, Any]]) -> list[type[SocrataSource]]:
    """One generated source per ``[sources.NAME]`` table with ``adapter = "socrata"``."""
    return [socrata_source(name, table) for name, table in settings.items()
            if isinstance(table, Mapping) and table.get("adapter") == "socrata"]
