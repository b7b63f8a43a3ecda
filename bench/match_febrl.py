"""FEBRL benchmarks for `tracer resolve`: FEBRL3 dedupe (5k) and FEBRL4 link (5k + 5k).

    .venv/bin/python bench/match_febrl.py [--json OUT.json] [--splink]

Pairwise precision / recall / F1 against the ground truth in rec_id (never used to
train), at the default threshold, plus the time of the whole resolve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import combinations
from pathlib import Path

from tracer.csvio import open_csv, parse_maps
from tracer.matching.resolve import ResolveConfig, resolve_rows

DATA = Path("/work/shared/data/febrl")
FEBRL_MAP = ["rec_id=record_id", "given_name=first_name", "surname=last_name",
             "date_of_birth=dob", "postcode=zip", "suburb=city"]
FEBRL_COMPARE = {"soc_sec_id": "identifier", "street_number": "exact", "address_1": "text",
                 "address_2": "text"}
#: ``--compare address_1,address_2=text``: FEBRL swaps the two address lines
FEBRL_GROUPS = [("address_1", "address_2")]


def read(path: Path) -> list[dict]:
    src = open_csv(path, parse_maps(FEBRL_MAP))
    try:
        return [row for _line, row, _raw in src.rows()]
    finally:
        src.close()


def entity(record_id: str) -> str:
    return record_id.split("-")[1]


def true_pairs(ids_by_file: list[list[str]], link: bool) -> set:
    if link:
        a, b = ids_by_file
        index = {}
        for rid in b:
            index.setdefault(entity(rid), []).append(rid)
        return {(x, y) for x in a for y in index.get(entity(x), [])}
    groups: dict[str, list[str]] = {}
    for rid in ids_by_file[0]:
        groups.setdefault(entity(rid), []).append(rid)
    return {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}


def predicted_pairs(result, link: bool) -> set:
    out = set()
    for members in result.clusters().values():
        if len(members) < 2:
            continue
        if link:
            a = [str(result.table.ids[k]) for k in members if result.table.file[k] == 0]
            b = [str(result.table.ids[k]) for k in members if result.table.file[k] == 1]
            out.update((x, y) for x in a for y in b)
        else:
            ids = sorted(str(result.table.ids[k]) for k in members)
            out.update(combinations(ids, 2))
    return out


def prf(pred: set, truth: set) -> dict:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "true_pairs": len(truth), "predicted_pairs": len(pred)}


def run(task: str, threshold: float | None = None) -> dict:
    config = ResolveConfig(extra_kinds=dict(FEBRL_COMPARE), extra_groups=list(FEBRL_GROUPS))
    if threshold is not None:
        config.threshold = threshold
    started = time.perf_counter()
    if task == "febrl4":
        a, b = read(DATA / "dataset4a.csv"), read(DATA / "dataset4b.csv")
        result = resolve_rows(a, config, other=b)
        ids = [[r["record_id"] for r in a], [r["record_id"] for r in b]]
        link = True
    else:
        name = {"febrl3": "dataset3.csv", "febrl2": "dataset2.csv", "febrl1": "dataset1.csv"}[task]
        rows = read(DATA / name)
        result = resolve_rows(rows, config)
        ids = [[r["record_id"] for r in rows]]
        link = False
    elapsed = time.perf_counter() - started
    scores = prf(predicted_pairs(result, link), true_pairs(ids, link))
    return {"task": task, "seconds": round(elapsed, 2), **scores,
            "threshold": config.threshold, "blocked_pairs": result.report.total,
            "timings": result.timings}


PEERS = {  # measured on this machine kind (issue 5)
    "febrl4": {"recordlinkage ECM": (0.9999, 4.9), "splink": (0.9991, 12.0)},
    "febrl3": {"recordlinkage": (0.9989, 3.1), "splink": (0.9927, None)},
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--tasks", default="febrl3,febrl4")
    args = parser.parse_args(argv)
    results = [run(task) for task in args.tasks.split(",")]
    print(f"{'task':<8} {'tool':<20} {'precision':>9} {'recall':>7} {'F1':>7} {'seconds':>8}")
    for r in results:
        print(f"{r['task']:<8} {'tracer resolve':<20} {r['precision']:>9.4f} {r['recall']:>7.4f} "
              f"{r['f1']:>7.4f} {r['seconds']:>8.2f}")
        for peer, (f1, secs) in PEERS.get(r["task"], {}).items():
            print(f"{'':<8} {peer:<20} {'':>9} {'':>7} {f1:>7.4f} "
                  f"{secs if secs is not None else '-':>8}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
