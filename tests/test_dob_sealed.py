"""Full dates of birth are sealed at rest (tracer/sealed.py) and still match: the DOB is
evidence in memory, never a readable column."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from conftest import RECORD_COLUMNS, RECORDS
from tracer.sealed import DobSeal, is_sealed
from test_privacy import REASON, dob_forms


@given(st.dates().map(lambda d: d.isoformat()))
@settings(max_examples=200, deadline=None)
def test_a_sealed_date_opens_to_itself_keeps_its_year_and_is_deterministic(iso):
    seal = DobSeal(b"k" * 32)
    token = seal.seal(iso)
    assert is_sealed(token) and token[:4] == iso[:4] and iso not in token
    assert seal.seal(iso) == token                  # equal dates compare equal stored
    assert seal.open(token) == iso
    assert seal.seal(token) == token                # sealing twice changes nothing
    assert DobSeal(b"x" * 32).open(token) is None   # another workspace's key opens nothing


@pytest.mark.parametrize("value", [None, "", "1961"])
def test_what_is_not_a_full_date_is_stored_as_it_is(value):
    assert DobSeal(b"k" * 32).seal(value) == value


def test_stored_dobs_are_sealed_and_a_trace_still_matches_on_them(loaded):
    for table in ("accounts", "records"):
        for (dob,) in loaded.sql(f"SELECT dob FROM {table} WHERE dob IS NOT NULL"):
            assert dob.isdigit() and len(dob) == 4 or is_sealed(dob), (table, dob)
    assert loaded.sql("SELECT dob FROM records WHERE record_id = 'CA-1'") == [("1961",)]
    run = loaded("--verbose", "trace", "ACC-1", "--purpose", "collect-debt", "--reason",
                 REASON, "--user", "alice", "--as-of", "2026-11-01")
    assert run.exit_code == 0, run.output
    assert "dob exact" in run.stdout                # the opened date is evidence again
    shown = loaded("accounts", "show", "ACC-1", "--user", "alice")
    assert "1961" in shown.stdout and "1961-03-05" not in shown.stdout


def test_a_re_delivered_record_is_unchanged_when_only_sealing_differs(loaded):
    records = loaded.write_csv("extract.csv", RECORDS, RECORD_COLUMNS)
    again = loaded("records", "import", records, "--source", "county_records",
                   "--user", "alice")
    assert "imported 0, updated 0" in again.stdout, again.stdout


def test_an_older_workspace_is_sealed_when_opened(tmp_path):
    """A schema-8 file with plain dates of birth: opening it seals them, zeroes the freed
    bytes, and leaves no plain date in the file, its WAL or the packed features."""
    from conftest import workspace_at_schema
    from tracer.matching.features import features_of, pack_features
    from tracer.workspace import open_workspace

    db = tmp_path / "old.db"
    conn = workspace_at_schema(db, 8)
    conn.execute("INSERT INTO accounts (account_id, first_name, last_name, dob, status,"
                 " row_hash, imported_at, updated_at) VALUES ('OLD-1', 'Ada', 'Byrne',"
                 " '1972-10-31', 'open', 'x', '2026-01-01', '2026-01-01')")
    packed = pack_features(features_of({"first_name": "Ada", "last_name": "Byrne",
                                        "dob": "1972-10-31"}, key="-", source="-"))
    assert "1972-10-31" in packed
    conn.execute("INSERT INTO records (source, record_id, first_name, last_name, dob,"
                 " raw_hash, imported_at, features) VALUES ('s', 'R-1', 'Ada', 'Byrne',"
                 " '1972-10-31', 'h', '2026-01-01', ?)", (packed,))
    conn.close()

    ws = open_workspace(db)
    assert ws.dob_seal.open(ws.conn.execute("SELECT dob FROM accounts").fetchone()[0]) \
        == "1972-10-31"
    ws.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("old.db*") if p.suffix != ".key")
    for form in dob_forms("1972-10-31"):
        assert form.encode() not in stored, form
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA user_version").fetchone()[0] >= 9
    (features,) = check.execute("SELECT features FROM records").fetchone()
    assert features is not None and "1972-10" not in features
