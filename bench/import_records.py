"""Import rate of a record extract (FORMATS.md section 2) through `tracer records import`.

    python bench/import_records.py --rows 100000
    python bench/import_records.py --rows 1000000          # target: <= 180 s on 2 cores
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DATA, fresh_workspace, measured, records_csv, save,  # noqa: E402
                     table, tracer_cmd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000])
    ap.add_argument("--workers", type=int, default=None,
                    help="TRACER_IMPORT_WORKERS for the run (default: automatic)")
    args = ap.parse_args()
    rows = []
    for n in args.rows:
        csv_path = records_csv(n)
        db = fresh_workspace(DATA / f"import-bench-{n}.db")
        env = {"TRACER_IMPORT_WORKERS": str(args.workers)} if args.workers else None
        run = measured(tracer_cmd(db, "records", "import", csv_path, "--source", "bench",
                                  "--user", "sam", "--json"), env=env)
        counts = json.loads(run["stdout"])
        rows.append({"rows": n, "imported": counts["imported"], "rejected": counts["rejected"],
                     "wall_s": run["wall_s"], "rows_per_s": round(n / run["wall_s"]),
                     "cpu_s": run["cpu_s"], "peak_rss_mb": run["peak_rss_mb"],
                     "file_mb": round(csv_path.stat().st_size / 2**20, 1),
                     "db_mb": round(db.stat().st_size / 2**20, 1),
                     "target_1m_s": 180, "projected_1m_s": round(run["wall_s"] * 1e6 / n)})
        for suffix in ("", ".key", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    table("records import", rows, ["rows", "imported", "wall_s", "rows_per_s", "cpu_s",
                                   "peak_rss_mb", "file_mb", "db_mb", "projected_1m_s"])
    save("import_records", {"runs": rows})


if __name__ == "__main__":
    main()
