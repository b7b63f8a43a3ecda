"""A synthetic placement portfolio in world-dev's layout, built for skip tracing's phenomena.

    python -m tracer_dev.portfolio_world --seed 1 --accounts 2000 --as-of 2025-06-30 \\
        --out DIR [--rate dark=0.3 --rate outcome_noise=0 ...]

writes ``DIR/input/portfolio.csv``, ``DIR/input/sources/<source>.csv`` (six sources),
``DIR/input/outcomes.csv`` and ``DIR/truth.json``, which
``../shared/data/world-dev/score.py --world DIR`` reads unchanged.  The same arguments
give byte-identical files.  People, sightings, printing, accounts and the campaign each
draw from their own seeded stream, so changing how a source prints leaves the people
as they were.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from .campaign import OUTCOME_COLUMNS, run_campaign
from .extracts import COLUMNS, PREFIX, render
from .lives import Cast
from .neighbourhood import DebtorCast, build_debtor
from .portfolio import PORTFOLIO_COLUMNS, PURPOSE, Account, make_account
from .rates import RateError, WorldRates
from .sources import SOURCES, Obs, current_values, observe_world, plant_current
from .truth import account_truth, findable, person_truth

__all__ = ["World", "build_world", "write_world", "main", "GENERATOR_VERSION", "DEFAULT_AS_OF"]

GENERATOR_VERSION = 1
DEFAULT_AS_OF = date(2025, 6, 30)


@dataclass
class World:
    seed: int
    as_of: date
    rates: WorldRates
    cast: Cast
    accounts: list[Account]
    printed: dict[str, list[tuple[str, dict, Obs, bool]]]   # source -> (id, row, obs, legible)
    outcomes: list[dict]

    def truth(self) -> dict:
        T = self.as_of.toordinal()
        by_person: dict[str, list[tuple[Obs, bool]]] = {}
        for rows in self.printed.values():
            for _rid, _row, o, legible in rows:
                by_person.setdefault(o.person.pid, []).append((o, legible))
        return {
            "meta": {
                "now": self.as_of.isoformat(),
                "generator": f"tracer_dev.portfolio_world v{GENERATOR_VERSION}",
                "seed": self.seed,
                "purpose": PURPOSE,
                "accounts": len(self.accounts),
                "persons": len(self.cast.persons),
                "records": {s: len(self.printed[s]) for s in SOURCES},
                "outcomes": len(self.outcomes),
                "sources": list(SOURCES),
                "rates": self.rates.as_dict(),
            },
            "accounts": {a.account_id: account_truth(a, by_person.get(a.dc.debtor.pid, []), T)
                         for a in self.accounts},
            "persons": {p.pid: person_truth(p) for p in self.cast.persons},
            "records": {s: {rid: o.person.pid for rid, _row, o, _l in self.printed[s]}
                        for s in SOURCES},
        }


def _hide_current(obs: list[Obs], dark: list[DebtorCast], T: int) -> list[Obs]:
    """A dark debtor's current address, phones and email reach no extract."""
    hidden = {id(dc.debtor): current_values(dc.debtor, T) for dc in dark}
    out = []
    for o in obs:
        cur = hidden.get(id(o.person))
        if cur is None:
            out.append(o)
            continue
        place, phones, email = cur
        if o.place is not None and o.place is place:
            if o.source != "phone_append":
                continue
            o.place = None
        if o.phone is not None and o.phone.value in phones:
            o.phone = None
        if o.email is not None and o.email == email:
            o.email = None
        if o.source == "phone_append" and o.phone is None and o.email is None:
            continue
        out.append(o)
    return out


def build_world(seed: int, n_accounts: int, as_of: date = DEFAULT_AS_OF,
                rates: WorldRates | None = None) -> World:
    rates = rates or WorldRates()
    T = as_of.toordinal()
    streams = {name: Random(f"portfolio-world|{seed}|{name}")
               for name in ("people", "observe", "print", "accounts", "campaign")}
    cast = Cast(streams["people"], rates, T)
    debtors = [build_debtor(cast) for _ in range(n_accounts)]
    cast.rng = streams["observe"]
    obs = observe_world(cast, debtors)
    obs = _hide_current(obs, [dc for dc in debtors if dc.dark], T)

    rng = streams["print"]
    printed_obs = [(o, *render(o, rng, rates)) for o in obs]
    by_debtor: dict[int, list[tuple[Obs, bool]]] = {}
    for o, _row, legible in printed_obs:
        by_debtor.setdefault(id(o.person), []).append((o, legible))
    for dc in debtors:
        d = dc.debtor
        if dc.dark or d.died is not None:
            continue
        if not any(findable(d, by_debtor.get(id(d), []), T)):
            o = plant_current(cast, dc)
            printed_obs.append((o, *render(o, rng, rates)))

    printed: dict[str, list] = {s: [] for s in SOURCES}
    for o, row, legible in printed_obs:
        printed[o.source].append((row, o, legible))
    for s in SOURCES:
        rows = printed[s]
        rng.shuffle(rows)
        printed[s] = [(f"{PREFIX[s]}{i:08d}", {"record_id": f"{PREFIX[s]}{i:08d}", **row}, o, lg)
                      for i, (row, o, lg) in enumerate(rows, start=1)]

    recorded = {(o.person.pid, o.event) for o in obs if o.event in ("deceased", "bankruptcy")}
    arng = streams["accounts"]
    ids: set[str] = set()
    accounts = []
    for dc in debtors:
        while (aid := f"8{int(arng.random() * 1e9):09d}") in ids:
            pass
        ids.add(aid)
        accounts.append(make_account(aid, dc, arng, rates, T, recorded))
    outcomes = run_campaign(accounts, obs, cast.persons, streams["campaign"], rates, T)
    return World(seed, as_of, rates, cast, accounts, printed, outcomes)


def _write_csv(path: Path, columns, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([row.get(c, "") for c in columns])


def write_world(world: World, out: Path) -> dict:
    out = Path(out)
    inp = out / "input"
    _write_csv(inp / "portfolio.csv", PORTFOLIO_COLUMNS, (a.row for a in world.accounts))
    for s in SOURCES:
        _write_csv(inp / "sources" / f"{s}.csv", COLUMNS[s], (row for _i, row, _o, _l in world.printed[s]))
    _write_csv(inp / "outcomes.csv", OUTCOME_COLUMNS, world.outcomes)
    truth = world.truth()
    with open(out / "truth.json", "w", encoding="utf-8", newline="\n") as fh:
        json.dump(truth, fh, indent=1)
        fh.write("\n")
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tracer_dev.portfolio_world",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--as-of", default=DEFAULT_AS_OF.isoformat(), help="YYYY-MM-DD")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE",
                    help="override one rate (repeatable); see tracer_dev/README.md")
    args = ap.parse_args(argv)
    try:
        rates = WorldRates.with_overrides(args.rate)
        as_of = date.fromisoformat(args.as_of)
    except (RateError, ValueError) as e:
        print(f"portfolio_world: error: {e}", file=sys.stderr)
        return 2
    if args.accounts < 1:
        print("portfolio_world: error: --accounts must be at least 1", file=sys.stderr)
        return 2
    world = build_world(args.seed, args.accounts, as_of, rates)
    truth = write_world(world, args.out)
    accts = truth["accounts"].values()
    allowed = [a for a in accts if not a["must_refuse"] and not a["scrub"]]
    print(f"wrote {os.fspath(args.out)}: {len(world.accounts)} accounts "
          f"({len(allowed)} allowed, {sum(a['dark'] for a in allowed)} dark), "
          f"{len(world.cast.persons)} persons, "
          f"{sum(truth['meta']['records'].values())} records, {len(world.outcomes)} outcomes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
