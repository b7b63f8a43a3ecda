"""Cleaning one row of a vendor's account file: each value checked (bounded, printable,
no full SSN or DOB outside its column) and normalized the way the workspace keeps it.

Kept apart from the import loop (:mod:`tracer.imports`) because `accounts set` cleans
``FIELD=VALUE`` text exactly as an import cleans the same column, and neither may import
the other.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date

from .csvio import EXTRA_FIELDS, SWALLOWED, UNDECODABLE
from .matching.normalize import (normalize_email, normalize_phone, normalize_state,
                                 normalize_zip, parse_date)
from .models import ACCOUNT_FLAGS, ACCOUNT_STATUSES, DEBT_ORIGINS
from .privacy import ACCOUNT_TEXT, sensitive_in_value

ACCOUNT_COLUMNS = (
    "account_id", "first_name", "middle_name", "last_name", "suffix", "dob", "ssn",
    "street", "unit", "city", "state", "zip", "phone", "email", "employer", "balance",
    "status", "flags", "assigned_to", "debt_origin", "last_activity",
)
_MASKED_SSN = re.compile(r"^[Xx*#]{3}-?[Xx*#]{2}-?(\d{4})$")


class RowError(ValueError):
    """A row-level problem; its message is the reject reason."""


def _date(value: str, column: str, *, allow_year: bool = False) -> str | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed.precision is None:
        raise RowError(f"unparseable date in {column}")
    if parsed.precision == "day":
        return parsed.iso
    if allow_year:
        return parsed.iso
    raise RowError(f"incomplete date in {column} (need year, month and day)")


def _state_zip(row: dict[str, str]) -> tuple[str | None, str | None]:
    state = zip5 = None
    if row.get("state"):
        state = normalize_state(row["state"])
        if not state:
            raise RowError("bad state (not a US state or territory)")
    if row.get("zip"):
        zip5 = normalize_zip(row["zip"])
        if not zip5:
            raise RowError("bad zip (need 5 digits or ZIP+4)")
    return state, zip5


def _phone(value: str) -> str | None:
    if not value:
        return None
    result = normalize_phone(value)
    return result.e164 or value  # unparseable phones are kept as given, not lost


def _email(value: str) -> str | None:
    if not value:
        return None
    return normalize_email(value).email or value.strip()


def _ssn(ws, value: str) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    masked = _MASKED_SSN.match(value.strip())
    if masked:
        return masked.group(1), None
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{9}", digits):
        raise RowError("bad ssn (need 9 digits or a masked form like XXX-XX-1234)")
    return digits[-4:], ws.keyed_hash(digits, "ssn")


# 1234.50, 1,234.50, $1,234.50: a point for decimals, commas only between groups of three.
_AMOUNT = re.compile(r"\$?\s*(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)")


def _balance(value: str) -> float | None:
    """A decimal amount owed; what could be read two ways is rejected, not guessed."""
    text = value.strip()
    if not text:
        return None
    shown = repr(text[:20])
    if text.startswith(("-", "(")) or text.endswith("-"):
        raise RowError(f"negative balance {shown}")
    if re.fullmatch(r"\$?\s*\d+(?:\.\d{3})*,\d{1,2}", text):
        raise RowError(f"ambiguous balance {shown}: a decimal comma? write it as 1234.50")
    if re.fullmatch(r"\$?\s*\d{1,3}(?:\.\d{3})+", text):
        raise RowError(f"ambiguous balance {shown}: a point between groups of three "
                       "digits (a thousands separator?); write it as 1234.50")
    match = _AMOUNT.fullmatch(text)
    if not match:
        if re.fullmatch(r"\$?\s*[\d.,]+", text):
            raise RowError(f"malformed balance {shown}: commas only between groups of "
                           "three digits, one decimal point")
        raise RowError(f"unparseable balance {shown}")
    amount = float(match["number"].replace(",", ""))
    if not math.isfinite(amount):
        raise RowError(f"unparseable balance {shown}: too large")
    return amount


def _check_shape(row: dict[str, str]) -> None:
    if row.get("__extra__"):
        raise RowError(EXTRA_FIELDS)
    if row.get("__spans__"):
        raise RowError(SWALLOWED.format(lines=row["__spans__"]))
    if row.get("__undecodable__"):
        raise RowError(UNDECODABLE.format(column=row["__undecodable__"]))


#: Longest value (characters) each column may hold; others get :data:`MAX_FIELD`.  A
#: real name, street or id is far shorter; a 200,000-character name is an attack on the
#: matcher's time (and a 10 MB cell on its memory), so the row is rejected up front.
FIELD_CAPS = {"account_id": 64, "record_id": 128, "assigned_to": 64, "first_name": 100,
              "middle_name": 100, "last_name": 100, "suffix": 20, "full_name": 200,
              "dob": 40, "ssn": 40, "ssn_last4": 20, "state": 40, "zip": 20, "phone": 40,
              "phone_type": 20, "email": 254, "first_seen": 40, "last_seen": 40,
              "event_date": 40, "last_activity": 40, "balance": 1000, "status": 20,
              "debt_origin": 40}
MAX_FIELD = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_values(row: dict[str, str], text_columns: dict[str, str],
                  columns: tuple[str, ...]) -> None:
    """Bounded, printable, and no full SSN or DOB outside its column: checked before
    any normalizer runs (their cost grows with the value)."""
    present = [(c, row[c]) for c in columns if row.get(c)]
    for column, value in present:
        if len(value) > FIELD_CAPS.get(column, MAX_FIELD):
            raise RowError(f"{column} is longer than {FIELD_CAPS.get(column, MAX_FIELD)} "
                           f"characters ({len(value):,})")
    if _CONTROL.search("\n".join(v for _, v in present)):   # one scan for the common case
        column = next(c for c, v in present if _CONTROL.search(v))
        raise RowError(f"{column} holds a control character (a NUL byte?)")
    for column, value in present:
        kind = text_columns.get(column)
        found = sensitive_in_value(value, kind) if kind else None
        if found:
            raise RowError(f"{column} seems to hold {found}: never stored outside its "
                           "own column")


def _check_seen(first: str | None, last: str | None) -> tuple[str | None, str | None]:
    """first_seen after last_seen (compared to the coarser of the two: 2021 and
    2021-03-01 agree) is two swapped columns or a typo; ranking by recency would trust
    the wrong one, so the row goes to the rejects report."""
    if first and last:
        n = min(len(first), len(last))
        if first[:n] > last[:n]:
            raise RowError(f"first_seen {first} is after last_seen {last}")
    return first, last


def _check_dob(iso: str | None) -> str | None:
    if iso and iso[:4].isdigit() and iso > date.today().isoformat():
        raise RowError("date of birth is in the future")
    return iso


def clean_account(ws, row: dict[str, str]) -> dict:
    _check_shape(row)
    _check_values(row, ACCOUNT_TEXT, ACCOUNT_COLUMNS)
    for required in ("account_id", "first_name", "last_name"):
        if not row.get(required):
            raise RowError(f"missing required field {required}")
    state, zip5 = _state_zip(row)
    last4, ssn_hash = _ssn(ws, row.get("ssn", ""))
    flags = [f.strip().lower() for f in re.split(r"[;,|]", row.get("flags", "")) if f.strip()]
    unknown = [f for f in flags if f not in ACCOUNT_FLAGS]
    if unknown:
        raise RowError(f"unknown flag {unknown[0]!r}")
    status = (row.get("status") or "open").lower()
    if status not in ACCOUNT_STATUSES:
        raise RowError(f"unknown status {status!r}")
    origin = (row.get("debt_origin") or "unknown").lower()
    if origin not in DEBT_ORIGINS:
        raise RowError(f"unknown debt_origin {origin!r}")
    balance = _balance(row.get("balance", ""))
    return {
        "account_id": row["account_id"],
        "first_name": row["first_name"], "middle_name": row.get("middle_name") or None,
        "last_name": row["last_name"], "suffix": row.get("suffix") or None,
        "dob": ws.dob_seal.seal(_check_dob(_date(row.get("dob", ""), "dob"))),
        "ssn_last4": last4, "ssn_hash": ssn_hash,
        "street": row.get("street") or None, "unit": row.get("unit") or None,
        "city": row.get("city") or None, "state": state, "zip": zip5,
        "phone": _phone(row.get("phone", "")), "email": _email(row.get("email", "")),
        "employer": row.get("employer") or None, "balance": balance, "status": status,
        "flags": ";".join(sorted(set(flags))), "assigned_to": row.get("assigned_to") or None,
        "debt_origin": origin,
        "last_activity": _date(row.get("last_activity", ""), "last_activity"),
    }


def _row_hash(clean: dict) -> str:
    return hashlib.sha256(json.dumps(clean, sort_keys=True, default=str).encode()).hexdigest()
