"""CourtListener REST v4 (Free Law Project): a free first pass over RECAP bankruptcy
dockets before the billed PACER search.

RECAP holds only dockets someone bought or uploaded, so no hit here is *not* evidence of
no bankruptcy.  The free quota is small (about 5 calls a minute, 125 a day), hence the
tight rate limit, the day-long cache and a cap on cursor pages.  (SOURCES.md §2.)
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from ..errors import SourceError
from ..models import Record
from .http import HttpSource, check_status, decode_json


class CourtListenerSource(HttpSource):
    """CourtListener RECAP search for bankruptcy dockets naming the debtor."""

    name = "courtlistener"
    kind = "public_record"
    purposes = ("*",)
    query_fields = ("first_name", "last_name")
    returns = ("full_name", "event", "event_date", "first_seen", "last_seen")
    terms_url = "https://www.courtlistener.com/terms/"
    rate_limit_per_minute = 5
    default_settings = {"token_env": "COURTLISTENER_TOKEN", "max_pages": 2, "courts": ""}

    def __init__(self, context, **kwargs):
        super().__init__(context, **kwargs)
        self.token = self.secret("token_env", "a CourtListener API token "
                                 "(https://www.courtlistener.com/profile/api/)")
        self.max_pages = max(1, int(self.settings["max_pages"]))

    def _get(self, path: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        response = self.client.request("GET", path, params=params,
                                       headers={"Authorization": f"Token {self.token}",
                                                "Accept": "application/json"})
        check_status(self.name, response)  # 401: "Authentication credentials were not provided."

        data = decode_json(self.name, response)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise SourceError(self.name, "answered a search with an unexpected body")
        return data

    def _same_host(self, url: str) -> bool:
        """Follow ``next`` only on the configured host: the token goes with it."""
        a, b = urlsplit(url), urlsplit(self.client.base_url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        meta = {"pages": 0, "count": 0, "truncated": False}
        self.last_call_meta = meta
        last = (query.get("last_name") or "").strip()
        if not last:
            meta["skipped"] = "no last name to search"
            return []
        first = (query.get("first_name") or "").strip()
        params: dict[str, Any] | None = {
            "type": "r", "party_name": f"{first} {last}".strip(), "order_by": "dateFiled desc"}
        if self.settings.get("courts"):
            params["court"] = self.settings["courts"]
        path, records, seen = "search/", [], set()
        while True:
            data = self._get(path, params)
            meta["pages"] += 1
            meta["count"] = data.get("count") or meta["count"]
            for row in data["results"]:
                record = self._record(row, first, last)
                if record is not None and record.record_id not in seen:
                    seen.add(record.record_id)
                    records.append(record)
            nxt = data.get("next")
            if not nxt:
                break
            if meta["pages"] >= self.max_pages:
                meta["truncated"] = True
                break
            if not self._same_host(nxt):
                raise SourceError(self.name, "pagination pointed at another host; not following it")
            path, params = nxt, None  # the cursor URL carries every parameter
        return records

    def _record(self, row: Any, first: str, last: str) -> Record | None:
        if not isinstance(row, dict) or row.get("docket_id") is None:
            return None
        court = str(row.get("court_id") or "")
        # Bankruptcy courts' ids end in "b" (ilnb, nysb, arb, nebraskab); a chapter is set
        # only on bankruptcy dockets.
        if not (row.get("chapter") or court.endswith("b")):
            return None
        party = _debtor_party(row, first, last)
        if party is None:
            return None
        return Record(
            source=self.name, record_id=f"{court}:{row['docket_id']}", full_name=party,
            event="bankruptcy", event_date=_date(row.get("dateFiled")),
            first_seen=_date(row.get("dateFiled")), last_seen=_date(row.get("dateTerminated")))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _debtor_party(row: dict[str, Any], first: str, last: str) -> str | None:
    """The party that is the debtor: named in the case name ("In re: Jane Doe") as well as
    in the party list.  A creditor or trustee with the same surname is not."""
    case_words = set(_words(str(row.get("caseName") or "")))
    last_words = _words(last)
    if not last_words or not set(last_words) <= case_words:
        return None
    parties = row.get("party") or []
    if isinstance(parties, str):
        parties = [parties]
    first_initial = _words(first)[0][0] if _words(first) else ""
    for party in parties:
        words = _words(str(party))
        if set(last_words) <= set(words) and (not first_initial or any(
                w.startswith(first_initial) for w in words if w not in last_words)):
            return str(party).strip()
    return None


def _date(value: Any) -> str | None:
    text = str(value or "").strip()
    return text[:10] or None
