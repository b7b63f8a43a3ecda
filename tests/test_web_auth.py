"""Sign-in as a library: argon2id hashes, `tracer users passwd` (terminal or standard
input, never an option), throttling per user and per address with a lockout that holds,
session expiry (idle and absolute), logout, API tokens shown once and revocable."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings, strategies as st

from tracer.auth import (SignInRefused, Throttle, close_session, create_token, csrf_for,
                         list_tokens, open_session, revoke_token, session_for,
                         set_password, sign_in, user_for_token)
from tracer.errors import InputError
from tracer.workspace import SCHEMA_VERSION, open_workspace

PASSWORD = "a long enough passphrase"


@pytest.fixture
def team(ws):
    assert ws("users", "add", "bob", "--role", "collector", "--user", "sam").exit_code == 0
    return ws


def opened(team):
    return open_workspace(team.db)


def test_migration_10_adds_the_sign_in_tables(team):
    assert SCHEMA_VERSION >= 10
    tables = {r[0] for r in team.sql("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"user_credentials", "web_sessions", "api_tokens", "login_attempts"} <= tables


@pytest.mark.parametrize("how", ["stdin", "stdin-crlf"])
def test_users_passwd_reads_standard_input_and_stores_argon2id(team, how):
    line = PASSWORD + ("\r\n" if how == "stdin-crlf" else "\n")
    run = team.runner.invoke(__import__("tracer.cli", fromlist=["cli"]).cli,
                             ["--db", str(team.db), "users", "passwd", "alice", "--user", "sam"],
                             input=line)
    assert run.exit_code == 0, run.output
    assert "Password set for alice." in run.output
    (stored,) = team.sql("SELECT password_hash FROM user_credentials WHERE user_id = 'alice'")[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    ws = opened(team)
    try:
        assert sign_in(ws, "alice", PASSWORD, "127.0.0.1")["id"] == "alice"
    finally:
        ws.close()
    event = team.sql("SELECT actor, payload FROM audit WHERE event = 'password_set'")
    assert event == [("sam", json.dumps({"user": "alice"}, separators=(",", ":")))]


def test_users_passwd_has_no_password_option(team):
    from tracer.cli import cli
    run = team.runner.invoke(cli, ["--db", str(team.db), "users", "passwd", "alice",
                                   "--password", PASSWORD])
    assert run.exit_code == 2 and "No such option" in run.output


@pytest.mark.parametrize("who, target, ok", [
    ("sam", "alice", True),           # a manager sets anyone's
    ("alice", "alice", True),           # one's own
    ("bob", "alice", False),          # another collector's: no
    (None, "alice", False),
])
def test_who_may_set_a_password(team, who, target, ok):
    from tracer.cli import cli
    args = ["--db", str(team.db), "users", "passwd", target] + (["--user", who] if who else [])
    run = team.runner.invoke(cli, args, input=PASSWORD + "\n")
    assert (run.exit_code == 0) is ok, run.output
    assert bool(team.sql("SELECT 1 FROM user_credentials")) is ok


@pytest.mark.parametrize("password, message", [
    ("short", "at least 12"), ("x" * 1025, "at most 1024")])
def test_password_rules(team, password, message):
    ws = opened(team)
    try:
        with pytest.raises(InputError, match=message):
            set_password(ws, "alice", password, actor="sam")
        with pytest.raises(InputError, match="no user"):
            set_password(ws, "nobody", PASSWORD, actor="sam")
    finally:
        ws.close()


def test_lockout_per_user_holds_and_a_new_password_lifts_it(team):
    ws = opened(team)
    throttle = Throttle(per_user=3, per_address=100)
    try:
        set_password(ws, "alice", PASSWORD, actor="sam")
        for _ in range(3):
            with pytest.raises(SignInRefused):
                sign_in(ws, "alice", "not the password", "10.0.0.1", throttle)
        for address in ("10.0.0.1", "10.0.0.2"):            # another address: still locked
            with pytest.raises(SignInRefused) as refused:
                sign_in(ws, "alice", PASSWORD, address, throttle)
            assert refused.value.why.startswith("user locked")
        set_password(ws, "bob", PASSWORD, actor="sam")        # alice's lock is not bob's
        assert sign_in(ws, "bob", PASSWORD, "10.0.0.1", throttle)["id"] == "bob"
        set_password(ws, "alice", PASSWORD, actor="sam")
        assert sign_in(ws, "alice", PASSWORD, "10.0.0.1", throttle)["id"] == "alice"
    finally:
        ws.close()


def test_lockout_per_address_covers_every_user(team):
    ws = opened(team)
    throttle = Throttle(per_user=100, per_address=4)
    try:
        set_password(ws, "bob", PASSWORD, actor="sam")
        for user in ("alice", "nobody", "x", "y"):
            with pytest.raises(SignInRefused):
                sign_in(ws, user, "guess guess guess", "10.9.9.9", throttle)
        with pytest.raises(SignInRefused) as refused:
            sign_in(ws, "bob", PASSWORD, "10.9.9.9", throttle)
        assert refused.value.why.startswith("address locked")
        assert sign_in(ws, "bob", PASSWORD, "10.1.1.1", throttle)["id"] == "bob"
    finally:
        ws.close()


def test_a_lockout_ends_after_its_time(team):
    ws = opened(team)
    throttle = Throttle(per_user=1, per_address=100, lockout=timedelta(seconds=0))
    try:
        set_password(ws, "alice", PASSWORD, actor="sam")
        with pytest.raises(SignInRefused):
            sign_in(ws, "alice", "wrong wrong wrong", "10.0.0.1", throttle)
        assert sign_in(ws, "alice", PASSWORD, "10.0.0.1", throttle)["id"] == "alice"
    finally:
        ws.close()


def test_a_refused_sign_in_never_stores_what_was_typed_as_a_user(tmp_path):
    """Whatever lands in the user field (a mistyped SSN, a DOB), only a real user id
    is ever kept."""
    from tracer.workspace import init_workspace
    ws, _ = init_workspace(tmp_path / "t.db")

    @settings(max_examples=12, deadline=None)
    @given(typed=st.text(min_size=0, max_size=80))
    def refused(typed):
        with pytest.raises(SignInRefused):
            sign_in(ws, typed + "-not-a-user", "password password", "10.0.0.1",
                    Throttle(per_address=10_000))
        (stored,) = ws.conn.execute("SELECT user_id FROM login_attempts"
                                    " ORDER BY id DESC LIMIT 1").fetchone()
        assert stored is None
        (payload,) = ws.conn.execute("SELECT payload FROM audit WHERE event ="
                                     " 'sign_in_refused' ORDER BY seq DESC").fetchone()
        assert json.loads(payload)["user"] is None
    try:
        refused()
        refused_ssn = "912-34-5678"
        with pytest.raises(SignInRefused):
            sign_in(ws, refused_ssn, "password password", "10.0.0.1")
        assert refused_ssn not in str(ws.conn.execute("SELECT * FROM audit").fetchall())
    finally:
        ws.close()


def test_sessions_expire_idle_and_absolute_and_end_at_logout(team):
    ws = opened(team)
    try:
        secret = open_session(ws, "alice", "127.0.0.1")
        assert session_for(ws, secret).user["id"] == "alice"
        assert session_for(ws, secret, idle=timedelta(seconds=-1)) is None     # idle
        expired = open_session(ws, "alice", "127.0.0.1", absolute=timedelta(seconds=-1))
        assert session_for(ws, expired) is None                                # absolute
        assert session_for(ws, secret + "x") is None and session_for(ws, None) is None
        assert csrf_for(ws, secret) != csrf_for(ws, expired)
        stored = [r[0] for r in ws.conn.execute("SELECT session_hash FROM web_sessions")]
        assert secret not in stored
        close_session(ws, secret, "alice")
        assert session_for(ws, secret) is None
        secret = open_session(ws, "alice", "127.0.0.1")
        ws.conn.execute("UPDATE users SET active = 0 WHERE id = 'alice'")
        assert session_for(ws, secret) is None                # deactivated: out at once
    finally:
        ws.close()


def test_tokens_are_shown_once_kept_hashed_scoped_and_revocable(team):
    ws = opened(team)
    try:
        token_id, token = create_token(ws, "alice", "nightly")
        assert user_for_token(ws, token)["id"] == "alice"
        row = ws.conn.execute("SELECT token_hash FROM api_tokens").fetchone()
        assert token not in row[0] and token[4:] not in row[0]
        assert [t["token_id"] for t in list_tokens(ws, "alice")] == [token_id]
        assert list_tokens(ws, "bob") == []
        with pytest.raises(InputError):
            revoke_token(ws, "bob", token_id)                 # not bob's to revoke
        revoke_token(ws, "alice", token_id)
        assert user_for_token(ws, token) is None
        events = [r[0] for r in ws.conn.execute("SELECT event FROM audit WHERE event LIKE"
                                                " 'api_token_%' ORDER BY seq")]
        assert events == ["api_token_created", "api_token_revoked"]
    finally:
        ws.close()
