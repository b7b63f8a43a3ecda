"""Blocking: oversized blocks are split by the rule's extra keys, pairs come in chunks,
the people rules reach misspelt names."""

from __future__ import annotations

import numpy as np
import pytest

from tracer.matching.blocking import (DUPLICATES_RULE, PEOPLE_RULES, RuleReport, block_on,
                                      candidate_pairs, rule_pairs, rules_for)
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


@pytest.mark.parametrize("second, blocked", [
    # a move within the ZIP, the first name misspelt: same surname and first initial
    (dict(first_name="Jonahtan", last_name="Brennan", zip="62704"), True),
    # ... the surname misspelt: same first name and middle initial
    (dict(first_name="Jonathan", middle_name="L", last_name="Vrennan", zip="62704"), True),
    # ... without a middle initial to go on, nothing ties the two
    (dict(first_name="Jonathan", last_name="Vrennan", zip="62704"), False),
    # a misspelt first name in another part of the country
    (dict(first_name="Jonahtan", last_name="Brennan", zip="90210"), False),
])
def test_a_move_within_a_zip_with_a_misspelt_name_is_blocked(second, blocked):
    first = dict(record_id="a", first_name="Jonathan", middle_name="L", last_name="Brennan",
                 street="12 Oak St", city="Springfield", state="IL", zip="62704")
    other = dict(record_id="b", street="98 Elm Ave", city="Springfield", state="IL", **second)
    table = RecordTable.from_rows([first, other], workers=1)
    assert table.column("last_key")[0] != table.column("last_key")[1] or \
        table.column("first_any")[0] != table.column("first_any")[1]
    left, _right, _report = candidate_pairs(table, rules_for(table, PEOPLE_RULES))
    assert (len(left) == 1) is blocked


_BRENNAN = dict(record_id="a", first_name="Jonathan", last_name="Brennan", street="12 Oak St",
                city="Springfield", state="IL", zip="62704", phone="217-555-0142")


@pytest.mark.parametrize("second, blocked", [
    # a misspelt surname (another phonetic key) with the same phone elsewhere
    (dict(first_name="Jonathan", last_name="Vrennan", street="5 Pine Rd", city="Peoria",
          zip="61602", phone="217-555-0142"), True),
    # ... at the same street line in another ZIP (a ZIP typo)
    (dict(first_name="Jonathan", last_name="Vrennan", street="12 Oak St", city="Springfield",
          zip="62074"), True),
    # ... with the street misspelt too, nothing is left to block on (a name in a ZIP)
    (dict(first_name="Jonathan", last_name="Vrennan", street="12 Oka St", city="Springfield",
          zip="62704"), False),
    # the same street line with another first name and surname: a later occupant's
    # record is compared by the address rule, not by these
    (dict(first_name="Maria", last_name="Vrennan", street="5 Pine Rd", city="Peoria",
          zip="61602"), False),
])
def test_a_misspelt_surname_is_blocked_by_the_first_name_and_a_contact(second, blocked):
    other = dict(record_id="b", state="IL", **second)
    table = RecordTable.from_rows([_BRENNAN, other], workers=1)
    assert table.column("last_key")[0] != table.column("last_key")[1]
    left, _right, _report = candidate_pairs(table, rules_for(table, PEOPLE_RULES))
    assert (len(left) == 1) is blocked


def _copies(k: int, **extra) -> list[dict]:
    return [dict(record_id=f"c{i}", first_name="John", last_name="Smith", dob="1980-01-02",
                 street="12 Oak St", city="Chicago", state="IL", zip="60601", **extra)
            for i in range(k)]


@pytest.mark.parametrize("link", [False, True])
def test_copies_in_an_oversized_block_are_joined_by_a_star_of_pairs(link):
    # 50 copies of one record and 10 other John Smiths born that day: every block of the
    # 60 is over max_block, so only the copies are paired, each with the first copy
    others = [dict(r, record_id=f"o{i}", street=f"{i} Elm St") for i, r in enumerate(_copies(10))]
    rows = _copies(50) + others
    files = [i % 2 for i in range(len(rows))] if link else None
    table = RecordTable.from_rows(rows, file=files, workers=1)
    left, right, report = candidate_pairs(table, rules_for(table, PEOPLE_RULES), max_block=40,
                                          link=link)
    assert report.oversized_records == 60
    assert report.rules[-1].label == DUPLICATES_RULE and report.total == len(left)
    ids = table.ids
    assert all(ids[a].startswith("c") and ids[b].startswith("c") for a, b in zip(left, right))
    if link:
        assert all(table.file[a] != table.file[b] for a, b in zip(left, right))
        assert len(left) == 49          # 25 + 25 copies: each joins the other file's first
    else:
        assert len(left) == 49 and len(set(left.tolist())) == 1


def test_records_that_differ_in_one_field_are_no_copies():
    rows = _copies(30) + _copies(30, phone="312-555-0100")
    for i, row in enumerate(rows):
        row["record_id"] = str(i)
    table = RecordTable.from_rows(rows, workers=1)
    left, right, _report = candidate_pairs(table, rules_for(table, PEOPLE_RULES), max_block=20)
    phone = table.codes("phone")
    assert len(left) == 58 and all(phone[a] == phone[b] for a, b in zip(left, right))


JAYS = ("James", "Jared", "Julian", "Jerome", "Jasper", "Jonas")


def _crowd() -> tuple[RecordTable, dict]:
    """20,000 JAMESes in ZIP area 627 (enough records for the term-frequency cap): 298
    J. SMITHs born 1970 of six first names, two JAMES SMITH copies of one man (full DOB and
    address), two
    JAMES SMITHs born 1971 in two ZIPs, the rest other surnames, DOBs, streets."""
    rng = np.random.default_rng(7)
    rows, named = [], {}

    def add(name, **row):
        named[name] = len(rows)
        rows.append(dict({"record_id": name, "first_name": "James"}, **row))

    for i in range(298):
        add(f"s{i}", last_name="Smith", dob="1970", zip=f"627{i % 100:02d}",
            first_name=JAYS[i % len(JAYS)])
    for copy in ("copy1", "copy2"):
        add(copy, last_name="Smith", dob="1970-03-14", street="41 Birch Ln", zip="62704")
    for i in range(2):
        add(f"pair{i}", last_name="Smith", dob="1971", zip=f"627{10 + i}")
    letters = np.array(list("BCDFGHJKLMNPRSTVWZ"))
    while len(rows) < 20_000:
        surname = "".join(rng.choice(letters, 3)) + "ex" + "".join(rng.choice(letters, 3))
        add(f"f{len(rows)}", last_name=surname, zip=f"627{rng.integers(0, 100):02d}",
            dob=f"{rng.integers(1940, 2000)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}",
            street=f"{len(rows)} Oak St")
    return RecordTable.from_rows(rows, workers=1), named


def test_the_term_frequency_cap_drops_strangers_of_a_common_name_and_keeps_evidence():
    """A JAMES and a JARED SMITH born the same year are what strangers look like in a
    file of 20,000: their block's pairs are weighed and dropped, while the two copies
    that share a full DOB and an address stay, and so does a pair alone in its block
    (such pairs grow with the records, not their square) and a pair of namesakes in one
    ZIP area (the Jr/Sr rules weigh them)."""
    from tracer.matching.blocking import SMALL_BLOCK

    table, named = _crowd()
    rules = rules_for(table, PEOPLE_RULES)
    left, right, report = candidate_pairs(table, rules, evidence_margin=2.0)
    got = set(zip(left.tolist(), right.tolist()))
    pair = lambda a, b: tuple(sorted((named[a], named[b])))       # noqa: E731
    assert pair("copy1", "copy2") in got
    assert SMALL_BLOCK >= 2
    assert pair("pair0", "pair1") in got
    big = next(r for r in report.rules if r.label == "surname phonetic + birth year")
    assert big.weak_pairs > 30_000                       # of 300 * 299 / 2 = 44,850
    strangers = [pair(f"s{i}", f"s{j}") in got for i in range(60) for j in range(i + 1, 60)
                 if i % len(JAYS) != j % len(JAYS)]
    assert sum(strangers) < len(strangers) / 20
    assert all(pair(f"s{i}", f"s{j}") in got for i in range(60) for j in range(i + 1, 60)
               if i % len(JAYS) == j % len(JAYS))
    uncapped = candidate_pairs(table, rules, evidence_margin=None)[2]
    assert report.total < uncapped.total - 30_000
