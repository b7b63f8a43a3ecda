"""`tracer export contacts`: FORMATS.md section 3, exactly."""

from __future__ import annotations

import csv

REASON = "mail returned undeliverable, need a current address"
FORMAT_COLUMNS = ["account_id", "lookup_id", "kind", "rank", "value", "confidence",
                  "identity_confidence", "sources", "first_seen", "last_seen", "explanation"]


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
