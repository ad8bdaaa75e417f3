"""A growing pause between attempts, used wherever the edge programs try something again."""

from __future__ import annotations


class Backoff:
    """The pause before the next attempt: doubles from ``first`` up to ``longest``."""

    def __init__(self, first: float = 1.0, longest: float = 30.0) -> None:
        self._first, self._longest = first, longest
        self._next = first

    def next_delay(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self._longest)
        return delay

    def reset(self) -> None:
        self._next = self._first
