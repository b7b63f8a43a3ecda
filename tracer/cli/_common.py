"""What every command shares: opening the workspace, naming the user, printing errors."""

from __future__ import annotations

import functools
import logging
import sys

import click
from rich.console import Console

from ..errors import TracerError
from ..privacy import MaskingFilter, mask_text
from ..workspace import open_workspace

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

user_option = click.option(
    "--user", "user_id", envvar="TRACER_USER", metavar="ID",
    help="Who is running this (or $TRACER_USER); recorded in the audit trail.")


def setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("tracer")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


class TracerGroup(click.Group):
    """Turns TracerError into one clear line and its exit code, never a traceback."""

    def invoke(self, ctx: click.Context):
        setup_logging()
        try:
            return super().invoke(ctx)
        except TracerError as exc:
            err_console.print(f"[red]Error:[/red] {mask_text(str(exc))}", markup=True)
            sys.exit(exc.exit_code)


def workspace_from(ctx: click.Context):
    root = ctx.find_root()
    return open_workspace(root.obj.get("db") if root.obj else None)


def with_workspace(fn):
    """Open the workspace for a command and close it afterwards."""
    @functools.wraps(fn)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        ws = workspace_from(ctx)
        try:
            return ctx.invoke(fn, ws, *args, **kwargs)
        finally:
            ws.close()
    return wrapper
