"""Blocking: oversized blocks are split by the rule's extra keys, pairs come in chunks."""

from __future__ import annotations

import numpy as np

from tracer.matching.blocking import RuleReport, block_on, candidate_pairs, rule_pairs
from tracer.matching.table import RecordTable

FIRSTS = ["ANNA", "BRUCE", "CARL", "DIANA", "EDGAR"]


def _table(n: int) -> RecordTable:
    rows = [dict(record_id=str(i), first_name=FIRSTS[i % len(FIRSTS)], last_name="Smith",
                 dob="1970", zip=f"{100 + i % 3}01") for i in range(n)]
    return RecordTable.from_rows(rows, workers=1)


def _pairs(codes: np.ndarray, n: int) -> set:
    return set(zip((codes // n).tolist(), (codes % n).tolist()))


def test_an_oversized_block_is_split_by_first_initial_then_zip3():
    table = _table(150)
    rule = block_on("last_key", "dob_year")
    report = RuleReport(rule.label)
    codes = rule_pairs(table, rule, max_block=400, split_block=20, report=report)
    first, zip3 = table.column("first_initial"), table.column("zip3")
    got = _pairs(codes, len(table))
    assert got and report.split_blocks == 1 and report.skipped_blocks == 0
    # every pair shares the first initial, and (30 per initial > 20) the ZIP3 too
    assert all(first[a] == first[b] and zip3[a] == zip3[b] for a, b in got)
    assert len(got) == 15 * (10 * 9 // 2)
    # unsplit, the one block of 150 is compared all against all
    assert len(rule_pairs(table, rule, max_block=400, split_block=0)) == 150 * 149 // 2


def test_chunked_pairs_equal_one_chunk_and_the_union_is_deduplicated():
    table = _table(60)
    rule = block_on("last_key", "dob_year")
    whole = rule_pairs(table, rule, split_block=0, chunk=10**9)
    assert np.array_equal(rule_pairs(table, rule, split_block=0, chunk=7), whole)
    assert np.all(np.diff(whole) > 0)
    left, right, report = candidate_pairs(table, [rule, block_on("last_key", "first_initial")])
    assert np.all(left < right) and report.total == len(set(zip(left.tolist(),
                                                                right.tolist())))
