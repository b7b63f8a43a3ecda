"""The team server's newer pages against a live `tracer serve`: the identity graph, the
reviewer's sample, stats and export, the console's batch and reviewed filters, the batch
wizard (upload, map, run, rejects, export) and the imports history."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import time

import pytest

from tracer.consent.review import EXPORT_COLUMNS
from tracer.demo import BANKRUPT_ACCOUNT, COLLECTOR, MOVED_ACCOUNT, SUPERVISOR
from tracer.demo.team import COMPLIANCE
from tracer.web.graph_view import layout
from web_server import OTHER, OTHERS_ACCOUNT, csrf, start

REASON = "mail returned, phone disconnected, need current address"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start(tmp_path_factory.mktemp("web-pages"))
    yield live
    live.stop()


def with_purpose(server, user):
    client = server.session(user)
    token = csrf(client, server.url)
    assert client.post(server.url + "/purpose", data={"code": "collect-debt",
                                                      "csrf_token": token}).ok
    return client, token


@pytest.fixture(scope="module")
def collector(server):
    return with_purpose(server, COLLECTOR)


@pytest.fixture(scope="module")
def traced(server, collector):
    client, token = collector
    response = client.post(server.url + f"/accounts/{MOVED_ACCOUNT}/trace",
                           data={"reason": REASON, "csrf_token": token})
    assert response.ok and "/lookups/L-" in response.url
    return response.url.rsplit("/", 1)[1]


def sql(server, query, params=()):
    conn = sqlite3.connect(server.db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def last_entry(server, event):
    return sql(server, "SELECT actor, actor_auth, payload, lookup_id FROM audit WHERE event = ?"
                       " ORDER BY seq DESC LIMIT 1", (event,))[0]


# -- the identity graph ---------------------------------------------------------------------

def test_the_graph_page_draws_the_lookups_graph_readably_and_audits_it(server, collector,
                                                                      traced):
    client, _ = collector
    page = client.get(server.url + f"/accounts/{MOVED_ACCOUNT}/graph")
    assert page.status_code == 200
    assert 'id="graph-svg"' in page.text and 'id="graph-legend"' in page.text
    assert traced in page.text
    actor, auth, payload, lookup = last_entry(server, "export")
    assert (actor, auth, lookup) == (COLLECTOR, "password", traced)
    assert json.loads(payload) == {"what": "identity graph", "format": "web"}
    graph = client.get(server.url + f"/api/accounts/{MOVED_ACCOUNT}/graph").json()
    assert graph["lookup_id"] == traced and len(graph["nodes"]) > 3
    placed, _w, _h = layout(graph)
    boxes = [p.box for p in placed]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    for node in graph["nodes"]:               # every node drawn, its label escaped
        assert f'data-id="{node["id"]}"' in page.text.replace("&#39;", "'")


def test_another_collectors_graph_is_denied(server, collector):
    client, _ = collector
    response = client.get(server.url + f"/accounts/{OTHERS_ACCOUNT}/graph")
    assert response.status_code in (400, 403)
    assert "Identity graph" not in response.text or "not_assigned" in response.text


def test_a_graph_of_an_unknown_lookup_is_a_clear_error(server, collector):
    client, _ = collector
    response = client.get(server.url + f"/accounts/{MOVED_ACCOUNT}/graph",
                          params={"lookup": "L-000000000000"})
    assert response.status_code == 400 and "no such lookup" in response.text


# -- the reviewer's sample, stats, export and filters ---------------------------------------------

def test_a_sample_is_reproducible_and_agrees_with_the_library(server, traced):
    reviewer = server.session(COMPLIANCE)
    first = reviewer.get(server.url + "/review/sample", params={"n": 2, "seed": 7})
    again = reviewer.get(server.url + "/review/sample", params={"n": 2, "seed": 7})
    ids = re.findall(r'href="/review/lookups/(L-[0-9a-f]+)"', first.text)
    assert first.ok and ids and ids == re.findall(r'href="/review/lookups/(L-[0-9a-f]+)"',
                                                  again.text)
    from tracer.consent.review import sample
    from tracer.workspace import open_workspace
    ws = open_workspace(server.db)
    try:
        assert ids == [r["lookup_id"] for r in sample(ws, 2, 7)]
    finally:
        ws.close()


@pytest.mark.parametrize("n", [0, 5000, "x"])
def test_a_sample_size_out_of_range_is_refused(server, n):
    reviewer = server.session(COMPLIANCE)
    response = reviewer.get(server.url + "/review/sample", params={"n": n})
    assert response.status_code in (400, 422)


def test_stats_draw_their_figures_and_show_them_as_tables(server, collector, traced):
    client, token = collector
    client.post(server.url + f"/accounts/{BANKRUPT_ACCOUNT}/trace",
                data={"reason": REASON, "csrf_token": token})
    reviewer = server.session(COMPLIANCE)
    page = reviewer.get(server.url + "/review/stats")
    assert page.ok
    for chart in ("chart-users", "chart-purposes", "chart-weeks"):
        assert f'id="{chart}"' in page.text
    lookups, denied = (int(x) for x in re.search(r"(\d+) lookups, (\d+) denied",
                                                 page.text).groups())
    counted = sql(server, "SELECT count(*) FROM audit WHERE event = 'lookup_requested'")[0][0]
    refused = sql(server, "SELECT count(*) FROM audit WHERE event = 'decision' AND"
                          " json_extract(payload, '$.outcome') = 'deny'")[0][0]
    assert (lookups, denied) == (counted, refused) and denied >= 1
    assert "flag_bankruptcy" in page.text
    assert f"{COLLECTOR}: " in page.text                     # a bar's tooltip


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_is_the_whole_trail_and_is_audited_after(server, traced, fmt):
    reviewer = server.session(COMPLIANCE)
    before = sql(server, "SELECT max(seq) FROM audit")[0][0]
    response = reviewer.get(server.url + "/review/export", params={"format": fmt})
    assert response.ok and "attachment" in response.headers["content-disposition"]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert list(rows[0]) == list(EXPORT_COLUMNS)
    else:
        rows = [json.loads(line) for line in response.text.splitlines()]
    assert [int(r["seq"]) for r in rows] == list(range(1, before + 1))
    actor, auth, payload, _ = last_entry(server, "export")
    assert (actor, auth) == (COMPLIANCE, "password")
    assert json.loads(payload) == {"what": "audit", "format": fmt, "lookup": None}


def test_an_unknown_export_format_is_refused_and_not_audited(server):
    reviewer = server.session(COMPLIANCE)
    before = sql(server, "SELECT count(*) FROM audit WHERE event = 'export'")[0][0]
    response = reviewer.get(server.url + "/review/export", params={"format": "xlsx"})
    assert response.status_code == 400 and "jsonl or csv" in response.text
    assert sql(server, "SELECT count(*) FROM audit WHERE event = 'export'")[0][0] == before


def test_the_reviewed_filter_follows_the_findings(server, traced):
    reviewer = server.session(COMPLIANCE)
    listed = lambda reviewed: reviewer.get(server.url + "/review", params={  # noqa: E731
        "reviewed": reviewed, "actor": COLLECTOR}).text
    assert traced in listed("no") and traced not in listed("yes")
    reviewer.post(server.url + f"/review/lookups/{traced}/finding", data={
        "finding": "ok", "note": "fits the account notes",
        "csrf_token": csrf(reviewer, server.url)})
    assert traced in listed("yes") and traced not in listed("no")
    assert reviewer.get(server.url + "/review", params={"reviewed": "maybe"}).status_code == 400


# -- the batch wizard --------------------------------------------------------------------------

PLACEMENT = ("acct,name,dob,ssn\n"
             f"{MOVED_ACCOUNT},Ann,1980-01-02,912-34-5678\n"
             f"{BANKRUPT_ACCOUNT},Bob,,\n"
             "NOPE-1,Cy,1975-04-17,\n"
             "bad id!,Di,,\n"
             f"{MOVED_ACCOUNT},again,,\n")


def wait_finished(client, url, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = client.get(url + "/progress").text
        if "hx-trigger" not in fragment:
            return fragment
        time.sleep(0.3)
    raise AssertionError("the batch did not finish")


def test_a_supervisor_uploads_maps_runs_and_downloads(server):
    client, token = with_purpose(server, SUPERVISOR)
    uploaded = client.post(server.url + "/batches/upload", data={"csrf_token": token},
                           files={"file": ("placement.csv", PLACEMENT, "text/csv")})
    assert uploaded.ok and "/batches/upload/U-" in uploaded.url
    for secret in ("1980-01-02", "912-34-5678", "1975-04-17"):
        assert secret not in uploaded.text                   # the preview masks
    assert re.search(r'<option value="0" selected>acct</option>', uploaded.text)
    started = client.post(uploaded.url + "/start", data={
        "column": "0", "reason": "placement file from the client: mail returned",
        "csrf_token": token})
    assert started.ok and re.search(r"/batches/B-[0-9a-f]+$", started.url)
    assert 'hx-trigger="every 1s"' in started.text or "completed" in started.text
    fragment = wait_finished(client, started.url)
    assert "completed" in fragment and "2 of 2 accounts" in fragment
    assert "flag_bankruptcy" in fragment
    batch_id = started.url.rsplit("/", 1)[1]
    rejects = client.get(started.url + "/rejects")
    lines = rejects.text.splitlines()
    assert lines[0] == "line,reason,acct,name,dob,ssn" and len(lines) == 4
    assert {line.split(",")[0] for line in lines[1:]} == {"4", "5", "6"}
    assert "1975-04-17" not in rejects.text
    contacts = list(csv.DictReader(io.StringIO(client.get(started.url + "/export").text)))
    assert {r["account_id"] for r in contacts} == {MOVED_ACCOUNT}
    summary = client.get(server.url + f"/api/batches/{batch_id}").json()
    assert summary["status"] == "completed" and summary["denied"] == 1
    actor, auth, payload, _ = last_entry(server, "batch_started")
    assert (actor, auth) == (SUPERVISOR, "password")
    assert json.loads(payload)["size"] == 2
    uploads = server.db.with_name(server.db.name + ".uploads")
    for path in uploads.iterdir():                           # nothing kept in clear
        assert b"1980-01-02" not in path.read_bytes() and b"912-34-5678" not in path.read_bytes()


def test_a_collector_may_not_upload_or_see_batches(server, collector):
    client, token = collector
    assert client.get(server.url + "/batches").status_code == 403
    response = client.post(server.url + "/batches/upload", data={"csrf_token": token},
                           files={"file": ("x.csv", "account_id\nDEMO-1001\n", "text/csv")})
    assert response.status_code == 403 and "run batches" in response.text
    assert 'href="/batches"' not in client.get(server.url + "/worklist").text


def test_an_upload_is_only_its_users(server):
    sup, token = with_purpose(server, SUPERVISOR)
    uploaded = sup.post(server.url + "/batches/upload", data={"csrf_token": token},
                        files={"file": ("p.csv", "account_id\nDEMO-1001\n", "text/csv")})
    upload_id = uploaded.url.rsplit("/", 1)[1]
    from tracer.consent.users import add_user
    from tracer.auth import set_password
    from tracer.workspace import open_workspace
    ws = open_workspace(server.db)
    try:
        if not sql(server, "SELECT 1 FROM users WHERE id = 'second.supervisor'"):
            add_user(ws, "second.supervisor", "supervisor", actor=SUPERVISOR)
            set_password(ws, "second.supervisor", "correct horse second", actor=SUPERVISOR)
    finally:
        ws.close()
    server.passwords["second.supervisor"] = "correct horse second"
    other = server.session("second.supervisor")
    response = other.get(server.url + f"/batches/upload/{upload_id}")
    assert response.status_code == 400 and "no such upload" in response.text


@pytest.mark.parametrize("body, message", [
    (b"", "empty"), (b"\x00\x01\x02" * 200, "not a text CSV"),
    (b"account_id\nNOPE-1\nNOPE-2\n", "2 rows names an account")])
def test_a_bad_upload_is_one_clear_line(server, body, message):
    client, token = with_purpose(server, SUPERVISOR)
    response = client.post(server.url + "/batches/upload", data={"csrf_token": token},
                           files={"file": ("bad.csv", body, "text/csv")})
    if response.ok and "/batches/upload/U-" in response.url:
        response = client.post(response.url + "/start", data={
            "column": "0", "reason": "placement file from the client", "csrf_token": token})
    assert response.status_code == 400 and message in response.text
    assert "Traceback" not in response.text and "/tmp" not in response.text


def test_the_batch_api_runs_a_batch_for_a_token(server):
    client, token = with_purpose(server, SUPERVISOR)
    made = client.post(server.url + "/api/tokens", json={"label": "batch script"},
                       headers={"X-CSRF-Token": token}).json()["token"]
    api = {"Authorization": f"Bearer {made}"}
    import requests
    response = requests.post(server.url + "/api/batches", headers=api, data={
        "column": "0", "reason": "nightly placement file from the client",
        "purpose": "collect-debt"},
        files={"file": ("n.csv", f"account_id\n{MOVED_ACCOUNT}\nNOPE-3\n", "text/csv")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accounts"] == 1 and body["rejected"] == 1
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = requests.get(server.url + f"/api/batches/{body['batch_id']}", headers=api).json()
        if state["status"] != "running":
            break
        time.sleep(0.3)
    assert state["status"] == "completed" and state["located"] == 1
    actor, auth, _, _ = last_entry(server, "batch_finished")
    assert (actor, auth) == (SUPERVISOR, "token")


# -- imports history -------------------------------------------------------------------------------

def test_the_imports_page_lists_every_import_from_the_trail(server, collector):
    client, _ = collector
    page = client.get(server.url + "/imports")
    assert page.ok
    events = sql(server, "SELECT count(*) FROM audit WHERE event IN ('accounts_imported',"
                         " 'records_imported', 'outcomes_imported')")[0][0]
    assert page.text.count("<tr><td>") == events and events >= 2
    assert "vendor_batch" in page.text
    assert client.get(server.url + "/api/imports").json()[0]["file_sha256"]
