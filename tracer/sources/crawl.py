"""How Scrapy crawls run inside tracer: one child process per crawl.

Why a child process: Twisted's reactor can start only once per process, and a lookup
service runs many crawls (one per trace, or one per batch).  Running each crawl as
``python -m tracer.sources.crawl JOB.json`` gives every crawl a fresh reactor, a hard
timeout (the child is killed), and isolation (a crashed crawl cannot take the lookup
down).  The cost is ~1 s of start-up per crawl, so a batch asks for all of its searches
in one crawl (:func:`run_crawl` takes a list of queries) instead of one crawl each.

The job file carries the spider name, its queries and settings; the child writes JSON
lines (records, per-search errors, then the crawl stats) to a file the parent reads.
Queries never go on the command line, where other users of the machine could see them.

Politeness is explicit (scrapy's library default does not obey robots.txt): see
:func:`polite_settings`.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import SourceError
from ..privacy import mask_text

#: The floor for the per-domain delay against any host that is not this machine.
MIN_REMOTE_DELAY = 1.0

PIPELINES = {
    "tracer.sources.spiders.pipelines.RecordPipeline": 100,
    "tracer.sources.spiders.pipelines.DedupePipeline": 200,
    "tracer.sources.spiders.pipelines.JsonLinesPipeline": 900,
}


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def polite_settings(*, base_url: str, user_agent: str, delay: float = MIN_REMOTE_DELAY,
                    download_timeout: float = 30.0) -> dict[str, Any]:
    """Scrapy settings every tracer crawl uses; ``delay`` is seconds between requests to
    one domain.  A delay under :data:`MIN_REMOTE_DELAY` is refused for remote hosts (tests
    use a tiny delay against 127.0.0.1)."""
    if delay < MIN_REMOTE_DELAY and not is_loopback(base_url):
        raise ValueError(f"download delay {delay:g} s is below the {MIN_REMOTE_DELAY:g} s "
                         "floor for remote sites")
    return {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": user_agent,
        "DOWNLOAD_DELAY": delay,
        # Scrapy's default randomises the delay to 0.5x-1.5x; the floor must hold.  (Newer
        # Scrapy names this DOWNLOAD_DELAY_JITTER; the child keeps the key it knows.)
        "DOWNLOAD_DELAY_JITTER": 0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(10.0, delay * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": download_timeout,
        "RETRY_TIMES": 1,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "ITEM_PIPELINES": PIPELINES,
    }


@dataclass
class CrawlOutput:
    """What one crawl found: records and errors per search (by position), and stats."""

    records: list[list[dict]]
    errors: dict[int, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


def run_crawl(source: str, spider: str, queries: list[dict], *, spider_args: dict,
              settings: dict, timeout: float) -> CrawlOutput:
    """Run ``spider`` over ``queries`` in a child process; raise :class:`SourceError`
    naming ``source`` if the crawl times out or dies.  A search whose own page failed is
    reported in ``errors`` and the others still count."""
    with tempfile.TemporaryDirectory(prefix="tracer-crawl-") as tmp:
        job, out, log = Path(tmp, "job.json"), Path(tmp, "out.jsonl"), Path(tmp, "crawl.log")
        job.write_text(json.dumps({"spider": spider, "queries": queries,
                                   "spider_args": spider_args,
                                   "settings": settings | {"TRACER_OUTPUT": str(out)}}))
        job.chmod(0o600)
        try:
            with log.open("wb") as log_file:
                proc = subprocess.run([sys.executable, "-m", "tracer.sources.crawl", str(job)],
                                      stdout=log_file, stderr=subprocess.STDOUT,
                                      timeout=timeout, env=_child_env())
        except subprocess.TimeoutExpired:
            raise SourceError(source, f"crawl timed out after {timeout:g} s",
                              retryable=True) from None
        if proc.returncode != 0 or not out.exists():
            raise SourceError(source, f"crawl failed (exit {proc.returncode}): "
                                      f"{_last_error(log)}")
        return _read_output(out, len(queries))


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must import the same tracer as the parent, installed or not.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def _last_error(log: Path) -> str:
    lines = [l for l in log.read_text(errors="replace").splitlines() if l.strip()]
    errors = [l for l in lines if "ERROR" in l or "Error" in l] or lines
    return mask_text(errors[-1][-300:]) if errors else "no output"


def _read_output(out: Path, count: int) -> CrawlOutput:
    result = CrawlOutput([[] for _ in range(count)])
    for line in out.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "stats" in row:
            result.stats = row["stats"]
        elif "error" in row:
            result.errors[row["query"]] = row["error"]
        else:
            result.records[row["query"]].append(row["record"])
    return result


def _spider_class(name: str):
    from .spiders import SPIDERS
    if name not in SPIDERS:
        raise SystemExit(f"unknown spider {name!r}; known: {', '.join(sorted(SPIDERS))}")
    module, _, attr = SPIDERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def main(argv: list[str]) -> int:
    """Child-process entry point: run one job file's crawl to completion."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import default_settings

    job = json.loads(Path(argv[0]).read_text())
    settings = job["settings"]
    jitter = "DOWNLOAD_DELAY_JITTER"
    settings.pop("RANDOMIZE_DOWNLOAD_DELAY" if hasattr(default_settings, jitter) else jitter, None)
    process = CrawlerProcess(settings=settings)
    process.crawl(_spider_class(job["spider"]), queries=job["queries"], **job["spider_args"])
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
