"""Bounded work on hostile input (issue #19, part 3): field caps at import, reported; the
--where parser's own depth limit with a true message; resolve caps its cells."""

from __future__ import annotations

import csv
import json
import time

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS
from tracer.store.sqlite.filters import MAX_DEPTH, where_sql
from tracer.errors import InputError

REASON = "mail returned undeliverable, need a current address"


@pytest.mark.parametrize("expr", ["not " * 495 + "state = 'IL'",
                                  "(" * 120 + "state = 'IL'" + ")" * 120,
                                  "not (" * 40 + "state = 'IL'" + ")" * 40])
def test_where_refuses_deep_nesting_with_its_own_message(loaded, expr):
    run = loaded("batch", "--purpose", "collect-debt", "--reason", REASON, "--user", "sam",
                 "--where", expr)
    assert run.exit_code == 2, run.output
    assert f"nested more than {MAX_DEPTH} deep" in run.stderr
    assert "tracer workspace" not in run.stderr


def test_where_accepts_nesting_up_to_the_limit():
    sql, params = where_sql("not " * MAX_DEPTH + "state = 'IL'")
    assert sql.count("NOT") == MAX_DEPTH and params == ["IL"]
    with pytest.raises(InputError):
        where_sql("not " * (MAX_DEPTH + 1) + "state = 'IL'")


@pytest.mark.parametrize("column, size", [("first_name", 200_000), ("street", 5_000),
                                          ("record_id", 1_000), ("employer", 100_000)])
def test_an_over_long_field_is_rejected_at_import_and_reported(ws, column, size):
    rows = [dict(RECORDS[0]), {**RECORDS[1], column: "A" * size}]
    path = ws.write_csv("r.csv", rows, RECORD_COLUMNS)
    started = time.perf_counter()
    run = ws("records", "import", path, "--source", "s", "--user", "alice", "--json")
    assert time.perf_counter() - started < 10
    assert json.loads(run.stdout) | {"rejects": None} == {
        "imported": 1, "updated": 0, "unchanged": 0, "rejected": 1, "rejects": None,
        "problems": 0, "problems_report": None}
    with open(ws.root / "r.rejects.csv", newline="") as fh:
        [reject] = list(csv.DictReader(fh))
    assert reject["reason"].startswith(f"{column} is longer than")


def test_an_over_long_account_name_is_rejected(ws):
    path = ws.write_csv("p.csv", [{**ACCOUNTS[0], "first_name": "W" * 200_000}],
                        ACCOUNT_COLUMNS)
    run = ws("accounts", "import", path, "--user", "alice", "--json")
    assert json.loads(run.stdout)["rejected"] == 1


def test_resolve_caps_huge_cells_and_reports_them(tmp_path):
    from click.testing import CliRunner
    from tracer.cli import cli
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "first_name", "last_name", "zip"])
        for i in range(30):
            writer.writerow([i, "JOHN" if i else "J" * 200_000, "SMITH", "62704"])
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "resolve", str(src),
                                      "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 30
    problems = (tmp_path / "out.problems.csv").read_text()
    assert "longer than 300 characters" in problems
