"""Oklahoma OSCN docket search: small-claims and civil suits, judgments, probate.

A Scrapy-backed public-record source (SOURCES.md §8, fitness C).  Each search runs the
:mod:`~tracer.sources.spiders.oscn` spider in a child process (:mod:`tracer.sources.crawl`);
:meth:`OscnSource.search_many` answers a whole batch with one crawl.

Only names are sent (minimisation: the site's DOB filters would put a date of birth in
a URL).  A probate case yields event ``probate``: a *possible* death to verify, never a
``deceased`` flag.  Shipped disabled until someone has read the site's robots.txt and
terms; every setting is in ``config/sources.toml`` under ``[sources.oscn]``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import SourceError
from ..models import Record
from .base import NotConfigured, Source
from .crawl import is_loopback, polite_settings, run_crawl
from .hookspecs import hookimpl

_PLACEHOLDER_CONTACT = ".invalid"


class OscnSource(Source):
    """Oklahoma state court cases (OSCN) naming the debtor, with the court's party addresses."""

    name = "oscn"
    kind = "public_record"
    purposes = ("collect-debt", "enforce-judgment", "locate-estate-representative",
                "verify-identity")
    query_fields = ("first_name", "middle_name", "last_name")
    returns = ("full_name", "first_name", "middle_name", "last_name", "street", "city",
               "state", "zip", "first_seen", "last_seen", "event", "event_date")
    terms_url = "https://www.oscn.net/"
    rate_limit_per_minute = 60.0
    conformance_failing_query = {"first_name": "NO-LAST-NAME"}

    def __init__(self, context):
        super().__init__(context)
        settings = context.settings
        self.base_url = str(settings.get("base_url") or "")
        if not self.base_url:
            raise NotConfigured("no base_url in [sources.oscn]")
        user_agent = str(settings.get("user_agent") or "")
        if not user_agent or (_PLACEHOLDER_CONTACT in user_agent
                              and not is_loopback(self.base_url)):
            raise NotConfigured("user_agent must name tracer and a real contact address "
                                "before crawling a real site")
        try:
            self.scrapy_settings = polite_settings(
                base_url=self.base_url, user_agent=user_agent,
                delay=float(settings.get("download_delay", 1.0)),
                download_timeout=float(settings.get("download_timeout", 30)))
        except ValueError as exc:
            raise NotConfigured(str(exc)) from None
        self.db = str(settings.get("db", "all"))
        self.timeout = float(settings.get("crawl_timeout", settings.get("timeout", 120)))

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        found = self.search_many([query])[0]
        if isinstance(found, SourceError):
            raise found
        return found

    def search_many(self, queries: list[Mapping[str, Any]]) -> list[list[Record] | SourceError]:
        """Answer many searches with one crawl: per search, its records or its error (one
        failed search does not sink the batch; a crawl that dies raises SourceError)."""
        wanted = [{f: q[f] for f in self.query_fields if q.get(f)} for q in queries]
        # A search without a last name cannot be sent; no child process for it.
        sendable = [i for i, q in enumerate(wanted) if q.get("last_name")]
        answers: list[list[Record] | SourceError] = [
            SourceError(self.name, "a last_name is required") for _ in wanted]
        if not sendable:
            return answers
        output = run_crawl(self.name, "oscn", [wanted[i] for i in sendable],
                           spider_args={"base_url": self.base_url, "db": self.db},
                           settings=self.scrapy_settings,
                           timeout=self.timeout * len(sendable))
        self.context.logger.info("oscn crawl: %d searches, %s requests, %d records, %d failed",
                                 len(sendable), output.stats.get("downloader/request_count"),
                                 sum(len(r) for r in output.records), len(output.errors))
        for position, index in enumerate(sendable):
            answers[index] = (SourceError(self.name, output.errors[position])
                              if position in output.errors
                              else [Record(**row) for row in output.records[position]])
        return answers

@hookimpl
def register_sources():
    return [OscnSource]
