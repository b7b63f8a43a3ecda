"""Interactive trace latency (p50/p95/p99) on a large record store, in one process the
way `tracer trace` runs a lookup: gate + audit, sources (indexed block queries),
matching, ranking, stored results.

    python bench/trace_latency.py --records 100000 --lookups 300        # quick
    python bench/trace_latency.py --records 1000000 --lookups 1000      # target p95 <= 200 ms
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DATA, REASON, copy_workspace, loaded_workspace, percentile,  # noqa: E402
                     save, table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=100_000,
                    help="portfolio size of the workspace (shared with bench/batch_throughput.py)")
    ap.add_argument("--lookups", type=int, default=1000)
    args = ap.parse_args()

    from tracer.consent.users import add_user
    from tracer.lookup import Tracer
    from tracer.sources.record_store import RecordStore
    from tracer.workspace import open_workspace

    src, meta = loaded_workspace(args.accounts, args.records)
    db = copy_workspace(src, DATA / f"trace-bench-{args.records}.db")
    ws = open_workspace(db)
    users = [f"bench{i:02d}" for i in range(args.lookups // 50 + 1)]  # under the hourly limit
    for u in users:
        add_user(ws, u, "supervisor")
    accounts = [r[0] for r in ws.conn.execute(
        "SELECT account_id FROM accounts WHERE status = 'open' AND flags = '' AND"
        " debt_origin != 'involuntary' ORDER BY account_id LIMIT ?", (args.lookups,))]
    rows = {r[0]: dict(zip([c[0] for c in ws.conn.execute("SELECT * FROM accounts LIMIT 0")
                            .description], r)) for r in ws.conn.execute(
        "SELECT * FROM accounts WHERE account_id IN (SELECT account_id FROM accounts WHERE"
        " status = 'open' AND flags = '' AND debt_origin != 'involuntary'"
        " ORDER BY account_id LIMIT ?)", (args.lookups,))}

    store = RecordStore(ws)
    started = time.perf_counter()
    tracer = Tracer(ws)
    setup_ms = (time.perf_counter() - started) * 1000
    block_ms, trace_ms, cpu_ms, candidates, denied = [], [], [], [], 0
    for i, account_id in enumerate(accounts):
        t0 = time.perf_counter()
        found = store.candidates(rows[account_id])
        block_ms.append((time.perf_counter() - t0) * 1000)
        candidates.append(len(found))
        t0, c0 = time.perf_counter(), time.process_time()
        result = tracer.trace(account_id, user_id=users[i % len(users)], purpose="collect-debt",
                              reason=REASON, as_of=date(2026, 11, 1))
        trace_ms.append((time.perf_counter() - t0) * 1000)
        cpu_ms.append((time.process_time() - c0) * 1000)
        denied += result.denied
    ws.close()

    def stats(name, values):
        return {"measure": name, "n": len(values), "p50_ms": round(percentile(values, .5), 1),
                "p95_ms": round(percentile(values, .95), 1),
                "p99_ms": round(percentile(values, .99), 1),
                "max_ms": round(max(values), 1)}
    out = [stats("trace (whole lookup)", trace_ms), stats("trace CPU time", cpu_ms),
           stats("store.candidates only", block_ms)]
    table(f"trace latency: {len(accounts):,} lookups on {args.records:,} records "
          f"(Tracer setup {setup_ms:.0f} ms, mean candidates {sum(candidates)/len(candidates):.0f}, "
          f"denied {denied})", out, ["measure", "n", "p50_ms", "p95_ms", "p99_ms", "max_ms"])
    p95 = out[0]["p95_ms"]
    print(f"target p95 <= 200 ms: {'met' if p95 <= 200 else 'MISSED'} ({p95} ms)")
    save(f"trace_latency_{args.records}", {
        "records": args.records, "lookups": len(accounts), "setup_ms": round(setup_ms, 1),
        "mean_candidates": sum(candidates) / len(candidates), "denied": denied,
        "results": out, "target_p95_ms": 200, "met": p95 <= 200,
        "workspace_build": meta})


if __name__ == "__main__":
    main()
