"""`tracer graph`: the identity graph behind an account's latest lookup."""

from __future__ import annotations

import json

import click

from ..audit.trail import AuditTrail
from ..consent.authorization import Authorizer
from ..errors import InputError
from ..matching.graph import latest_lookup, load_graph, rebuild_graph, render_html
from ..matching.training import workspace_model
from ..outputs import write_private_text
from ..privacy import mask_identifiers
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
    auth = Authorizer(ws)
    auth.require(user_id, "view-graph")                 # the role at all, before reading
    if lookup_id:
        _check_lookup(ws, lookup_id, account_id)
    else:
        lookup_id = latest_lookup(ws, account_id)
    if lookup_id is None:
        raise InputError(f"account {account_id} has no allowed lookup yet: run `tracer trace`")
    user = auth.require(user_id, "view-graph", account_id, lookup_id=lookup_id).user
    graph = load_graph(ws, lookup_id)
    if graph is None:
        rebuild_graph(ws, lookup_id, workspace_model(ws, auto_train=False))
        graph = load_graph(ws, lookup_id) or {"nodes": [], "edges": []}
    graph = _masked(graph)
    title = f"Identity graph: account {account_id}, lookup {lookup_id}"
    text = render_html(graph, title) if fmt == "html" else json.dumps(
        {"account_id": account_id, "lookup_id": lookup_id, **graph}, indent=2)
    AuditTrail(ws).append("export", {"what": "identity graph", "format": fmt},
                          actor=user["id"], account_id=account_id, lookup_id=lookup_id)
    if out_path:
        write_private_text(out_path, text)                  # OSError: TracerGroup's line
    else:
        click.echo(text)


def _masked(graph: dict) -> dict:
    """Labels, ids and evidence with SSN-shaped runs and labelled dates of birth masked:
    records stored before the import checked every field must not show one."""
    def clean(item: dict, keys) -> dict:
        return {k: mask_identifiers(v) if k in keys and isinstance(v, str) else v
                for k, v in item.items()}
    return {**graph,
            "nodes": [clean(n, ("node_id", "label")) for n in graph.get("nodes", [])],
            "edges": [clean(e, ("src", "dst", "evidence")) for e in graph.get("edges", [])]}


def _check_lookup(ws, lookup_id: str, account_id: str) -> None:
    """--lookup must name an allowed lookup of ACCOUNT_ID: another account's would be
    shown and audited under the wrong account, and a denied one has no graph."""
    row = ws.conn.execute("SELECT account_id, outcome FROM lookups WHERE lookup_id = ?",
                          (lookup_id,)).fetchone()
    if row is None:
        raise InputError(f"--lookup {lookup_id}: no such lookup")
    if row[0] != account_id:
        raise InputError(f"--lookup {lookup_id} is not a lookup of account {account_id}")
    if row[1] == "deny":
        raise InputError(f"--lookup {lookup_id} was denied: it has no identity graph")


def register(cli: click.Group) -> None:
    cli.add_command(graph_cmd)
