"""`tracer batch`: one gate decision per account, a summary, list/show, --where, sources
that time out, attachments at a threshold."""

from __future__ import annotations

import json
import textwrap
from collections import Counter

import pytest

from conftest import configure_sources

from tracer.store.sqlite.filters import where_sql
from tracer.errors import InputError
from tracer_dev.synthetic import PORTFOLIO_COLUMNS, RECORD_COLUMNS, generate_world, write_csv

REASON = "quarterly skip trace of accounts with returned mail"
AS_OF = "2026-11-01"


def batch(ws, *extra, user="sam", reason=REASON):
    return ws("batch", "--purpose", "collect-debt", "--reason", reason, "--user", user,
              "--as-of", AS_OF, *extra)


@pytest.fixture
def synthetic(ws):
    """A workspace with ~100 synthetic accounts and their records."""
    world = generate_world(120, seed=7, account_rate=0.9)
    accounts = write_csv(ws.root / "accounts.csv", world.account_rows(100), PORTFOLIO_COLUMNS)
    assert accounts == 100
    write_csv(ws.root / "records.csv", world.record_rows(), RECORD_COLUMNS)
    assert ws("accounts", "import", ws.root / "accounts.csv", "--user", "sam").exit_code == 0
    assert ws("records", "import", ws.root / "records.csv", "--source", "county",
              "--user", "sam").exit_code == 0
    return ws


def test_batch_traces_every_open_account_once_with_its_own_decision(synthetic):
    run = batch(synthetic, "--json")
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    open_ids = {r[0] for r in synthetic.sql("SELECT account_id FROM accounts WHERE status='open'")}
    assert summary["status"] == "completed"
    assert summary["total"] == summary["done"] == len(open_ids)
    assert summary["traced"] + summary["denied"] == summary["total"]
    assert (summary["located"] + summary["nothing_current"] + summary["nothing_found"]
            + summary["withheld"]) == summary["traced"]
    assert summary["located"] > 0
    assert sum(summary["denied_by_reason"].values()) >= summary["denied"]
    lookups = synthetic.sql("SELECT account_id, batch_id FROM lookups")
    assert Counter(a for a, _ in lookups) == Counter(open_ids)
    assert {b for _, b in lookups} == {summary["id"]}
    # One lookup_requested + one decision per account, as an interactive trace writes.
    events = Counter(r[0] for r in synthetic.sql(
        "SELECT event FROM audit WHERE lookup_id IS NOT NULL"))
    assert events["lookup_requested"] == events["decision"] == len(open_ids)
    assert events["candidates_ranked"] == summary["traced"]
    started = [json.loads(r[0]) for r in synthetic.sql(
        "SELECT payload FROM audit WHERE event = 'batch_started'")]
    assert started == [{"batch_id": summary["id"], "purpose": "collect-debt", "reason": REASON,
                        "as_of": AS_OF, "selection": {"where": "status = 'open'"},
                        "size": len(open_ids), "workers": 1, "attach_above": None}]
    finished = json.loads(synthetic.sql(
        "SELECT payload FROM audit WHERE event = 'batch_finished'")[0][0])
    assert finished["located"] == summary["located"]
    assert synthetic("audit", "verify").exit_code == 0


def test_summary_table_and_denials(synthetic):
    run = batch(synthetic)
    assert run.exit_code == 0, run.output
    assert "completed" in run.stdout and "located" in run.stdout
    assert "denied" in run.stdout


def test_list_and_show_json(synthetic):
    first = json.loads(batch(synthetic, "--where", "state = 'IL'", "--json").stdout)
    second = json.loads(batch(synthetic, "--json").stdout)
    listed = json.loads(synthetic("batch", "list", "--json").stdout)
    assert [b["id"] for b in listed] == [second["id"], first["id"]]
    for b in listed:
        assert {"id", "status", "done", "total"} <= set(b)
        assert b["status"] == "completed" and b["done"] == b["total"]
    shown = json.loads(synthetic("batch", "show", first["id"], "--json").stdout)
    assert shown["id"] == first["id"] and shown["selection"] == {"where": "state = 'IL'"}
    il = synthetic.sql("SELECT count(*) FROM accounts WHERE state='IL' AND status='open'")[0][0]
    assert shown["total"] == il
    missing = synthetic("batch", "show", "B-nope")
    assert missing.exit_code == 2 and "no batch" in missing.output


def test_accounts_file_csv_or_lines(synthetic):
    ids = [r[0] for r in synthetic.sql("SELECT account_id FROM accounts ORDER BY account_id LIMIT 3")]
    (synthetic.root / "ids.txt").write_text("\n".join(ids + [ids[0]]) + "\n")
    summary = json.loads(batch(synthetic, "--accounts", synthetic.root / "ids.txt", "--json").stdout)
    assert summary["total"] == 3
    synthetic.write_csv("ids.csv", [{"note": "x", "Account ID": a} for a in ids])
    summary = json.loads(batch(synthetic, "--accounts", synthetic.root / "ids.csv", "--json").stdout)
    assert summary["total"] == 3


@pytest.mark.parametrize("content, message", [
    ("secret-line-one: hunter2\nanother line of prose\n", "entry 1 is not an account id"),
    ("A000001\nhunter2\n", "1 of its 2 account ids are not in the workspace (the first is "
                            "entry 2)"),
])
def test_an_accounts_file_writes_nothing_unless_every_line_is_a_known_account(synthetic,
                                                                              content,
                                                                              message):
    """Issue #18: `batch --accounts` of an arbitrary file put its lines into permanent
    audit headers as account ids."""
    path = synthetic.root / "notes.txt"
    path.write_text(content)
    before = synthetic.sql("SELECT count(*) FROM audit")[0][0]
    run = batch(synthetic, "--accounts", path)
    assert run.exit_code == 2 and message in run.stderr, run.output
    assert "hunter2" not in run.output
    assert synthetic.sql("SELECT count(*) FROM audit")[0][0] == before
    assert synthetic.sql("SELECT count(*) FROM batches") == [(0,)]
    assert not synthetic.sql("SELECT 1 FROM audit WHERE account_id LIKE '%hunter2%'"
                             " OR payload LIKE '%hunter2%'")


@pytest.mark.parametrize("delimiter, encoding", [(";", "utf-8"), ("\t", "utf-8"),
                                                 ("|", "utf-8"), (";", "cp1252")])
def test_an_accounts_file_in_any_delimiter_or_excel_encoding(synthetic, delimiter, encoding):
    """A European Excel export (semicolons, cp1252) must not trace its header as an id."""
    ids = [r[0] for r in synthetic.sql("SELECT account_id FROM accounts ORDER BY account_id LIMIT 3")]
    lines = [delimiter.join(["Account ID", "Débiteur"])]
    lines += [delimiter.join([a, "Müller"]) for a in ids]
    (synthetic.root / "ids.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    summary = json.loads(batch(synthetic, "--accounts", synthetic.root / "ids.csv", "--json").stdout)
    assert summary["total"] == 3
    assert not summary["denied_by_reason"].get("account_unknown")


@pytest.mark.parametrize("args, message", [
    (["--user", "alice"], "needs role supervisor"),
    (["--reason", "test"], "placeholder"),
    (["--purpose", "sell-data"], "not in the purpose catalog"),
    (["--where", "state = 'ZZ'"], "matches no accounts"),
    (["--where", "ssn_hash = 'x'"], "unknown column"),
])
def test_a_batch_that_cannot_run_exits_non_zero(synthetic, args, message):
    opts = {"--user": "sam", "--reason": REASON, "--purpose": "collect-debt"}
    rest = []
    for key, value in zip(args[::2], args[1::2]):
        if key in opts:
            opts[key] = value
        else:
            rest += [key, value]
    run = synthetic("batch", *[x for kv in opts.items() for x in kv], *rest)
    assert run.exit_code != 0
    assert message in run.output
    assert "Traceback" not in run.output
    assert synthetic.sql("SELECT count(*) FROM lookups")[0][0] == 0


def test_batch_help_reads_well(ws):
    run = ws("batch", "--help")
    assert run.exit_code == 0
    for word in ("--purpose", "--where", "--attach-above", "resume", "list", "show"):
        assert word in run.stdout


def test_attach_above_attaches_rank_1_once_per_kind(synthetic):
    summary = json.loads(batch(synthetic, "--attach-above", "0.6", "--json").stdout)
    rows = synthetic.sql("SELECT account_id, kind, lookup_id, idempotency_key FROM attachments")
    assert summary["attached"] == len(rows) > 0
    assert len({(a, k) for a, k, _, _ in rows}) == len(rows)
    for account_id, kind, lookup_id, key in rows:
        assert key == f"{summary['id']}:{account_id}:{kind}"
        conf = synthetic.sql("SELECT confidence FROM contact_results WHERE lookup_id=? AND"
                             " kind=? AND rank=1", (lookup_id, kind))[0][0]
        assert conf >= 0.6
    audited = [json.loads(r[0]) for r in synthetic.sql(
        "SELECT payload FROM audit WHERE event = 'attachment'")]
    assert len(audited) == len(rows)
    assert {a["via"] for a in audited} == {f"batch {summary['id']}"}


# -- --where --------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, sql, params", [
    ("state = 'IL'", '"state" = ?', ["IL"]),
    ("state = 'IL' and balance > 100", '("state" = ? AND "balance" > ?)', ["IL", 100]),
    ("STATE = 'IL' OR state <> 'WI'", '("state" = ? OR "state" != ?)', ["IL", "WI"]),
    ("not (state in ('IL', 'WI'))", 'NOT "state" IN (?, ?)', ["IL", "WI"]),
    ("assigned_to is null", '"assigned_to" IS NULL', []),
    ("assigned_to is not null", '"assigned_to" IS NOT NULL', []),
    ("city like 'SPRING%'", '"city" LIKE ? ESCAPE \'\\\'', ["SPRING%"]),
    ("flags has 'military'", "(';' || \"flags\" || ';') LIKE ? ESCAPE '\\'", ["%;military;%"]),
    ("flags not has 'dis_puted'", "NOT (';' || \"flags\" || ';') LIKE ? ESCAPE '\\'",
     ["%;dis\\_puted;%"]),
    ("city = 'O''Fallon'", '"city" = ?', ["O'Fallon"]),
    ("balance >= 99.5", '"balance" >= ?', [99.5]),
])
def test_where_parses_to_parameterized_sql(expr, sql, params):
    assert where_sql(expr) == (sql, params)


@pytest.mark.parametrize("expr", [
    "state = 'IL'; DROP TABLE accounts",
    "state = 'IL' -- comment",
    "state = 'IL' /* x */",
    "1 = 1",
    "state = 'IL' or 1 = 1",
    "state = 'IL') or ('a' = 'a",
    "state = 'IL' union select id from users",
    "ssn_hash = 'abc'",
    "dob < '1970-01-01'",
    'state = "IL"',
    "state = IL",
    "balance > (select 1)",
    "balance > 'lots'",
    "state = 1",
    "state = 'IL",
    "state",
    "",
    "(state = 'IL'",
    "state = 'IL' and",
    "account_id = char(65)",
    "state == 'IL'",
])
def test_where_rejects_anything_else(expr):
    with pytest.raises(InputError):
        where_sql(expr)


def test_where_injection_is_refused_by_the_cli_and_nothing_runs(synthetic):
    run = batch(synthetic, "--where", "state = 'IL' or 1=1; DELETE FROM audit")
    assert run.exit_code == 2
    assert "--where" in run.output
    assert synthetic.sql("SELECT count(*) FROM batches")[0][0] == 0


def test_where_quote_inside_value_is_data(synthetic):
    run = batch(synthetic, "--where", "city = 'X'' OR ''1''=''1'")
    assert run.exit_code == 2 and "matches no accounts" in run.output


# -- a source that times out for some accounts -----------------------------------------------

SLOW_PLUGIN = textwrap.dedent('''
    import time
    from tracer.sources.base import Source
    from tracer.sources.hookspecs import hookimpl

    class Slow(Source):
        """Hangs for surnames starting with A-C; answers nothing otherwise."""
        name = "slow"
        kind = "public_record"
        query_fields = ("last_name",)
        def search(self, query):
            if query.get("last_name", "")[:1].upper() in "ABC":
                time.sleep(3)
            return []

    @hookimpl
    def register_sources():
        return [Slow]
''')


def test_a_source_timing_out_keeps_the_other_sources_results(synthetic, tmp_path, monkeypatch):
    (tmp_path / "slow_plugin.py").write_text(SLOW_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRACER_PLUGINS", "slow_plugin")
    monkeypatch.setenv("TRACER_SOURCE_SLOW_TIMEOUT", "0.3")
    for key, value in configure_sources(tmp_path / "config", slow={}).items():
        monkeypatch.setenv(key, value)
    slow_ids = [r[0] for r in synthetic.sql(
        "SELECT account_id FROM accounts WHERE status = 'open' AND substr(upper(last_name),1,1)"
        " IN ('A','B','C') ORDER BY account_id LIMIT 3")]
    fast_ids = [r[0] for r in synthetic.sql(
        "SELECT account_id FROM accounts WHERE status = 'open' AND substr(upper(last_name),1,1)"
        " NOT IN ('A','B','C') ORDER BY account_id LIMIT 5")]
    assert slow_ids
    (synthetic.root / "ids.txt").write_text("\n".join(slow_ids + fast_ids))
    run = batch(synthetic, "--accounts", synthetic.root / "ids.txt", "--json")
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    allowed_slow = synthetic.sql(
        "SELECT l.lookup_id FROM lookups l WHERE l.outcome != 'deny' AND l.account_id IN"
        f" ({','.join('?' * len(slow_ids))})", slow_ids)
    assert summary["source_errors"] == {"slow": len(allowed_slow)}
    errors = [json.loads(r[0]) for r in synthetic.sql(
        "SELECT payload FROM audit WHERE event = 'source_error'")]
    assert len(errors) == len(allowed_slow)
    assert all(e["source"] == "slow" and "timed out" in e["error"] for e in errors)
    assert "slow" in batch(synthetic, "--accounts", synthetic.root / "ids.txt").stdout
    # The accounts whose slow source timed out got exactly the contacts the other sources
    # give them when the slow source is not installed at all.
    monkeypatch.delenv("TRACER_PLUGINS")
    clean = batch(synthetic, "--accounts", synthetic.root / "ids.txt", "--json")
    assert clean.exit_code == 0 and json.loads(clean.stdout)["source_errors"] == {}
    clean_id = json.loads(clean.stdout)["id"]

    def contacts(account_id, batch_id):
        return synthetic.sql(
            "SELECT c.kind, c.rank, c.value FROM contact_results c JOIN lookups l"
            " USING (lookup_id) WHERE l.account_id = ? AND l.batch_id = ? ORDER BY 1, 2",
            (account_id, batch_id))
    slow_accounts = [r[0] for r in synthetic.sql(
        "SELECT account_id FROM lookups WHERE outcome != 'deny' AND batch_id = ?",
        (summary["id"],)) if r[0] in slow_ids]
    assert slow_accounts and any(contacts(a, clean_id) for a in slow_accounts)
    for account_id in slow_accounts:
        assert contacts(account_id, summary["id"]) == contacts(account_id, clean_id)


def test_per_account_statements_never_scan_the_batch(synthetic):
    """A statement a batch runs once per account must find its rows by an index on
    more than the batch id: one that scans the batch's items makes a 100k-account batch
    quadratic (it did: the item update by lookup_id)."""
    import re
    from datetime import date

    from tracer.batch import BatchSpec, create_batch, run_batch
    from tracer.workspace import open_workspace

    ws = open_workspace(synthetic.db)
    statements: list[str] = []
    ws.conn.set_trace_callback(statements.append)
    batch_id = create_batch(ws, BatchSpec(user_id="sam", purpose="collect-debt", reason=REASON,
                                          as_of=date(2026, 11, 1)))
    summary = run_batch(ws, batch_id)
    ws.conn.set_trace_callback(None)
    assert summary["done"] == summary["total"] > 50
    shapes = Counter(re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", s) for s in statements)
    per_account = {s for s, n in shapes.items() if n >= summary["total"] // 2
                   and s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))}
    assert any("batch_items" in s for s in per_account)
    literal = {re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", s): s for s in statements}
    for shape in per_account:
        if re.search(r"ORDER BY seq DESC LIMIT \?$", shape):
            continue      # the chain's head: the last row of the rowid order, not a scan
        plan = " | ".join(r[3] for r in ws.conn.execute("EXPLAIN QUERY PLAN " + literal[shape]))
        assert not re.search(r"\bSCAN (batch_items|lookups|audit|contact_results)\b", plan), \
            (shape, plan)
        assert not re.search(r"batch_items USING \w+ \w+ \(batch_id=\?\)", plan), (shape, plan)
    ws.close()
