"""The bulk table equals normalizing each record on its own, and carries its codes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tracer.matching import columns as table_module
from tracer.matching.table import FEATURE_COLUMNS, RecordTable, _row_values
from tracer_dev.synthetic import iter_people_records

MESSY = [
    {"record_id": "m1", "full_name": "SMITH, JOHN A JR", "dob": "3/4/61", "zip": "62704-1234",
     "street": "12 n. main street apt 4", "phone": "(217) 555-0123 x9", "email": " A@B.COM "},
    {"record_id": "m2", "first_name": "  ", "last_name": "O'Brien", "dob": "1961",
     "street": "PO BOX 12", "city": "Springfield", "state": "Ill", "zip": "6270"},
    {"record_id": "m3", "first_name": "Zoë", "last_name": "??", "dob": "31/31/1999",
     "ssn_last4": "12a4", "phone": "not a phone", "email": "nobody"},
    {"record_id": "m4"},
]


@pytest.mark.parametrize("parallel", [False, True])
def test_columns_equal_one_record_at_a_time(parallel, monkeypatch):
    rows = [dict(r) for r, _ in iter_people_records(600, seed=4)] + MESSY
    if parallel:
        monkeypatch.setattr(table_module, "PARALLEL_MIN_ROWS", 40)
        monkeypatch.setattr(table_module, "_CHUNK", 50)
    table = RecordTable.from_rows(rows, workers=2 if parallel else 1)
    for k, row in enumerate(rows):
        expected = _row_values(row)
        got = tuple(table.column(c)[k] for c in FEATURE_COLUMNS) + (int(table.column("dob_year")[k]),)
        assert got == expected, row


def test_codes_follow_the_values_through_take():
    rows = [dict(r) for r, _ in iter_people_records(300, seed=6)]
    table = RecordTable.from_rows(rows, workers=1)
    order = np.random.default_rng(1).permutation(len(rows))
    taken = table.take(order)
    for name in ("first", "last_key", "addr_key", "zip3", "first_initial", "phone", "dob"):
        codes, values = taken.coded(name)
        column = taken.column(name)
        assert [values[c] if c >= 0 else None for c in codes.tolist()] == column.tolist()
        assert (codes >= 0).sum() == sum(v is not None for v in column)


_NAME_WORDS = ["John", "JOHN", "mary ann", "Smith", "de la Cruz", "O'Brien", "Jr", "JR.", "v",
               "III", "MD", "Dr", "Zoë", "王", "4821", "??", ",", "  ", "", "Smith, John A",
               "SMITH JR", "Bill", "A.", "Ann-Marie", "Mr John", "& Jane"]
_STREETS = ["12 Oak St", "00521 Marcia Hill", "89014 Gates Island Apt 309", "458 Amy Island # 564",
            "12 n. main street apt 4", "PO BOX 12", "7630 4th Awy", "Main & 5th",
            "52691 Tammy Bprings Ste 402", "1 Broadway Chicago IL 60601", "", "   ", "#"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "first_name": st.sampled_from(_NAME_WORDS), "middle_name": st.sampled_from(_NAME_WORDS),
    "last_name": st.sampled_from(_NAME_WORDS), "suffix": st.sampled_from(["", "Jr", "SR", "x"]),
    "full_name": st.sampled_from(["", "", "SMITH, JOHN A JR", "John & Jane Doe"]),
    "street": st.sampled_from(_STREETS), "unit": st.sampled_from(["", "", "Apt 4", "#"]),
    "city": st.sampled_from(["", "Springfield", "Ch1cago", "East Carl"]),
    "state": st.sampled_from(["", "IL", "Ill", "Illinois", "ZZ"]),
    "zip": st.sampled_from(["", "62704", "6270", "62704-1234", "abc"])}), min_size=1, max_size=12))
def test_names_and_addresses_read_by_parts_equal_the_whole_normalizer(rows):
    """Names and addresses are read part by part (each first name, surname, street once)
    and put together; whatever the parts, the result and its problems are the whole
    normalizer's."""
    columns, coded = table_module.feature_columns(rows, workers=1)
    for k, row in enumerate(rows):
        name = table_module._name_values(table_module._NAME_PARTS.key(row))
        address = table_module._address_values(table_module._ADDRESS_PARTS.key(row))
        got_name = tuple(columns[c][k] for c in ("first", "first_root", "first_key",
                                                 "middle_initial", "middle", "last",
                                                 "last_key", "suffix"))
        assert got_name == name[:-1], row
        assert _problem(coded, "name", k) == name[-1], row
        assert (columns["street"][k], columns["addr_key"][k], columns["zip5"][k]) \
            == address[:-1], row
        assert _problem(coded, "address", k) == address[-1], row


def _problem(coded, field, k):
    codes, values = coded[f"problems.{field}"]
    return values[codes[k]] if codes[k] >= 0 else None
