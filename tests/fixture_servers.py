"""Local stand-ins for the public sources, and a guard that keeps tests off the internet.

Each server speaks its source's documented request and response formats (SOURCES.md
§1-§6), written by hand from the field lists; it listens on 127.0.0.1 on an ephemeral
port, in a thread.  ``server.queue(path, Reply(...))`` scripts one-shot answers (a 503, a
429 with Retry-After, a slow or malformed body) ahead of the normal behaviour, and
``server.seen`` records every request so tests can check what an adapter sent.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import ipaddress
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

# -- the network guard ---------------------------------------------------------------


class NetworkBlocked(OSError):
    """A test tried to reach a host that is not this machine."""


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def no_network():
    """Refuse every socket connection and name lookup that is not loopback."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise NetworkBlocked(f"test tried to connect to {address[0]}: tests stay on loopback")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            raise NetworkBlocked(f"test tried to resolve {host}: tests stay on loopback")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex
        socket.getaddrinfo = real_getaddrinfo


# -- the server ----------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Route = Callable[["FixtureServer", Seen], Reply]


class FixtureServer:
    """An HTTP server on 127.0.0.1 whose routes are ``(METHOD, path) -> handler``."""

    def __init__(self, routes: dict[tuple[str, str], Route], **state: Any):
        self.routes = routes
        self.state = state
        self.seen: list[Seen] = []
        self.scripted: list[tuple[str, Reply]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path,
                            {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                            dict(self.headers.items()), self.rfile.read(length) if length else b"")
                reply = server.dispatch(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                body = (reply.text if reply.json is None else json.dumps(reply.json)) or ""
                data = body.encode()
                try:
                    self.send_response(reply.status)
                    ctype = "application/json" if reply.json is not None else "text/plain"
                    self.send_header("Content-Type", reply.headers.pop("Content-Type", ctype))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, path: str, *replies: Reply) -> None:
        """Serve these replies, once each, to the next requests whose path ends with ``path``."""
        with self.lock:
            self.scripted.extend((path, r) for r in replies)

    def dispatch(self, seen: Seen) -> Reply:
        with self.lock:
            self.seen.append(seen)
            for i, (path, reply) in enumerate(self.scripted):
                if seen.path.endswith(path):
                    del self.scripted[i]
                    return Reply(reply.status, reply.json, reply.text, dict(reply.headers),
                                 reply.delay)
        route = self.routes.get((seen.method, seen.path))
        if route is None:
            return Reply(404, {"detail": "Not found."})
        return route(self, seen)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith(path)]

    def __enter__(self) -> "FixtureServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _page(rows: list, number: int, size: int) -> list:
    return rows[number * size:(number + 1) * size]


# -- PACER Case Locator (SOURCES.md §1) -------------------------------------------------

PCL_LOGIN = ("tracer-qa", "qa-password")


def pcl_party(last: str, first: str, case: str, *, court: str = "ilnbk", role: str = "db",
              filed: str = "2024-03-01", chapter: str = "7", middle: str = "") -> dict:
    return {"courtId": court, "caseId": abs(hash(case)) % 10**6, "caseYear": filed[:4],
            "caseNumber": case.split(":")[-1], "caseOffice": "1", "caseType": "bk",
            "caseTitle": f"{first} {last}", "caseNumberFull": case, "bankruptcyChapter": chapter,
            "dateFiled": filed, "dateTermed": None, "dateDischarged": None, "dateDismissed": None,
            "jurisdictionType": "bk", "partyRole": role, "lastName": last.upper(),
            "firstName": first.upper(), "middleName": middle.upper(),
            "courtCase": {"courtId": court, "caseNumberFull": case, "effectiveDateClosed": None}}


def _pcl_login(server: FixtureServer, seen: Seen) -> Reply:
    body = seen.json()
    if (body.get("loginId"), body.get("password")) != PCL_LOGIN:
        return Reply(200, {"loginResult": "13", "nextGenCSO": "",
                           "errorDescription": "Invalid username, password, or one-time passcode."})
    server.state["issued"] += 1
    token = f"cso-token-{server.state['issued']}"
    server.state["tokens"].add(token)
    return Reply(200, {"loginResult": "0", "nextGenCSO": token, "errorDescription": ""})


def _pcl_find(server: FixtureServer, seen: Seen) -> Reply:
    token = seen.headers.get("X-NEXT-GEN-CSO")
    if token not in server.state["tokens"]:
        return Reply(401, {"errors": [{"message": "Authentication required"}]})
    body = seen.json()
    last, first = body.get("lastName", "").upper(), body.get("firstName", "").upper()
    hits = [p for p in server.state["parties"] if p["lastName"].startswith(last)
            and p["firstName"].startswith(first)]  # PCL name search is "starts with"
    size, number = server.state["page_size"], int(seen.query.get("page", 0))
    total_pages = max(1, -(-len(hits) // size))
    headers = {}
    if server.state["rotate"]:  # a re-issued token replaces the old one
        server.state["tokens"].discard(token)
        server.state["issued"] += 1
        new = f"cso-token-{server.state['issued']}"
        server.state["tokens"].add(new)
        headers["X-NEXT-GEN-CSO"] = new
    content = _page(hits, number, size)
    return Reply(200, {
        "receipt": {"transactionDate": "2026-11-02T10:00:00.0-05:00", "billablePages": 1,
                    "loginId": PCL_LOGIN[0], "clientCode": "", "search": "All Courts",
                    "description": "All Court Types Party Search", "csoId": 1, "reportId": "r-1",
                    "searchFee": "0.10"},
        "pageInfo": {"number": number, "size": size, "totalPages": total_pages,
                     "totalElements": len(hits), "numberOfElements": len(content),
                     "first": number == 0, "last": number + 1 >= total_pages},
        "content": content}, headers=headers)


def pcl_server(parties: list[dict], *, page_size: int = 54, rotate: bool = False) -> FixtureServer:
    return FixtureServer({
        ("POST", "/services/cso-auth"): _pcl_login,
        ("POST", "/services/cso-logout"): lambda s, seen: Reply(200, {"loginResult": "0"}),
        ("POST", "/pcl-public-api/rest/parties/find"): _pcl_find,
    }, parties=parties, page_size=page_size, rotate=rotate, tokens=set(), issued=0)


# -- CourtListener v4 (SOURCES.md §2) ---------------------------------------------------

CL_TOKEN = "cl-test-token"


def cl_docket(docket_id: int, case_name: str, parties: list[str], *, court: str = "ilnb",
              chapter: str | None = "7", filed: str = "2023-05-04") -> dict:
    return {"assignedTo": None, "assigned_to_id": None, "caseName": case_name,
            "case_name_full": case_name, "cause": "", "chapter": chapter, "court": "Bankr. N.D. Ill.",
            "court_citation_string": "Bankr. N.D. Ill.", "court_id": court, "dateArgued": None,
            "dateFiled": filed, "dateTerminated": None, "docketNumber": f"23-{docket_id}",
            "docket_id": docket_id, "docket_absolute_url": f"/docket/{docket_id}/x/",
            "jurisdictionType": "", "juryDemand": "", "pacer_case_id": str(docket_id),
            "party": parties, "party_id": list(range(len(parties))), "attorney": [],
            "attorney_id": [], "firm": [], "firm_id": [], "referredTo": None,
            "referred_to_id": None, "suitNature": "", "trustee_str": "Jane Trustee",
            "meta": {"timestamp": "2026-01-01T00:00:00Z"}, "recap_documents": [], "more_docs": False}


def _cl_search(server: FixtureServer, seen: Seen) -> Reply:
    auth = seen.headers.get("Authorization")
    if auth is None:
        return Reply(401, {"detail": "Authentication credentials were not provided."})
    if auth != f"Token {CL_TOKEN}":
        return Reply(401, {"detail": "Invalid token."})
    query = dict(seen.query)
    offset = 0
    if "cursor" in query:
        offset = int(base64.urlsafe_b64decode(query.pop("cursor")).decode().split("=")[1])
    words = set(query.get("party_name", "").lower().split())
    hits = [d for d in server.state["dockets"]
            if any(words <= set(p.lower().split()) for p in d["party"])]
    size = server.state["page_size"]
    page = hits[offset:offset + size]
    nxt = None
    if offset + size < len(hits):
        cursor = base64.urlsafe_b64encode(f"o={offset + size}".encode()).decode()
        nxt = f"{server.url}/api/rest/v4/search/?{urlencode({'cursor': cursor, **query})}"
    return Reply(200, {"count": len(hits), "next": nxt, "previous": None, "results": page})


def courtlistener_server(dockets: list[dict], *, page_size: int = 20) -> FixtureServer:
    return FixtureServer({("GET", "/api/rest/v4/search/"): _cl_search},
                         dockets=dockets, page_size=page_size)


# -- US Census Geocoder (SOURCES.md §3) -------------------------------------------------


def census_match(street: str, city: str, state: str, zip5: str, *, tiger: str = "76225813") -> dict:
    return {"matchedAddress": f"{street}, {city}, {state}, {zip5}",
            "coordinates": {"x": -89.6501, "y": 39.7817},
            "tigerLine": {"tigerLineId": tiger, "side": "L"},
            "addressComponents": {"zip": zip5, "city": city, "state": state, "preDirection": "",
                                  "preType": "", "streetName": street.split(" ", 1)[-1],
                                  "suffixType": "", "suffixDirection": "", "suffixQualifier": "",
                                  "fromAddress": "1", "toAddress": "99", "preQualifier": ""},
            "geographies": {"Counties": [{"status": "Layer query encountered an error: timeout"}]}}


def _census_key(street: str) -> str:
    return " ".join(street.upper().replace(".", "").split())


def _census_address(server: FixtureServer, seen: Seen) -> Reply:
    if not seen.query.get("benchmark"):
        return Reply(400, {"errors": ["Benchmark must be provided"], "status": "400"})
    if not seen.query.get("street"):
        return Reply(400, {"errors": ["Street cannot be empty"], "status": "400"})
    match = server.state["known"].get(_census_key(seen.query["street"]))
    return Reply(200, {"result": {
        "input": {"address": {k: seen.query.get(k, "") for k in ("street", "city", "state", "zip")},
                  "benchmark": {"benchmarkName": seen.query["benchmark"], "id": "4"}},
        "addressMatches": [match] if match else []}})


def _census_batch(server: FixtureServer, seen: Seen) -> Reply:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + seen.headers["Content-Type"].encode() + b"\r\n\r\n" + seen.body)
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    server.state["uploads"].append({name: p.get_content() for name, p in parts.items()
                                    if name != "addressFile"})
    upload = parts["addressFile"].get_content()
    if isinstance(upload, bytes):
        upload = upload.decode()
    rows = list(csv.reader(io.StringIO(upload)))
    if len(rows) > 10_000:
        return Reply(400, text="Batch file exceeds 10,000 records")
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in reversed(rows):  # the geocoder answers in no particular order
        rid, street, city, state, zip5 = (row + [""] * 5)[:5]
        one_line = f"{street}, {city}, {state}, {zip5}"
        match = server.state["known"].get(_census_key(street))
        if match:
            c = match["coordinates"]
            writer.writerow([rid, one_line, "Match", "Exact", match["matchedAddress"],
                             f"{c['x']},{c['y']}", match["tigerLine"]["tigerLineId"], "L"])
        else:
            writer.writerow([rid, one_line, "No_Match"])
    return Reply(200, text=out.getvalue(), headers={
        "Content-Type": "text/csv", "Content-Disposition": "attachment; filename=GeocodeResults.csv"})


def census_server(known: dict[str, dict]) -> FixtureServer:
    """``known`` maps an input street (any case) to its addressMatches entry."""
    return FixtureServer({
        ("GET", "/geocoder/locations/address"): _census_address,
        ("POST", "/geocoder/locations/addressbatch"): _census_batch,
    }, known={_census_key(k): v for k, v in known.items()}, uploads=[])


# -- USPS Addresses v3 (SOURCES.md §4) --------------------------------------------------

USPS_CLIENT = ("usps-client-id", "usps-client-secret")


def usps_answer(street: str, city: str, state: str, zip5: str, plus4: str, *, unit=None,
                dpv: str = "Y", vacant: str = "N", business: str = "N") -> dict:
    return {"firm": None,
            "address": {"streetAddress": street, "streetAddressAbbreviation": None,
                        "secondaryAddress": unit, "cityAbbreviation": None, "city": city,
                        "state": state, "ZIPCode": zip5, "ZIPPlus4": plus4, "urbanization": None},
            "addressAdditionalInfo": {"deliveryPoint": "20", "carrierRoute": "C036",
                                      "DPVConfirmation": dpv, "DPVCMRA": "N", "business": business,
                                      "centralDeliveryPoint": "N", "vacant": vacant},
            "addressCorrections": None, "addressMatches": None}


def _usps_token(server: FixtureServer, seen: Seen) -> Reply:
    body = seen.json()
    if (body.get("client_id"), body.get("client_secret")) != USPS_CLIENT or \
            body.get("grant_type") != "client_credentials":
        return Reply(401, {"error": "invalid_client",
                           "error_description": "Client authentication failed."})
    server.state["issued"] += 1
    token = f"usps-token-{server.state['issued']}"
    server.state["tokens"].add(token)
    return Reply(200, {"access_token": token, "token_type": "Bearer",
                       "expires_in": str(server.state["expires_in"]),
                       "scope": "addresses", "issued_at": "1762000000000"})


def _usps_address(server: FixtureServer, seen: Seen) -> Reply:
    token = seen.headers.get("Authorization", "").removeprefix("Bearer ")
    if token not in server.state["tokens"]:
        return Reply(401, {"apiVersion": "v3", "error": {"code": "401",
                                                         "message": "Invalid access token"}})
    q = seen.query
    if not q.get("streetAddress") or not (q.get("ZIPCode") or (q.get("city") and q.get("state"))):
        return Reply(400, {"apiVersion": "v3", "error": {
            "code": "400", "message": "OASValidation failed: state is required",
            "errors": [{"status": "400", "code": "400", "title": "state is required"}]}})
    answer = server.state["known"].get(q["streetAddress"].upper())
    if answer is None:
        return Reply(404, {"apiVersion": "v3", "error": {"code": "404",
                                                         "message": "Address Not Found."}})
    return Reply(200, answer)


def usps_server(known: dict[str, dict], *, expires_in: int = 28799) -> FixtureServer:
    server = FixtureServer({("POST", "/oauth2/v3/token"): _usps_token,
                            ("GET", "/addresses/v3/address"): _usps_address},
                           known={k.upper(): v for k, v in known.items()}, tokens=set(),
                           issued=0, expires_in=expires_in)
    return server


# -- Socrata SODA (SOURCES.md §5) -------------------------------------------------------

_CLAUSE = re.compile(r"^upper\((\w+)\) (like|=) '((?:[^']|'')*)'$")


def _soql_matcher(where: str) -> Callable[[dict], bool] | None:
    """The small part of SoQL the configured datasets use: AND of upper(col) like/= '…'."""
    tests = []
    for clause in where.split(" AND "):
        m = _CLAUSE.match(clause.strip())
        if not m:
            return None
        column, op, literal = m.group(1), m.group(2), m.group(3).replace("''", "'")
        if op == "=":
            tests.append(lambda row, c=column, v=literal: str(row.get(c, "")).upper() == v)
        else:
            rx = re.compile("^" + ".*".join(map(re.escape, literal.split("%"))) + "$", re.S)
            tests.append(lambda row, c=column, r=rx: bool(r.match(str(row.get(c, "")).upper())))
    return lambda row: all(t(row) for t in tests)


def _soda_resource(server: FixtureServer, seen: Seen) -> Reply:
    dataset = seen.path.rsplit("/", 1)[-1].removesuffix(".json")
    rows = server.state["datasets"].get(dataset)
    if rows is None:
        return Reply(404, {"code": "not_found", "error": True, "message": "Dataset not found"})
    if server.state["throttle_anonymous"] and "X-App-Token" not in seen.headers:
        return Reply(429, {"code": "too_many_requests", "error": True,
                           "message": "Too many requests"}, headers={"Retry-After": "1"})
    match = _soql_matcher(seen.query.get("$where", "")) if seen.query.get("$where") else (lambda r: True)
    if match is None:
        return Reply(400, {"code": "query.soql.no-such-column", "error": True,
                           "message": "No such column: owner_nam; position: Map(row -> 1)"})
    order = [c.strip() for c in seen.query.get("$order", ":id").split(",")]
    hits = sorted((r for r in rows if match(r)), key=lambda r: [str(r.get(c, "")) for c in order])
    limit, offset = int(seen.query.get("$limit", 1000)), int(seen.query.get("$offset", 0))
    return Reply(200, hits[offset:offset + limit])


def soda_server(datasets: dict[str, list[dict]], *, throttle_anonymous: bool = False) -> FixtureServer:
    routes = {("GET", f"/resource/{d}.json"): _soda_resource for d in datasets}
    return FixtureServer(routes, datasets=datasets, throttle_anonymous=throttle_anonymous)


# -- NPPES NPI Registry (SOURCES.md §6) -------------------------------------------------


def npi_provider(number: int, first: str, last: str, *, city: str = "ATLANTA", state: str = "GA",
                 street: str = "777 CLEVELAND AVE SW", foreign: bool = False) -> dict:
    location = {"country_code": "US", "country_name": "United States", "address_purpose": "LOCATION",
                "address_type": "DOM", "address_1": street, "address_2": "SUITE 604",
                "city": city, "state": state, "postal_code": "303157129",
                "telephone_number": "404-555-0166", "fax_number": "404-555-0167"}
    if foreign:
        location = {"country_code": "CA", "country_name": "Canada", "address_purpose": "LOCATION",
                    "address_type": "FGN", "address_1": "100 QUEEN ST W", "address_2": "",
                    "city": "TORONTO", "state": "ON", "postal_code": "M5H2N2",
                    "telephone_number": "416-555-0100"}
    return {"enumeration_type": "NPI-1", "number": number, "created_epoch": 1121126400,
            "last_updated_epoch": 1391644800,
            "basic": {"name_prefix": "DR.", "first_name": first.upper(), "last_name": last.upper(),
                      "middle_name": "EDWARD", "credential": "M.D", "sole_proprietor": "YES",
                      "gender": "M", "enumeration_date": "2005-07-12", "last_updated": "2014-02-06",
                      "status": "A"},
            "other_names": [], "addresses": [location],
            "taxonomies": [{"code": "208800000X", "desc": "Urology", "primary": True,
                            "state": state, "license": "041718"}],
            "identifiers": []}


def _nppes(server: FixtureServer, seen: Seen) -> Reply:
    q = seen.query
    if q.get("version") != "2.1":
        return Reply(200, {"Errors": [{"field": "version", "number": "01",
                                       "description": "Invalid version"}]})
    criteria = {k for k in q if k not in ("version", "enumeration_type", "limit", "skip")}
    if not criteria:
        return Reply(200, {"Errors": [{"field": "enumeration_type", "number": "09",
                                       "description": "enumeration_type requires additional search criteria"}]})

    def name_match(value: str, pattern: str | None) -> bool:
        if not pattern:
            return True
        pattern = pattern.upper()
        return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern
    hits = [p for p in server.state["providers"]
            if name_match(p["basic"]["last_name"], q.get("last_name"))
            and name_match(p["basic"]["first_name"], q.get("first_name"))]
    limit, skip = int(q.get("limit", 10)), int(q.get("skip", 0))
    page = hits[skip:skip + limit]
    return Reply(200, {"result_count": len(page), "results": page})


def nppes_server(providers: list[dict]) -> FixtureServer:
    return FixtureServer({("GET", "/api/"): _nppes}, providers=providers)
