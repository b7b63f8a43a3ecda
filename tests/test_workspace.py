"""The workspace file: WAL, schema version and migrations, and its secret."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from tracer.errors import WorkspaceError
from tracer.workspace import SCHEMA_VERSION, init_workspace, open_workspace


def test_init_creates_wal_workspace_with_schema_and_secret(ws):
    conn = sqlite3.connect(ws.db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "accounts", "records", "lookups", "audit", "contact_results"} <= tables
    key = ws.db.with_name("tracer.db.key")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    secret = key.read_text().strip()
    assert len(secret) == 64
    assert all(secret not in run.output for run in ws.runs)


def test_init_twice_keeps_the_workspace(ws):
    key = ws.db.with_name("tracer.db.key").read_text()
    run = ws("init")
    assert run.exit_code == 0 and "schema" in run.stdout
    assert ws.db.with_name("tracer.db.key").read_text() == key
    assert ws.sql("SELECT count(*) FROM users")[0][0] == 3


def test_newer_schema_is_refused(tmp_path):
    workspace, _ = init_workspace(tmp_path / "w.db")
    workspace.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    workspace.close()
    with pytest.raises(WorkspaceError, match="newer than this tracer"):
        open_workspace(tmp_path / "w.db")


def test_missing_secret_is_a_clear_error(tmp_path):
    workspace, _ = init_workspace(tmp_path / "w.db")
    workspace.close()
    (tmp_path / "w.db.key").unlink()
    with pytest.raises(WorkspaceError, match="secret"):
        open_workspace(tmp_path / "w.db")
    with pytest.raises(WorkspaceError, match="key file"):
        init_workspace(tmp_path / "w.db")


def test_keyed_hash_depends_on_the_workspace_secret(tmp_path):
    a, _ = init_workspace(tmp_path / "a.db")
    b, _ = init_workspace(tmp_path / "b.db")
    assert a.keyed_hash("912345678") == a.keyed_hash("912345678")
    assert a.keyed_hash("912345678") != b.keyed_hash("912345678")


@pytest.mark.parametrize("role, ok", [("collector", True), ("supervisor", True),
                                      ("compliance", True), ("data", True), ("admin", False)])
def test_users_roles(ws, role, ok):
    run = ws("users", "add", f"u-{role}", "--role", role, "--user", "sam")
    assert (run.exit_code == 0) is ok
    listed = ws("users", "list").stdout
    assert (f"u-{role}" in listed) is ok
