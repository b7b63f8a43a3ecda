"""USPS Addresses API v3: CASS-grade standardization and deliverability (DPV, vacancy).

Authenticates with OAuth2 client credentials; the token is reused until shortly before
it expires and renewed once on a 401.  The default quota is about 60 calls an hour, so
answers are cached for a week.  (SOURCES.md §4.)

The returned Record carries the standardized address, with ZIP+4, and one signal in
``event`` (the field ranking and the scrub already read), strongest first:

    vacant         ``vacant == "Y"``: USPS sees the address as unoccupied; demote it
    undeliverable  ``DPVConfirmation`` N or empty: the address is not a delivery point
    unit_missing   ``DPVConfirmation`` D: the building is, the apartment is missing
    unit_unconfirmed ``DPVConfirmation`` S: the apartment given was not confirmed
    business       ``business == "Y"``: a business address (workplace rules apply)
    deliverable    ``DPVConfirmation`` Y and none of the above
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping

from ..errors import SourceError
from ..models import Record
from .http import HttpSource, check_status, decode_json

#: Renew this many seconds before the token's stated expiry.
EXPIRY_MARGIN = 60.0


def delivery_signal(info: Mapping[str, Any]) -> str:
    """The one ``event`` an address gets from ``addressAdditionalInfo`` (see module doc)."""
    dpv = str(info.get("DPVConfirmation") or "").upper()
    if str(info.get("vacant") or "").upper() == "Y":
        return "vacant"
    if dpv not in ("Y", "S", "D"):
        return "undeliverable"
    if dpv == "D":
        return "unit_missing"
    if dpv == "S":
        return "unit_unconfirmed"
    if str(info.get("business") or "").upper() == "Y":
        return "business"
    return "deliverable"


class UspsSource(HttpSource):
    """USPS Addresses v3: standardized address, ZIP+4, DPV confirmation and vacancy."""

    name = "usps"
    kind = "public_record"
    purposes = ("*",)
    query_fields = ("street", "unit", "city", "state", "zip")
    returns = ("street", "unit", "city", "state", "zip", "event")
    terms_url = "https://developers.usps.com/"
    rate_limit_per_minute = 1
    default_settings = {"client_id_env": "USPS_CLIENT_ID",
                        "client_secret_env": "USPS_CLIENT_SECRET",
                        "token_path": "oauth2/v3/token"}

    def __init__(self, context, **kwargs):
        super().__init__(context, **kwargs)
        self.client_id = self.secret("client_id_env", "the USPS developer app's client id")
        self.client_secret = self.secret("client_secret_env",
                                         "the USPS developer app's client secret")
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def _access_token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or not self._token or self.client.clock() >= self._expires_at:
                self._token, self._expires_at = self._fetch_token()
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        response = self.client.request(
            "POST", self.settings["token_path"], cache=False,
            json={"client_id": self.client_id, "client_secret": self.client_secret,
                  "grant_type": "client_credentials"})
        check_status(self.name, response)
        data = decode_json(self.name, response)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise SourceError(self.name, "token endpoint returned no access_token")
        try:
            lifetime = float(data.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        return token, self.client.clock() + max(0.0, lifetime - EXPIRY_MARGIN)

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        self.last_call_meta = {"found": False}
        street = (query.get("street") or "").strip()
        if not street or not (query.get("zip") or (query.get("city") and query.get("state"))):
            self.last_call_meta["skipped"] = "needs a street and a ZIP or city and state"
            return []
        params = {"streetAddress": street, "secondaryAddress": query.get("unit"),
                  "city": query.get("city"), "state": query.get("state"),
                  "ZIPCode": str(query.get("zip") or "")[:5] or None}
        params = {k: v for k, v in params.items() if v}
        for renew in (False, True):
            headers = {"Authorization": f"Bearer {self._access_token(renew=renew)}",
                       "Accept": "application/json"}
            response = self.client.request("GET", "addresses/v3/address", params=params,
                                           headers=headers)
            if response.status_code != 401:
                break
        if response.status_code == 404:
            return []  # "Address Not Found."
        check_status(self.name, response)
        data = decode_json(self.name, response)
        address = data.get("address") if isinstance(data, dict) else None
        if not isinstance(address, dict) or not address.get("streetAddress"):
            raise SourceError(self.name, "answer has no standardized address")
        info = data.get("addressAdditionalInfo") or {}
        event = delivery_signal(info)
        self.last_call_meta = {"found": True, "dpv": info.get("DPVConfirmation"),
                               "vacant": info.get("vacant"), "business": info.get("business")}
        zip5, plus4 = address.get("ZIPCode") or "", address.get("ZIPPlus4") or ""
        return [Record(
            source=self.name,
            record_id=f"dp:{zip5}{plus4}{info.get('deliveryPoint') or ''}"
                      f":{address.get('secondaryAddress') or ''}",
            street=address["streetAddress"], unit=address.get("secondaryAddress") or None,
            city=address.get("city"), state=address.get("state"),
            zip=f"{zip5}-{plus4}" if plus4 else zip5 or None, event=event)]
