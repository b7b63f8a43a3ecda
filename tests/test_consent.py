"""Consent that counts (issue #18): recorded consent and its revocation are read by
`accept`, the trace text and `--json`, and `tracer consent list`."""

from __future__ import annotations

import json

import pytest

REASON = "mail returned undeliverable, need a current address"
PHONE = "(309) 555-0144"            # Bill Okafor's utility phone: phone:1 of his trace


def trace(ws, *extra):
    run = ws("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
             "--user", "alice", "--as-of", "2026-11-01", *extra)
    assert run.exit_code == 0, run.output
    return run


def record(ws, status, channel="phone", value=PHONE, note="on the recorded call"):
    return ws("consent", "record", "ACC-1", "--channel", channel, "--value", value,
              "--status", status, "--note", note, "--user", "alice")


def test_accept_reads_recorded_consent(loaded):
    assert record(loaded, "granted").exit_code == 0
    lookup = json.loads(trace(loaded, "--json").stdout)["lookup_id"]
    run = loaded("accept", lookup, "phone:1", "--user", "alice")
    assert run.exit_code == 0, run.output
    assert "consent: granted: calls consented on" in run.stdout
    assert "manual dial only" not in run.stdout
    stored = loaded.sql("SELECT consent FROM attachments")[0][0]
    audited = json.loads(loaded.sql("SELECT payload FROM audit WHERE event = 'attachment'")[0][0])
    assert stored == audited["consent"] and stored.startswith("granted:")


def test_a_revocation_ends_the_grant(loaded):
    record(loaded, "granted")
    assert record(loaded, "revoked", note="asked us to stop calling").exit_code == 0
    lookup = json.loads(trace(loaded, "--json").stdout)["lookup_id"]
    run = loaded("accept", lookup, "phone:1", "--user", "alice")
    assert "consent: revoked: calls consent revoked on" in run.stdout
    assert "manual dial only" in run.stdout


def test_the_trace_shows_consent_as_text_and_json(loaded):
    record(loaded, "granted")
    record(loaded, "revoked", channel="text")
    result = json.loads(trace(loaded, "--json").stdout)
    phone_ref = next(c["ref"] for c in result["contacts"] if c["value"] == "+13095550144")
    assert result["consent"][phone_ref].startswith("granted: calls consented on")
    assert "texts consent revoked" in result["consent"][phone_ref]
    others = [ref for ref in result["consent"] if ref != phone_ref]
    assert all(result["consent"][ref].startswith("none:") for ref in others)
    text = trace(loaded).stdout
    assert "consent granted: calls consented on" in text


def test_consent_list(loaded):
    record(loaded, "granted")
    record(loaded, "granted", channel="email", value="W.Okafor@Example.com", note="web form")
    run = loaded("consent", "list", "ACC-1", "--user", "alice", "--json")
    assert run.exit_code == 0, run.output
    rows = json.loads(run.stdout)
    assert [(r["channel"], r["value"], r["status"]) for r in rows] == [
        ("phone", "+13095550144", "granted"), ("email", "w.okafor@example.com", "granted")]
    assert rows[1]["now"].startswith("granted: email consented on")
    table = loaded("consent", "list", "ACC-1", "--user", "alice")
    assert "2 consent records for ACC-1" in table.stdout
    assert json.loads(loaded.sql("SELECT payload FROM audit WHERE event = 'consent_recorded'"
                                 " LIMIT 1")[0][0])["status"] == "granted"


@pytest.mark.parametrize("option, text", [
    ("--note", "debtor ssn 912-34-5678 confirmed"),
    ("--note", "verified dob 03/05/1961 on the call"),
    ("--value", "912345678"),
])
def test_a_full_ssn_or_dob_in_consent_is_refused(loaded, option, text):
    before = loaded.sql("SELECT count(*) FROM audit")[0][0]
    args = {"--note": "ok", "--value": PHONE, option: text}
    run = loaded("consent", "record", "ACC-1", "--channel", "phone", "--status", "granted",
                 "--user", "alice", *[x for kv in args.items() for x in kv])
    assert run.exit_code == 2 and "seems to contain" in run.stderr
    assert "912-34-5678" not in run.output and "03/05/1961" not in run.output
    assert loaded.sql("SELECT count(*) FROM consents") == [(0,)]
    assert loaded.sql("SELECT count(*) FROM audit")[0][0] == before


def test_consent_for_is_a_library_function(loaded):
    from tracer.consent.consents import consent_for, record_consent
    from tracer.workspace import open_workspace
    ws = open_workspace(loaded.db)
    try:
        assert consent_for(ws, "ACC-1", "address", "12 OAK ST").startswith("not_applicable")
        assert consent_for(ws, "ACC-1", "phone", PHONE).startswith("none: manual dial only")
        record_consent(ws, "alice", "ACC-1", "phone", PHONE, "granted")
        assert consent_for(ws, "ACC-1", "phone", "+13095550144").startswith("granted:")
        assert consent_for(ws, "ACC-1", "email", "w.okafor@example.com").startswith("none:")
    finally:
        ws.close()
