"""Regenerate the demo's bundled CSV files from the seeded synthetic world.

    python -m tracer_dev.demo_data            # rewrites tracer/demo/data/

A test regenerates them in a temporary directory and compares byte for byte, so the
bundled files and the generator cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .synthetic import PORTFOLIO_COLUMNS, RECORD_COLUMNS, demo_world, write_csv


def build(out: Path) -> list[Path]:
    world = demo_world()
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "accounts.csv"]
    write_csv(written[0], world.account_rows(), PORTFOLIO_COLUMNS)
    for source in sorted(set(world.record_sources().values())):
        path = out / f"records_{source}.csv"
        write_csv(path, world.record_rows(source=source), RECORD_COLUMNS)
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for path in build(Path(__file__).resolve().parent.parent / "tracer" / "demo" / "data"):
        print(path)
    sys.exit(0)
