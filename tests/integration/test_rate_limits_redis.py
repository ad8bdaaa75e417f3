"""The Redis limiter against a real Redis: shared by processes, atomic under contention, open when Redis is down."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import structlog.testing
from flask import Flask, request

from realname_kit.hardening import install_rate_limits
from realname_kit.hardening.ratelimit import parse_rate
from realname_kit.hardening.ratelimit_redis import RedisLimiter
from realname_kit.problems import install_problem_handlers

REDIS_URL = os.environ.get("REALNAME_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix() -> Iterator[str]:
    """Keys of this test's own, removed afterwards."""
    value = f"realname-test:rl:{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}); set REALNAME_TEST_REDIS_URL")
    yield value
    keys = list(client.scan_iter(match=f"{value}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_processes_share_the_count(prefix: str) -> None:
    one, two = RedisLimiter(REDIS_URL, prefix=prefix), RedisLimiter(REDIS_URL, prefix=prefix)
    rate = parse_rate("4/minute")
    decisions = [limiter.hit("login:ip:10.0.0.1", rate) for limiter in (one, two, one, two)]
    assert [d.allowed for d in decisions] == [True] * 4
    assert [d.remaining for d in decisions] == [3, 2, 1, 0]
    refused = two.hit("login:ip:10.0.0.1", rate)
    assert not refused.allowed and refused.remaining == 0
    assert 1 <= refused.retry_after <= 15
    assert one.hit("login:ip:10.0.0.2", rate).allowed  # another key, its own count


def test_keys_are_prefixed_and_expire(prefix: str) -> None:
    limiter = RedisLimiter(REDIS_URL, prefix=prefix)
    limiter.hit("write:sub:alice", parse_rate("10/minute"))
    client = redis.Redis.from_url(REDIS_URL)
    ttl_ms = client.pttl(f"{prefix}write:sub:alice")
    assert 0 < ttl_ms <= 6001  # one hit's worth of the minute, then the key is gone
    assert RedisLimiter(REDIS_URL).prefix == "realname:rl:"


def test_refusals_roll_over(prefix: str) -> None:
    limiter, rate = RedisLimiter(REDIS_URL, prefix=prefix), parse_rate("2/second")
    assert limiter.hit("k", rate).allowed and limiter.hit("k", rate).allowed
    assert not limiter.hit("k", rate).allowed
    time.sleep(0.55)  # one hit is back after half a second
    assert limiter.hit("k", rate).allowed
    assert not limiter.hit("k", rate).allowed


def test_atomic_under_twenty_threads(prefix: str) -> None:
    limiters = [RedisLimiter(REDIS_URL, prefix=prefix) for _ in range(4)]
    rate = parse_rate("25/minute")
    start = threading.Barrier(20)
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        limiter = limiters[n % len(limiters)]
        start.wait()
        for _ in range(5):
            result = limiter.hit("write:ip:203.0.113.9", rate).allowed
            with lock:
                allowed.append(result)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 100
    assert sum(allowed) == 25


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_redis_down_fails_open() -> None:
    limiter = RedisLimiter(f"redis://127.0.0.1:{closed_port()}/0", prefix="realname-test:down:")
    rate = parse_rate("1/hour")
    started = time.monotonic()
    with structlog.testing.capture_logs() as logged:
        decisions = [limiter.hit("login:acct:alice", rate) for _ in range(50)]
    assert all(d.allowed for d in decisions)
    assert time.monotonic() - started < 3.0  # paused after the first failure: no timeout per request
    warnings = [entry for entry in logged if entry["event"] == "rate_limits_unavailable"]
    assert len(warnings) == 1  # one warning, not one a request


def test_a_hit_given_back_in_redis_frees_its_place_and_nothing_more(prefix: str) -> None:
    one, two = RedisLimiter(REDIS_URL, prefix=prefix), RedisLimiter(REDIS_URL, prefix=prefix)
    rate = parse_rate("3/minute")
    assert all(one.hit("login:ip:10.0.0.7", rate).allowed for _ in range(3))
    two.refund("login:ip:10.0.0.7", rate)  # another process gives it back
    assert one.hit("login:ip:10.0.0.7", rate).allowed and not one.hit("login:ip:10.0.0.7", rate).allowed
    for _ in range(10):
        two.refund("login:ip:10.0.0.7", rate)
    assert redis.Redis.from_url(REDIS_URL).exists(f"{prefix}login:ip:10.0.0.7") == 0
    assert [one.hit("login:ip:10.0.0.7", rate).allowed for _ in range(4)] == [True, True, True, False]


def test_an_office_behind_one_address_logs_in_while_guessing_is_stopped_with_redis(prefix: str) -> None:
    app = Flask("office")

    @app.post("/login")
    def login() -> Any:
        body = request.get_json()
        return ({"ok": True}, 200) if body["password"] == "right" else ({"ok": False}, 401)

    @app.post("/challenge")
    def challenge() -> Any:
        return {"nonce": uuid.uuid4().hex}

    install_problem_handlers(app)
    install_rate_limits(app, RedisLimiter(REDIS_URL, prefix=prefix), login_rate=parse_rate("10/minute"),
                        write_rate=parse_rate("300/minute"), login_address_rate=parse_rate("60/minute"),
                        challenge_rate=parse_rate("300/minute"), challenge_paths=lambda r: r.path == "/challenge",
                        login_paths=lambda r: r.get_json()["username"] if r.path == "/login" else None)
    office = {"environ_base": {"REMOTE_ADDR": "198.51.100.20"}}
    client = app.test_client()

    def log_in(username: str, password: str) -> int:
        assert client.post("/challenge", **office).status_code == 200
        return client.post("/login", json={"username": username, "password": password}, **office).status_code

    assert [log_in(f"clerk{i}", "right") for i in range(30)] == [200] * 30  # 08:00, thirty clerks
    assert [log_in(f"clerk{i}", "wrong") for i in range(30)] == [401] * 30  # each mistypes once
    assert [log_in(f"clerk{i}", "right") for i in range(30)] == [200] * 30
    assert [log_in("boss", "guess") for _ in range(11)] == [401] * 10 + [429]  # the account's limit holds
    guesses = [log_in(f"user{i}", "guess") for i in range(25)]
    assert guesses.count(401) == 20 and guesses[-1] == 429  # 60 failures from the address, then no more
