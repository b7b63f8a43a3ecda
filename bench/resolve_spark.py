"""`tracer resolve --engine spark` (local mode) against the in-process engine.

    .venv/bin/python bench/resolve_spark.py --file ../shared/data/people-dev/people_1000000_s43.csv.gz
    .venv/bin/python bench/resolve_spark.py --records 100000 [--master 'local[2]']
    .venv/bin/python bench/resolve_spark.py --records 10000000 --engines spark

Each engine resolves in a process of its own (``--only``), so its time and peak RSS
(the Python process and, for Spark, its JVM: the largest child) are its own; then the
cluster ids are compared record by record ("identical clusters: yes/no").  Synthetic
records (``--records``) come from tracer_dev's generator, cached in bench/out.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _rows(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def synthetic(n: int, seed: int = 1) -> Path:
    path = OUT / f"resolve_spark_people_{n}_s{seed}.csv"
    if path.exists():
        return path
    from tracer_dev.synthetic import iter_people_records
    OUT.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = None
        for row, _pid in iter_people_records(n, seed=seed):
            if writer is None:
                writer = csv.DictWriter(fh, list(row))
                writer.writeheader()
            writer.writerow(row)
    tmp.replace(path)
    return path


def run_one(engine: str, path: Path, master: str, clusters: Path) -> dict:
    from tracer.matching.resolve import ResolveConfig, resolve_rows
    rows = _rows(path)
    started = time.perf_counter()
    extra: dict = {}
    if engine == "spark":
        from tracer.spark.engine import resolve_rows_spark
        from tracer.spark.session import spark_session
        spark = spark_session(master)
        spark.sparkContext.setLogLevel("ERROR")
        result = resolve_rows_spark(rows, ResolveConfig(), spark=spark)
        extra = {"largest_component": result.largest_component,
                 "split_components": result.split_components}
        spark.stop()
    else:
        result = resolve_rows(rows, ResolveConfig())
    seconds = time.perf_counter() - started
    ids = result.cluster_ids()
    clusters.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return {"engine": engine, "records": len(rows), "seconds": round(seconds, 1),
            "pairs": int(result.report.total), "clusters": len(set(ids)),
            "timings": result.timings, **extra}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--engines", default="in-process,spark")
    parser.add_argument("--only", help=argparse.SUPPRESS)
    parser.add_argument("--clusters", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = args.file or synthetic(args.records)
    if args.only:
        out = run_one(args.only, path, args.master, args.clusters)
        self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out["peak_rss_mb"] = round(max(self_rss, child_rss) / 1024)
        out["python_rss_mb"] = round(self_rss / 1024)
        print(json.dumps(out))
        return 0
    OUT.mkdir(exist_ok=True)
    results = {}
    for engine in args.engines.split(","):
        clusters = OUT / f"resolve_spark_{engine}_{path.stem}.clusters.txt"
        proc = subprocess.run([sys.executable, __file__, "--file", str(path), "--master",
                               args.master, "--only", engine, "--clusters", str(clusters)],
                              capture_output=True, text=True)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
        results[engine]["clusters_file"] = clusters
        print(json.dumps({k: v for k, v in results[engine].items() if k != "clusters_file"}),
              flush=True)
    if len(results) == 2:
        a, b = (r["clusters_file"].read_text() for r in results.values())
        ref, spark = results["in-process"], results["spark"]
        print(f"records {ref['records']:,}: in-process {ref['seconds']} s "
              f"({ref['peak_rss_mb']} MB), spark {args.master} {spark['seconds']} s "
              f"({spark['peak_rss_mb']} MB), x{spark['seconds'] / ref['seconds']:.2f}; "
              f"identical clusters: {'yes' if a == b else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
