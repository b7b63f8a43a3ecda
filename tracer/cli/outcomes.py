"""`tracer outcomes import` and `tracer outcomes list`: what happened when contacts were used."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..app import Session
from ..csvio import parse_maps
from ._common import console, user_option, with_workspace
from .imports import _progress, _report, map_option


@click.group("outcomes")
def outcomes_group() -> None:
    """Contact outcomes (FORMATS.md section 4): dialer dispositions, returned mail,
    bounces.  Each is evidence about its phone, address or email on every account."""


@outcomes_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@map_option
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
@with_workspace
def outcomes_import(ws, file: Path, maps, user_id, as_json) -> None:
    """Import outcomes from FILE.csv (account_id, channel, value, outcome, date[, user,
    note]); bad rows go to FILE.rejects.csv, re-imported rows add nothing.  The next
    batch refits the contact model to them (`tracer model calibrate`)."""
    session = Session(ws, user_id)
    session.require()
    with _progress(file) as progress:
        task = progress.add_task(file.name, total=None)
        result = session.import_outcomes(file, column_map=parse_maps(maps),
                                         progress=lambda n: progress.advance(task, n))
    _report(result, as_json)


@outcomes_group.command("list")
@click.argument("account_id")
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
@with_workspace
def outcomes_list(ws, account_id: str, user_id, as_json) -> None:
    """The outcomes recorded for ACCOUNT_ID, newest first."""
    items = Session(ws, user_id).outcomes(account_id)
    if as_json:
        click.echo(json.dumps([o.to_dict() for o in items], indent=2))
        return
    if not items:
        console.print(f"no outcomes recorded for {account_id}")
        return
    for o in items:
        who = f"  by {o.user_id}" if o.user_id else ""
        note = f"  ({o.note})" if o.note else ""
        console.print(f"{o.date.isoformat()}  {o.channel:<7} {o.outcome:<13} {o.value}"
                      f"{who}{note}")


def register(cli: click.Group) -> None:
    cli.add_command(outcomes_group)
