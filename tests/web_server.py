"""A live `tracer serve` on a free loopback port over a demo team workspace, and the
small HTTP helpers the web tests share (sign in through the real form, CSRF token)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

OTHER = "other.collector"
LOCKED = "lock.collector"
OTHERS_ACCOUNT = "DEMO-1006"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    db: Path
    passwords: dict[str, str]
    process: subprocess.Popen
    log: Path
    extra: dict = field(default_factory=dict)

    def session(self, user: str | None = None) -> "requests.Session":
        client = requests.Session()
        if user:
            response = sign_in(client, self.url, user, self.passwords[user])
            assert response.status_code == 200 and "/purpose" in response.url, response.text
        return client

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def build(root: Path) -> tuple[Path, dict[str, str]]:
    """The demo team workspace, plus a second collector with an account of their own
    and a collector kept for the lockout test."""
    from tracer.accounts import assign_account
    from tracer.auth import set_password
    from tracer.consent.users import add_user
    from tracer.demo import SUPERVISOR
    from tracer.demo.team import build_team_demo
    from tracer.workspace import open_workspace

    db, passwords = build_team_demo(root / "team")
    ws = open_workspace(db)
    try:
        for user in (OTHER, LOCKED):
            add_user(ws, user, "collector", actor=SUPERVISOR)
            passwords[user] = f"correct horse {user}"
            set_password(ws, user, passwords[user], actor=SUPERVISOR)
        assign_account(ws, SUPERVISOR, OTHERS_ACCOUNT, OTHER, reason="test: theirs")
    finally:
        ws.close()
    return db, passwords


def start(root: Path, *serve_args: str) -> LiveServer:
    db, passwords = build(root)
    import sqlite3
    conn = sqlite3.connect(db)
    set_up = conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    conn.close()
    port = free_port()
    log = root / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("TRACER_USER", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracer.cli", "--db", str(db), "serve", "--host",
             "127.0.0.1", "--port", str(port), *serve_args], stdout=out, stderr=subprocess.STDOUT,
            env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tracer serve exited: {log.read_text()}")
        try:
            requests.get(url + "/static/app.css", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"tracer serve did not start: {log.read_text()}")
    return LiveServer(url, db, passwords, process, log, {"set_up_seq": set_up})


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token in the page"
    return found.group(1)


def sign_in(client, url: str, user: str, password: str):
    page = client.get(url + "/")
    return client.post(url + "/signin", data={"user": user, "password": password,
                                              "csrf_token": form_token(page.text)})


def csrf(client, url: str) -> str:
    return form_token(client.get(url + "/purpose").text)
