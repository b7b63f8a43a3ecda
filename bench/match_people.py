"""Synthetic people benchmark for `tracer resolve` (tracer_dev.synthetic ground truth).

    .venv/bin/python bench/match_people.py --records 10000,100000 [--splink] [--json OUT.json]
    .venv/bin/python bench/match_people.py --records 1000000 --json bench/out/match_people_1m.json
    .venv/bin/python bench/match_people.py --records 1000000 --rate jr_leaves_home_rate=0.8
    .venv/bin/python bench/match_people.py --file ../shared/data/people-dev/people_1000000_s43.csv.gz \
        --truth ../shared/data/people-dev/people_1000000_s43.truth.csv.gz --records 100000,1000000 --splink

The records are generated once per (size, seed) into ``bench/out/people_<n>_s<seed>.csv``
(truth beside it, ``.truth.txt``) and reused.  Each engine then runs in a fresh process
that reads that CSV and clusters it, so the seconds and peak RSS printed are that
process's alone: reading the CSV plus the whole resolve (or, with ``--splink``, Splink's
load, training, prediction and clustering at 0.5).

For each size: cluster pairwise precision / recall / F1, seconds, peak RSS, the share of
predicted clusters that join two true persons, and the Jr/Sr check: no cluster may join
a Jr and a Sr who share name and address but differ in DOB; and how many records were
left alone as ambiguous.  With ``--splink`` the same data goes through a standard
Splink setup (bench/match_splink.py) clustered at 0.5 and at the threshold the truth
says is best, and one table compares the two.

``--file``/``--truth`` run another generator's file instead (a people CSV, gzip or not,
and its ``record_id,cluster_id`` truth): each size of ``--records`` under the file's own
is made of whole clusters (all records of a person or none, clusters drawn in a seeded
random order), so a smaller file is a smaller population of the same kind, not its
first rows.  Every run also counts the pairs inside predicted clusters that the
mixed-file guard refuses (two SSN last-4s, two suffixes, full DOBs beyond a typo, a
year-only DOB more than two years off) and, per blocking rule, the pairs it produced and
the true pairs no other rule finds.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SPLINK_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)


def _rates_tag(rates: dict[str, float]) -> str:
    return "".join(f"_{k}{v:g}" for k, v in sorted(rates.items()))


def data_path(n: int, seed: int, rates: dict[str, float] | None = None) -> Path:
    """The cached CSV of ``n`` synthetic records (generated on first use); ``rates``
    (``tracer_dev.synthetic.Rates`` fields) make another world, cached under its own name."""
    from tracer_dev.synthetic import WORLD_VERSION

    rates = rates or {}
    path = OUT / f"people_{n}_s{seed}_w{WORLD_VERSION}{_rates_tag(rates)}.csv"
    truth = path.with_suffix(".truth.txt")
    if path.exists() and truth.exists():
        return path
    from tracer_dev.synthetic import iter_people_records

    OUT.mkdir(exist_ok=True)
    tmp, tmp_truth = path.with_suffix(".tmp"), truth.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh, tmp_truth.open("w") as th:
        writer = None
        for row, person_id in iter_people_records(n, seed=seed, **rates):
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            th.write(f"{person_id}\n")
    tmp_truth.replace(truth)
    tmp.replace(path)
    return path


def _open_text(path: Path):
    return gzip.open(path, "rt", newline="") if path.suffix == ".gz" else path.open(newline="")


def file_path(source: Path, truth: Path, n: int | None) -> Path:
    """``source`` (a people CSV, gzip or not) as a plain CSV of about ``n`` records made
    of whole true clusters (all of ``source`` when ``n`` is None or not smaller), with
    its truth beside it (``.truth.txt``, a cluster id per row); cached in bench/out."""
    stem = source.name.split(".")[0]
    with _open_text(truth) as fh:
        reader = csv.reader(fh)
        next(reader)
        cluster_of = dict(reader)
    total = len(cluster_of)
    size = total if n is None or n >= total else n
    path = OUT / f"{stem}_{size}.csv"
    truth_txt = path.with_suffix(".truth.txt")
    if path.exists() and truth_txt.exists():
        return path
    keep = None
    if size < total:
        sizes = Counter(cluster_of.values())
        clusters = sorted(sizes)
        order = np.random.default_rng(0).permutation(len(clusters))
        keep, count = set(), 0
        for k in order.tolist():
            if count >= size:
                break
            keep.add(clusters[k])
            count += sizes[clusters[k]]
    OUT.mkdir(exist_ok=True)
    tmp, tmp_truth = path.with_suffix(".tmp"), truth_txt.with_suffix(".tmp")
    with _open_text(source) as src, tmp.open("w", newline="") as fh, \
            tmp_truth.open("w") as th:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(fh, fieldnames=reader.fieldnames)
        writer.writeheader()
        for row in reader:
            cluster = cluster_of[row["record_id"]]
            if keep is None or cluster in keep:
                writer.writerow(row)
                th.write(f"{cluster}\n")
    tmp_truth.replace(truth_txt)
    tmp.replace(path)
    return path


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def read_truth(path: Path) -> list[str]:
    return path.with_suffix(".truth.txt").read_text().split()


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
        sfx = {rows[i].get("suffix") or (rows[i]["full_name"].rsplit(" ", 1)[-1]
                                         if rows[i].get("full_name") else "") for i in idx}
        sfx &= {"JR", "SR"}
        if len(sfx) == 1:
            suffix_of[pid] = sfx.pop()
    # A Jr and a Sr with the same last+first name at some shared street: a pair.
    key_people: dict[tuple, set] = defaultdict(set)
    for i, pid in enumerate(truth):
        if pid in suffix_of:
            r = rows[i]
            name = (r["last_name"], r["first_name"]) if r.get("last_name") else \
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


def guard_violations(table, labels: np.ndarray) -> int:
    """Pairs of records inside one predicted cluster that the mixed-file guard refuses
    whatever the evidence (no identifier column waives a DOB here): two SSN last-4s, two
    suffixes, full DOBs beyond a typo (neither one character apart nor
    :func:`iso_dobs_near`), a year-only DOB more
    than ``YEAR_TOLERANCE`` years from another.  Must be 0."""
    from tracer.matching.clustering import YEAR_TOLERANCE, iso_dobs_conflict
    from tracer.matching.comparisons import iso_dobs_near

    sizes = np.bincount(labels, minlength=len(labels))
    members: dict[int, list[int]] = {}
    for k in np.flatnonzero(sizes[labels] > 1).tolist():
        members.setdefault(int(labels[k]), []).append(k)
    dob, year = table.column("dob"), table.column("dob_year")
    ssn, sfx = table.column("ssn_last4"), table.column("suffix")
    bad = 0
    for group in members.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if (ssn[a] and ssn[b] and ssn[a] != ssn[b]) or \
                        (sfx[a] and sfx[b] and sfx[a] != sfx[b]):
                    bad += 1
                elif dob[a] and dob[b]:
                    bad += iso_dobs_conflict(dob[a], dob[b]) and not iso_dobs_near(dob[a], dob[b])
                elif year[a] > 0 and year[b] > 0:
                    bad += abs(int(year[a]) - int(year[b])) > YEAR_TOLERANCE
    return bad


def blocking_shares(result, person: np.ndarray) -> dict:
    """Per blocking rule of ``result``: pairs produced, true pairs among them and the
    true pairs no other rule finds; ``person`` is the true person of each table row."""
    from tracer.matching.blocking import BlockingRule, candidate_pairs

    table = result.table
    n = len(table)
    rules = [BlockingRule.from_dict(r) for r in result.model.settings["blocking_rules"]]
    rule_codes: list[np.ndarray] = []
    max_block = int(result.model.settings.get("max_block", 400))
    candidate_pairs(table, rules, max_block=max_block, link=result.link, rule_codes=rule_codes)
    true_codes = [c[person[c // n] == person[c % n]] for c in rule_codes]
    every = np.concatenate(true_codes) if true_codes else np.zeros(0, dtype=np.int64)
    distinct, counts = np.unique(every, return_counts=True)
    single = distinct[counts == 1]
    sizes = np.bincount(person)
    total_true = int((sizes * (sizes - 1) // 2).sum())
    out = []
    for rule, codes, true in zip(rules, rule_codes, true_codes):
        only = int(np.isin(true, single, assume_unique=True).sum())
        out.append({"rule": rule.label, "pairs": int(len(codes)), "true_pairs": int(len(true)),
                    "only_this_rule": only,
                    "only_share": round(only / total_true, 5) if total_true else 0.0})
    return {"true_pairs": total_true, "blocked_true_pairs": int(len(distinct)),
            "blocking_recall": round(len(distinct) / total_true, 5) if total_true else 1.0,
            "rules": out}


def resolve_csv(path: Path, labels_out: Path, threshold: float | None,
                evidence_margin: float | None = None) -> dict:
    """The timed tracer run (in its own process): read the CSV, resolve, write the
    clusters CSV as ``tracer resolve --out`` does, save labels.  Then, untimed, the
    guard check and the blocking report against the truth beside the CSV."""
    from tracer.matching.resolve import ResolveConfig, resolve_rows

    started = time.perf_counter()
    rows = read_rows(path)
    read = time.perf_counter() - started
    config = ResolveConfig()
    if threshold is not None:
        config.threshold = threshold
    if evidence_margin is not None:
        config.evidence_margin = evidence_margin
    result = resolve_rows(rows, config)
    clock = time.perf_counter()
    ids = result.cluster_ids()
    with labels_out.with_suffix(".clusters.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "cluster_id"])
        writer.writerows(zip((r["record_id"] for r in rows), ids))
    output = time.perf_counter() - clock
    labels = np.empty(len(rows), dtype=np.int64)
    labels[result.input_position] = result.labels
    elapsed = time.perf_counter() - started
    np.save(labels_out, labels)
    own, kids = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    rss, children = own.ru_maxrss / 1024 / 1024, kids.ru_maxrss / 1024 / 1024
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    truth = read_truth(path)
    person = np.unique(np.asarray(truth), return_inverse=True)[1][result.input_position]
    return {"seconds": round(elapsed, 1), "cpu_seconds": round(cpu, 1),
            "peak_rss_gb": round(rss, 2), "worker_peak_rss_gb": round(children, 2),
            "threshold": config.threshold, "ambiguous_records": result.ambiguous,
            "namesake_isolated": getattr(result, "isolated", 0), "blocked_pairs": result.report.total,
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "timings": {"read_csv": round(read, 3), **result.timings,
                        "output": round(output, 3)},
            "guard_violations": guard_violations(result.table, result.labels),
            "blocking": result.report.to_dict(),
            "blocking_truth": blocking_shares(result, person)}


def _child(args: list[str]) -> dict:
    run = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run(n: int, seed: int, threshold: float | None, splink: bool,
        rates: dict[str, float] | None = None, source: tuple[Path, Path] | None = None,
        evidence_margin: float | None = None) -> dict:
    if source is not None:
        path = file_path(*source, n)
        run_name = path.stem
    else:
        path = data_path(n, seed, rates)
        run_name = f"{n}_s{seed}{_rates_tag(rates or {})}"
    rows, truth = read_rows(path), read_truth(path)
    n = len(rows)
    labels_path = OUT / f"labels_tracer_{run_name}.npy"
    extra = ["--threshold", str(threshold)] if threshold is not None else []
    if evidence_margin is not None:
        extra += ["--evidence-margin", str(evidence_margin)]
    out = _child([__file__, "--resolve-csv", str(path), "--labels", str(labels_path), *extra])
    labels = np.load(labels_path)
    scores = evaluate(labels, truth)
    checked, violations = jr_sr_violations(rows, truth, labels)
    result = {"records": n, "engine": "tracer", **scores, **out,
              "jr_sr_pairs_checked": checked, "jr_sr_violations": violations}
    if splink:
        npz = OUT / f"labels_splink_{run_name}.npz"
        peer = _child([str(HERE / "match_splink.py"), str(path), str(npz),
                       ",".join(map(str, SPLINK_THRESHOLDS))])
        by_threshold = {}
        with np.load(npz) as saved:
            for key in saved.files:
                sc = evaluate(saved[key], truth)
                _, viol = jr_sr_violations(rows, truth, saved[key])
                by_threshold[key] = {**sc, "jr_sr_violations": viol}
        best = max(by_threshold, key=lambda k: by_threshold[k]["f1"])
        result["splink"] = {**peer, "at_0.5": by_threshold["0.5"], "best_threshold": best,
                            "at_best": by_threshold[best], "by_threshold": by_threshold}
    return result


def print_blocking(b: dict) -> None:
    print(f"  blocking: {b['blocked_true_pairs']:,} of {b['true_pairs']:,} true pairs "
          f"blocked ({b['blocking_recall']:.2%})")
    print(f"  {'rule':<44} {'pairs':>11} {'true':>10} {'only this rule':>15}")
    for r in b["rules"]:
        print(f"  {r['rule']:<44} {r['pairs']:>11,} {r['true_pairs']:>10,} "
              f"{r['only_this_rule']:>8,} ({r['only_share']:.2%})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", default="10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--evidence-margin", type=float,
                        help="turn on the term-frequency cap on blocked pairs "
                             "(ResolveConfig.evidence_margin, bits; e.g. 2)")
    parser.add_argument("--splink", action="store_true", help="run Splink on the same data")
    parser.add_argument("--json")
    parser.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE",
                        help="another world: a tracer_dev.synthetic.Rates field, e.g. "
                             "jr_leaves_home_rate=0.8 (repeatable)")
    parser.add_argument("--file", type=Path, help="another generator's people CSV (.gz too)")
    parser.add_argument("--truth", type=Path, help="its record_id,cluster_id truth (.gz too)")
    parser.add_argument("--blocking", action="store_true",
                        help="print the per-rule blocking report against the truth")
    parser.add_argument("--resolve-csv", help=argparse.SUPPRESS)
    parser.add_argument("--labels", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.resolve_csv:
        print(json.dumps(resolve_csv(Path(args.resolve_csv), Path(args.labels), args.threshold,
                                     args.evidence_margin)))
        return 0
    rates = {}
    for item in args.rate:
        name, _, value = item.partition("=")
        rates[name.strip()] = float(value)
    if bool(args.file) != bool(args.truth):
        parser.error("--file and --truth go together")
    source = (args.file, args.truth) if args.file else None
    results = []
    for n in (int(x) for x in args.records.split(",")):
        r = run(n, args.seed, args.threshold, args.splink, rates, source, args.evidence_margin)
        results.append(r)
        print(f"records {r['records']:>9,}  F1 {r['f1']:.4f} (P {r['precision']:.4f} R "
              f"{r['recall']:.4f})  {r['seconds']:.1f} s (CPU {r['cpu_seconds']:.1f} s, load "
              f"{r['load_avg_1m']})  RSS {r['peak_rss_gb']} GB  "
              f"{r['blocked_pairs']:,} pairs  mixed clusters {r['mixed_share']:.3%}  largest "
              f"{r['largest_cluster']}  guard violations {r['guard_violations']}  Jr/Sr "
              f"violations {r['jr_sr_violations']}/{r['jr_sr_pairs_checked']}  ambiguous "
              f"records left alone {r['ambiguous_records']}, namesakes "
              f"{r.get('namesake_isolated', 0)}", flush=True)
        print("  stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items()),
              flush=True)
        if args.blocking:
            print_blocking(r["blocking_truth"])
    if any("splink" in r for r in results):
        print("\ntracer vs Splink (same CSV, each in its own process; Splink seconds: load,"
              " train, predict, cluster at 0.5)")
        print(f"{'records':>10}  {'engine':<24} {'P':>7} {'R':>7} {'F1':>7} {'seconds':>8} "
              f"{'peak RSS':>9} {'Jr/Sr':>6}")
        for r in results:
            rows = [("tracer (0.9)", r, r["seconds"], r["peak_rss_gb"])]
            if "splink" in r:
                s = r["splink"]
                rows += [("Splink (0.5)", s["at_0.5"], s["seconds"], s["peak_rss_gb"]),
                         (f"Splink (best {s['best_threshold']})", s["at_best"], None, None)]
            for name, sc, secs, rss in rows:
                print(f"{r['records']:>10,}  {name:<24} {sc['precision']:>7.4f} "
                      f"{sc['recall']:>7.4f} {sc['f1']:>7.4f} "
                      f"{'' if secs is None else f'{secs:.1f}':>8} "
                      f"{'' if rss is None else f'{rss:.2f} GB':>9} {sc['jr_sr_violations']:>6}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(json.dumps([{k: v for k, v in r.items()
                       if k not in ("blocking", "blocking_truth", "splink")}
                      for r in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
