"""NPPES NPI Registry v2.1: practice and mailing addresses of licensed health-care
providers, for the few debtors who are one.

Every address here is a *workplace*: contacting a consumer at work has FDCPA
15 U.S.C. 1692c(a)(3) limits.  Records carry that in two fields the pipeline already
has: ``employer`` names the practice or organization, and ``event = "workplace"``
(dated by the registry's last update) so ranking and review can tell them apart.
Foreign (``FGN``) addresses are skipped: they are not a US mailing address.
(SOURCES.md §6.)
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import SourceError
from ..models import Record
from .http import HttpSource, check_status, decode_json

MAX_SKIP = 1000  # the registry serves at most 1,200 rows of one search


def _zip(code: Any) -> str | None:
    digits = str(code or "").strip()
    return f"{digits[:5]}-{digits[5:]}" if len(digits) == 9 and digits.isdigit() else digits or None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def practice_name(result: Mapping[str, Any]) -> str:
    """The workplace to record as ``employer``: the organization, or the provider's own
    practice named by its primary taxonomy."""
    basic = result.get("basic") or {}
    if basic.get("organization_name"):
        return str(basic["organization_name"])
    taxonomies = result.get("taxonomies") or []
    primary = next((t for t in taxonomies if t.get("primary")), taxonomies[0] if taxonomies else {})
    specialty = primary.get("desc") or "health-care"
    return f"{specialty} practice (NPI {result.get('number')})"


class NppesSource(HttpSource):
    """NPPES NPI Registry: practice addresses and phones of licensed providers (workplace)."""

    name = "nppes"
    kind = "public_record"
    purposes = ("*",)
    query_fields = ("first_name", "last_name", "state")
    returns = ("first_name", "middle_name", "last_name", "suffix", "street", "unit", "city",
               "state", "zip", "phone", "employer", "first_seen", "last_seen", "event",
               "event_date")
    terms_url = "https://npiregistry.cms.hhs.gov/registry/help-api"
    rate_limit_per_minute = 60
    default_settings = {"page_size": 50, "max_pages": 2, "narrow_by_state": False}

    def __init__(self, context, **kwargs):
        super().__init__(context, **kwargs)
        self.page_size = min(200, max(1, int(self.settings["page_size"])))
        self.max_pages = max(1, int(self.settings["max_pages"]))

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        meta = {"pages": 0, "result_count": 0, "skipped_foreign": 0, "truncated": False}
        self.last_call_meta = meta
        last = (query.get("last_name") or "").strip()
        if len(last) < 2:  # the registry needs two characters of a last name
            meta["skipped"] = "needs a last name of two or more letters"
            return []
        params: dict[str, Any] = {"version": "2.1", "enumeration_type": "NPI-1",
                                  "last_name": last, "limit": self.page_size}
        if query.get("first_name"):
            params["first_name"] = query["first_name"]
        if self.settings["narrow_by_state"] in (True, "1", "true") and query.get("state"):
            params["state"] = query["state"]
        records: list[Record] = []
        for page in range(self.max_pages):
            params["skip"] = page * self.page_size
            results = self._page(params)
            meta["pages"] += 1
            meta["result_count"] += len(results)
            for result in results:
                records.extend(self._records(result, meta))
            if len(results) < self.page_size or params["skip"] + self.page_size > MAX_SKIP:
                break
        else:
            meta["truncated"] = True
        return records

    def _page(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        response = self.client.request("GET", "", params=dict(params))
        check_status(self.name, response)
        data = decode_json(self.name, response)
        if not isinstance(data, dict):
            raise SourceError(self.name, "answer is not a JSON object")
        errors = data.get("Errors")
        if errors:  # reported with HTTP 200
            first = errors[0] if isinstance(errors, list) and errors else {}
            raise SourceError(self.name, "refused the search: "
                              f"{str(first.get('description') or errors)[:160]}"
                              + (f" (field {first['field']})" if first.get("field") else ""))
        results = data.get("results") or []
        if not isinstance(results, list):
            raise SourceError(self.name, "answer's results is not a list")
        return [r for r in results if isinstance(r, dict)]

    def _records(self, result: Mapping[str, Any], meta: dict[str, Any]) -> list[Record]:
        basic = result.get("basic") or {}
        employer = practice_name(result)
        out = []
        for address in result.get("addresses") or ():
            if address.get("address_type") == "FGN" or (address.get("country_code") or "US") != "US":
                meta["skipped_foreign"] += 1
                continue
            purpose = str(address.get("address_purpose") or "address").lower()
            out.append(Record(
                source=self.name, record_id=f"{result.get('number')}:{purpose}",
                first_name=_text(basic.get("first_name")),
                middle_name=_text(basic.get("middle_name")),
                last_name=_text(basic.get("last_name")), suffix=_text(basic.get("name_suffix")),
                street=_text(address.get("address_1")), unit=_text(address.get("address_2")),
                city=_text(address.get("city")), state=_text(address.get("state")),
                zip=_zip(address.get("postal_code")),
                phone=_text(address.get("telephone_number")), employer=employer,
                first_seen=_text(basic.get("enumeration_date")),
                last_seen=_text(basic.get("last_updated")),
                event="workplace", event_date=_text(basic.get("last_updated"))))
        return out
