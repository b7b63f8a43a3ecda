"""Free text users type (reasons, notes) is refused, before anything is written, when it
holds a full SSN or a date of birth: the audit trail is permanent (DESIGN.md invariant 4)."""

from __future__ import annotations

import json

import pytest

from tracer.errors import InputError
from tracer.privacy import refuse_sensitive_text

REASON = "mail returned undeliverable, need a current address"

REFUSED = [
    "debtor ssn 123456789",
    "ssn 123-45-6789 on file",
    "ssn 123 45 6789",
    "ssn 123.45.6789",
    "ref123456789x",
    "dob 01/02/1980",
    "DOB: 1980-01-02",
    "d.o.b. 1-2-80",
    "D.O.B 01021980",
    "born on Jan 2, 1980",
    "birthday 2 January 1980",
    "date of birth is 1980/01/02",
    "debtor's dob 01.02.1980",
    "01/02/1980 (dob)",
    "1980-01-02 is her birthday",
]

ALLOWED = [
    "mail returned 01/02/2026",
    "mail returned undeliverable, need a current address",
    "new zip 60601-1234",
    "called (217) 555-0101 and 217-555-0102",
    "phone 2175550101",
    "ssn ends 6789",
    "born 1980, per the creditor",
    "dob unknown; letter dated 01/02/2026",
    "acct 12345678",
    "",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refuses_full_ssn_or_dob_without_echoing_it(text):
    with pytest.raises(InputError) as caught:
        refuse_sensitive_text(text, "--reason")
    message = str(caught.value)
    assert message.startswith("--reason ")
    assert not any(ch.isdigit() for ch in message)  # nothing of the value is repeated


@pytest.mark.parametrize("text", ALLOWED)
def test_allows_plain_dates_and_partial_identifiers(text):
    assert refuse_sensitive_text(text, "--note") == text


@pytest.fixture
def lookup(loaded):
    """A completed lookup of ACC-1 (the workspace is ``lookup[0]``)."""
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice", "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    return loaded, json.loads(run.stdout)["lookup_id"]


COMMANDS = {
    "trace --reason": lambda text, lookup_id: [
        "trace", "ACC-1", "--purpose", "collect-debt", "--reason", text, "--user", "alice"],
    "batch --reason": lambda text, lookup_id: [
        "batch", "--purpose", "collect-debt", "--reason", text, "--user", "sam"],
    "consent record --note": lambda text, lookup_id: [
        "consent", "record", "ACC-1", "--channel", "phone", "--value", "(217) 555-0101",
        "--status", "granted", "--note", text, "--user", "alice"],
    "audit review --note": lambda text, lookup_id: [
        "audit", "review", lookup_id, "--finding", "ok", "--note", text, "--user", "carol"],
    "reject --note": lambda text, lookup_id: [
        "reject", lookup_id, "address:1", "--note", text, "--user", "alice"],
}
BAD_TEXTS = ["debtor read out ssn 123456789 on the call",
             "debtor read out ssn 123-45-6789 on the call",
             "debtor confirmed dob 01/02/1980 on the call"]


def _counts(ws) -> tuple:
    return tuple(ws.sql(f"SELECT count(*) FROM {table}")[0][0]
                 for table in ("audit", "lookups", "consents", "judgements"))


@pytest.mark.parametrize("text", BAD_TEXTS)
@pytest.mark.parametrize("command", COMMANDS)
def test_cli_refuses_sensitive_free_text_before_writing(lookup, command, text):
    ws, lookup_id = lookup
    before = _counts(ws)
    run = ws(*COMMANDS[command](text, lookup_id))
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("Error: ") and run.stderr.count("\n") == 1
    assert "Traceback" not in run.output
    digits = [part for part in text.split() if any(ch.isdigit() for ch in part)]
    assert not any(part in run.output for part in digits)
    assert _counts(ws) == before  # no audit entry, lookup, consent or judgement


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_accepts_a_plain_date_in_free_text(lookup, command):
    ws, lookup_id = lookup
    text = "mail returned 01/02/2026"
    run = ws(*COMMANDS[command](text, lookup_id))
    assert run.exit_code == 0, run.output
    payloads = [row[0] for row in ws.sql("SELECT payload FROM audit")]
    assert any(text in payload for payload in payloads)


def test_the_python_api_refuses_a_reason_with_an_ssn_before_any_audit_entry(tmp_path):
    from tracer import Tracer
    from tracer.workspace import init_workspace

    ws, _created = init_workspace(tmp_path / "t.db")
    try:
        before = ws.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        for reason in ("ssn 123-45-6789 per the debtor", "debtor dob 01/02/1980"):
            with pytest.raises(InputError):
                Tracer(ws).trace("A-1", user_id="sam", purpose="collect-debt", reason=reason)
        assert ws.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == before
    finally:
        ws.conn.close()
