"""`tracer users`: who may do what."""

from __future__ import annotations

import json
import sys
from getpass import getpass

import click
from rich.table import Table

from ..app import Session
from ..consent.users import ROLES
from ..errors import InputError
from ._common import console, user_option, with_workspace


@click.group("users")
def users_group() -> None:
    """Add and list users and their roles."""


@users_group.command("add")
@click.argument("new_id", metavar="ID")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="collector and supervisor trace; compliance reviews; data manages sources.")
@user_option
@with_workspace
def users_add(ws, new_id: str, role: str, user_id: str | None) -> None:
    """Add user ID with a role (or change an existing user's role, or reactivate them).
    Needs --user of a supervisor or compliance user, except for the first users of a
    new workspace, added before any supervisor or compliance user exists."""
    created = Session(ws, user_id).add_user(new_id, role)
    console.print(f"{'Added' if created else 'Updated'} user {new_id} ({role}).")


@users_group.command("deactivate")
@click.argument("target", metavar="ID")
@user_option
@with_workspace
def users_deactivate(ws, target: str, user_id: str | None) -> None:
    """Deactivate user ID: they can no longer trace (their history stays).  Needs --user
    of a supervisor or compliance user."""
    Session(ws, user_id).deactivate_user(target)
    console.print(f"Deactivated user {target}.")


@users_group.command("passwd")
@click.argument("target", metavar="ID")
@user_option
@with_workspace
def users_passwd(ws, target: str, user_id: str | None) -> None:
    """Set the password user ID signs in to `tracer serve` with.  Asked twice on the
    terminal, or read as one line from standard input when it is not a terminal; never
    an option (it would land in the shell history and the process list).  Stored only
    as an argon2id hash; ends that user's web sessions and lifts a lockout.  Needs
    --user of a supervisor or compliance user, or of ID itself."""
    session = Session(ws, user_id)
    session.may_set_password(target)             # refuse before asking for it
    if sys.stdin.isatty():
        password = getpass(f"New password for {target}: ")
        if getpass("Again: ") != password:
            raise InputError("the two passwords differ; nothing changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    session.set_password(target, password)
    console.print(f"Password set for {target}.")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_workspace
def users_list(ws, as_json: bool) -> None:
    """List users, their roles and whether they are active."""
    rows = Session(ws).users()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "role", "active", "created")
    for r in rows:
        table.add_row(r["id"], r["role"], "yes" if r["active"] else "no", r["created_at"][:19])
    console.print(table)


def register(cli: click.Group) -> None:
    cli.add_command(users_group)
