"""Undoing attachments in any order, and attaching addresses that lack a ZIP."""

from __future__ import annotations

import json

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS, Workspace
from tracer.attachments import _new_values

REASON = "mail returned undeliverable, need a current address"
# A recent observation of William Okafor (ACC-1) at an address with no state or ZIP.
NO_ZIP = dict(record_id="UT-9", first_name="William", last_name="Okafor", dob="1961-03-05",
              ssn_last4="5678", street="9 Elm St", city="Cambridge",
              first_seen="2026-10-01", last_seen="2026-11-01")
ORIGINAL = ("12 Oak Street", None, "Springfield", "IL", "62704")


@pytest.fixture
def traced(tmp_path, monkeypatch):
    """ACC-1 traced once; its addresses ranked 9 ELM ST, CAMBRIDGE / 77 PINE AVE / ..."""
    ws = Workspace(tmp_path, monkeypatch)
    assert ws("init").exit_code == 0
    assert ws("users", "add", "sam", "--role", "supervisor").exit_code == 0
    assert ws("users", "add", "alice", "--role", "collector", "--user", "sam").exit_code == 0
    assert ws("accounts", "import", ws.write_csv("p.csv", ACCOUNTS, ACCOUNT_COLUMNS),
              "--user", "alice").exit_code == 0
    assert ws("records", "import", ws.write_csv("r.csv", RECORDS + [NO_ZIP], RECORD_COLUMNS),
              "--source", "county_records", "--user", "alice").exit_code == 0
    run = ws("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
             "--user", "alice", "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    addresses = [c["value"] for c in result["contacts"] if c["kind"] == "address"]
    assert addresses[:2] == ["9 ELM ST, CAMBRIDGE", "77 PINE AVE APT 2, PEORIA, IL 61602"]
    return ws, result["lookup_id"]


def address(ws):
    return ws.sql("SELECT street, unit, city, state, zip FROM accounts"
                  " WHERE account_id = 'ACC-1'")[0]


def accept(ws, lookup_id, ref):
    run = ws("accept", lookup_id, ref, "--user", "alice")
    assert run.exit_code == 0, run.output
    return ws.sql("SELECT max(id) FROM attachments")[0][0]


def undo(ws, attachment_id):
    return ws("undo", attachment_id, "--user", "alice")


@pytest.mark.parametrize("order", ["newest first", "oldest first"])
def test_undoing_both_attachments_restores_the_original_address(traced, order):
    ws, lookup_id = traced
    first, second = accept(ws, lookup_id, "address:1"), accept(ws, lookup_id, "address:2")
    assert address(ws) == ("77 PINE AVE APT 2", None, "PEORIA", "IL", "61602")
    if order == "oldest first":
        refused = undo(ws, first)
        assert refused.exit_code == 2
        assert f"replaced by attachment {second}" in refused.stderr
        assert f"undo {second} first" in refused.stderr
        assert "Traceback" not in refused.output
        # The refusal changed nothing: attachment 2 is still in force, 1 still active.
        assert address(ws) == ("77 PINE AVE APT 2", None, "PEORIA", "IL", "61602")
        assert ws.sql("SELECT count(*) FROM attachments WHERE undone_at IS NOT NULL") == [(0,)]
    assert undo(ws, second).exit_code == 0
    assert address(ws) == ("9 ELM ST", None, "CAMBRIDGE", None, None)
    assert undo(ws, first).exit_code == 0
    assert address(ws) == ORIGINAL
    undos = [json.loads(p[0]) for p in ws.sql(
        "SELECT payload FROM audit WHERE event = 'attachment' ORDER BY seq")
        if json.loads(p[0]).get("undo")]
    assert [u["attachment_id"] for u in undos] == [second, first]


def test_an_attachment_of_another_kind_does_not_block_undo(traced):
    ws, lookup_id = traced
    first = accept(ws, lookup_id, "address:1")
    accept(ws, lookup_id, "phone:1")
    assert undo(ws, first).exit_code == 0
    assert address(ws) == ORIGINAL


def test_an_undone_later_attachment_no_longer_blocks(traced):
    ws, lookup_id = traced
    first, second = accept(ws, lookup_id, "address:1"), accept(ws, lookup_id, "address:2")
    third = accept(ws, lookup_id, "address:1")
    refused = undo(ws, first)
    assert refused.exit_code == 2 and f"attachments {third}, {second}" in refused.stderr
    for attachment in (third, second, first):
        assert undo(ws, attachment).exit_code == 0
    assert address(ws) == ORIGINAL


def test_a_zipless_address_is_stored_in_its_parts(traced):
    ws, lookup_id = traced
    accept(ws, lookup_id, "address:1")
    assert address(ws) == ("9 ELM ST", None, "CAMBRIDGE", None, None)


@pytest.mark.parametrize("value, parts", [
    ("123 MAIN ST APT 4, SPRINGFIELD, IL 62704", ("123 MAIN ST APT 4", "SPRINGFIELD", "IL", "62704")),
    ("9 ELM ST, CAMBRIDGE", ("9 ELM ST", "CAMBRIDGE", None, None)),
    ("9 ELM ST, CAMBRIDGE, MA", ("9 ELM ST", "CAMBRIDGE", "MA", None)),
    ("9 ELM ST, MA 02138", ("9 ELM ST", None, "MA", "02138")),
    ("9 ELM ST, 02138", ("9 ELM ST", None, None, "02138")),
    ("9 ELM ST, CAMBRIDGE, 02138", ("9 ELM ST", "CAMBRIDGE", None, "02138")),
    ("9 ELM ST", ("9 ELM ST", None, None, None)),
    ("PO BOX 12, SALT LAKE CITY, UT 84118", ("PO BOX 12", "SALT LAKE CITY", "UT", "84118")),
])
def test_one_line_addresses_split_into_columns(value, parts):
    new = _new_values("address", value)
    assert (new["street"], new["city"], new["state"], new["zip"]) == parts
    assert new["unit"] is None
