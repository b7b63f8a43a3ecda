"""Columns a file names differently: tracer says which it will not read and suggests the
--map that would, in `tracer resolve` and both importers; it never applies one itself."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tracer.cli import cli as tracer_cli
from tracer.csvio import suggest_column
from tracer.models import RECORD_FIELDS

from conftest import ACCOUNT_COLUMNS, ACCOUNTS


@pytest.mark.parametrize("header, known, expected", [
    ("phone_number", RECORD_FIELDS, "phone"),
    ("e_mail", RECORD_FIELDS, "email"),
    ("date_of_birth", RECORD_FIELDS, "dob"),
    ("surname", RECORD_FIELDS, "last_name"),
    ("postcode", RECORD_FIELDS, "zip"),
    ("id", RECORD_FIELDS, "record_id"),
    ("id", ("account_id", "first_name"), "account_id"),
    ("ssn", RECORD_FIELDS, "ssn_last4"),          # resolve keeps the last four
    ("ssn", ("ssn", "ssn_last4"), "ssn"),          # the portfolio takes the full number
    ("frist_name", RECORD_FIELDS, "first_name"),   # a near spelling
    ("lst_name", RECORD_FIELDS, "last_name"),
    ("balance_owed", RECORD_FIELDS, None),
    ("notes", RECORD_FIELDS, None),
])
def test_suggest_column(header, known, expected):
    assert suggest_column(header, known) == expected


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    return path


def test_resolve_names_the_columns_it_does_not_read(tmp_path):
    src = _write(tmp_path / "in.csv", ["ID", "Full Name", "Phone Number", "Notes"],
                 [["1", "John Smith", "217-555-0101", "x"], ["2", "Smith John", "", "y"]])
    run = CliRunner().invoke(tracer_cli, ["resolve", str(src), "--out", str(tmp_path / "o.csv")])
    assert run.exit_code == 0, run.output
    assert "columns not used: 'ID' (--map 'ID=record_id'?), 'Phone Number' " \
           "(--map 'Phone Number=phone'?), 'Notes'" in run.stderr
    assert "Full Name" not in run.stderr                      # full_name is read
    declared = CliRunner().invoke(tracer_cli, [
        "resolve", str(src), "--out", str(tmp_path / "o.csv"), "--map", "ID=record_id",
        "--map", "Phone Number=phone", "--compare", "notes=text"])
    assert declared.exit_code == 0 and "columns not used" not in declared.stderr


def test_a_headerless_file_is_never_echoed_in_the_note(tmp_path):
    src = _write(tmp_path / "in.csv", ["R1", "JOHN SMITH", "912345678", "1961-03-05"],
                 [["R2", "JOHN SMITH", "912345678", "1961-03-05"]])
    run = CliRunner().invoke(tracer_cli, ["resolve", str(src), "--out", str(tmp_path / "o.csv")])
    assert "912345678" not in run.output and "1961-03-05" not in run.output
    assert "<a date>" in run.stderr


def test_imports_report_unused_columns_and_suggest_a_missing_required_one(ws):
    rows = [{**ACCOUNTS[0], "Acct No": ACCOUNTS[0]["account_id"], "Telephone": "217-555-0109"}]
    columns = ["Acct No", "Telephone"] + [c for c in ACCOUNT_COLUMNS if c != "account_id"]
    path = ws.write_csv("portfolio.csv", rows, columns)
    missing = ws("accounts", "import", path, "--user", "sam")
    assert missing.exit_code == 2
    assert "no account_id column" in missing.stderr and "--map 'Acct No=account_id'?" in missing.stderr
    run = ws("accounts", "import", path, "--user", "sam", "--map", "Acct No=account_id", "--json")
    assert run.exit_code == 0
    assert json.loads(run.stdout)["imported"] == 1          # stdout stays one JSON object
    assert "columns not used: 'Telephone'" in run.stderr
    human = ws("accounts", "import", path, "--user", "sam", "--map", "Acct No=account_id")
    assert "columns not used: 'Telephone' (--map 'Telephone=phone'?)" not in human.stderr \
        and "'Telephone'" in human.stderr        # phone is already a column of the file


def test_a_reused_model_counts_its_extra_columns_as_read_and_names_missing_ones(tmp_path):
    header = ["record_id", "first_name", "last_name", "zip", "member_no"]
    rows = [[f"r{i}", "JOHN", f"SMITH{'ABCDEFGH'[i % 8]}", "62704", f"M{i % 8:04d}"]
            for i in range(40)]
    src = _write(tmp_path / "in.csv", header, rows)
    settings = tmp_path / "model.json"
    runner = CliRunner()
    trained = runner.invoke(tracer_cli, ["resolve", str(src), "--out", str(tmp_path / "o.csv"),
                                         "--compare", "member_no=identifier",
                                         "--settings", str(settings)])
    assert trained.exit_code == 0 and settings.exists()
    reused = runner.invoke(tracer_cli, ["resolve", str(src), "--out", str(tmp_path / "o.csv"),
                                        "--settings", str(settings)])
    assert reused.exit_code == 0 and "columns not used" not in reused.stderr
    other = _write(tmp_path / "other.csv", header[:4], [r[:4] for r in rows])
    missing = runner.invoke(tracer_cli, ["resolve", str(other), "--out", str(tmp_path / "o.csv"),
                                         "--settings", str(settings)])
    assert missing.exit_code == 0
    assert "compares 'member_no', which other.csv does not have" in missing.stderr
