"""How much a candidate pair's exact agreements say, in bits: the term-frequency cap on
blocking.

Two random records of a file of ``n`` share a value ``v`` of a column with probability
about tf(v) (the share of records carrying it), so agreeing on it is worth
``log2(1 / tf(v))`` bits.  A pair that a blocking key brought together, whose exact
agreements over every field add up to less than ``log2(n)`` bits (plus a margin), is what
two strangers in a file that size look like: two JAMES SMITHs born the same year, and
nothing else.  Such pairs grow with the square of the file (a common name's block does),
so :func:`candidate_pairs <.blocking.candidate_pairs>` drops them before anything is
compared, and the pairs kept grow with the records.

Each field counts once, at its most specific agreement (an address, else a street, else
a ZIP, else a ZIP area).  An email often spells its owner's name (``jsmith@``), so
between two records that agree on a name (the whole name, an initial and the surname,
the surname, the first name) it is worth what it says beyond that name: its share among
the records of the name (:data:`EMAIL_NAMES`).

The shares come from the table itself, so the cap needs a table large enough to be a
population (:data:`MIN_RECORDS`): a trace's few hundred candidates all share a surname,
and a small file's blocks are small anyway.

    bits = pair_evidence(table, left, right)
"""

from __future__ import annotations

import numpy as np

from .clustering import dense_key
from .table import RecordTable

#: Fields, each a list of columns from the most specific agreement to the least.
FAMILIES: tuple[tuple[str, ...], ...] = (
    ("first_any", "first_initial"), ("last", "last_key"), ("middle_initial",),
    ("dob", "dob_year"), ("ssn_last4",), ("addr_key", "street", "zip5", "zip3"),
    ("phone",), ("email",),
)
#: Names an email may spell, most specific first: between two records agreeing on one
#: of them, the email is worth its share among that name's records.
EMAIL_NAMES = (("first_any", "last_key"), ("first_initial", "last_key"), ("last_key",),
               ("first_any",))
#: Extra column kinds (``--compare``) whose exact agreement counts as a field.
EXTRA_FAMILY_KINDS = ("identifier", "exact", "date", "name", "text")
#: Below this many records, no pair is dropped for weak evidence.
MIN_RECORDS = 20_000
#: A pair needs ``log2(n) + DEFAULT_MARGIN`` bits: agreements 4:1 rarer than one
#: stranger per record.
DEFAULT_MARGIN = 2.0


def required_bits(n: int, margin: float = DEFAULT_MARGIN) -> float:
    return float(np.log2(max(n, 2))) + margin


class PairEvidence:
    """Bits per value of each field's columns, computed once per table."""

    def __init__(self, table: RecordTable):
        self.table = table
        self.families = [tuple(c for c in family if c in table.columns) for family in FAMILIES]
        self.families += [(c,) for c, kind in table.extra_kinds.items()
                          if kind in EXTRA_FAMILY_KINDS and c in table.columns]
        self.families = [f for f in self.families if f]
        self._bits: dict[str, np.ndarray] = {}
        self._email_given_name: dict | None = None

    def bits(self, column: str) -> np.ndarray:
        """log2(records with a value / records with this value), per record (0 when
        missing)."""
        got = self._bits.get(column)
        if got is None:
            codes = self.table.codes(column)
            present = codes >= 0
            counts = np.bincount(codes[present], minlength=1)
            got = np.zeros(len(codes), dtype=np.float32)
            got[present] = np.log2(present.sum() / counts[codes[present]])
            self._bits[column] = got
        return got

    def _codes(self, column: str) -> np.ndarray:
        key = "\0codes:" + column
        got = self._bits.get(key)
        if got is None:
            got = self._bits[key] = self.table.codes(column).astype(np.int32)
        return got

    def _email_given(self, names: tuple[str, ...]):
        """(key of ``names``, bits of the email among the records of that key)."""
        got = self._email_given_name.get(names) if self._email_given_name else None
        if got is None:
            t = self.table
            name = dense_key(*(t.codes(c) for c in names))
            both = dense_key(t.codes("email"), name)
            ok = both >= 0
            bits = np.zeros(len(t), dtype=np.float32)
            if ok.any():
                per_name = np.bincount(name[name >= 0])
                per_both = np.bincount(both[ok])
                bits[ok] = np.log2(per_name[name[ok]] / per_both[both[ok]])
            got = (name.astype(np.int32), bits)
            self._email_given_name = {**(self._email_given_name or {}), names: got}
        return got

    def of(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Bits of the exact agreements of each pair (``left[k]``, ``right[k]``)."""
        total = np.zeros(len(left), dtype=np.float32)
        names = [n for n in EMAIL_NAMES if set(n) <= set(self.table.columns)]
        left, right = left.astype(np.int32), right.astype(np.int32)      # half the traffic
        for family in self.families:
            # the most specific agreement counts: walk the columns from the least
            # specific up, each agreement overriding what a looser one gave
            worth = np.zeros(len(left), dtype=np.float32)
            for column in reversed(family):
                agree, bits = self._agreement(column, left, right, names)
                np.copyto(worth, bits, where=agree)
            total += worth
        return total

    def _agreement(self, column: str, left, right, names):
        """(agree, bits of the agreement) per pair, for one column."""
        codes = self._codes(column)
        ca = codes[left]
        agree = (ca >= 0) & (ca == codes[right])
        bits = self.bits(column)[left]
        if column == "email":
            # between records of one name, what the email says beyond that name
            for name in reversed(names):
                key, given = self._email_given(name)
                ka = key[left]
                same = agree & (ka >= 0) & (ka == key[right])
                np.copyto(bits, given[left], where=same)
        return agree, bits


def pair_evidence(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return PairEvidence(table).of(left, right)
