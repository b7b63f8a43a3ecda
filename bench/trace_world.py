"""Right-party contacts on whole worlds, run the way a user runs them.

    .venv/bin/python bench/trace_world.py [--world DIR ...] [--outcomes both|with|without]
                                          [--json OUT.json]

For each world (a folder in the world-dev layout: ``input/portfolio.csv``,
``input/sources/*.csv``, ``input/outcomes.csv``, ``truth.json``; default
``../shared/data/world-dev``), copies ``input/`` to a scratch folder and runs, as
separate ``tracer`` processes: ``init``, ``users add``, ``accounts import``, one
``records import`` per source file, ``outcomes import`` (in the "with outcomes" run),
``batch --purpose collect-debt --as-of <world's date>`` and ``export contacts``; then
scores the export with the world's ``score.py`` (or world-dev's, which reads any world of
that layout).  The truth is read by the scorer only: nothing here feeds it to tracer.

Prints one table, metric by run, with the issue's targets beside them, and the seconds
each run took.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORLD_DEV = ROOT.parent / "shared" / "data" / "world-dev"
REASON = "Placement skip-trace: mail returned, phones disconnected"
METRICS = ("located@1", "wrong_party@1", "phone@3", "email@1", "abstention", "ece",
           "gate_violations", "scrub_misses")
TARGETS = {"located@1": ">= 0.88", "wrong_party@1": "<= 0.01", "phone@3": ">= 0.92",
           "email@1": ">= 0.92", "abstention": ">= 0.70", "ece": "<= 0.04",
           "gate_violations": "0", "scrub_misses": "0"}


def tracer(*args, db: Path, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("tracer")
    cmd = [str(exe), "--db", str(db), *map(str, args)]
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "TRACER_USER": "sup1"})
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:])} failed ({done.returncode}):\n{done.stderr}")
    return done


def as_of_of(world: Path) -> str:
    """The world's date: ``meta.now`` of its truth file (the date its README gives)."""
    with open(world / "truth.json", encoding="utf-8") as fh:
        return json.load(fh)["meta"]["now"]


def scorer_for(world: Path) -> Path:
    own = world / "score.py"
    return own if own.exists() else WORLD_DEV / "score.py"


def run(world: Path, with_outcomes: bool, keep: Path | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="trace-world-"))
    try:
        shutil.copytree(world / "input", work / "input")
        db = work / "ws.db"
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = round(now - clock, 1)
            clock = now

        tracer("init", db=db, cwd=work)
        tracer("users", "add", "sup1", "--role", "supervisor", db=db, cwd=work)
        tracer("accounts", "import", "input/portfolio.csv", db=db, cwd=work)
        for path in sorted((work / "input" / "sources").glob("*.csv")):
            if path.name.endswith(".rejects.csv"):
                continue
            tracer("records", "import", path, "--source", path.stem, db=db, cwd=work)
        lap("import")
        if with_outcomes and (work / "input" / "outcomes.csv").exists():
            tracer("outcomes", "import", "input/outcomes.csv", db=db, cwd=work)
            lap("outcomes")
        batch = tracer("batch", "--purpose", "collect-debt", "--reason", REASON,
                       "--as-of", as_of_of(world), db=db, cwd=work)
        lap("batch")
        tracer("export", "contacts", "--out", "contacts.csv", db=db, cwd=work)
        lap("export")
        scored = subprocess.run([sys.executable, str(scorer_for(world)), "--world", str(world),
                                 "--contacts", str(work / "contacts.csv"),
                                 "--json", str(work / "score.json")],
                                capture_output=True, text=True)
        if scored.returncode != 0:
            raise SystemExit(f"score.py failed:\n{scored.stderr}")
        result = json.loads((work / "score.json").read_text())
        result["seconds"] = timings
        result["batch_summary"] = batch.stdout.strip().splitlines()[-3:]
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(work, keep)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results: dict[str, dict]) -> str:
    names = list(results)
    width = max(14, *(len(n) for n in names))
    lines = [f"{'metric':<16}" + "".join(f"{n:>{width + 2}}" for n in names) + f"{'target':>12}"]
    for metric in METRICS:
        cells = "".join(f"{str(results[n].get(metric)):>{width + 2}}" for n in names)
        lines.append(f"{metric:<16}{cells}{TARGETS[metric]:>12}")
    secs = "".join(f"{sum(results[n]['seconds'].values()):>{width + 1}.1f}s" for n in names)
    lines.append(f"{'seconds':<16}{secs}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", type=Path, action="append",
                    help="a world folder (repeatable; default ../shared/data/world-dev)")
    ap.add_argument("--outcomes", choices=("both", "with", "without"), default="both")
    ap.add_argument("--keep", type=Path, help="copy the last run's folder here")
    ap.add_argument("--json", type=Path, help="write every run's score here")
    args = ap.parse_args(argv)
    worlds = args.world or [WORLD_DEV]
    modes = {"both": (False, True), "with": (True,), "without": (False,)}[args.outcomes]
    results = {}
    for world in worlds:
        if not (world / "truth.json").exists():
            raise SystemExit(f"{world}: no truth.json (a world folder in the world-dev layout)")
        for with_outcomes in modes:
            name = f"{world.name}{' +outcomes' if with_outcomes else ''}"
            results[name] = run(world, with_outcomes, args.keep)
            print(f"{name}: {json.dumps({m: results[name].get(m) for m in METRICS})}",
                  file=sys.stderr)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
