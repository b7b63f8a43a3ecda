"""No source is called before the decision is durable (DESIGN.md invariant 1)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

REASON = "mail returned undeliverable, need a current address"

KILL_BEFORE_QUERY = textwrap.dedent('''
    import os, signal, sys
    import tracer.lookup

    def die(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)   # the process dies before any source query

    tracer.lookup.Tracer._ask = die
    from tracer.cli import main
    sys.argv = ["tracer"] + sys.argv[1:]
    main()
''')


def test_killed_between_decision_and_query(loaded, tmp_path):
    script = tmp_path / "killer.py"
    script.write_text(KILL_BEFORE_QUERY)
    proc = subprocess.run(
        [sys.executable, str(script), "--db", str(loaded.db), "trace", "ACC-1", "--purpose",
         "collect-debt", "--reason", REASON, "--user", "alice"],
        capture_output=True, text=True, timeout=60, env={**os.environ})
    assert proc.returncode == -9
    conn = sqlite3.connect(loaded.db)
    events = [r[0] for r in conn.execute(
        "SELECT event FROM audit WHERE account_id='ACC-1' AND lookup_id IS NOT NULL ORDER BY seq")]
    assert events == ["lookup_requested", "decision"]
    decision = json.loads(conn.execute(
        "SELECT payload FROM audit WHERE event='decision'").fetchone()[0])
    assert decision["outcome"] == "allow"
    conn.close()
    assert loaded("audit", "verify").exit_code == 0
