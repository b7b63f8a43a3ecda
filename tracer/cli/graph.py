"""`tracer graph`: the identity graph behind an account's latest lookup."""

from __future__ import annotations

import click

from ..app import Session
from ..outputs import write_private_text
from ._common import check_output_path, user_option, with_workspace


@click.command("graph")
@click.argument("account_id")
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json",
              help="json (default) or html: one self-contained page, no external assets.")
@click.option("--lookup", "lookup_id", help="A specific lookup (default: the latest).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="Write to this file instead of stdout.")
@user_option
@with_workspace
def graph_cmd(ws, account_id, fmt, lookup_id, out_path, user_id) -> None:
    """Records, addresses, phones and emails behind ACCOUNT_ID's lookup, with same-person
    probabilities and has-attribute dates.  --format html writes one self-contained page.
    Shown only while the user may see it (a collector or supervisor: while the account
    may still be worked under the lookup's purpose; compliance: always)."""
    if out_path:
        check_output_path("--out", out_path, ws=ws)
    _lookup_id, text = Session(ws, user_id).graph(account_id, fmt, lookup_id=lookup_id)
    if out_path:
        write_private_text(out_path, text)                  # OSError: TracerGroup's line
    else:
        click.echo(text)


def register(cli: click.Group) -> None:
    cli.add_command(graph_cmd)
