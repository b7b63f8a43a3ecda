"""Synthetic people benchmark for `tracer resolve` (tracer.synthetic ground truth).

    .venv/bin/python bench/match_people.py --records 10000,100000 [--json OUT.json] [--splink]
    .venv/bin/python bench/match_people.py --records 1000000

For each size: cluster pairwise precision / recall / F1, wall time of the resolve (the
records are generated beforehand and not timed), peak RSS, the share of predicted
clusters that join two true persons, and the Jr/Sr check: no cluster may join a Jr and
a Sr who share name and address but differ in DOB; and how many records were left alone
as ambiguous (matching two clusters the guard keeps apart).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from tracer.matching.resolve import ResolveConfig, resolve_rows
from tracer.synthetic import iter_people_records

SPLINK_PEERS = {10_000: (0.893, 9.0), 100_000: (0.824, 13.2), 1_000_000: (0.0001, 90.0)}


def generate(n: int, seed: int):
    rows, truth = [], []
    for row, person_id in iter_people_records(n, seed=seed):
        rows.append(row)
        truth.append(person_id)
    return rows, truth


def pair_count(sizes) -> int:
    return int(sum(s * (s - 1) // 2 for s in sizes))


def evaluate(labels: np.ndarray, truth: list[str]) -> dict:
    """Pairwise P/R/F1 from cluster labels, without listing pairs (contingency counts)."""
    person = np.unique(np.asarray(truth), return_inverse=True)[1]
    labels = np.asarray(labels)
    joint = Counter(zip(labels.tolist(), person.tolist()))
    tp = pair_count(joint.values())
    pred = pair_count(Counter(labels.tolist()).values())
    true = pair_count(Counter(person.tolist()).values())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    persons_per_cluster = Counter(label for label, _person in joint)
    multi = sum(1 for c in persons_per_cluster.values() if c > 1)
    clusters = len(persons_per_cluster)
    biggest = max(Counter(labels.tolist()).values())
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "clusters": clusters, "mixed_clusters": multi,
            "mixed_share": round(multi / clusters, 5), "largest_cluster": biggest}


def jr_sr_violations(rows, truth, labels) -> tuple[int, int]:
    """(pairs checked, clusters joining a Jr and a Sr with the same name and address)."""
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, pid in enumerate(truth):
        by_person[pid].append(i)
    suffix_of = {}
    for pid, idx in by_person.items():
        sfx = {rows[i]["suffix"] or (rows[i]["full_name"].rsplit(" ", 1)[-1]
                                     if rows[i]["full_name"] else "") for i in idx}
        sfx &= {"JR", "SR"}
        if len(sfx) == 1:
            suffix_of[pid] = sfx.pop()
    # A Jr and a Sr with the same last+first name at some shared street: a pair.
    key_people: dict[tuple, set] = defaultdict(set)
    for i, pid in enumerate(truth):
        if pid in suffix_of:
            r = rows[i]
            name = (r["last_name"], r["first_name"]) if r["last_name"] else \
                tuple(r["full_name"].split(",")[0:1])
            key_people[(name, r["street"], r["zip"])].add(pid)
    pairs = set()
    for people in key_people.values():
        jr = [p for p in people if suffix_of[p] == "JR"]
        sr = [p for p in people if suffix_of[p] == "SR"]
        pairs.update((a, b) for a in jr for b in sr)
    violations = 0
    for a, b in pairs:
        la = {int(labels[i]) for i in by_person[a]}
        lb = {int(labels[i]) for i in by_person[b]}
        if la & lb:
            violations += 1
    return len(pairs), violations


def run(n: int, seed: int, threshold: float | None) -> dict:
    rows, truth = generate(n, seed)
    config = ResolveConfig()
    if threshold is not None:
        config.threshold = threshold
    started = time.perf_counter()
    result = resolve_rows(rows, config)
    elapsed = time.perf_counter() - started
    labels = np.empty(len(rows), dtype=np.int64)
    labels[result.input_position] = result.labels
    scores = evaluate(labels, truth)
    checked, violations = jr_sr_violations(rows, truth, labels)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"records": n, "seconds": round(elapsed, 1), **scores,
            "jr_sr_pairs_checked": checked, "jr_sr_violations": violations,
            "ambiguous_records": result.ambiguous,
            "blocked_pairs": result.report.total, "timings": result.timings,
            "peak_rss_gb": round(rss_gb, 2), "threshold": config.threshold,
            "blocking": result.report.to_dict()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", default="10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results = []
    for n in (int(x) for x in args.records.split(",")):
        r = run(n, args.seed, args.threshold)
        results.append(r)
        print(f"records {n:>9,}  F1 {r['f1']:.4f} (P {r['precision']:.4f} R {r['recall']:.4f})"
              f"  {r['seconds']:.1f} s  RSS {r['peak_rss_gb']} GB  mixed clusters "
              f"{r['mixed_share']:.3%}  largest {r['largest_cluster']}  Jr/Sr violations "
              f"{r['jr_sr_violations']}/{r['jr_sr_pairs_checked']}  ambiguous records left "
              f"alone {r['ambiguous_records']}", flush=True)
        if n in SPLINK_PEERS:
            f1, secs = SPLINK_PEERS[n]
            print(f"{'':>17}  splink F1 {f1:.4f}  {secs:.1f} s (measured earlier, same machine kind)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(json.dumps([{k: v for k, v in r.items() if k != "blocking"} for r in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
