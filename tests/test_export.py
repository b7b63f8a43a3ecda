"""`tracer export contacts`: FORMATS.md section 3, exactly."""

from __future__ import annotations

import csv

#: Run on SQLite and on PostgreSQL (tests/conftest.py, pg_server.py).
BOTH_STORES = True

REASON = "mail returned undeliverable, need a current address"
FORMAT_COLUMNS = ["account_id", "lookup_id", "kind", "rank", "value", "confidence",
                  "identity_confidence", "sources", "first_seen", "last_seen", "explanation",
                  # after FORMATS.md section 3's columns: what reaches the person
                  "phone_type", "consent", "outcomes"]


def _export(ws):
    out = ws.root / "contacts.csv"
    run = ws("export", "contacts", "--out", out, "--user", "alice")
    assert run.exit_code == 0, run.output
    with out.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_export_says_what_reaches_the_person(loaded):
    outcomes = loaded.write_csv("outcomes.csv", [
        dict(account_id="ACC-1", channel="phone", value="(309) 555-0144",
             outcome="no_answer", date="2026-10-25"),
        dict(account_id="ACC-3", channel="phone", value="217-555-0101",
             outcome="wrong_party", date="2026-10-26")])
    assert loaded("outcomes", "import", outcomes, "--user", "alice").exit_code == 0
    assert loaded("consent", "record", "ACC-1", "--channel", "phone", "--value",
                  "309-555-0144", "--status", "granted", "--user", "alice").exit_code == 0
    loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
           "--user", "alice", "--as-of", "2026-11-01")
    rows = {(r["kind"], r["value"]): r for r in _export(loaded)}
    mobile = rows[("phone", "+13095550144")]
    assert mobile["phone_type"] == "mobile"
    assert mobile["consent"].startswith("granted")
    assert mobile["outcomes"] == "no_answer 2026-10-25"
    old = rows[("phone", "+12175550101")]
    assert old["outcomes"] == "wrong_party 2026-10-26 (another account)"
    assert old["consent"].startswith("none")
    address = next(r for (k, _v), r in rows.items() if k == "address")
    assert address["phone_type"] == "" and address["consent"] == "not_applicable"


def test_export_columns_and_rows(loaded):
    for account in ("ACC-1", "ACC-2"):
        loaded("trace", account, "--purpose", "collect-debt", "--reason", REASON,
               "--user", "alice", "--as-of", "2026-11-01")
    out = loaded.root / "contacts.csv"
    run = loaded("export", "contacts", "--out", out, "--user", "alice")
    assert run.exit_code == 0, run.output
    with out.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader]
    assert header == FORMAT_COLUMNS
    assert {r["account_id"] for r in rows} == {"ACC-1"}  # the denied account writes nothing
    lookup = loaded.sql("SELECT lookup_id FROM lookups WHERE account_id='ACC-1'")[0][0]
    assert {r["lookup_id"] for r in rows} == {lookup}
    first = [r for r in rows if r["kind"] == "address" and r["rank"] == "1"][0]
    assert first["value"] == "77 PINE AVE APT 2, PEORIA, IL 61602"
    assert 0 < float(first["confidence"]) <= 1 and 0 < float(first["identity_confidence"]) <= 1
    assert first["last_seen"] == "2026-10-20" and first["first_seen"] == "2025-01-15"
    phones = [r for r in rows if r["kind"] == "phone"]
    assert all(r["value"].startswith("+1") for r in phones)
    for kind in ("address", "phone"):
        ranks = [int(r["rank"]) for r in rows if r["kind"] == kind]
        assert ranks == list(range(1, len(ranks) + 1))


def test_export_uses_latest_lookup_and_filters_by_account(loaded):
    for _ in range(2):
        loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
               "--user", "sam")
    latest = loaded.sql("SELECT lookup_id FROM lookups WHERE account_id='ACC-1' "
                        "ORDER BY requested_at DESC LIMIT 1")[0][0]
    out = loaded.root / "one.csv"
    loaded("export", "contacts", "--out", out, "--account", "ACC-1", "--user", "sam")
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["lookup_id"] for r in rows} == {latest}
    events = [r[0] for r in loaded.sql("SELECT event FROM audit ORDER BY seq DESC LIMIT 1")]
    assert events == ["export"]
