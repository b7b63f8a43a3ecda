"""Where a workspace's bytes go after importing an extract: tables, indexes, and the
columns of ``records`` (the packed ``features``, the ``k_*`` blocking keys, hashes).

    python bench/workspace_size.py --rows 1000000            # 1M tiny rows (id, names, zip)
    python bench/workspace_size.py --rows 1000000 --synthetic  # the people extract instead

Tiny rows are the worst case for the ratio (the input is ~20 bytes a row, the fixed
per-row cost of keys, hashes and indexes dominates).
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, fresh_workspace, measured, records_csv, save, table, tracer_cmd  # noqa: E402

FIRST = ["ANN", "BO", "CY", "DEE", "ED", "FAY", "GUS", "IDA", "JO", "KAY", "LEE", "MAE"]
LAST = ["LI", "NG", "OH", "WU", "YU", "KIM", "LEE", "POE", "RAY", "DAY", "COX", "FOX"]


def tiny_csv(n: int, seed: int = 7) -> Path:
    path = DATA / f"tiny-{n}-{seed}.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "first_name", "last_name", "zip"])
        for i in range(n):
            writer.writerow([f"r{i}", rng.choice(FIRST), rng.choice(LAST),
                             f"{rng.randrange(10000, 99999)}"])
    tmp.rename(path)
    return path


def breakdown(db: Path) -> tuple[list[dict], list[dict]]:
    """(bytes per table and index, bytes per column of ``records``)."""
    conn = sqlite3.connect(db)
    objects = [{"object": name, "mb": round(size / 2**20, 1),
                "unused_pct": round(100 * unused / size) if size else 0}
               for name, size, unused in conn.execute(
                   "SELECT name, sum(pgsize), sum(unused) FROM dbstat GROUP BY name"
                   " HAVING sum(pgsize) > 1 << 20 ORDER BY 2 DESC").fetchall()]
    cols = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
    sums = conn.execute("SELECT " + ", ".join(
        f"coalesce(sum(length(CAST({c} AS BLOB))), 0)" for c in cols) + " FROM records").fetchone()
    columns = sorted(({"column": c, "mb": round(s / 2**20, 1)} for c, s in zip(cols, sums)),
                     key=lambda r: -r["mb"])
    conn.close()
    return objects, columns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--synthetic", action="store_true", help="the people extract, not tiny rows")
    ap.add_argument("--label", default="", help="a name for this run in the saved JSON")
    args = ap.parse_args()
    csv_path = records_csv(args.rows) if args.synthetic else tiny_csv(args.rows)
    db = fresh_workspace(DATA / f"size-bench-{args.rows}.db")
    run = measured(tracer_cmd(db, "records", "import", csv_path, "--source", "bench",
                              "--user", "sam", "--json"))
    file_mb = csv_path.stat().st_size / 2**20
    db_mb = db.stat().st_size / 2**20
    objects, columns = breakdown(db)
    summary = [{"rows": args.rows, "input_mb": round(file_mb, 1), "db_mb": round(db_mb, 1),
                "ratio": round(db_mb / file_mb, 1), "import_s": run["wall_s"]}]
    table("workspace size", summary, ["rows", "input_mb", "db_mb", "ratio", "import_s"])
    table("bytes by table and index (over 1 MB)", objects, ["object", "mb", "unused_pct"])
    table("bytes by records column (payload only)", columns, ["column", "mb"])
    save("workspace_size" + (f"-{args.label}" if args.label else ""),
         {"summary": summary, "objects": objects, "columns": columns})
    for suffix in ("", ".key", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
