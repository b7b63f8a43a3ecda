"""`tracer demo`: the whole lookup on bundled synthetic data, in a throwaway workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..demo import run_demo
from ._common import console
from .trace import render


@click.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Build the demo workspace here and keep it (default: a temporary "
                   "directory, removed afterwards).")
def demo_cmd(workdir: Path | None) -> None:
    """Import bundled synthetic data (clearly fake), trace an account that moved, try a
    bankrupt one, verify the audit trail, and export the contacts."""
    ok = run_demo(console, workdir, render=render)
    sys.exit(0 if ok else 1)


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
