"""Rate limits by GCRA (the generic cell rate algorithm), kept in-process or in Redis.

A rate of N per period admits a burst of N, then one more every period/N: each key stores a single
number, its "theoretical arrival time" (TAT). A hit at ``now`` moves the TAT to ``max(TAT, now) + period/N``
and is refused when that lands more than one period ahead of ``now``. Unlike a fixed window, a client cannot
pass 2N across a window boundary; unlike a sliding log, memory is one integer per key, and a key whose TAT
has passed holds no information, so it expires then. Times are whole microseconds so that the Python store
and the Redis script (``ratelimit_redis.py``) compute exactly the same answers.
"""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from realname_kit.settings import Settings

MICROS = 1_000_000
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*(second|minute|hour|day)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rate:
    limit: int
    period_seconds: int

    @property
    def period_us(self) -> int:
        return self.period_seconds * MICROS

    @property
    def interval_us(self) -> int:
        """Time one hit costs; rounded down, so a full burst of ``limit`` always fits in the period."""
        return max(1, self.period_us // self.limit)


def parse_rate(text: str) -> Rate:
    """``"10/minute"`` → ``Rate(10, 60)``; units: second, minute, hour, day. Anything else: ValueError."""
    match = _RATE.match(text)
    if not match or int(match[1]) < 1:
        raise ValueError(f"not a rate: {text!r} (expected e.g. '10/minute'; units: {', '.join(_UNITS)})")
    return Rate(int(match[1]), _UNITS[match[2].lower()])


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds until a hit would be admitted (0 when allowed)
    remaining: int    # hits still admitted right now after this one


def gcra(tat: int | None, now: int, rate: Rate) -> tuple[int | None, Decision]:
    """One hit: the key's new TAT (None: unchanged, refused) and the decision. Mirrored in Lua."""
    start = now if tat is None or tat < now else tat
    new_tat = start + rate.interval_us
    allow_at = new_tat - rate.period_us
    if allow_at > now:
        return None, Decision(False, max(1, -(-(allow_at - now) // MICROS)), 0)
    return new_tat, Decision(True, 0, (rate.period_us - (new_tat - now)) // rate.interval_us)


def gcra_refund(tat: int | None, now: int, rate: Rate) -> int | None:
    """The key's TAT once an admitted hit is given back (None: nothing left to remember). Mirrored in Lua."""
    if tat is None:
        return None
    back = tat - rate.interval_us
    return back if back > now else None


class Limiter(ABC):
    @abstractmethod
    def hit(self, key: str, rate: Rate) -> Decision:
        """Count one hit on ``key``; a refused hit costs nothing."""

    @abstractmethod
    def refund(self, key: str, rate: Rate) -> None:
        """Give back one admitted hit on ``key``: what turned out not to count (a login that succeeded)."""


class MemoryLimiter(Limiter):
    """One process's limits. Thread-safe; keys whose TAT has passed are swept, and at most ``max_keys`` kept
    (beyond that, the least recently hit are forgotten: they only become more permissive)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, max_keys: int = 100_000,
                 sweep_seconds: float = 10.0) -> None:
        self._clock, self._max_keys = clock, max_keys
        self._sweep_us = int(sweep_seconds * MICROS)
        self._tats: dict[str, int] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0

    def __len__(self) -> int:
        return len(self._tats)

    def hit(self, key: str, rate: Rate) -> Decision:
        now = int(self._clock() * MICROS)
        with self._lock:
            if now >= self._next_sweep or len(self._tats) >= self._max_keys:
                self._sweep(now)
            tat = self._tats.pop(key, None)
            new_tat, decision = gcra(tat, now, rate)
            kept = new_tat if new_tat is not None else tat
            if kept is not None:
                self._tats[key] = kept  # re-inserted at the end: the dict runs least recently hit first
            return decision

    def refund(self, key: str, rate: Rate) -> None:
        now = int(self._clock() * MICROS)
        with self._lock:
            tat = gcra_refund(self._tats.pop(key, None), now, rate)
            if tat is not None:
                self._tats[key] = tat

    def _sweep(self, now: int) -> None:
        self._tats = {key: tat for key, tat in self._tats.items() if tat > now}
        excess = len(self._tats) - self._max_keys * 9 // 10
        for key in list(self._tats)[:max(0, excess)]:
            del self._tats[key]
        self._next_sweep = now + self._sweep_us


def limiter_from_settings(settings: Settings) -> Limiter:
    """Redis (shared by every process) when ``REALNAME_REDIS_URL`` is set; else this process's own counts,
    so that with several workers each admits the full rate."""
    if settings.redis_url:
        from realname_kit.hardening.ratelimit_redis import RedisLimiter
        return RedisLimiter(settings.redis_url)
    return MemoryLimiter()
