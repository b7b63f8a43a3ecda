"""`tracer consent record | list`: what the debtor allowed or revoked for a channel."""

from __future__ import annotations

import json

import click
from rich.table import Column, Table

from ..app import Session
from ..consent.consents import CHANNELS, STATUSES
from ..privacy import refuse_sensitive_option
from ._common import console, user_option, with_workspace


@click.group("consent")
def consent_group() -> None:
    """Consent records: channels the debtor allowed or revoked."""


@consent_group.command("record")
@click.argument("account_id")
@click.option("--channel", type=click.Choice(CHANNELS), required=True,
              help="phone (calls), text (SMS) or email.")
@click.option("--value", required=True, callback=refuse_sensitive_option,
              help="The phone number or email address.")
@click.option("--status", type=click.Choice(STATUSES), required=True,
              help="granted, or revoked (a revocation wins over any earlier grant).")
@click.option("--note", default="", callback=refuse_sensitive_option,
              help="How consent was given or revoked.")
@user_option
@with_workspace
def consent_record(ws, account_id, channel, value, status, note, user_id) -> None:
    """Record consent for one channel of ACCOUNT_ID, audited; `accept`, the trace and
    the contacts export read it."""
    item = Session(ws, user_id).record_consent(account_id, channel, value, status, note)
    console.print(f"{channel} consent {status} for {account_id}: {item['value']}")


@consent_group.command("list")
@click.argument("account_id")
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_workspace
def consent_list(ws, account_id, user_id, as_json) -> None:
    """Every consent record of ACCOUNT_ID, oldest first, and what each value's consent
    says now (the latest record for a channel and value decides)."""
    rows = Session(ws, user_id).consents(account_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("recorded (UTC)", "channel", Column("value", no_wrap=True), "status",
                  "by", Column("note", overflow="fold"), Column("now", overflow="fold"))
    for r in rows:
        table.add_row(r["recorded_at"][:16].replace("T", " "), r["channel"], r["value"],
                      r["status"], r["user"], r["note"] or "", r["now"])
    console.print(table)
    console.print(f"{len(rows)} consent records for {account_id}")


def register(cli: click.Group) -> None:
    cli.add_command(consent_group)
