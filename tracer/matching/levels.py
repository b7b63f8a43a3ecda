"""Comparison levels for arrays of record pairs, at bulk speed.

The same declared :class:`~tracer.matching.comparisons.Comparison` objects that score
one pair in a trace are evaluated here over every candidate pair at once: each level is
tested only on the pairs no earlier level claimed (first match wins, as in Splink), and
string similarities run in rapidfuzz's C++ ``cpdist`` over whole arrays on every core.
``tests/test_matching_levels.py`` checks this path against the scalar one.

    gammas = pair_levels(comparisons, table, left, right)   # int8 (n_pairs, n_comparisons)
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from .comparisons import Comparison
from .normalize import nickname_roots
from .table import RecordTable


class _Pairs:
    """Column values of the left and right record of a subset of pairs."""

    def __init__(self, table: RecordTable, left: np.ndarray, right: np.ndarray, attr: str):
        self.table, self.left, self.right, self.attr = table, left, right, attr

    def get(self, idx: np.ndarray, attr: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        col = self.table.column(attr or self.attr)
        return col[self.left[idx]], col[self.right[idx]]

    def codes(self, idx: np.ndarray, attr: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes (-1 missing) of the pairs' values: equality without strings."""
        col = self.table.codes(attr or self.attr)
        return col[self.left[idx]], col[self.right[idx]]

    def value_table(self, attr: str, key: str, fn) -> np.ndarray:
        """``fn(distinct values)``: an array indexed by code, computed once per table;
        its last row stands for a missing value."""
        cache = self.table._coded.setdefault(f"{attr}\0{key}", ())
        if not cache:
            cache = (fn(self.table.coded(attr)[1]),)
            self.table._coded[f"{attr}\0{key}"] = cache
        return cache[0]

    def per_value(self, idx: np.ndarray, attr: str, key: str, fn) -> tuple:
        """:meth:`value_table` looked up for the left and right record of each pair."""
        table = self.value_table(attr, key, fn)
        a, b = self.codes(idx, attr)
        return table[a], table[b]

    def distinct(self, idx: np.ndarray, fn, attrs: tuple[str, ...] = (), *,
                 codes: bool = False) -> np.ndarray:
        """``fn`` evaluated once per distinct combination of the pairs' values (the
        same two street spellings, the same two first names recur thousands of times
        in a million records) and spread back over ``idx``.  ``fn`` receives, per
        attribute, the left and right values (or their codes) of the distinct
        combinations; pairs with a value missing are False without a call."""
        attrs = attrs or (self.attr,)
        out = np.zeros(len(idx), dtype=bool)
        key = np.zeros(len(idx), dtype=np.int64)
        ok = np.ones(len(idx), dtype=bool)
        for attr in attrs:
            a, b = self.codes(idx, attr)
            ok &= (a >= 0) & (b >= 0)
            width = len(self.table.coded(attr)[1]) + 1
            key = (key * width + np.maximum(a, 0)) * width + np.maximum(b, 0)
            if len(attrs) > 1:   # re-densify so several attributes never overflow
                key = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(-1)
        if not ok.any():
            return out
        rows = np.flatnonzero(ok)
        _, first, inverse = np.unique(key[rows], return_index=True, return_inverse=True)
        pick = idx[rows[first]]
        values = []
        for attr in attrs:
            col = self.table.codes(attr) if codes else self.table.column(attr)
            values += [col[self.left[pick]], col[self.right[pick]]]
        out[rows] = np.asarray(fn(*values), dtype=bool)[inverse.reshape(-1)]
        return out


#: Below this many pairs rapidfuzz runs in the calling thread: starting its thread pool
#: costs milliseconds, more than a trace's few hundred comparisons take.
THREADED_FROM = 20_000


def _workers(n: int) -> int:
    return -1 if n >= THREADED_FROM else 1


def _jw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return np.zeros(0)
    return cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity,
                  workers=_workers(len(a)))


def _lev(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    return cpdist(list(a), list(b), scorer=Levenshtein.distance, workers=_workers(len(a)))


def _null(p, idx):
    a, b = p.codes(idx)
    return (a < 0) | (b < 0)


def _exact(p, idx):
    a, b = p.codes(idx)
    return (a == b) & (a >= 0)


def _jaro_winkler(p, idx, threshold):
    return p.distinct(idx, lambda a, b: _jw(a, b) >= threshold)


def _levenshtein(p, idx, limit):
    return p.distinct(idx, lambda a, b: _lev(a, b) <= limit)


def _root_matrix(values: list) -> np.ndarray:
    """Per distinct first name, the ids of its nickname roots (padded with -1; the
    extra last row stands for a missing name)."""
    ids: dict[str, int] = {}
    sets = [[ids.setdefault(r, len(ids)) for r in sorted(nickname_roots(v))] for v in values]
    width = max((len(x) for x in sets), default=0) or 1
    out = np.full((len(values) + 1, width), -1, dtype=np.int32)
    for k, roots in enumerate(sets):
        out[k, :len(roots)] = roots
    return out


def _nickname(p, idx):
    ra, rb = p.codes(idx, "first_root")
    out = (ra == rb) & (ra >= 0)
    rest = np.flatnonzero(~out)
    if len(rest):
        roots = p.value_table(p.attr, "roots", _root_matrix)

        def share_a_root(a, b):
            ma, mb = roots[a], roots[b]
            hit = np.zeros(len(a), dtype=bool)
            for i in range(ma.shape[1]):
                for j in range(mb.shape[1]):
                    hit |= (ma[:, i] == mb[:, j]) & (ma[:, i] >= 0)
            return hit
        out[rest] = p.distinct(idx[rest], share_a_root, codes=True)
    return out


def _swapped(p, idx, threshold):
    """First and last name keyed the other way round (the same test from either side)."""
    return _crossed(p, idx, "last" if p.attr == "first" else "first", threshold)


def _crossed(p, idx, other, threshold):
    """This column and ``other`` keyed the other way round in one of the two records."""
    def crossed(this_a, this_b, other_a, other_b):
        hit = _jw(this_a, other_b) >= threshold
        if hit.any():
            hit[hit] = _jw(other_a[hit], this_b[hit]) >= threshold
        return hit
    return p.distinct(idx, crossed, (p.attr, other))


def _initials(values: list) -> np.ndarray:
    """Per distinct value: [first character, is one character long]; last row: missing."""
    out = np.zeros((len(values) + 1, 2), dtype=np.int32)
    out[-1] = (-1, 0)
    for k, v in enumerate(values):
        out[k] = (ord(v[0]) if v else -1, len(v) == 1)
    return out


def _initial(p, idx):
    a, b = p.per_value(idx, p.attr, "initial", _initials)
    return ((a[:, 1] == 1) | (b[:, 1] == 1)) & (a[:, 0] == b[:, 0]) & (a[:, 0] >= 0)


def _phonetic(p, idx, key_attr):
    a, b = p.codes(idx, key_attr)
    return (a == b) & (a >= 0)


def _dob_null(p, idx):
    a, b = p.get(idx, "dob_year")
    return (a < 0) | (b < 0)


def _dob_exact(p, idx):
    a, b = p.codes(idx, "dob")
    return (a == b) & (a >= 0)


def _transposed(x, y) -> bool:
    return (x is not None and y is not None and len(x) == len(y) == 10 and x != y
            and x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7])


def _ymd(values: list) -> np.ndarray:
    """Per distinct ISO date: (year, month, day) as ints, -1 when not YYYY-MM-DD."""
    out = np.full((len(values) + 1, 3), -1, dtype=np.int32)
    for k, v in enumerate(values):
        if isinstance(v, str) and len(v) == 10 and v[4] == v[7] == "-" and \
                (v[:4] + v[5:7] + v[8:]).isdigit():
            out[k] = (int(v[:4]), int(v[5:7]), int(v[8:]))
    return out


def _transposed_codes(p, idx, attr):
    a, b = p.per_value(idx, attr, "ymd", _ymd)
    ca, cb = p.codes(idx, attr)
    return ((a[:, 0] >= 0) & (ca != cb) & (a[:, 0] == b[:, 0]) & (a[:, 1] == b[:, 2])
            & (a[:, 2] == b[:, 1]))


def _dob_transposed(p, idx):
    return _transposed_codes(p, idx, "dob")


def _dob_year_only(p, idx):
    a, b = p.codes(idx, "dob")
    ya, yb = p.get(idx, "dob_year")
    return ((a < 0) | (b < 0)) & (ya == yb)


def _dob_close(p, idx):
    return p.distinct(idx, lambda a, b: _lev(a, b) <= 1, ("dob",))


def _dob_near(p, idx):
    ca, cb = p.codes(idx, "dob")
    ya, yb = p.get(idx, "dob_year")
    ok = (ca >= 0) & (cb >= 0) & (np.abs(ya.astype(np.int64) - yb) < 10)
    out = np.zeros(len(idx), dtype=bool)
    if ok.any():
        def typo_apart(a, b):
            x = [v.replace("-", "") for v in a]
            y = [v.replace("-", "") for v in b]
            return cpdist(x, y, scorer=OSA.distance, workers=_workers(len(x))) <= 2
        out[ok] = p.distinct(idx[ok], typo_apart, ("dob",))
        out[ok] |= _transposed_codes(p, idx[ok], "dob")
    return out


def _osa(p, idx, limit):
    return p.distinct(idx, lambda a, b: cpdist(list(a), list(b), scorer=OSA.distance,
                                                 workers=_workers(len(a))) <= limit)


def _same_zip(p, idx):
    a, b = p.codes(idx, "zip5")
    return (a == b) & (a >= 0)


def _same_area(p, idx):
    a, b = p.codes(idx, "zip3")
    return (a == b) & (a >= 0)


def _same_street(p, idx):
    a, b = p.codes(idx, "street")
    return (a == b) & (a >= 0)


def _seen_together(p, idx, min_days):
    fa, fb = p.get(idx, "seen_from")
    ta, tb = p.get(idx, "seen_to")
    ok = (fa >= 0) & (fb >= 0)
    return ok & ((np.minimum(ta, tb).astype(np.int64) - np.maximum(fa, fb)) > min_days)


def _same_zip_seen_together(p, idx, min_days):
    return _same_zip(p, idx) & _seen_together(p, idx, min_days)


def _address_null(p, idx):
    sa, sb = p.codes(idx, "street")
    za, zb = p.codes(idx, "zip5")
    return ((sa < 0) & (za < 0)) | ((sb < 0) & (zb < 0))


def _same_zip_street(p, idx, threshold):
    out = _same_zip(p, idx)
    sa, sb = p.codes(idx, "street")
    ok = out & (sa >= 0) & (sb >= 0)
    out[:] = False
    if ok.any():
        out[ok] = p.distinct(idx[ok], lambda a, b: _jw(a, b) >= threshold, ("street",))
    return out


def _both_missing(p, idx):
    a, b = p.codes(idx)
    return (a < 0) & (b < 0)


def _date_transposed(p, idx):
    a, b = p.get(idx)
    return np.array([_transposed(x, y) for x, y in zip(a, b)], dtype=bool)


def _same_year(p, idx):
    a, b = p.get(idx)
    return np.array([x is not None and y is not None and x[:4] == y[:4]
                     for x, y in zip(a, b)], dtype=bool)


VECTOR_KINDS: dict[str, Callable[..., np.ndarray]] = {
    "null": _null, "exact": _exact, "jaro_winkler": _jaro_winkler, "nickname": _nickname,
    "initial": _initial, "swapped": _swapped, "crossed": _crossed,
    "phonetic": _phonetic, "dob_null": _dob_null,
    "dob_exact": _dob_exact, "dob_transposed": _dob_transposed,
    "dob_year_only": _dob_year_only, "dob_close": _dob_close, "dob_near": _dob_near,
    "osa": _osa,
    "same_zip_street": _same_zip_street, "same_zip": _same_zip,
    "same_street": _same_street, "same_area": _same_area, "address_null": _address_null,
    "same_zip_seen_together": _same_zip_seen_together, "seen_together": _seen_together,
    "both_missing": _both_missing, "one_missing": _null, "levenshtein": _levenshtein,
    "date_transposed": _date_transposed, "same_year": _same_year,
}


def comparison_levels(comp: Comparison, table: RecordTable, left: np.ndarray,
                      right: np.ndarray) -> np.ndarray:
    """The level index of ``comp`` for every pair (``left[k]``, ``right[k]``)."""
    n = len(left)
    last = len(comp.levels) - 1
    out = np.full(n, last, dtype=np.int8)
    pairs = _Pairs(table, left, right, comp.attribute)
    undecided = np.arange(n)
    for index, level in enumerate(comp.levels):
        if not len(undecided):
            break
        if level.kind == "else":
            out[undecided] = index
            break
        mask = VECTOR_KINDS[level.kind](pairs, undecided, **level.params)
        out[undecided[mask]] = index
        undecided = undecided[~mask]
    return out


def pair_levels(comparisons: Sequence[Comparison], table: RecordTable, left: np.ndarray,
                right: np.ndarray, *, chunk: int = 2_000_000,
                known: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """int8 matrix (pairs x comparisons) of level indices, computed in chunks;
    ``known`` holds the levels of some comparisons (by index) already computed."""
    out = np.empty((len(left), len(comparisons)), dtype=np.int8)
    known = known or {}
    for c, levels in known.items():
        out[:, c] = levels
    for start in range(0, len(left), chunk):
        sl = slice(start, start + chunk)
        for c, comp in enumerate(comparisons):
            if c not in known:
                out[sl, c] = comparison_levels(comp, table, left[sl], right[sl])
    return out
