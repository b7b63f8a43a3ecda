"""The team server's security, against a live `tracer serve` on loopback: nothing
without a session, CSRF on every state-changing request, a collector kept to their own
accounts and off the reviewer's pages (by URL and by API), a lockout that holds, and no
password or token in clear in the database, the logs or the audit."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
import requests

from tracer.demo import BANKRUPT_ACCOUNT, COLLECTOR, MOVED_ACCOUNT, SUPERVISOR
from tracer.demo.team import COMPLIANCE
from web_server import LOCKED, OTHER, OTHERS_ACCOUNT, csrf, sign_in, start

REASON = "mail returned, phone disconnected, need current address"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start(tmp_path_factory.mktemp("web-security"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def collector(server):
    client = server.session(COLLECTOR)
    token = csrf(client, server.url)
    assert client.post(server.url + "/purpose", data={"code": "collect-debt",
                                                      "csrf_token": token}).ok
    return client


@pytest.fixture(scope="module")
def traced(server, collector):
    """One allowed lookup of the collector's moved debtor, through the API."""
    response = collector.post(server.url + "/api/trace", headers={
        "X-CSRF-Token": csrf(collector, server.url)}, json={
        "account_id": MOVED_ACCOUNT, "reason": REASON, "as_of": "2026-11-01"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"]["outcome"] == "allow" and body["contacts"]
    return body["lookup_id"]


def sql(server, query, params=()):
    conn = sqlite3.connect(server.db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


PAGES = ["/worklist", "/purpose", f"/accounts/{MOVED_ACCOUNT}", "/tokens", "/review",
         "/review/chain", "/lookups/L-000000000000", "/review/lookups/L-000000000000",
         f"/accounts/{MOVED_ACCOUNT}/graph", "/review/sample", "/review/stats",
         "/review/export", "/batches", "/batches/B-0000000000", "/imports",
         "/batches/upload/U-aaaaaaaaaaaaaaaaaaaa"]
API_GETS = ["/api/me", "/api/worklist", f"/api/accounts/{MOVED_ACCOUNT}",
            "/api/lookups/L-000000000000", "/api/audit/lookups", "/api/audit/chain",
            "/api/tokens", f"/api/accounts/{MOVED_ACCOUNT}/graph", "/api/imports",
            "/api/batches", "/api/batches/B-0000000000"]
POSTS = [("/api/trace", {"account_id": MOVED_ACCOUNT, "reason": REASON}),
         ("/api/lookups/L-000000000000/accept", {"ref": "address:1"}),
         ("/api/attachments/1/undo", None), ("/api/tokens", {"label": "x"})]
FORM_POSTS = ["/purpose", f"/accounts/{MOVED_ACCOUNT}/trace", "/lookups/L-1/accept",
              "/lookups/L-1/reject", "/attachments/1/undo", "/tokens", "/signout",
              "/tokens/T-1/revoke", "/batches/upload",
              "/batches/upload/U-aaaaaaaaaaaaaaaaaaaa/start"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_a_session_go_to_sign_in(server, path):
    response = requests.get(server.url + path, allow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


@pytest.mark.parametrize("path", API_GETS)
def test_api_without_credentials_is_401(server, path):
    response = requests.get(server.url + path)
    assert response.status_code == 401
    assert "sign in" in response.json()["error"]


@pytest.mark.parametrize("path, body", POSTS)
def test_api_writes_without_credentials_are_401_and_write_nothing(server, path, body):
    before = sql(server, "SELECT count(*) FROM audit")[0][0]
    assert requests.post(server.url + path, json=body).status_code == 401
    assert sql(server, "SELECT count(*) FROM audit")[0][0] == before


def test_a_forged_or_revoked_bearer_token_is_refused(server):
    for token in ("trc_" + "A" * 43, "not-a-token", ""):
        response = requests.get(server.url + "/api/me",
                                headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


@pytest.mark.parametrize("path", FORM_POSTS)
def test_form_posts_without_csrf_are_403(server, collector, path):
    before = sql(server, "SELECT count(*) FROM audit")[0][0]
    response = collector.post(server.url + path, data={"code": "collect-debt",
                                                       "reason": REASON, "ref": "address:1"},
                              allow_redirects=False)
    assert response.status_code == 403 and "CSRF" in response.text
    for forged in ("x" * 43, "é" * 43):                      # non-ASCII: still a plain 403
        wrong = collector.post(server.url + path, data={"csrf_token": forged,
                                                        "reason": REASON},
                               allow_redirects=False)
        assert wrong.status_code == 403
    assert sql(server, "SELECT count(*) FROM audit")[0][0] == before


@pytest.mark.parametrize("path, body", POSTS)
def test_api_posts_of_a_session_without_csrf_header_are_403(server, collector, path, body):
    response = collector.post(server.url + path, json=body)
    assert response.status_code == 403 and "CSRF" in response.json()["error"]


def test_sign_in_form_needs_its_own_token(server):
    client = requests.Session()
    client.get(server.url + "/")
    response = client.post(server.url + "/signin", data={
        "user": COLLECTOR, "password": server.passwords[COLLECTOR], "csrf_token": "forged"})
    assert response.status_code == 403
    assert "tracer_session" not in client.cookies


def test_session_cookie_is_httponly_strict_and_logout_ends_it(server):
    client = requests.Session()
    response = sign_in(client, server.url, OTHER, server.passwords[OTHER])
    cookie = response.history[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    secret = client.cookies["tracer_session"]
    assert client.get(server.url + "/api/me").json()["auth"] == "password"
    client.post(server.url + "/signout", data={"csrf_token": csrf(client, server.url)})
    replay = requests.get(server.url + "/api/me", cookies={"tracer_session": secret})
    assert replay.status_code == 401                      # the server forgot it, not the browser


@pytest.mark.parametrize("how", ["page", "api"])
def test_collector_cannot_reach_another_collectors_account(server, collector, how):
    path = f"/accounts/{OTHERS_ACCOUNT}"
    response = collector.get(server.url + (path if how == "page" else "/api" + path))
    assert response.status_code == 403
    assert "not_assigned" in response.text
    denied = sql(server, "SELECT actor, actor_auth, payload FROM audit WHERE event ="
                         " 'access_denied' AND account_id = ? ORDER BY seq DESC LIMIT 1",
                 (OTHERS_ACCOUNT,))
    assert denied[0][0] == COLLECTOR and denied[0][1] == "password"
    assert json.loads(denied[0][2])["action"] == "read-account"


def test_collector_cannot_trace_another_collectors_account(server, collector):
    response = collector.post(server.url + "/api/trace", headers={
        "X-CSRF-Token": csrf(collector, server.url)}, json={
        "account_id": OTHERS_ACCOUNT, "reason": REASON})
    body = response.json()
    assert body["decision"]["outcome"] == "deny"
    assert "not_assigned" in [r["code"] for r in body["decision"]["reasons"]]
    assert body["contacts"] == []


def test_collector_cannot_read_another_collectors_lookup(server, traced):
    other = server.session(OTHER)
    for path in (f"/lookups/{traced}", f"/api/lookups/{traced}"):
        assert other.get(server.url + path).status_code == 403


@pytest.mark.parametrize("path", ["/review", "/review/chain", "/review/lookups/{lookup}",
                                  "/api/audit/lookups", "/api/audit/chain",
                                  "/api/audit/lookups/{lookup}", "/review/sample",
                                  "/review/stats", "/review/export?format=csv"])
def test_collector_cannot_reach_reviewer_pages(server, collector, traced, path):
    response = collector.get(server.url + path.format(lookup=traced))
    assert response.status_code == 403
    assert "compliance or supervisor" in response.text
    assert "lookup_requested" not in response.text
    denied = sql(server, "SELECT actor, actor_auth, payload FROM audit WHERE event ="
                         " 'access_denied' ORDER BY seq DESC LIMIT 1")
    assert denied[0][:2] == (COLLECTOR, "password")
    assert json.loads(denied[0][2])["action"].startswith("review-")


def test_reviewer_reads_the_console_and_the_trail(server, traced):
    reviewer = server.session(COMPLIANCE)
    page = reviewer.get(server.url + "/review", params={"actor": COLLECTOR})
    assert page.ok and traced in page.text
    trail = reviewer.get(server.url + f"/api/audit/lookups/{traced}").json()["entries"]
    events = [e["event"] for e in trail]
    assert events[:2] == ["lookup_requested", "decision"]
    assert {e["actor_auth"] for e in trail} == {"password"}
    chain = reviewer.get(server.url + "/api/audit/chain").json()
    assert chain["ok"] and chain["entries"] == chain["head_seq"]


def test_bankrupt_account_is_denied_with_its_reason(server, collector):
    response = collector.post(server.url + "/api/trace", headers={
        "X-CSRF-Token": csrf(collector, server.url)}, json={
        "account_id": BANKRUPT_ACCOUNT, "reason": REASON})
    reasons = [r["code"] for r in response.json()["decision"]["reasons"]]
    assert response.json()["decision"]["outcome"] == "deny" and "flag_bankruptcy" in reasons


def test_lockout_holds_even_against_the_right_password(server):
    client = requests.Session()
    for _ in range(5):
        response = sign_in(client, server.url, LOCKED, "wrong password, surely")
        assert response.status_code == 401
    for _ in range(2):
        response = sign_in(client, server.url, LOCKED, server.passwords[LOCKED])
        assert response.status_code == 401, "a locked user must stay locked"
        assert "tracer_session" not in client.cookies
    why = [json.loads(p)["why"] for (p,) in sql(
        server, "SELECT payload FROM audit WHERE event = 'sign_in_refused' ORDER BY seq")]
    assert why.count("wrong password") >= 5 and why[-1].startswith("user locked")


def test_unknown_and_wrong_read_the_same(server):
    client = requests.Session()
    unknown = sign_in(client, server.url, "nobody.here", "whatever whatever")
    wrong = sign_in(client, server.url, OTHER, "whatever whatever")
    pattern = re.compile(r'<p class="error" role="alert">(.*?)</p>')
    assert pattern.search(unknown.text).group(1) == pattern.search(wrong.text).group(1)


def test_tokens_act_as_their_user_and_stop_when_revoked(server, collector):
    made = collector.post(server.url + "/api/tokens", json={"label": "nightly"},
                          headers={"X-CSRF-Token": csrf(collector, server.url)}).json()
    token = made["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = requests.get(server.url + "/api/me", headers=bearer).json()
    assert me == {"user": COLLECTOR, "role": "collector", "auth": "token", "purpose": None}
    traced = requests.post(server.url + "/api/trace", headers=bearer, json={
        "account_id": MOVED_ACCOUNT, "purpose": "collect-debt", "reason": REASON,
        "as_of": "2026-11-01"}).json()
    auths = {a for (a,) in sql(server, "SELECT actor_auth FROM audit WHERE lookup_id = ?",
                               (traced["lookup_id"],))}
    assert auths == {"token"}
    # a token is not a session: it needs no CSRF token, and the other collector's stays out
    assert requests.get(server.url + f"/api/accounts/{OTHERS_ACCOUNT}",
                        headers=bearer).status_code == 403
    assert requests.delete(server.url + f"/api/tokens/{made['token_id']}",
                           headers=bearer).ok
    assert requests.get(server.url + "/api/me", headers=bearer).status_code == 401
    server.extra["token"] = token


def test_every_entry_the_server_wrote_says_how_its_actor_was_proven(server, traced):
    rows = sql(server, "SELECT event, actor, actor_auth FROM audit WHERE seq > ?",
               (server.extra["set_up_seq"],))
    assert rows
    for event, actor, auth in rows:
        assert auth in (("password", "token") if actor else ("none",)), (event, actor, auth)


def test_no_password_or_token_in_clear_anywhere(server, traced, collector):
    test_tokens_act_as_their_user_and_stop_when_revoked(server, collector)
    secrets_ = [*server.passwords.values(), server.extra["token"],
                collector.cookies["tracer_session"]]
    server_files = [server.db, server.db.with_name(server.db.name + "-wal"), server.log]
    blobs = b"".join(p.read_bytes() for p in server_files if p.exists())
    for secret in secrets_:
        assert secret.encode() not in blobs, "a secret is stored or logged in clear"
    hashes = [h for (h,) in sql(server, "SELECT password_hash FROM user_credentials")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    audit = json.dumps(sql(server, "SELECT payload FROM audit"))
    assert "$argon2" not in audit and "trc_" not in audit


def test_access_log_has_paths_only(server, collector):
    collector.get(server.url + "/worklist", params={"status": "open", "q": "WILLIAMS"})
    log = server.log.read_text()
    assert "GET /worklist 200" in log
    assert "WILLIAMS" not in log and "status=open" not in log
    assert not re.search(r"\d{3}-\d{2}-\d{4}|19\d\d-\d\d-\d\d", log)


@pytest.mark.parametrize("path", ["/", "/worklist", f"/accounts/{MOVED_ACCOUNT}",
                                  "/api/worklist"])
def test_security_headers(server, collector, path):
    headers = collector.get(server.url + path).headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_and_htmx_is_vendored(server, collector):
    html = collector.get(server.url + f"/accounts/{MOVED_ACCOUNT}").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip()
                           for attrs, body in scripts)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)          # no inline handlers either
    js = requests.get(server.url + "/static/htmx-2.0.11.min.js")
    assert js.ok and "htmx" in js.text[:200]


def test_openapi_describes_the_api(server):
    spec = requests.get(server.url + "/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/trace", "/api/worklist", "/api/lookups/{lookup_id}/accept",
            "/api/attachments/{attachment_id}/undo", "/api/audit/lookups",
            "/api/tokens"} <= paths
    assert all(p.startswith("/api/") for p in paths)


def test_sources_page_shows_health_from_the_trail(server, collector, traced):
    page = collector.get(server.url + "/sources")
    assert page.ok and "imported_records" in page.text
    health = {s["name"]: s["health"] for s in collector.get(server.url + "/api/sources").json()}
    assert health["imported_records"]["calls"] >= 1
    assert health["imported_records"]["errors"] == 0


def test_findings_are_recorded_but_never_on_ones_own_lookup(server, collector, traced):
    reviewer = server.session(COMPLIANCE)
    headers = {"X-CSRF-Token": csrf(reviewer, server.url)}
    made = reviewer.post(server.url + f"/api/audit/lookups/{traced}/findings",
                         json={"finding": "ok", "note": "purpose fits the notes"},
                         headers=headers)
    assert made.ok, made.text
    entries = reviewer.get(server.url + f"/api/audit/lookups/{traced}").json()["entries"]
    finding = [e for e in entries if e["event"] == "review_finding"]
    assert finding and finding[-1]["actor"] == COMPLIANCE
    assert finding[-1]["actor_auth"] == "password"
    # a collector may not record one at all
    assert collector.post(server.url + f"/api/audit/lookups/{traced}/findings",
                          json={"finding": "ok", "note": "mine"},
                          headers={"X-CSRF-Token": csrf(collector, server.url)}
                          ).status_code == 403
    # a supervisor reviews others' lookups, never their own
    supervisor = server.session(SUPERVISOR)
    headers = {"X-CSRF-Token": csrf(supervisor, server.url)}
    own = supervisor.post(server.url + "/api/trace", headers=headers, json={
        "account_id": "DEMO-1004", "purpose": "collect-debt", "reason": REASON}).json()
    refused = supervisor.post(server.url + f"/api/audit/lookups/{own['lookup_id']}/findings",
                              json={"finding": "ok", "note": "looks fine to me"},
                              headers=headers)
    assert refused.status_code == 403 and "self_review" in refused.text
    assert supervisor.post(server.url + f"/api/audit/lookups/{traced}/findings",
                           json={"finding": "issue", "note": "reason too thin"},
                           headers=headers).ok


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_an_unexpected_error_is_one_masked_line_and_a_plain_500(tmp_path):
    """Whatever breaks inside a handler: the browser gets a plain 500, the log one
    masked line, no traceback."""
    import logging

    from starlette.testclient import TestClient

    from tracer.web import create_app

    app = create_app(tmp_path / "none.db")

    @app.get("/boom")
    def boom():
        raise RuntimeError("SSN 912-34-5678 in a message")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("tracer.web").addHandler(handler)
    try:
        response = TestClient(app, raise_server_exceptions=False).get("/boom")
    finally:
        logging.getLogger("tracer.web").removeHandler(handler)
    assert response.status_code == 500 and "912-34" not in response.text
    assert response.headers["cache-control"] == "no-store"
    text = " ".join(r.getMessage() for r in records)
    assert "RuntimeError" in text and "912-34-5678" not in text


def test_worklist_marks_what_changed_since_my_last_visit(server):
    from tracer.accounts import assign_account
    from tracer.workspace import open_workspace
    first = server.session(OTHER)
    assert first.get(server.url + "/worklist").ok
    ws = open_workspace(server.db)
    try:
        assign_account(ws, SUPERVISOR, "DEMO-1009", OTHER, reason="test: new work")
    finally:
        ws.close()
    second = server.session(OTHER)
    work = second.get(server.url + "/api/worklist", params={"since": "2000-01-01"}).json()
    assert {a["account_id"]: a["new"] for a in work["assigned"]} == {
        OTHERS_ACCOUNT: True, "DEMO-1009": True}              # the API takes its own since
    page = second.get(server.url + "/worklist").text
    row = re.search(r'<tr class="new">\s*<td><a href="/accounts/DEMO-1009">', page)
    assert row, "the newly assigned account is marked new"
    assert not re.search(r'<tr class="new">\s*<td><a href="/accounts/DEMO-1006">', page)


def test_worklist_is_mine_and_unassigned_only_on_request(server, collector):
    work = collector.get(server.url + "/api/worklist").json()
    assert {a["account_id"] for a in work["assigned"]} == {MOVED_ACCOUNT, BANKRUPT_ACCOUNT,
                                                          "DEMO-1004"}
    assert work["unassigned"] == [] and work["unassigned_total"] == 0
    wider = collector.get(server.url + "/api/worklist", params={"unassigned": "true"}).json()
    free = sql(server, "SELECT count(*) FROM accounts WHERE assigned_to IS NULL")[0][0]
    assert wider["unassigned_total"] == len(wider["unassigned"]) == free
    assert all(a["assigned_to"] is None for a in wider["unassigned"])
    assert OTHERS_ACCOUNT not in {a["account_id"] for a in wider["assigned"] + wider["unassigned"]}
