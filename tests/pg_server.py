"""A real, throwaway PostgreSQL 15 server for the tests: initdb into a temporary
directory, listening on 127.0.0.1 (a free port) and a unix socket beside its data,
stopped at the end of the session.  initdb refuses to run as root, so as root the
server runs as the ``postgres`` user that Debian's package creates (runuser)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

BIN = Path(os.environ.get("TRACER_PG_BIN", "/usr/lib/postgresql/15/bin"))
ADMIN, APP, APP_PASSWORD = "tracer_admin", "tracer_app", "app-secret"


def available() -> str | None:
    """Why the server cannot run here, or None."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {BIN} (apt-get install postgresql-15)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install '.[postgres]')"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="tracer-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> "Server":
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", ADMIN, "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c fsync=off"
                f" -c unix_socket_directories={self.root} -c max_connections=200"
                " -c synchronous_commit=off -c full_page_writes=off")
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                  str(self.root / "log"), "-w", "start")
        import psycopg
        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {APP} LOGIN PASSWORD '{APP_PASSWORD}'")
        return self

    def admin_url(self, db: str) -> str:
        return f"postgresql://{ADMIN}@127.0.0.1:{self.port}/{db}"

    def app_url(self, db: str) -> str:
        return f"postgresql://{APP}:{APP_PASSWORD}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        """A fresh, empty database the application role may use; returns its name."""
        import psycopg
        name = "ws_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        with psycopg.connect(self.admin_url(name), autocommit=True) as conn:
            conn.execute(f"GRANT ALL ON SCHEMA public TO {APP}")
        return name

    def stop(self) -> None:
        try:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
