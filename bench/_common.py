"""Shared helpers for the batch, import and trace benchmarks: seeded synthetic data
(generated once and cached under bench/out/data), workspaces, measured subprocesses,
result tables and JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tracer_dev.synthetic import WORLD_VERSION

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
DATA = OUT / "data"
SEED = 20261124
REASON = "benchmark batch over the synthetic portfolio"
PYTHON = sys.executable


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "load_avg_1m": os.getloadavg()[0]}


# -- data --------------------------------------------------------------------------------

def records_csv(n_records: int, seed: int = SEED) -> Path:
    """``n_records`` streamed synthetic extract rows (constant memory to generate)."""
    from tracer_dev.synthetic import RECORD_COLUMNS, iter_people_records, write_csv
    path = DATA / f"records-{n_records}-{seed}-w{WORLD_VERSION}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_csv(tmp, (row for row, _pid in iter_people_records(n_records, seed=seed)),
                  RECORD_COLUMNS)
        tmp.rename(path)
    return path


def portfolio_files(n_accounts: int, n_records: int, seed: int = SEED) -> tuple[Path, Path]:
    """A portfolio of ``n_accounts`` whose people are in the extract, padded with other
    people's records to ``n_records`` rows."""
    from tracer_dev.synthetic import (PORTFOLIO_COLUMNS, RECORD_COLUMNS, generate_world,
                                  iter_people_records, write_csv)
    accounts = DATA / f"accounts-{n_accounts}-{n_records}-{seed}-w{WORLD_VERSION}.csv"
    records = DATA / f"world-records-{n_accounts}-{n_records}-{seed}-w{WORLD_VERSION}.csv"
    if accounts.exists() and records.exists():
        return accounts, records
    DATA.mkdir(parents=True, exist_ok=True)
    world = generate_world(math.ceil(n_accounts * 1.05), seed=seed, account_rate=0.95)
    write_csv(accounts, world.account_rows(n_accounts), PORTFOLIO_COLUMNS)
    own = [r for r in world.record_rows()][:n_records]
    filler = n_records - len(own)

    def rows():
        yield from own
        if filler > 0:
            for row, _pid in iter_people_records(filler, seed=seed + 1):
                row["record_id"] = "F" + row["record_id"]
                yield row
    write_csv(records, rows(), RECORD_COLUMNS)
    del world, own
    return accounts, records


# -- workspaces ----------------------------------------------------------------------------

def tracer_cmd(db: Path, *args) -> list[str]:
    return [PYTHON, "-m", "tracer.cli", "--db", str(db), *map(str, args)]


def fresh_workspace(db: Path) -> Path:
    for suffix in ("", ".key", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    for args in (["init"], ["users", "add", "sam", "--role", "supervisor"]):
        subprocess.run(tracer_cmd(db, *args), check=True, capture_output=True)
    return db


def copy_workspace(src: Path, dst: Path) -> Path:
    subprocess.run([PYTHON, "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
                    " c.execute('PRAGMA wal_checkpoint(TRUNCATE)')", str(src)], check=True)
    for suffix in ("", ".key"):
        shutil.copyfile(str(src) + suffix, str(dst) + suffix)
    for suffix in ("-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    return dst


def loaded_workspace(n_accounts: int, n_records: int, seed: int = SEED) -> tuple[Path, dict]:
    """A workspace with the portfolio and records imported (built once, then cached)."""
    db = DATA / f"ws-{n_accounts}-{n_records}-{seed}-w{WORLD_VERSION}.db"
    meta_path = db.with_suffix(".json")
    if db.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if "model_train_s" not in meta:
            meta["model_train_s"] = train_model(db)
            meta_path.write_text(json.dumps(meta, indent=2))
        return db, meta
    accounts, records = portfolio_files(n_accounts, n_records, seed)
    fresh_workspace(db)
    acc = measured(tracer_cmd(db, "accounts", "import", accounts, "--user", "sam", "--json"))
    rec = measured(tracer_cmd(db, "records", "import", records, "--source", "bench",
                              "--user", "sam", "--json"))
    meta = {"accounts_import_s": acc["wall_s"], "records_import_s": rec["wall_s"],
            "records_import_peak_rss_mb": rec["peak_rss_mb"],
            "records": json.loads(rec["stdout"]), "accounts": json.loads(acc["stdout"]),
            "model_train_s": train_model(db)}
    meta_path.write_text(json.dumps(meta, indent=2))
    return db, meta


def train_model(db: Path) -> float:
    """Train and save the workspace's match model once, as a deployment would (the first
    lookup in a workspace without one trains it), so runs measure lookups, not training."""
    run = measured([PYTHON, "-c", "import sys; from tracer.workspace import open_workspace;"
                    " from tracer.matching.model_store import workspace_model;"
                    " workspace_model(open_workspace(sys.argv[1]))", str(db)])
    return run["wall_s"]


# -- measuring ------------------------------------------------------------------------------

def measured(cmd: list[str], *, env: dict | None = None) -> dict:
    """Run ``cmd``; its wall time and peak RSS (``wait4``: that process, and the largest
    of its own waited-for children)."""
    import tempfile
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True,
                                env={**os.environ, **(env or {})})
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "stdout": stdout, "stderr": stderr}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(title: str, rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print(f"\n{title}")
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def save(name: str, data: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **data}, indent=2))
    print(f"\nwrote {path}")
    return path
