"""Rules that cannot change unseen (issue #18): every decision names the settings it was
made under, a change of them is audited, and a source runs only when sources.toml
enables it by name, never the environment."""

from __future__ import annotations

import hashlib
import json
import textwrap

import pytest

from conftest import configure_sources

REASON = "mail returned undeliverable, need a current address"


def trace(ws, account="ACC-1", user="bob", env=None):
    return ws("trace", account, "--purpose", "collect-debt", "--reason", REASON,
              "--user", user, "--as-of", "2026-11-01", env=env)


def decision(ws):
    return json.loads(ws.sql("SELECT payload FROM audit WHERE event = 'decision'"
                             " ORDER BY seq DESC LIMIT 1")[0][0])


def settings_changes(ws):
    return [(actor, json.loads(p)["changes"]) for actor, p in ws.sql(
        "SELECT actor, payload FROM audit WHERE event = 'settings_changed' ORDER BY seq")]


@pytest.fixture
def looser(loaded, tmp_path):
    """A TRACER_CONFIG directory whose policy.toml lets collectors trace anyone's
    accounts, but still calls itself the shipped version."""
    from tracer.settings import config_path as shipped_config_path
    loaded("users", "add", "bob", "--role", "collector", "--user", "sam")
    directory = tmp_path / "looser"
    directory.mkdir()
    text = shipped_config_path("policy.toml").read_text()
    assert 'assigned_only = ["collector"]' in text
    (directory / "policy.toml").write_text(text.replace('assigned_only = ["collector"]',
                                                        "assigned_only = []"))
    return directory


def test_a_looser_policy_under_tracer_config_is_visible_in_the_audit(loaded, looser):
    from tracer.settings import config_path as shipped_config_path
    denied = trace(loaded)                            # ACC-1 is alice's
    assert denied.exit_code == 3 and "assigned to another collector" in denied.stdout
    shipped = decision(loaded)["settings"]["policy"]
    assert shipped["path"] == str(shipped_config_path("policy.toml"))
    [(actor, first)] = settings_changes(loaded)
    assert actor in ("alice", "sam") and all(c["old_sha256"] is None for c in first)

    allowed = trace(loaded, env={"TRACER_CONFIG": str(looser)})
    assert allowed.exit_code == 0, allowed.output
    made_under = decision(loaded)
    assert made_under["outcome"] != "deny"
    assert made_under["policy_version"] == "2026.12.1"          # the same version string...
    new_sha = hashlib.sha256((looser / "policy.toml").read_bytes()).hexdigest()
    assert made_under["settings"]["policy"] == {"path": str(looser / "policy.toml"),
                                                "sha256": new_sha}   # ...another file
    actor, change = settings_changes(loaded)[-1]
    assert actor == "bob"
    assert change == [{"settings": "policy", "old_path": shipped["path"],
                       "old_sha256": shipped["sha256"], "new_path": str(looser / "policy.toml"),
                       "new_sha256": new_sha}]
    assert f"from {looser / 'policy.toml'}" in allowed.stdout      # and the trace says so
    # the change is written once, not on every command run under it
    trace(loaded, env={"TRACER_CONFIG": str(looser)})
    assert len(settings_changes(loaded)) == 2
    trace(loaded)                                               # back: audited again
    assert settings_changes(loaded)[-1][1][0]["new_sha256"] == shipped["sha256"]
    assert loaded("audit", "verify").exit_code == 0


def test_a_denial_names_the_settings_too(loaded, looser):
    loaded("accounts", "show", "ACC-1", "--user", "nobody", env={"TRACER_CONFIG": str(looser)})
    denial = json.loads(loaded.sql("SELECT payload FROM audit WHERE event = 'access_denied'"
                                   )[0][0])
    assert denial["settings"]["policy"]["path"] == str(looser / "policy.toml")
    assert set(denial["settings"]) == {"policy", "purposes", "sources"}


RECORDING_PLUGIN = textwrap.dedent('''
    import json, os
    from tracer.sources.base import Source
    from tracer.sources.hookspecs import hookimpl

    class RecordingSource(Source):
        """Writes every query it receives to $RECORDING_SOURCE_LOG."""
        name = "recording"
        kind = "public_record"
        query_fields = ("first_name", "last_name", "zip")
        def search(self, query):
            with open(os.environ["RECORDING_SOURCE_LOG"], "a") as fh:
                fh.write(json.dumps(query) + "\\n")
            return []

    @hookimpl
    def register_sources():
        return [RecordingSource]
''')


@pytest.fixture
def plugin(loaded, tmp_path, monkeypatch):
    (tmp_path / "recording_plugin.py").write_text(RECORDING_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRACER_PLUGINS", "recording_plugin")
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("RECORDING_SOURCE_LOG", str(log))
    return log


def _queried(ws) -> set[str]:
    return {json.loads(r[0])["source"] for r in ws.sql(
        "SELECT payload FROM audit WHERE event = 'source_query'")}


@pytest.mark.parametrize("env", [
    {},                                                     # installed, not configured
    {"TRACER_SOURCE_RECORDING_ENABLED": "true"},            # the environment cannot enable
])
def test_an_unlisted_plugin_is_never_queried(loaded, plugin, env):
    run = trace(loaded, user="alice", env=env)
    assert run.exit_code == 0, run.output
    assert not plugin.exists() and "recording" not in _queried(loaded)
    listed = {r["name"]: r for r in json.loads(loaded("sources", "list", "--json",
                                                      env=env).stdout)}
    assert not listed["recording"]["enabled"]
    assert listed["recording"]["disabled_reason"].startswith("not configured")


def test_sources_toml_enables_it_by_name(loaded, plugin, tmp_path):
    env = configure_sources(tmp_path / "config", recording={})
    assert trace(loaded, user="alice", env=env).exit_code == 0
    assert plugin.exists() and "recording" in _queried(loaded)


def test_an_environment_variable_cannot_enable_a_source_compliance_disabled(ws):
    env = {"TRACER_SOURCE_OSCN_ENABLED": "true", "TRACER_SOURCE_OSCN_BASE_URL": "http://127.0.0.1:9"}
    listed = {r["name"]: r for r in json.loads(ws("sources", "list", "--json",
                                                  env=env).stdout)}
    assert not listed["oscn"]["enabled"]
    assert "terms not yet reviewed" in listed["oscn"]["disabled_reason"]


def test_an_environment_variable_still_supplies_settings(plugin, tmp_path, monkeypatch):
    from tracer.sources.registry import SourceRegistry
    for key, value in configure_sources(tmp_path / "config", recording={}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRACER_SOURCE_RECORDING_TIMEOUT", "3")
    assert SourceRegistry().adapter("recording").context.settings["timeout"] == "3"


BAD_NAME_PLUGIN = textwrap.dedent('''
    from tracer.sources.base import Source
    from tracer.sources.hookspecs import hookimpl

    class Bad(Source):
        name = "Bad-Name"
        kind = "public_record"

    @hookimpl
    def register_sources():
        return [Bad]
''')


def test_a_plugin_source_name_is_validated(ws, tmp_path, monkeypatch):
    (tmp_path / "bad_name_plugin.py").write_text(BAD_NAME_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRACER_PLUGINS", "bad_name_plugin")
    run = ws("sources", "list")
    assert run.exit_code == 2 and "a source name is 1-40 lower-case" in run.stderr
    assert "Traceback" not in run.output


@pytest.mark.parametrize("table, message", [
    ("[sources.Bad-Name]\nenabled = true\n", "a source name is 1-40"),
    (f"[sources.{'x' * 41}]\nenabled = true\n", "a source name is 1-40"),
    ('[sources.imported_records]\nenabled = "yes"\n', "enabled must be true or false"),
])
def test_sources_toml_names_and_enabled_are_validated(ws, tmp_path, table, message):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "sources.toml").write_text(table)
    run = ws("sources", "list", env={"TRACER_CONFIG": str(tmp_path / "cfg")})
    assert run.exit_code == 2 and message in run.stderr
