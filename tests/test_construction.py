"""Constructing a Tracer or a Session does no work that grows with the workspace: no
model loaded or trained, so a server can make one per request (issue 20: 0.42 s
against an 18 ms trace before).  Real workspace files; the time is measured."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date

import pytest

from tracer import Session, Tracer, open_workspace
import tracer.matching.training as training

#: The budget for one construction (tracer imported; its source plugins need not be).
BUDGET_S = 0.050


def _fastest(make, runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        make()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("what", ["Tracer", "Session"])
def test_construction_is_within_budget(loaded, what):
    store = open_workspace(loaded.db)
    try:
        make = (lambda: Tracer(store)) if what == "Tracer" else (lambda: Session(store, "alice"))
        make()                          # the first one imports the plugins (once a process)
        assert _fastest(make) <= BUDGET_S
    finally:
        store.close()


def test_the_first_tracer_of_a_process_is_within_budget(loaded):
    """In a fresh process, after ``import tracer``: sources are discovered (their plugin
    modules imported) at the first lookup, not by the constructor."""
    script = ("import sys, time\n"
              "from tracer import Tracer, open_workspace\n"
              "ws = open_workspace(sys.argv[1])\n"
              "started = time.perf_counter()\n"
              "Tracer(ws)\n"
              "print(time.perf_counter() - started)\n")
    done = subprocess.run([sys.executable, "-c", script, str(loaded.db)], capture_output=True,
                          text=True, timeout=120, check=True)
    assert float(done.stdout) <= BUDGET_S


def test_no_training_in_the_constructor(loaded, monkeypatch):
    """A workspace big enough to auto-train (the threshold lowered to its 5 records):
    Tracer() trains nothing; the first lookup trains and saves the model, once."""
    monkeypatch.setattr(training, "AUTO_TRAIN_MIN_RECORDS", 2)
    store = open_workspace(loaded.db)
    try:
        tracer = Tracer(store)
        assert loaded.sql("SELECT count(*) FROM match_models")[0][0] == 0
        tracer.trace("ACC-1", user_id="alice", purpose="collect-debt",
                     reason="mail returned undeliverable, need a current address",
                     as_of=date(2026, 11, 1))
        assert loaded.sql("SELECT count(*) FROM match_models")[0][0] == 1
        Tracer(store)
        assert loaded.sql("SELECT count(*) FROM match_models")[0][0] == 1
    finally:
        store.close()
