"""Why the store skips oversized blocks (``tracer.store.MAX_BLOCK``): rank-1 address
accuracy against the synthetic truth, and trace latency, for several ``max_block``
settings on the same accounts (each setting on a fresh copy of the workspace).

    python bench/trace_blocks.py --accounts 10000 --records 100000 --lookups 150
    python bench/trace_blocks.py --accounts 100000 --records 1000000 --lookups 120
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DATA, REASON, SEED, copy_workspace, loaded_workspace,  # noqa: E402
                     percentile, save, table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=150)
    ap.add_argument("--max-block", type=int, nargs="+", default=[1_000_000, 150, 50, 30])
    args = ap.parse_args()

    from tracer.consent.users import add_user
    from tracer.lookup import Tracer
    from tracer.matching.normalize import normalize_address
    from tracer.sources.registry import SourceRegistry
    from tracer.sources.record_store import RecordStore
    from tracer_dev.synthetic import generate_world
    from tracer.workspace import open_workspace

    src, _meta = loaded_workspace(args.accounts, args.records)
    world = generate_world(math.ceil(args.accounts * 1.05), seed=SEED, account_rate=0.95)
    truth = world.account_truth(args.accounts)

    def current(account_id: str) -> str:
        a = world.person(truth[account_id]).current.address
        return normalize_address(a.street, a.unit, a.city, a.state, a.zip).one_line

    rows = []
    for max_block in args.max_block:
        ws = open_workspace(copy_workspace(src, DATA / "blocks-bench.db"))
        users = [f"blk{i:02d}" for i in range(args.lookups // 50 + 1)]
        for u in users:
            add_user(ws, u, "supervisor")
        accounts = [r[0] for r in ws.conn.execute(
            "SELECT account_id FROM accounts WHERE status = 'open' AND flags = '' AND"
            " debt_origin != 'involuntary' ORDER BY account_id LIMIT ?", (args.lookups,))]
        tracer = Tracer(ws, registry=SourceRegistry(RecordStore(ws, max_block=max_block)))
        correct = found = 0
        latency = []
        for i, account_id in enumerate(accounts):
            t0 = time.perf_counter()
            result = tracer.trace(account_id, user_id=users[i % len(users)],
                                  purpose="collect-debt", reason=REASON, as_of=date(2026, 11, 1))
            latency.append((time.perf_counter() - t0) * 1000)
            top = [c.value for c in result.contacts if c.kind == "address" and c.rank == 1]
            found += bool(top)
            correct += bool(top) and top[0] == current(account_id)
        ws.close()
        rows.append({"max_block": max_block, "lookups": len(accounts), "found": found,
                     "rank1_address_correct": correct,
                     "mean_ms": round(sum(latency) / len(latency), 1),
                     "p95_ms": round(percentile(latency, .95), 1)})
    table(f"max_block vs accuracy and latency ({args.records:,} records)", rows,
          ["max_block", "lookups", "found", "rank1_address_correct", "mean_ms", "p95_ms"])
    save(f"trace_blocks_{args.records}", {"records": args.records, "runs": rows})


if __name__ == "__main__":
    main()
