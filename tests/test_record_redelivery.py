"""Records delivered again replace the earlier version, kept as history, whose events still
count; vendor codes are read through config/vendors.toml and unknown ones reported
(issue #18)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import RECORD_COLUMNS, RECORDS

REASON = "mail returned undeliverable, need a current address"


def import_records(ws, rows, source="county_records", name="extract.csv", columns=None,
                   *extra):
    path = ws.write_csv(name, rows, columns or RECORD_COLUMNS)
    run = ws("records", "import", path, "--source", source, "--user", "alice", "--json",
             *extra)
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout), path


def trace(ws, account="ACC-1"):
    run = ws("trace", account, "--purpose", "collect-debt", "--reason", REASON,
             "--user", "alice", "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def deceased(row):
    return {**row, "event": "deceased", "event_date": "2026-08-14"}


def test_a_corrected_record_replaces_the_old_one_and_its_death_scrubs(loaded):
    """The vendor re-sends UT-1 (Bill Okafor's utility record) now marked deceased: the
    trace must see the corrected record, not the copy it had."""
    assert trace(loaded)["contacts"]
    counts, _ = import_records(loaded, [deceased(RECORDS[1])], name="corrected.csv")
    assert (counts["imported"], counts["updated"], counts["unchanged"]) == (0, 1, 0)
    assert loaded.sql("SELECT count(*), event FROM records WHERE record_id = 'UT-1'") == \
        [(1, "deceased")]
    assert loaded.sql("SELECT event FROM record_history WHERE record_id = 'UT-1'") == \
        [("utility_connect",)]
    result = trace(loaded)
    assert result["contacts"] == [] and any("deceased" in w for w in result["withheld"])
    audited = json.loads(loaded.sql("SELECT payload FROM audit WHERE event = "
                                    "'records_imported' ORDER BY seq DESC LIMIT 1")[0][0])
    assert audited["updated"] == 1


def test_an_event_on_an_earlier_version_still_counts(loaded):
    import_records(loaded, [deceased(RECORDS[1])], name="v2.csv")
    # the third delivery forgets the event: the death it once reported still withholds
    counts, _ = import_records(loaded, [{**RECORDS[1], "last_seen": "2026-10-25"}],
                               name="v3.csv")
    assert counts["updated"] == 1
    assert loaded.sql("SELECT event FROM records WHERE record_id = 'UT-1'") == \
        [("utility_connect",)]
    result = trace(loaded)
    assert result["contacts"] == [] and any("deceased" in w for w in result["withheld"])


def test_the_same_delivery_again_changes_nothing(loaded):
    counts, _ = import_records(loaded, RECORDS, name="extract.csv")
    assert (counts["imported"], counts["updated"], counts["unchanged"]) == (0, 0, len(RECORDS))
    assert loaded.sql("SELECT count(*) FROM record_history") == [(0,)]


def test_the_migration_keeps_the_newest_of_copies_stored_before_it(tmp_path):
    """A workspace at schema 5 holding two versions of one record (the old bug) migrates
    to one current record and one history row."""
    import sqlite3

    from tracer.store.sqlite.migrations import MIGRATIONS
    from tracer.workspace import open_workspace
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for version, statements in MIGRATIONS:
        if version <= 5:
            for stmt in statements:
                conn.execute(stmt)
    conn.execute("PRAGMA user_version = 5")
    for raw, event in (("a", None), ("b", "deceased")):
        conn.execute("INSERT INTO records (source, record_id, last_name, raw_hash,"
                     " imported_at, event) VALUES ('v', 'R-1', 'OKAFOR', ?, 'now', ?)",
                     (raw, event))
    conn.close()
    (tmp_path / "old.db.key").write_text("00" * 32)
    for name in ("old.db", "old.db.key"):
        (tmp_path / name).chmod(0o600)
    ws = open_workspace(db)
    assert ws.conn.execute("SELECT raw_hash, event FROM records").fetchall() == \
        [("b", "deceased")]
    assert ws.conn.execute("SELECT raw_hash FROM record_history").fetchall() == [("a",)]
    ws.close()


ACME = ["Ref No", "Subject Name", "DOB", "SSN4", "Addr1", "City", "ST", "Zip Code",
        "Phone 1", "Phone Type", "First Reported", "Last Reported", "Deceased"]


def acme_row(**changes):
    row = {"Ref No": "AC-1", "Subject Name": "OKAFOR, WILLIAM J", "DOB": "03/05/1961",
           "SSN4": "5678", "Addr1": "77 Pine Ave Apt 2", "City": "Peoria", "ST": "IL",
           "Zip Code": "61602", "Phone 1": "309-555-0188", "Phone Type": "cell",
           "First Reported": "2025-03-01", "Last Reported": "2026-10-30", "Deceased": "N"}
    return {**row, **changes}


def test_vendor_codes_are_read_through_the_saved_value_maps(loaded):
    """acme_skip's saved layout (config/vendors.toml): Deceased Y/N, phone type "cell"."""
    counts, _ = import_records(loaded, [acme_row()], "acme_skip", "acme.csv", ACME)
    assert counts["imported"] == 1 and counts["problems"] == 0
    assert loaded.sql("SELECT phone_type, event FROM records WHERE source = 'acme_skip'") == \
        [("mobile", None)]
    assert any(c["value"] == "+13095550188" for c in trace(loaded)["contacts"])
    counts, _ = import_records(loaded, [acme_row(Deceased="Y")], "acme_skip", "acme2.csv", ACME)
    assert counts["updated"] == 1
    assert loaded.sql("SELECT event FROM records WHERE source = 'acme_skip'") == [("deceased",)]
    assert trace(loaded)["contacts"] == []


@pytest.mark.parametrize("column, value", [("Phone Type", "pager"), ("Deceased", "maybe")])
def test_an_unknown_code_is_reported_and_not_kept_and_the_row_is(loaded, column, value):
    counts, path = import_records(loaded, [acme_row(**{column: value})], "acme_skip",
                                  "acme.csv", ACME)
    assert counts["imported"] == 1 and counts["rejected"] == 0 and counts["problems"] == 1
    field = "phone_type" if column == "Phone Type" else "event"
    assert loaded.sql(f"SELECT {field} FROM records WHERE source = 'acme_skip'") == [(None,)]
    report = list(csv.DictReader(path.with_name("acme.problems.csv").open()))
    assert report == [{"line": "2", "record_id": "AC-1", "field": field,
                       "problem": report[0]["problem"]}]
    assert f"unknown {field} '{value}', not kept" in report[0]["problem"]
    assert "vendors.toml" in report[0]["problem"]
    run = loaded("records", "import", path, "--source", "acme_skip", "--user", "alice")
    assert "values not kept" in run.stdout


def test_without_a_map_a_literal_y_is_no_event_and_is_reported(loaded):
    counts, path = import_records(loaded, [{**RECORDS[1], "record_id": "UT-9", "event": "Y"}],
                                  "utility", "plain.csv")
    assert counts["problems"] == 1
    assert loaded.sql("SELECT event FROM records WHERE record_id = 'UT-9'") == [(None,)]


@pytest.mark.parametrize("text, message", [
    ('[vendors.x.values.event]\nY = "dead"\n', "maps 'Y' to 'dead'"),
    ('[vendors.x.values.street]\nA = "B"\n', "maps values of event, phone_type only"),
])
def test_a_bad_value_map_is_a_clear_error(tmp_path, monkeypatch, text, message):
    from tracer.errors import ConfigError
    from tracer.vendors import load_vendors
    (tmp_path / "vendors.toml").write_text(text)
    monkeypatch.setenv("TRACER_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match=message):
        load_vendors()
