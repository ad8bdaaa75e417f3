"""Rate limits shared by every process through Redis: the GCRA of ``ratelimit.py`` as one atomic Lua script.

The script reads Redis's own clock (``TIME``), so processes on hosts with skewed clocks still agree.
"""

from __future__ import annotations

import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from realname_kit.hardening.ratelimit import Decision, Limiter, Rate
from realname_kit.logs import get_logger

PREFIX = "realname:rl:"
log = get_logger(__name__)

# KEYS[1]: the key. ARGV: interval and period in microseconds. Returns {allowed, retry_us or remaining}.
GCRA_LUA = """
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if allow_at > now then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((period - (new_tat - now)) / interval)}
"""

# KEYS[1]: the key. ARGV: interval in microseconds. One admitted hit given back (``gcra_refund``).
REFUND_LUA = """
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil then return 0 end
local back = tat - interval
if back > now then
  redis.call('SET', KEYS[1], string.format('%.0f', back), 'PX', math.ceil((back - now) / 1000) + 1)
else
  redis.call('DEL', KEYS[1])
end
return 1
"""


class RedisLimiter(Limiter):
    """Limits kept in Redis under ``prefix``.

    When Redis cannot be reached, every hit is ALLOWED (fail open) with a warning in the log: a throttling
    outage must not become a platform outage. For ``pause_seconds`` after a failure Redis is not asked
    at all, so that requests do not each wait for a connection timeout.
    """

    def __init__(self, url: str, *, prefix: str = PREFIX, timeout: float = 0.5,
                 pause_seconds: float = 5.0) -> None:
        # One retry without waiting: a pooled connection that Redis closed (a restart) is re-made at once.
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                           retry=Retry(NoBackoff(), 1))
        self.prefix, self.pause_seconds = prefix, pause_seconds
        self._script = self.client.register_script(GCRA_LUA)
        self._refund = self.client.register_script(REFUND_LUA)
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def hit(self, key: str, rate: Rate) -> Decision:
        if time.monotonic() < self._paused_until:
            return Decision(True, 0, rate.limit)
        try:
            allowed, value = self._script(keys=[self.prefix + key], args=[rate.interval_us, rate.period_us])
        except redis.RedisError as exc:
            self._fail_open(exc)
            return Decision(True, 0, rate.limit)
        if allowed:
            return Decision(True, 0, int(value))
        return Decision(False, max(1, -(-int(value) // 1_000_000)), 0)

    def refund(self, key: str, rate: Rate) -> None:
        if time.monotonic() < self._paused_until:
            return
        try:
            self._refund(keys=[self.prefix + key], args=[rate.interval_us])
        except redis.RedisError as exc:
            self._fail_open(exc)

    def _fail_open(self, exc: Exception) -> None:
        with self._lock:
            first = time.monotonic() >= self._paused_until
            self._paused_until = time.monotonic() + self.pause_seconds
        if first:
            log.warning("rate_limits_unavailable", error=repr(exc), allowing_for_seconds=self.pause_seconds,
                        detail="Redis unreachable: requests are admitted without rate limits")
