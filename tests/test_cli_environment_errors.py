"""Errors from the environment (a folder or a non-database as --db, a CSV cell over the
csv module's limit, an id too large for SQLite, a file that is a folder) print one
clear line and a non-zero exit code, never a traceback."""

from __future__ import annotations

import pytest

from click.testing import CliRunner

from tracer.cli import cli


def _run(tmp_path, *args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result, result.output


@pytest.mark.parametrize("make, args, code, message", [
    (lambda d: (d / "somedir").mkdir(), ["--db", "{d}/somedir", "init"], 1,
     "is --db a tracer workspace"),
    (lambda d: (d / "g.db").write_text("garbage"), ["--db", "{d}/g.db", "init"], 1,
     "is --db a tracer workspace"),
])
def test_a_bad_workspace_path_is_one_clear_line(tmp_path, make, args, code, message):
    make(tmp_path)
    result, text = _run(tmp_path, *[a.format(d=tmp_path) for a in args])
    assert result.exit_code == code and message in text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args, message", [
    (["accept", "L-x", "address:99999999999999999999", "--user", "sam"], "too large"),
    (["undo", "99999999999999999999", "--user", "sam"], "too large"),
    (["accounts", "import", "{d}/huge.csv", "--user", "sam"], "field larger than"),
])
def test_oversized_values_are_one_clear_line(ws, args, message):
    (ws.root / "huge.csv").write_text("account_id,first_name,last_name,notes\n"
                                      "A1,Ann,Lee," + "x" * (11 * 1024 * 1024) + "\n")
    run = ws(*[a.format(d=ws.root) for a in args])
    assert run.exit_code == 2 and message in run.output
