"""Outputs, lookups and dates a user gives are checked before any work or audit entry:
no `--out` overwrites the workspace, no traceback, no graph under the wrong account,
no date compared as raw text, no spreadsheet formula in a contacts export."""

from __future__ import annotations

import csv
import sqlite3

import pytest

REASON = "mail returned undeliverable, need a current address"

# Every command that writes a file, with the user allowed to run it.
OUTPUT_COMMANDS = {
    "export contacts": ("export", "contacts", "--user", "alice"),
    "audit export": ("audit", "export", "--user", "carol"),
    "audit export csv": ("audit", "export", "--format", "csv", "--user", "carol"),
    "audit checkpoint": ("audit", "checkpoint"),
    "graph json": ("graph", "ACC-1", "--user", "alice"),
    "graph html": ("graph", "ACC-1", "--format", "html", "--user", "alice"),
}
WORKSPACE_FILES = {
    "database": "tracer.db",
    "secret key": "tracer.db.key",
    "-wal": "tracer.db-wal",
    "-shm": "tracer.db-shm",
    "-journal": "tracer.db-journal",
}


@pytest.fixture
def traced(loaded):
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice", "--as-of", "2026-11-01")
    assert run.exit_code == 0, run.output
    return loaded


def _audit_count(ws) -> int:
    return ws.sql("SELECT count(*) FROM audit")[0][0]


def _snapshot(ws) -> dict[str, bytes | None]:
    return {name: (ws.root / name).read_bytes() if (ws.root / name).exists() else None
            for name in ("tracer.db", "tracer.db.key")}


def _assert_clean_refusal(run, *fragments):
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output
    assert run.stderr.startswith("Error:"), run.output
    for fragment in fragments:
        assert fragment in run.stderr, run.stderr


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
@pytest.mark.parametrize("target", WORKSPACE_FILES)
def test_no_output_overwrites_the_workspace(traced, command, target):
    before_files, before_audit = _snapshot(traced), _audit_count(traced)
    out = traced.root / WORKSPACE_FILES[target]
    run = traced(*OUTPUT_COMMANDS[command], "--out", out)
    _assert_clean_refusal(run, "would overwrite the workspace")
    assert _snapshot(traced) == before_files
    assert _audit_count(traced) == before_audit       # nothing audited for a refused export
    assert traced("audit", "verify").exit_code == 0


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
@pytest.mark.parametrize("how", ["symlink", "hardlink", "dotdot"])
def test_aliases_of_the_workspace_are_refused(traced, command, how):
    (traced.root / "sub").mkdir()
    if how == "symlink":
        out = traced.root / "alias.db"
        out.symlink_to(traced.db)
    elif how == "hardlink":
        out = traced.root / "alias.key"
        out.hardlink_to(traced.root / "tracer.db.key")
    else:
        out = traced.root / "sub" / ".." / "tracer.db"
    run = traced(*OUTPUT_COMMANDS[command], "--out", out)
    _assert_clean_refusal(run, "would overwrite the workspace")


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_output_in_a_missing_folder_is_refused_before_auditing(traced, command):
    before = _audit_count(traced)
    run = traced(*OUTPUT_COMMANDS[command], "--out", traced.root / "missing" / "out.txt")
    _assert_clean_refusal(run, "does not exist")
    assert _audit_count(traced) == before


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_output_that_is_a_folder_is_refused(traced, command):
    (traced.root / "folder").mkdir()
    run = traced(*OUTPUT_COMMANDS[command], "--out", traced.root / "folder")
    assert run.exit_code == 2 and "Traceback" not in run.output


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_an_ordinary_output_still_works(traced, command):
    out = traced.root / "out.txt"
    run = traced(*OUTPUT_COMMANDS[command], "--out", out)
    assert run.exit_code == 0, run.output
    assert out.stat().st_size > 0


# -- audit verify does not vouch for a lost trail ---------------------------------------

def _empty_the_trail(ws):
    conn = sqlite3.connect(ws.db)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit")
    conn.commit()
    conn.close()


def _empty_the_database(ws):
    ws.db.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        ws.db.with_name(ws.db.name + suffix).unlink(missing_ok=True)


@pytest.mark.parametrize("loss, message", [
    (_empty_the_trail, "lost entries"),
    (_empty_the_database, "not a tracer workspace"),
])
def test_verify_fails_on_a_lost_trail(traced, loss, message):
    assert traced("audit", "verify").exit_code == 0
    loss(traced)
    run = traced("audit", "verify")
    assert run.exit_code == 1, run.output
    assert "OK" not in run.stdout and message in run.output


def test_verify_of_a_fresh_workspace_is_ok(ws):
    run = ws("audit", "verify")
    assert run.exit_code == 0 and run.stdout.startswith("OK")


# -- graph --lookup ----------------------------------------------------------------------

def _lookup_of(ws, account):
    return ws.sql("SELECT lookup_id FROM lookups WHERE account_id = ?", (account,))[0][0]


@pytest.mark.parametrize("account, lookup, message", [
    ("ACC-1", "L-nope", "no such lookup"),
    ("ACC-1", "of ACC-3", "is not a lookup of account ACC-1"),
    ("NOPE", "of NOPE", "was denied"),
    ("ACC-2", "of ACC-2", "was denied"),
])
def test_graph_refuses_a_wrong_lookup(traced, account, lookup, message):
    for other in ("ACC-3", "NOPE", "ACC-2"):
        traced("trace", other, "--purpose", "collect-debt", "--reason", REASON,
               "--user", "sam", "--as-of", "2026-11-01")
    if lookup.startswith("of "):
        lookup = _lookup_of(traced, lookup[3:])
    before = _audit_count(traced)
    run = traced("graph", account, "--lookup", lookup, "--user", "sam")
    _assert_clean_refusal(run, message)
    assert _audit_count(traced) == before


def test_graph_accepts_the_accounts_own_lookup(traced):
    lookup = _lookup_of(traced, "ACC-1")
    run = traced("graph", "ACC-1", "--lookup", lookup, "--user", "alice")
    assert run.exit_code == 0, run.output
    assert f'"lookup_id": "{lookup}"' in run.stdout


# -- audit date filters ------------------------------------------------------------------

AUDIT_DATE_COMMANDS = {
    "list": ("audit", "list", "--json", "--user", "carol"),
    "stats": ("audit", "stats", "--json", "--user", "carol"),
    "sample": ("audit", "sample", "5", "--seed", "1", "--json", "--user", "carol"),
}


@pytest.mark.parametrize("command", AUDIT_DATE_COMMANDS)
@pytest.mark.parametrize("option", ["--since", "--until"])
@pytest.mark.parametrize("value", ["garbage", "2026-02-30", "13/45/2026", "2026-12"])
def test_unreadable_audit_dates_are_refused(traced, command, option, value):
    run = traced(*AUDIT_DATE_COMMANDS[command], option, value)
    _assert_clean_refusal(run, option, repr(value))


def _listed(ws, *options) -> int:
    run = ws(*AUDIT_DATE_COMMANDS["list"], *options)
    assert run.exit_code == 0, run.output
    return len(run.stdout.splitlines())


@pytest.mark.parametrize("options, expected", [
    (("--since", "2000-01-01"), 1),
    (("--since", "01/01/2000"), 1),
    (("--since", "Jan 1 2000"), 1),
    (("--since", "01/01/2099"), 0),
    (("--until", "01/01/2000"), 0),
    (("--until", "12/31/2099"), 1),
    (("--since", "01/01/2000", "--until", "2099-12-31"), 1),
])
def test_audit_dates_are_read_as_dates(traced, options, expected):
    assert _listed(traced, *options) == expected


def test_until_includes_the_whole_day(traced):
    day = traced.sql("SELECT substr(ts, 1, 10) FROM audit WHERE event = 'lookup_requested'")[0][0]
    y, m, d = day.split("-")
    assert _listed(traced, "--until", f"{m}/{d}/{y}") == 1
    assert _listed(traced, "--since", f"{m}/{d}/{y}") == 1


# -- spreadsheet formula injection in the contacts export --------------------------------

@pytest.mark.parametrize("value, written", [
    ("=1+1@x.com", "'=1+1@x.com"),
    ("=HYPERLINK(\"http://127.0.0.1/x\",\"x\")", "'=HYPERLINK(\"http://127.0.0.1/x\",\"x\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("+1 617 555 0101", "'+1 617 555 0101"),      # not E.164: could be anything
    ("+16175550101", "+16175550101"),             # E.164 phone: digits only, kept
    ("+447911123456", "+447911123456"),
    ("w.okafor@example.com", "w.okafor@example.com"),
    ("77 PINE AVE APT 2, PEORIA, IL 61602", "77 PINE AVE APT 2, PEORIA, IL 61602"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_contacts_export_neutralizes_formulas(traced, value, written):
    conn = sqlite3.connect(traced.db)
    conn.execute("UPDATE contact_results SET value = ?, explanation = ? WHERE kind = 'email'"
                 " OR (kind = 'address' AND rank = 1)", (value, value))
    conn.commit()
    conn.close()
    out = traced.root / "contacts.csv"
    assert traced("export", "contacts", "--out", out, "--user", "alice").exit_code == 0
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    changed = [r for r in rows if r["kind"] == "email" or (r["kind"], r["rank"]) == ("address", "1")]
    assert changed and all(r["value"] == written and r["explanation"] == written
                           for r in changed)
    phones = [r["value"] for r in rows if r["kind"] == "phone"]
    assert phones and all(p.startswith("+1") for p in phones)   # E.164 phones untouched


@pytest.mark.parametrize("cell, expected", [
    (3, 3), (0.5, 0.5), (None, None), ("-", "'-"), ("+", "'+"), ("+1", "'+1"),
    ("+123456789012345", "+123456789012345"), ("+1234567890123456", "'+1234567890123456"),
    ("+06175550101", "'+06175550101"), ("+16175550101\n", "'+16175550101\n"),
])
def test_spreadsheet_safe(cell, expected):
    from tracer.export import spreadsheet_safe
    assert spreadsheet_safe(cell) == expected
