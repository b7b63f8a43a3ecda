"""PACER Case Locator (PCL): the authoritative nationwide federal bankruptcy index.

A hit is a compliance stop, not a locate result: it yields a Record with
``event="bankruptcy"`` that the lookup's scrub uses to withhold contacts (11 U.S.C. 362).
Every results page costs $0.10, so a lookup reads at most ``max_pages`` pages and the
receipt's billable pages and fee are kept in ``last_call_meta`` for the audit.
(SOURCES.md §1.)
"""

from __future__ import annotations

import threading
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from ..errors import SourceError
from ..models import Record
from .http import HttpSource, check_status, decode_json

TOKEN_HEADER = "X-NEXT-GEN-CSO"


class PacerSource(HttpSource):
    """PACER Case Locator party search for federal bankruptcy cases (billed per page)."""

    name = "pacer"
    kind = "public_record"
    purposes = ("*",)
    query_fields = ("first_name", "last_name")
    returns = ("first_name", "middle_name", "last_name", "event", "event_date", "first_seen",
               "last_seen")
    terms_url = "https://pacer.uscourts.gov/pricing-how-pacer-fees-work"
    rate_limit_per_minute = 30
    default_settings = {
        "auth_url": "https://pacer.login.uscourts.gov/services/cso-auth",
        "login_env": "PACER_LOGIN_ID", "password_env": "PACER_PASSWORD",
        "max_pages": 2, "jurisdiction_type": "bk", "debtor_roles": ["db", "jdb"],
    }

    def __init__(self, context, **kwargs):
        super().__init__(context, **kwargs)
        self.login_id = self.secret("login_env", "a PACER login id")
        self.password = self.secret("password_env", "the PACER password")
        self.client_code = self.secret("client_code_env", "a PACER client code", required=False)
        self.max_pages = max(1, int(self.settings["max_pages"]))
        self.debtor_roles = {r.lower() for r in self.settings["debtor_roles"]}
        self._token: str | None = None
        self._token_lock = threading.Lock()

    # -- authentication ------------------------------------------------------------

    def _login(self) -> str:
        body = {"loginId": self.login_id, "password": self.password}
        if self.client_code:
            body["clientCode"] = self.client_code
        response = self.client.request("POST", self.settings["auth_url"], json=body, cache=False)
        check_status(self.name, response)
        data = decode_json(self.name, response)
        if not isinstance(data, dict):
            raise SourceError(self.name, "login answered with an unexpected body")
        result = str(data.get("loginResult", "")).strip()
        detail = str(data.get("errorDescription") or "")[:160]
        # PACER reports a failed login as HTTP 200 with a non-zero loginResult.
        if result != "0":
            raise SourceError(self.name, f"login failed (loginResult {result or 'missing'})"
                              + (f": {detail}" if detail else ""))
        if "search privileges" in detail.lower():
            raise SourceError(self.name, f"logged in without search privileges: {detail}")
        token = data.get("nextGenCSO")
        if not token:
            raise SourceError(self.name, "login succeeded but returned no nextGenCSO token")
        return token

    def _token_value(self, *, renew: bool = False) -> str:
        with self._token_lock:
            if renew or not self._token:
                self._token = self._login()
            return self._token

    def logout(self) -> None:
        """End the PACER session (``cso-logout``); safe to call when not logged in."""
        with self._token_lock:
            token, self._token = self._token, None
        if token:
            url = self.settings.get("logout_url") or self.settings["auth_url"].replace(
                "cso-auth", "cso-logout")
            self.client.request("POST", url, json={"nextGenCSO": token}, cache=False)

    # -- search --------------------------------------------------------------------

    def _find_page(self, body: Mapping[str, Any], page: int) -> dict[str, Any]:
        for renew in (False, True):
            headers = {TOKEN_HEADER: self._token_value(renew=renew), "Accept": "application/json"}
            if self.client_code:
                headers["X-CLIENT-CODE"] = self.client_code
            response = self.client.request("POST", f"parties/find?page={page}", json=dict(body),
                                           headers=headers, cache=False)
            if response.status_code == 401 and not renew:
                continue  # the token expired: log in again once
            break
        rotated = response.headers.get(TOKEN_HEADER)
        if rotated:
            with self._token_lock:
                self._token = rotated
        check_status(self.name, response)
        data = decode_json(self.name, response)
        if not isinstance(data, dict) or not isinstance(data.get("content", []), list):
            raise SourceError(self.name, "answered a party search with an unexpected body")
        return data

    def _body(self, query: Mapping[str, Any]) -> dict[str, Any]:
        court_case: dict[str, Any] = {"jurisdictionType": self.settings["jurisdiction_type"]}
        if self.settings.get("date_filed_from"):
            court_case["dateFiledFrom"] = self.settings["date_filed_from"]
        body: dict[str, Any] = {"lastName": query["last_name"], "exactNameMatch": False,
                                "courtCase": court_case}
        if query.get("first_name"):
            body["firstName"] = query["first_name"]
        return body

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        meta = {"pages": 0, "billable_pages": 0, "search_fee": "0.00", "total_pages": 0,
                "total_elements": 0, "truncated": False}
        self.last_call_meta = meta
        if not query.get("last_name"):
            meta["skipped"] = "no last name to search"
            return []
        body, records, fee, seen = self._body(query), [], Decimal("0"), set()
        page = 0
        while True:
            data = self._find_page(body, page)
            receipt = data.get("receipt") or {}
            meta["pages"] += 1
            meta["billable_pages"] += _int(receipt.get("billablePages"))
            fee += _money(receipt.get("searchFee"))
            meta["search_fee"] = f"{fee:.2f}"
            info = data.get("pageInfo") or {}
            meta["total_pages"] = _int(info.get("totalPages"))
            meta["total_elements"] = _int(info.get("totalElements"))
            for row in data.get("content") or ():
                record = self._record(row, seen)
                if record is not None:
                    records.append(record)
            page += 1
            if page >= meta["total_pages"]:
                break
            if page >= self.max_pages:
                meta["truncated"] = True
                break
        return records

    def _record(self, row: Any, seen: set[str]) -> Record | None:
        if not isinstance(row, dict) or not row.get("courtId") or not row.get("caseNumberFull"):
            return None
        role = str(row.get("partyRole") or "").lower()
        # Creditors, trustees and attorneys are parties too; their name in a case is
        # not their bankruptcy.  A row without a role is kept: the scrub still needs
        # a confident identity match before it withholds anything.
        if role and role not in self.debtor_roles:
            return None
        record_id = f"{row['courtId']}:{row['caseNumberFull']}"
        if record_id in seen:  # joint debtors share a case number
            record_id = f"{record_id}#{sum(1 for s in seen if s.startswith(record_id)) + 1}"
        seen.add(record_id)
        case = row.get("courtCase") or {}
        closed = (row.get("dateTermed") or row.get("dateDischarged") or row.get("dateDismissed")
                  or case.get("effectiveDateClosed"))
        return Record(
            source=self.name, record_id=record_id,
            first_name=_text(row.get("firstName")), middle_name=_text(row.get("middleName")),
            last_name=_text(row.get("lastName")), event="bankruptcy",
            event_date=_text(row.get("dateFiled")), first_seen=_text(row.get("dateFiled")),
            last_seen=_text(closed))


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
