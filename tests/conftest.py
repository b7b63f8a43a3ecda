"""Shared fixtures: a temporary workspace driven through the real CLI, and small,
clearly synthetic input files (SSNs starting with 9, 555-01xx phones)."""

from __future__ import annotations

import csv
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracer.cli import cli as tracer_cli


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Workspace:
    """A temporary workspace and a way to run `tracer` commands against it."""

    def __init__(self, root: Path, monkeypatch):
        self.root = root
        self.db = root / "tracer.db"
        self.runner = CliRunner()
        self.runs: list[Run] = []
        monkeypatch.delenv("TRACER_USER", raising=False)
        monkeypatch.delenv("TRACER_DB", raising=False)

    def __call__(self, *args: str, env: dict | None = None) -> Run:
        result = self.runner.invoke(tracer_cli, ["--db", str(self.db), *map(str, args)],
                                    env=env, catch_exceptions=False)
        run = Run(result.exit_code, result.stdout, result.stderr)
        self.runs.append(run)
        return run

    def sql(self, query: str, params=()) -> list[tuple]:
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(query, params).fetchall()
        finally:
            conn.close()

    def open_dob(self, stored: str | None) -> str | None:
        """A stored (sealed) DOB opened with this workspace's key, as tracer opens it."""
        from tracer.sealed import DobSeal
        key = bytes.fromhex((self.root / "tracer.db.key").read_text().strip())
        return DobSeal(key).open(stored)

    def write_csv(self, name: str, rows: list[dict], columns: list[str] | None = None) -> Path:
        path = self.root / name
        columns = columns or list(rows[0])
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
        return path


def workspace_at_schema(db: Path, version: int) -> sqlite3.Connection:
    """A workspace file (and its key) as tracer left it at schema ``version``: the way to
    test that opening an older file migrates it.  The connection is tracer's own."""
    import os
    import secrets

    from tracer.store.sqlite.connection import connect as _connect
    from tracer.store.sqlite.migrations import MIGRATIONS

    key = secrets.token_hex(32)
    key_path = db.with_name(db.name + ".key")
    key_path.write_text(key)
    os.chmod(key_path, 0o600)
    conn = _connect(db, bytes.fromhex(key))
    for number, statements in MIGRATIONS:
        if number <= version:
            for stmt in statements:
                conn.execute(stmt)
    conn.execute(f"PRAGMA user_version = {int(version)}")
    return conn


class PgWorkspace(Workspace):
    """The same, on a PostgreSQL workspace (``--db postgresql://...``): ``db`` is its URL
    (the application role's), ``sql`` reads it in SQLite's SQL through the dialect."""

    def __init__(self, root: Path, monkeypatch, url: str):
        super().__init__(root, monkeypatch)
        self.db = url

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        from tracer.store.postgres.dialect import PgConnection
        import re
        conn = PgConnection(psycopg.connect(self.db, autocommit=True))
        try:
            pragma = re.fullmatch(r"\s*PRAGMA table_info\((\w+)\)\s*", query)
            if pragma:                  # SQLite's column list, from information_schema
                return [(i, name, kind, 0, None, 0) for i, (name, kind) in enumerate(
                    conn.raw.execute("SELECT column_name, data_type FROM"
                                     " information_schema.columns WHERE table_name = %s"
                                     " ORDER BY ordinal_position", (pragma.group(1),)))]
            return conn.execute(query, params).fetchall()
        finally:
            conn.close()

    def open_dob(self, stored: str | None) -> str | None:
        import os

        from tracer.sealed import DobSeal
        key = bytes.fromhex(Path(os.environ["TRACER_KEY_FILE"]).read_text().strip())
        return DobSeal(key).open(stored)


def pytest_generate_tests(metafunc):
    """A module that sets ``BOTH_STORES = True`` runs its ``ws`` tests on SQLite and on
    PostgreSQL."""
    if "store_kind" in metafunc.fixturenames and (getattr(metafunc.module, "BOTH_STORES", False)
                                                  or os.environ.get("TRACER_TEST_BOTH")):
        metafunc.parametrize("store_kind", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def store_kind(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def ws(tmp_path, monkeypatch, store_kind, request) -> Workspace:
    if store_kind == "postgresql":
        workspace = PgWorkspace(tmp_path, monkeypatch, request.getfixturevalue("pg_url"))
        assert workspace("users", "add", "alice", "--role", "collector").exit_code == 0
        assert workspace("users", "add", "sam", "--role", "supervisor").exit_code == 0
        assert workspace("users", "add", "carol", "--role", "compliance",
                         "--user", "sam").exit_code == 0
        return workspace
    workspace = Workspace(tmp_path, monkeypatch)
    assert workspace("init").exit_code == 0
    assert workspace("users", "add", "alice", "--role", "collector").exit_code == 0
    assert workspace("users", "add", "sam", "--role", "supervisor").exit_code == 0
    assert workspace("users", "add", "carol", "--role", "compliance", "--user", "sam").exit_code == 0
    return workspace


ACCOUNTS = [
    # The debtor who moved: the creditor has the old Springfield address.
    dict(account_id="ACC-1", first_name="William", middle_name="J", last_name="Okafor",
         dob="1961-03-05", ssn="912-34-5678", street="12 Oak Street", city="Springfield",
         state="IL", zip="62704", phone="(217) 555-0101", email="w.okafor@example.com",
         balance="1520.00", status="open", flags="", assigned_to="alice",
         debt_origin="consumer_credit", last_activity="2024-06-01"),
    dict(account_id="ACC-2", first_name="Dana", last_name="Pruitt", dob="04/17/1975",
         ssn="923-45-6789", street="400 Lake Shore Dr", unit="Apt 9", city="Chicago",
         state="IL", zip="60611", phone="312.555.0102", status="open",
         flags="bankruptcy", debt_origin="consumer_credit"),
    dict(account_id="ACC-3", first_name="Luis", last_name="Ferreira", dob="19800229",
         ssn="934-56-7890", street="9 Elm St", city="Peoria", state="IL", zip="61602",
         status="open", debt_origin="involuntary"),
]
ACCOUNT_COLUMNS = ["account_id", "first_name", "middle_name", "last_name", "suffix", "dob",
                   "ssn", "street", "unit", "city", "state", "zip", "phone", "email",
                   "employer", "balance", "status", "flags", "assigned_to", "debt_origin",
                   "last_activity"]

RECORDS = [
    # Two sources see William Okafor at a new address in Peoria, recently.
    dict(record_id="CA-1", full_name="OKAFOR, WILLIAM J", dob="1961", street="77 Pine Ave",
         unit="Apt 2", city="Peoria", state="IL", zip="61602", first_seen="2025-02-01",
         last_seen="2026-09-30", event="property_owner"),
    dict(record_id="UT-1", first_name="Bill", last_name="Okafor", dob="03/05/1961",
         ssn_last4="5678", street="77 Pine Avenue Apt 2", city="Peoria", state="IL",
         zip="61602", phone="(309) 555-0144", phone_type="mobile",
         first_seen="2025-01-15", last_seen="2026-10-20", event="utility_connect"),
    # His old address, last seen before he moved.
    dict(record_id="UT-2", first_name="William", last_name="Okafor", dob="1961-03-05",
         ssn_last4="5678", street="12 Oak St", city="Springfield", state="IL", zip="62704",
         phone="217-555-0101", first_seen="2015-05-01", last_seen="2024-12-31"),
    # A different William Okafor: same name, other DOB and SSN.
    dict(record_id="UT-3", first_name="William", last_name="Okafor", dob="1990-08-08",
         ssn_last4="1111", street="5 Birch Rd", city="Rockford", state="IL", zip="61101",
         phone="(815) 555-0177", first_seen="2023-01-01", last_seen="2026-11-01"),
    # A new occupant of the old address after he left.
    dict(record_id="UT-4", first_name="Maria", last_name="Santos", dob="1988-01-12",
         street="12 Oak St", city="Springfield", state="IL", zip="62704",
         first_seen="2025-03-01", last_seen="2026-10-01"),
]
RECORD_COLUMNS = ["record_id", "first_name", "middle_name", "last_name", "suffix",
                  "full_name", "dob", "ssn_last4", "street", "unit", "city", "state", "zip",
                  "phone", "phone_type", "email", "employer", "first_seen", "last_seen",
                  "event", "event_date"]


@pytest.fixture
def loaded(ws) -> Workspace:
    """A workspace with the small portfolio and record file imported."""
    accounts = ws.write_csv("portfolio.csv", ACCOUNTS, ACCOUNT_COLUMNS)
    records = ws.write_csv("extract.csv", RECORDS, RECORD_COLUMNS)
    assert ws("accounts", "import", accounts, "--user", "alice").exit_code == 0
    assert ws("records", "import", records, "--source", "county_records",
              "--user", "alice").exit_code == 0
    return ws


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def sources_toml(overrides: dict[str, dict]) -> str:
    """The shipped config/sources.toml with ``overrides`` merged in, table by table."""
    import tomllib

    from tracer.settings import shipped_config_path
    tables = tomllib.loads(shipped_config_path("sources.toml").read_text())["sources"]
    for name, settings in overrides.items():
        tables[name] = {**tables.get(name, {}), **settings}
    lines = []
    for name, settings in tables.items():
        lines.append(f"[sources.{name}]")
        nested = {k: v for k, v in settings.items() if isinstance(v, dict)}
        lines += [f"{k} = {_toml_value(v)}" for k, v in settings.items() if k not in nested]
        for key, table in nested.items():
            lines.append(f"[sources.{name}.{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        lines.append("")
    return "\n".join(lines)


def configure_sources(directory: Path, **overrides) -> dict[str, str]:
    """A TRACER_CONFIG directory whose sources.toml names these sources (``enabled`` as
    given, true by default), the environment that points at it: a plugin runs only when
    sources.toml enables it by name."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = {name: {"enabled": True, **settings} for name, settings in overrides.items()}
    (directory / "sources.toml").write_text(sources_toml(tables))
    return {"TRACER_CONFIG": str(directory)}


def _spark_missing() -> str | None:
    """Why the Spark tests cannot run here, or None."""
    import importlib.util
    import os
    import shutil
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java for Spark (java on PATH or $JAVA_HOME)"
    return None


@pytest.fixture(scope="session")
def spark():
    """One local[2] SparkSession for every Spark test (starting one takes seconds):
    few shuffle partitions, no UI, bound to loopback."""
    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    from tracer.spark.session import spark_session
    session = spark_session("local[2]", shuffle_partitions=4)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (minutes each) run with TRACER_SLOW=1 or ``-m slow``."""
    import os
    if os.environ.get("TRACER_SLOW") == "1" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: set TRACER_SLOW=1 (or -m slow) to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# -- PostgreSQL (tests/pg_server.py) ------------------------------------------------------

@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the session (skipped only where it cannot run)."""
    import pg_server as server_module
    why = server_module.available()
    if why:
        pytest.skip(why)
    server = server_module.Server().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server, tmp_path, monkeypatch) -> str:
    """A fresh PostgreSQL workspace URL (initialized by the admin role, so the
    application role gets only its grants), the app role's URL returned; its key file
    in tmp_path."""
    from tracer.app.session import initialize
    name = pg_server.new_database()
    monkeypatch.setenv("TRACER_KEY_FILE", str(tmp_path / "pg.key"))
    monkeypatch.setenv("TRACER_PG_APP_ROLE", "tracer_app")
    store, created = initialize(pg_server.admin_url(name))
    store.close()
    monkeypatch.delenv("TRACER_PG_APP_ROLE")
    return pg_server.app_url(name)
