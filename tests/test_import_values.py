"""Import values that used to be stored wrong or lost without a word: balances, --map."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import Workspace


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Workspace:
    workspace = Workspace(tmp_path, monkeypatch)
    assert workspace("init").exit_code == 0
    assert workspace("users", "add", "sam", "--role", "supervisor").exit_code == 0
    return workspace


def import_balance(ws, balance: str, delimiter: str):
    path = ws.root / "portfolio.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(["account_id", "first_name", "last_name", "balance"])
        writer.writerow(["OK-1", "Ada", "Quill", "10.00"])
        writer.writerow(["B-1", "Ann", "Lee", balance])
    run = ws("accounts", "import", path, "--user", "sam", "--json")
    assert run.exit_code == 0, run.output
    rejects = path.with_name("portfolio.rejects.csv")
    report = list(csv.DictReader(rejects.open())) if rejects.exists() else []
    stored = dict(ws.sql("SELECT account_id, balance FROM accounts"))
    assert stored.pop("OK-1") == 10.0  # the good row is never lost
    return json.loads(run.stdout), stored, report


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("text, amount", [
    ("1234.50", 1234.5),
    ("1,234.50", 1234.5),
    ("$1,234.50", 1234.5),
    ("$ 1,234.50", 1234.5),
    (" 1234.5 ", 1234.5),
    ("1234", 1234.0),
    ("1,234", 1234.0),
    ("1,234,567.89", 1234567.89),
    ("0.00", 0.0),
    ("1520.0000", 1520.0),
    ("", None),
])
def test_plain_balances_are_stored(ws, delimiter, text, amount):
    counts, stored, report = import_balance(ws, text, delimiter)
    assert counts["rejected"] == 0 and report == []
    assert stored == {"B-1": amount}


@pytest.mark.parametrize("text, reason", [
    ("1234,50", "ambiguous balance"),        # a decimal comma, not 123450
    ("12,5", "ambiguous balance"),
    ("1.234,50", "ambiguous balance"),       # European grouping, not 1.2345
    ("1.234", "ambiguous balance"),          # 1234 with a point between groups, or 1.234?
    ("1,2,3", "malformed balance"),          # not 123
    ("12,3456.00", "malformed balance"),
    ("1.2.3", "malformed balance"),
    ("1 234.50", "unparseable balance"),
    ("inf", "unparseable balance"),
    ("-inf", "negative balance"),
    ("nan", "unparseable balance"),
    ("1e400", "unparseable balance"),
    ("1e3", "unparseable balance"),
    ("9" * 400, "too large"),
    ("-5.00", "negative balance"),
    ("-$5.00", "negative balance"),
    ("(5.00)", "negative balance"),
    ("5.00-", "negative balance"),
    ("lots", "unparseable balance"),
])
def test_wrong_or_ambiguous_balances_are_rejected_with_a_reason(ws, text, reason):
    counts, stored, report = import_balance(ws, text, ";")
    assert counts["imported"] == 1 and counts["rejected"] == 1
    assert stored == {}
    assert len(report) == 1 and report[0]["line"] == "3"
    assert reason in report[0]["reason"]


def write(ws, name: str, text: str):
    path = ws.root / name
    path.write_text(text, encoding="utf-8")
    return path


RECORDS = "record_id,first_name,fname,last_name\n1,,Ann,Lee\n"
ACCOUNTS = "account_id,first_name,fname,last_name\nA-1,,Ann,Lee\n"


@pytest.mark.parametrize("command", ["records", "accounts"])
@pytest.mark.parametrize("maps, message", [
    # Onto a column the file already has: one of the two would be lost.
    (["fname=first_name"], "mapping 'fname' to 'first_name' collides with the column "
                           "'first_name'"),
    (["fname=suffix", "last_name=suffix"], "mapping 'fname' and 'last_name' both to "
                                           "'suffix'"),
    (["first_name=middle_name", "fname=middle_name"], "both to 'middle_name'"),
    # A source column the file does not have.
    (["Social=first_name"], "--map social=first_name names no column of the file"),
    # A target that is no tracer column (a typo of ssn / ssn_last4).
    (["fname=snn"], "'snn' is not a"),
    (["fname=frist_name"], "use one of"),
    # Not one THEIRS=OURS.
    (["Social=ssn=x"], "--map takes one THEIR_COLUMN=OUR_COLUMN"),
    (["fname"], "--map takes one THEIR_COLUMN=OUR_COLUMN"),
    (["=first_name"], "--map takes THEIR_COLUMN=OUR_COLUMN"),
    (["fname=first_name", "fname=middle_name"], "maps column 'fname' twice"),
])
def test_a_map_that_would_lose_or_ignore_data_is_an_error(ws, command, maps, message):
    if command == "records":
        args = ["records", "import", write(ws, "r.csv", RECORDS), "--source", "s"]
    else:
        args = ["accounts", "import", write(ws, "a.csv", ACCOUNTS)]
    if command == "accounts" and "snn" in maps[0]:
        message = "'snn' is not a portfolio"
    run = ws(*args, *[arg for m in maps for arg in ("--map", m)], "--user", "sam")
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("Error:") and message in run.stderr, run.stderr
    assert ws.sql("SELECT count(*) FROM records") == [(0,)]
    assert ws.sql("SELECT count(*) FROM accounts") == [(0,)]


def test_unknown_target_lists_the_valid_columns(ws):
    path = write(ws, "a.csv", "account_id,first_name,last_name,Social\nA-1,Ann,Lee,1\n")
    run = ws("accounts", "import", path, "--map", "Social=snn", "--user", "sam")
    assert run.exit_code == 2
    assert "account_id" in run.stderr and "ssn" in run.stderr and "balance" in run.stderr


@pytest.mark.parametrize("command", ["records", "accounts"])
def test_a_good_map_keeps_every_value(ws, command):
    key = "record_id" if command == "records" else "account_id"
    path = write(ws, "f.csv", f"{key},fname,last_name,middle\n1,Ann,Lee,Q\n")
    args = ["records", "import", path, "--source", "s"] if command == "records" \
        else ["accounts", "import", path]
    run = ws(*args, "--map", "fname=first_name", "--map", "Middle=middle_name",
             "--map", "last_name=last_name", "--user", "sam")
    assert run.exit_code == 0, run.output
    table = "records" if command == "records" else "accounts"
    assert ws.sql(f"SELECT first_name, middle_name, last_name FROM {table}") in (
        [("Ann", "Q", "Lee")], [("ANN", "Q", "LEE")])


def test_two_sources_onto_one_column_are_fine_when_only_one_is_in_the_file(ws):
    # A saved vendor layout may name columns a given file lacks (acme_skip: "Ref No").
    path = write(ws, "acme.csv", "Ticket,Subject Name\nT-1,\"LEE, ANN\"\n")
    run = ws("records", "import", path, "--source", "acme_skip", "--map", "Ticket=record_id",
             "--user", "sam", "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["imported"] == 1


def test_a_swap_is_not_a_collision(ws):
    path = write(ws, "a.csv", "account_id,last_name,first_name\nA-1,Ann,Lee\n")
    run = ws("accounts", "import", path, "--map", "last_name=first_name",
             "--map", "first_name=last_name", "--user", "sam")
    assert run.exit_code == 0, run.output
    assert ws.sql("SELECT first_name, last_name FROM accounts") == [("Ann", "Lee")]
