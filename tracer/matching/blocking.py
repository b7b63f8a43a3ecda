"""Blocking rules as data: which record pairs are worth comparing at all.

A rule is a tuple of table columns that must all be present and equal
(``block_on("last_key", "dob_year")``).  Candidate pairs are the union of every rule's
pairs, deduplicated.  A block bigger than ``split_block`` (a common surname and birth
year in a million records) is split by the rule's ``split_by`` columns in turn (first
initial, then ZIP3) instead of being compared all against all; what is still bigger than
``max_block`` after that is skipped and reported.  Pairs are generated block size by
block size in bounded chunks and kept as one int64 code per pair (``i * n + j``), so
memory follows the pairs kept, not the largest intermediate.

    rules = (block_on("last_key", "dob_year"), block_on("ssn_last4", "first_initial"))
    pairs, report = candidate_pairs(table, rules)
    print(report.table())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .clustering import dense_key
from .evidence import MIN_RECORDS as MIN_EVIDENCE_RECORDS, PairEvidence, required_bits
from .table import RecordTable

DEFAULT_MAX_BLOCK = 400
#: Blocks over this size are split by the rule's ``split_by`` columns.
DEFAULT_SPLIT_BLOCK = 64
#: Columns that split an oversized block, in turn (skipped when the rule has them).
DEFAULT_SPLIT_BY = ("first_initial", "zip3")
#: Pairs generated per chunk inside :func:`rule_pairs`.
PAIR_CHUNK = 1 << 21
#: A pair alone in its block (a key only two records share) is kept whatever its
#: evidence: the term-frequency cap weighs only the others.  Such pairs are at most
#: ``n / 2`` per rule, linear in the records, and the rare key is evidence the exact
#: agreements do not count (typos in every other field).  Larger blocks were measured
#: (our generator's 100k F1 / people-dev pairs from 100k to 1M): 2: 0.9598 / x11.5;
#: 8: 0.9607 / about x19 (blocks of a few records fill up as the file grows).
SMALL_BLOCK = 2
#: Two records of one first name and surname in one ZIP area are kept whatever their
#: evidence: they are what the Jr/Sr rules weigh (a bare JOHN SMITH matching a Jr's
#: cluster and his Sr's is left alone, which it can be only if both pairs are seen).
#: Without it our generator's 1M joined 3 of 4,188 Jr/Sr pairs.
NAMESAKE_COLUMNS = ("first", "last_key", "zip3")


@dataclass(frozen=True)
class BlockingRule:
    columns: tuple[str, ...]
    #: comparisons this rule's key forces to agree, wholly or in part (a birth year block
    #: makes DOBs look close): EM neither estimates them from its pairs nor counts them
    covers: tuple[str, ...] = ()
    name: str = ""
    #: columns that split a block over ``split_block`` records, in turn
    split_by: tuple[str, ...] = DEFAULT_SPLIT_BY
    #: whether EM learns m from this rule's pairs.  A key relatives share (an address, a
    #: landline) blocks a household as readily as one person, so EM on those pairs
    #: learns "same household" and would teach the model that a different first name,
    #: DOB or SSN is what matches look like.
    trains_m: bool = True

    @property
    def label(self) -> str:
        return self.name or " + ".join(self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "covers": list(self.covers), "name": self.name,
                "split_by": list(self.split_by), "trains_m": self.trains_m}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BlockingRule":
        return cls(tuple(data["columns"]), tuple(data.get("covers", ())), data.get("name", ""),
                   tuple(data.get("split_by", DEFAULT_SPLIT_BY)), data.get("trains_m", True))


def block_on(*columns: str, covers: Sequence[str] = (), name: str = "",
             split_by: Sequence[str] = DEFAULT_SPLIT_BY, trains_m: bool = True) -> BlockingRule:
    return BlockingRule(tuple(columns), tuple(covers), name, tuple(split_by), trains_m)


#: Rules for people files (FORMATS.md §2), each selective on its own.
PEOPLE_RULES: tuple[BlockingRule, ...] = (
    block_on("last_key", "dob_year", covers=("last_name", "dob"),
             name="surname phonetic + birth year"),
    block_on("ssn_last4", "first_initial", covers=("ssn_last4", "first_name"),
             name="ssn last4 + first initial"),
    block_on("phone", "last_key", covers=("phone", "last_name"), name="phone + surname phonetic",
             trains_m=False),
    block_on("email", covers=("email",), name="email"),
    block_on("addr_key", covers=("address",), name="address", trains_m=False),
    block_on("zip3", "first_any", "last_key", covers=("first_name", "last_name", "address"),
             name="zip3 + first name + surname phonetic"),
    block_on("first_any", "dob", covers=("first_name", "dob"), name="first name + dob"),
    # whatever the names say (swapped, misspelt, a new surname): the same birthday in a ZIP
    block_on("dob", "zip3", covers=("dob", "address"), name="dob + zip3"),
    # the keys above, each with the other name: a misspelt surname or a nickname's
    # initial (BILL for WILLIAM) must not hide a shared SSN last-4 or street
    block_on("ssn_last4", "last_key", covers=("ssn_last4", "last_name"),
             name="ssn last4 + surname phonetic"),
    block_on("street", "last_key", covers=("address", "last_name"),
             name="street + surname phonetic (any zip)", trains_m=False),
    # a typo in one name hides a move within the ZIP from the zip3 + names key
    block_on("zip5", "last_key", "first_initial", covers=("address", "last_name"),
             name="zip + surname phonetic + first initial", trains_m=False),
    block_on("zip5", "first_any", "middle_initial", covers=("address", "first_name"),
             name="zip + first name + middle initial", trains_m=False),
    # a misspelt surname changes its phonetic key: the first name with a shared phone or
    # street line (any ZIP) still finds the pair
    block_on("phone", "first_any", covers=("phone", "first_name"), name="phone + first name",
             trains_m=False),
    block_on("street", "first_any", covers=("address", "first_name"),
             name="street + first name (any zip)", trains_m=False),
)


@dataclass
class RuleReport:
    label: str
    pairs: int = 0
    new_pairs: int = 0
    blocks: int = 0
    skipped_blocks: int = 0
    skipped_records: int = 0
    #: oversized blocks split by ``split_by`` (counted before splitting)
    split_blocks: int = 0
    #: pairs dropped for too little evidence (the term-frequency cap, :mod:`.evidence`)
    weak_pairs: int = 0
    #: the records of the skipped blocks (not serialized)
    skipped: list = field(default_factory=list, repr=False)


@dataclass
class BlockingReport:
    rules: list[RuleReport] = field(default_factory=list)
    total: int = 0
    #: records in a block some rule skipped (compared only with their exact duplicates
    #: there, see :func:`duplicate_pairs`)
    oversized_records: int = 0
    #: the evidence a pair needed (bits), when the term-frequency cap applied
    required_bits: float | None = None
    #: blocked pairs left out before comparing as households (``tracer resolve``)
    household_pairs: int = 0

    def table(self) -> str:
        lines = [f"{'rule':<42} {'pairs':>12} {'new':>12} {'weak':>10} {'split':>8} "
                 f"{'skipped blocks':>15}"]
        for r in self.rules:
            lines.append(f"{r.label:<42} {r.pairs:>12,} {r.new_pairs:>12,} "
                         f"{r.weak_pairs:>10,} {r.split_blocks:>8,} {r.skipped_blocks:>8,} "
                         f"({r.skipped_records:,} rec)")
        lines.append(f"{'union (deduplicated)':<42} {self.total:>12,}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "oversized_records": self.oversized_records,
                "required_bits": self.required_bits, "household_pairs": self.household_pairs,
                "rules": [{k: v for k, v in r.__dict__.items() if k != "skipped"}
                          for r in self.rules]}


def _block_codes(table: RecordTable, rule: BlockingRule) -> np.ndarray:
    """An int64 block code per record; -1 when a rule column is missing."""
    n = len(table)
    code = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for name in rule.columns:
        values = table.codes(name)
        valid &= values >= 0
        values = np.maximum(values, 0)
        code = code * (int(values.max(initial=0)) + 1) + values
        # Re-densify so products of several columns never overflow int64.
        _, code = np.unique(code, return_inverse=True)
        code = code.astype(np.int64)
    code[~valid] = -1
    return code


def _split_oversized(table: RecordTable, rule: BlockingRule, codes: np.ndarray,
                     split_block: int, report: RuleReport | None) -> np.ndarray:
    """Block codes with every block over ``split_block`` records split by the rule's
    ``split_by`` columns in turn (a missing value is a value of its own there)."""
    valid = codes >= 0
    if not valid.any():
        return codes
    first = True
    for column in rule.split_by:
        if column in rule.columns or column not in table.columns:
            continue
        sizes = np.bincount(codes[valid])
        big = valid & (sizes[np.maximum(codes, 0)] > split_block)
        if not big.any():
            break
        if report is not None and first:
            report.split_blocks += int((sizes > split_block).sum())
        first = False
        extra = np.where(big, table.codes(column) + 2, 0)      # 1: missing; 0: not split
        combined = codes * (int(extra.max()) + 1) + extra
        dense = np.unique(combined[valid], return_inverse=True)[1].astype(np.int64)
        codes = codes.copy()
        codes[valid] = dense.reshape(-1)
    return codes


def rule_pairs(table: RecordTable, rule: BlockingRule, *, max_block: int = DEFAULT_MAX_BLOCK,
               link: bool = False, report: RuleReport | None = None,
               split_block: int = DEFAULT_SPLIT_BLOCK, chunk: int = PAIR_CHUNK,
               small: list | None = None, small_block: int = SMALL_BLOCK) -> np.ndarray:
    """Pairs (as ``i * n + j`` with i < j) of records in the same block of ``rule``,
    sorted and unique.  Blocks over ``split_block`` are split first (see module doc).
    ``small``, when given, receives the codes of the pairs from blocks of at most
    ``small_block`` records."""
    n = len(table)
    codes = _block_codes(table, rule)
    if split_block and split_block < max_block:
        codes = _split_oversized(table, rule, codes, split_block, report)
    members = np.flatnonzero(codes >= 0)
    if len(members) < 2:
        return np.empty(0, dtype=np.int64)
    order = members[np.argsort(codes[members], kind="stable")].astype(np.int32)
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    file = table.file
    out = []
    for size in np.unique(sizes).tolist():
        if size < 2:
            continue
        group_starts = starts[sizes == size]
        if size > max_block:
            if report:
                report.skipped_blocks += len(group_starts)
                report.skipped_records += int(size) * len(group_starts)
                report.skipped.append(order[group_starts[:, None] + np.arange(size)[None, :]]
                                      .ravel())
            continue
        if report:
            report.blocks += len(group_starts)
        a_pos, b_pos = np.triu_indices(size, 1)
        step = max(1, chunk // len(a_pos))
        for g0 in range(0, len(group_starts), step):
            groups = order[group_starts[g0:g0 + step, None] + np.arange(size)[None, :]]
            a, b = groups[:, a_pos].ravel(), groups[:, b_pos].ravel()
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            del a, b
            if link:
                keep = file[lo] != file[hi]
                lo, hi = lo[keep], hi[keep]
            out.append(lo.astype(np.int64) * n + hi)
            if small is not None and size <= small_block:
                small.append(out[-1])
    if not out:
        return np.empty(0, dtype=np.int64)
    return _sorted_unique(np.concatenate(out))


def _sorted_unique(codes: np.ndarray) -> np.ndarray:
    """Sorted distinct values, by an in-place sort (``np.unique`` of ten million int64
    pair codes takes over ten times as long with NumPy's hash-based path)."""
    codes.sort()
    if len(codes) < 2:
        return codes
    keep = np.empty(len(codes), dtype=bool)
    keep[0] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


#: The report's name for the pairs :func:`duplicate_pairs` adds.
DUPLICATES_RULE = "exact duplicates in oversized blocks"
#: Columns two records must share (missing counting as a value) to be duplicates.
DUPLICATE_COLUMNS = ("first", "middle", "last", "suffix", "dob", "dob_year", "ssn_last4",
                     "addr_key", "phone", "email")


def duplicate_pairs(table: RecordTable, members: np.ndarray, *, link: bool = False
                    ) -> np.ndarray:
    """Pair codes joining each of ``members`` to the first record identical to it on
    every :data:`DUPLICATE_COLUMNS` column and declared extra column: k copies cost
    k - 1 pairs, not k (k - 1) / 2."""
    n = len(table)
    columns = [c for c in (*DUPLICATE_COLUMNS, *table.extra_kinds) if c in table.columns]
    if len(members) < 2 or not columns:
        return np.empty(0, dtype=np.int64)
    # missing (code -1) is a value too: shifted to 0
    key = dense_key(*(table.codes(name)[members] + 1 for name in columns))
    # Deduplicating, each copy joins the first copy; linking, each file's copies join
    # the other file's first copy (members come sorted, so "first" is the lowest index).
    file = table.file[members]
    plans = [(file == 0, file == 1), (file == 1, file == 0)] if link \
        else [(np.ones(len(members), dtype=bool),) * 2]
    out = []
    for heads, tails in plans:
        head_keys, first = np.unique(key[heads], return_index=True)
        if not len(head_keys):
            continue
        head_members = members[heads][first]
        tail_members, tail_keys = members[tails], key[tails]
        at = np.minimum(np.searchsorted(head_keys, tail_keys), len(head_keys) - 1)
        found = (head_keys[at] == tail_keys) & (head_members[at] != tail_members)
        a, b = head_members[at][found].astype(np.int64), tail_members[found].astype(np.int64)
        out.append(np.minimum(a, b) * n + np.maximum(a, b))
    if not out:
        return np.empty(0, dtype=np.int64)
    return _sorted_unique(np.concatenate(out))


def candidate_pairs(table: RecordTable, rules: Sequence[BlockingRule], *,
                    max_block: int = DEFAULT_MAX_BLOCK, link: bool = False,
                    rule_codes: list | None = None, evidence_margin: float | None = None,
                    split_block: int = DEFAULT_SPLIT_BLOCK
                    ) -> tuple[np.ndarray, np.ndarray, BlockingReport]:
    """(left indices, right indices, report): the deduplicated union of every rule.
    ``rule_codes``, when given, receives each rule's own pair codes (for training).
    ``evidence_margin`` (bits), on a table of at least :data:`.evidence.MIN_RECORDS`,
    drops the pairs whose exact agreements say less than ``log2(n)`` plus that margin
    (:mod:`.evidence`: what strangers in a file that size share)."""
    n = len(table)
    report = BlockingReport()
    seen = np.empty(0, dtype=np.int64)
    reports = [RuleReport(rule.label) for rule in rules]
    small: list = []
    produced = [rule_pairs(table, rule, max_block=max_block, link=link, report=rr,
                           split_block=split_block, small=small)
                for rule, rr in zip(rules, reports)]
    if evidence_margin is not None and n >= MIN_EVIDENCE_RECORDS and produced:
        # Weighed once per distinct pair (rules overlap), then each rule keeps its own;
        # pairs of a small block are kept whatever they weigh (SMALL_BLOCK).
        needed = required_bits(n, evidence_margin)
        report.required_bits = round(needed, 2)
        union = _sorted_unique(np.concatenate(produced))
        small_codes = _sorted_unique(np.concatenate(small)) if small else union[:0]
        # weigh only the pairs no small block vouches for
        exempt = np.zeros(len(union), dtype=bool)
        if len(small_codes):
            exempt[np.searchsorted(union, small_codes)] = True
        strong = exempt
        weigh = np.flatnonzero(~exempt)
        evidence = PairEvidence(table)
        namesake = [table.codes(c) for c in NAMESAKE_COLUMNS if c in table.columns]
        for start in range(0, len(weigh), PAIR_CHUNK):    # bounded temporaries
            chunk = weigh[start:start + PAIR_CHUNK]
            a, b = union[chunk] // n, union[chunk] % n
            keep = evidence.of(a, b) >= needed
            if len(namesake) == len(NAMESAKE_COLUMNS):
                same = np.ones(len(chunk), dtype=bool)
                for codes in namesake:
                    same &= (codes[a] >= 0) & (codes[a] == codes[b])
                keep |= same
            strong[chunk] = keep
        del small, small_codes, weigh
        for r, codes in enumerate(produced):
            keep = strong[np.searchsorted(union, codes)]
            reports[r].weak_pairs = int(len(codes) - keep.sum())
            produced[r] = codes[keep]
        del union, strong
    for rule, rr, codes in zip(rules, reports, produced):
        rr.pairs = len(codes)
        if rule_codes is not None:
            rule_codes.append(codes)
        fresh = codes[~np.isin(codes, seen, assume_unique=True)] if len(seen) else codes
        rr.new_pairs = len(fresh)
        # Both sorted and disjoint: a stable sort merges the two runs.
        seen = np.sort(np.concatenate((seen, fresh)), kind="stable")
        report.rules.append(rr)
    skipped = [part for rr in report.rules for part in rr.skipped]
    if skipped:
        # Records too common to compare all against all may still be typed twice:
        # identical ones are joined by a star of pairs (each to the first).
        rr = RuleReport(DUPLICATES_RULE)
        members = np.unique(np.concatenate(skipped))
        report.oversized_records = len(members)
        codes = duplicate_pairs(table, members, link=link)
        rr.pairs = len(codes)
        fresh = codes[~np.isin(codes, seen, assume_unique=True)] if len(seen) else codes
        rr.new_pairs = len(fresh)
        seen = np.sort(np.concatenate((seen, fresh)), kind="stable")
        report.rules.append(rr)
    report.total = len(seen)
    return seen // max(n, 1), seen % max(n, 1), report


def rules_for(table: RecordTable, rules: Sequence[BlockingRule]) -> list[BlockingRule]:
    """The rules whose columns the table actually fills."""
    return [r for r in rules if all(table.has_values(c) for c in r.columns)]
