"""FEBRL benchmarks for `tracer resolve`: FEBRL3 dedupe (5k) and FEBRL4 link (5k + 5k).

    .venv/bin/python bench/match_febrl.py [--tasks febrl3,febrl4] [--json OUT.json]

Pairwise precision / recall / F1 against the ground truth in rec_id (never used to
train), at the default threshold, plus the time of the whole resolve.

Each task also prints the **guard ceiling**: the best pairwise F1 that any clustering
can reach without joining records whose hard identifiers conflict, found with the truth
(each true person's records split into the fewest conflict-free groups that keep the
most pairs).  Two readings of the mixed-file guard are measured: the issue's own wording
at its most lenient (a conflict needs a full DOB *and* the identifier to differ beyond a
typo) and tracer's (either one alone; an identifier within one edit waives the DOB).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import combinations
from pathlib import Path

from rapidfuzz.distance import OSA

from tracer.csvio import open_csv, parse_maps
from tracer.matching.comparisons import iso_dobs_near
from tracer.matching.normalize import parse_date
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
    predicted = predicted_pairs(result, link)
    scores = prf(predicted, true_pairs(ids, link))
    # Pairs a predicted cluster holds that tracer's own guard would refuse: must be 0.
    left, right = (a, b) if link else (rows, rows)
    by_left = {r["record_id"]: r for r in left}
    by_right = {r["record_id"]: r for r in right}
    violations = sum(conflicts(by_left[x], by_right[y], "tracer") for x, y in predicted)
    return {"task": task, "seconds": round(elapsed, 2), **scores,
            "guard_violations": violations,
            "threshold": config.threshold, "blocked_pairs": result.report.total,
            "timings": result.timings}


def _dob(row: dict):
    result = parse_date(row.get("dob") or "")
    return result.value.isoformat() if result.precision == "day" else None


def _ids_differ(a: str, b: str, edits: int) -> bool:
    return bool(a and b) and OSA.distance(a, b) > edits


def conflicts(x: dict, y: dict, reading: str) -> bool:
    """Hard-identifier conflict between two FEBRL records under one reading of the guard.

    ``lenient``: full DOBs more than a typo apart (the widest tracer ever tolerates:
    :func:`~tracer.matching.comparisons.iso_dobs_near`) *and* identifiers more than two
    edits apart.  ``tracer``: the DOBs alone, unless the
    identifiers agree within one edit (what ``pair_guard`` does with a declared
    ``identifier`` column)."""
    dx, dy = _dob(x), _dob(y)
    dob = dx is not None and dy is not None and not iso_dobs_near(dx, dy)
    ida, idb = x.get("soc_sec_id") or "", y.get("soc_sec_id") or ""
    if reading == "lenient":
        return dob and _ids_differ(ida, idb, 2)
    return dob and not (ida and idb and OSA.distance(ida, idb) <= 1)


def _partitions(items: list):
    if not items:
        yield []
        return
    head, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[head], *part]
        for i in range(len(part)):
            yield [*part[:i], [head, *part[i]], *part[i + 1:]]


def _best_split(records: list[dict], files: list[int], reading: str, link: bool) -> int:
    """Most true pairs one person's records keep when split into conflict-free groups."""
    def pairs(group):
        if link:
            a = sum(1 for k in group if files[k] == 0)
            return a * (len(group) - a)
        return len(group) * (len(group) - 1) // 2

    n = len(records)
    bad = {(i, j) for i in range(n) for j in range(i + 1, n)
           if conflicts(records[i], records[j], reading)}
    if not bad:
        return pairs(range(n))
    if n > 9:                # never in FEBRL; a greedy split is then a lower bound
        groups: list[list[int]] = []
        for k in range(n):
            home = next((g for g in groups if all((min(k, m), max(k, m)) not in bad
                                                   for m in g)), None)
            home.append(k) if home is not None else groups.append([k])
        return sum(pairs(g) for g in groups)
    best = 0
    for part in _partitions(list(range(n))):
        if all((i, j) not in bad for g in part for i, j in combinations(sorted(g), 2)):
            best = max(best, sum(pairs(g) for g in part))
    return best


def guard_ceiling(task: str, reading: str) -> dict:
    """Recall and F1 (at precision 1) of the best guard-respecting clustering."""
    if task == "febrl4":
        files = [read(DATA / "dataset4a.csv"), read(DATA / "dataset4b.csv")]
    else:
        files = [read(DATA / {"febrl3": "dataset3.csv", "febrl2": "dataset2.csv",
                              "febrl1": "dataset1.csv"}[task])]
    link = len(files) == 2
    people: dict[str, list[tuple[dict, int]]] = {}
    for f, rows in enumerate(files):
        for row in rows:
            people.setdefault(entity(row["record_id"]), []).append((row, f))
    truth = len(true_pairs([[r["record_id"] for r in rows] for rows in files], link))
    kept = sum(_best_split([r for r, _ in group], [f for _, f in group], reading, link)
               for group in people.values())
    recall = kept / truth if truth else 1.0
    return {"reading": reading, "true_pairs": truth, "reachable_pairs": kept,
            "recall": round(recall, 4), "f1": round(2 * recall / (1 + recall), 4)}


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
    for r in results:
        r["guard_ceiling"] = [guard_ceiling(r["task"], reading)
                              for reading in ("lenient", "tracer")]
    print(f"{'task':<8} {'tool':<20} {'precision':>9} {'recall':>7} {'F1':>7} {'seconds':>8}")
    for r in results:
        print(f"{r['task']:<8} {'tracer resolve':<20} {r['precision']:>9.4f} {r['recall']:>7.4f} "
              f"{r['f1']:>7.4f} {r['seconds']:>8.2f}  ({r['guard_violations']} guard violations)")
        for peer, (f1, secs) in PEERS.get(r["task"], {}).items():
            print(f"{'':<8} {peer:<20} {'':>9} {'':>7} {f1:>7.4f} "
                  f"{secs if secs is not None else '-':>8}")
        for c in r["guard_ceiling"]:
            print(f"{'':<8} {'ceiling, ' + c['reading']:<20} {1.0:>9.4f} {c['recall']:>7.4f} "
                  f"{c['f1']:>7.4f} {'':>8}  (best any guarded clustering can do)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
