"""Batch throughput, peak RSS and export time: `tracer batch` over the first N accounts
of a portfolio, against a record store, as a separate measured process.

    python bench/batch_throughput.py --accounts 10000 --records 100000 --sizes 10000
    python bench/batch_throughput.py --accounts 100000 --records 1000000 --sizes 10000 100000
        # targets: 100k accounts <= 600 s, peak RSS <= 4 GB; prints the 10k->100k ratio
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DATA, REASON, copy_workspace, loaded_workspace, measured, save,  # noqa: E402
                     table, tracer_cmd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=10_000, help="portfolio size")
    ap.add_argument("--records", type=int, default=100_000, help="record store size")
    ap.add_argument("--sizes", type=int, nargs="+", default=None,
                    help="batch sizes (first N accounts); default: the whole portfolio")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--attach-above", type=float, default=None)
    args = ap.parse_args()
    src, meta = loaded_workspace(args.accounts, args.records)
    rows = []
    for size in args.sizes or [args.accounts]:
        db = copy_workspace(src, DATA / f"batch-bench-{args.accounts}-{args.records}.db")
        batch = ["batch", "--purpose", "collect-debt", "--reason", REASON, "--user", "sam",
                 "--as-of", "2026-11-01", "--workers", args.workers, "--json",
                 "--where", f"account_id <= 'A{size:06d}'"]
        if args.attach_above is not None:
            batch += ["--attach-above", args.attach_above]
        run = measured(tracer_cmd(db, *batch))
        summary = json.loads(run["stdout"])
        out = DATA / f"contacts-{size}.csv"
        export = measured(tracer_cmd(db, "export", "contacts", "--out", out, "--user", "sam",
                                     "--batch", summary["id"]))
        verify = measured(tracer_cmd(db, "audit", "verify"))
        rows.append({
            "batch_size": size, "records": args.records, "workers": args.workers,
            "traced_total": summary["total"], "located": summary["located"],
            "denied": summary["denied"], "wall_s": run["wall_s"], "cpu_s": run["cpu_s"],
            "accounts_per_s": round(summary["total"] / run["wall_s"], 1),
            "peak_rss_mb": run["peak_rss_mb"], "export_s": export["wall_s"],
            "export_rows": sum(1 for _ in out.open()) - 1, "verify_s": verify["wall_s"],
            "projected_100k_s": round(run["wall_s"] * 100_000 / summary["total"]),
        })
    table(f"batch throughput against {args.records:,} records", rows,
          ["batch_size", "traced_total", "located", "denied", "wall_s", "cpu_s",
           "accounts_per_s", "peak_rss_mb", "export_s", "export_rows", "verify_s",
           "projected_100k_s"])
    result = {"accounts": args.accounts, "records": args.records, "runs": rows,
              "workspace_build": meta}
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        ratio = round(b["wall_s"] / a["wall_s"], 2)
        result["scaling"] = {"from": a["batch_size"], "to": b["batch_size"],
                             "time_ratio": ratio,
                             "size_ratio": round(b["batch_size"] / a["batch_size"], 2)}
        print(f"scaling {a['batch_size']:,} -> {b['batch_size']:,} accounts: time x{ratio} "
              f"(size x{b['batch_size'] / a['batch_size']:g})")
    for r in rows:
        if r["batch_size"] >= 100_000:
            print(f"target 100k accounts <= 600 s: {'met' if r['wall_s'] <= 600 else 'MISSED'}"
                  f" ({r['wall_s']} s); peak RSS <= 4096 MB: "
                  f"{'met' if r['peak_rss_mb'] <= 4096 else 'MISSED'} ({r['peak_rss_mb']} MB)")
    save(f"batch_throughput_{args.accounts}_{args.records}", result)


if __name__ == "__main__":
    main()
