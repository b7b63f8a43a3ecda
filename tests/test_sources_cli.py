"""`tracer sources list | check | health` through the real CLI."""

from __future__ import annotations

import json

import pytest

from conftest import configure_sources

REASON = "mail returned undeliverable, need a current address"

#: A plugin module with one broken and one failing source, loaded via TRACER_PLUGINS.
PLUGIN = '''
from tracer.errors import SourceError
from tracer.models import Record
from tracer.sources.base import Source
from tracer.sources.hookspecs import hookimpl


class Leaky(Source):
    """Returns a phone it never declared."""
    name = "leaky"
    query_fields = ("last_name",)
    returns = ("last_name",)
    terms_url = "https://example.org/records/terms"

    def search(self, query):
        return [Record(self.name, "1", last_name="X", phone="2175550100")]


class Flaky(Source):
    """Always fails, as a source that is down does."""
    name = "flaky"
    query_fields = ("last_name",)
    returns = ("last_name",)
    terms_url = "https://example.org/records/terms"

    def search(self, query):
        raise SourceError(self.name, "service unavailable")


@hookimpl
def register_sources():
    return [Leaky, Flaky]
'''


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    (tmp_path / "cli_test_plugins.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRACER_PLUGINS", "cli_test_plugins")
    for key, value in configure_sources(tmp_path / "config", leaky={}, flaky={}).items():
        monkeypatch.setenv(key, value)


def test_list_shows_every_source_and_why_a_disabled_one_is_off(ws):
    run = ws("sources", "list", "--json")
    assert run.exit_code == 0, run.output
    rows = {r["name"]: r for r in json.loads(run.stdout)}
    assert rows["imported_records"]["enabled"] and rows["account_history"]["enabled"]
    oscn = rows["oscn"]
    assert not oscn["enabled"]
    assert "terms not yet reviewed" in oscn["disabled_reason"]
    assert oscn["kind"] == "public_record" and "collect-debt" in oscn["purposes"]


def test_list_as_a_table(ws):
    run = ws("sources", "list")
    assert run.exit_code == 0
    assert "account_history" in run.stdout and "no: disabled" in run.stdout


@pytest.mark.parametrize("args, code, expected", [
    (["account_history"], 0, "conforms"),
    (["imported_records", "--offline"], 0, "conforms"),
    (["leaky"], 1, "undeclared fields ['phone']"),
    (["flaky"], 1, "raised SourceError"),
    (["flaky", "--offline"], 0, "conforms"),
    (["nosuch"], 2, "no source named 'nosuch'"),
    (["account_history", "--setting", "timeout"], 2, "KEY=VALUE"),
    (["account_history", "--query", "[1]"], 2, "JSON object"),
    (["account_history", "--query", "{bad"], 2, "JSON object"),
])
def test_check(ws, plugins, args, code, expected):
    run = ws("sources", "check", *args)
    assert run.exit_code == code, run.output
    assert expected in run.output


def test_check_runs_a_disabled_source_with_settings_overrides(ws):
    run = ws("sources", "check", "oscn", "--setting", "base_url=", "--json")
    assert run.exit_code == 0, run.output
    checks = {c["check"]: c for c in json.loads(run.stdout)["checks"]}
    assert checks["starts"]["status"] == "skip"
    assert "no base_url" in checks["starts"]["detail"]


def test_health_counts_calls_errors_latency_and_hits(loaded, plugins):
    for account, purpose in [("ACC-1", "collect-debt"), ("ACC-3", "verify-identity"),
                             ("ACC-1", "collect-debt")]:
        run = loaded("trace", account, "--purpose", purpose, "--reason", REASON,
                     "--user", "alice")
        assert run.exit_code == 0, run.output
    run = loaded("sources", "health", "--json")
    assert run.exit_code == 0, run.output
    health = json.loads(run.stdout)
    history = health["account_history"]
    assert (history["calls"], history["errors"], history["hit_rate"]) == (3, 0, 1.0)
    assert 0 <= history["p50_ms"] <= history["p95_ms"] and history["last_success"]
    imported = health["imported_records"]
    assert imported["calls"] == 3 and 0 < imported["hit_rate"] < 1  # nothing for ACC-3
    coverage = imported["field_coverage"]
    assert coverage["last_name"] == 1.0 and 0 < coverage["phone"] < 1
    assert "ssn_hash" not in coverage and "record_id" not in coverage
    flaky = health["flaky"]
    assert (flaky["calls"], flaky["errors"], flaky["error_rate"], flaky["hit_rate"],
            flaky["last_success"]) == (3, 3, 1.0, None, None)
    assert health["oscn"]["calls"] == 0                              # registered, never asked
    audited = loaded.sql("SELECT count(*) FROM audit WHERE event IN "
                         "('source_result', 'source_error')")[0][0]
    assert audited == sum(h["calls"] for h in health.values())


def test_health_since_and_table(loaded):
    loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON, "--user", "alice")
    later = json.loads(loaded("sources", "health", "--since", "2999-01-01", "--json").stdout)
    assert later["account_history"]["calls"] == 0
    table = loaded("sources", "health")
    assert table.exit_code == 0 and "account_history" in table.stdout and "100%" in table.stdout


def test_health_rejects_a_bad_since(ws):
    run = ws("sources", "health", "--since", "last tuesday")
    assert run.exit_code == 2 and "YYYY-MM-DD" in run.output


@pytest.mark.parametrize("command", [[], ["list"], ["check"], ["health"]])
def test_every_command_and_option_has_help(command):
    from click.testing import CliRunner

    from tracer.cli import cli
    group = cli.commands["sources"]
    target = group if not command else group.commands[command[0]]
    assert target.help
    for param in target.params:
        if param.param_type_name == "option":
            assert param.help, f"{command} {param.name} has no help"
    result = CliRunner().invoke(cli, ["sources", *command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
