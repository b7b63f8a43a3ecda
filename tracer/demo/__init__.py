"""The demo: a throwaway workspace built from bundled, seeded, clearly synthetic data
(SSNs starting with 9, 555-01xx phones, example.com emails)."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from ..audit.trail import AuditTrail
from ..consent.users import add_user
from ..export import export_contacts
from ..imports import import_accounts, import_records
from ..errors import InputError
from ..lookup import Tracer
from ..outputs import make_private_dir, workspace_files, write_private_text
from ..workspace import init_workspace

DEMO_AS_OF = date(2026, 11, 1)
MOVED_ACCOUNT = "DEMO-1001"
BANKRUPT_ACCOUNT = "DEMO-1002"
COLLECTOR = "demo.collector"
SUPERVISOR = "demo.supervisor"


#: What a demo run leaves in --workdir, with each file's SHA-256: a later run replaces
#: only files it finds unchanged since then, never a workspace or file of someone else's.
MANIFEST = ".tracer-demo.json"


def data_dir() -> Path:
    return Path(str(resources.files("tracer.demo").joinpath("data")))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clear_previous_demo(workdir: Path) -> None:
    """Remove what an earlier demo left here, or refuse: a ``demo.db`` (or
    ``contacts.csv``) the demo did not create, or that changed since, is someone's work."""
    manifest = workdir / MANIFEST
    try:
        made = json.loads(manifest.read_text()) if manifest.exists() else {}
    except ValueError:
        made = {}
    db = workdir / "demo.db"
    ours = [*workspace_files(db).values(), workdir / "contacts.csv"]
    for path in ours:
        if path.name.endswith(("-wal", "-shm", "-journal")) or not path.exists():
            continue
        if made.get(path.name) != _sha256(path):
            raise InputError(
                f"--workdir {workdir} already holds {path.name}, which this demo did not "
                "create (or which changed since): choose an empty folder")
    for path in ours:
        path.unlink(missing_ok=True)


def _record_demo(workdir: Path) -> None:
    files = [p for p in (workdir / "demo.db", workdir / "demo.db.key",
                         workdir / "contacts.csv") if p.exists()]
    write_private_text(workdir / MANIFEST,
                       json.dumps({p.name: _sha256(p) for p in files}, indent=2) + "\n")


def run_demo(console, workdir: Path | None = None,
             render: Callable[[Any], None] | None = None) -> bool:
    """The demo, printed on ``console``; ``render`` shows a lookup (the CLI passes its own
    renderer: the library does not import the CLI)."""
    render = render or (lambda result: console.print(repr(result)))
    started = time.perf_counter()
    temp = None
    if workdir is None:
        temp = tempfile.mkdtemp(prefix="tracer-demo-")
        workdir = Path(temp)
    if workdir.exists() and not workdir.is_dir():
        raise InputError(f"--workdir {workdir} is not a folder")
    make_private_dir(workdir)
    _clear_previous_demo(workdir)
    db = workdir / "demo.db"
    ws, _ = init_workspace(db)
    try:
        console.rule("tracer demo: synthetic data only (SSNs 9xx, phones 555-01xx)")
        add_user(ws, COLLECTOR, "collector")
        add_user(ws, SUPERVISOR, "supervisor")
        data = data_dir()
        result = import_accounts(ws, data / "accounts.csv", actor=COLLECTOR)
        console.print(f"accounts.csv: imported {result.imported}, rejected {result.rejected}")
        for path in sorted(data.glob("records_*.csv")):
            source = path.stem.removeprefix("records_")
            result = import_records(ws, path, source=source, actor=COLLECTOR)
            console.print(f"{path.name}: imported {result.imported} records from {source}")

        tracer = Tracer(ws)
        try:
            console.rule(f"1. trace {MOVED_ACCOUNT}: the debtor moved")
            moved = tracer.trace(MOVED_ACCOUNT, user_id=COLLECTOR, purpose="collect-debt",
                                 reason="mail returned undeliverable, phone disconnected; "
                                        "need current address", as_of=DEMO_AS_OF)
            render(moved)
            top = [c for c in moved.contacts if c.kind == "address" and c.rank == 1]
            if top:
                console.print(f"\nNew address ranked first: [bold]{top[0].value}[/bold]\n"
                              f"  why: {top[0].explanation}")
            console.rule(f"2. trace {BANKRUPT_ACCOUNT}: flagged bankruptcy")
            denied = tracer.trace(BANKRUPT_ACCOUNT, user_id=SUPERVISOR, purpose="collect-debt",
                                  reason="second notice unanswered, checking for new address",
                                  as_of=DEMO_AS_OF)
            render(denied)
        finally:
            tracer.close()

        console.rule("3. audit verify")
        count = AuditTrail(ws).verify()
        console.print(f"OK: {count} audit entries, hash chain intact")
        out = workdir / "contacts.csv"
        rows, accounts = export_contacts(ws, out, actor=COLLECTOR)
        console.print(f"exported {rows} contact points for {accounts} account(s) to {out.name}")
        ok = bool(top) and denied.denied
        console.rule(f"done in {time.perf_counter() - started:.1f} s")
        if temp is None:
            console.print(f"workspace kept: tracer --db {db} audit verify")
        return ok
    finally:
        ws.close()
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
        else:
            _record_demo(workdir)
