"""A possible bankruptcy or death on the debtor's identity holds the account's contacts
until someone who may judge it clears the review (policy.toml [scrubs] hold_pending_review):
tracer keeps showing them, nobody attaches or exports them."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS

REASON = "mail returned undeliverable, need a current address"

# A court index naming only "William Okafor" of Peoria: a possible match, not a sure one.
COURT = [dict(record_id="BK-1", full_name="OKAFOR, WILLIAM", city="Peoria", state="IL",
              event="bankruptcy", event_date="2026-08-01")]


@pytest.fixture
def reviewed(ws):
    ws.write_csv("portfolio.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    ws("accounts", "import", ws.root / "portfolio.csv", "--user", "alice")
    ws.write_csv("extract.csv", RECORDS, RECORD_COLUMNS)
    ws("records", "import", ws.root / "extract.csv", "--source", "county", "--user", "alice")
    ws.write_csv("court.csv", COURT, RECORD_COLUMNS)
    ws("records", "import", ws.root / "court.csv", "--source", "court", "--user", "alice")
    run = ws("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
             "--user", "alice", "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    (reason,) = ws.sql("SELECT review_reason FROM accounts WHERE account_id = 'ACC-1'")[0]
    assert reason and reason.startswith("bankruptcy 2026-08-01"), reason
    return ws, json.loads(run.stdout)


def _export(ws, user):
    out = ws.root / f"contacts-{user}.csv"
    run = ws("export", "contacts", "--out", out, "--user", user)
    rows = list(csv.DictReader(out.open())) if out.exists() else []
    return run, rows


def test_a_pending_review_holds_accept_and_export_and_is_audited(reviewed):
    ws, lookup = reviewed
    assert "review before contact" in (lookup.get("note") or "")
    contacts = [c for c in lookup["contacts"]]
    assert contacts, "the contacts are kept and shown"
    run = ws("accept", lookup["lookup_id"], contacts[0]["ref"], "--user", "alice")
    assert run.exit_code == 2 and "scrub review is pending" in run.output
    run, rows = _export(ws, "alice")
    assert run.exit_code == 0 and not [r for r in rows if r["account_id"] == "ACC-1"]
    denied = [json.loads(p) for (p,) in ws.sql(
        "SELECT payload FROM audit WHERE event = 'access_denied' AND account_id = 'ACC-1'")]
    assert {r["code"] for d in denied for r in d["reasons"]} == {"scrub_review_pending"}


@pytest.mark.parametrize("user, code", [("alice", 2), ("carol", 0)])
def test_only_a_supervisor_or_compliance_clears_it_with_a_reason(reviewed, user, code):
    ws, lookup = reviewed
    run = ws("accounts", "clear-review", "ACC-1", "--reason",
             "court record is another William Okafor (other middle name)", "--user", user)
    assert run.exit_code == code, run.output
    pending = ws.sql("SELECT review_reason FROM accounts WHERE account_id = 'ACC-1'")[0][0]
    assert (pending is None) == (code == 0)
    if code == 0:
        (payload,) = ws.sql("SELECT payload FROM audit WHERE event = 'account_changed'"
                            " ORDER BY seq DESC LIMIT 1")[0]
        change = json.loads(payload)
        assert change["action"] == "clear-review" and change["changes"][0]["after"] is None
        contacts = lookup["contacts"]
        run = ws("accept", lookup["lookup_id"], contacts[0]["ref"], "--user", "alice")
        assert run.exit_code == 0, run.output     # released
        run, rows = _export(ws, "alice")
        assert [r for r in rows if r["account_id"] == "ACC-1"]


def test_clearing_needs_a_pending_review(loaded):
    run = loaded("accounts", "clear-review", "ACC-1", "--reason", "nothing to clear",
                 "--user", "sam")
    assert run.exit_code != 0 and "no review pending" in run.output
