"""Everything is reachable from `tracer --help`, and every command explains itself."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tracer.cli import cli


def walk(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*prefix, name))


COMMANDS = list(walk(cli))
REQUIRED = {("init",), ("users", "add"), ("users", "list"), ("accounts", "import"),
            ("records", "import"), ("trace",), ("export", "contacts"), ("audit", "verify"),
            ("audit", "checkpoint"), ("demo",)}


def test_required_commands_exist():
    assert REQUIRED <= {path for path, _ in COMMANDS}


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help(path, command):
    assert command.help and len(command.help.strip()) > 20
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def test_top_level_help_lists_groups():
    output = CliRunner().invoke(cli, ["--help"]).output
    for name in ("init", "users", "accounts", "records", "trace", "export", "audit", "demo"):
        assert name in output


def test_missing_workspace_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "users", "list"])
    assert result.exit_code == 1
    assert "run `tracer init` first" in result.stderr


def test_env_selects_workspace_and_user(tmp_path, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("TRACER_DB", str(db))
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert db.exists()
    assert runner.invoke(cli, ["users", "add", "zed", "--role", "supervisor"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list", "--json"]).output
    assert '"zed"' in listed
