"""`tracer accept`, `tracer reject`, `tracer undo`: a collector's judgement on candidates."""

from __future__ import annotations

import click

from ..app import Session
from ..privacy import refuse_sensitive_option
from ._common import console, user_option, with_workspace


@click.command("accept")
@click.argument("lookup_id")
@click.argument("contact_ref", metavar="CONTACT_REF")
@user_option
@with_workspace
def accept_cmd(ws, lookup_id: str, contact_ref: str, user_id: str | None) -> None:
    """Attach CONTACT_REF (e.g. address:1) of LOOKUP_ID to its account, audited, if the
    account may still be worked now; says what consent is on record for it."""
    session = Session(ws, user_id)
    attachment_id = session.accept(lookup_id, contact_ref, via="manual")
    consent = session.attachment(attachment_id)["consent"]
    console.print(f"attachment {attachment_id}: {contact_ref} of {lookup_id} attached; "
                  f"consent: {consent}")


@click.command("reject")
@click.argument("lookup_id")
@click.argument("contact_ref", metavar="CONTACT_REF")
@click.option("--note", default="", callback=refuse_sensitive_option,
              help="Why it is not the debtor (e.g. wrong party answered).")
@user_option
@with_workspace
def reject_cmd(ws, lookup_id: str, contact_ref: str, note: str, user_id: str | None) -> None:
    """Record that CONTACT_REF of LOOKUP_ID does not reach the debtor; later lookups of
    the account will not rank it first."""
    Session(ws, user_id).reject(lookup_id, contact_ref, note=note)
    console.print(f"{contact_ref} of {lookup_id} recorded as not the debtor's")


@click.command("undo")
@click.argument("attachment_id", type=int)
@user_option
@with_workspace
def undo_cmd(ws, attachment_id: int, user_id: str | None) -> None:
    """Undo ATTACHMENT_ID: restore the account's previous contact data, audited."""
    _made, restored = Session(ws, user_id).undo(attachment_id)
    console.print(f"attachment {attachment_id} undone; restored "
                  + ", ".join(f"{k}={v or ''}" for k, v in restored.items()))


def register(cli: click.Group) -> None:
    for command in (accept_cmd, reject_cmd, undo_cmd):
        cli.add_command(command)
