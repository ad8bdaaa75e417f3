"""The in-process GCRA limiter, on a fake clock: bursts, refusals, rolling windows, bounded memory."""

from __future__ import annotations

import threading

import pytest

from realname_kit.hardening.ratelimit import (
    MemoryLimiter,
    Rate,
    gcra,
    limiter_from_settings,
    parse_rate,
)
from realname_kit.settings import Settings


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_allows_the_limit_then_refuses_with_a_sensible_retry_after(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock), parse_rate("5/minute")
    decisions = [limiter.hit("k", rate) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    refused = limiter.hit("k", rate)
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == 12  # one hit's worth of the minute: 60 / 5
    clock.advance(11)
    assert not limiter.hit("k", rate).allowed
    assert limiter.hit("k", rate).retry_after == 1
    clock.advance(1)
    assert limiter.hit("k", rate).allowed  # exactly as promised


def test_refused_hits_cost_nothing(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock), parse_rate("2/second")
    limiter.hit("k", rate), limiter.hit("k", rate)
    for _ in range(100):
        assert not limiter.hit("k", rate).allowed
    clock.advance(0.5)
    assert limiter.hit("k", rate).allowed


def test_windows_roll_and_no_double_burst_at_a_boundary(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock), parse_rate("10/minute")
    assert all(limiter.hit("k", rate).allowed for _ in range(10))
    clock.advance(30)  # half a minute: half the budget is back, not all of it
    assert sum(limiter.hit("k", rate).allowed for _ in range(10)) == 5
    clock.advance(60)
    assert sum(limiter.hit("k", rate).allowed for _ in range(20)) == 10


def test_keys_are_independent(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock), parse_rate("1/hour")
    assert limiter.hit("a", rate).allowed
    assert not limiter.hit("a", rate).allowed
    assert limiter.hit("b", rate).allowed
    refused = limiter.hit("a", rate)
    assert refused.retry_after == 3600


def test_memory_stays_bounded_once_keys_expire(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock, sweep_seconds=5), parse_rate("3/minute")
    for i in range(10_000):
        limiter.hit(f"ip:{i}", rate)
    assert len(limiter) == 10_000
    clock.advance(61)
    limiter.hit("fresh", rate)
    assert len(limiter) == 1


def test_memory_has_a_hard_cap_even_before_keys_expire(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock, max_keys=1000), parse_rate("3/minute")
    for i in range(5000):
        limiter.hit(f"ip:{i}", rate)
        assert len(limiter) <= 1000
    hot = "ip:4999"  # the most recently hit keys are the ones kept
    limiter.hit(hot, rate), limiter.hit(hot, rate)
    assert not limiter.hit(hot, rate).allowed


def test_thread_safe_exactly_the_limit_under_contention(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock), parse_rate("50/minute")
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            allowed = limiter.hit("shared", rate).allowed
            with lock:
                results.append(allowed)
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 50


def test_a_limit_that_does_not_divide_the_period_still_admits_its_full_burst() -> None:
    rate, tat, now = parse_rate("7/minute"), None, 0
    for _ in range(7):
        tat, decision = gcra(tat, now, rate)
        assert decision.allowed
    assert not gcra(tat, now, rate)[1].allowed


@pytest.mark.parametrize(("text", "rate"), [
    ("10/minute", Rate(10, 60)), ("1/second", Rate(1, 1)), ("300/hour", Rate(300, 3600)),
    ("5/day", Rate(5, 86400)), (" 7 / Minute ", Rate(7, 60)),
])
def test_parse_rate_accepts(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", [
    "", "10", "10/", "/minute", "0/minute", "-1/minute", "1.5/minute", "10/fortnight", "10/minutes",
    "ten/minute", "10 per minute", "10/minute/extra", "10/1minute",
])
def test_parse_rate_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_the_settings_pick_the_store() -> None:
    assert isinstance(limiter_from_settings(Settings.from_env({})), MemoryLimiter)
    from realname_kit.hardening.ratelimit_redis import RedisLimiter
    chosen = limiter_from_settings(Settings.from_env({"REALNAME_REDIS_URL": "redis://127.0.0.1:1/0"}))
    assert isinstance(chosen, RedisLimiter)
    parse_rate(Settings.from_env({}).rate_limit_login), parse_rate(Settings.from_env({}).rate_limit_write)


def test_a_hit_given_back_frees_its_place_and_nothing_more(clock: FakeClock) -> None:
    limiter, rate = MemoryLimiter(clock), parse_rate("3/minute")
    for _ in range(3):
        assert limiter.hit("k", rate).allowed
    limiter.refund("k", rate)
    assert limiter.hit("k", rate).allowed and not limiter.hit("k", rate).allowed
    for _ in range(10):  # more refunds than hits: the key is simply empty, never a credit beyond the burst
        limiter.refund("k", rate)
    assert len(limiter) == 0
    assert [limiter.hit("k", rate).allowed for _ in range(4)] == [True, True, True, False]
    limiter.refund("never-hit", rate)
    assert len(limiter) == 1
