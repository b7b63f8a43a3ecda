"""The resilient HTTP client every public source uses: retries, Retry-After, timeouts,
the circuit breaker, the rate limit and the response cache (tracer/sources/http.py)."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from fixture_servers import FixtureServer, Reply, no_network
from tracer.errors import SourceError
from tracer.sources.http import CircuitBreaker, HttpClient, TokenBucket, retry_after_seconds


@pytest.fixture(autouse=True)
def _offline():
    with no_network():
        yield


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def _echo(server, seen):
    return Reply(200, {"ok": True, "n": len(server.seen)})


@pytest.fixture
def server():
    with FixtureServer({("GET", "/v1/thing"): _echo, ("POST", "/v1/thing"): _echo}) as srv:
        yield srv


def client_for(server, clock=None, **settings) -> HttpClient:
    clock = clock or FakeClock()
    base = {"base_url": server.url + "/v1", "retries": 2, "backoff": 0.25, "read_timeout": 2,
            "timeout": 30}
    return HttpClient("fixture", {**base, **settings}, sleep=clock.sleep, clock=clock)


# -- Retry-After ---------------------------------------------------------------------

NOW = datetime(2026, 11, 2, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("header, seconds", [
    ("7", 7.0),
    (" 0 ", 0.0),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
    (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),  # already past
    ("soon", None),
    ("", None),
    (None, None),
])
def test_retry_after_accepts_seconds_and_http_dates(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


# -- retries -------------------------------------------------------------------------

@pytest.mark.parametrize("replies, sleeps", [
    ([Reply(503)], [0.25]),                                     # backoff
    ([Reply(502), Reply(500)], [0.25, 0.5]),                    # doubles
    ([Reply(429, headers={"Retry-After": "3"})], [3.0]),        # the server's wait wins
    ([Reply(503, headers={"Retry-After": "1"})], [1.0]),
])
def test_retries_transient_failures_then_succeeds(server, replies, sleeps):
    clock = FakeClock()
    server.queue("/v1/thing", *replies)
    assert client_for(server, clock).json("GET", "thing") == {"ok": True, "n": len(replies) + 1}
    assert clock.sleeps == sleeps


def test_gives_up_after_the_retry_budget(server):
    server.queue("/v1/thing", Reply(500), Reply(500), Reply(500))
    with pytest.raises(SourceError, match=r"server error \(HTTP 500\), after 3 attempt") as err:
        client_for(server).json("GET", "thing")
    assert err.value.retryable and err.value.source == "fixture"


def test_a_retry_after_beyond_the_cap_fails_at_once(server):
    clock = FakeClock()
    server.queue("/v1/thing", Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(SourceError, match="asks to wait 3600 s"):
        client_for(server, clock, retry_after_max=30).json("GET", "thing")
    assert clock.sleeps == [] and len(server.seen) == 1


def test_no_retry_when_the_wait_outlasts_the_lookup_budget(server):
    server.queue("/v1/thing", Reply(503, headers={"Retry-After": "20"}))
    with pytest.raises(SourceError, match="after 1 attempt"):
        client_for(server, timeout=10).json("GET", "thing")


@pytest.mark.parametrize("reply, message", [
    (Reply(401, {"detail": "Invalid token."}), r"rejected the credentials \(HTTP 401\): Invalid token."),
    (Reply(403, text="<html>forbidden</html>"), r"rejected the credentials \(HTTP 403\)$"),
    (Reply(400, {"message": "bad field"}), r"refused the request \(HTTP 400\): bad field"),
    (Reply(200, text="<html>maintenance</html>"), "not JSON"),
])
def test_client_errors_and_garbage_are_not_retried(server, reply, message):
    server.queue("/v1/thing", reply)
    with pytest.raises(SourceError, match=message) as err:
        client_for(server).json("GET", "thing")
    assert not err.value.retryable and len(server.seen) == 1


@pytest.mark.parametrize("method, attempts", [
    ("GET", 2),   # a slow read is retried once
    ("POST", 1),  # never: the server may have done, and billed, the search
])
def test_a_slow_answer_times_out(server, method, attempts):
    server.queue("/v1/thing", *[Reply(200, {"late": True}, delay=0.4)] * 2)
    started = time.monotonic()
    with pytest.raises(SourceError, match="timed out after 0.1 s"):
        client_for(server, retries=1, backoff=0, read_timeout=0.1).json(method, "thing")
    assert time.monotonic() - started < 0.35 * attempts
    assert len(server.seen) == attempts


def test_a_closed_port_is_a_connection_error():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HttpClient("fixture", {"base_url": f"http://127.0.0.1:{port}", "retries": 1,
                                    "backoff": 0}, sleep=lambda s: None)
    with pytest.raises(SourceError, match="could not connect, after 2 attempt"):
        client.json("GET", "x")


# -- circuit breaker -----------------------------------------------------------------

def test_breaker_opens_after_consecutive_failures_and_half_opens_after_cooldown():
    clock = FakeClock()
    breaker = CircuitBreaker(failures=3, cooldown=60, clock=clock)
    for _ in range(2):
        breaker.failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 60
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # one trial call at a time
    breaker.failure()
    assert breaker.state == "open"  # the trial failed: open again, cool-down restarts
    clock.now += 60
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.failures == 0


def test_an_open_breaker_stops_calls_until_the_cooldown(server):
    clock = FakeClock()
    client = client_for(server, clock, retries=0, breaker_failures=2, breaker_cooldown=30)
    server.queue("/v1/thing", Reply(503), Reply(503))
    for _ in range(2):
        with pytest.raises(SourceError, match="HTTP 503"):
            client.json("GET", "thing")
    with pytest.raises(SourceError, match="circuit open"):
        client.json("GET", "thing")
    assert len(server.seen) == 2  # the third call never left the process
    clock.now += 30
    assert client.json("GET", "thing")["ok"]  # half-open trial succeeds and closes it
    assert client.breaker.state == "closed"


# -- rate limit ----------------------------------------------------------------------

def test_token_bucket_spaces_calls_and_allows_a_burst():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_minute=30, burst=2, clock=clock, sleep=clock.sleep)
    assert all(bucket.acquire(max_wait=10) for _ in range(4))
    assert clock.sleeps == [2.0, 2.0]  # two from the burst, then one every 2 s


def test_token_bucket_refuses_when_the_wait_exceeds_the_budget():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_minute=1, clock=clock, sleep=clock.sleep)
    assert bucket.acquire(max_wait=5)
    assert not bucket.acquire(max_wait=5) and clock.sleeps == []


def test_token_bucket_is_thread_safe():
    import threading
    clock = FakeClock()  # frozen time: no refill, so exactly the burst is granted
    bucket = TokenBucket(rate_per_minute=6000, burst=50, clock=clock, sleep=clock.sleep)
    granted = []
    threads = [threading.Thread(target=lambda: granted.append(bucket.acquire(0))) for _ in range(80)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 50 and len(granted) == 80


def test_the_client_rate_limit_refuses_rather_than_outwaiting_the_lookup(server):
    clock = FakeClock()
    client = client_for(server, clock, rate_limit_per_minute=2, rate_limit_burst=1, timeout=10)
    client.json("GET", "thing")
    with pytest.raises(SourceError, match="local rate limit"):
        client.json("GET", "thing")  # the next token is 30 s away, the budget 10 s
    assert len(server.seen) == 1


# -- cache ---------------------------------------------------------------------------

def test_cache_reuses_answers_for_the_ttl_then_asks_again(server, tmp_path):
    client = client_for(server, cache_ttl=1, cache_path=str(tmp_path / "http.sqlite"))
    first = client.json("GET", "thing", params={"q": "a"})
    assert client.json("GET", "thing", params={"q": "a"}) == first
    assert client.json("GET", "thing", params={"q": "b"}) != first  # another key
    assert len(server.seen) == 2
    time.sleep(1.1)
    assert client.json("GET", "thing", params={"q": "a"}) != first
    assert len(server.seen) == 3


def test_cache_hits_spend_no_rate_limit_tokens(server, tmp_path):
    clock = FakeClock()
    client = client_for(server, clock, cache_ttl=60, cache_path=str(tmp_path / "c.sqlite"),
                        rate_limit_per_minute=1, rate_limit_burst=1, timeout=5)
    for _ in range(5):
        client.json("GET", "thing")
    assert len(server.seen) == 1


def test_cache_never_stores_posts_errors_or_secrets(server, tmp_path):
    path = tmp_path / "c.sqlite"
    client = client_for(server, cache_ttl=60, cache_path=str(path))
    client.json("POST", "thing", json={"loginId": "x"})
    client.json("POST", "thing", json={"loginId": "x"})
    server.queue("/v1/thing", Reply(404, {"detail": "gone"}))
    with pytest.raises(SourceError):
        client.json("GET", "thing", params={"q": "z"})
    client.json("GET", "thing", params={"q": "z"})
    client.json("GET", "thing", headers={"Authorization": "Token sekrit-123"},
                params={"access_token": "sekrit-456"})
    assert len(server.seen) == 5
    blob = b"".join(bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode()
                    for row in sqlite3.connect(path).execute("SELECT * FROM responses")
                    for v in row)
    assert b"sekrit" not in blob


def test_logs_name_fields_never_values(server, caplog):
    caplog.set_level(logging.DEBUG, logger="tracer.sources")
    server.queue("/v1/thing", Reply(503))
    client = HttpClient("fixture", {"base_url": server.url + "/v1", "backoff": 0},
                        logger=logging.getLogger("tracer.sources.fixture"), sleep=lambda s: None)
    client.json("GET", "thing", params={"last_name": "OKAFOR", "first_name": "WILLIAM"},
                headers={"Authorization": "Token sekrit"})
    text = caplog.text
    assert "first_name,last_name" in text
    assert "OKAFOR" not in text and "WILLIAM" not in text and "sekrit" not in text


class _Planted:
    """What an attacker plants in a pickled cache: unpickling it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_cache_is_json_and_a_planted_pickle_never_runs(server, tmp_path):
    import os
    import pickle
    import stat

    import requests_cache

    path = tmp_path / "cache" / "c.sqlite"
    client = client_for(server, cache_ttl=60, cache_path=str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    first = client.json("GET", "thing", params={"q": "a"})
    conn = sqlite3.connect(path)
    (value,) = conn.execute("SELECT value FROM responses").fetchone()
    text = value if isinstance(value, str) else bytes(value).decode()
    assert text.lstrip().startswith("{")                     # JSON, not pickle
    # The attacker swaps the entry for a pickle (what requests-cache's default reads).
    marker = tmp_path / "pwned"
    conn.execute("UPDATE responses SET value = ?", (pickle.dumps(_Planted(marker)),))
    conn.commit()
    conn.close()
    assert client.json("GET", "thing", params={"q": "a"}) != first   # a miss: asked again
    assert not marker.exists()
    assert len(server.seen) == 2
    # (the same file read with pickle would have run it: the test's attack is real)
    legacy = requests_cache.CachedSession(str(path), backend="sqlite", serializer="pickle")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE responses SET value = ?", (pickle.dumps(_Planted(marker)),))
    conn.commit()
    conn.close()
    for key in list(legacy.cache.responses.keys()):
        legacy.cache.responses.get(key)
    assert marker.exists()
