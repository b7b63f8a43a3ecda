"""`tracer serve` as a third party starts it: the README's one command on the demo
workspace, then signing in with a password it printed; and clear one-line errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

from web_server import free_port, sign_in


def _serve(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("TRACER_DB", "TRACER_USER")}
    return subprocess.Popen([sys.executable, "-m", "tracer.cli", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=cwd, env=env)


def test_serve_demo_then_sign_in_with_a_printed_password(tmp_path):
    port = free_port()
    server = _serve("--demo", "team-demo", "--port", str(port), cwd=tmp_path)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "tracer serving" in line or not line:
                break
        text = "".join(lines)
        passwords = dict(re.findall(r"^\s+(demo\.\w+)\s+(\S+)$", text, re.M))
        assert set(passwords) == {"demo.collector", "demo.supervisor", "demo.compliance"}
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(url + "/static/app.css", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        client = requests.Session()
        response = sign_in(client, url, "demo.collector", passwords["demo.collector"])
        assert response.ok and response.url.endswith("/purpose")
        work = client.get(url + "/api/worklist").json()
        assert {a["account_id"] for a in work["assigned"]} >= {"DEMO-1001", "DEMO-1002"}
        assert (tmp_path / "team-demo" / "team.db").stat().st_mode & 0o077 == 0
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def test_serve_refuses_a_missing_workspace_in_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "tracer.cli", "--db",
                          str(tmp_path / "nope.db"), "serve"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1
    assert "no workspace at" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_serve_demo_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    run = subprocess.run([sys.executable, "-m", "tracer.cli", "serve", "--demo",
                          str(tmp_path / "busy")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "not empty" in run.stderr
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_several_worker_processes_share_sessions_and_keep_one_chain(tmp_path):
    """`--workers 2`: sign-in, CSRF and sessions live in the workspace, so whichever
    process answers, the user stays signed in; every entry lands in one chain."""
    from tracer.demo import COLLECTOR, MOVED_ACCOUNT
    from web_server import csrf, start
    live = start(tmp_path, "--workers", "2")
    try:
        client = live.session(COLLECTOR)
        token = csrf(client, live.url)
        assert client.post(live.url + "/purpose", data={"code": "collect-debt",
                                                        "csrf_token": token}).ok
        lookups = []
        for _ in range(4):                       # requests spread over both processes
            traced = client.post(live.url + f"/accounts/{MOVED_ACCOUNT}/trace", data={
                "reason": "mail returned, need a current address", "csrf_token": token})
            assert traced.ok and "/lookups/L-" in traced.url, traced.text[:300]
            lookups.append(traced.url.rsplit("/", 1)[1])
        assert len(set(lookups)) == 4
        assert client.get(live.url + "/api/me").json()["user"] == COLLECTOR
    finally:
        live.stop()
    assert "2 processes" in live.log.read_text()
    from tracer.audit.trail import AuditTrail
    from tracer.workspace import open_workspace
    ws = open_workspace(live.db)
    try:
        assert AuditTrail(ws).verify() > 0
    finally:
        ws.close()
