"""The workspace on PostgreSQL (a real server, tests/pg_server.py): N writer processes
keep one audit chain under the advisory lock, and the database itself refuses to
change or remove an audit entry (triggers, and the application role's privileges)."""

from __future__ import annotations

import json
import multiprocessing

import psycopg
import sqlite3

import pytest

from tracer.audit.chain import canonical_json, redact_payload
from tracer.audit.trail import AuditTrail
from tracer.store.postgres.dialect import translate
from tracer.workspace import open_workspace

WRITERS, ENTRIES = 4, 40


@pytest.mark.parametrize("sqlite, postgres", [
    ("SELECT a FROM t WHERE b = ? AND c IS ?",
     "SELECT a FROM t WHERE b = %s AND c IS NOT DISTINCT FROM %s"),
    ("INSERT OR IGNORE INTO outcomes (a) VALUES (?)",
     "INSERT INTO outcomes (a) VALUES (%s) ON CONFLICT DO NOTHING"),
    ("SELECT json_extract(r.payload, '$.purpose') FROM audit r",
     "SELECT (r.payload::jsonb ->> 'purpose') FROM audit r"),
    ("SELECT seq FROM audit ORDER BY rowid", "SELECT seq FROM audit ORDER BY seq"),
    ("SELECT id FROM records WHERE id % ? = 0 AND x LIKE '%a?'",
     "SELECT id FROM records WHERE id %% %s = 0 AND x ILIKE '%%a?'"),
    ("DELETE FROM temp.import_ids", "DELETE FROM pg_temp.import_ids"),
])
def test_sqlite_statements_are_put_in_postgresql_words(sqlite, postgres):
    assert translate(sqlite) == postgres


def _append(url: str, key_file: str, writer: int) -> None:
    import os
    os.environ["TRACER_KEY_FILE"] = key_file
    ws = open_workspace(url)
    trail = AuditTrail(ws)
    for i in range(ENTRIES):
        trail.append("review_finding", {"writer": writer, "n": i}, actor=f"w{writer}")
    ws.close()


def test_four_writer_processes_keep_one_chain_with_no_gap(pg_url, tmp_path):
    mp = multiprocessing.get_context("spawn")
    procs = [mp.Process(target=_append, args=(pg_url, str(tmp_path / "pg.key"), w))
             for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    ws = open_workspace(pg_url)
    try:
        assert AuditTrail(ws).verify() == 1 + WRITERS * ENTRIES
        with ws.unit_of_work() as uow:
            seqs = [row[0] for row in uow.audit.chain_rows()]
        assert seqs == list(range(1, 2 + WRITERS * ENTRIES))
    finally:
        ws.close()


@pytest.mark.parametrize("statement", [
    "UPDATE audit SET actor = 'mallory' WHERE seq = 1",
    "UPDATE audit SET payload = '{}' WHERE seq = 1",
    "DELETE FROM audit WHERE seq = 1",
    "TRUNCATE audit",
])
def test_the_application_role_cannot_change_or_remove_an_audit_entry(pg_url, statement):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(statement)
        assert ("permission denied" in str(refused.value)
                or "append-only" in str(refused.value))
        assert conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 1


def test_even_the_owner_is_refused_by_the_trigger(pg_server, pg_url):
    owner = pg_url.replace("tracer_app:app-secret@", "tracer_admin@")
    with psycopg.connect(owner, autocommit=True) as conn:
        for statement in ("UPDATE audit SET actor = 'mallory' WHERE seq = 1",
                          "DELETE FROM audit WHERE seq = 1", "TRUNCATE audit"):
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute(statement)


def test_a_redaction_writes_only_the_committed_redacted_form(pg_url):
    ws = open_workspace(pg_url)
    try:
        AuditTrail(ws).append("review_finding", {"note": "spoke to the debtor's sister"},
                              actor="carol")
        with ws.unit_of_work() as uow:
            seq, payload = uow.audit.head()[0], uow.audit.export_rows()
            entry = list(payload)[-1]
        with pytest.raises(psycopg.Error, match="append-only"):
            with ws.unit_of_work(write=True) as uow:
                uow.audit.redact(seq, '{"redacted":true,"forged":1}')
        redacted = canonical_json(redact_payload(json.loads(entry["payload"])))
        with ws.unit_of_work(write=True) as uow:
            uow.audit.redact(seq, redacted)
        with ws.unit_of_work() as uow:
            assert list(uow.audit.export_rows())[-1]["redacted"] == 1
    finally:
        ws.close()


def test_init_and_every_command_take_a_postgresql_url(pg_server, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tracer.cli import cli
    url = pg_server.admin_url(pg_server.new_database())
    monkeypatch.setenv("TRACER_KEY_FILE", str(tmp_path / "ws.key"))
    monkeypatch.setenv("TRACER_DB", url)
    runner = CliRunner()
    first = runner.invoke(cli, ["init"])
    assert first.exit_code == 0 and "Created workspace" in first.output
    assert "copy it to every host" in first.output
    assert runner.invoke(cli, ["users", "add", "ana", "--role", "collector"]).exit_code == 0
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    (tmp_path / "other.key").write_text("00" * 32)
    (tmp_path / "other.key").chmod(0o600)
    monkeypatch.setenv("TRACER_KEY_FILE", str(tmp_path / "other.key"))
    refused = runner.invoke(cli, ["audit", "verify"])
    assert refused.exit_code != 0 and "is not the secret key" in refused.output


def test_a_workspace_copied_to_postgresql_and_back_keeps_its_chain_and_data(
        loaded, pg_server, tmp_path, monkeypatch):
    """SQLite -> PostgreSQL -> SQLite: every row, the same secret (a trace on the copy
    opens its sealed DOBs), the chain verified after each copy."""
    url = pg_server.admin_url(pg_server.new_database())
    monkeypatch.setenv("TRACER_KEY_FILE", str(tmp_path / "copy.key"))
    there = loaded("workspace", "copy", str(loaded.db), url)
    assert there.exit_code == 0, there.output
    assert "audit chain verified" in there.output
    traced = loaded("--db", url, "trace", "ACC-1", "--purpose", "collect-debt", "--reason",
                    "mail returned undeliverable, need a current address", "--user", "alice")
    assert traced.exit_code == 0, traced.output
    back_db = tmp_path / "back.db"
    back = loaded("workspace", "copy", url, str(back_db))
    assert back.exit_code == 0, back.output
    entries = loaded("--db", str(back_db), "audit", "verify")
    assert entries.exit_code == 0, entries.output
    source = sqlite3.connect(loaded.db)
    copied = sqlite3.connect(back_db)
    for table in ("accounts", "records", "users"):
        assert (source.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                == copied.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall())
    assert copied.execute("SELECT count(*) FROM lookups").fetchone()[0] == 1
    again = loaded("workspace", "copy", str(loaded.db), url)
    assert again.exit_code != 0 and "already holds a workspace" in again.output
