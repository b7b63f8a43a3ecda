"""`tracer outcomes import/list`: FORMATS.md section 4, and what outcomes do to a trace."""

from __future__ import annotations

import csv
import json

import pytest

REASON = "mail returned undeliverable, need a current address"
COLUMNS = ["account_id", "channel", "value", "outcome", "date", "user", "note"]


def trace(ws, account="ACC-1"):
    run = ws("trace", account, "--purpose", "collect-debt", "--reason", REASON, "--user",
             "alice", "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def phones(result):
    return [c for c in result["contacts"] if c["kind"] == "phone"]


def test_import_is_audited_idempotent_and_lists_newest_first(loaded):
    path = loaded.write_csv("o.csv", [
        dict(account_id="ACC-1", channel="phone", value="(309) 555-0144", outcome="RPC",
             date="2026-10-01", user="dialer7"),
        dict(account_id="ACC-1", channel="mail", value="12 Oak Street, Springfield, IL 62704",
             outcome="Return to sender", date="10/05/2026")], COLUMNS)
    first = loaded("outcomes", "import", path, "--user", "alice", "--json")
    assert json.loads(first.stdout)["imported"] == 2
    again = loaded("outcomes", "import", path, "--user", "alice", "--json")
    assert json.loads(again.stdout) | {"rejects": None} == {
        "imported": 0, "updated": 0, "unchanged": 2, "rejected": 0, "rejects": None}
    listed = json.loads(loaded("outcomes", "list", "ACC-1", "--user", "alice", "--json").stdout)
    assert [(o["channel"], o["outcome"], o["date"]) for o in listed] == [
        ("address", "returned_mail", "2026-10-05"), ("phone", "right_party", "2026-10-01")]
    assert listed[1]["value"] == "+13095550144" and listed[1]["user"] == "dialer7"
    [entry] = [json.loads(p) for (p,) in loaded.sql(
        "SELECT payload FROM audit WHERE event = 'outcomes_imported' ORDER BY seq LIMIT 1")]
    assert entry["by_outcome"] == {"returned_mail": 1, "right_party": 1}


@pytest.mark.parametrize("row, reason", [
    (dict(account_id="ACC-1", channel="fax", value="1", outcome="x", date="2026-01-01"),
     "unknown channel"),
    (dict(account_id="ACC-1", channel="phone", value="555", outcome="right_party",
          date="2026-01-01"), "unreadable phone value"),
    (dict(account_id="NOPE", channel="phone", value="3095550144", outcome="wrong_party",
          date="2026-01-01"), "unknown account_id"),
    (dict(account_id="ACC-1", channel="phone", value="3095550144", outcome="bounced",
          date="2026-01-01"), "unknown phone outcome"),
    (dict(account_id="ACC-1", channel="phone", value="3095550144", outcome="wrong_party",
          date="2099-01-01"), "date is in the future"),
    (dict(account_id="ACC-1", channel="phone", value="3095550144", outcome="wrong_party",
          date="2026-01-01", note="caller gave ssn 123-45-6789"), "note seems to contain"),
    (dict(account_id="ACC-1", channel="phone", value="", outcome="wrong_party",
          date="2026-01-01"), "missing required field value"),
])
def test_a_bad_row_goes_to_the_rejects_report_and_the_rest_is_kept(loaded, row, reason):
    good = dict(account_id="ACC-1", channel="phone", value="3095550144",
                outcome="no_answer", date="2026-02-02")
    path = loaded.write_csv("o.csv", [good, row], COLUMNS)
    run = loaded("outcomes", "import", path, "--user", "alice", "--json")
    assert run.exit_code == 0 and "Traceback" not in run.output
    assert json.loads(run.stdout)["imported"] == 1
    with open(loaded.root / "o.rejects.csv", newline="") as fh:
        [reject] = list(csv.DictReader(fh))
    assert reason in reject["reason"]
    assert "123-45-6789" not in (loaded.root / "o.rejects.csv").read_text()


def test_a_file_without_the_required_columns_is_refused(loaded):
    path = loaded.write_csv("o.csv", [dict(account_id="ACC-1", number="3095550144")])
    run = loaded("outcomes", "import", path, "--user", "alice")
    assert run.exit_code == 2 and "no channel column" in run.output


def test_a_wrong_party_for_this_debtor_demotes_the_number(loaded):
    before = phones(trace(loaded))
    assert before[0]["value"] == "+13095550144"
    path = loaded.write_csv("o.csv", [dict(account_id="ACC-1", channel="phone",
                                           value="309.555.0144", outcome="wrong_party",
                                           date="2026-10-28")], COLUMNS)
    assert loaded("outcomes", "import", path, "--user", "alice").exit_code == 0
    after = phones(trace(loaded))
    demoted = next(c for c in after if c["value"] == "+13095550144")
    assert demoted["rank"] > 1 and demoted["confidence"] < before[0]["confidence"]
    assert "wrong party for this debtor" in demoted["explanation"]


def test_a_disconnect_on_another_account_is_evidence_here(loaded):
    base = next(c for c in phones(trace(loaded)) if c["value"] == "+13095550144")
    path = loaded.write_csv("o.csv", [dict(account_id="ACC-3", channel="phone",
                                           value="3095550144", outcome="disconnected",
                                           date="2026-10-28")], COLUMNS)
    assert loaded("outcomes", "import", path, "--user", "alice").exit_code == 0
    after = next(c for c in phones(trace(loaded)) if c["value"] == "+13095550144")
    assert after["confidence"] < base["confidence"] / 2
    assert "disconnected 2026-10-28" in after["explanation"]


def test_a_lookup_records_the_models_that_scored_it(loaded):
    result = trace(loaded)
    [payload] = [json.loads(p) for (p,) in loaded.sql(
        "SELECT payload FROM audit WHERE event = 'candidates_ranked' AND lookup_id = ?",
        (result["lookup_id"],))]
    assert payload["models"] == {"match": 0, "contact": 0}


def test_the_trace_text_shows_the_reference_and_the_line_type(loaded):
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice", "--as-of", "2026-11-01")
    assert "phone:1" in run.stdout and "+13095550144 mobile" in run.stdout
    assert "address:1" in run.stdout
