"""`tracer accounts show | list | flag | assign | set | clear-review`: accounts as an
audited object."""

from __future__ import annotations

import json

import click
from rich.table import Column, Table

from ..app import Session
from ..models import ACCOUNT_FLAGS
from ..privacy import refuse_sensitive_option
from ._common import console, user_option, with_workspace
from .imports import accounts_group

reason_option = click.option("--reason", required=True, metavar="TEXT",
                             callback=refuse_sensitive_option,
                             help="Why: recorded in the audit with the change.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _changes(changes: list[dict], account_id: str) -> None:
    if not changes:
        console.print(f"{account_id}: no change (it was already so)")
        return
    for c in changes:
        console.print(f"{account_id}: {c['field']} {_shown(c['before'])} -> "
                      f"{_shown(c['after'])}")


def _shown(value) -> str:
    return "(empty)" if value in (None, "") else str(value)


@click.command("show")
@click.argument("account_id")
@user_option
@json_option
@with_workspace
def accounts_show(ws, account_id, user_id, as_json) -> None:
    """One account (date of birth as its year, SSN as its last four) and every audited
    change of it: field, before, after, who, why."""
    account = Session(ws, user_id).show_account(account_id)
    if as_json:
        click.echo(json.dumps(account, indent=2))
        return
    for key, value in account.items():
        if key != "changes":
            console.print(f"{key}: {', '.join(value) if isinstance(value, list) else _shown(value)}")
    console.print(f"changes ({len(account['changes'])}):")
    for entry in account["changes"]:
        fields = "; ".join(f"{c['field']} {_shown(c['before'])} -> {_shown(c['after'])}"
                           for c in entry["changes"])
        why = f" because {entry['reason']}" if entry.get("reason") else ""
        console.print(f"  {entry['ts'][:19]} {entry['action']} by {entry['actor'] or '-'}"
                      f"{why}: {fields}")


@click.command("list")
@click.option("--where", metavar="EXPR",
              help="Only accounts matching a filter, as `tracer batch --where` reads it, "
                   "e.g. \"status = 'open' and flags has 'military'\".")
@user_option
@json_option
@with_workspace
def accounts_list(ws, where, user_id, as_json) -> None:
    """Accounts the user may read (a collector: those assigned to them or unassigned)."""
    rows = Session(ws, user_id).list_accounts(where)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(Column("account", no_wrap=True), "name", "state", "balance", "status",
                  Column("flags", overflow="fold"), "assigned to")
    for r in rows:
        name = ", ".join(p for p in (r["last_name"], r["first_name"]) if p)
        table.add_row(r["account_id"], name, r["state"] or "",
                      "" if r["balance"] is None else f"{r['balance']:.2f}", r["status"],
                      ", ".join(r["flags"]), r["assigned_to"] or "")
    console.print(table)
    console.print(f"{len(rows)} accounts")


@click.command("flag")
@click.argument("account_id")
@click.option("--add", "add", type=click.Choice(ACCOUNT_FLAGS), metavar="FLAG",
              help=f"Add FLAG ({', '.join(ACCOUNT_FLAGS)}): open to every tracing role.")
@click.option("--remove", "remove", type=click.Choice(ACCOUNT_FLAGS), metavar="FLAG",
              help="Remove FLAG; bankruptcy, deceased, cease_communication, "
                   "attorney_represented and disputed need a supervisor or compliance user.")
@reason_option
@click.option("--evidence", metavar="REF", callback=refuse_sensitive_option,
              help="What shows it: a case number, a letter's reference.")
@user_option
@with_workspace
def accounts_flag(ws, account_id, add, remove, reason, evidence, user_id) -> None:
    """Add or remove one flag of ACCOUNT_ID, audited with who, why and the evidence."""
    if bool(add) == bool(remove):
        raise click.UsageError("give one of --add FLAG or --remove FLAG")
    changes = Session(ws, user_id).flag_account(account_id, add or remove, add=bool(add),
                                                reason=reason, evidence=evidence)
    _changes(changes, account_id)


@click.command("assign")
@click.argument("account_id")
@click.option("--to", "to_user", required=True, metavar="USER",
              help="The collector or supervisor who will work the account.")
@reason_option
@user_option
@with_workspace
def accounts_assign(ws, account_id, to_user, reason, user_id) -> None:
    """Assign ACCOUNT_ID to USER (supervisors), audited."""
    _changes(Session(ws, user_id).assign_account(account_id, to_user, reason=reason),
             account_id)


@click.command("set")
@click.argument("account_id")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD=VALUE...")
@reason_option
@user_option
@with_workspace
def accounts_set(ws, account_id, assignments, reason, user_id) -> None:
    """Set fields of ACCOUNT_ID (e.g. phone=2175550101 status=closed), each read as an
    import reads it; an empty VALUE clears the field.  Reopening a closed account needs
    a supervisor.  One audit entry with every field before and after."""
    changes = Session(ws, user_id).set_account_fields(account_id, assignments,
                                                      reason=reason)
    _changes(changes, account_id)


@click.command("clear-review")
@click.argument("account_id")
@reason_option
@user_option
@with_workspace
def accounts_clear_review(ws, account_id, reason, user_id) -> None:
    """Clear ACCOUNT_ID's pending scrub review (supervisors, compliance): a possible
    deceased or bankruptcy match judged not to be the debtor.  Until then nobody
    attaches or exports the account's contacts; if it is the debtor, flag the account
    instead (tracer accounts flag --add bankruptcy)."""
    _changes(Session(ws, user_id).clear_review(account_id, reason=reason), account_id)


def register(cli: click.Group) -> None:
    for command in (accounts_show, accounts_list, accounts_flag, accounts_assign,
                    accounts_set, accounts_clear_review):
        accounts_group.add_command(command)
