"""`tracer export contacts`: FORMATS.md section 3."""

from __future__ import annotations

from pathlib import Path

import click

from ..app import Session
from ._common import check_output_path, console, user_option, with_workspace


@click.group("export")
def export_group() -> None:
    """Write trace results out of the workspace."""


@export_group.command("contacts")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file to write (FORMATS.md section 3).")
@click.option("--account", "account_id", metavar="ID", help="Only this account.")
@click.option("--batch", "batch_id", metavar="BATCH_ID", help="Only lookups of this batch.")
@user_option
@with_workspace
def export_contacts_cmd(ws, out: Path, account_id, batch_id, user_id) -> None:
    """Ranked contact points from each account's latest completed lookup, for the
    accounts the user may export now (a flag, closure or reassignment since the lookup
    leaves an account out, and the audit says why)."""
    check_output_path("--out", out, ws=ws)
    rows, accounts = Session(ws, user_id).export_contacts(out, account_id=account_id,
                                                          batch_id=batch_id)
    console.print(f"wrote {rows} contact points for {accounts} accounts to {out}")


def register(cli: click.Group) -> None:
    cli.add_command(export_group)
