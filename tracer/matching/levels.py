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


def _missing(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "iu":
        return values < 0
    return values == None  # noqa: E711


def _jw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return np.zeros(0)
    return cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity, workers=-1)


def _lev(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    return cpdist(list(a), list(b), scorer=Levenshtein.distance, workers=-1)


def _null(p, idx):
    a, b = p.get(idx)
    return _missing(a) | _missing(b)


def _exact(p, idx):
    a, b = p.get(idx)
    return (a == b) & ~_missing(a)


def _jaro_winkler(p, idx, threshold):
    a, b = p.get(idx)
    ok = ~(_missing(a) | _missing(b))
    out = np.zeros(len(idx), dtype=bool)
    out[ok] = _jw(a[ok], b[ok]) >= threshold
    return out


def _levenshtein(p, idx, limit):
    a, b = p.get(idx)
    ok = ~(_missing(a) | _missing(b))
    out = np.zeros(len(idx), dtype=bool)
    out[ok] = _lev(a[ok], b[ok]) <= limit
    return out


def _nickname(p, idx):
    ra, rb = p.get(idx, "first_root")
    out = (ra == rb) & ~_missing(ra)
    a, b = p.get(idx)
    rest = np.flatnonzero(~out)
    out[rest] = [bool(nickname_roots(x) & nickname_roots(y)) for x, y in zip(a[rest], b[rest])]
    return out


def _initial(p, idx):
    a, b = p.get(idx)
    return np.array([(len(x) == 1 or len(y) == 1) and x[0] == y[0] for x, y in zip(a, b)],
                    dtype=bool)


def _phonetic(p, idx, key_attr):
    a, b = p.get(idx, key_attr)
    return (a == b) & ~_missing(a)


def _dob_null(p, idx):
    a, b = p.get(idx, "dob_year")
    return (a < 0) | (b < 0)


def _dob_exact(p, idx):
    a, b = p.get(idx, "dob")
    return (a == b) & ~_missing(a)


def _transposed(x, y) -> bool:
    return (x is not None and y is not None and len(x) == len(y) == 10 and x != y
            and x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7])


def _dob_transposed(p, idx):
    a, b = p.get(idx, "dob")
    return np.array([_transposed(x, y) for x, y in zip(a, b)], dtype=bool)


def _dob_year_only(p, idx):
    a, b = p.get(idx, "dob")
    ya, yb = p.get(idx, "dob_year")
    return (_missing(a) | _missing(b)) & (ya == yb)


def _dob_close(p, idx):
    a, b = p.get(idx, "dob")
    ok = ~(_missing(a) | _missing(b))
    out = np.zeros(len(idx), dtype=bool)
    out[ok] = _lev(a[ok], b[ok]) <= 1
    return out


def _dob_near(p, idx):
    a, b = p.get(idx, "dob")
    ya, yb = p.get(idx, "dob_year")
    ok = ~(_missing(a) | _missing(b)) & (np.abs(ya.astype(np.int64) - yb) < 10)
    out = np.zeros(len(idx), dtype=bool)
    if ok.any():
        x = [v.replace("-", "") for v in a[ok]]
        y = [v.replace("-", "") for v in b[ok]]
        out[ok] = cpdist(x, y, scorer=OSA.distance, workers=-1) <= 2
        out[ok] |= np.array([_transposed(u, v) for u, v in zip(a[ok], b[ok])], dtype=bool)
    return out


def _osa(p, idx, limit):
    a, b = p.get(idx)
    ok = ~(_missing(a) | _missing(b))
    out = np.zeros(len(idx), dtype=bool)
    if ok.any():
        out[ok] = cpdist(list(a[ok]), list(b[ok]), scorer=OSA.distance, workers=-1) <= limit
    return out


def _same_zip(p, idx):
    a, b = p.get(idx, "zip5")
    return (a == b) & ~_missing(a)


def _same_zip_street(p, idx, threshold):
    out = _same_zip(p, idx)
    sa, sb = p.get(idx, "street")
    ok = out & ~(_missing(sa) | _missing(sb))
    out[:] = False
    out[ok] = _jw(sa[ok], sb[ok]) >= threshold
    return out


def _both_missing(p, idx):
    a, b = p.get(idx)
    return _missing(a) & _missing(b)


def _date_transposed(p, idx):
    a, b = p.get(idx)
    return np.array([_transposed(x, y) for x, y in zip(a, b)], dtype=bool)


def _same_year(p, idx):
    a, b = p.get(idx)
    return np.array([x is not None and y is not None and x[:4] == y[:4]
                     for x, y in zip(a, b)], dtype=bool)


VECTOR_KINDS: dict[str, Callable[..., np.ndarray]] = {
    "null": _null, "exact": _exact, "jaro_winkler": _jaro_winkler, "nickname": _nickname,
    "initial": _initial, "phonetic": _phonetic, "dob_null": _dob_null,
    "dob_exact": _dob_exact, "dob_transposed": _dob_transposed,
    "dob_year_only": _dob_year_only, "dob_close": _dob_close, "dob_near": _dob_near,
    "osa": _osa,
    "same_zip_street": _same_zip_street, "same_zip": _same_zip,
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
                right: np.ndarray, *, chunk: int = 2_000_000) -> np.ndarray:
    """int8 matrix (pairs x comparisons) of level indices, computed in chunks."""
    out = np.empty((len(left), len(comparisons)), dtype=np.int8)
    for start in range(0, len(left), chunk):
        sl = slice(start, start + chunk)
        for c, comp in enumerate(comparisons):
            out[sl, c] = comparison_levels(comp, table, left[sl], right[sl])
    return out
