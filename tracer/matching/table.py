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
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from .features import features_of
from .normalize import (normalize_address, normalize_email, normalize_name, normalize_phone,
                        normalize_ssn_last4, parse_date)

#: Features attributes carried into the table, in tuple order.
FEATURE_COLUMNS = ("first", "first_root", "first_key", "middle_initial", "middle", "last", "last_key",
                   "suffix", "dob", "ssn_last4", "street", "addr_key", "zip5", "phone",
                   "email")
#: The field each group of input columns is reported under when a value could not be
#: read (``RecordTable.problems``): ``problems.<field>`` columns of the table.
PROBLEM_FIELDS = ("name", "address", "dob", "phone", "email", "ssn_last4")

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


def _problems(result) -> str | None:
    """A normalizer's problems as one cell (None when it read the value)."""
    return "; ".join(result.problems) or None


def _row_values(row: Mapping[str, Any]) -> tuple:
    """One row's table values the slow way (``features_of``); the reference that
    :func:`feature_columns` must equal."""
    f = features_of(row, key="-", source="-")
    return (f.first, f.first_root, f.first_key, f.middle_initial, f.middle, f.last, f.last_key,
            f.suffix, f.dob.isoformat() if f.dob else None, f.ssn_last4, f.street,
            f.addr_key, f.zip5, f.phone, f.email, f.dob_year if f.dob_year else -1)


def _name_values(key: tuple) -> tuple:
    name = normalize_name(*key)
    return (name.first, name.first_root, name.first_key,
            name.middle[:1] if name.middle else None, name.middle or None, name.last,
            name.last_key, name.suffix, _problems(name))


def _address_values(key: tuple) -> tuple:
    addr = normalize_address(*key)
    return addr.street, addr.key, addr.zip5, _problems(addr)


def _dob_values(text: str) -> tuple:
    parsed = parse_date(text)
    return (parsed.value.isoformat() if parsed.value else None, parsed.year or -1,
            _problems(parsed))


def _phone_values(key: tuple) -> tuple:
    """(E.164, E.164 again when the line is a mobile: one person's, unlike a landline)."""
    phone = normalize_phone(key[0], declared_type=key[1])
    return phone.e164, phone.e164 if phone.line_type == "mobile" else None, _problems(phone)


def _email_value(text: str) -> str | None:
    return normalize_email(text).email


def _chunk_map(args: tuple) -> list:
    fn, values = args
    return [fn(v) for v in values]


def _name_key(g):
    return (g("first_name") or None, g("middle_name") or None, g("last_name") or None,
            g("suffix") or None, g("full_name") or None)


def _address_key(g):
    z = g("zip")
    return (g("street") or None, g("unit") or None, g("city") or None, g("state") or None,
            str(z) if z else None)


def _dob_key(g):
    d = g("dob")
    return str(d) if d else None


def _phone_key(g):
    ph = g("phone")
    return (ph, g("phone_type")) if ph else None


def _email_key(g):
    e = g("email")
    return e if e else None


def _ssn_key(g):
    return g("ssn_last4") or None


def _email_values(text: str) -> tuple:
    email = normalize_email(text)
    return email.email, _problems(email)


def _ssn_values(value) -> tuple:
    last4 = normalize_ssn_last4(value)
    return last4.last4, _problems(last4)


#: (row -> key, key -> output tuple, output columns, worth splitting over processes);
#: each group's last output is what its normalizer could not read (PROBLEM_FIELDS).
_GROUPS = (
    (_name_key, _name_values, ("first", "first_root", "first_key", "middle_initial", "middle",
                               "last", "last_key", "suffix", "problems.name"), True),
    (_address_key, _address_values, ("street", "addr_key", "zip5", "problems.address"), True),
    (_dob_key, _dob_values, ("dob", "dob_year", "problems.dob"), False),
    (_phone_key, _phone_values, ("phone", "mobile", "problems.phone"), True),
    (_email_key, _email_values, ("email", "problems.email"), False),
    (_ssn_key, _ssn_values, ("ssn_last4", "problems.ssn_last4"), False),
)


def factorize(values: list) -> tuple[np.ndarray, list]:
    """(code per value, -1 for None; the distinct values in code order)."""
    index: dict = {}
    setdefault = index.setdefault
    codes = np.fromiter((-1 if v is None else setdefault(v, len(index)) for v in values),
                        dtype=np.int64, count=len(values))
    return codes, list(index)


def feature_columns(rows: Sequence[Mapping[str, Any]], *, workers: int | None = None,
                    progress=None) -> tuple[dict[str, np.ndarray], dict[str, tuple]]:
    """The normalized columns of ``rows`` (object arrays, ``dob_year`` int32) and their
    integer codes.  Each distinct name, address, date, phone and email is normalized
    once (many are split over processes, fork), and each column is built and coded from
    its distinct values: a million rows cost a dictionary lookup per group, not per
    column.  Must equal :func:`_row_values` row by row (tests/test_matching_table.py)."""
    n = len(rows)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    parallel = n >= PARALLEL_MIN_ROWS and workers >= 2 and "fork" in _start_methods()
    pool = get_context("fork").Pool(workers) if parallel else None
    getters = [row.get for row in rows]
    columns: dict[str, np.ndarray] = {}
    coded: dict[str, tuple] = {}
    try:
        for number, (key_of, normalize, names, in_pool) in enumerate(_GROUPS):
            row_index, keys = factorize([key_of(g) for g in getters])
            outputs = _distinct_outputs(normalize, keys, pool if in_pool else None)
            for j, name in enumerate(names):
                if name == "dob_year":
                    years = np.array([o[j] for o in outputs] + [-1], dtype=np.int32)
                    columns[name] = years[row_index]
                    continue
                distinct_codes, values = factorize([o[j] for o in outputs])
                codes = np.append(distinct_codes, -1)[row_index]
                if name.startswith("problems."):
                    # rarely filled: kept as codes only (no object column per row)
                    coded[name] = (codes.astype(np.int32), values)
                    continue
                column = np.empty(len(values) + 1, dtype=object)
                column[:-1] = values
                columns[name] = column[codes]
                coded[name] = (codes, values)
            if progress and number == 0:
                progress(n // 2)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    if progress:
        progress(n)
    return columns, coded


def _distinct_outputs(fn, keys: list, pool) -> list:
    """``fn(key)`` for each distinct key, in order, split over ``pool`` when many."""
    if pool is None or len(keys) < PARALLEL_MIN_ROWS // 4:
        return [fn(k) for k in keys]
    chunks = [(fn, keys[i:i + _CHUNK]) for i in range(0, len(keys), _CHUNK)]
    out: list = []
    for part in pool.imap(_chunk_map, chunks):
        out.extend(part)
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


#: identifiers this long or longer are also blocked on by halves (shorter halves would
#: make blocks of thousands)
ID_HALVES_MIN = 6


def identifier_half(column: str, part: int) -> str:
    """The derived column holding the first (0) or second (1) half of an identifier."""
    return f"{column}.{'head' if part == 0 else 'tail'}"


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
                got = factorize(col.tolist())
            self._coded[name] = got
        return got

    def problems(self) -> Iterator[tuple[int, str, str]]:
        """(row, field, what could not be read) for every value a normalizer refused or
        read only in part, in row order (problems never quote a full SSN or DOB)."""
        present = [(f, self._coded[f"problems.{f}"]) for f in PROBLEM_FIELDS
                   if f"problems.{f}" in self._coded]
        if not present:
            return
        any_problem = np.zeros(len(self), dtype=bool)
        for _, (codes, _values) in present:
            any_problem |= codes >= 0
        for k in np.flatnonzero(any_problem).tolist():
            for name, (codes, values) in present:
                if codes[k] >= 0:
                    yield k, name, values[codes[k]]

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
        columns, coded = feature_columns(rows, workers=workers, progress=progress)
        n = len(rows)
        columns["seen_from"], columns["seen_to"] = _seen_windows(rows)
        for name, kind in extra_kinds.items():
            col = np.empty(n, dtype=object)
            col[:] = [clean_extra(kind, r.get(name)) for r in rows]
            columns[name] = col
        id_arr = np.empty(n, dtype=object)
        id_arr[:] = list(ids) if ids is not None else [str(r.get("record_id")) for r in rows]
        file_arr = np.zeros(n, dtype=np.int8) if file is None else np.asarray(file, np.int8)
        table = cls(id_arr, file_arr, columns, extra_kinds, coded)
        table.add_derived()
        return table

    def add_derived(self) -> None:
        """Blocking helpers computed from the normalized columns (per distinct value)."""
        self._derive("first_initial", "first", lambda v: v[0])
        self._derive("zip3", "zip5", lambda v: v[:3])
        root, first = self.columns["first_root"], self.columns["first"]
        self.columns["first_any"] = np.where(root == None, first, root)  # noqa: E711
        # A full identifier's two halves: one mistyped digit leaves one of them whole,
        # so blocking on either finds the pair the exact identifier misses.
        for name, kind in self.extra_kinds.items():
            if kind == "identifier" and name in self.columns:
                self._derive(identifier_half(name, 0), name,
                             lambda v: v[:len(v) // 2] if len(v) >= ID_HALVES_MIN else None)
                self._derive(identifier_half(name, 1), name,
                             lambda v: v[len(v) // 2:] if len(v) >= ID_HALVES_MIN else None)

    def _derive(self, name: str, source: str, fn) -> None:
        """Column ``name`` = ``fn(value)`` of column ``source``, computed once per
        distinct value and coded with it."""
        codes, values = self.coded(source)
        distinct_codes, derived = factorize([fn(v) if v else None for v in values])
        row_codes = np.append(distinct_codes, -1)[codes]
        column = np.empty(len(derived) + 1, dtype=object)
        column[:-1] = derived
        self.columns[name] = column[row_codes]
        self._coded[name] = (row_codes, derived)

    def take(self, index: np.ndarray) -> "RecordTable":
        """The rows at ``index``; codes come along (their values lists still apply)."""
        coded = {k: (v[0][index], v[1]) if "\0" not in k else v for k, v in self._coded.items()}
        return RecordTable(self.ids[index], self.file[index],
                           {k: v[index] for k, v in self.columns.items()}, self.extra_kinds,
                           coded)

    def canonical_order(self) -> np.ndarray:
        """Row order by (file, record_id): every result is computed in this order, so
        the input's row order cannot change it."""
        if not len(self):
            return np.zeros(0, dtype=np.int64)
        ids = self.ids.astype(str)
        return np.lexsort((ids, self.file)).astype(np.int64)



