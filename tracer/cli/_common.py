"""What every command shares: opening the workspace, naming the user, printing errors."""

from __future__ import annotations

import csv
import functools
import logging
import os
import sqlite3
import sys
from pathlib import Path

import click
from rich.console import Console

from ..errors import InputError, TracerError
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


def check_output_path(option: str, path, *, ws=None, inputs=()) -> Path:
    """Refuse, before any work or audit entry, an output that cannot be written or that
    would overwrite the workspace (database, secret key, -wal/-shm/-journal) or an input.

        out = check_output_path("--out", out, ws=ws)
    """
    target = Path(path)
    parent = target.parent                      # Path("x.csv").parent is Path(".")
    if target.is_dir():
        raise InputError(f"{option} {path} is a folder, not a file")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: folder {parent} does not exist")
    protected = ({f"workspace {what}": file for what, file in ws.files().items()}
                 if ws is not None else {})
    protected.update({f"input file {source}": Path(source) for source in inputs})
    for what, other in protected.items():
        if _same_file(target, other):
            raise InputError(f"{option} {path} would overwrite the {what}")
    if (target.exists() and not os.access(target, os.W_OK)) or not os.access(parent, os.W_OK):
        raise InputError(f"{option} {path} is not writable")
    return target


def _same_file(a: Path, b: Path) -> bool:
    """Through symlinks and ``..`` (realpath) and hard links (samefile)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.samefile(b)
    except OSError:                             # either one does not exist yet
        return False
