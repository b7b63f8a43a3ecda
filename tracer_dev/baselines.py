"""Reference contacts exports (FORMATS.md section 3) for a world in world-dev's layout.

    python -m tracer_dev.baselines naive --world DIR --out contacts.csv
    python -m tracer_dev.baselines truth --world DIR --out contacts.csv

``naive`` is the fuzzy skip trace a shop without tracer would run: every record whose
last name matches and whose first name matches or is a nickname of the debtor's, in the
debtor's state, pooled unless their birth years differ; contacts ranked by their latest last_seen, confidence from the
name match and the rank.  It skips accounts whose status is not open or whose flags
refuse a lookup, and knows nothing else (no FCRA origin rule, no scrub).  It never reads
``truth.json``.

``truth`` is built from ``truth.json`` itself, for tests of the scorer and the schema:
the current address, phones and email of every account a trace may answer, where some
record of the debtor carries them, at confidence 1.  It must score perfectly.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

from rapidfuzz.distance import JaroWinkler

from tracer.matching.normalize import (
    nickname_roots, normalize_address, normalize_email, normalize_name, normalize_phone,
    parse_date,
)

__all__ = ["naive_rows", "truth_rows", "write_contacts", "CONTACT_COLUMNS", "main"]

CONTACT_COLUMNS = ("account_id", "lookup_id", "kind", "rank", "value", "confidence",
                   "identity_confidence", "sources", "first_seen", "last_seen", "explanation")
_REFUSING = {"bankruptcy", "deceased", "cease_communication", "attorney_represented", "disputed"}


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _records(world: Path):
    """(source, row, name, address one-line, e164, email, last_seen) for every record."""
    for path in sorted((world / "input" / "sources").glob("*.csv")):
        if path.name.endswith(".rejects.csv"):
            continue
        for row in _read(path):
            name = normalize_name(row.get("first_name"), row.get("middle_name"),
                                  row.get("last_name"), row.get("suffix"), row.get("full_name"))
            addr = normalize_address(row.get("street"), row.get("unit"), row.get("city"),
                                     row.get("state"), row.get("zip"))
            seen = parse_date(row.get("last_seen") or row.get("event_date")).value
            yield (path.stem, row, name, addr, normalize_phone(row.get("phone")).e164,
                   normalize_email(row.get("email")).email, seen, parse_date(row.get("dob")).year)


def naive_rows(world: Path) -> list[dict]:
    by_last = defaultdict(list)
    for rec in _records(world):
        if rec[2].last:
            by_last[rec[2].last].append(rec)
    out = []
    for acct in _read(world / "input" / "portfolio.csv"):
        flags = set(filter(None, (acct.get("flags") or "").split(";")))
        if (acct.get("status") or "open") != "open" or flags & _REFUSING:
            continue
        want = normalize_name(acct["first_name"], None, acct["last_name"])
        roots = nickname_roots(want.first) | {want.first}
        state = acct.get("state", "").upper()
        born = parse_date(acct.get("dob")).year
        found = []
        for rec in by_last.get(want.last, ()):
            name, addr, year = rec[2], rec[3], rec[7]
            if not name.first or (addr.state and addr.state != state):
                continue
            if born and year and abs(born - year) > 1:
                continue
            sim = 1.0 if name.first in roots or want.first in nickname_roots(name.first) \
                else JaroWinkler.similarity(name.first, want.first)
            if sim >= 0.85:
                found.append((sim, rec))
        contacts: dict[str, dict[str, list]] = {"address": {}, "phone": {}, "email": {}}
        for sim, (source, _row, _name, addr, phone, email, seen, _year) in found:
            for kind, value in (("address", addr.one_line), ("phone", phone), ("email", email)):
                if value:
                    slot = contacts[kind].setdefault(value, [sim, seen, set()])
                    slot[0] = max(slot[0], sim)
                    if seen and (slot[1] is None or seen > slot[1]):
                        slot[1] = seen
                    slot[2].add(source)
        for kind, values in contacts.items():
            ranked = sorted(values.items(), key=lambda kv: (kv[1][1] is None, -(kv[1][1].toordinal() if kv[1][1] else 0), kv[0]))
            for rank, (value, (sim, seen, sources)) in enumerate(ranked[:3], start=1):
                out.append({"account_id": acct["account_id"], "lookup_id": "naive",
                            "kind": kind, "rank": rank, "value": value,
                            "confidence": f"{0.95 * sim * 0.7 ** (rank - 1):.3f}",
                            "identity_confidence": f"{sim:.3f}",
                            "sources": ";".join(sorted(sources)), "first_seen": "",
                            "last_seen": seen.isoformat() if seen else "",
                            "explanation": "name (and birth year) match in state, latest last_seen first"})
    return out


def truth_rows(world: Path) -> list[dict]:
    """Every findable current contact of every answerable account, at confidence 1."""
    with open(world / "truth.json", encoding="utf-8") as fh:
        truth = json.load(fh)
    carried: dict[str, set] = defaultdict(set)         # pid -> values its records carry
    owner = {rid: pid for recs in truth["records"].values() for rid, pid in recs.items()}
    for _source, row, _name, _addr, phone, email, _seen, _year in _records(world):
        pid = owner.get(row["record_id"])
        if pid:
            carried[pid].update(v for v in (phone, email) if v)
    out = []
    for aid, a in truth["accounts"].items():
        if a["must_refuse"] or a["scrub"]:
            continue
        have = carried[a["person_id"]]
        rows = []
        if a["locatable"]:
            rows.append(("address", a["current_address"]))
        rows += [("phone", p) for p in a["current_phones"] if p in have]
        if a["email_findable"]:
            rows.append(("email", a["current_email"]))
        ranks: dict[str, int] = defaultdict(int)
        for kind, value in rows:
            ranks[kind] += 1
            out.append({"account_id": aid, "lookup_id": "truth", "kind": kind,
                        "rank": ranks[kind], "value": value, "confidence": "1.000",
                        "identity_confidence": "1.000", "sources": "truth", "first_seen": "",
                        "last_seen": "", "explanation": "from truth.json"})
    return out


def write_contacts(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, CONTACT_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tracer_dev.baselines",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("which", choices=("naive", "truth"))
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if not (args.world / "input" / "portfolio.csv").exists():
        print(f"baselines: error: {args.world}/input/portfolio.csv not found", file=sys.stderr)
        return 2
    rows = naive_rows(args.world) if args.which == "naive" else truth_rows(args.world)
    write_contacts(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
