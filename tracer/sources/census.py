"""US Census Geocoder: address parsing and normalization against TIGER ranges.

A match means "this number falls on a known street range", not "this address exists or
takes mail" (use USPS for that).  Only the address is sent, never a name.  As a source
it yields one address-verification Record per match; :func:`geocode_batch` normalizes
up to 10,000 addresses per upload for bulk work.  (SOURCES.md §3.)
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ..errors import SourceError
from ..models import Record
from .http import HttpClient, HttpSource, check_status, decode_json

BATCH_LIMIT = 10_000  # "upper limit of 10,000 records per batch file"


@dataclass(frozen=True)
class MatchedAddress:
    """One geocoder match: the normalized address and where it lies."""

    street: str
    city: str
    state: str
    zip: str
    lon: float | None = None
    lat: float | None = None
    tiger_line_id: str = ""
    side: str = ""

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.city}, {self.state}, {self.zip}"


def split_matched(text: str) -> tuple[str, str, str, str] | None:
    """``"1600 PENNSYLVANIA AVE NW, WASHINGTON, DC, 20502"`` → its four parts."""
    parts = [p.strip() for p in text.rsplit(",", 3)]
    return tuple(parts) if len(parts) == 4 and all(parts[:3]) else None  # type: ignore[return-value]


def _coordinate(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_address_matches(source: str, data: Any) -> list[MatchedAddress]:
    """``result.addressMatches`` of a JSON answer; layer error objects are tolerated."""
    try:
        matches = data["result"]["addressMatches"]
    except (TypeError, KeyError):
        raise SourceError(source, "answer has no result.addressMatches") from None
    out = []
    for match in matches if isinstance(matches, list) else ():
        parts = split_matched(str((match or {}).get("matchedAddress") or ""))
        if parts is None:
            continue
        coords = match.get("coordinates") or {}
        tiger = match.get("tigerLine") or {}
        out.append(MatchedAddress(*parts, lon=_coordinate(coords.get("x")),
                                  lat=_coordinate(coords.get("y")),
                                  tiger_line_id=str(tiger.get("tigerLineId") or ""),
                                  side=str(tiger.get("side") or "")))
    return out


@dataclass(frozen=True)
class BatchResult:
    """One row of a batch answer; ``match`` is None for No_Match, Tie or a missing row."""

    id: str
    status: str  # Match | No_Match | Tie | missing
    match_type: str = ""  # Exact | Non_Exact
    match: MatchedAddress | None = None


def _batch_row(row: Sequence[str]) -> BatchResult:
    status = row[2] if len(row) > 2 else "missing"
    if status != "Match" or len(row) < 5:
        return BatchResult(row[0], status)
    parts = split_matched(row[4])
    lon, _, lat = (row[5] if len(row) > 5 else "").partition(",")
    match = MatchedAddress(*parts, lon=_coordinate(lon), lat=_coordinate(lat),
                           tiger_line_id=row[6] if len(row) > 6 else "",
                           side=row[7] if len(row) > 7 else "") if parts else None
    return BatchResult(row[0], status, row[3], match)


def geocode_batch(client: HttpClient, rows: Iterable[Sequence[str]], *,
                  benchmark: str = "Public_AR_Current", returntype: str = "locations",
                  vintage: str = "Current_Current") -> list[BatchResult]:
    """Normalize many addresses: ``rows`` are ``(id, street, city, state, zip)``.

    Uploads in files of at most 10,000 rows; answers come back unordered and are
    returned in input order, with ``status="missing"`` for any row the answer left out."""
    rows = [tuple("" if v is None else str(v) for v in row) for row in rows]
    ids = [row[0] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("batch ids must be unique")
    found: dict[str, BatchResult] = {}
    for start in range(0, len(rows), BATCH_LIMIT):
        chunk = rows[start:start + BATCH_LIMIT]
        upload = io.StringIO()
        csv.writer(upload, lineterminator="\n").writerows(r[:5] for r in chunk)
        form = {"benchmark": benchmark}
        if returntype == "geographies":
            form["vintage"] = vintage
        response = client.request(
            "POST", f"{returntype}/addressbatch", data=form, cache=False,
            files={"addressFile": ("addresses.csv", upload.getvalue(), "text/csv")})
        check_status(client.source, response)
        wanted = {r[0] for r in chunk}
        answered = [r for r in csv.reader(io.StringIO(response.text)) if r and r[0] in wanted]
        if chunk and not answered:
            raise SourceError(client.source, "batch answer has no rows for the uploaded ids "
                              "(not the documented CSV)")
        for row in answered:
            found[row[0]] = _batch_row(row)
    return [found.get(i, BatchResult(i, "missing")) for i in ids]


class CensusGeocoderSource(HttpSource):
    """US Census Geocoder: the account's address normalized against TIGER (no names sent)."""

    name = "census_geocoder"
    kind = "public_record"
    purposes = ("*",)
    query_fields = ("street", "city", "state", "zip")
    returns = ("street", "city", "state", "zip", "event")
    terms_url = "https://geocoding.geo.census.gov/geocoder/Geocoding_Services_API.pdf"
    default_settings = {"benchmark": "Public_AR_Current", "returntype": "locations",
                        "vintage": "Current_Current"}

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        street = (query.get("street") or "").strip()
        self.last_call_meta = {"matches": 0}
        if not street or not (query.get("zip") or (query.get("city") and query.get("state"))):
            self.last_call_meta["skipped"] = "needs a street and a ZIP or city and state"
            return []
        returntype = self.settings["returntype"]
        params = {"street": street, "city": query.get("city") or "",
                  "state": query.get("state") or "", "zip": query.get("zip") or "",
                  "benchmark": self.settings["benchmark"], "format": "json"}
        if returntype == "geographies":
            params["vintage"] = self.settings["vintage"]
        response = self.client.request("GET", f"{returntype}/address", params=params)
        if response.status_code == 400:
            raise SourceError(self.name, "refused the address (HTTP 400)" + _errors(response))
        check_status(self.name, response)
        matches = parse_address_matches(self.name, decode_json(self.name, response))
        self.last_call_meta["matches"] = len(matches)
        return [self._record(m) for m in matches]

    def _record(self, match: MatchedAddress) -> Record:
        digest = hashlib.sha256(match.one_line.encode()).hexdigest()[:12]
        return Record(source=self.name, record_id=f"{match.tiger_line_id}{match.side}:{digest}",
                      street=match.street, city=match.city, state=match.state, zip=match.zip,
                      event="address_verified")

    def batch(self, rows: Iterable[Sequence[str]]) -> list[BatchResult]:
        """:func:`geocode_batch` with this source's client and settings."""
        return geocode_batch(self.client, rows, benchmark=self.settings["benchmark"],
                             returntype=self.settings["returntype"],
                             vintage=self.settings["vintage"])


def _errors(response) -> str:
    """The geocoder's ``{"errors": [...]}`` messages, which name the bad parameter."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return ""
    text = "; ".join(str(e) for e in errors if isinstance(e, str))[:160]
    return f": {text}" if text else ""
