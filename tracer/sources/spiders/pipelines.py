"""Item pipelines: court-case items in, :class:`~tracer.models.Record` rows out.

Order (``ITEM_PIPELINES`` in :mod:`tracer.sources.crawl`): :class:`RecordPipeline` turns
a :class:`CaseParty` into a Record, :class:`DedupePipeline` drops a record a search has
already produced, :class:`JsonLinesPipeline` writes one JSON object per line for the
parent process.  Each stage takes plain data and gives plain data, as scrapy intends.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict

from scrapy.exceptions import DropItem

from ...audit.chain import canonical_json
from ...models import Record
from .items import CaseParty, RecordItem, SearchFailure

#: OSCN case-type prefix -> the record event it signals.  A probate case is only a
#: *possible* death: matching and review treat it as "verify", never as "deceased".
CASE_EVENTS = {"SC": "lawsuit", "CS": "lawsuit", "CJ": "lawsuit", "PB": "probate"}
_LAST_LINE = re.compile(r"^(?P<city>[^,]+),\s*(?P<state>[A-Z]{2})\s+(?P<zip>\d{5})(?:-\d{4})?$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def iso_date(text: str | None) -> str | None:
    match = _DATE.match(text or "")
    if not match:
        return None
    month, day, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def split_address(lines: list[str]) -> dict[str, str | None]:
    """``["77 PINE AVE", "TULSA, OK 74103"]`` or ``["77 PINE AVE, TULSA, OK 74103"]``."""
    if len(lines) == 1 and lines[0].count(",") >= 2:
        street, _, rest = lines[0].partition(",")
        lines = [street.strip(), rest.strip()]
    if not lines:
        return {}
    match = _LAST_LINE.match(lines[-1])
    if not match or len(lines) < 2:
        return {"street": " ".join(lines)}
    return {"street": " ".join(lines[:-1]), **match.groupdict()}


def split_name(full: str) -> dict[str, str | None]:
    """OSCN writes ``LAST, FIRST MIDDLE``."""
    last, _, rest = full.partition(",")
    words = rest.split()
    return {"last_name": last.strip() or None, "first_name": words[0] if words else None,
            "middle_name": " ".join(words[1:]) or None}


def record_from(item: CaseParty) -> Record:
    case_type = item.case_number.split("-", 1)[0].upper()
    event = CASE_EVENTS.get(case_type, "lawsuit")
    if event == "lawsuit" and item.judgment:
        event = "judgment"
    party = item.party_id or hashlib.sha256(item.party_name.encode()).hexdigest()[:12]
    seen = iso_date(item.address_date)
    raw = canonical_json(asdict(item) | {"query_index": None})
    return Record(
        source="oscn", record_id=f"{item.db}:{item.case_number}:{party}:{item.address_seq}",
        full_name=item.party_name, **split_name(item.party_name),
        **split_address(item.address_lines), first_seen=seen, last_seen=seen,
        event=event, event_date=iso_date(item.filed),
        raw_hash=hashlib.sha256(raw.encode()).hexdigest())


class RecordPipeline:
    def process_item(self, item, spider=None):
        if isinstance(item, CaseParty):
            return RecordItem(item.query_index, record_from(item).to_dict())
        return item


class DedupePipeline:
    """The same party can be reached twice (two result rows for one case)."""

    def __init__(self):
        self.seen: set[tuple[int, str]] = set()

    def process_item(self, item, spider=None):
        if isinstance(item, RecordItem):
            key = (item.query_index, item.record["record_id"])
            if key in self.seen:
                raise DropItem("duplicate record")
            self.seen.add(key)
        return item


class JsonLinesPipeline:
    """Writes ``{"query": i, "record": {...}}`` / ``{"query": i, "error": "..."}`` lines
    to the file named by the ``TRACER_OUTPUT`` setting, and the crawl stats last."""

    def __init__(self, path: str, stats):
        self.path = path
        self.stats = stats
        self.file = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("TRACER_OUTPUT"), crawler.stats)

    def open_spider(self, spider=None):
        self.file = open(self.path, "w", encoding="utf-8")

    def process_item(self, item, spider=None):
        if isinstance(item, RecordItem):
            line = {"query": item.query_index, "record": item.record}
        elif isinstance(item, SearchFailure):
            line = {"query": item.query_index, "error": item.error}
        else:
            return item
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()
        return item

    def close_spider(self, spider=None):
        stats = {k: v for k, v in self.stats.get_stats().items()
                 if isinstance(v, (int, float, str)) and not k.startswith("start_time")}
        self.file.write(json.dumps({"stats": stats}, default=str) + "\n")
        self.file.close()
