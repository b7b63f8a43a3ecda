"""No full SSN or DOB at rest outside its column, through any edge (issue #19, part 2),
and a poisoned row never crashes a lookup or leaves it half-done."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS
from tracer.privacy import sensitive_in_value

REASON = "mail returned undeliverable, need a current address"
SSN = "912-34-5678"
DOB = "07/14/1955"


def _workspace_bytes(ws) -> bytes:
    return b"".join(p.read_bytes() for p in ws.root.glob("tracer.db*") if p.is_file())


def _rejects(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("column", ["account_id", "first_name", "last_name", "street",
                                    "unit", "city", "employer", "email", "phone",
                                    "assigned_to", "middle_name"])
@pytest.mark.parametrize("value", [SSN, "912345678", f"dob {DOB}", DOB, "1955-07-14",
                                   f"Acme {SSN} Inc"])
def test_an_account_field_holding_an_ssn_or_dob_is_rejected(ws, column, value):
    row = {**ACCOUNTS[0], "account_id": "ACC-9", column: value}
    path = ws.write_csv("p.csv", [ACCOUNTS[1], row], ACCOUNT_COLUMNS)
    run = ws("accounts", "import", path, "--user", "alice", "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["rejected"] == 1
    [reject] = _rejects(ws.root / "p.rejects.csv")
    assert reject["line"] == "3" and column in reject["reason"]
    for form in (SSN, "912345678", DOB, "1955-07-14"):
        assert form not in json.dumps(reject)
        assert form.encode() not in _workspace_bytes(ws)


@pytest.mark.parametrize("column", ["record_id", "first_name", "full_name", "street",
                                    "city", "employer", "email", "phone", "event"])
def test_a_record_field_holding_an_ssn_is_rejected(ws, column):
    row = {**RECORDS[1], column: SSN if column != "full_name" else f"OKAFOR, {SSN}"}
    path = ws.write_csv("r.csv", [RECORDS[0], row], RECORD_COLUMNS)
    run = ws("records", "import", path, "--source", "s", "--user", "alice", "--json")
    assert json.loads(run.stdout)["rejected"] == 1
    [reject] = _rejects(ws.root / "r.rejects.csv")
    assert column in reject["reason"] and "SSN" in reject["reason"]
    assert SSN.encode() not in _workspace_bytes(ws)
    assert SSN not in (ws.root / "r.rejects.csv").read_text()


@pytest.mark.parametrize("value, kind, found", [
    ("12345678", "identifier", False),        # an account number that is no date
    ("20240230", "identifier", False),        # no such day
    ("19550714", "identifier", True),
    ("CJ-2021-455", "identifier", False),
    ("R-1955-07-14", "identifier", False),    # a dated record id is not a DOB by itself
    ("5 Main St 1955-07-14", "field", True),
    ("1234 5th Ave", "field", False),
    ("(217) 555-0101", "field", False),
    ("62704-1234", "field", False),
    ("accounts-2026-01-02.csv", "text", False),
    ("born 7/14/55", "text", True),
])
def test_what_counts_as_an_ssn_or_dob(value, kind, found):
    assert bool(sensitive_in_value(value, kind)) is found


def test_trace_argument_and_user_id_are_refused(loaded):
    run = loaded("trace", SSN, "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice")
    assert run.exit_code == 2 and "account id seems to hold an SSN" in run.stderr
    run = loaded("users", "add", "912345678", "--role", "collector", "--user", "sam")
    assert run.exit_code == 2 and "user id" in run.stderr
    assert SSN.encode() not in _workspace_bytes(loaded)
    assert b"912345678" not in _workspace_bytes(loaded)


def test_file_names_are_masked_in_the_audit(ws):
    path = ws.write_csv(f"{SSN}.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    assert ws("accounts", "import", path, "--user", "alice").exit_code == 0
    ws("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON, "--user", "alice")
    out = ws.root / f"contacts-{SSN}.csv"
    assert ws("export", "contacts", "--out", out, "--user", "alice").exit_code == 0
    payloads = [json.loads(p) for (p,) in ws.sql("SELECT payload FROM audit")]
    files = [p["file"] for p in payloads if "file" in p]
    assert files == ["XXX-XX-5678.csv", "contacts-XXX-XX-5678.csv"]
    assert SSN.encode() not in _workspace_bytes(ws)


def _poison(ws, record_id=SSN, **extra):
    """A record stored before the import checked every field (or by an older tracer)."""
    conn = sqlite3.connect(ws.db)
    cols = {"source": "legacy", "record_id": record_id, "first_name": "WILLIAM",
            "last_name": "OKAFOR", "dob": "1961-03-05", "zip": "62704", "street": "12 OAK ST",
            "city": "SPRINGFIELD", "state": "IL", "raw_hash": "f" * 64,
            "imported_at": "2026-01-01T00:00:00+00:00", "k_last": "OKAFOR",
            "k_first": "WILLIAM", "k_dob_year": 1961, "k_zip": "62704", **extra}
    conn.execute(f"INSERT INTO records ({', '.join(cols)}) VALUES "
                 f"({', '.join('?' * len(cols))})", list(cols.values()))
    conn.commit()
    conn.close()


def test_a_poisoned_stored_record_never_crashes_a_lookup(loaded):
    _poison(loaded)
    _poison(loaded, record_id="LEG-2", features="not json at all")
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice", "--json")
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output and SSN not in run.output
    status = loaded.sql("SELECT status FROM lookups")[0][0]
    assert status == "completed"
    results = [json.loads(p) for (p,) in loaded.sql(
        "SELECT payload FROM audit WHERE event = 'source_result'")]
    refused = [r["refused"]["count"] for r in results if "refused" in r]
    assert refused == [1]
    assert loaded("audit", "verify").exit_code == 0


def test_a_lookup_that_fails_after_its_decision_ends_failed(loaded):
    # Storing the identity graph fails (a real SQLite error): the lookup must not stay
    # `decided`.
    conn = sqlite3.connect(loaded.db)
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON graph_nodes"
                 " BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    conn.commit()
    conn.close()
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice")
    assert run.exit_code == 1 and "Traceback" not in run.output
    assert "recorded as failed" in run.stderr
    lookup, status = loaded.sql("SELECT lookup_id, status FROM lookups")[0]
    assert status == "failed"
    events = [e for (e,) in loaded.sql("SELECT event FROM audit WHERE lookup_id = ?"
                                       " ORDER BY seq", (lookup,))]
    assert events[:2] == ["lookup_requested", "decision"] and events[-1] == "lookup_failed"
    assert "candidates_ranked" not in events
    assert loaded.sql("SELECT count(*) FROM contact_results")[0][0] == 0
    assert loaded("audit", "verify").exit_code == 0


def test_a_failed_lookup_in_a_batch_is_done_and_never_rerun(loaded):
    conn = sqlite3.connect(loaded.db)
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON contact_results"
                 " BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    conn.commit()
    conn.close()
    run = loaded("batch", "--purpose", "collect-debt", "--reason", REASON, "--user", "sam",
                 "--json")
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    assert summary["status"] == "completed" and summary["failed"] >= 1
    statuses = {s for (s,) in loaded.sql("SELECT status FROM lookups")}
    assert "decided" not in statuses and "failed" in statuses
    assert loaded("audit", "verify").exit_code == 0
