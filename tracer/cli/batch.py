"""`tracer batch`: trace many accounts, resumably; `resume`, `list`, `show`, `cancel`."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn,
                           TaskProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.text import Text

from ..app import Session
from ..errors import InputError
from ..privacy import refuse_sensitive_option
from ._common import console, err_console, user_option, with_workspace
from .trace import parse_as_of

EXIT_INTERRUPTED = 130


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} accounts/s" if speed else "-- accounts/s", style="cyan")


@contextmanager
def progress_bar(label: str):
    """A progress bar on stderr (off when stderr is not a terminal); yields a
    ``(done, total)`` callback."""
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TaskProgressColumn(), RateColumn(),
                        TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
                        console=err_console, transient=False,
                        disable=not err_console.is_terminal)
    with progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)
        yield update


def render_summary(summary: dict) -> None:
    s = summary
    console.print(f"Batch [bold]{s['id']}[/bold] {s['status']}: {s['done']:,} of "
                  f"{s['total']:,} accounts  (purpose {s['purpose']}, as of {s['as_of']}, "
                  f"by {s['user']})")
    console.print(f"  traced {s['traced']:,}: located {s['located']:,}, nothing current "
                  f"found {s.get('nothing_current', 0):,}, nothing found "
                  f"{s['nothing_found']:,}, withheld {s['withheld']:,}")
    denied = ", ".join(f"{code} {n:,}" for code, n in s["denied_by_reason"].items())
    console.print(f"  denied {s['denied']:,}" + (f": {denied}" if denied else ""))
    if s["source_errors"]:
        errs = ", ".join(f"{name} {n:,}" for name, n in s["source_errors"].items())
        console.print(f"  source errors (other sources' results kept): {errs}")
    if s["attach_above"] is not None:
        console.print(f"  attached {s['attached']:,} rank-1 contact points at or above "
                      f"{s['attach_above']:g}")
    failed = s.get("failed", 0)
    if failed:
        console.print(f"  [red]{failed:,} lookups failed[/red] after their decision: "
                      "recorded as failed in the audit trail (`tracer audit show`)")
    if s["errors"] - failed > 0:
        console.print(f"  [red]{s['errors'] - failed:,} accounts failed[/red]; "
                      f"`tracer batch resume {s['id']}` retries them")
    elif s["pending"]:
        console.print(f"  {s['pending']:,} accounts left: `tracer batch resume {s['id']}`")
    if s.get("checkpoint"):
        console.print(f"  signed checkpoint: {s['checkpoint']}")


def _run(session, batch_id: str, workers: int | None, as_json: bool, label: str) -> None:
    try:
        with progress_bar(label) as update:
            summary = session.trace_batch(batch_id, progress=update, workers=workers)
    except KeyboardInterrupt:
        err_console.print(f"interrupted: `tracer batch resume {batch_id}` continues where "
                          "this stopped")
        sys.exit(EXIT_INTERRUPTED)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_summary(summary)


workers_option = click.option(
    "--workers", type=click.IntRange(1, 64), default=None, metavar="N",
    help="Processes tracing in parallel (default 1).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group("batch", invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--purpose", metavar="CODE", help="Permissible-purpose code for every lookup.")
@click.option("--reason", metavar="TEXT", callback=refuse_sensitive_option,
              help="Why this portfolio, now: recorded once for the batch and on every lookup.")
@user_option
@click.option("--accounts", "accounts_file", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Trace these accounts: a CSV with an account_id column, or one id a line.")
@click.option("--where", metavar="EXPR",
              help="Trace accounts matching a filter, e.g. \"state = 'IL' and balance > 100\" "
                   "(columns: account_id state zip city balance status flags assigned_to "
                   "debt_origin last_activity; and/or/not, in (...), like, is null, "
                   "flags has 'military').  Only open accounts unless it names status.")
@click.option("--as-of", "as_of", metavar="DATE", help="Judge recency as of this date "
              "(default today); kept for the whole batch, resumes included.")
@workers_option
@click.option("--attach-above", "attach_above", type=click.FloatRange(0, 1), metavar="CONFIDENCE",
              help="Attach each account's rank-1 address, phone and email at or above this "
                   "confidence, audited as the batch's judgement.")
@json_option
@click.pass_context
def batch_group(ctx, purpose, reason, user_id, accounts_file, where, as_of, workers,
                attach_above, as_json) -> None:
    """Trace many accounts (default: every open account).  Supervisors only.

    Each account gets its own gate decision and audit trail, as an interactive trace;
    the batch is justified once.  Exit 0 when the batch ran, even if some accounts were
    denied; non-zero only when the batch could not run.  A batch interrupted by a crash
    or Ctrl-C continues with `tracer batch resume BATCH_ID` and never traces an account
    twice.

    \b
      tracer batch --purpose collect-debt --reason "quarterly skip trace of returned mail" \\
                   --user sam --where "state = 'IL'" --attach-above 0.9
      tracer batch list | show BATCH_ID | resume BATCH_ID | cancel BATCH_ID
    """
    if ctx.invoked_subcommand is not None:
        if any(v is not None for v in (purpose, reason, accounts_file, where, as_of,
                                       attach_above)):
            raise click.UsageError("--purpose, --reason, --accounts, --where, --as-of and "
                                   "--attach-above start a batch; they do not go with "
                                   f"`tracer batch {ctx.invoked_subcommand}`")
        return
    if not purpose or not reason:
        if purpose is None and reason is None and user_id is None:
            click.echo(ctx.get_help())
            ctx.exit(0)
        raise click.UsageError("a batch needs --purpose and --reason")
    ctx.invoke(_start, purpose=purpose, reason=reason, user_id=user_id,
               accounts_file=accounts_file, where=where, as_of=as_of, workers=workers,
               attach_above=attach_above, as_json=as_json)


@with_workspace
def _start(ws, purpose, reason, user_id, accounts_file, where, as_of, workers, attach_above,
           as_json) -> None:
    day = parse_as_of(as_of)
    if not user_id:
        raise InputError("say who you are: --user ID or the TRACER_USER environment variable")
    session = Session(ws, user_id)
    batch_id = session.start_batch(purpose=purpose, reason=reason, as_of=day,
                                   accounts_file=accounts_file, where=where,
                                   workers=workers or 1, attach_above=attach_above)
    err_console.print(f"batch {batch_id} started")
    _run(session, batch_id, workers, as_json, batch_id)


@batch_group.command("resume")
@click.argument("batch_id")
@user_option
@workers_option
@json_option
@with_workspace
def batch_resume(ws, batch_id, user_id, workers, as_json) -> None:
    """Continue an interrupted batch: accounts already traced are skipped, a lookup
    opened before the crash is finished under its own decision."""
    session = Session(ws, user_id)
    left = session.resume_batch(batch_id, workers=workers)
    err_console.print(f"resuming {batch_id}: {left['pending']:,} pending, {left['open']:,} "
                      f"to finish, {left['done']:,} done")
    _run(session, batch_id, workers, as_json, batch_id)


@batch_group.command("list")
@json_option
@with_workspace
def batch_list(ws, as_json) -> None:
    """Every batch, newest first."""
    batches = Session(ws).all_batches()
    if as_json:
        click.echo(json.dumps(batches, indent=2))
        return
    if not batches:
        console.print("no batches yet")
    for b in batches:
        console.print(f"{b['id']}  {b['status']:<11} {b['done']:>8,}/{b['total']:<8,} "
                      f"{b['purpose']:<20} {b['user']:<12} {b['created_at'][:19]}")


@batch_group.command("show")
@click.argument("batch_id")
@json_option
@with_workspace
def batch_show(ws, batch_id, as_json) -> None:
    """One batch's progress and summary."""
    summary = Session(ws).batch_progress(batch_id)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_summary(summary)


@batch_group.command("cancel")
@click.argument("batch_id")
@user_option
@json_option
@with_workspace
def batch_cancel(ws, batch_id, user_id, as_json) -> None:
    """Give up an interrupted batch and release its accounts for another batch."""
    summary = Session(ws, user_id).cancel_batch(batch_id)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_summary(summary)


def register(cli: click.Group) -> None:
    cli.add_command(batch_group)
