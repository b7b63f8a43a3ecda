"""`tracer accounts import` and `tracer records import`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..app import Session
from ..csvio import parse_maps
from ..privacy import refuse_sensitive_option
from ..vendors import mapping_for
from ._common import console, err_console, user_option, with_workspace

map_option = click.option(
    "--map", "maps", multiple=True, metavar="THEIRS=OURS",
    help="Map a column of the file to a tracer column (repeatable), e.g. --map 'Acct No=account_id'.")


def _report(result, as_json: bool) -> None:
    if result.unused_note:               # stderr, so --json output stays one object
        err_console.print(result.unused_note)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    console.print(f"imported {result.imported}, updated {result.updated}, "
                  f"unchanged {result.unchanged}, rejected {result.rejected}")
    if result.rejects_path:
        console.print(f"rejected rows and reasons: {result.rejects_path}")
    if result.problems_path:
        console.print(f"{result.problems} values not kept (unknown codes), and why: "
                      f"{result.problems_path}")


def _progress(path: Path):
    progress = Progress(TextColumn("importing {task.description}"), BarColumn(),
                        TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
                        console=err_console, transient=True,
                        disable=not err_console.is_terminal)
    return progress


@click.group("accounts")
def accounts_group() -> None:
    """The portfolio: accounts to trace (FORMATS.md section 1)."""


@accounts_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@map_option
@user_option
@click.option("--reason", metavar="TEXT", callback=refuse_sensitive_option,
              help="Why this file may remove flags, reassign or reopen accounts (for users "
                   "with that right); recorded with every change.")
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
@with_workspace
def accounts_import(ws, file: Path, maps, user_id, reason, as_json) -> None:
    """Import or update accounts from FILE.csv; bad rows go to FILE.rejects.csv.

    Only the columns the file has are changed, and only what --user may change: flags
    are added, never removed without the right and --reason; a refused row goes to the
    rejects report with why.  Every created or changed account is audited field by field.
    """
    with _progress(file) as progress:
        task = progress.add_task(file.name, total=None)
        result = Session(ws, user_id).import_accounts(
            file, column_map=parse_maps(maps), reason=reason,
            progress=lambda n: progress.advance(task, n))
    _report(result, as_json)


@click.group("records")
def records_group() -> None:
    """Record extracts: public-record files and vendor returns (FORMATS.md section 2)."""


@records_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", required=True, metavar="NAME",
              help="Name of the source the file came from (kept on every record).")
@map_option
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
@with_workspace
def records_import(ws, file: Path, source: str, maps, user_id, as_json) -> None:
    """Import records from FILE.csv; re-importing the same rows adds nothing.  A column
    mapping saved for NAME in config/vendors.toml applies first; --map options win."""
    session = Session(ws, user_id)
    session.require()
    with _progress(file) as progress:
        task = progress.add_task(file.name, total=None)
        result = session.import_records(file, source=source,
                                        column_map=mapping_for(source, parse_maps(maps)),
                                        progress=lambda n: progress.advance(task, n))
    _report(result, as_json)


def register(cli: click.Group) -> None:
    cli.add_command(accounts_group)
    cli.add_command(records_group)
