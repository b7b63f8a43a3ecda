"""`tracer demo`: the first thing a newcomer runs, run the way they run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tracer.demo import data_dir
from tracer_dev.demo_data import build
from tracer_dev.synthetic import demo_world


def test_demo_runs_end_to_end_quickly(tmp_path):
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tracer.cli", "demo", "--workdir",
                           str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    world = demo_world()
    mover = world.person(world.account_people[0])
    assert f"New address ranked first: {mover.current.address.one_line()}" in out
    assert "DENIED: the consumer is in bankruptcy" in out and "11 U.S.C. 362" in out
    assert "hash chain intact" in out
    assert elapsed < 30
    assert (tmp_path / "contacts.csv").read_text().count("DEMO-1001") >= 3


def test_bundled_data_is_what_the_seeded_generator_makes(tmp_path):
    regenerated = {p.name: p.read_bytes() for p in build(tmp_path)}
    bundled = {p.name: p.read_bytes() for p in Path(data_dir()).glob("*.csv")}
    assert regenerated == bundled


def test_bundled_data_is_clearly_fake():
    import csv
    import re
    for path in Path(data_dir()).glob("*.csv"):
        for row in csv.DictReader(path.open()):
            if row.get("ssn"):
                assert row["ssn"].startswith("9") or row["ssn"].startswith("XXX")
            if row.get("phone"):
                assert re.search(r"555-01\d\d$", row["phone"]), row["phone"]
            if row.get("email"):
                assert row["email"].split("@")[1] in ("example.com", "example.org", "example.net")
