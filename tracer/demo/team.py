"""The demo team workspace behind `tracer serve --demo`: the bundled synthetic data, a
collector, a supervisor and a compliance reviewer with random one-time passwords, and a
few accounts assigned to the collector, so the web app can be tried in one command."""

from __future__ import annotations

import secrets
from pathlib import Path

from ..accounts import assign_account
from ..auth import set_password
from ..consent.users import add_user
from ..errors import InputError
from ..imports import import_accounts, import_records
from ..outputs import make_private_dir
from ..workspace import init_workspace
from . import BANKRUPT_ACCOUNT, COLLECTOR, MOVED_ACCOUNT, SUPERVISOR, data_dir

COMPLIANCE = "demo.compliance"
#: Worked by the demo collector: the moved debtor, the bankrupt one and one more.
ASSIGNED = (MOVED_ACCOUNT, BANKRUPT_ACCOUNT, "DEMO-1004")


def build_team_demo(workdir: Path) -> tuple[Path, dict[str, str]]:
    """Build ``workdir/team.db``; returns it and each demo user's password."""
    if workdir.exists() and any(workdir.iterdir()):
        raise InputError(f"--demo {workdir} is not empty: choose a new folder")
    make_private_dir(workdir)
    db = workdir / "team.db"
    ws, _ = init_workspace(db)
    try:
        add_user(ws, SUPERVISOR, "supervisor")
        add_user(ws, COLLECTOR, "collector", actor=SUPERVISOR)
        add_user(ws, COMPLIANCE, "compliance", actor=SUPERVISOR)
        data = data_dir()
        import_accounts(ws, data / "accounts.csv", actor=SUPERVISOR)
        for path in sorted(data.glob("records_*.csv")):
            import_records(ws, path, source=path.stem.removeprefix("records_"),
                           actor=SUPERVISOR)
        for account_id in ASSIGNED:
            assign_account(ws, SUPERVISOR, account_id, COLLECTOR,
                           reason="demo: the collector's worklist")
        passwords = {}
        for user in (COLLECTOR, SUPERVISOR, COMPLIANCE):
            passwords[user] = secrets.token_urlsafe(12)
            set_password(ws, user, passwords[user], actor=SUPERVISOR)
        return db, passwords
    finally:
        ws.close()
