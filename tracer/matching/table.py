"""Records as columns: the shape bulk matching works on.

``tracer resolve`` compares millions of pairs, so instead of a list of
:class:`~tracer.matching.features.Features` it keeps one array per attribute (object
arrays of normalized strings, ``None`` when missing; ``dob_year`` as int32, -1 when
missing).  Column names are the ``Features`` attribute names, so a declared comparison
reads the same attribute whether it scores one pair (trace) or a million (resolve).
One difference: ``phone`` holds a number's digits even when its area code is not
assigned (:attr:`~.normalize.PhoneResult.digits`), since matching compares evidence;
``Features.phone`` is a contact and only dialable.

    table = RecordTable.from_rows(rows, extra_kinds={"soc_sec_id": "identifier"})
    table.column("last")[table.order]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from .columns import FEATURE_COLUMNS, PROBLEM_FIELDS, _row_values, factorize, feature_columns
from .normalize import parse_date

__all__ = ["EXTRA_KINDS", "FEATURE_COLUMNS", "PROBLEM_FIELDS", "RecordTable", "clean_extra",
           "factorize", "feature_columns", "identifier_half", "_row_values"]

#: Kinds of extra columns ``--compare COLUMN=KIND`` declares, and how values are cleaned.
EXTRA_KINDS = ("identifier", "name", "date", "exact", "text")

_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_NON_ALPHA = re.compile(r"[^A-Z ]")


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



