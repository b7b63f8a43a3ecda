"""`tracer audit`: verify the trail and, for reviewers, read it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..consent.audit import AuditTrail
from ..errors import AuditIntegrityError, InputError
from ._common import console, err_console, with_workspace


@click.group("audit")
def audit_group() -> None:
    """The append-only, hash-chained audit trail."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint", type=click.Path(dir_okay=False, path_type=Path),
              help="A checkpoint file from `tracer audit checkpoint`: also detects a "
                   "truncated tail.")
@with_workspace
def audit_verify(ws, checkpoint: Path | None) -> None:
    """Recompute the SHA-256 chain; exit 1 naming the first bad entry."""
    trail = AuditTrail(ws)
    try:
        count = trail.verify()
        if checkpoint:
            try:
                data = json.loads(checkpoint.read_text())
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read checkpoint {checkpoint}: {exc}") from exc
            trail.verify_checkpoint(data)
    except AuditIntegrityError as exc:
        err_console.print(f"[red]FAILED[/red]: {exc}")
        sys.exit(1)
    seq, head = trail.head()
    console.print(f"OK: {count} audit entries verified; head {seq} {head[:16]}"
                  + (" matches the checkpoint" if checkpoint else ""))


@audit_group.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the checkpoint here instead of printing it.")
@with_workspace
def audit_checkpoint(ws, out: Path | None) -> None:
    """Print the head hash signed with the workspace secret; keep it elsewhere."""
    text = json.dumps(AuditTrail(ws).checkpoint(), indent=2)
    if out:
        out.write_text(text + "\n")
        console.print(f"checkpoint written to {out}")
    else:
        click.echo(text)


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
