"""Batches survive `kill -9`, never trace an account twice, and two writers never break
the audit chain."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date

import pytest

from tracer.batch import BatchRefused, BatchSpec, create_batch, resume_batch, run_batch
from tracer.batch_lookup import BatchContext, BatchTracer
from tracer.consent.gate import LookupRequest
from tracer_dev.synthetic import PORTFOLIO_COLUMNS, RECORD_COLUMNS, generate_world, write_csv
from tracer.workspace import open_workspace

REASON = "quarterly skip trace of accounts with returned mail"
AS_OF = "2026-11-01"
N_ACCOUNTS = 400


@pytest.fixture
def big(ws):
    world = generate_world(440, seed=11, account_rate=0.95)
    write_csv(ws.root / "accounts.csv", world.account_rows(N_ACCOUNTS), PORTFOLIO_COLUMNS)
    write_csv(ws.root / "records.csv", world.record_rows(), RECORD_COLUMNS)
    assert ws("accounts", "import", ws.root / "accounts.csv", "--user", "sam").exit_code == 0
    assert ws("records", "import", ws.root / "records.csv", "--source", "county",
              "--user", "sam").exit_code == 0
    return ws


def cli(ws, *args, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "TRACER_DB": str(ws.db)}
    env.pop("TRACER_USER", None)
    return subprocess.Popen([sys.executable, "-m", "tracer.cli", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def done_count(db) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM batch_items WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def results(db, batch_id) -> set[tuple]:
    conn = sqlite3.connect(db)
    try:
        return set(conn.execute(
            "SELECT c.account_id, c.kind, c.rank, c.value, c.confidence, c.identity_confidence,"
            " c.sources, c.explanation FROM contact_results c JOIN lookups l USING (lookup_id)"
            " WHERE l.batch_id = ?", (batch_id,)))
    finally:
        conn.close()


def assert_exactly_once(ws, batch_id):
    items = ws.sql("SELECT status, count(*) FROM batch_items WHERE batch_id=? GROUP BY 1",
                   (batch_id,))
    assert dict(items) == {"done": N_ACCOUNTS - ws.sql(
        "SELECT count(*) FROM accounts WHERE status != 'open'")[0][0]}
    per_account = Counter(r[0] for r in ws.sql(
        "SELECT account_id FROM lookups WHERE batch_id = ?", (batch_id,)))
    assert set(per_account.values()) == {1}, "an account was traced twice"
    for event in ("lookup_requested", "decision", "candidates_ranked"):
        per_lookup = Counter(r[0] for r in ws.sql(
            "SELECT lookup_id FROM audit WHERE event = ?", (event,)))
        assert set(per_lookup.values()) <= {1}, f"duplicate {event} entries"
    keys = [r[0] for r in ws.sql("SELECT idempotency_key FROM attachments")]
    assert len(keys) == len(set(keys))
    pairs = Counter(ws.sql("SELECT account_id, kind FROM attachments"))
    assert set(pairs.values()) <= {1}, "duplicate attachment"
    assert ws.sql("SELECT count(*) FROM lookups WHERE batch_id = ? AND status = 'decided'",
                  (batch_id,)) == [(0,)]
    verify = ws("audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_kill_9_then_resume_traces_each_account_exactly_once(big, tmp_path):
    # A copy of the workspace runs the same batch without interruption, for comparison.
    twin = tmp_path / "twin"
    twin.mkdir()
    for name in ("tracer.db", "tracer.db.key"):
        shutil.copy(big.root / name, twin / name)
    args = ["batch", "--purpose", "collect-debt", "--reason", REASON, "--user", "sam",
            "--as-of", AS_OF, "--attach-above", "0.8", "--json"]
    proc = cli(big, *args)
    deadline = time.monotonic() + 60
    while done_count(big.db) < 60:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    (batch_id, status), = big.sql("SELECT batch_id, status FROM batches")
    assert status == "running"   # as the killed process left it
    done_before = done_count(big.db)
    assert done_before < N_ACCOUNTS
    listed = json.loads(big("batch", "list", "--json").stdout)
    assert listed[0]["status"] == "interrupted" and listed[0]["done"] == done_before

    run = big("batch", "resume", batch_id, "--user", "sam", "--json")
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    assert summary["status"] == "completed" and summary["done"] == summary["total"]
    assert_exactly_once(big, batch_id)
    resumed = json.loads(big.sql("SELECT payload FROM audit WHERE event='batch_resumed'")[0][0])
    assert resumed["done"] == done_before

    twin_run = subprocess.run([sys.executable, "-m", "tracer.cli", "--db", twin / "tracer.db",
                               *args], capture_output=True, text=True)
    assert twin_run.returncode == 0, twin_run.stderr
    twin_id = json.loads(twin_run.stdout)["id"]
    assert results(big.db, batch_id) == results(twin / "tracer.db", twin_id)
    assert json.loads(twin_run.stdout)["attached"] == summary["attached"]


def test_a_lookup_opened_before_the_crash_finishes_under_its_own_decision(big):
    db = open_workspace(big.db)
    batch_id = create_batch(db, BatchSpec("sam", "collect-debt", REASON,
                                          as_of=date.fromisoformat(AS_OF),
                                          where="account_id <= 'A000010'"))
    first = db.conn.execute("SELECT account_id FROM batch_items WHERE batch_id=? ORDER BY seq",
                            (batch_id,)).fetchall()
    # Simulate a crash right after the gate committed: decision durable, no results.
    tracer = BatchTracer(db, BatchContext(batch_id, "sam", "collect-debt", REASON,
                                          date.fromisoformat(AS_OF)))
    account = next(a for (a,) in first if tracer.gate.open_lookup(
        LookupRequest(a, "sam", "collect-debt", REASON, AS_OF, None, batch_id),
        tracer.registry.infos())[1].allowed)
    lookup_id = db.conn.execute("SELECT lookup_id FROM batch_items WHERE account_id = ?",
                                (account,)).fetchone()[0]
    db.conn.execute("UPDATE batches SET owner = NULL")   # the process is gone
    left = resume_batch(db, batch_id, user_id="sam")
    assert left["open"] == 1
    summary = run_batch(db, batch_id)
    assert summary["status"] == "completed"
    assert db.conn.execute("SELECT lookup_id, status FROM lookups WHERE account_id = ?",
                           (account,)).fetchall() == [(lookup_id, "completed")]
    events = [r[0] for r in db.conn.execute(
        "SELECT event FROM audit WHERE lookup_id = ? ORDER BY seq", (lookup_id,))]
    assert events.count("lookup_requested") == events.count("decision") == 1
    assert events.count("candidates_ranked") == 1
    assert db.conn.execute("SELECT count(*) FROM contact_results WHERE lookup_id = ?",
                           (lookup_id,)).fetchone()[0] > 0
    db.close()


def test_a_second_batch_over_the_same_accounts_refuses(big):
    db = open_workspace(big.db)
    first = create_batch(db, BatchSpec("sam", "collect-debt", REASON, where="state = 'IL'"))
    # The first batch is "running" in this (live) process: its accounts are leased.
    with pytest.raises(BatchRefused, match=f"by batch {first} \\(running\\)"):
        create_batch(db, BatchSpec("sam", "collect-debt", REASON))
    with pytest.raises(BatchRefused, match="still running"):
        resume_batch(db, first, user_id="sam")
    # Disjoint accounts may run at the same time.
    other = create_batch(db, BatchSpec("sam", "collect-debt", REASON, where="state != 'IL'"))
    assert other != first
    db.conn.execute("UPDATE batches SET owner = NULL WHERE batch_id = ?", (first,))
    run = big("batch", "--purpose", "collect-debt", "--reason", REASON, "--user", "sam")
    assert run.exit_code == 4
    assert f"batch resume {first}" in run.output
    assert big("batch", "cancel", first, "--user", "sam").exit_code == 0
    assert big("batch", "cancel", other, "--user", "sam").exit_code == 4  # still "running"
    db.close()


def test_two_writer_processes_keep_the_audit_chain_intact(big):
    args = ["--purpose", "collect-debt", "--reason", REASON, "--user", "sam", "--as-of", AS_OF,
            "--json"]
    a = cli(big, "batch", "--where", "account_id < 'A000200'", *args)
    b = cli(big, "batch", "--where", "account_id >= 'A000200'", "--workers", "2", *args)
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert [a.returncode, b.returncode] == [0, 0], outs
    summaries = [json.loads(out) for out, _ in outs]
    assert sum(s["total"] for s in summaries) == big.sql(
        "SELECT count(*) FROM accounts WHERE status = 'open'")[0][0]
    for s in summaries:
        assert s["status"] == "completed"
    per_account = Counter(r[0] for r in big.sql("SELECT account_id FROM lookups"))
    assert set(per_account.values()) == {1}
    seqs = [r[0] for r in big.sql("SELECT seq FROM audit ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    verify = big("audit", "verify")
    assert verify.exit_code == 0, verify.output
