"""The OSCN Scrapy adapter against a loopback copy of the site (tests/oscn_pages/).

Proves: records and events from results → case → party pages; robots.txt is obeyed
(the server's request log shows no disallowed fetch); politeness settings are explicit
and the delay really spaces requests; crawls run repeatedly in one process; a batch of
20 searches runs as one crawl; a search or crawl that fails maps to SourceError; the
adapter passes the conformance kit and works inside a real lookup.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tracer.errors import SourceError
from tracer.sources.base import NotConfigured, SourceContext
from tracer.sources.crawl import polite_settings
from tracer.sources.oscn import OscnSource
from tracer.sources.spiders.pipelines import split_address

PAGES = Path(__file__).parent / "oscn_pages"
UA = "tracer-skiptrace/0.1 (+mailto:tests@example.invalid)"


class OscnPages(BaseHTTPRequestHandler):
    """Serves the page copies by path and query, and logs every request."""

    def do_GET(self):
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.log.append((url.path, params, self.headers.get("User-Agent")))
        self.server.times.append((url.path, time.monotonic()))
        if getattr(self.server, "delay", 0):
            time.sleep(self.server.delay)
        if url.path == "/robots.txt":
            return self._send(200, self.server.robots)
        page = {
            "/dockets/Results.aspx": lambda: f"results_{params.get('lname', '').lower()}.html",
            "/dockets/GetCaseInformation.aspx": lambda: f"case_{params.get('number')}.html",
            "/dockets/GetPartyRecord.aspx": lambda: f"party_{params.get('id')}.html",
        }.get(url.path)
        if page is None:
            return self._send(404, "not found")
        if params.get("lname") == "servererror":
            return self._send(500, "<html>Server Error</html>")
        path = PAGES / page()
        if url.path.endswith("Results.aspx") and not path.exists():
            path = PAGES / "results_none.html"
        if not path.exists():
            return self._send(404, "not found")
        self._send(200, path.read_text(), "text/html; charset=utf-8")

    def _send(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def oscn_site():
    """Start a loopback OSCN copy; returns a factory taking an optional robots.txt."""
    servers = []

    def start(robots: str | None = None, delay: float = 0.0):
        server = ThreadingHTTPServer(("127.0.0.1", 0), OscnPages)
        server.log, server.times, server.delay = [], [], delay
        server.robots = robots if robots is not None else (PAGES / "robots.txt").read_text()
        server.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def adapter(base_url: str, **settings) -> OscnSource:
    return OscnSource(SourceContext(settings={
        "base_url": base_url, "user_agent": UA, "download_delay": 0.01,
        "crawl_timeout": 30, **settings}))


def paths(server, path: str) -> list[dict]:
    return [params for p, params, _ua in server.log if p == path]


def test_a_search_yields_party_records_with_addresses_and_events(oscn_site):
    site = oscn_site()
    records = list(adapter(site.base_url).search({"first_name": "William",
                                                  "last_name": "Okafor"}))
    by_case = {}
    for r in records:
        by_case.setdefault(r.record_id.split(":")[1], []).append(r)
    assert set(by_case) == {"SC-2024-1201", "CJ-2021-455", "SC-2019-3300"}
    current = by_case["SC-2024-1201"][0]
    assert (current.full_name, current.last_name, current.first_name, current.middle_name) == \
        ("OKAFOR, WILLIAM J", "OKAFOR", "WILLIAM", "J")
    assert (current.street, current.city, current.state, current.zip) == \
        ("77 PINE AVE APT 2", "TULSA", "OK", "74103")
    assert (current.event, current.event_date, current.first_seen) == \
        ("lawsuit", "2024-03-14", "2024-03-14")
    assert len(by_case["SC-2024-1201"]) == 2            # current and historical address
    assert by_case["CJ-2021-455"][0].event == "judgment"  # docket says JUDGMENT
    assert by_case["CJ-2021-455"][0].street == "1200 S BOSTON AVE"  # one-line address
    no_link = by_case["SC-2019-3300"][0]                 # party without a record link
    assert no_link.street is None and no_link.event == "lawsuit"
    # Plaintiffs are other people: never followed, never returned.
    assert not any("CREDIT UNION" in (r.full_name or "") for r in records)
    assert {p["id"] for p in paths(site, "/dockets/GetPartyRecord.aspx")} == {"5001", "5004"}
    assert paths(site, "/dockets/Results.aspx") == [
        {"db": "all", "lname": "Okafor", "fname": "William"}]
    assert all(r.source == "oscn" and r.raw_hash for r in records)
    assert {ua for _p, _q, ua in site.log} == {UA}       # the honest User-Agent, always


def test_probate_case_is_a_probate_event_not_deceased(oscn_site):
    site = oscn_site()
    records = list(adapter(site.base_url).search({"first_name": "Luis",
                                                  "last_name": "Ferreira"}))
    assert [(r.full_name, r.event, r.city) for r in records] == [
        ("FERREIRA, LUIS", "probate", "NORMAN")]  # the representative is someone else


def test_robots_txt_is_obeyed(oscn_site):
    site = oscn_site(robots="User-agent: *\nDisallow: /dockets/GetPartyRecord.aspx\n")
    records = list(adapter(site.base_url).search({"last_name": "Okafor"}))
    assert paths(site, "/robots.txt")                            # it was read first
    assert paths(site, "/dockets/GetPartyRecord.aspx") == []     # nothing disallowed fetched
    assert paths(site, "/dockets/GetCaseInformation.aspx")       # allowed pages were
    assert records and all(r.street is None for r in records)    # cases kept, no addresses


def test_a_search_page_forbidden_by_robots_is_a_source_error(oscn_site):
    site = oscn_site(robots="User-agent: *\nDisallow: /dockets/\n")
    with pytest.raises(SourceError, match="robots.txt"):
        list(adapter(site.base_url).search({"last_name": "Okafor"}))
    assert [p for p, _q, _ua in site.log] == ["/robots.txt"]


@pytest.mark.parametrize("query, message", [
    ({"first_name": "NoLastName"}, "last_name is required"),
    ({"last_name": "servererror"}, "500"),
])
def test_a_failed_search_is_a_source_error(oscn_site, query, message):
    site = oscn_site()
    with pytest.raises(SourceError, match=message):
        list(adapter(site.base_url).search(query))


def test_a_crawl_that_hangs_is_killed_and_reported(oscn_site):
    site = oscn_site(delay=5.0)
    started = time.monotonic()
    with pytest.raises(SourceError, match="timed out") as err:
        list(adapter(site.base_url, crawl_timeout=1.5).search({"last_name": "Okafor"}))
    assert err.value.retryable and time.monotonic() - started < 4.5


def test_crawls_run_again_and_again_in_one_process(oscn_site):
    site = oscn_site()
    source = adapter(site.base_url)
    first = list(source.search({"last_name": "Ferreira", "first_name": "Luis"}))
    second = list(source.search({"last_name": "Ferreira", "first_name": "Luis"}))
    assert first == second and len(first) == 1
    assert len(paths(site, "/dockets/Results.aspx")) == 2


def test_a_batch_of_twenty_searches_runs_as_one_crawl(oscn_site):
    site = oscn_site()
    names = ["Okafor", "Ferreira", "Pruitt", "Nobody", "Santos"] * 4
    queries = [{"last_name": n, "first_name": "X" if n == "Okafor" else None} for n in names]
    queries[5] = {"first_name": "NoLastName"}            # one bad search in the batch
    started = time.monotonic()
    results = adapter(site.base_url).search_many(queries)
    elapsed = time.monotonic() - started
    assert len(results) == 20 and len(paths(site, "/dockets/Results.aspx")) == 19
    assert isinstance(results[5], SourceError)
    assert [len(results[i]) for i in (0, 1, 2, 3)] == [4, 1, 0, 0]
    assert results[10] == results[0] and results[16] == results[1]
    assert sum(1 for p, _q, _u in site.log if p == "/robots.txt") == 1
    assert elapsed < 30, f"a batch of 20 took {elapsed:.1f} s"


def test_the_download_delay_spaces_requests_to_the_site(oscn_site):
    site = oscn_site()
    list(adapter(site.base_url, download_delay=0.3).search({"last_name": "Okafor"}))
    stamps = [t for p, t in site.times if p.startswith("/dockets/")]
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert len(gaps) >= 5 and min(gaps) >= 0.3 * 0.95, gaps


def test_politeness_is_explicit():
    settings = polite_settings(base_url="https://example.org/court", user_agent=UA)
    assert settings["ROBOTSTXT_OBEY"] is True and settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["DOWNLOAD_DELAY"] >= 1
    assert settings["RANDOMIZE_DOWNLOAD_DELAY"] is False and settings["DOWNLOAD_DELAY_JITTER"] == 0
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["USER_AGENT"] == UA


@pytest.mark.parametrize("settings, reason", [
    ({}, "no base_url"),
    ({"base_url": "https://example.org/court"}, "user_agent"),
    ({"base_url": "https://example.org/court", "user_agent": UA}, "user_agent"),  # placeholder
    ({"base_url": "https://example.org/court", "user_agent": "tracer (+mailto:ops@corp.com)",
      "download_delay": 0.1}, "below the 1 s floor"),
])
def test_missing_or_impolite_settings_disable_the_source(settings, reason):
    with pytest.raises(NotConfigured, match=reason):
        OscnSource(SourceContext(settings=settings))


@pytest.mark.parametrize("lines, expected", [
    (["77 PINE AVE APT 2", "TULSA, OK 74103"],
     {"street": "77 PINE AVE APT 2", "city": "TULSA", "state": "OK", "zip": "74103"}),
    (["1200 S BOSTON AVE, TULSA, OK 74119-2201"],
     {"street": "1200 S BOSTON AVE", "city": "TULSA", "state": "OK", "zip": "74119"}),
    (["GENERAL DELIVERY"], {"street": "GENERAL DELIVERY"}),
    ([], {}),
])
def test_address_cells_split_into_fields(lines, expected):
    assert split_address(lines) == expected


def test_the_adapter_passes_the_conformance_kit(oscn_site):
    from tracer.sources.conformance import check_source, format_results
    site = oscn_site()
    results = check_source(OscnSource, settings={
        "base_url": site.base_url, "user_agent": UA, "download_delay": 0.01},
        queries=[{"first_name": "William", "last_name": "Okafor"}])
    assert {r.check: r.status for r in results} == dict.fromkeys(
        ["declaration", "purposes", "starts", "returns_records", "declared_fields",
         "error_mapping", "latency", "no_sensitive_logs"], "pass"), format_results(results)


def oscn_env(site, ws) -> dict[str, str]:
    """Enable the source for one test in a TRACER_CONFIG sources.toml (the environment
    may not enable a source), its settings through the documented environment overrides."""
    from conftest import configure_sources
    config = configure_sources(ws.root / "config", oscn={})
    return {**config, "TRACER_SOURCE_OSCN_BASE_URL": site.base_url,
            "TRACER_SOURCE_OSCN_DOWNLOAD_DELAY": "0.01", "TRACER_SOURCE_OSCN_USER_AGENT": UA}


def test_a_lookup_asks_oscn_through_the_gate_and_audits_it(loaded, oscn_site):
    import json
    site = oscn_site()
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason",
                 "mail returned, need a current address", "--user", "alice", "--json",
                 env=oscn_env(site, loaded))
    assert run.exit_code == 0, run.output
    outcome = {s["source"]: s for s in json.loads(run.stdout)["sources"]}["oscn"]
    assert outcome["error"] is None and outcome["count"] == 4
    assert outcome["fields"] == ["first_name", "last_name", "middle_name"]  # names only
    [sent] = paths(site, "/dockets/Results.aspx")
    assert set(sent) == {"db", "lname", "fname", "mname"}                  # no DOB, no SSN
    health = json.loads(loaded("sources", "health", "--json").stdout)["oscn"]
    assert (health["calls"], health["errors"], health["hit_rate"]) == (1, 0, 1.0)


def test_sources_check_runs_the_kit_on_oscn_from_the_cli(ws, oscn_site):
    site = oscn_site()
    run = ws("sources", "check", "oscn", "--query", '{"last_name": "Ferreira"}',
             env=oscn_env(site, ws))
    assert run.exit_code == 0, run.output
    assert "oscn: conforms (0 skipped)" in run.stdout


def test_a_batch_of_twenty_lookups_asks_oscn_in_one_crawl(ws, oscn_site):
    """`tracer batch` over 20 accounts with OSCN enabled: the gate decides each lookup,
    then one crawl (one child process, one robots.txt) answers all 20 searches; every
    lookup's query and result is audited as its own, and the batch completes."""
    import json
    site = oscn_site()
    rows = [dict(account_id=f"OK-{i:02d}", first_name="Luis", last_name="Ferreira",
                 state="OK", zip="74103") for i in range(20)]
    path = ws.write_csv("okla.csv", rows)
    assert ws("accounts", "import", path, "--user", "sam").exit_code == 0
    run = ws("batch", "--purpose", "collect-debt", "--reason",
             "quarterly skip trace of returned mail, Oklahoma placements", "--user", "sam",
             "--json", env=oscn_env(site, ws))
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    assert summary["total"] == 20 and summary["done"] == 20
    assert len(paths(site, "/dockets/Results.aspx")) == 20
    assert len([p for p, _params, _ua in site.log if p == "/robots.txt"]) == 1   # one crawl
    for (lookup,) in ws.sql("SELECT lookup_id FROM lookups"):
        events = [e for (e,) in ws.sql("SELECT event FROM audit WHERE lookup_id = ? AND"
                                       " event LIKE 'source_%' ORDER BY seq", (lookup,))]
        assert events.count("source_query") == events.count("source_result") + \
            events.count("source_error") and "source_result" in events, events
    health = json.loads(ws("sources", "health", "--json").stdout)["oscn"]
    assert (health["calls"], health["errors"]) == (20, 0)
    assert ws("audit", "verify").exit_code == 0
