"""`tracer serve`: the team server (tracer/web) under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import InputError
from ..workspace import open_workspace, resolve_db_path
from ._common import console, err_console

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs TLS in front "
                   "(a reverse proxy): session cookies are marked Secure only over https.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--db", "db_option", metavar="PATH",
              help="Workspace to serve (default: tracer's --db, $TRACER_DB or ./tracer.db).")
@click.option("--demo", "demo_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Build the demo team workspace in this folder first (synthetic data; "
                   "prints one-time passwords for demo.collector, demo.supervisor and "
                   "demo.compliance) and serve it.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              metavar="N", help="Server processes (each with its own connections; the "
                                "workspace keeps one writer at a time).  More than one "
                                "uses more cores under load.")
@click.pass_context
def serve_cmd(ctx, host: str, port: int, db_option: str | None,
              demo_dir: Path | None, workers: int) -> None:
    """Serve the team web app: sign-in, worklists, accounts, traces, the audit console
    and a JSON API under /api/ (described at /openapi.json).  Users sign in with the
    password set by `tracer users passwd`."""
    import uvicorn

    from ..web.app import DB_VARIABLE, configure_logging, create_app

    if demo_dir is not None:
        from ..demo.team import build_team_demo
        db, passwords = build_team_demo(demo_dir)
        console.print(f"Demo workspace {db} (synthetic data). One-time passwords:")
        for user, password in passwords.items():
            console.print(f"  {user:<18} {password}")
    else:
        root = ctx.find_root().obj or {}
        from ..store.postgres.store import is_postgres_url
        chosen = db_option or root.get("db") or os.environ.get("TRACER_DB")
        db = chosen if is_postgres_url(chosen) else resolve_db_path(chosen)
        open_workspace(db).close()                      # fail now, with one clear line
    if host not in LOOPBACK:
        err_console.print(f"note: listening on {host}: put TLS in front of it; cookies "
                          "are Secure only over https")
    configure_logging()
    console.print(f"tracer serving {_shown(db)} on http://{host}:{port}/ with {workers} "
                  f"process{'es' if workers > 1 else ''} (Ctrl-C stops)")
    try:
        # uvicorn's own access log would print query strings: ours prints paths only.
        options = dict(host=host, port=port, access_log=False, log_level="warning",
                       server_header=False)
        if workers == 1:
            uvicorn.run(create_app(db), **options)
        else:                           # each worker process builds the app itself
            os.environ[DB_VARIABLE] = str(db)
            uvicorn.run("tracer.web.app:app_from_environment", factory=True,
                        workers=workers, **options)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def register(cli: click.Group) -> None:
    cli.add_command(serve_cmd)


def _shown(db) -> str:
    """The workspace as a message may show it (a URL without its password)."""
    from ..store.postgres.store import display_url
    return display_url(str(db))
