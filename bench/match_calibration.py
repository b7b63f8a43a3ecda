"""Calibration of contact ranking: when tracer says 0.8, are about 80 % right?

    .venv/bin/python bench/match_calibration.py [--people 2000] [--fit-seed 11] [--seed 12]
                                                [--json OUT.json] [--write-coefficients]

Builds a workspace from a seeded synthetic world (accounts + records imported with
tracer.imports), traces every traceable account as of the world's date, and checks each
rank-1 address and phone against the person's truth: the address they live at on
``as_of`` and the phones in service on ``as_of``.  Reports the expected calibration error
(10 equal-width bins) and the reliability table, first with the coefficients in
tracer/matching/ranking.py, then with coefficients refitted on ``--fit-seed`` (a small
logistic regression on the waterfall's factors, numpy only, fixed start) and measured on
the other ``--seed``.  The truth is used to fit and to score, on different worlds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REASON, fresh_workspace  # noqa: E402

#: Waterfall step label prefix -> COEFFICIENTS key, and how the feature value is read.
FACTORS = ("base", "per_month_old", "unknown_date", "extra_source", "latest_of_kind",
           "superseded", "used_later_by_other", "rejected", "creditor_has_it", "phone", "email")
_PREFIX = (("base", "base"), ("no dates", "unknown_date"), ("last seen", "per_month_old"),
           ("independent sources", "extra_source"), ("a newer", "superseded"),
           ("latest", "latest_of_kind"), ("used later", "used_later_by_other"),
           ("rejected", "rejected"), ("only the creditor", "creditor_has_it"),
           ("kind phone", "phone"), ("kind email", "email"))


#: factors that are present or not (their waterfall value is the coefficient itself)
INDICATORS = ("base", "unknown_date", "latest_of_kind", "superseded", "used_later_by_other",
              "rejected", "creditor_has_it", "phone", "email")


#: factors kept at their shipped value: "used later by another person" demotes a contact
#: by rule; the data (relatives sharing a house) would fit it a small positive weight,
#: which would read to a collector as evidence for the contact.
HELD = ("used_later_by_other",)


def factor_of(label: str) -> str | None:
    for prefix, key in _PREFIX:
        if prefix in label:
            return key
    return None


def features_of_contact(waterfall, coefficients) -> tuple[np.ndarray, float]:
    """(factor values, identity confidence) read back from a contact's waterfall."""
    x = np.zeros(len(FACTORS))
    identity = 1.0
    for label, value in waterfall:
        if label == "identity confidence":
            identity = float(value)
            continue
        key = factor_of(label)
        if key is None:
            continue
        coef = coefficients[key]
        if key in INDICATORS:
            x[FACTORS.index(key)] = 1.0
        else:
            x[FACTORS.index(key)] = float(value) / coef if coef else 0.0
    return x, identity


def build(seed: int, people: int, workdir: Path):
    """A workspace holding the world's accounts and records, and the world."""
    from tracer.imports import import_accounts, import_records
    from tracer.synthetic import (PORTFOLIO_COLUMNS, RECORD_COLUMNS, generate_world,
                                  write_csv)
    from tracer.workspace import open_workspace

    world = generate_world(people, seed=seed)
    accounts = workdir / f"accounts-{seed}.csv"
    records = workdir / f"records-{seed}.csv"
    write_csv(accounts, world.account_rows(), PORTFOLIO_COLUMNS)
    write_csv(records, world.record_rows(), RECORD_COLUMNS)
    db = fresh_workspace(workdir / f"ws-{seed}.db")
    ws = open_workspace(db)
    import_accounts(ws, accounts, actor="sam")
    import_records(ws, records, source="bench", actor="sam")
    return ws, world


def truth_of(world, person_id: str) -> dict[str, set[str]]:
    """The person's current address and phones on ``world.as_of``, normalized as tracer
    normalizes contact values."""
    from tracer.matching.features import features_of

    person = world.person(person_id)
    as_of = world.as_of
    out: dict[str, set[str]] = {"address": set(), "phone": set()}
    if person.deceased:
        return out
    for period in person.addresses:
        if period.start <= as_of and (period.end is None or period.end > as_of):
            a = period.address
            f = features_of({"street": a.street, "unit": a.unit, "city": a.city,
                             "state": a.state, "zip": a.zip}, key="-", source="-")
            if f.address:
                out["address"].add(f.address)
    for ph in person.phones:
        if ph.start <= as_of and (ph.end is None or ph.end > as_of):
            f = features_of({"phone": ph.number}, key="-", source="-")
            if f.phone:
                out["phone"].add(f.phone)
    return out


def trace_world(seed: int, people: int, limit: int | None = None) -> list[dict]:
    """One row per reported address/phone contact of every traced account."""
    from tracer.consent.users import add_user
    from tracer.lookup import Tracer
    from tracer.matching.ranking import COEFFICIENTS

    with tempfile.TemporaryDirectory() as tmp:
        ws, world = build(seed, people, Path(tmp))
        truth_by_account = world.account_truth()
        accounts = [r[0] for r in ws.conn.execute(
            "SELECT account_id FROM accounts WHERE status = 'open' AND flags = '' AND"
            " debt_origin != 'involuntary' ORDER BY account_id")][:limit]
        users = [f"cal{i:03d}" for i in range(len(accounts) // 40 + 1)]
        for user in users:
            add_user(ws, user, "supervisor")
        tracer = Tracer(ws)
        tracer.persist_graphs = False
        rows = []
        for i, account_id in enumerate(accounts):
            result = tracer.trace(account_id, user_id=users[i // 40], purpose="collect-debt",
                                  reason=REASON, as_of=world.as_of)
            truth = truth_of(world, truth_by_account[account_id])
            for cp in result.contacts:
                if cp.kind not in truth:
                    continue
                x, identity = features_of_contact(cp.waterfall, COEFFICIENTS)
                rows.append({"account": account_id, "kind": cp.kind, "rank": cp.rank,
                             "confidence": cp.confidence, "identity": identity,
                             "x": x.tolist(), "correct": cp.value in truth[cp.kind]})
        ws.close()
    return rows


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10):
    """(ECE, table rows): equal-width bins over [0, 1]."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        mask = index == b
        if not mask.any():
            continue
        conf, acc = float(confidence[mask].mean()), float(correct[mask].mean())
        ece += mask.sum() / len(confidence) * abs(conf - acc)
        table.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(mask.sum()),
                      "mean_confidence": round(conf, 3), "share_correct": round(acc, 3)})
    return round(float(ece), 4), table


def confidences(rows, coefficients) -> np.ndarray:
    w = np.array([coefficients[k] for k in FACTORS])
    x = np.array([r["x"] for r in rows])
    identity = np.array([r["identity"] for r in rows])
    return identity / (1.0 + np.exp(-(x @ w)))


def fit(rows, start: dict, *, iterations: int = 4000, rate: float = 0.05,
        l2: float = 1e-3) -> dict:
    """Coefficients maximising the likelihood of ``correct`` under
    confidence = identity x sigmoid(x . w) (Adam from the current coefficients; factors
    that never vary in the data keep their value)."""
    x = np.array([r["x"] for r in rows])
    y = np.array([r["correct"] for r in rows], dtype=float)
    c = np.array([r["identity"] for r in rows])
    w = np.array([start[k] for k in FACTORS], dtype=float)
    w0 = w.copy()
    free = np.array([k not in HELD and (k == "base" or (x[:, i] != 0).any() and x[:, i].std() > 0)
                     for i, k in enumerate(FACTORS)])
    scale = np.where(free, np.maximum(np.abs(x).max(axis=0), 1e-9), 1.0)
    xs = x / scale
    ws = w * scale
    m = np.zeros_like(ws)
    v = np.zeros_like(ws)
    for t in range(1, iterations + 1):
        s = 1.0 / (1.0 + np.exp(-(xs @ ws)))
        p = np.clip(c * s, 1e-9, 1 - 1e-9)
        dz = (p - y) / (p * (1 - p)) * c * s * (1 - s)
        grad = xs.T @ dz / len(y) + l2 * (ws - w0 * scale)
        grad[~free] = 0.0
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        ws -= rate * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    w = ws / scale
    return {k: round(float(w[i]), 4) for i, k in enumerate(FACTORS)}


def report(title: str, rows, coefficients) -> dict:
    rank1 = [r for r in rows if r["rank"] == 1]
    conf = confidences(rank1, coefficients)
    correct = np.array([r["correct"] for r in rank1], dtype=float)
    ece, table = reliability(conf, correct)
    print(f"\n{title}: {len(rank1)} rank-1 contacts, {correct.mean():.1%} correct, "
          f"mean confidence {conf.mean():.3f}, ECE {ece:.4f}")
    print(f"  {'bin':<9} {'n':>6} {'confidence':>11} {'correct':>8}")
    for row in table:
        print(f"  {row['bin']:<9} {row['n']:>6} {row['mean_confidence']:>11.3f} "
              f"{row['share_correct']:>8.3f}")
    by_kind = {}
    for kind in ("address", "phone", "email"):
        sel = [r for r in rank1 if r["kind"] == kind]
        if sel:
            k_conf = confidences(sel, coefficients)
            k_ok = np.array([r["correct"] for r in sel], dtype=float)
            by_kind[kind] = {"n": len(sel), "ece": reliability(k_conf, k_ok)[0],
                             "share_correct": round(float(k_ok.mean()), 4)}
    print("  by kind: " + ", ".join(f"{k} ECE {v['ece']:.4f} ({v['n']}, {v['share_correct']:.1%}"
                                    " correct)" for k, v in by_kind.items()))
    return {"title": title, "rank1_contacts": len(rank1), "ece": ece,
            "share_correct": round(float(correct.mean()), 4),
            "mean_confidence": round(float(conf.mean()), 4), "reliability": table,
            "by_kind": by_kind}


def main(argv=None) -> int:
    from tracer.matching.ranking import COEFFICIENTS

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--fit-seed", type=int, default=11)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--limit", type=int, help="trace at most this many accounts per world")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    fit_rows = trace_world(args.fit_seed, args.people, args.limit)
    test_rows = trace_world(args.seed, args.people, args.limit)
    current = dict(COEFFICIENTS)
    fitted = fit(fit_rows, current)
    out = {"people": args.people, "fit_seed": args.fit_seed, "seed": args.seed,
           "coefficients_shipped": current, "coefficients_fitted": fitted}
    out["shipped_on_fit_seed"] = report(f"shipped coefficients, seed {args.fit_seed}",
                                        fit_rows, current)
    out["shipped"] = report(f"shipped coefficients, seed {args.seed}", test_rows, current)
    out["fitted"] = report(f"coefficients fitted on seed {args.fit_seed}, measured on seed "
                           f"{args.seed}", test_rows, fitted)
    print("\nfitted COEFFICIENTS = " + json.dumps(fitted, indent=1))
    out["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
