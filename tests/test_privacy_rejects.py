"""FILE.rejects.csv masks SSNs and DOBs by what a column means, not its exact name, and
masks SSN-shaped text in every other cell (DESIGN.md invariant 4)."""

from __future__ import annotations

import csv

import pytest

# (header line, data line, cells expected in the report, text that must not appear)
CASES = [
    pytest.param("account_id,first_name,last_name,Date of Birth,SSN Number,zip,ssn",
                 "C2,Ann,Lee,1980-01-02,123456789,ABCDE,",
                 {"date_of_birth": "1980-XX-XX", "ssn_number": "XXX-XX-6789"},
                 ["123456789", "1980-01-02"], id="labelled-headers"),
    pytest.param("account_id,first_name,last_name,ssn,zip,ssn",
                 "C3,Ann,Lee,,ABCDE,987654321",
                 {"ssn__dup5": "XXX-XX-4321"}, ["987-65-4321", "987654321"],
                 id="duplicated-ssn-header"),
    pytest.param("account_id,first_name,last_name,ssn_last4,zip",
                 "C4,Ann,Lee,987654321,ABCDE",
                 {"ssn_last4": "XXX-XX-4321"}, ["987654321"], id="nine-digits-in-last4"),
    pytest.param("account_id,first_name,last_name,Social Security No,Birthdate,zip",
                 "C5,Ann,Lee,987 65 4321,01/02/1980,ABCDE",
                 {"social_security_no": "XXX-XX-4321", "birthdate": "1980-XX-XX"},
                 ["987 65 4321", "01/02/1980"], id="social-and-birthdate"),
    pytest.param("account_id,first_name,last_name,notes,zip",
                 "C6,Ann,Lee,called re 987654321,ABCDE",
                 {"notes": "called re XXX-XX-4321"}, ["987654321"], id="bare-run-in-a-note"),
    pytest.param("account_id,first_name,last_name,employer,zip",
                 "C7,Ann,Lee,acct 987.65.4321,ABCDE",
                 {"employer": "acct XXX-XX-4321"}, ["987.65.4321"], id="dotted-in-other-cell"),
    pytest.param("account_id,first_name,last_name,notes,zip",
                 'C8,Ann,Lee,"dob 01/02/1980, per debtor",ABCDE',
                 {"notes": "dob XX-XX-XXXX, per debtor"}, ["01/02/1980"],
                 id="labelled-dob-in-a-note"),
    pytest.param("account_id,first_name,last_name,status,zip",
                 "C9,Ann,Lee,987654321,62704",
                 {"reason": "unknown status 'XXX-XX-4321'"}, ["987654321"],
                 id="value-quoted-in-reason"),
    pytest.param("account_id,first_name,last_name,phone,street,last_activity,zip",
                 "C10,Ann,Lee,(217) 555-0101,12 Oak St,2024-06-01,ABCDE",
                 {"phone": "(217) 555-0101", "street": "12 Oak St",
                  "last_activity": "2024-06-01"}, [], id="ordinary-cells-kept"),
]


@pytest.mark.parametrize("header, line, expected, forbidden", CASES)
def test_rejects_report_masks_by_meaning(ws, header, line, expected, forbidden):
    path = ws.root / "a.csv"
    path.write_text(f"{header}\n{line}\n", encoding="utf-8")
    run = ws("accounts", "import", path, "--user", "alice")
    assert run.exit_code == 0, run.output
    report = ws.root / "a.rejects.csv"
    text = report.read_text(encoding="utf-8")
    for value in forbidden:
        assert value not in text
    [row] = list(csv.DictReader(text.splitlines()))
    assert {column: row[column] for column in expected} == expected


def test_a_file_without_a_header_row_is_named_without_its_ssn_or_dob(ws):
    path = ws.root / "nohdr.csv"
    path.write_text("A1,Ann,Lee,123-45-6789,1980-01-02,02134\n", encoding="utf-8")
    run = ws("accounts", "import", path, "--user", "sam")
    assert run.exit_code == 2 and "does the file have a header row" in run.output
    assert "6789" in run.output           # the last four are fine
    assert "123" not in run.output.replace(str(path), "") and "1980" not in run.output
