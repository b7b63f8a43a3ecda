"""Normalized comparison features of one record (or of an account's last-known identity).

Built once per record and reused by blocking, comparison, clustering and ranking, so each
normalizer runs once per value, not once per pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any, Mapping

from .normalize import (normalize_address, normalize_email, normalize_name, normalize_phone,
                        normalize_ssn_last4, parse_date)


@dataclass(frozen=True, slots=True)
class Features:
    key: str
    source: str
    first: str | None
    first_root: str | None
    first_key: str | None
    middle_initial: str | None
    middle: str | None
    last: str | None
    last_key: str | None
    suffix: str | None
    dob: date | None
    dob_year: int | None
    ssn_last4: str | None
    ssn_hash: str | None
    street: str | None
    address: str | None
    addr_key: str | None
    zip5: str | None
    city: str | None
    state: str | None
    phone: str | None
    phone_type: str | None
    email: str | None
    employer: str | None
    first_seen: date | None
    last_seen: date | None
    event: str | None
    event_date: date | None
    problems: tuple[str, ...] = ()


@lru_cache(maxsize=200_000)
def _name(first, middle, last, suffix, full_name):
    return normalize_name(first, middle, last, suffix, full_name)


@lru_cache(maxsize=200_000)
def _address(street, unit, city, state, zip5):
    return normalize_address(street, unit, city, state, zip5)


@lru_cache(maxsize=100_000)
def _date(text):
    return parse_date(text)


def _as_date(text: str | None) -> tuple[date | None, int | None]:
    if not text:
        return None, None
    parsed = _date(str(text))
    return parsed.value, parsed.year


#: Features fields stored with an imported record (all but its key and source).
_PACKED = tuple(f for f in Features.__dataclass_fields__ if f not in ("key", "source"))
_DATES = frozenset({"dob", "first_seen", "last_seen", "event_date"})
#: Features of imported records read back with them, by (record key, raw hash): the
#: import normalized each record once, so a trace need not do it again.
_PREPARED: dict[tuple[str, str], Features] = {}
PREPARED_MAX = 50_000
#: Bump whenever a normalizer changes what it returns: features stored by an older
#: version are then ignored and the record is normalized again when read.
FEATURES_VERSION = 1


def pack_features(f: Features) -> str:
    """The features of one record, compactly: ``VERSION:MASK:values``, where the hex MASK
    says which fields are present (not None, not empty) and the values are those fields'
    JSON, comma-separated, in field order (dates as ISO strings).  A tiny record packs
    into ~40 bytes where a JSON list with every null took ~140 (bench/README.md)."""
    mask, values = 0, []
    for bit, name in enumerate(_PACKED):
        value = getattr(f, name)
        if value is None or value == ():
            continue
        mask |= 1 << bit
        values.append(value.isoformat() if isinstance(value, date) else
                      list(value) if isinstance(value, tuple) else value)
    body = json.dumps(values, separators=(",", ":"), ensure_ascii=False)[1:-1]
    return f"{FEATURES_VERSION}:{mask:x}:{body}"


def _unpack_values(text: str) -> tuple[int, dict] | None:
    if text.startswith("["):                 # the first format: a JSON list, nulls and all
        version, *values = json.loads(text)
        return (version, dict(zip(_PACKED, values))) if len(values) == len(_PACKED) else None
    version, mask, body = text.split(":", 2)
    values = iter(json.loads(f"[{body}]"))
    mask = int(mask, 16)
    kwargs = {name: next(values) if mask >> bit & 1 else None
              for bit, name in enumerate(_PACKED)}
    kwargs["problems"] = kwargs["problems"] or ()
    return int(version), kwargs


def features_without_dob(text: str | None) -> str | None:
    """Packed features with the full DOB taken out: the stored form (tracer/sealed.py),
    a trace puts back the date it opened from the record's ``dob`` column."""
    features = unpack_features(text, "-", "-") if text is not None else None
    if features is None:
        return None
    return text if features.dob is None else pack_features(replace(features, dob=None))


def unpack_features(text: str, key: str, source: str,
                    dob: str | None = None) -> Features | None:
    """The stored features, or None when an older normalizer stored them (or the cell
    cannot be read: the record is then normalized again, never a failed lookup).
    ``dob`` is the record's opened date of birth, which packed features leave out."""
    try:
        unpacked = _unpack_values(text)
        if unpacked is None or unpacked[0] != FEATURES_VERSION:
            return None
        kwargs = unpacked[1]
        if dob and kwargs["dob"] is None and len(dob) == 10:
            kwargs["dob"] = dob
        for name in _DATES:
            if kwargs[name] is not None:
                kwargs[name] = date.fromisoformat(kwargs[name])
        kwargs["problems"] = tuple(kwargs["problems"])
        return Features(key=key, source=source, **kwargs)
    except (ValueError, TypeError, KeyError, StopIteration, AttributeError):
        return None


def remember_features(key: str, raw_hash: str, packed: str, source: str,
                      dob: str | None = None) -> None:
    """Keep the stored features of a record the store just read, for :func:`features_of`
    (``dob``: the record's opened date of birth)."""
    features = unpack_features(packed, key, source, dob)
    if features is None:
        return
    if len(_PREPARED) >= PREPARED_MAX:
        _PREPARED.clear()
    _PREPARED[(key, raw_hash)] = features


def features_of(row: Mapping[str, Any], *, key: str | None = None,
                source: str | None = None) -> Features:
    """Features of a record or account row (FORMATS.md sections 1 and 2 column names)."""
    g = row.get
    raw_hash = g("raw_hash")
    if raw_hash and _PREPARED:
        got = _PREPARED.get((key or f"{source or g('source')}:{g('record_id') or g('account_id')}",
                             raw_hash))
        if got is not None and got.source == (source or g("source") or "account"):
            return got
    name = _name(g("first_name") or None, g("middle_name") or None, g("last_name") or None,
                 g("suffix") or None, g("full_name") or None)
    addr = _address(g("street") or None, g("unit") or None, g("city") or None,
                    g("state") or None, str(g("zip")) if g("zip") else None)
    phone = normalize_phone(g("phone"), declared_type=g("phone_type")) if g("phone") else None
    email = normalize_email(g("email")).email if g("email") else None
    dob, dob_year = _as_date(g("dob"))
    first_seen, _ = _as_date(g("first_seen"))
    last_seen, _ = _as_date(g("last_seen"))
    event_date, _ = _as_date(g("event_date"))
    last4 = normalize_ssn_last4(g("ssn_last4"))
    problems = tuple(name.problems) + tuple(addr.problems) \
        + (tuple(phone.problems) if phone else ()) + last4.problems
    return Features(
        key=key or f"{source or g('source')}:{g('record_id') or g('account_id')}",
        source=source or g("source") or "account",
        first=name.first, first_root=name.first_root, first_key=name.first_key,
        middle_initial=name.middle[:1] if name.middle else None, middle=name.middle or None,
        last=name.last, last_key=name.last_key, suffix=name.suffix,
        dob=dob, dob_year=dob_year,
        ssn_last4=last4.last4, ssn_hash=g("ssn_hash") or None,
        street=addr.street, address=addr.one_line, addr_key=addr.key, zip5=addr.zip5,
        city=addr.city, state=addr.state,
        phone=phone.e164 if phone else None,
        phone_type=(phone.line_type if phone else None),
        email=email, employer=(g("employer") or None),
        first_seen=first_seen, last_seen=last_seen,
        event=(g("event") or None), event_date=event_date, problems=problems,
    )
