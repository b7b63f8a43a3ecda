"""The same output guard everywhere, formulas escaped in every CSV tracer writes, owner-only
files whatever the umask, and invalid UTF-8 never read as something else (issue #19,
parts 4 and 5)."""

from __future__ import annotations

import csv
import json
import os
import stat
import sqlite3

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS

REASON = "mail returned undeliverable, need a current address"
WORKSPACE_FILES = ("tracer.db", "tracer.db.key", "tracer.db-wal", "tracer.db-shm")


def _resolve_input(root):
    path = root / "people.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "first_name", "last_name", "dob", "zip"])
        writer.writerow(["=HYPERLINK(\"http://127.0.0.1:9\")", "Ann", "Lee", "1980-01-02", "62704"])
        writer.writerow(["2", "Ann", "Lee", "1980-01-02", "62704"])
        writer.writerow(["3", "@SUM(A1)", "Lee", "13/45/1980", "62704"])
    return path


@pytest.mark.parametrize("option", ["--out", "--pairs", "--settings"])
@pytest.mark.parametrize("target", WORKSPACE_FILES)
@pytest.mark.parametrize("how", ["--db", "TRACER_DB"])
def test_resolve_never_overwrites_the_workspace(ws, option, target, how):
    src = _resolve_input(ws.root)
    (ws.root / "tracer.db-wal").touch()
    (ws.root / "tracer.db-shm").touch()
    before = {n: (ws.root / n).read_bytes() for n in WORKSPACE_FILES}
    args = ["resolve", str(src), "--out", str(ws.root / "out.csv")]
    if option != "--out":
        args += [option, str(ws.root / target)]
    else:
        args[3] = str(ws.root / target)
    if how == "--db":
        run = ws(*args)                     # the fixture passes --db
    else:
        from click.testing import CliRunner
        from tracer.cli import cli
        result = CliRunner().invoke(cli, args, env={"TRACER_DB": str(ws.db)})
        run = type("Run", (), {"exit_code": result.exit_code, "stderr": result.stderr})
    assert run.exit_code == 2, run.stderr
    assert "would overwrite the workspace" in run.stderr
    assert {n: (ws.root / n).read_bytes() for n in WORKSPACE_FILES} == before


def test_resolve_outputs_escape_formulas_and_mask_ids(tmp_path):
    from click.testing import CliRunner
    from tracer.cli import cli
    src = _resolve_input(tmp_path)
    with src.open("a", newline="") as fh:
        csv.writer(fh).writerow(["912-34-5678", "Bo", "Chan", "1970-05-06", "60611"])
    out, pairs = tmp_path / "out.csv", tmp_path / "pairs.csv"
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "resolve", str(src),
                                      "--out", str(out), "--pairs", str(pairs)])
    assert result.exit_code == 0, result.output
    for path in (out, pairs, tmp_path / "out.problems.csv"):
        text = path.read_text()
        cells = [c for row in csv.reader(text.splitlines()) for c in row]
        assert not any(c.startswith(("=", "+", "@")) for c in cells), (path, cells)
        assert "912-34-5678" not in text
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "'=HYPERLINK" in out.read_text()
    assert "XXX-XX-5678" in out.read_text()


def test_rejects_reports_escape_formulas(ws):
    rows = [{**ACCOUNTS[0], "account_id": "=cmd|' /C calc'!A0", "state": "XX"},
            {**ACCOUNTS[1], "first_name": "@SUM(1+1)", "zip": "nope"}]
    path = ws.write_csv("p.csv", rows, ACCOUNT_COLUMNS)
    ws("accounts", "import", path, "--user", "alice")
    report = ws.root / "p.rejects.csv"
    cells = [c for row in csv.reader(report.read_text().splitlines()) for c in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells
    assert not any(c.startswith(("=", "@")) for c in cells)
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600


def test_demo_never_deletes_a_real_demo_db_or_a_file_it_did_not_make(tmp_path):
    from click.testing import CliRunner
    from tracer.cli import cli
    runner = CliRunner()
    real = tmp_path / "real"
    real.mkdir()
    assert runner.invoke(cli, ["--db", str(real / "demo.db"), "init"]).exit_code == 0
    before = (real / "demo.db").read_bytes()
    result = runner.invoke(cli, ["demo", "--workdir", str(real)])
    assert result.exit_code == 2 and "did not create" in result.output
    assert (real / "demo.db").read_bytes() == before
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "contacts.csv").write_text("my own contacts\n")
    result = runner.invoke(cli, ["demo", "--workdir", str(mine)])
    assert result.exit_code == 2
    assert (mine / "contacts.csv").read_text() == "my own contacts\n"
    # the demo's own files, unchanged since, it replaces on a second run
    fresh = tmp_path / "fresh"
    assert runner.invoke(cli, ["demo", "--workdir", str(fresh)]).exit_code == 0
    assert runner.invoke(cli, ["demo", "--workdir", str(fresh)]).exit_code == 0
    assert stat.S_IMODE(os.stat(fresh / "contacts.csv").st_mode) == 0o600


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_everything_tracer_writes_is_owner_only_whatever_the_umask(ws, loose_umask, tmp_path):
    os.umask(0o000)
    accounts = ws.write_csv("p.csv", [*ACCOUNTS, {**ACCOUNTS[0], "account_id": "X",
                                                  "state": "ZZ"}], ACCOUNT_COLUMNS)
    records = ws.write_csv("r.csv", RECORDS, RECORD_COLUMNS)
    ws("accounts", "import", accounts, "--user", "alice")
    ws("records", "import", records, "--source", "county", "--user", "alice")
    ws("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON, "--user", "alice")
    outs = {"contacts": tmp_path / "c.csv", "audit": tmp_path / "a.jsonl",
            "graph": tmp_path / "g.html", "checkpoint": tmp_path / "h.json"}
    ws("export", "contacts", "--out", outs["contacts"], "--user", "alice")
    ws("audit", "export", "--out", outs["audit"], "--user", "carol")
    ws("graph", "ACC-1", "--format", "html", "--out", outs["graph"], "--user", "alice")
    ws("audit", "checkpoint", "--out", outs["checkpoint"])
    written = [ws.root / n for n in ("tracer.db", "tracer.db.key", "p.rejects.csv")]
    written += [p for p in ws.root.glob("tracer.db-*")] + list(outs.values())
    for path in written:
        assert path.exists(), path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


@pytest.mark.parametrize("name", ["tracer.db", "tracer.db.key"])
def test_a_database_or_key_others_can_read_is_refused_with_the_chmod(ws, name):
    os.chmod(ws.root / name, 0o644)
    run = ws("users", "list")
    assert run.exit_code == 1 and "chmod 600" in run.stderr and name in run.stderr
    os.chmod(ws.root / name, 0o600)
    assert ws("users", "list").exit_code == 0


@pytest.mark.parametrize("content, stored, rejected", [
    (b"J\xc3(HN", None, 1),                    # damaged UTF-8: rejected, never "JAHN"
    ("José".encode("utf-8"), "JOSE", 0),
    ("José".encode("cp1252"), "JOSE", 0),        # Excel's cp1252: every byte a letter
    ("S\xc3O".encode("latin-1"), "SAO", 0),      # cp1252 SÃO
    ("Zoë".encode("utf-8") + b",Lee\n9,Bj\xf6rk", None, 1),  # UTF-8, one bad row
])
def test_invalid_utf8_is_rejected_not_guessed(ws, content, stored, rejected):
    path = ws.root / "r.csv"
    path.write_bytes(b"record_id,first_name,last_name\n1," + content + b",Lee\n")
    run = ws("records", "import", path, "--source", "s", "--user", "alice", "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["rejected"] == rejected
    names = [r[0] for r in ws.sql("SELECT first_name FROM records ORDER BY record_id")]
    assert "JAHN" not in names and "JA HN" not in names
    if stored:
        assert names[0] == stored
    if rejected:
        report = (ws.root / "r.rejects.csv").read_text()
        assert "not UTF-8" in report


def test_workspace_guard_covers_wal_and_shm_for_every_writer(ws):
    conn = sqlite3.connect(ws.db)
    conn.close()
    for target in ("tracer.db-wal", "tracer.db-shm"):
        run = ws("audit", "checkpoint", "--out", ws.root / target)
        assert run.exit_code == 2 and "would overwrite the workspace" in run.stderr
