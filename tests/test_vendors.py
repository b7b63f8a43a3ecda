"""Vendor files: saved per-vendor column mappings (config/vendors.toml)."""

from __future__ import annotations

import json

import pytest

from tracer.errors import ConfigError
from tracer.vendors import load_vendors, mapping_for

ACME_ROWS = ("Ref No,Subject Name,DOB,SSN4,Addr1,City,ST,Zip Code,Phone 1,Last Reported\n"
             "AC-1,\"OKAFOR, WILLIAM J\",03/05/1961,5678,77 Pine Ave,Peoria,IL,61602,"
             "(309) 555-0144,2026-10-01\n")


def test_saved_mapping_is_applied_by_source_name(ws):
    path = ws.root / "acme_return.csv"
    path.write_text(ACME_ROWS)
    run = ws("records", "import", path, "--source", "acme_skip", "--user", "alice", "--json")
    assert json.loads(run.stdout)["imported"] == 1, run.output
    row = ws.sql("SELECT record_id, first_name, last_name, dob, ssn_last4, zip, phone"
                 " FROM records")[0]
    row = (*row[:3], ws.open_dob(row[3]), *row[4:])
    assert row == ("AC-1", "WILLIAM", "OKAFOR", "1961-03-05", "5678", "61602", "+13095550144")


def test_command_line_map_wins_over_saved(ws):
    path = ws.root / "acme_return.csv"
    path.write_text(ACME_ROWS.replace("Ref No", "Ticket"))
    run = ws("records", "import", path, "--source", "acme_skip", "--user", "alice",
             "--map", "Ticket=record_id", "--json")
    assert json.loads(run.stdout)["imported"] == 1


def test_unknown_source_has_no_saved_mapping():
    assert mapping_for("nobody", {"a": "record_id"}) == {"a": "record_id"}
    assert load_vendors()["acme_skip"].kind == "vendor_file"


@pytest.mark.parametrize("text, message", [
    ('[vendors.x]\nkind = "darkweb"\n', "kind must be one of"),
    ('[vendors.x.columns]\n"A" = "social_security_number"\n', "not a FORMATS.md section 2 column"),
])
def test_bad_vendor_config_is_a_clear_error(tmp_path, monkeypatch, text, message):
    (tmp_path / "vendors.toml").write_text(text)
    monkeypatch.setenv("TRACER_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match=message):
        load_vendors()
