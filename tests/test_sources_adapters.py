"""Every public-record adapter against a local server speaking its documented format
(SOURCES.md §1-§6, §13): happy path, empty result, error envelope, auth, 429 with
Retry-After, 5xx then success, malformed body, timeout, pagination; then one lookup
end to end through the gate, the audit trail and the scrub."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import pytest

from fixture_servers import (CL_TOKEN, PCL_LOGIN, USPS_CLIENT, FixtureServer, Reply,
                             census_match, census_server, cl_docket, courtlistener_server,
                             no_network, npi_provider, nppes_server, pcl_party, pcl_server,
                             soda_server, usps_answer, usps_server)
from tracer.errors import SourceError
from tracer.sources.base import NotConfigured, SourceContext
from tracer.sources.census import CensusGeocoderSource, geocode_batch
from tracer.sources.courtlistener import CourtListenerSource
from tracer.sources.http import HttpClient
from tracer.sources.nppes import NppesSource
from tracer.sources.pacer import PacerSource
from tracer.sources.registry import SourceRegistry, source_settings
from tracer.sources.socrata import configured_datasets, socrata_source
from tracer.sources.usps import UspsSource, delivery_signal


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("PACER_LOGIN_ID", PCL_LOGIN[0])
    monkeypatch.setenv("PACER_PASSWORD", PCL_LOGIN[1])
    monkeypatch.setenv("COURTLISTENER_TOKEN", CL_TOKEN)
    monkeypatch.setenv("USPS_CLIENT_ID", USPS_CLIENT[0])
    monkeypatch.setenv("USPS_CLIENT_SECRET", USPS_CLIENT[1])
    monkeypatch.delenv("SOCRATA_APP_TOKEN", raising=False)
    with no_network():
        yield


class Clock:
    """Injected into the client: sleeps are recorded, not slept."""

    def __init__(self):
        self.now, self.sleeps = 5000.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


FAST = {"enabled": True, "retries": 1, "backoff": 0.01, "read_timeout": 2, "timeout": 20, "cache_ttl": 0,
        "rate_limit_per_minute": 0}


def adapter(cls, server: FixtureServer, prefix: str = "", clock: Clock | None = None,
            **settings):
    """An adapter whose base URL is the fixture server, with tiny backoffs."""
    merged = {**FAST, "base_url": server.url + prefix, **settings}
    merged = {k: (v.replace("{url}", server.url) if isinstance(v, str) else v) for k, v in merged.items()}
    context = SourceContext(settings=merged)
    clock = clock or Clock()
    client = HttpClient(cls.name, {**cls.default_settings, **merged}, sleep=clock.sleep, clock=clock)
    return cls(context, client=client)


# -- Socrata dataset classes come from the shipped config ---------------------------------

SODA = {cls.name: cls for cls in configured_datasets(source_settings())}

COOK_ROWS = [
    {"row_id": str(i), "pin": f"1401{i:010d}", "year": "2025",
     "owner_address_name": name, "owner_address_full": street,
     "owner_address_city_name": "CHICAGO", "owner_address_state": "IL",
     "owner_address_zipcode_1": "60611", "mail_address_name": name,
     "mail_address_full": street, "prop_address_full": "1 SITUS ST"}
    for i, (name, street) in enumerate([
        ("PRUITT DANA", "400 LAKE SHORE DR APT 9"), ("PRUITT DANA M", "12 W ELM ST"),
        ("PRUITT DANIEL", "88 N STATE ST"), ("O'BRIEN KATHLEEN", "5 CLARK ST"),
        ("SMITH JOHN", "1 MAIN ST")])]

ACRIS_ROWS = [
    {"document_id": "2024010400123001", "record_type": "P", "party_type": "1",
     "name": "PRUITT, DANA", "address_1": "400 LAKE SHORE DR", "address_2": "APT 9",
     "country": "US", "city": "CHICAGO", "state": "IL", "zip": "60611",
     "good_through_date": "2025-12-31T00:00:00.000"},
    {"document_id": "2024010400123001", "record_type": "P", "party_type": "2",
     "name": "PRUITT, DANA", "address_1": "77 PINE AVE", "address_2": "", "country": "US",
     "city": "BROOKLYN", "state": "NY", "zip": "11201",
     "good_through_date": "2025-12-31T00:00:00.000"}]

COLORADO_ROWS = [
    {"entityid": "20101234567", "entityname": "PRUITT HOLDINGS LLC", "entitystatus": "Good Standing",
     "entitytype": "DLLC", "entityformdate": "2010-05-04T00:00:00.000",
     "principaladdress1": "1600 GLENARM PL", "principalcity": "DENVER", "principalstate": "CO",
     "principalzipcode": "80202", "agentfirstname": "DANA", "agentmiddlename": "M",
     "agentlastname": "PRUITT", "agentsuffix": ""}]


# -- the table every adapter runs through ------------------------------------------------

@dataclass
class Case:
    cls: Any
    server: Callable[[], FixtureServer]
    prefix: str
    path: str  # where failures are injected
    query: dict
    expect: int  # records in the happy path
    settings: dict


CASES = {
    "pacer": Case(PacerSource, lambda: pcl_server([
        pcl_party("Pruitt", "Dana", "1:24-bk-12345"),
        pcl_party("Pruitt", "Dana", "1:22-bk-00777", role="cr")]),  # a creditor, skipped
        "/pcl-public-api/rest", "/parties/find", {"first_name": "Dana", "last_name": "Pruitt"}, 1,
        {"auth_url": "{url}/services/cso-auth"}),
    "courtlistener": Case(CourtListenerSource, lambda: courtlistener_server([
        cl_docket(101, "In re: Dana Pruitt", ["Dana Pruitt", "Jane Trustee"]),
        cl_docket(102, "Acme Bank v. Roe", ["Dana Pruitt", "Richard Roe"], court="ilnd",
                  chapter=None),  # a civil case, not a bankruptcy
        cl_docket(103, "In re: Richard Roe", ["Richard Roe", "Dana Pruitt"])]),  # a creditor
        "/api/rest/v4", "/search/", {"first_name": "Dana", "last_name": "Pruitt"}, 1, {}),
    "census_geocoder": Case(CensusGeocoderSource, lambda: census_server({
        "400 Lake Shore Dr": census_match("400 N LAKE SHORE DR", "CHICAGO", "IL", "60611")}),
        "/geocoder", "/locations/address",
        {"street": "400 Lake Shore Dr", "city": "Chicago", "state": "IL", "zip": "60611"}, 1, {}),
    "usps": Case(UspsSource, lambda: usps_server({
        "400 Lake Shore Dr": usps_answer("400 N LAKE SHORE DR", "CHICAGO", "IL", "60611", "4108",
                                         unit="APT 9")}),
        "", "/addresses/v3/address",
        {"street": "400 Lake Shore Dr", "unit": "Apt 9", "city": "Chicago", "state": "IL",
         "zip": "60611"}, 1, {}),
    "soda_cook_assessor": Case(SODA["soda_cook_assessor"], lambda: soda_server(
        {"3723-97qp": COOK_ROWS}), "", "/resource/3723-97qp.json",
        {"first_name": "Dana", "last_name": "Pruitt"}, 2, {}),
    "nppes": Case(NppesSource, lambda: nppes_server([npi_provider(1063410173, "Dana", "Pruitt")]),
                  "/api", "/api/", {"first_name": "Dana", "last_name": "Pruitt"}, 1, {}),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    spec = CASES[request.param]
    with spec.server() as server:
        yield spec, server


def run(spec: Case, server, clock=None, **settings):
    source = adapter(spec.cls, server, spec.prefix, clock, **{**spec.settings, **settings})
    return source, list(source.search(dict(spec.query)))


def test_happy_path_yields_records_from_this_source(case):
    spec, server = case
    source, records = run(spec, server)
    assert len(records) == spec.expect
    assert {r.source for r in records} == {spec.cls.name}
    assert len({r.record_id for r in records}) == len(records)


@pytest.mark.parametrize("failure, sleeps", [
    (Reply(503), [0.01]),
    (Reply(500, text="Internal Server Error"), [0.01]),
    (Reply(429, {"detail": "Request was throttled."}, headers={"Retry-After": "2"}), [2.0]),
])
def test_a_transient_failure_is_retried(case, failure, sleeps):
    spec, server = case
    server.queue(spec.path, failure)
    clock = Clock()
    _, records = run(spec, server, clock)
    assert len(records) == spec.expect and clock.sleeps == sleeps


@pytest.mark.parametrize("failure, message", [
    (Reply(200, text="<html><body>Service Unavailable</body></html>",
           headers={"Content-Type": "text/html"}), "not JSON"),
    (Reply(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}), "asks to wait"),
    (Reply(200, {"late": True}, delay=0.5), r"timed out after 0.2 s"),
])
def test_a_failure_becomes_a_clear_source_error(case, failure, message):
    spec, server = case
    server.queue(spec.path, failure)
    with pytest.raises(SourceError, match=message) as err:
        run(spec, server, retries=0, read_timeout=0.2)
    assert err.value.source == spec.cls.name


@pytest.mark.parametrize("name, env", [
    ("pacer", "PACER_LOGIN_ID"), ("pacer", "PACER_PASSWORD"),
    ("courtlistener", "COURTLISTENER_TOKEN"),
    ("usps", "USPS_CLIENT_ID"), ("usps", "USPS_CLIENT_SECRET"),
])
def test_missing_credentials_disable_the_source_loudly(monkeypatch, name, env):
    monkeypatch.delenv(env)
    registry = SourceRegistry(settings={name: {"enabled": True,
                                               "base_url": "http://127.0.0.1:9"}})
    info = {i.name: i for i in registry.infos()}[name]
    assert not info.enabled and info.disabled_reason.startswith(f"set {env} to ")


def test_shipped_config_registers_every_public_adapter_switched_off():
    infos = {i.name: i for i in SourceRegistry().infos()}
    for name in ("pacer", "courtlistener", "census_geocoder", "usps", "nppes",
                 "soda_cook_assessor", "soda_nyc_acris_parties", "soda_colorado_business"):
        assert infos[name].kind == "public_record"
        assert not infos[name].enabled and infos[name].disabled_reason == "disabled in config"


# -- PACER Case Locator -------------------------------------------------------------

def test_pacer_logs_in_then_searches_bankruptcies_with_the_token():
    with pcl_server([pcl_party("Pruitt", "Dana", "1:24-bk-12345", middle="M")]) as server:
        source = adapter(PacerSource, server, "/pcl-public-api/rest",
                         auth_url="{url}/services/cso-auth")
        [record] = source.search({"first_name": "Dana", "last_name": "Pruitt"})
        login, find = server.seen
    assert login.json() == {"loginId": PCL_LOGIN[0], "password": PCL_LOGIN[1]}
    assert find.headers["X-NEXT-GEN-CSO"] == "cso-token-1" and find.query == {"page": "0"}
    assert find.json() == {"lastName": "Pruitt", "firstName": "Dana", "exactNameMatch": False,
                           "courtCase": {"jurisdictionType": "bk"}}
    assert (record.record_id, record.event, record.event_date) == (
        "ilnbk:1:24-bk-12345", "bankruptcy", "2024-03-01")
    assert (record.first_name, record.middle_name, record.last_name) == ("DANA", "M", "PRUITT")
    assert source.last_call_meta == {"pages": 1, "billable_pages": 1, "search_fee": "0.10",
                                     "total_pages": 1, "total_elements": 1, "truncated": False}


def test_pacer_no_match_is_empty_but_still_billed():
    with pcl_server([]) as server:
        source = adapter(PacerSource, server, "/pcl-public-api/rest",
                         auth_url="{url}/services/cso-auth")
        assert list(source.search({"last_name": "Nobody"})) == []
    assert source.last_call_meta["billable_pages"] == 1  # "including no matches"


def test_pacer_failed_login_is_http_200_with_a_nonzero_login_result(monkeypatch):
    monkeypatch.setenv("PACER_PASSWORD", "wrong")
    with pcl_server([]) as server:
        source = adapter(PacerSource, server, "/pcl-public-api/rest",
                         auth_url="{url}/services/cso-auth")
        with pytest.raises(SourceError, match=r"login failed \(loginResult 13\): Invalid username"):
            source.search({"last_name": "Pruitt"})
        assert not server.requests_to("/parties/find")


def test_pacer_login_without_search_privileges_is_reported():
    with pcl_server([]) as server:
        server.queue("/cso-auth", Reply(200, {"loginResult": "0", "nextGenCSO": "t",
                                              "errorDescription": "You will not have PACER "
                                              "search privileges without a client code."}))
        source = adapter(PacerSource, server, "/pcl-public-api/rest",
                         auth_url="{url}/services/cso-auth")
        with pytest.raises(SourceError, match="without search privileges"):
            source.search({"last_name": "Pruitt"})


def test_pacer_pages_until_the_page_cap_and_follows_token_rotation():
    parties = [pcl_party("Pruitt", "Dana", f"1:2{i}-bk-0000{i}") for i in range(5)]
    with pcl_server(parties, page_size=2, rotate=True) as server:
        source = adapter(PacerSource, server, "/pcl-public-api/rest",
                         auth_url="{url}/services/cso-auth", max_pages=2)
        records = source.search({"last_name": "Pruitt"})
        finds = server.requests_to("/parties/find")
    assert [f.query["page"] for f in finds] == ["0", "1"]
    assert [f.headers["X-NEXT-GEN-CSO"] for f in finds] == ["cso-token-1", "cso-token-2"]
    assert len(records) == 4
    assert source.last_call_meta == {"pages": 2, "billable_pages": 2, "search_fee": "0.20",
                                     "total_pages": 3, "total_elements": 5, "truncated": True}


def test_pacer_logs_in_again_once_when_the_token_expires():
    with pcl_server([pcl_party("Pruitt", "Dana", "1:24-bk-1")]) as server:
        source = adapter(PacerSource, server, "/pcl-public-api/rest",
                         auth_url="{url}/services/cso-auth")
        source.search({"last_name": "Pruitt"})
        server.state["tokens"].clear()  # the court ended the session
        assert len(source.search({"last_name": "Pruitt"})) == 1
        assert len(server.requests_to("/cso-auth")) == 2
        source.logout()
        assert server.requests_to("/cso-logout")[0].json() == {"nextGenCSO": "cso-token-2"}


# -- CourtListener ----------------------------------------------------------------------

def test_courtlistener_sends_the_token_and_keeps_only_the_debtors_bankruptcies():
    spec = CASES["courtlistener"]
    with spec.server() as server:
        source, [record] = run(spec, server)
        [seen] = server.seen
    assert seen.headers["Authorization"] == f"Token {CL_TOKEN}"
    assert seen.query == {"type": "r", "party_name": "Dana Pruitt", "order_by": "dateFiled desc"}
    assert (record.record_id, record.full_name, record.event, record.event_date) == (
        "ilnb:101", "Dana Pruitt", "bankruptcy", "2023-05-04")


def test_courtlistener_follows_the_cursor_up_to_the_page_cap():
    dockets = [cl_docket(200 + i, "In re: Dana Pruitt", ["Dana Pruitt"]) for i in range(5)]
    with courtlistener_server(dockets, page_size=2) as server:
        source = adapter(CourtListenerSource, server, "/api/rest/v4", max_pages=2)
        records = source.search({"first_name": "Dana", "last_name": "Pruitt"})
        assert "cursor" in server.seen[1].query
    assert [r.record_id for r in records] == ["ilnb:200", "ilnb:201", "ilnb:202", "ilnb:203"]
    assert source.last_call_meta == {"pages": 2, "count": 5, "truncated": True}


def test_courtlistener_never_sends_its_token_to_another_host():
    with courtlistener_server([]) as server:
        server.queue("/search/", Reply(200, {"count": 9, "previous": None, "results": [],
                                             "next": "http://localhost:9/api/rest/v4/search/?cursor=x"}))
        source = adapter(CourtListenerSource, server, "/api/rest/v4")
        with pytest.raises(SourceError, match="another host"):
            source.search({"last_name": "Pruitt"})


@pytest.mark.parametrize("token, detail", [
    ("not-the-token", "Invalid token."),
])
def test_courtlistener_rejects_a_bad_token_clearly(monkeypatch, token, detail):
    monkeypatch.setenv("COURTLISTENER_TOKEN", token)
    with courtlistener_server([]) as server:
        source = adapter(CourtListenerSource, server, "/api/rest/v4")
        with pytest.raises(SourceError, match=rf"HTTP 401\): {detail}") as err:
            source.search({"last_name": "Pruitt"})
    assert not err.value.retryable


def test_courtlistener_401_without_credentials_names_the_detail():
    with courtlistener_server([]) as server:
        server.queue("/search/", Reply(401, {"detail": "Authentication credentials were not provided."}))
        source = adapter(CourtListenerSource, server, "/api/rest/v4")
        with pytest.raises(SourceError, match="credentials were not provided"):
            source.search({"last_name": "Pruitt"})


# -- Census Geocoder --------------------------------------------------------------------

def test_census_returns_the_normalized_address_and_tolerates_layer_errors():
    spec = CASES["census_geocoder"]
    with spec.server() as server:
        _, [record] = run(spec, server)
        [seen] = server.seen
    assert seen.query["benchmark"] == "Public_AR_Current" and seen.query["format"] == "json"
    assert "first_name" not in seen.query  # an address only, never a name
    assert (record.street, record.city, record.state, record.zip, record.event) == (
        "400 N LAKE SHORE DR", "CHICAGO", "IL", "60611", "address_verified")


def test_census_no_match_is_empty_and_an_error_envelope_is_reported():
    with census_server({}) as server:
        source = adapter(CensusGeocoderSource, server, "/geocoder")
        assert source.search({"street": "79 Wistful Vista", "zip": "61602"}) == []
        source = adapter(CensusGeocoderSource, server, "/geocoder", benchmark="")
        with pytest.raises(SourceError, match="Benchmark must be provided"):
            source.search({"street": "79 Wistful Vista", "zip": "61602"})


def test_census_batch_returns_rows_in_input_order_with_no_matches():
    known = {"3 Gramercy Park West": census_match("3 GRAMERCY PARK W", "NEW YORK", "NY", "10003"),
             "12 Oak St": census_match("12 OAK ST", "SPRINGFIELD", "IL", "62704")}
    rows = [("1", "3 Gramercy Park West", "New York", "NY", "10003"),
            ("2", "79 Wistful Vista", "Wistful Vista", "IL", ""),
            ("3", "12 Oak St", "Springfield", "IL", "62704")]
    with census_server(known) as server:
        source = adapter(CensusGeocoderSource, server, "/geocoder")
        results = source.batch(rows)
        assert server.state["uploads"] == [{"benchmark": "Public_AR_Current"}]
    assert [(r.id, r.status) for r in results] == [("1", "Match"), ("2", "No_Match"), ("3", "Match")]
    assert results[0].match.one_line == "3 GRAMERCY PARK W, NEW YORK, NY, 10003"
    assert results[2].match_type == "Exact" and results[2].match.lat == pytest.approx(39.7817)
    assert results[1].match is None


def test_census_batch_splits_uploads_at_ten_thousand_rows():
    rows = [(str(i), f"{i} Main St", "Peoria", "IL", "61602") for i in range(10_001)]
    with census_server({}) as server:
        client = HttpClient("census_geocoder", {**FAST, "base_url": server.url + "/geocoder"})
        results = geocode_batch(client, rows)
        assert len(server.requests_to("/addressbatch")) == 2
    assert len(results) == 10_001 and {r.status for r in results} == {"No_Match"}
    with pytest.raises(ValueError, match="unique"):
        geocode_batch(client, [("1", "a", "", "", ""), ("1", "b", "", "", "")])


def test_census_batch_answer_that_is_not_csv_is_a_source_error():
    with census_server({}) as server:
        server.queue("/addressbatch", Reply(200, text="<html>Error</html>"))
        client = HttpClient("census_geocoder", {**FAST, "base_url": server.url + "/geocoder"})
        with pytest.raises(SourceError, match="not the documented CSV"):
            geocode_batch(client, [("1", "12 Oak St", "Springfield", "IL", "62704")])


# -- USPS Addresses v3 ------------------------------------------------------------------

@pytest.mark.parametrize("info, event", [
    ({"DPVConfirmation": "Y", "vacant": "N", "business": "N"}, "deliverable"),
    ({"DPVConfirmation": "Y", "vacant": "Y"}, "vacant"),
    ({"DPVConfirmation": "N", "vacant": "Y"}, "vacant"),
    ({"DPVConfirmation": "N"}, "undeliverable"),
    ({"DPVConfirmation": ""}, "undeliverable"),
    ({"DPVConfirmation": "D"}, "unit_missing"),
    ({"DPVConfirmation": "S"}, "unit_unconfirmed"),
    ({"DPVConfirmation": "Y", "business": "Y"}, "business"),
])
def test_usps_delivery_signal(info, event):
    assert delivery_signal(info) == event


def test_usps_standardizes_with_zip4_and_marks_vacancy():
    vacant = usps_answer("77 PINE AVE", "PEORIA", "IL", "61602", "1234", dpv="Y", vacant="Y")
    with usps_server({"77 Pine Avenue": vacant}) as server:
        source = adapter(UspsSource, server)
        [record] = source.search({"street": "77 Pine Avenue", "city": "Peoria", "state": "IL",
                                  "zip": "61602-9999"})
        token_call, address_call = server.seen
    assert token_call.json()["grant_type"] == "client_credentials"
    assert address_call.headers["Authorization"] == "Bearer usps-token-1"
    assert address_call.query == {"streetAddress": "77 Pine Avenue", "city": "Peoria",
                                  "state": "IL", "ZIPCode": "61602"}
    assert (record.street, record.zip, record.event) == ("77 PINE AVE", "61602-1234", "vacant")
    assert source.last_call_meta == {"found": True, "dpv": "Y", "vacant": "Y", "business": "N"}


def test_usps_reuses_the_token_until_it_expires():
    spec = CASES["usps"]
    clock = Clock()
    with usps_server({"400 Lake Shore Dr": usps_answer("400 N LAKE SHORE DR", "CHICAGO", "IL",
                                                       "60611", "4108")}, expires_in=3600) as server:
        source = adapter(UspsSource, server, clock=clock)
        for _ in range(2):
            source.search(spec.query)
        assert len(server.requests_to("/token")) == 1
        clock.now += 3600 - 59  # inside the renewal margin
        source.search(spec.query)
        assert len(server.requests_to("/token")) == 2
        server.state["tokens"].clear()  # revoked server-side: renewed once on the 401
        assert len(source.search(spec.query)) == 1
        assert len(server.requests_to("/token")) == 3


def test_usps_not_found_is_empty_and_bad_input_is_reported(monkeypatch):
    with usps_server({}) as server:
        source = adapter(UspsSource, server)
        assert source.search({"street": "1 Nowhere Rd", "zip": "61602"}) == []
        server.queue("/address", Reply(400, {"apiVersion": "v3", "error": {
            "code": "400", "message": "OASValidation failed: state is required"}}))
        with pytest.raises(SourceError, match="state is required"):
            source.search({"street": "1 Nowhere Rd", "zip": "61602"})
        monkeypatch.setenv("USPS_CLIENT_SECRET", "wrong")
        source = adapter(UspsSource, server)
        with pytest.raises(SourceError, match="credentials.*Client authentication failed"):
            source.search({"street": "1 Nowhere Rd", "zip": "61602"})


# -- Socrata SODA -----------------------------------------------------------------------

@pytest.mark.parametrize("name, dataset, rows, expect", [
    ("soda_cook_assessor", "3723-97qp", COOK_ROWS,
     [dict(full_name="PRUITT DANA", street="400 LAKE SHORE DR APT 9", zip="60611",
           last_seen="2025-12-31", event="property_owner")]),
    ("soda_nyc_acris_parties", "636b-3b5g", ACRIS_ROWS,
     [dict(full_name="PRUITT, DANA", street="400 LAKE SHORE DR", unit="APT 9",
           last_seen="2025-12-31", event="property_party"),
      dict(full_name="PRUITT, DANA", street="77 PINE AVE", unit=None, city="BROOKLYN")]),
    ("soda_colorado_business", "4ykn-tg5h", COLORADO_ROWS,
     [dict(first_name="DANA", middle_name="M", last_name="PRUITT", suffix=None,
           employer="PRUITT HOLDINGS LLC", street="1600 GLENARM PL", first_seen="2010-05-04",
           event="registered_agent")]),
])
def test_each_configured_dataset_maps_its_columns(name, dataset, rows, expect):
    with soda_server({dataset: rows}) as server:
        source = adapter(SODA[name], server)
        records = source.search({"first_name": "Dana", "last_name": "Pruitt"})
        [seen] = server.seen
    assert seen.query["$order"] == source.settings["order"] and seen.query["$offset"] == "0"
    assert len(records) >= len(expect)
    for record, fields in zip(records, expect):
        assert {k: getattr(record, k) for k in fields} == fields
    assert len({r.record_id for r in records}) == len(records)


def test_soda_pages_with_limit_offset_under_a_stable_order():
    with soda_server({"3723-97qp": COOK_ROWS}) as server:
        source = adapter(SODA["soda_cook_assessor"], server, page_size=1, max_pages=5,
                         where="upper(owner_address_name) like 'PRUITT%'")
        records = source.search({"last_name": "Pruitt"})
        offsets = [s.query["$offset"] for s in server.seen]
    assert offsets == ["0", "1", "2", "3"]  # the fourth page came back short
    assert [r.full_name for r in records] == ["PRUITT DANA", "PRUITT DANA M", "PRUITT DANIEL"]
    assert source.last_call_meta == {"pages": 4, "rows": 3, "truncated": False}


def test_soda_quotes_names_for_soql():
    with soda_server({"3723-97qp": COOK_ROWS}) as server:
        source = adapter(SODA["soda_cook_assessor"], server)
        [record] = source.search({"first_name": "Kathleen", "last_name": "O'Brien%"})
        assert "'%O''BRIEN%'" in server.seen[0].query["$where"]
    assert record.full_name == "O'BRIEN KATHLEEN"


def test_soda_error_envelope_and_anonymous_throttling(monkeypatch):
    with soda_server({"3723-97qp": COOK_ROWS}) as server:
        source = adapter(SODA["soda_cook_assessor"], server,
                         where="upper(owner_nam) like '{last}%' OR 1=1")
        with pytest.raises(SourceError, match="No such column"):
            source.search({"last_name": "Pruitt"})
    with soda_server({"3723-97qp": COOK_ROWS}, throttle_anonymous=True) as server:
        source = adapter(SODA["soda_cook_assessor"], server, retries=0)
        with pytest.raises(SourceError, match="set SOCRATA_APP_TOKEN"):
            source.search({"last_name": "Pruitt"})
        monkeypatch.setenv("SOCRATA_APP_TOKEN", "app-token-1")
        source = adapter(SODA["soda_cook_assessor"], server)
        assert len(source.search({"first_name": "Dana", "last_name": "Pruitt"})) == 2
        assert server.seen[-1].headers["X-App-Token"] == "app-token-1"


def test_soda_dataset_without_a_field_map_is_not_configured():
    cls = socrata_source("soda_bare", {"base_url": "http://127.0.0.1:9", "dataset": "abcd-1234",
                                       "where": "name = '{last}'"})
    with pytest.raises(NotConfigured, match="set fields"):
        cls(SourceContext(settings={}))


# -- NPPES NPI Registry ------------------------------------------------------------------

def test_nppes_yields_workplace_records_and_skips_foreign_addresses():
    providers = [npi_provider(1063410173, "Dana", "Pruitt"),
                 npi_provider(1999999999, "Dana", "Pruitt", foreign=True)]
    with nppes_server(providers) as server:
        source = adapter(NppesSource, server, "/api")
        [record] = source.search({"first_name": "Dana", "last_name": "Pruitt", "state": "IL"})
        [seen] = server.seen
    assert seen.query == {"version": "2.1", "enumeration_type": "NPI-1", "last_name": "Pruitt",
                          "limit": "50", "first_name": "Dana", "skip": "0"}  # no state sent
    assert (record.record_id, record.event, record.employer) == (
        "1063410173:location", "workplace", "Urology practice (NPI 1063410173)")
    assert (record.street, record.unit, record.zip, record.phone) == (
        "777 CLEVELAND AVE SW", "SUITE 604", "30315-7129", "404-555-0166")
    assert source.last_call_meta["skipped_foreign"] == 1


def test_nppes_result_count_zero_and_errors_array():
    with nppes_server([]) as server:
        source = adapter(NppesSource, server, "/api")
        assert source.search({"first_name": "Dana", "last_name": "Pruitt"}) == []
        server.queue("/api/", Reply(200, {"Errors": [{
            "field": "enumeration_type", "number": "09",
            "description": "enumeration_type requires additional search criteria"}]}))
        with pytest.raises(SourceError, match="requires additional search criteria "
                                              r"\(field enumeration_type\)"):
            source.search({"last_name": "Pruitt"})


def test_nppes_pages_with_skip():
    providers = [npi_provider(1000000000 + i, "Dana", "Pruitt") for i in range(5)]
    with nppes_server(providers) as server:
        source = adapter(NppesSource, server, "/api", page_size=2, max_pages=2)
        records = source.search({"last_name": "Pruitt"})
        assert [s.query["skip"] for s in server.seen] == ["0", "2"]
    assert len(records) == 4 and source.last_call_meta["truncated"]


# -- end to end: an adapter through the real lookup --------------------------------------

PORTFOLIO = ("account_id,first_name,middle_name,last_name,dob,ssn,street,city,state,zip,"
             "status,debt_origin\n"
             "ACC-9,William,J,Okafor,1961-03-05,912-34-5678,12 Oak Street,Springfield,IL,62704,"
             "open,consumer_credit\n")


@pytest.fixture
def workspace(tmp_path):
    from tracer.consent.users import add_user
    from tracer.imports import import_accounts
    from tracer.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "w.db")
    add_user(ws, "sam", "supervisor")
    (tmp_path / "portfolio.csv").write_text(PORTFOLIO)
    import_accounts(ws, tmp_path / "portfolio.csv", actor="sam")
    yield ws
    ws.conn.close()


def _trace(ws, server, gate=None):
    from tracer.lookup import Tracer
    from tracer.sources.record_store import RecordStore

    settings = {"pacer": {**FAST, "enabled": True,
                          "base_url": server.url + "/pcl-public-api/rest",
                          "auth_url": server.url + "/services/cso-auth"},
                "account_history": {"enabled": True, "timeout": 10},
                "imported_records": {"enabled": True, "timeout": 10}}
    tracer = Tracer(ws, registry=SourceRegistry(RecordStore(ws), settings=settings), gate=gate)
    return tracer.trace("ACC-9", user_id="sam", purpose="collect-debt",
                        reason="mail returned, need a current address")


def _audit(ws, lookup_id):
    import json
    rows = ws.conn.execute("SELECT event, payload FROM audit WHERE lookup_id = ? ORDER BY seq",
                           (lookup_id,)).fetchall()
    return [(kind, json.loads(payload)) for kind, payload in rows]


def test_pacer_through_the_lookup_is_queried_audited_and_scrubbed(workspace):
    from tracer.consent.gate import Gate
    from tracer.consent.policy import load_policy

    with pcl_server([pcl_party("Okafor", "William", "1:24-bk-00042", middle="J")]) as server:
        result = _trace(workspace, server)
        pacer = {o.source: o for o in result.sources}["pacer"]
        assert pacer.error is None and pacer.count == 1 and pacer.fields == ("first_name", "last_name")
        audit = _audit(workspace, result.lookup_id)
        kinds = [k for k, _ in audit]
        assert kinds.index("decision") < kinds.index("source_query")
        query = next(p for k, p in audit if k == "source_query" and p["source"] == "pacer")
        assert query["fields"] == ["first_name", "last_name"] and "Okafor" not in str(query)
        answer = next(p for k, p in audit if k == "source_result" and p["source"] == "pacer")
        assert answer["record_keys"] == ["pacer:ilnbk:1:24-bk-00042"]
        # The bankruptcy reaches the identities; a name-only hit is below the shipped
        # scrub confidence: contacts are kept, but the account is flagged for review.
        assert any(("bankruptcy", "2024-03-01") in i.events for i in result.identities)
        assert not result.withheld and "possible bankruptcy 2024-03-01" in result.note
        scrub = next(p for k, p in _audit(workspace, result.lookup_id) if k == "scrub")
        assert scrub["action"].startswith("possible match")
        lenient = replace(load_policy(), scrub_min_identity_confidence=0.4)
        result = _trace(workspace, server, gate=Gate(workspace, policy=lenient))
    assert result.withheld and result.withheld[0].startswith("bankruptcy 2024-03-01")
    assert "scrub" in [k for k, _ in _audit(workspace, result.lookup_id)]


def test_a_failing_public_source_is_audited_and_sinks_nothing(workspace):
    with pcl_server([]) as server:
        server.queue("/parties/find", Reply(503), Reply(503))
        result = _trace(workspace, server)
    outcomes = {o.source: o for o in result.sources}
    assert "HTTP 503" in outcomes["pacer"].error
    assert outcomes["account_history"].error is None and outcomes["account_history"].count == 1
    errors = [p for k, p in _audit(workspace, result.lookup_id) if k == "source_error"]
    assert errors and errors[0]["source"] == "pacer" and "HTTP 503" in errors[0]["error"]
