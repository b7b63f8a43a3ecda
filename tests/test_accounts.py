"""Accounts as an audited object (issue #18): `tracer accounts show | list | flag | assign |
set`, and imports that change only what the file names and what the importer may."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS

#: Run on SQLite and on PostgreSQL (tests/conftest.py, pg_server.py).
BOTH_STORES = True

REASON = "mail returned undeliverable, need a current address"


@pytest.fixture
def portfolio(ws):
    """The conftest portfolio, imported by a supervisor; bob is a second collector."""
    assert ws("users", "add", "bob", "--role", "collector", "--user", "sam").exit_code == 0
    path = ws.write_csv("portfolio.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    assert ws("accounts", "import", path, "--user", "sam").exit_code == 0
    return ws


def account(ws, account_id):
    cur = ws.sql("SELECT * FROM accounts WHERE account_id = ?", (account_id,))
    cols = [r[1] for r in ws.sql("PRAGMA table_info(accounts)")]
    return dict(zip(cols, cur[0]))


def changes(ws, account_id, event="account_changed"):
    return [json.loads(r[0]) for r in ws.sql(
        "SELECT payload FROM audit WHERE event = ? AND account_id = ? ORDER BY seq",
        (event, account_id))]


def denials(ws, account_id=None):
    rows = ws.sql("SELECT actor, account_id, payload FROM audit WHERE event = 'access_denied'"
                  " ORDER BY seq")
    return [(a, acc, json.loads(p)) for a, acc, p in rows if account_id in (None, acc)]


def reimport(ws, rows, *args, columns=None, user="alice", name="again.csv"):
    path = ws.write_csv(name, rows, columns or list(rows[0]))
    run = ws("accounts", "import", path, "--user", user, "--json", *args)
    assert run.exit_code == 0, run.output
    rejects = path.with_name(path.stem + ".rejects.csv")
    report = list(csv.DictReader(rejects.open())) if rejects.exists() else []
    return json.loads(run.stdout), report


# -- the scenarios: each failed before ---------------------------------------------

def test_a_collector_cannot_clear_a_bankruptcy_by_reimporting(portfolio):
    row = {**ACCOUNTS[1], "flags": ""}                       # ACC-2 is bankrupt
    counts, report = reimport(portfolio, [row], columns=ACCOUNT_COLUMNS)
    assert counts["updated"] == 0 and counts["rejected"] == 1
    assert "refused: would remove flag bankruptcy" in report[0]["reason"]
    assert "(flag_protected)" in report[0]["reason"]
    assert account(portfolio, "ACC-2")["flags"] == "bankruptcy"
    [(actor, _acc, denial)] = denials(portfolio, "ACC-2")
    assert actor == "alice" and denial["reasons"][0]["code"] == "flag_protected"
    assert denial["via"]["import"] == "again.csv"
    run = portfolio("trace", "ACC-2", "--purpose", "collect-debt", "--reason", REASON,
                    "--user", "alice")
    assert run.exit_code == 3 and "bankruptcy" in run.stdout


def test_a_supervisor_removes_a_flag_by_import_only_with_a_reason(portfolio):
    row = {**ACCOUNTS[1], "flags": ""}
    _counts, report = reimport(portfolio, [row], columns=ACCOUNT_COLUMNS, user="sam")
    assert "(reason_required)" in report[0]["reason"]
    counts, report = reimport(portfolio, [row], "--reason", "bankruptcy dismissed 2026-10-01",
                              columns=ACCOUNT_COLUMNS, user="sam")
    assert counts["updated"] == 1 and not report
    assert account(portfolio, "ACC-2")["flags"] == ""
    [change] = changes(portfolio, "ACC-2")
    assert change["changes"] == [{"field": "flags", "before": "bankruptcy", "after": None}]
    assert change["reason"] == "bankruptcy dismissed 2026-10-01"
    assert change["via"]["import"] == "again.csv" and len(change["via"]["file_sha256"]) == 64


@pytest.mark.parametrize("changed, code", [
    ({"assigned_to": "alice"}, "role_not_permitted"),   # ACC-1 is alice's: still refused
    ({"assigned_to": ""}, "role_not_permitted"),
])
def test_a_collector_cannot_reassign_by_import(portfolio, changed, code):
    counts, report = reimport(portfolio, [{**ACCOUNTS[0], "assigned_to": "bob"}],
                              "--reason", "alice is on leave", columns=ACCOUNT_COLUMNS,
                              user="sam", name="setup.csv")
    assert counts["updated"] == 1, report                 # a supervisor may
    counts, report = reimport(portfolio, [{**ACCOUNTS[0], **changed}], columns=ACCOUNT_COLUMNS)
    assert counts["rejected"] == 1 and "would change assigned_to" in report[0]["reason"]
    assert f"({code})" in report[0]["reason"]
    assert account(portfolio, "ACC-1")["assigned_to"] == "bob"


def test_an_import_reopens_a_closed_account_only_for_a_supervisor(portfolio):
    reimport(portfolio, [{"account_id": "ACC-3", "first_name": "Luis", "last_name": "Ferreira",
                          "status": "closed"}], user="alice", name="close.csv")
    assert account(portfolio, "ACC-3")["status"] == "closed"    # closing is open to her
    row = {"account_id": "ACC-3", "first_name": "Luis", "last_name": "Ferreira",
           "status": "open"}
    _counts, report = reimport(portfolio, [row])
    assert "would reopen the account" in report[0]["reason"]
    counts, _ = reimport(portfolio, [row], "--reason", "recalled in error by the creditor",
                         user="sam")
    assert counts["updated"] == 1 and account(portfolio, "ACC-3")["status"] == "open"


def test_a_partial_file_changes_only_the_columns_it_has(portfolio):
    before = account(portfolio, "ACC-1")
    row = {"account_id": "ACC-1", "first_name": "William", "last_name": "Okafor",
           "flags": "military"}
    counts, report = reimport(portfolio, [row])
    assert counts["updated"] == 1 and not report
    after = account(portfolio, "ACC-1")
    for field in ("street", "city", "state", "zip", "phone", "email", "dob", "ssn_last4",
                  "ssn_hash", "balance", "assigned_to", "status", "debt_origin",
                  "last_activity", "middle_name"):
        assert after[field] == before[field], field
    assert after["flags"] == "military"
    [change] = changes(portfolio, "ACC-1")
    assert change["changes"] == [{"field": "flags", "before": None, "after": "military"}]


def test_every_changed_field_of_a_row_is_audited_with_personal_values_masked(portfolio):
    row = {**ACCOUNTS[0], "street": "77 Pine Ave", "city": "Peoria", "zip": "61602",
           "dob": "1961-03-06", "ssn": "912-34-1111"}
    counts, _ = reimport(portfolio, [row], columns=ACCOUNT_COLUMNS)
    assert counts["updated"] == 1
    [change] = changes(portfolio, "ACC-1")
    by_field = {c["field"]: (c["before"], c["after"]) for c in change["changes"]}
    assert by_field["street"] == ("12 Oak Street", "77 Pine Ave")
    assert by_field["dob"] == ("1961-XX-XX", "1961-XX-XX")       # the year, never the day
    assert by_field["ssn_last4"] == ("5678", "1111")
    assert by_field["ssn_hash"] == ("(keyed hash)", "(keyed hash)")
    text = json.dumps(change)
    assert "1961-03" not in text and "912-34" not in text and "912341111" not in text
    created = changes(portfolio, "ACC-1", "account_created")[0]
    assert {c["field"] for c in created["changes"]} >= {"first_name", "street", "dob"}
    assert all(c["before"] is None for c in created["changes"])


def test_a_malformed_account_id_is_rejected_at_import(ws):
    rows = [{"account_id": "secret line: hunter2", "first_name": "A", "last_name": "B"},
            {"account_id": "OK-1", "first_name": "A", "last_name": "B"}]
    counts, report = reimport(ws, rows)
    assert counts["imported"] == 1 and "malformed account_id" in report[0]["reason"]


# -- the commands ---------------------------------------------------------------------------

def test_show_masks_dob_and_ssn_and_lists_changes(portfolio):
    run = portfolio("accounts", "show", "ACC-1", "--user", "alice", "--json")
    assert run.exit_code == 0, run.output
    shown = json.loads(run.stdout)
    assert shown["dob_year"] == "1961" and shown["ssn"] == "XXX-XX-5678"
    assert "dob" not in shown and "ssn_hash" not in shown and "1961-03-05" not in run.stdout
    assert shown["changes"][0]["event"] == "account_created"
    text = portfolio("accounts", "show", "ACC-1", "--user", "alice")
    assert "ssn: XXX-XX-5678" in text.stdout and "changes (1)" in text.stdout


def test_flag_add_is_open_to_a_collector_on_any_account_and_removal_is_not(portfolio):
    # ACC-1 is assigned to alice; bob learns of a bankruptcy and stops collection at once.
    run = portfolio("accounts", "flag", "ACC-1", "--add", "bankruptcy", "--reason",
                    "debtor faxed the petition", "--evidence", "BK 26-10432", "--user", "bob")
    assert run.exit_code == 0, run.output
    assert "flags (empty) -> bankruptcy" in run.stdout
    [change] = changes(portfolio, "ACC-1")
    assert change["action"] == "add-flag" and change["evidence"] == "BK 26-10432"
    assert change["reason"] == "debtor faxed the petition"
    for user, code in (("alice", "flag_protected"), ("bob", "not_assigned")):
        run = portfolio("accounts", "flag", "ACC-1", "--remove", "bankruptcy", "--reason",
                        "case dismissed", "--user", user)
        assert run.exit_code == 2 and code in run.stderr
    run = portfolio("accounts", "flag", "ACC-1", "--remove", "bankruptcy", "--user", "sam")
    assert run.exit_code == 2 and "--reason" in run.stderr        # a reason is required
    run = portfolio("accounts", "flag", "ACC-1", "--remove", "bankruptcy", "--reason",
                    "case dismissed 2026-11-20", "--user", "carol")
    assert run.exit_code == 0, run.output
    assert account(portfolio, "ACC-1")["flags"] == ""
    assert [c["action"] for c in changes(portfolio, "ACC-1")] == ["add-flag", "remove-flag"]


def test_flag_needs_exactly_one_of_add_and_remove(portfolio):
    run = portfolio("accounts", "flag", "ACC-1", "--reason", "x y z", "--user", "sam")
    assert run.exit_code == 2 and "--add FLAG or --remove FLAG" in run.output


def test_assign_is_for_supervisors_and_to_tracing_users(portfolio):
    run = portfolio("accounts", "assign", "ACC-2", "--to", "alice", "--reason",
                    "taking it over", "--user", "alice")
    assert run.exit_code == 2 and "role_not_permitted" in run.stderr
    run = portfolio("accounts", "assign", "ACC-2", "--to", "carol", "--reason",
                    "review", "--user", "sam")
    assert run.exit_code == 2 and "collector or supervisor" in run.stderr
    run = portfolio("accounts", "assign", "ACC-2", "--to", "bob", "--reason",
                    "workload rebalance", "--user", "sam")
    assert run.exit_code == 0 and account(portfolio, "ACC-2")["assigned_to"] == "bob"
    [change] = changes(portfolio, "ACC-2")
    assert change["changes"] == [{"field": "assigned_to", "before": None, "after": "bob"}]


def test_set_reads_values_as_an_import_does(portfolio):
    run = portfolio("accounts", "set", "ACC-1", "phone=(217) 555-0199", "state=il",
                    "employer=", "--reason", "debtor called from a new number",
                    "--user", "alice")
    assert run.exit_code == 0, run.output
    after = account(portfolio, "ACC-1")
    assert (after["phone"], after["state"]) == ("+12175550199", "IL")
    history = portfolio.sql("SELECT phone FROM account_history WHERE account_id = 'ACC-1'")
    assert history == [("+12175550101",)]
    for bad, message in (("zip=ABCDE", "bad zip"), ("flags=bankruptcy", "cannot set 'flags'"),
                         ("dob=2099-01-01", "in the future"), ("nonsense", "FIELD=VALUE")):
        run = portfolio("accounts", "set", "ACC-1", bad, "--reason", "typing it in",
                        "--user", "alice")
        assert run.exit_code == 2 and message in run.stderr, run.output


def test_set_status_open_on_a_closed_account_needs_a_supervisor(portfolio):
    assert portfolio("accounts", "set", "ACC-1", "status=closed", "--reason", "paid in full",
                     "--user", "alice").exit_code == 0
    run = portfolio("accounts", "set", "ACC-1", "status=open", "--reason", "reopened",
                    "--user", "alice")
    assert run.exit_code == 2 and "role_not_permitted" in run.stderr
    assert portfolio("accounts", "set", "ACC-1", "status=open", "--reason",
                     "payment bounced", "--user", "sam").exit_code == 0
    assert [c["changes"][0]["after"] for c in changes(portfolio, "ACC-1")] == ["closed", "open"]


def test_an_unchanged_set_writes_nothing(portfolio):
    before = portfolio.sql("SELECT count(*) FROM audit")[0][0]
    run = portfolio("accounts", "set", "ACC-1", "city=Springfield", "--reason", "checking",
                    "--user", "alice")
    assert run.exit_code == 0 and "no change" in run.stdout
    assert portfolio.sql("SELECT count(*) FROM audit")[0][0] == before


def test_list_shows_what_the_user_may_read_with_the_batch_filter(portfolio):
    portfolio("accounts", "assign", "ACC-3", "--to", "bob", "--reason", "rebalance",
              "--user", "sam")
    mine = json.loads(portfolio("accounts", "list", "--user", "alice", "--json").stdout)
    assert [r["account_id"] for r in mine] == ["ACC-1", "ACC-2"]     # not bob's ACC-3
    everyone = json.loads(portfolio("accounts", "list", "--user", "sam", "--json").stdout)
    assert len(everyone) == 3
    flagged = json.loads(portfolio("accounts", "list", "--where", "flags has 'bankruptcy'",
                                   "--user", "carol", "--json").stdout)
    assert [r["account_id"] for r in flagged] == ["ACC-2"] and flagged[0]["flags"] == ["bankruptcy"]
    assert "dob" not in flagged[0] and "ssn_last4" not in flagged[0]
    bad = portfolio("accounts", "list", "--where", "ssn_hash = 'x'", "--user", "sam")
    assert bad.exit_code == 2 and "unknown column" in bad.stderr
    assert portfolio("users", "add", "dee", "--role", "data", "--user", "sam").exit_code == 0
    assert portfolio("accounts", "list", "--user", "dee").exit_code == 2
