"""Accepting, rejecting and undoing contact points (DESIGN.md invariant 2)."""

from __future__ import annotations

import json

import pytest

REASON = "mail returned undeliverable, need a current address"


def traced(ws, account="ACC-1", user="alice", purpose="collect-debt"):
    run = ws("trace", account, "--purpose", purpose, "--reason", REASON, "--user", user,
             "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def test_accept_attaches_with_audit_and_provenance(loaded):
    result = traced(loaded)
    run = loaded("accept", result["lookup_id"], "address:1", "--user", "alice")
    assert run.exit_code == 0, run.output
    assert loaded.sql("SELECT street, city, state, zip FROM accounts WHERE account_id='ACC-1'") \
        == [("77 PINE AVE APT 2", "PEORIA", "IL", "61602")]
    entry = loaded.sql("SELECT lookup_id, payload FROM audit WHERE event='attachment'")
    assert entry[0][0] == result["lookup_id"]
    payload = json.loads(entry[0][1])
    assert payload["provenance"] == ["county_records"] and payload["ref"] == "address:1"


def test_traced_phone_is_manual_dial_only(loaded):
    result = traced(loaded)
    run = loaded("accept", result["lookup_id"], "phone:1", "--user", "alice")
    assert "manual dial only" in run.stdout
    consent = loaded.sql("SELECT consent FROM attachments WHERE kind='phone'")[0][0]
    assert consent.startswith("none: manual dial only")


def test_undo_restores_previous_contact_data(loaded):
    result = traced(loaded)
    loaded("accept", result["lookup_id"], "address:1", "--user", "alice")
    attachment = loaded.sql("SELECT id FROM attachments")[0][0]
    assert loaded("undo", attachment, "--user", "alice").exit_code == 0
    assert loaded.sql("SELECT street, city FROM accounts WHERE account_id='ACC-1'") == \
        [("12 Oak Street", "Springfield")]
    assert loaded("undo", attachment, "--user", "alice").exit_code == 2  # once only
    events = [r[0] for r in loaded.sql("SELECT event FROM audit WHERE event='attachment'")]
    assert len(events) == 2


def test_rejected_contact_never_ranks_first_again(loaded):
    first = traced(loaded)
    top = [c for c in first["contacts"] if c["kind"] == "address"][0]
    assert loaded("reject", first["lookup_id"], "address:1", "--user", "alice",
                  "--note", "tenant says he never lived there").exit_code == 0
    second = traced(loaded, user="sam")
    new_top = [c for c in second["contacts"] if c["kind"] == "address"][0]
    assert new_top["value"] != top["value"]
    demoted = [c for c in second["contacts"] if c["value"] == top["value"]][0]
    assert "rejected before" in demoted["explanation"]


@pytest.mark.parametrize("ref, message", [
    ("address:9", "has no contact address:9"),
    ("nonsense", "must look like address:1"),
])
def test_bad_references(loaded, ref, message):
    result = traced(loaded)
    run = loaded("accept", result["lookup_id"], ref, "--user", "alice")
    assert run.exit_code == 2 and message in run.stderr


def test_only_kinds_the_decision_allowed(loaded):
    # verify-identity allows no contact kinds: nothing can be attached from it.
    result = traced(loaded, purpose="verify-identity")
    assert result["contacts"] == []
    run = loaded("accept", result["lookup_id"], "address:1", "--user", "alice")
    assert run.exit_code == 2


def test_denied_lookup_attaches_nothing_and_compliance_cannot_attach(loaded):
    denied = loaded("trace", "ACC-2", "--purpose", "collect-debt", "--reason", REASON,
                    "--user", "alice")
    lookup = loaded.sql("SELECT lookup_id FROM lookups WHERE account_id='ACC-2'")[0][0]
    assert denied.exit_code == 3
    assert loaded("accept", lookup, "address:1", "--user", "alice").exit_code == 2
    result = traced(loaded)
    run = loaded("accept", result["lookup_id"], "address:1", "--user", "carol")
    assert run.exit_code == 2 and "may not do this" in run.stderr
    assert loaded.sql("SELECT count(*) FROM attachments")[0][0] == 0
