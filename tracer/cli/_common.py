"""What every command shares: opening the workspace, naming the user, printing errors."""

from __future__ import annotations

import csv
import functools
import logging
import sqlite3
import sys
from pathlib import Path

import click
from rich.console import Console

from ..errors import InputError, TracerError
from .. import outputs
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
            _fail(str(exc), exc.exit_code)
        except (sqlite3.DatabaseError, csv.Error, OSError, UnicodeError, RecursionError,
                OverflowError) as exc:
            # The environment's errors, not tracer's bugs: one line too (the traceback
            # goes to the log with -v).
            logging.getLogger("tracer.cli").debug("%s", exc, exc_info=True)
            _fail(_environment_message(exc), 1 if isinstance(exc, sqlite3.DatabaseError) else 2)


def _fail(message: str, code: int) -> None:
    err_console.print(f"[red]Error:[/red] {mask_text(message)}", markup=True)
    sys.exit(code)


def _environment_message(exc: BaseException) -> str:
    """A user's words for an error raised by sqlite, csv, the file system or Python."""
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the workspace database cannot be used ({exc}): is --db a tracer workspace?"
    if isinstance(exc, csv.Error):
        return f"a CSV file cannot be read: {exc}"
    if isinstance(exc, UnicodeError):
        return "a file is not text in UTF-8 or cp1252"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or exc}"
    if isinstance(exc, RecursionError):
        return "an expression is nested too deeply"
    return f"a number is too large ({exc})"


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


def check_output_path(option: str, path, *, ws=None, inputs=(), protected=None) -> Path:
    """The one output guard (:func:`tracer.outputs.check_output_path`)."""
    return outputs.check_output_path(option, path, ws=ws, inputs=inputs, protected=protected)
