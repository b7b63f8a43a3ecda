"""The ``tracer`` command line: thin modules that parse, call the library, and print."""

from __future__ import annotations

import sys

import click

import importlib
import pkgutil

from ._common import TracerGroup, setup_logging


@click.group(cls=TracerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", envvar="TRACER_DB", default=None, metavar="PATH",
              help="Workspace SQLite file or postgresql:// URL (default ./tracer.db,"
              " or $TRACER_DB).")
@click.option("-v", "--verbose", is_flag=True, help="Log what tracer does to stderr "
              "(SSN-shaped text is masked).")
@click.version_option(package_name="tracer-skiptrace", prog_name="tracer")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: bool) -> None:
    """tracer: find a current, right-party address, phone or email for a debtor,
    with a permissible-purpose gate and a tamper-evident audit of every lookup.

    Start with `tracer demo`, or: `tracer init`, `tracer users add`, `tracer accounts
    import`, `tracer records import`, `tracer trace`.
    """
    ctx.obj = {"db": db}
    setup_logging(verbose)


# Every public module of this package is one command group with a register(cli) function.
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}").register(cli)


def main() -> None:
    cli(prog_name="tracer")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
