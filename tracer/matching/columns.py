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


class _Raw:
    """The input columns of ``rows``, each read once per text function: (code per row,
    -1 when missing; the distinct texts in order of first appearance).  Distinct raw
    cells are found at C speed (``dict.fromkeys``) and only they pass through ``text``."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]):
        self.rows, self.n = rows, len(rows)
        self._coded: dict = {}

    def coded(self, column: str, text: Callable = None) -> tuple[np.ndarray, list]:
        text = text or _text
        got = self._coded.get((column, text))
        if got is None:
            cells = [r.get(column) for r in self.rows]
            try:
                distinct = list(dict.fromkeys(cells))
            except TypeError:           # an unhashable cell: read every cell as text
                got = factorize([text(c) for c in cells])
            else:
                index = {cell: k for k, cell in enumerate(distinct)}
                raw_codes = np.fromiter(map(index.__getitem__, cells), dtype=np.int64,
                                        count=self.n)
                text_codes, texts = factorize([text(c) for c in distinct])
                got = (np.append(text_codes, -1)[raw_codes] if len(distinct)
                       else raw_codes, texts)
            self._coded[(column, text)] = got
        return got


class _Later:
    """A list of outputs computed now or by the pool (``get`` waits)."""

    def __init__(self, fn, keys: list, pool):
        self.keys, self._done, self._parts = keys, None, None
        if pool is None or len(keys) < PARALLEL_MIN_ROWS // 4:
            self._done = [fn(k) for k in keys]
        else:
            chunks = [(fn, keys[i:i + _CHUNK]) for i in range(0, len(keys), _CHUNK)]
            self._parts = pool.map_async(_chunk_map, chunks)

    def get(self) -> list:
        if self._done is None:
            self._done = [o for part in self._parts.get() for o in part]
        return self._done


def _codes_of(values: list, codes: np.ndarray) -> tuple[np.ndarray, list]:
    """(row codes, distinct values) of a column whose row ``k`` holds
    ``values[codes[k]]`` (``codes`` -1 picks the last entry, the missing part's)."""
    value_codes, distinct = factorize(values)
    return value_codes[codes], distinct


def _merge(column: tuple[np.ndarray, list], rows: np.ndarray, values: list
           ) -> tuple[np.ndarray, list]:
    """``column`` with ``rows`` set to ``values`` (one per row, None for missing)."""
    codes, distinct = column
    distinct = list(distinct)
    index = {v: k for k, v in enumerate(distinct)}
    new = np.fromiter((-1 if v is None else index.setdefault(v, len(index)) for v in values),
                      dtype=np.int64, count=len(values))
    distinct.extend(list(index)[len(distinct):])
    codes = codes.copy()
    codes[rows] = new
    return codes, distinct


class _Parts:
    """A group normalized by parts: its input columns (and how a cell becomes the
    normalizer's argument), each column's part reader and whether to split it over
    processes, how the output columns come from the parts (``outputs``: per output
    column, (part, position) or a function of the parts' columns, None for the
    problem), and the whole normalizer for rows whose parts interact."""

    def __init__(self, columns: Sequence[str], readers: Sequence[Callable],
                 pooled: Sequence[bool], combine: Callable, whole: Callable,
                 texts: Sequence[Callable] | None = None, outputs: Sequence = (),
                 whole_names: Sequence[str] = ()):
        self.columns, self.readers, self.pooled = tuple(columns), tuple(readers), tuple(pooled)
        self.texts = tuple(texts or (_text,) * len(self.columns))
        self.combine, self.whole, self.outputs = combine, whole, tuple(outputs)
        #: the output columns :attr:`whole` gives, in its tuple order
        self.whole_names = tuple(whole_names)

    def key(self, row: Mapping[str, Any]) -> tuple:
        """The whole normalizer's arguments for ``row``."""
        return tuple(text(row.get(c)) for c, text in zip(self.columns, self.texts))

    def submit(self, raw: _Raw, pool):
        parts = []
        for column, reader, pooled, text in zip(self.columns, self.readers, self.pooled,
                                                self.texts):
            codes, texts = raw.coded(column, text)
            parts.append((codes, texts, reader, _Later(reader, texts, pool if pooled else None)))
        return parts

    def collect(self, raw: _Raw, parts, pool, names: Sequence[str]) -> dict[str, tuple]:
        """Output column -> (row codes, distinct values)."""
        n = raw.n
        codes = [p[0] for p in parts]
        reads = [p[3].get() + [p[2](None)] for p in parts]   # code -1: the part is missing
        slow = np.zeros(n, dtype=bool)
        for c, r in zip(codes, reads):
            bad = np.fromiter((x is None for x in r), dtype=bool, count=len(r))
            if bad.any():
                slow |= bad[c]
        out: dict[str, tuple] = {}
        for name, source in zip(names, self.outputs):
            if source is None:
                out[name] = (np.full(n, -1, dtype=np.int64), [])
            elif callable(source):
                out[name] = source(out)
            else:
                part, position = source
                out[name] = _codes_of([None if x is None else x[position] for x in reads[part]],
                                      codes[part])
        rows = np.flatnonzero(slow)
        if len(rows):
            combo = np.zeros(len(rows), dtype=np.int64)
            for c in codes:
                combo = combo * (int(c.max(initial=0)) + 2) + c[rows] + 1
                combo = np.unique(combo, return_inverse=True)[1].reshape(-1).astype(np.int64)
            _, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
            texts = [p[1] for p in parts]
            keys = [tuple(t[c[r]] if c[r] >= 0 else None for t, c in zip(texts, codes))
                    for r in rows[first].tolist()]         # what self.key(row) gives
            whole = _Later(self.whole, keys, pool).get()
            inverse = inverse.reshape(-1)
            picks = inverse.tolist()
            for j, name in enumerate(self.whole_names):
                out[name] = _merge(out[name], rows, [whole[k][j] for k in picks])
        return out


def _name_combined(first, middle, last, suffix, full) -> tuple:
    return (*first, *middle, *last, *suffix, None)


def _address_key(out: dict) -> tuple[np.ndarray, list]:
    """``NUMBER|CORE|ZIP5`` where the street's key stem and the ZIP are both read."""
    stem_codes, stems = out["\0stem"]
    zip_codes, zips = out["zip5"]
    n = len(stem_codes)
    both = (stem_codes >= 0) & (zip_codes >= 0)
    codes = np.full(n, -1, dtype=np.int64)
    if both.any():
        pair = stem_codes[both] * (len(zips) + 1) + zip_codes[both]
        distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")            # first appearance, as factorize
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes[both] = rank[inverse.reshape(-1)]
        values = [f"{stems[p // (len(zips) + 1)]}|{zips[p % (len(zips) + 1)]}"
                  for p in distinct[order].tolist()]
        return codes, values
    return codes, []


_NAME_PARTS = _Parts(("first_name", "middle_name", "last_name", "suffix", "full_name"),
                     (_first_part, _middle_part, _last_part, _suffix_part, _full_part),
                     (True, False, True, False, False), _name_combined, _name_values,
                     outputs=((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0),
                              None),
                     whole_names=("first", "first_root", "first_key", "middle_initial", "middle",
                                  "last", "last_key", "suffix", "problems.name"))
_ADDRESS_PARTS = _Parts(("street", "unit", "city", "state", "zip"),
                        (_street_part, _unit_part, _city_part, _state_part, _zip_part),
                        (True, False, True, False, False), _address_combined,
                        _address_values, (_text,) * 4 + (_zip_text,),
                        outputs=((0, 0), (0, 1), (4, 0), _address_key, None),
                        whole_names=("street", "addr_key", "zip5", "problems.address"))
_ADDRESS_NAMES = ("street", "\0stem", "zip5", "addr_key", "problems.address")


class _Whole:
    """A group normalized per distinct key: the texts of its ``columns`` (``texts``
    turn cells into the normalizer's arguments), or their first one alone when
    ``single``."""

    def __init__(self, columns: Sequence[str], texts: Sequence[Callable], whole: Callable,
                 pooled: bool, single: bool = True):
        self.columns, self.texts, self.whole = tuple(columns), tuple(texts), whole
        self.pooled, self.single = pooled, single

    def submit(self, raw: _Raw, pool):
        coded = [raw.coded(c, t) for c, t in zip(self.columns, self.texts)]
        if self.single:
            codes, keys = coded[0]
        else:
            # a key only where the first column has a value (a phone, with its type)
            first = coded[0][0]
            combo = np.where(first >= 0, first * (len(coded[1][1]) + 1) + coded[1][0] + 1, -1)
            codes, combos = factorize([None if c < 0 else c for c in combo.tolist()])
            width = len(coded[1][1]) + 1
            keys = [(coded[0][1][c // width], coded[1][1][c % width - 1] if c % width else None)
                    for c in combos]
        return codes, _Later(self.whole, keys, pool if self.pooled else None)

    def collect(self, raw: _Raw, submitted, pool, names: Sequence[str]) -> dict[str, tuple]:
        codes, later = submitted
        outputs = later.get()
        out: dict[str, tuple] = {}
        for j, name in enumerate(names):
            if name == "dob_year":
                years = np.array([o[j] for o in outputs] + [-1], dtype=np.int32)
                out[name] = (years[codes], None)
            else:
                out[name] = _codes_of([o[j] for o in outputs] + [None], codes)
        return out


def _dob_text(value):
    return str(value) if value else None


#: (how distinct values are found and read, output columns); each group's last output
#: is what its normalizer could not read (PROBLEM_FIELDS).  Pooled groups come first,
#: so the workers start on them while this process reads the rest.
_GROUPS = (
    (_Whole(("phone", "phone_type"), (_text, _text), _phone_values, True, single=False),
     ("phone", "mobile", "problems.phone")),
    (_ADDRESS_PARTS, _ADDRESS_NAMES),
    (_Whole(("email",), (_text,), _email_values, True), ("email", "problems.email")),
    (_NAME_PARTS, ("first", "first_root", "first_key", "middle_initial", "middle", "last",
                   "last_key", "suffix", "problems.name")),
    (_Whole(("dob",), (_dob_text,), _dob_values, False), ("dob", "dob_year", "problems.dob")),
    (_Whole(("ssn_last4",), (_text,), _ssn_values, False), ("ssn_last4", "problems.ssn_last4")),
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
    integer codes.  Each distinct value (or part) is normalized once, the many over
    processes (fork) while this process reads the other columns, and each column is
    built and coded from its distinct values.  Must equal :func:`_row_values` row by
    row (tests/test_matching_table.py)."""
    n = len(rows)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    parallel = n >= PARALLEL_MIN_ROWS and workers >= 2 and "fork" in _start_methods()
    pool = get_context("fork").Pool(workers) if parallel else None
    raw = _Raw(rows)
    columns: dict[str, np.ndarray] = {}
    coded: dict[str, tuple] = {}
    try:
        submitted = [group.submit(raw, pool) for group, _names in _GROUPS]
        if progress:
            progress(n // 2)
        for (group, names), job in zip(_GROUPS, submitted):
            for name, (codes, values) in group.collect(raw, job, pool, names).items():
                if name.startswith("\0"):
                    continue
                if values is None:                       # dob_year: the ints themselves
                    columns[name] = codes
                    continue
                if name.startswith("problems."):
                    # rarely filled: kept as codes only (no object column per row)
                    coded[name] = (codes.astype(np.int32), values)
                    continue
                column = np.empty(len(values) + 1, dtype=object)
                column[:-1] = values
                columns[name] = column[codes]
                coded[name] = (codes, values)
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


def _start_methods() -> list[str]:
    import multiprocessing
    return multiprocessing.get_all_start_methods()
