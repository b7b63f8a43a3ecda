"""Records as columns: the shape bulk matching works on.

``tracer resolve`` compares millions of pairs, so instead of a list of
:class:`~tracer.matching.features.Features` it keeps one array per attribute (object
arrays of normalized strings, ``None`` when missing; ``dob_year`` as int32, -1 when
missing).  Column names are the ``Features`` attribute names, so a declared comparison
reads the same attribute whether it scores one pair (trace) or a million (resolve).

    table = RecordTable.from_rows(rows, extra_kinds={"soc_sec_id": "identifier"})
    table.column("last")[table.order]
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Mapping, Sequence

import numpy as np

from .features import features_of
from .normalize import (normalize_address, normalize_email, normalize_name, normalize_phone,
                        parse_date)

#: Features attributes carried into the table, in tuple order.
FEATURE_COLUMNS = ("first", "first_root", "first_key", "middle_initial", "middle", "last", "last_key",
                   "suffix", "dob", "ssn_last4", "street", "addr_key", "zip5", "phone",
                   "email")
#: Kinds of extra columns ``--compare COLUMN=KIND`` declares, and how values are cleaned.
EXTRA_KINDS = ("identifier", "name", "date", "exact", "text")

_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_NON_ALPHA = re.compile(r"[^A-Z ]")

PARALLEL_MIN_ROWS = 60_000
_CHUNK = 20_000


def clean_extra(kind: str, value: Any) -> str | None:
    """Normalize one cell of an extra column for its comparison kind."""
    if value is None:
        return None
    text = str(value).strip().upper()
    if not text:
        return None
    if kind == "identifier":
        return _NON_ALNUM.sub("", text) or None
    if kind == "name":
        return " ".join(_NON_ALPHA.sub(" ", text).split()) or None
    if kind == "date":
        parsed = parse_date(text)
        return parsed.value.isoformat() if parsed.value else None
    return " ".join(text.split())


def _row_values(row: Mapping[str, Any]) -> tuple:
    """One row's table values the slow way (``features_of``); the reference that
    :func:`feature_tuples` must equal."""
    f = features_of(row, key="-", source="-")
    return (f.first, f.first_root, f.first_key, f.middle_initial, f.middle, f.last, f.last_key,
            f.suffix, f.dob.isoformat() if f.dob else None, f.ssn_last4, f.street,
            f.addr_key, f.zip5, f.phone, f.email, f.dob_year if f.dob_year else -1)


def _name_values(key: tuple) -> tuple:
    name = normalize_name(*key)
    return (name.first, name.first_root, name.first_key,
            name.middle[:1] if name.middle else None, name.middle or None, name.last,
            name.last_key, name.suffix)


def _address_values(key: tuple) -> tuple:
    addr = normalize_address(*key)
    return addr.street, addr.key, addr.zip5


def _dob_values(text: str) -> tuple:
    parsed = parse_date(text)
    return (parsed.value.isoformat() if parsed.value else None, parsed.year or -1)


def _phone_value(key: tuple) -> str | None:
    phone = normalize_phone(key[0], declared_type=key[1])
    return phone.e164


def _email_value(text: str) -> str | None:
    return normalize_email(text).email


def _chunk_map(args: tuple) -> list:
    fn, values = args
    return [fn(v) for v in values]


def _distinct_map(fn, keys: list, pool) -> dict:
    """``{key: fn(key)}`` over the distinct keys (names, streets and cities repeat a lot,
    so each is normalized once), split over ``pool`` when there are many."""
    distinct = list(dict.fromkeys(keys))
    if pool is None or len(distinct) < PARALLEL_MIN_ROWS // 4:
        return dict(zip(distinct, (fn(k) for k in distinct)))
    chunks = [(fn, distinct[i:i + _CHUNK]) for i in range(0, len(distinct), _CHUNK)]
    out: dict = {}
    start = 0
    for part in pool.imap(_chunk_map, chunks):
        out.update(zip(distinct[start:start + len(part)], part))
        start += len(part)
    return out


def feature_tuples(rows: Sequence[Mapping[str, Any]], *, workers: int | None = None,
                   progress=None) -> list[tuple]:
    """``_row_values`` of every row, normalizing each distinct name, address, date, phone
    and email once; many distinct values are split over processes (fork)."""
    n = len(rows)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    parallel = n >= PARALLEL_MIN_ROWS and workers >= 2 and "fork" in _start_methods()
    pool = get_context("fork").Pool(workers) if parallel else None
    try:
        names, addrs, dobs, phones, emails = [], [], [], [], []
        for row in rows:
            g = row.get
            names.append((g("first_name") or None, g("middle_name") or None,
                          g("last_name") or None, g("suffix") or None, g("full_name") or None))
            z = g("zip")
            addrs.append((g("street") or None, g("unit") or None, g("city") or None,
                          g("state") or None, str(z) if z else None))
            d = g("dob")
            dobs.append(str(d) if d else None)
            ph = g("phone")
            phones.append((ph, g("phone_type")) if ph else None)
            e = g("email")
            emails.append(e if e else None)
        name_of = _distinct_map(_name_values, names, pool)
        if progress:
            progress(n // 2)
        addr_of = _distinct_map(_address_values, addrs, pool)
        dob_of = _distinct_map(_dob_values, [d for d in dobs if d is not None], None)
        phone_of = _distinct_map(_phone_value, [p for p in phones if p is not None], pool)
        email_of = _distinct_map(_email_value, [e for e in emails if e is not None], None)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    no_dob = (None, -1)
    out = []
    for k, row in enumerate(rows):
        d = dob_of[dobs[k]] if dobs[k] is not None else no_dob
        ph = phones[k]
        e = emails[k]
        out.append(name_of[names[k]] + (d[0], row.get("ssn_last4") or None)
                   + addr_of[addrs[k]] + (phone_of[ph] if ph is not None else None,
                                          email_of[e] if e is not None else None, d[1]))
    if progress:
        progress(n)
    return out


def _seen_windows(rows: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(first seen, last seen) of every row as date ordinals, -1 when not both readable;
    each distinct date string is parsed once."""
    parsed: dict = {}

    def ordinal(text) -> int:
        got = parsed.get(text)
        if got is None:
            value = parse_date(str(text)).value if text else None
            got = parsed[text] = value.toordinal() if value else -1
        return got
    n = len(rows)
    start = np.fromiter((ordinal(r.get("first_seen")) for r in rows), dtype=np.int32, count=n)
    end = np.fromiter((ordinal(r.get("last_seen")) for r in rows), dtype=np.int32, count=n)
    missing = (start < 0) | (end < 0)
    start[missing] = end[missing] = -1
    return start, end


def _start_methods() -> list[str]:
    import multiprocessing
    return multiprocessing.get_all_start_methods()


@dataclass
class RecordTable:
    """Normalized columns of ``n`` records; ``ids`` and ``file`` identify each row."""

    ids: np.ndarray                    # record_id (object)
    file: np.ndarray                   # int8: 0, or 0/1 when linking two files
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    extra_kinds: dict[str, str] = field(default_factory=dict)
    #: column -> (int64 code per record, -1 when missing; the distinct values by code)
    _coded: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict, repr=False,
                                                       compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]

    def codes(self, name: str) -> np.ndarray:
        """The column as integer codes (-1 when missing): equal codes, equal values.
        Bulk comparisons and blocking work on these instead of Python strings."""
        return self.coded(name)[0]

    def coded(self, name: str) -> tuple[np.ndarray, list]:
        """(codes, distinct values indexed by code) of a column, computed once."""
        got = self._coded.get(name)
        if got is None:
            col = self.columns[name]
            if col.dtype.kind in "iu":
                got = (np.where(col >= 0, col, -1).astype(np.int64), [])
            else:
                index: dict = {}
                setdefault = index.setdefault
                codes = np.fromiter((-1 if v is None else setdefault(v, len(index))
                                     for v in col.tolist()), dtype=np.int64, count=len(col))
                got = (codes, list(index))
            self._coded[name] = got
        return got

    def has_values(self, name: str) -> bool:
        col = self.columns.get(name)
        if col is None:
            return False
        if col.dtype.kind in "iu":
            return bool((col >= 0).any())
        return any(v is not None for v in col)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], *,
                  ids: Sequence[str] | None = None, file: Sequence[int] | None = None,
                  extra_kinds: Mapping[str, str] | None = None, workers: int | None = None,
                  progress=None) -> "RecordTable":
        """Build from FORMATS.md §2 rows; ``extra_kinds`` maps more columns to a kind."""
        extra_kinds = dict(extra_kinds or {})
        for name, kind in extra_kinds.items():
            if kind not in EXTRA_KINDS:
                raise ValueError(f"unknown comparison kind {kind!r} for {name}")
        values = feature_tuples(rows, workers=workers, progress=progress)
        n = len(rows)
        columns: dict[str, np.ndarray] = {}
        for index, name in enumerate(FEATURE_COLUMNS):
            col = np.empty(n, dtype=object)
            col[:] = [v[index] for v in values]
            columns[name] = col
        columns["dob_year"] = np.fromiter((v[-1] for v in values), dtype=np.int32, count=n)
        columns["seen_from"], columns["seen_to"] = _seen_windows(rows)
        for name, kind in extra_kinds.items():
            col = np.empty(n, dtype=object)
            col[:] = [clean_extra(kind, r.get(name)) for r in rows]
            columns[name] = col
        id_arr = np.empty(n, dtype=object)
        id_arr[:] = list(ids) if ids is not None else [str(r.get("record_id")) for r in rows]
        file_arr = np.zeros(n, dtype=np.int8) if file is None else np.asarray(file, np.int8)
        table = cls(id_arr, file_arr, columns, extra_kinds)
        table.add_derived()
        return table

    def add_derived(self) -> None:
        """Blocking helpers computed from the normalized columns."""
        first = self.columns["first"]
        self.columns["first_initial"] = _map(first, lambda v: v[0])
        self.columns["zip3"] = _map(self.columns["zip5"], lambda v: v[:3])
        root = self.columns["first_root"]
        self.columns["first_any"] = np.where(root == None, first, root)  # noqa: E711

    def take(self, index: np.ndarray) -> "RecordTable":
        return RecordTable(self.ids[index], self.file[index],
                           {k: v[index] for k, v in self.columns.items()}, self.extra_kinds)

    def canonical_order(self) -> np.ndarray:
        """Row order by (file, record_id): every result is computed in this order, so
        the input's row order cannot change it."""
        if not len(self):
            return np.zeros(0, dtype=np.int64)
        ids = self.ids.astype(str)
        return np.lexsort((ids, self.file)).astype(np.int64)


def _map(col: np.ndarray, fn) -> np.ndarray:
    out = np.empty(len(col), dtype=object)
    out[:] = [fn(v) if v else None for v in col]
    return out

