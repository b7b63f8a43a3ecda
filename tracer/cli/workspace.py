"""`tracer init`: create or migrate the workspace."""

from __future__ import annotations

import click

from ..app.session import initialize
from ..workspace import SCHEMA_VERSION
from ._common import console


@click.command("init")
@click.pass_context
def init_cmd(ctx: click.Context) -> None:
    """Create the workspace (SQLite file, WAL mode, schema, secret key), or migrate it."""
    ws, created = initialize(ctx.find_root().obj.get("db"))
    try:
        if created and ws.dialect == "postgresql":
            console.print(f"Created workspace {ws} (schema {SCHEMA_VERSION}); its secret is "
                          f"in {ws.path} - copy it to every host that runs tracer on it.")
        elif created:
            console.print(f"Created workspace {ws.path} (schema {SCHEMA_VERSION}); "
                          f"its secret is in {ws.path.name}.key - keep it with the database.")
        else:
            shown = ws if ws.dialect == "postgresql" else ws.path
            console.print(f"Workspace {shown} is at schema {ws.schema_version()}.")
    finally:
        ws.close()


@click.group("workspace")
def workspace_group() -> None:
    """Move a workspace between stores."""


@workspace_group.command("copy")
@click.argument("src")
@click.argument("dst")
def copy_cmd(src: str, dst: str) -> None:
    """Copy the workspace SRC (a SQLite file or a postgresql:// URL) into a new one at
    DST, under the same secret, and verify the copied audit chain."""
    from ..store.copy import copy_workspace
    from ..store.postgres.store import display_url
    counts = copy_workspace(src, dst)
    console.print(f"Copied {sum(counts.values())} rows in {len(counts)} tables to "
                  f"{display_url(dst)}; audit chain verified ({counts.get('audit', 0)} "
                  "entries).")


def register(cli: click.Group) -> None:
    cli.add_command(init_cmd)
    cli.add_command(workspace_group)
