"""How the simulated authority misbehaves, drawn from a seeded RNG so that a run can be replayed."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

Mishap = Literal["none", "slow", "error", "garbled", "refused"]


@dataclass(frozen=True, slots=True)
class Failures:
    """Per-request probabilities; each request draws at most one mishap."""

    slow_probability: float = 0.0
    slow_seconds: float = 10.0  # well beyond the adapter's 3-second timeout
    error_probability: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502)  # one picked at random for each error
    garbled_probability: float = 0.0  # a 200 whose body is an HTML page (a proxy, a gateway's login page)
    refused_probability: float = 0.0  # a 400: the authority will not take the question (a final answer)
    base_latency_seconds: float = 0.05  # every request: the benchmark counts on the authority taking this long
    seed: int | None = None

    def __post_init__(self) -> None:
        chances = (self.slow_probability, self.error_probability, self.garbled_probability,
                   self.refused_probability)
        if any(not 0.0 <= p <= 1.0 for p in chances) or sum(chances) > 1.0:
            raise ValueError(f"failure probabilities must be within 0..1 and add up to at most 1, got {chances}")
        if self.slow_seconds < 0 or self.base_latency_seconds < 0:
            raise ValueError("latencies cannot be negative")
        if not self.error_statuses or any(not 500 <= s <= 599 for s in self.error_statuses):
            raise ValueError(f"error statuses must be 5xx, got {self.error_statuses}")


class Dice:
    """Two draws per request whatever comes out, so the n-th request meets the same fate in every run."""

    def __init__(self, failures: Failures) -> None:
        self._failures = failures
        self._rng = random.Random(failures.seed)
        self._lock = threading.Lock()  # the server answers on several threads

    def roll(self) -> tuple[Mishap, int]:
        """The mishap of the next request, and the status it answers if that is an error."""
        with self._lock:
            chance, pick = self._rng.random(), self._rng.random()
        f = self._failures
        status = f.error_statuses[int(pick * len(f.error_statuses))]
        table: tuple[tuple[Mishap, float], ...] = (("slow", f.slow_probability), ("error", f.error_probability),
                                                   ("garbled", f.garbled_probability),
                                                   ("refused", f.refused_probability))
        for mishap, probability in table:
            if chance < probability:
                return mishap, status
            chance -= probability
        return "none", status
