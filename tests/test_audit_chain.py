"""The audit trail is append-only and tamper-evident (DESIGN.md invariant 3)."""

from __future__ import annotations

import json
import sqlite3

import pytest

REASON = "mail returned undeliverable, need a current address"


@pytest.fixture
def traced(loaded):
    for account in ("ACC-1", "ACC-2", "ACC-1"):
        loaded("trace", account, "--purpose", "collect-debt", "--reason", REASON,
               "--user", "alice")
    assert loaded("audit", "verify").exit_code == 0
    return loaded


def tamper(ws, *statements):
    """Edit the SQLite file directly, as an attacker with file access would."""
    conn = sqlite3.connect(ws.db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                " AND tbl_name = 'audit'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    for stmt in statements:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def test_triggers_refuse_update_and_delete(traced):
    conn = sqlite3.connect(traced.db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq = 3")
    conn.close()


def _payload_edit(ws, seq):
    payload = json.loads(ws.sql("SELECT payload FROM audit WHERE seq = ?", (seq,))[0][0])
    payload["reason"] = "edited afterwards"
    return json.dumps(payload).replace("'", "''")


@pytest.mark.parametrize("attack, first_bad", [
    ("edit actor", 7),
    ("edit payload", 7),
    ("delete", 7),
    ("swap", 7),
    ("insert", 7),
])
def test_verify_names_the_first_bad_entry(traced, attack, first_bad):
    if attack == "edit actor":
        tamper(traced, "UPDATE audit SET actor = 'mallory' WHERE seq = 7")
    elif attack == "edit payload":
        tamper(traced, f"UPDATE audit SET payload = '{_payload_edit(traced, 7)}' WHERE seq = 7")
    elif attack == "delete":
        tamper(traced, "DELETE FROM audit WHERE seq = 7",
               "UPDATE audit SET seq = seq - 1 WHERE seq > 7")
    elif attack == "swap":
        tamper(traced, "UPDATE audit SET seq = -1 WHERE seq = 7",
               "UPDATE audit SET seq = 7 WHERE seq = 8",
               "UPDATE audit SET seq = 8 WHERE seq = -1")
    elif attack == "insert":
        row = traced.sql("SELECT * FROM audit WHERE seq = 6")[0]
        tamper(traced, "UPDATE audit SET seq = seq + 1000 WHERE seq >= 7",
               "UPDATE audit SET seq = seq - 999 WHERE seq >= 1007",
               "INSERT INTO audit (seq, ts, event, actor, account_id, lookup_id, payload,"
               " payload_sha256, redacted, prev_hash, hash) VALUES (7, '%s', 'decision',"
               " 'mallory', 'ACC-1', 'L-x', '{}', '%s', 0, '%s', '%s')"
               % (row[1], row[7], row[10], "f" * 64))
    run = traced("audit", "verify")
    assert run.exit_code == 1
    assert f"entry {first_bad}" in run.stderr, run.stderr


def test_plain_delete_leaves_a_gap_that_verify_reports(traced):
    tamper(traced, "DELETE FROM audit WHERE seq = 5")
    run = traced("audit", "verify")
    assert run.exit_code == 1
    assert "audit entry 5 is missing" in run.stderr


def test_checkpoint_detects_a_truncated_tail(traced, tmp_path):
    checkpoint = tmp_path / "head.json"
    assert traced("audit", "checkpoint", "--out", checkpoint).exit_code == 0
    assert traced("audit", "verify", "--checkpoint", checkpoint).exit_code == 0
    last = traced.sql("SELECT max(seq) FROM audit")[0][0]
    tamper(traced, f"DELETE FROM audit WHERE seq >= {last - 1}")
    assert traced("audit", "verify").exit_code == 0  # the chain alone cannot see it
    run = traced("audit", "verify", "--checkpoint", checkpoint)
    assert run.exit_code == 1
    assert "truncated" in run.stderr


def test_forged_checkpoint_is_refused(traced, tmp_path):
    checkpoint = tmp_path / "head.json"
    traced("audit", "checkpoint", "--out", checkpoint)
    data = json.loads(checkpoint.read_text())
    data["seq"] = 1
    checkpoint.write_text(json.dumps(data))
    run = traced("audit", "verify", "--checkpoint", checkpoint)
    assert run.exit_code == 1 and "signature" in run.stderr
