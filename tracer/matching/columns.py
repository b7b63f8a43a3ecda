"""The normalized columns of a record file, each distinct value normalized once.

A million records hold far fewer distinct values than rows, and far fewer distinct
*parts*: 770k name combinations are made of a few thousand first names and surnames.
So a name or an address is split into its input columns, each distinct part is read
once (:func:`_name_part`, :func:`_street_part`, ...), and the parts are put together
per distinct combination.  Only a combination whose parts interact (a suffix in the
middle-name column, a full name to split, a problem to report, a street that brings its
own city) goes through the whole normalizer.  Distinct values are split over processes
(fork) when there are many.  The result must equal normalizing row by row
(:func:`_row_values`; tests/test_matching_table.py).
"""

from __future__ import annotations

import os
from multiprocessing import get_context
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .features import features_of
from .normalize import (normalize_address, normalize_email, normalize_name, normalize_phone,
                        normalize_phone_type, normalize_ssn_last4, parse_date)
from .normalize import addresses as _addresses, names as _names
from .normalize.dates import as_text

#: Features attributes carried into the table, in tuple order.
FEATURE_COLUMNS = ("first", "first_root", "first_key", "middle_initial", "middle", "last",
                   "last_key", "suffix", "dob", "ssn_last4", "street", "addr_key", "zip5",
                   "phone", "email")
#: The field each group of input columns is reported under when a value could not be
#: read (``RecordTable.problems``): ``problems.<field>`` columns of the table.
PROBLEM_FIELDS = ("name", "address", "dob", "phone", "email", "ssn_last4")

PARALLEL_MIN_ROWS = 60_000
_CHUNK = 20_000


def _problems(result) -> str | None:
    """A normalizer's problems as one cell (None when it read the value)."""
    return "; ".join(result.problems) or None


def _row_values(row: Mapping[str, Any]) -> tuple:
    """One row's table values the slow way (``features_of``); the reference that
    :func:`feature_columns` must equal."""
    f = features_of(row, key="-", source="-")
    phone = normalize_phone(row["phone"]).digits if row.get("phone") else None
    return (f.first, f.first_root, f.first_key, f.middle_initial, f.middle, f.last, f.last_key,
            f.suffix, f.dob.isoformat() if f.dob else None, f.ssn_last4, f.street,
            f.addr_key, f.zip5, phone, f.email, f.dob_year if f.dob_year else -1)


# -- whole values ---------------------------------------------------------------------------

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
    """(the number's digits, the same again when the line is a mobile: one person's,
    unlike a landline).  A number with an unassigned area code is no contact but still
    evidence: its digits are compared like any other's."""
    phone = normalize_phone(key[0], declared_type=key[1])
    mobile = phone.line_type == "mobile" or (
        phone.undialable is not None and normalize_phone_type(key[1]) == "mobile")
    problem = _problems(phone)
    if phone.undialable and problem:
        problem += " (compared by its digits; no contact)"
    return phone.digits, phone.digits if mobile else None, problem


def _email_values(text: str) -> tuple:
    email = normalize_email(text)
    return email.email, _problems(email)


def _ssn_values(value) -> tuple:
    last4 = normalize_ssn_last4(value)
    return last4.last4, _problems(last4)


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


# -- parts ----------------------------------------------------------------------------------
# Each returns what its part contributes when it cannot interact with the others, or
# None when the combination must go through the whole normalizer.

def _name_words(raw) -> tuple[str, list[str]] | None:
    text = _names._fold(as_text(raw))
    if _names._DISALLOWED.search(text):
        return None                      # "dropped characters" names the whole name
    words = _names._words(text)
    if text and not words:
        return None                      # "no name words found" depends on the rest
    return text, words


def _first_part(raw):
    got = _name_words(raw)
    if got is None or len(got[1]) > 1:   # two first names: one may be a middle name
        return None
    problems: list[str] = []
    first = _names._clean_part(got[1], "first", problems)
    if problems:
        return None
    return (first, _names._root(first) if first else None, _names._phonetic(first))


def _middle_part(raw):
    got = _name_words(raw)
    if got is None or _names._strip_suffixes(list(got[1]), keep=0)[1]:
        return None                      # "ANN JR" in the middle: the suffix moves
    problems: list[str] = []
    middle = _names._clean_part(got[1], "middle", problems)
    if problems:
        return None
    return (middle[:1] if middle else None, middle or None)


def _last_part(raw):
    got = _name_words(raw)
    if got is None or _names._strip_suffixes(list(got[1]), keep=1)[1]:
        return None
    problems: list[str] = []
    last = _names._clean_part(got[1], "last", problems)
    if problems:
        return None
    return (last, _names._phonetic(last))


def _suffix_part(raw):
    got = _name_words(raw)
    if got is None:
        return None
    problems: list[str] = []
    generation = _names._canonical_suffix(got[1], problems)
    return None if problems else (generation,)


def _full_part(raw):
    return () if not _names._fold(as_text(raw)) else None


def _name_combined(first, middle, last, suffix, full) -> tuple:
    return (*first, *middle, *last, *suffix, None)


def _street_part(raw):
    text = as_text(raw)
    cleaned = _addresses._clean(text)
    if not cleaned:
        return None if text else (None, None)
    street, _unit, stem, found, problems = _addresses._parse_street(cleaned)
    if problems or any(found):
        return None
    return street, stem


def _unit_part(raw):
    return () if not as_text(raw) else None


def _city_part(raw):
    problems: list[str] = []
    _addresses._clean_city(as_text(raw), problems)
    return None if problems else ()


def _state_part(raw):
    text = as_text(raw)
    return () if not text or _addresses.normalize_state(text) is not None else None


def _zip_part(raw):
    text = as_text(raw)
    if not text:
        return (None,)
    zip5 = _addresses.normalize_zip(text)
    return None if zip5 is None else (zip5,)


def _address_combined(street, unit, city, state, zip_) -> tuple:
    (line, stem), (zip5,) = street, zip_
    return line, f"{stem}|{zip5}" if stem and zip5 else None, zip5, None


def _text(value):
    return value or None


def _zip_text(value):
    return str(value) if value else None


class _Parts:
    """A group normalized by parts: its input columns (and how a cell becomes the
    normalizer's argument), each column's part reader and whether to split it over
    processes, how parts combine, and the whole normalizer for the rest."""

    def __init__(self, columns: Sequence[str], readers: Sequence[Callable],
                 pooled: Sequence[bool], combine: Callable, whole: Callable,
                 texts: Sequence[Callable] | None = None):
        self.columns, self.readers, self.pooled = tuple(columns), tuple(readers), tuple(pooled)
        self.texts = tuple(texts or (_text,) * len(self.columns))
        self.combine, self.whole = combine, whole

    def key(self, row: Mapping[str, Any]) -> tuple:
        """The whole normalizer's arguments for ``row``."""
        return tuple(text(row.get(c)) for c, text in zip(self.columns, self.texts))

    def distinct(self, getters: list, pool) -> tuple[np.ndarray, list]:
        """(code per row of its distinct combination, output per combination)."""
        n = len(getters)
        codes, parts = [], []
        key = np.zeros(n, dtype=np.int64)
        for column, reader, pooled, text in zip(self.columns, self.readers, self.pooled,
                                                self.texts):
            column_codes, values = factorize([text(g(column)) for g in getters])
            read = _distinct_outputs(reader, values, pool if pooled else None)
            codes.append(column_codes)
            parts.append(read + [reader(None)])          # code -1: the part is missing
            key = key * (len(values) + 1) + (column_codes + 1)
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(n)
        combos, first = np.unique(key, return_index=True)
        row_index = np.searchsorted(combos, key)
        combine = self.combine
        outputs: list = []
        slow: list[int] = []
        for k, combo in enumerate(zip(*(c[first].tolist() for c in codes))):
            got = [p[c] for p, c in zip(parts, combo)]
            if None in got:
                slow.append(k)
                outputs.append(None)
            else:
                outputs.append(combine(*got))
        if slow:
            rows = first[slow].tolist()
            keys = [tuple(text(getters[r](c)) for c, text in zip(self.columns, self.texts))
                    for r in rows]      # what self.key(row) gives
            for k, out in zip(slow, _distinct_outputs(self.whole, keys, pool)):
                outputs[k] = out
        return row_index, outputs


_NAME_PARTS = _Parts(("first_name", "middle_name", "last_name", "suffix", "full_name"),
                     (_first_part, _middle_part, _last_part, _suffix_part, _full_part),
                     (False,) * 5, _name_combined, _name_values)
_ADDRESS_PARTS = _Parts(("street", "unit", "city", "state", "zip"),
                        (_street_part, _unit_part, _city_part, _state_part, _zip_part),
                        (True, False, False, False, False), _address_combined,
                        _address_values, (_text,) * 4 + (_zip_text,))


class _Whole:
    """A group normalized per distinct key (``key_of`` a row)."""

    def __init__(self, key_of: Callable, whole: Callable, pooled: bool):
        self.key_of, self.whole, self.pooled = key_of, whole, pooled

    def distinct(self, getters: list, pool) -> tuple[np.ndarray, list]:
        row_index, keys = factorize([self.key_of(g) for g in getters])
        return row_index, _distinct_outputs(self.whole, keys, pool if self.pooled else None)


#: (how distinct values are found and read, output columns); each group's last output
#: is what its normalizer could not read (PROBLEM_FIELDS).
_GROUPS = (
    (_NAME_PARTS, ("first", "first_root", "first_key", "middle_initial", "middle", "last",
                   "last_key", "suffix", "problems.name")),
    (_ADDRESS_PARTS, ("street", "addr_key", "zip5", "problems.address")),
    (_Whole(_dob_key, _dob_values, False), ("dob", "dob_year", "problems.dob")),
    (_Whole(_phone_key, _phone_values, True), ("phone", "mobile", "problems.phone")),
    (_Whole(_email_key, _email_values, True), ("email", "problems.email")),
    (_Whole(_ssn_key, _ssn_values, False), ("ssn_last4", "problems.ssn_last4")),
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
    integer codes.  Each distinct value (or part) is normalized once, many of them over
    processes (fork), and each column is built and coded from its distinct values.
    Must equal :func:`_row_values` row by row (tests/test_matching_table.py)."""
    n = len(rows)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    parallel = n >= PARALLEL_MIN_ROWS and workers >= 2 and "fork" in _start_methods()
    pool = get_context("fork").Pool(workers) if parallel else None
    getters = [row.get for row in rows]
    columns: dict[str, np.ndarray] = {}
    coded: dict[str, tuple] = {}
    try:
        for number, (group, names) in enumerate(_GROUPS):
            row_index, outputs = group.distinct(getters, pool)
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


def _chunk_map(args: tuple) -> list:
    fn, values = args
    return [fn(v) for v in values]


def _distinct_outputs(fn, keys: list, pool) -> list:
    """``fn(key)`` for each distinct key, in order, split over ``pool`` when many."""
    if pool is None or len(keys) < PARALLEL_MIN_ROWS // 4:
        return [fn(k) for k in keys]
    chunks = [(fn, keys[i:i + _CHUNK]) for i in range(0, len(keys), _CHUNK)]
    out: list = []
    for part in pool.imap(_chunk_map, chunks):
        out.extend(part)
    return out


def _start_methods() -> list[str]:
    import multiprocessing
    return multiprocessing.get_all_start_methods()
