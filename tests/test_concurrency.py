"""One workspace, many threads (a web server's shape): each thread's writes are its own
transactions on its own connection, so one request's audit entries never land in (or
roll back with) another's, and the chain stays whole.  Real SQLite files throughout."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS
from tracer import Tracer, open_workspace
from tracer.audit.trail import AuditTrail

#: Run on SQLite and on PostgreSQL (tests/conftest.py, pg_server.py).
BOTH_STORES = True

REASON = "mail returned undeliverable, need a current address"
#: Who traces which accounts: two collectors, each on the accounts assigned to them.
WORKERS = {"alice": [f"ACC-A{i}" for i in range(4)], "bob": [f"ACC-B{i}" for i in range(4)]}


@pytest.fixture
def portfolio(ws):
    assert ws("users", "add", "bob", "--role", "collector", "--user", "sam").exit_code == 0
    rows = [{**ACCOUNTS[0], "account_id": account, "assigned_to": user}
            for user, accounts in WORKERS.items() for account in accounts]
    assert ws("accounts", "import", ws.write_csv("p.csv", rows, ACCOUNT_COLUMNS),
              "--user", "sam").exit_code == 0
    assert ws("records", "import", ws.write_csv("r.csv", RECORDS, RECORD_COLUMNS),
              "--source", "county_records", "--user", "sam").exit_code == 0
    return ws


def _trace_all(store, user: str, accounts: list[str], start: threading.Barrier,
               out: dict, errors: list) -> None:
    try:
        tracer = Tracer(store)
        start.wait()
        out[user] = [tracer.trace(a, user_id=user, purpose="collect-debt", reason=REASON,
                                  as_of=date(2026, 11, 1)).lookup_id for a in accounts]
    except BaseException as exc:          # surfaced by the main thread
        errors.append(exc)


def test_two_threads_tracing_one_workspace_keep_their_own_transactions(portfolio):
    store = open_workspace(portfolio.db)
    before = portfolio.sql("SELECT max(seq) FROM audit")[0][0]
    start, out, errors = threading.Barrier(len(WORKERS)), {}, []
    threads = [threading.Thread(target=_trace_all, args=(store, user, accounts, start, out,
                                                          errors))
               for user, accounts in WORKERS.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    store.close()

    entries = portfolio.sql("SELECT seq, event, actor, account_id, lookup_id, payload FROM"
                            " audit WHERE seq > ? ORDER BY seq", (before,))
    by_lookup: dict[str, list[tuple]] = {}
    for seq, event, actor, account, lookup, payload in entries:
        by_lookup.setdefault(lookup, []).append((seq, event, actor, account, payload))
    lookups = {lid: user for user, ids in out.items() for lid in ids}
    assert set(by_lookup) == set(lookups)               # no entry without its lookup
    for lookup_id, rows in by_lookup.items():
        events = [r[1] for r in rows]
        # Every lookup's whole story is there, and only its own actor and account.
        assert events[:2] == ["lookup_requested", "decision"], events
        assert "source_result" in events and events[-1] == "candidates_ranked", events
        assert {r[2] for r in rows} == {lookups[lookup_id]}
        assert len({r[3] for r in rows}) == 1
        # The request and its decision are one transaction: adjacent, nothing between.
        assert rows[1][0] == rows[0][0] + 1
    # The two threads really did run at once: their lookups' entries interleave.
    owner = [lookups[lookup] for _seq, _e, _a, _acc, lookup, _p in entries]
    switches = sum(1 for a, b in zip(owner, owner[1:]) if a != b)
    assert switches > len(WORKERS), "the threads ran one after the other"
    # Each lookup's stored rows match its own audit: status and its contact results.
    for lookup_id in lookups:
        status, account = portfolio.sql("SELECT status, account_id FROM lookups WHERE"
                                        " lookup_id = ?", (lookup_id,))[0]
        assert status == "completed"
        ranked = [json.loads(p) for _s, e, _a, _acc, p in by_lookup[lookup_id]
                  if e == "candidates_ranked"]
        assert ranked and portfolio.sql("SELECT count(*) FROM contact_results WHERE"
                                        " lookup_id = ?", (lookup_id,))[0][0] > 0
    assert portfolio("audit", "verify").exit_code == 0


def test_a_rolled_back_transaction_in_one_thread_takes_nothing_of_another(portfolio):
    """Thread A writes an entry, then fails while thread B traces: A's entry goes with
    its rollback, B's lookup is whole, the chain verifies."""
    store = open_workspace(portfolio.db)
    written, errors, traced = threading.Event(), [], {}

    def failing_request():
        try:
            with store.unit_of_work(write=True):
                AuditTrail(store).append("export", {"what": "audit", "format": "jsonl"},
                                         actor="sam")
                written.set()
                # B is now waiting for the writer: its entries must not join this one.
                threading.Event().wait(0.3)
                raise RuntimeError("the request failed")
        except RuntimeError:
            pass
        except BaseException as exc:
            errors.append(exc)

    def tracing_request():
        try:
            written.wait(10)
            traced["id"] = Tracer(store).trace(
                "ACC-B0", user_id="bob", purpose="collect-debt", reason=REASON,
                as_of=date(2026, 11, 1)).lookup_id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=failing_request), threading.Thread(target=tracing_request)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    store.close()
    assert not errors, errors
    assert portfolio.sql("SELECT count(*) FROM audit WHERE event = 'export'")[0][0] == 0
    events = [e for (e,) in portfolio.sql("SELECT event FROM audit WHERE lookup_id = ?"
                                         " ORDER BY seq", (traced["id"],))]
    assert events[:2] == ["lookup_requested", "decision"] and events[-1] == "candidates_ranked"
    assert portfolio("audit", "verify").exit_code == 0
