"""County lien records from a CSV export: the smallest complete tracer source plugin."""

from __future__ import annotations

import csv
import os
from importlib import resources
from pathlib import Path

from tracer.errors import SourceError
from tracer.models import Record
from tracer.sources.base import NotConfigured, Source
from tracer.sources.hookspecs import hookimpl

BUNDLED = resources.files("tracer_example_source") / "data" / "liens.csv"


class CountyLiens(Source):
    """Recorded liens naming the debtor, with the address on the lien filing."""

    name = "county_liens"
    kind = "public_record"
    purposes = ("collect-debt", "enforce-judgment")
    query_fields = ("first_name", "last_name")
    returns = ("full_name", "first_name", "last_name", "street", "city", "state", "zip",
               "first_seen", "last_seen", "event", "event_date")
    terms_url = "https://county.example/recorder/terms"
    rate_limit_per_minute = None
    # Help the conformance kit: a search that finds something, and one that must fail.
    conformance_queries = [{"first_name": "Alice", "last_name": "Example"}]
    conformance_failing_query = {"first_name": "Alice"}

    def __init__(self, context):
        super().__init__(context)
        settings = context.settings
        self.path = Path(settings.get("path") or str(BUNDLED))
        if not self.path.is_file():
            raise NotConfigured(f"lien file {self.path} does not exist")
        # A secret is named by reference, never written in config/sources.toml.
        key_env = settings.get("license_key_env")
        if key_env and not os.environ.get(key_env):
            raise NotConfigured(f"set {key_env} to the county's data license key")

    def search(self, query):
        last = (query.get("last_name") or "").strip().upper()
        if not last:
            raise SourceError(self.name, "a last_name is required")
        first = (query.get("first_name") or "").strip().upper()
        try:
            with self.path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, csv.Error) as exc:
            raise SourceError(self.name, f"cannot read the lien file: {exc}") from None
        for row in rows:
            row_last, _, row_first = row["debtor_name"].partition(",")
            if row_last.strip() != last or not row_first.strip().startswith(first):
                continue
            yield Record(
                source=self.name, record_id=row["lien_id"], full_name=row["debtor_name"],
                last_name=row_last.strip(), first_name=row_first.split()[0],
                street=row["street"], city=row["city"], state=row["state"], zip=row["zip"],
                first_seen=row["filed"], last_seen=row["released"] or row["filed"],
                event="lien", event_date=row["filed"])


@hookimpl
def register_sources():
    return [CountyLiens]
