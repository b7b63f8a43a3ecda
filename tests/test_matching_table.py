"""The bulk table equals normalizing each record on its own, and carries its codes."""

from __future__ import annotations

import numpy as np
import pytest

from tracer.matching import table as table_module
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
