"""`tracer trace`: the whole lookup through the real CLI."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import configure_sources

#: Run on SQLite and on PostgreSQL (tests/conftest.py, pg_server.py).
BOTH_STORES = True

REASON = "mail returned undeliverable, need a current address"


def trace(ws, account, *extra, purpose="collect-debt", user="alice", reason=REASON):
    return ws("trace", account, "--purpose", purpose, "--reason", reason, "--user", user,
              "--as-of", "2026-11-01", *extra)


def test_moved_debtor_new_address_ranked_first(loaded):
    run = trace(loaded, "ACC-1", "--json")
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    addresses = [c for c in result["contacts"] if c["kind"] == "address"]
    assert addresses[0]["value"] == "77 PINE AVE APT 2, PEORIA, IL 61602"
    assert addresses[0]["sources"] == ["county_records"]
    assert addresses[0]["confidence"] > 0.5
    assert "2 source" not in addresses[0]["explanation"]  # one file, one source name
    phones = [c for c in result["contacts"] if c["kind"] == "phone"]
    assert phones[0]["value"] == "+13095550144"
    # The other William Okafor (different DOB and SSN) is never attached to the debtor.
    values = {c["value"] for c in result["contacts"]}
    assert "+18155550177" not in values
    assert "5 BIRCH RD, ROCKFORD, IL 61101" not in values


def test_new_occupant_does_not_make_old_address_current(loaded):
    result = json.loads(trace(loaded, "ACC-1", "--json").stdout)
    old = [c for c in result["contacts"] if c["value"].startswith("12 OAK ST")]
    assert old and old[0]["rank"] > 1
    assert "superseded" in old[0]["explanation"] or "someone else" in old[0]["explanation"]


def test_table_output_explains_rank(loaded):
    run = trace(loaded, "ACC-1")
    assert run.exit_code == 0
    assert "77 PINE AVE APT 2, PEORIA, IL 61602" in run.stdout
    assert "newest address of this identity" in run.stdout
    assert "decision allow" in run.stdout


def test_as_of_hides_later_records(loaded):
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice", "--as-of", "2024-06-30", "--json")
    result = json.loads(run.stdout)
    assert result["as_of"] == "2024-06-30"
    first = [c for c in result["contacts"] if c["kind"] == "address"][0]
    assert first["value"] == "12 OAK ST, SPRINGFIELD, IL 62704"


def test_bankrupt_account_is_denied_with_citation(loaded):
    run = trace(loaded, "ACC-2")
    assert run.exit_code == 3
    assert "bankruptcy" in run.stdout
    assert "11 U.S.C. 362" in run.stdout


@pytest.mark.parametrize("args, code", [
    (["ACC-1", "--purpose", "collect-debt", "--user", "alice"], 2),  # no --reason
    (["ACC-1", "--reason", REASON, "--user", "alice"], 2),            # no --purpose
    (["ACC-1", "--purpose", "collect-debt", "--reason", REASON], 2),  # no user
    (["ACC-1", "--purpose", "collect-debt", "--reason", REASON, "--user", "alice",
      "--as-of", "someday"], 2),
    (["ACC-1", "--purpose", "collect-debt", "--reason", REASON, "--user", "alice",
      "--as-of", "1876-11-01"], 2),                                  # a mistyped year
])
def test_bad_usage_exits_2(loaded, args, code):
    run = loaded("trace", *args)
    assert run.exit_code == code
    assert "Traceback" not in run.output


def test_an_as_of_date_in_the_future_is_traced_with_a_note(loaded):
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "alice", "--as-of", "2099-01-01", "--json")
    assert run.exit_code == 0
    assert "2099-01-01 is in the future" in run.stderr
    assert json.loads(run.stdout)["as_of"] == "2099-01-01"
    mistyped = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                      "--user", "alice", "--as-of", "1876-11-01")
    assert "before 1900" in mistyped.stderr
    assert loaded.sql("SELECT count(*) FROM lookups WHERE as_of LIKE '1876%'") == [(0,)]


@pytest.mark.parametrize("account, user, purpose, reason, expected", [
    ("ACC-1", "carol", "collect-debt", REASON, "role 'compliance' may not trace"),
    ("ACC-1", "nobody", "collect-debt", REASON, "the user does not exist"),
    ("ACC-9", "alice", "collect-debt", REASON, "the account does not exist"),
    ("ACC-1", "alice", "sell-data", REASON, "not in the purpose catalog"),
    ("ACC-1", "alice", "collect-debt", "test", "placeholder"),
    ("ACC-1", "alice", "collect-debt", "need it", "at least 4 words"),
    ("ACC-3", "alice", "collect-debt", REASON, "involuntary debt does not qualify"),
])
def test_denials(loaded, account, user, purpose, reason, expected):
    run = trace(loaded, account, user=user, purpose=purpose, reason=reason)
    assert run.exit_code == 3, run.output
    assert expected in run.stdout


def test_completed_lookup_with_no_result_exits_0(ws):
    path = ws.write_csv("p.csv", [dict(account_id="Z-1", first_name="Quentin",
                                       last_name="Zzyzx", state="IL", zip="62704")])
    assert ws("accounts", "import", path, "--user", "alice").exit_code == 0
    run = ws("trace", "Z-1", "--purpose", "collect-debt", "--reason", REASON,
             "--user", "alice", "--json")
    assert run.exit_code == 0
    assert json.loads(run.stdout)["contacts"] == []


RECORDING_PLUGIN = textwrap.dedent('''
    import json, os
    from tracer.sources.base import Source
    from tracer.sources.hookspecs import hookimpl

    class RecordingSource(Source):
        """Writes every query it receives to $RECORDING_SOURCE_LOG."""
        name = "recording"
        kind = "public_record"
        query_fields = ("first_name", "last_name", "dob", "ssn_last4", "zip")
        def search(self, query):
            with open(os.environ["RECORDING_SOURCE_LOG"], "a") as fh:
                fh.write(json.dumps(query) + "\\n")
            return []

    @hookimpl
    def register_sources():
        return [RecordingSource]
''')


@pytest.fixture
def recording(loaded, tmp_path, monkeypatch):
    (tmp_path / "recording_plugin.py").write_text(RECORDING_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("TRACER_PLUGINS", "recording_plugin")
    for key, value in configure_sources(tmp_path / "config", recording={}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RECORDING_SOURCE_LOG", str(log))
    return log


def test_denied_lookup_calls_no_source(loaded, recording):
    run = trace(loaded, "ACC-2")
    assert run.exit_code == 3
    assert not recording.exists(), "a source was called for a denied lookup"
    lookup_id = loaded.sql("SELECT lookup_id FROM lookups WHERE account_id='ACC-2'")[0][0]
    events = [r[0] for r in loaded.sql(
        "SELECT event FROM audit WHERE lookup_id = ? ORDER BY seq", (lookup_id,))]
    assert events == ["lookup_requested", "decision"]
    payload = json.loads(loaded.sql(
        "SELECT payload FROM audit WHERE lookup_id = ? AND event='decision'", (lookup_id,))[0][0])
    assert payload["outcome"] == "deny"
    assert "11 U.S.C. 362" in payload["reasons"][0]["citations"]
    assert payload["policy_version"]


def test_allowed_lookup_calls_source_after_durable_decision(loaded, recording):
    run = trace(loaded, "ACC-1")
    assert run.exit_code == 0, run.output
    calls = [json.loads(line) for line in recording.read_text().splitlines()]
    assert len(calls) == 1
    assert set(calls[0]) <= {"first_name", "last_name", "dob", "ssn_last4", "zip"}
    assert "ssn" not in calls[0]
    events = [r[0] for r in loaded.sql(
        "SELECT event FROM audit WHERE account_id = 'ACC-1' AND lookup_id IS NOT NULL ORDER BY seq")]
    assert events[:2] == ["lookup_requested", "decision"]
    assert events.index("decision") < events.index("source_query")
    queries = [json.loads(r[0]) for r in loaded.sql(
        "SELECT payload FROM audit WHERE event = 'source_query' AND account_id='ACC-1'")]
    assert {q["source"] for q in queries} == {"recording", "imported_records", "account_history"}


FAILING_PLUGIN = textwrap.dedent('''
    import time
    from tracer.sources.base import Source
    from tracer.sources.hookspecs import hookimpl

    class Broken(Source):
        name = "broken"
        kind = "public_record"
        query_fields = ("last_name",)
        def search(self, query):
            raise RuntimeError("upstream returned garbage")

    class Hanging(Source):
        name = "hanging"
        kind = "public_record"
        query_fields = ("last_name",)
        def search(self, query):
            time.sleep(5)
            return []

    @hookimpl
    def register_sources():
        return [Broken, Hanging]
''')


def test_failing_and_hanging_sources_do_not_sink_the_lookup(loaded, tmp_path, monkeypatch):
    (tmp_path / "failing_plugin.py").write_text(FAILING_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRACER_PLUGINS", "failing_plugin")
    monkeypatch.setenv("TRACER_SOURCE_HANGING_TIMEOUT", "0.5")
    for key, value in configure_sources(tmp_path / "config", broken={}, hanging={}).items():
        monkeypatch.setenv(key, value)
    run = trace(loaded, "ACC-1", "--json")
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    errors = {s["source"]: s["error"] for s in result["sources"] if s["error"]}
    assert "upstream returned garbage" in errors["broken"]
    assert "timed out" in errors["hanging"]
    assert result["contacts"][0]["value"] == "77 PINE AVE APT 2, PEORIA, IL 61602"
    audited = {json.loads(r[0])["source"] for r in loaded.sql(
        "SELECT payload FROM audit WHERE event = 'source_error'")}
    assert audited == {"broken", "hanging"}
