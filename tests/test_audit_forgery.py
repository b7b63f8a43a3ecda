"""An audit chain a writer cannot re-forge unseen (issue #19, part 1).

Every attack here edits the SQLite file directly, as someone who can write the workspace
(and read its key file) would: the chain alone cannot stop a full re-forge, a checkpoint
signed with compliance's Ed25519 key (held elsewhere) catches it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat

import pytest

from tracer.audit.trail import canonical_json, redact_payload

REASON = "mail returned undeliverable, need a current address"


@pytest.fixture
def traced(loaded):
    for account in ("ACC-1", "ACC-2", "ACC-3"):
        loaded("trace", account, "--purpose", "collect-debt", "--reason", REASON,
               "--user", "alice")
    assert loaded("audit", "verify").exit_code == 0
    return loaded


@pytest.fixture
def keys(ws, tmp_path):
    """Compliance's key pair, kept outside the workspace's folder."""
    folder = tmp_path / "compliance"
    folder.mkdir()
    private = folder / "audit.key"
    run = ws("audit", "keygen", "--out", private)
    assert run.exit_code == 0, run.output
    return private, folder / "audit.key.pub"


def _attacker(ws):
    """A plain sqlite3 connection with every audit trigger dropped."""
    conn = sqlite3.connect(ws.db)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                            " AND tbl_name = 'audit'").fetchall()
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    return conn, triggers


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _reforge(conn) -> None:
    """Recompute every hash after an edit with docs/audit.md's public recipe."""
    prev = "0" * 64
    rows = conn.execute("SELECT seq, ts, event, actor, account_id, lookup_id, payload,"
                        " redacted, chain, actor_auth FROM audit ORDER BY seq").fetchall()
    for seq, ts, event, actor, account, lookup, payload, redacted, chain, auth in rows:
        body = {"seq": seq, "ts": ts, "event": event, "actor": actor, "account_id": account,
                "lookup_id": lookup, "payload_sha256": _sha(payload)}
        red = _sha(canonical_json(redact_payload(json.loads(payload))))
        if chain >= 2:
            body.update(actor_auth=auth, redacted_sha256=red, chain=chain)
        digest = _sha(prev + canonical_json(body))
        conn.execute("UPDATE audit SET payload_sha256 = ?, redacted_sha256 = ?, prev_hash = ?,"
                     " hash = ? WHERE seq = ?", (body["payload_sha256"], red, prev, digest, seq))
        prev = digest


def _decision_seq(ws, account="ACC-1") -> int:
    return ws.sql("SELECT seq FROM audit WHERE event = 'decision' AND account_id = ?"
                  " ORDER BY seq LIMIT 1", (account,))[0][0]


def test_a_plain_connection_cannot_swap_a_payload_under_redacted(traced):
    seq = _decision_seq(traced)
    conn = sqlite3.connect(traced.db)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("UPDATE audit SET payload = '{\"outcome\":\"deny\"}', redacted = 1"
                     " WHERE seq = ?", (seq,))
    conn.close()
    assert traced("audit", "verify").exit_code == 0


@pytest.mark.parametrize("attack", ["made-up denial", "made-up denial, hashes fixed",
                                    "true redacted form, no redaction entry"])
def test_a_redaction_swap_is_caught_by_verify(traced, attack):
    seq = _decision_seq(traced)
    original = traced.sql("SELECT payload FROM audit WHERE seq = ?", (seq,))[0][0]
    fake = canonical_json({"outcome": "deny", "redacted": True, "reason_codes": ["made_up"]})
    conn, _ = _attacker(traced)
    if attack == "true redacted form, no redaction entry":
        fake = canonical_json(redact_payload(json.loads(original)))
    conn.execute("UPDATE audit SET payload = ?, redacted = 1 WHERE seq = ?", (fake, seq))
    if attack == "made-up denial, hashes fixed":
        conn.execute("UPDATE audit SET redacted_sha256 = ? WHERE seq = ?", (_sha(fake), seq))
    conn.commit()
    conn.close()
    run = traced("audit", "verify")
    assert run.exit_code == 1, run.output
    assert f"audit entry {seq}" in run.stderr
    expected = {"made-up denial": "not the redacted form",
                "made-up denial, hashes fixed": "hash mismatch",
                "true redacted form, no redaction entry": "no redaction entry covers it"}
    assert expected[attack] in run.stderr


def test_a_reforged_chain_passes_the_chain_but_not_a_signed_checkpoint(traced, keys, tmp_path):
    private, public = keys
    signed = tmp_path / "head.json"
    assert traced("audit", "checkpoint", "--key", private, "--out", signed).exit_code == 0
    assert traced("audit", "verify", "--checkpoint", signed,
                  "--public-key", public).exit_code == 0
    # The attacker renames the actor of every entry, recomputes the whole chain and puts
    # the triggers back: the chain is unkeyed, so verify alone cannot tell.
    conn, triggers = _attacker(traced)
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE actor = 'alice'")
    _reforge(conn)
    for _name, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
    assert traced("audit", "verify").exit_code == 0
    # The workspace secret is readable by the same writer: a legacy checkpoint re-signed
    # for the forged head passes too (docs/audit.md says so) ...
    forged = tmp_path / "forged.json"
    assert traced("audit", "checkpoint", "--out", forged).exit_code == 0
    assert traced("audit", "verify", "--checkpoint", forged).exit_code == 0
    # ... but compliance's signed checkpoint no longer matches,
    run = traced("audit", "verify", "--checkpoint", signed, "--public-key", public)
    assert run.exit_code == 1 and "differs from the checkpoint" in run.stderr
    # and a checkpoint signed with the attacker's own key is refused by compliance's.
    other = tmp_path / "mallory.key"
    assert traced("audit", "keygen", "--out", other).exit_code == 0
    assert traced("audit", "checkpoint", "--key", other, "--out", forged).exit_code == 0
    run = traced("audit", "verify", "--checkpoint", forged, "--public-key", public)
    assert run.exit_code == 1 and "signature does not match" in run.stderr


def test_actor_auth_is_recorded_and_hashed(traced):
    rows = traced.sql("SELECT actor, actor_auth, chain FROM audit")
    assert {(a is not None, auth) for a, auth, _ in rows} <= {(True, "claimed"), (False, "none")}
    assert {chain for _, _, chain in rows} == {2}
    conn, triggers = _attacker(traced)
    conn.execute("UPDATE audit SET actor_auth = 'password' WHERE seq = 5")
    for _name, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
    run = traced("audit", "verify")
    assert run.exit_code == 1 and "audit entry 5 was edited" in run.stderr


def test_a_signed_checkpoint_needs_its_public_key(traced, keys, tmp_path):
    private, public = keys
    signed = tmp_path / "head.json"
    traced("audit", "checkpoint", "--key", private, "--out", signed)
    run = traced("audit", "verify", "--checkpoint", signed)
    assert run.exit_code == 2 and "--public-key" in run.stderr
    legacy = tmp_path / "legacy.json"
    traced("audit", "checkpoint", "--out", legacy)
    run = traced("audit", "verify", "--checkpoint", legacy, "--public-key", public)
    assert run.exit_code == 1 and "not signed with an Ed25519 key" in run.stderr


def test_keygen_writes_an_owner_only_key_and_never_overwrites(ws, keys):
    private, public = keys
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes() and b"PUBLIC KEY" in public.read_bytes()
    before = private.read_bytes()
    run = ws("audit", "keygen", "--out", private)
    assert run.exit_code == 2 and "never overwritten" in run.stderr
    assert private.read_bytes() == before
    run = ws("audit", "keygen", "--out", ws.root / "tracer.db.key")
    assert run.exit_code == 2 and "would overwrite the workspace" in run.stderr


def test_a_key_others_can_read_is_refused_with_the_chmod(traced, keys):
    private, _ = keys
    os.chmod(private, 0o644)
    run = traced("audit", "checkpoint", "--key", private)
    assert run.exit_code == 1 and f"chmod 600 {private}" in run.stderr


def test_batch_ends_with_a_signed_checkpoint_when_a_key_is_configured(loaded, keys):
    private, public = keys
    env = {"TRACER_CHECKPOINT_KEY": str(private)}
    run = loaded("batch", "--purpose", "collect-debt", "--reason", REASON, "--user", "sam",
                 "--json", env=env)
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    checkpoint = summary["checkpoint"]
    assert checkpoint.startswith(str(private.parent)) and checkpoint.endswith(".checkpoint.json")
    data = json.loads(open(checkpoint).read())
    last = loaded.sql("SELECT max(seq), event FROM audit")[0]
    assert data["seq"] == last[0] and data["alg"] == "ed25519"
    assert loaded("audit", "verify", "--checkpoint", checkpoint,
                  "--public-key", public).exit_code == 0


@pytest.mark.parametrize("loss", ["emptied", "deleted", "replaced"])
def test_init_refuses_a_lost_database_whose_key_remains(ws, loss):
    if loss == "emptied":
        ws.db.write_bytes(b"")
    elif loss == "deleted":
        ws.db.unlink()
    else:
        ws.db.unlink()
        sqlite3.connect(ws.db).close()
    for side in ("tracer.db-wal", "tracer.db-shm"):
        (ws.root / side).unlink(missing_ok=True)
    run = ws("init")
    assert run.exit_code == 1, run.output
    assert "its secret key" in run.stderr and "Restore tracer.db" in run.stderr
    assert "OK: 0 audit entries" not in ws("audit", "verify").output


def test_a_schema_5_trail_migrates_and_still_verifies(tmp_path):
    """Entries written before schema 8 (chain 1, a retention redaction among them) keep
    verifying; new entries are chain 2; an old entry can still be redacted, only to its
    redacted form."""
    from conftest import workspace_at_schema
    from tracer.audit.trail import GENESIS, AuditTrail, entry_hash, sha256_hex
    from tracer.workspace import open_workspace

    db = tmp_path / "old.db"
    conn = workspace_at_schema(db, 5)
    prev = GENESIS
    payloads = [("decision", {"outcome": "allow", "reason": "old reason"}, "ACC-1"),
                ("decision", {"outcome": "deny", "reason": "older"}, "ACC-2"),
                ("redaction", {"before": "2019-01-01", "accounts": 1, "entries": 1}, None)]
    for seq, (event, payload, account) in enumerate(payloads, start=1):
        ts = "2018-06-01T00:00:00+00:00" if seq < 3 else "2023-01-02T00:00:00+00:00"
        text = canonical_json(payload)
        header = {"seq": seq, "ts": ts, "event": event, "actor": "ann",
                  "account_id": account, "lookup_id": None}
        digest = entry_hash(prev, header, sha256_hex(text))
        stored = canonical_json(redact_payload(payload)) if seq == 2 else text
        conn.execute("INSERT INTO audit (seq, ts, event, actor, account_id, lookup_id, payload,"
                     " payload_sha256, redacted, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (seq, ts, event, "ann", account, None, stored, sha256_hex(text),
                      int(seq == 2), prev, digest))
        prev = digest
    conn.close()
    ws = open_workspace(db)
    trail = AuditTrail(ws)
    assert trail.verify() == 3
    trail.append("user_added", {"user": "bo"}, actor="ann")
    assert trail.verify() == 4
    assert [r[0] for r in ws.conn.execute("SELECT chain FROM audit ORDER BY seq")] == [1, 1, 1, 2]
    with pytest.raises(sqlite3.DatabaseError):
        ws.conn.execute("UPDATE audit SET payload = '{}', redacted = 1 WHERE seq = 1")
    ws.conn.execute("UPDATE audit SET payload = ?, redacted = 1 WHERE seq = 1",
                    (canonical_json(redact_payload({"outcome": "allow", "reason": "x"})),))
    ws.close()


def test_an_entry_in_an_older_chain_format_is_refused(traced):
    """The chain-format guard (migration 11) reads the newest entry, not the whole
    trail, and still refuses a step back."""
    conn = sqlite3.connect(traced.db)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(audit)") if r[1] != "seq"]
        newest = dict(zip(cols, conn.execute(
            f"SELECT {', '.join(cols)} FROM audit ORDER BY seq DESC LIMIT 1").fetchone()))
        assert newest["chain"] == 2
        older = {**newest, "chain": 1}
        with pytest.raises(sqlite3.IntegrityError, match="newest chain format"):
            conn.execute(f"INSERT INTO audit ({', '.join(cols)}) VALUES"
                         f" ({', '.join('?' * len(cols))})", [older[c] for c in cols])
        trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name ="
                               " 'audit_chain_forward'").fetchone()[0]
        assert "max(" not in trigger and "ORDER BY seq DESC LIMIT 1" in trigger
    finally:
        conn.close()
