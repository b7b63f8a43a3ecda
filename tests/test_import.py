"""`tracer accounts import` and `tracer records import`: rejects row by row, nothing lost."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS

#: Run on SQLite and on PostgreSQL (tests/conftest.py, pg_server.py).
BOTH_STORES = True

GOOD = dict(account_id="G-1", first_name="Ada", last_name="Quill", dob="1970-01-02",
            ssn="987-65-4321", street="1 Main St", city="Springfield", state="IL",
            zip="62704", phone="(217) 555-0111")

BAD_ACCOUNTS = [
    # (changes to a good row, expected reason)
    (dict(account_id=""), "missing required field account_id"),
    (dict(last_name=""), "missing required field last_name"),
    (dict(dob="13/45/1970"), "unparseable date in dob"),
    (dict(dob="02/30/1990"), "unparseable date in dob"),
    (dict(state="ZZ"), "bad state"),
    (dict(zip="6270"), None),  # four digits: a leading zero lost by a spreadsheet: kept
    (dict(zip="ABCDE"), "bad zip"),
    (dict(ssn="12345"), "bad ssn"),
    (dict(ssn="987-65-432X"), "bad ssn"),
    (dict(flags="bankruptcy;alien_abduction"), "unknown flag 'alien_abduction'"),
    (dict(status="frozen"), "unknown status"),
    (dict(debt_origin="gift"), "unknown debt_origin"),
    (dict(balance="lots"), "unparseable balance"),
    (dict(last_activity="yesterday"), "unparseable date in last_activity"),
    (dict(dob="2099-01-01"), "date of birth is in the future"),
]


@pytest.mark.parametrize("changes, reason", BAD_ACCOUNTS)
def test_each_bad_account_row_is_rejected_with_its_reason(ws, changes, reason):
    rows = [GOOD, {**GOOD, "account_id": "G-2", **changes},
            {**GOOD, "account_id": "G-3", "ssn": "XXX-XX-4321"}]
    path = ws.write_csv("portfolio.csv", rows, ACCOUNT_COLUMNS)
    run = ws("accounts", "import", path, "--user", "alice", "--json")
    assert run.exit_code == 0, run.output
    counts = json.loads(run.stdout)
    rejects = path.with_name("portfolio.rejects.csv")
    if reason is None:
        assert counts["rejected"] == 0 and not rejects.exists()
        return
    assert counts == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 1,
                      "rejects": str(rejects)}
    with rejects.open() as fh:
        report = list(csv.DictReader(fh))
    assert len(report) == 1
    assert report[0]["line"] == "3"
    assert reason in report[0]["reason"]
    assert "987-65-4321" not in rejects.read_text()
    ids = {r[0] for r in ws.sql("SELECT account_id FROM accounts")}
    assert ids == {"G-1", "G-3"}


def test_duplicate_account_id_in_file_is_rejected(ws):
    path = ws.write_csv("p.csv", [GOOD, {**GOOD, "first_name": "Other"}], ACCOUNT_COLUMNS)
    run = ws("accounts", "import", path, "--user", "alice")
    assert "imported 1, updated 0, unchanged 0, rejected 1" in run.stdout
    report = list(csv.DictReader(path.with_name("p.rejects.csv").open()))
    assert report[0]["line"] == "3"
    assert "duplicate account_id (first at line 2)" in report[0]["reason"]


def test_import_is_an_idempotent_upsert(ws):
    path = ws.write_csv("p.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    assert "imported 3, updated 0, unchanged 0" in ws("accounts", "import", path, "--user", "alice").stdout
    assert "imported 0, updated 0, unchanged 3" in ws("accounts", "import", path, "--user", "alice").stdout
    moved = [{**ACCOUNTS[0], "street": "77 Pine Ave", "city": "Peoria", "zip": "61602"},
             *ACCOUNTS[1:]]
    path = ws.write_csv("p2.csv", moved, ACCOUNT_COLUMNS)
    assert "imported 0, updated 1, unchanged 2" in ws("accounts", "import", path, "--user", "alice").stdout
    history = ws.sql("SELECT street, city FROM account_history WHERE account_id='ACC-1'")
    assert history == [("12 Oak Street", "Springfield")]


def test_ssn_is_stored_as_last4_and_keyed_hash_only(ws):
    path = ws.write_csv("p.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    ws("accounts", "import", path, "--user", "alice")
    last4, digest = ws.sql("SELECT ssn_last4, ssn_hash FROM accounts WHERE account_id='ACC-1'")[0]
    assert last4 == "5678"
    assert len(digest) == 64 and "912345678" not in digest
    columns = [r[1] for r in ws.sql("PRAGMA table_info(accounts)")]
    assert "ssn" not in columns


def test_column_map_and_messy_headers(ws):
    path = ws.root / "export.csv"
    path.write_text("Acct No;First Name;LAST NAME;Birth Date;ZIP\n"
                    "X-1;Ann;Lee;3/5/61;62704\n", encoding="cp1252")
    run = ws("accounts", "import", path, "--user", "alice", "--map", "Acct No=account_id",
             "--map", "birth date=dob")
    assert "imported 1" in run.stdout, run.output
    ((first, dob, zip5),) = ws.sql("SELECT first_name, dob, zip FROM accounts")
    assert (first, ws.open_dob(dob), zip5) == ("Ann", "1961-03-05", "62704")


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("", "is empty"),
    ("a,b\n1,2\n", "no account_id column"),
    ("\x00\x01\x02", "not a text CSV"),
])
def test_unreadable_files_exit_non_zero(ws, content, message):
    path = ws.root / "broken.csv"
    if content is not None:
        path.write_text(content)
    run = ws("accounts", "import", path, "--user", "alice")
    assert run.exit_code != 0
    assert message in run.stderr
    assert "Traceback" not in run.output


def test_import_requires_a_user(ws):
    path = ws.write_csv("p.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    run = ws("accounts", "import", path)
    assert run.exit_code == 2
    assert "--user" in run.stderr


BAD_RECORDS = [
    (dict(record_id=""), "missing required field record_id"),
    (dict(first_name="", last_name="", full_name=""), "missing name"),
    (dict(dob="1961-13-01"), "unparseable date in dob"),
    (dict(ssn_last4="12"), "bad ssn_last4"),
    (dict(last_seen="soon"), "unparseable date in last_seen"),
    (dict(first_seen="2024-05-01", last_seen="2019-03-02"), "first_seen 2024-05-01 is after"),
    (dict(first_seen="2022", last_seen="2021-12"), "first_seen 2022 is after last_seen 2021-12"),
    (dict(state="Narnia"), "bad state"),
]


@pytest.mark.parametrize("first_seen, last_seen", [
    ("2021", "2021-03-01"), ("2021-03-01", "2021"), ("2020-01-01", "2020-01-01"), ("", "2020"),
])
def test_first_and_last_seen_in_order_or_of_coarser_precision_are_kept(ws, first_seen, last_seen):
    rows = [{**RECORDS[1], "first_seen": first_seen, "last_seen": last_seen}]
    path = ws.write_csv("extract.csv", rows, RECORD_COLUMNS)
    run = ws("records", "import", path, "--source", "utility", "--user", "alice", "--json")
    assert json.loads(run.stdout)["rejected"] == 0


@pytest.mark.parametrize("changes, reason", BAD_RECORDS)
def test_each_bad_record_row_is_rejected(ws, changes, reason):
    rows = [RECORDS[1], {**RECORDS[1], "record_id": "X-2", **changes}]
    path = ws.write_csv("extract.csv", rows, RECORD_COLUMNS)
    run = ws("records", "import", path, "--source", "utility", "--user", "alice", "--json")
    assert json.loads(run.stdout)["rejected"] == 1
    report = list(csv.DictReader(path.with_name("extract.rejects.csv").open()))
    assert report[0]["line"] == "3" and reason in report[0]["reason"]


def test_records_keep_provenance_and_reimport_adds_nothing(ws):
    path = ws.write_csv("extract.csv", RECORDS, RECORD_COLUMNS)
    first = json.loads(ws("records", "import", path, "--source", "county", "--user", "alice",
                          "--json").stdout)
    again = json.loads(ws("records", "import", path, "--source", "county", "--user", "alice",
                          "--json").stdout)
    assert first["imported"] == len(RECORDS) and again["imported"] == 0
    assert again["unchanged"] == len(RECORDS)
    rows = ws.sql("SELECT source, record_id, imported_at, raw_hash, first_name, last_name,"
                  " suffix FROM records WHERE record_id = 'CA-1'")
    source, record_id, imported_at, raw_hash, first, last, suffix = rows[0]
    assert (source, record_id) == ("county", "CA-1")
    assert imported_at and len(raw_hash) == 64
    assert (first, last) == ("WILLIAM", "OKAFOR")  # split from "OKAFOR, WILLIAM J"


def test_stray_delimiters_and_line_breaks_in_cells(ws):
    path = ws.root / "excel.csv"
    path.write_text('account_id,first_name,last_name,street,city,state,zip\r\n'
                    'E-1,Ann,Lee,"12 Oak St\r\nApt 4",Springfield,IL,62704\r\n'
                    'E-2,Bo,Kim,1 Elm St,Chicago,IL,60601,oops\r\n'
                    'E-3,Cy,Doe,2 Elm St,Chicago,IL,60601,,\r\n', encoding="utf-8")
    run = ws("accounts", "import", path, "--user", "alice", "--json")
    assert json.loads(run.stdout)["rejected"] == 1
    report = list(csv.DictReader(path.with_name("excel.rejects.csv").open()))
    assert report[0]["line"] == "4" and "more fields than the header" in report[0]["reason"]
    assert ws.sql("SELECT street FROM accounts WHERE account_id='E-1'") == [("12 Oak St Apt 4",)]
    assert ws.sql("SELECT count(*) FROM accounts WHERE account_id='E-3'") == [(1,)]  # empty extras are fine


def test_an_unmatched_quote_is_rejected_not_read_as_one_long_cell(ws):
    # the quote after "Oak" never closes: the csv module reads the rest of the file into
    # that one cell, so E-2 and E-3 would vanish inside E-1's street
    path = ws.root / "quote.csv"
    path.write_text('account_id,first_name,last_name,street,city,state,zip\n'
                    'E-1,Ann,Lee,"12 Oak St,Springfield,IL,62704\n'
                    'E-2,Bo,Kim,1 Elm St,Chicago,IL,60601\n'
                    'E-3,Cy,Doe,2 Elm St,Chicago,IL,60601\n', encoding="utf-8")
    run = ws("accounts", "import", path, "--user", "alice", "--json")
    assert json.loads(run.stdout)["rejected"] == 1
    report = list(csv.DictReader(path.with_name("quote.rejects.csv").open()))
    assert report[0]["line"] == "2" and "unmatched quote" in report[0]["reason"]
    assert "E-2" in report[0]["street"]            # the swallowed rows are in the report
