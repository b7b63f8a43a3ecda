"""Scrapy spiders for public HTML sources, run by :mod:`tracer.sources.crawl`.

Spiders only turn pages into items; :mod:`.pipelines` turns items into
:class:`~tracer.models.Record` rows.  Crawls always run in a child process (see
:mod:`tracer.sources.crawl`), so nothing here is imported by a lookup itself.

``SPIDERS`` names every spider a crawl job may ask for; a job naming anything else is
refused, so a job file cannot make the child import arbitrary code.
"""

SPIDERS = {
    "oscn": "tracer.sources.spiders.oscn:OscnPartySpider",
}
