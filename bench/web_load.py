"""The team server under load: N signed-in collectors on a live `tracer serve`
(loopback only), each tracing, accepting and browsing its own accounts; p50/p95 per page,
errors, and afterwards the audit chain verified and every action's entry counted.

    python bench/web_load.py --users 10 --accounts 2000 --records 20000 --rounds 5   # quick
    python bench/web_load.py --users 50 --accounts 100000 --records 1000000          # target

Targets (issue #21): p95 <= 300 ms for the account page, <= 1 s for a trace, 0 errors,
0 lost audit entries.  Bounded: each user does ``--rounds`` rounds (worklist, account,
trace, lookup, accept, account again) and the run stops at ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, PYTHON, copy_workspace, loaded_workspace, machine, percentile, save, table  # noqa: E402,E501

REASON = "load test: mail returned, checking for a current address"
PASSWORD = "load-test passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(db: Path, users: int, per_user: int) -> dict[str, list[str]]:
    """Collectors with passwords, each assigned ``per_user`` open, unflagged accounts."""
    from tracer.accounts import assign_account
    from tracer.auth import set_password
    from tracer.consent.users import add_user
    from tracer.workspace import open_workspace
    ws = open_workspace(db)
    try:
        add_user(ws, "load.sup", "supervisor", actor="sam")
        ids = [r[0] for r in ws.conn.execute(
            "SELECT account_id FROM accounts WHERE status = 'open' AND flags = ''"
            " AND debt_origin != 'involuntary' ORDER BY account_id LIMIT ?",
            (users * per_user,))]
        work: dict[str, list[str]] = {}
        for i in range(users):
            user = f"load{i:02d}"
            add_user(ws, user, "collector", actor="load.sup")
            set_password(ws, user, PASSWORD, actor="load.sup")
            work[user] = ids[i * per_user:(i + 1) * per_user]
            for account_id in work[user]:
                assign_account(ws, "load.sup", account_id, user, reason="load test")
        return work
    finally:
        ws.close()


def token_in(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Collector(threading.Thread):
    def __init__(self, url: str, user: str, accounts: list[str], rounds: int,
                 deadline: float, timings, errors, counts):
        super().__init__(daemon=True)
        self.url, self.user, self.accounts, self.rounds = url, user, accounts, rounds
        self.deadline, self.timings, self.errors, self.counts = deadline, timings, errors, counts

    def timed(self, page: str, method: str, path: str, **kw):
        started = time.perf_counter()
        try:
            response = self.client.request(method, self.url + path, timeout=60, **kw)
        except requests.RequestException as exc:
            self.errors[page].append(type(exc).__name__)
            return None
        self.timings[page].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            self.errors[page].append(response.status_code)
        return response

    def run(self) -> None:
        self.client = requests.Session()
        page = self.timed("sign-in page", "GET", "/")
        self.timed("sign in", "POST", "/signin", data={
            "user": self.user, "password": PASSWORD, "csrf_token": token_in(page.text)})
        csrf = token_in(self.client.get(self.url + "/purpose").text)
        self.client.post(self.url + "/purpose", data={"code": "collect-debt",
                                                      "csrf_token": csrf})
        for i in range(self.rounds):
            if time.monotonic() > self.deadline:
                break
            account = self.accounts[i % len(self.accounts)]
            self.timed("worklist", "GET", "/worklist")
            self.timed("account", "GET", f"/accounts/{account}")
            traced = self.timed("trace", "POST", f"/accounts/{account}/trace", data={
                "reason": REASON, "as_of": "2026-11-01", "csrf_token": csrf})
            if traced is None or not traced.ok:
                continue
            self.counts["traces"] += 1
            lookup_id = traced.url.rsplit("/", 1)[1]
            view = self.timed("lookup", "GET", f"/api/lookups/{lookup_id}")
            contacts = view.json()["contacts"] if view is not None and view.ok else []
            if contacts and view.json()["lookup"]["status"] == "completed":
                accepted = self.timed("accept", "POST", f"/lookups/{lookup_id}/accept",
                                      data={"ref": contacts[0]["ref"], "csrf_token": csrf})
                if accepted is not None and accepted.ok:
                    self.counts["accepts"] += 1
            self.timed("account", "GET", f"/accounts/{account}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=10, help="rounds per user")
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--server-workers", type=int, default=1,
                    help="tracer serve --workers (server processes)")
    args = ap.parse_args()

    src, _meta = loaded_workspace(args.accounts, args.records)
    db = copy_workspace(src, DATA / f"web-load-{args.accounts}-{args.records}.db")
    for path in (db, db.with_name(db.name + ".key")):
        path.chmod(0o600)                       # tracer refuses a readable workspace
    work = prepare(db, args.users, max(1, args.rounds))
    port = free_port()
    log = DATA / "web-load-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([PYTHON, "-m", "tracer.cli", "--db", str(db), "serve",
                                   "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", str(args.server_workers)],
                                  stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(url + "/static/app.css", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        timings, errors, counts = defaultdict(list), defaultdict(list), defaultdict(int)
        deadline = time.monotonic() + args.max_seconds
        started = time.perf_counter()
        threads = [Collector(url, user, accounts, args.rounds, deadline, timings, errors,
                             counts) for user, accounts in work.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    from tracer.audit.trail import AuditTrail
    from tracer.workspace import open_workspace
    ws = open_workspace(db)
    try:
        verified = AuditTrail(ws).verify()
        attachments = ws.conn.execute("SELECT count(*) FROM attachments WHERE"
                                      " user_id LIKE 'load%'").fetchone()[0]
        attach_entries = ws.conn.execute(
            "SELECT count(*) FROM audit WHERE event = 'attachment' AND actor LIKE 'load%'"
            " AND actor_auth = 'password'").fetchone()[0]
        lookups = ws.conn.execute("SELECT count(*) FROM lookups WHERE user_id LIKE 'load%'"
                                  ).fetchone()[0]
        decisions = ws.conn.execute(
            "SELECT count(*) FROM audit WHERE event = 'decision' AND actor LIKE 'load%'"
            " AND actor_auth = 'password'").fetchone()[0]
    finally:
        ws.close()
    rows = [{"page": page, "requests": len(ms), "p50_ms": round(percentile(ms, 0.50), 1),
             "p95_ms": round(percentile(ms, 0.95), 1), "max_ms": round(max(ms), 1),
             "errors": len(errors.get(page, []))} for page, ms in sorted(timings.items())]
    table(f"{args.users} users, {args.accounts} accounts, {args.records} records, "
          f"{wall:.1f} s", rows, ["page", "requests", "p50_ms", "p95_ms", "max_ms", "errors"])
    lost = (lookups - decisions) + (attachments - attach_entries)
    print(f"audit: {verified} entries verified; lookups {lookups} / decision entries "
          f"{decisions}; attachments {attachments} / attachment entries {attach_entries}; "
          f"lost {lost}; errors {sum(len(v) for v in errors.values())}")
    save(f"web_load_{args.users}u_{args.records}", {
        "machine": machine(), "args": vars(args), "wall_s": wall, "pages": rows,
        "errors": {k: v[:20] for k, v in errors.items()}, "counts": dict(counts),
        "audit_verified": verified, "lost_audit_entries": lost})


if __name__ == "__main__":
    main()
