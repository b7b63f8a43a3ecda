"""The Oklahoma State Courts Network docket search, politely (SOURCES.md §8).

Three page kinds, followed in order:

1. ``Results.aspx?db=all&lname=..&fname=..`` — one ``table.caseCourtTable`` per county,
   rows ``tr.resultTableRow`` linking to the case; ``td.moreResults`` when truncated.
2. ``GetCaseInformation.aspx?db=..&number=..`` — ``h2.section.party`` then a ``<p>`` of
   ``<a href="GetPartyRecord.aspx?...&id=..">NAME</a>, Type<br>`` (links may be absent).
3. ``GetPartyRecord.aspx?db=..&id=..`` — ``table.partytable.addresses``, ``thead th``
   column names over ``tbody tr td`` values.

Only the party the results page matched is followed on each case: the other parties
(plaintiffs, a probate estate's representative) are other people.  Politeness
(robots.txt, delay, throttle, User-Agent) is set by :mod:`tracer.sources.crawl`, not here.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlparse

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from .items import CaseParty, SearchFailure

#: query field -> OSCN search parameter.
SEARCH_PARAMS = {"last_name": "lname", "first_name": "fname", "middle_name": "mname"}
_SPACE = re.compile(r"\s+")
_PARTY_TYPE = re.compile(r"^\s*,\s*(?P<type>[^,]+?)\s*$")


def clean(text: str | None) -> str:
    """Collapse whitespace and non-breaking spaces the way OSCN pads names."""
    return _SPACE.sub(" ", (text or "").replace("\xa0", " ")).strip()


def name_key(name: str) -> str:
    return re.sub(r"[^A-Z,]", "", clean(name).upper())


def search_url(base_url: str, query: dict, db: str = "all") -> str:
    params = {"db": db}
    for field, param in SEARCH_PARAMS.items():
        if query.get(field):
            params[param] = str(query[field]).strip()
    return f"{base_url.rstrip('/')}/dockets/Results.aspx?{urlencode(params)}"


def _param(href: str, name: str) -> str | None:
    values = parse_qs(urlparse(href).query).get(name)
    return values[0] if values else None


class OscnPartySpider(scrapy.Spider):
    """Party search → matching cases → the matched party's address table."""

    name = "oscn"

    def __init__(self, *args, queries=(), base_url: str = "", db: str = "all", **kwargs):
        super().__init__(*args, **kwargs)
        self.queries = list(queries)
        self.base_url = base_url
        self.db = db

    async def start(self):
        for index, query in enumerate(self.queries):
            if not query.get("last_name"):
                yield SearchFailure(index, "a last_name is required")
                continue
            yield scrapy.Request(search_url(self.base_url, query, self.db),
                                 callback=self.parse_results, errback=self.search_failed,
                                 cb_kwargs={"index": index}, dont_filter=True)

    def parse_results(self, response, index: int):
        rows = response.css("table.caseCourtTable tr.resultTableRow")
        if response.css("td.moreResults"):
            self.crawler.stats.inc_value("oscn/results_truncated")
            self.logger.warning("search %d: results truncated by the site", index)
        for row in rows:
            href = row.css("a::attr(href)").get()
            if not href or not _param(href, "number"):
                continue
            cells = [clean(" ".join(td.css("::text").getall())) for td in row.css("td")]
            yield response.follow(
                href, callback=self.parse_case, dont_filter=True,
                cb_kwargs={"index": index, "db": _param(href, "db") or self.db,
                           "number": _param(href, "number"),
                           "filed": cells[1] if len(cells) > 1 else None,
                           "found": cells[3] if len(cells) > 3 else ""})

    def search_failed(self, failure):
        index = failure.request.cb_kwargs["index"]
        if failure.check(HttpError):
            reason = f"the search page answered HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            reason = f"the search page was not fetched: {clean(str(failure.value))}"
        else:
            reason = f"{failure.type.__name__}: {clean(str(failure.value))[:200]}"
        yield SearchFailure(index, reason)

    def parse_case(self, response, index: int, db: str, number: str, filed: str | None,
                   found: str):
        base = dict(query_index=index, db=db, case_number=number, filed=filed,
                    judgment="JUDGMENT" in " ".join(response.css(".docketlist ::text").getall()).upper())
        for name, party_type, href in self._parties(response):
            if not self._is_searched_party(name, found, index):
                continue
            party = CaseParty(party_name=name, party_type=party_type, **base)
            if not href:
                yield party
                continue
            party.party_id = _param(href, "id")
            yield response.follow(href, callback=self.parse_party, errback=self.party_failed,
                                  cb_kwargs={"party": party}, dont_filter=True)

    @staticmethod
    def _parties(response):
        """(name, type, href or None) for each party in the paragraph after the heading."""
        paragraph = response.xpath(
            "//h2[contains(concat(' ', normalize-space(@class), ' '), ' party ')]"
            "/following-sibling::p[1]")
        if not paragraph:
            return
        links = paragraph.css("a")
        if links:
            for link in links:
                tail = link.xpath("following-sibling::text()[1]").get() or ""
                match = _PARTY_TYPE.match(clean(tail))
                yield (clean(" ".join(link.css("::text").getall())),
                       match.group("type") if match else "", link.attrib.get("href"))
            return
        for line in paragraph.xpath("text()").getall():
            name, _, party_type = clean(line).rpartition(",")
            if name:
                yield clean(name), clean(party_type), None

    def _is_searched_party(self, name: str, found: str, index: int) -> bool:
        if found:
            return name_key(name) == name_key(found)
        last = str(self.queries[index].get("last_name", "")).upper()
        return clean(name).upper().startswith(f"{last},")

    def parse_party(self, response, party: CaseParty):
        table = response.css("table.partytable.addresses")
        keys = [clean(" ".join(th.css("::text").getall())).lower()
                for th in table.css("thead th")]
        rows = table.css("tbody tr")
        if not rows:
            yield party
        for seq, row in enumerate(rows):
            cells = dict(zip(keys, row.css("td")))
            address = cells.get("address")
            lines = [clean(t) for t in address.css("::text").getall()] if address else []
            yield CaseParty(**{**party.__dict__, "address_lines": [l for l in lines if l],
                               "address_date": _text(cells.get("record date")),
                               "address_status": _text(cells.get("status")),
                               "address_seq": seq})

    def party_failed(self, failure):
        # The case itself is still a fact worth keeping, without an address.
        self.crawler.stats.inc_value("oscn/party_pages_skipped")
        yield failure.request.cb_kwargs["party"]


def _text(cell) -> str | None:
    return clean(" ".join(cell.css("::text").getall())) or None if cell is not None else None
