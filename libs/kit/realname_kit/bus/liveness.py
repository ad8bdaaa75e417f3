"""Whether the bus's processes of a service are there: heartbeats in a process, presence on the broker.

A relay or the all-in-one bus beats at every round of its loop. In distributed mode a relay process
shows it is there by holding a consumer on its presence queue (``Topology.presence_queue``) while it
beats, so any web process of the service can count its relays with one passive declare; the broker
drops the consumer the moment the process dies. Consumers need no presence queue: the broker counts
the consumers of the service's own queues.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from kombu import Connection, Consumer, Queue

from realname_kit.logs import get_logger

log = get_logger(__name__)

# A loop that has not gone round for this long is stuck: longer than a relay's longest back-off plus a
# publish timeout, and than an all-in-one round that hands a full batch to its handlers.
STALE_AFTER = 120.0


class Heartbeats:
    """When each loop of this process last went round."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def expect(self, name: str) -> None:
        """From now on ``name`` must beat (its first beat is due within ``STALE_AFTER``)."""
        with self._lock:
            self._last.setdefault(name, self._clock())

    def beat(self, name: str) -> None:
        with self._lock:
            self._last[name] = self._clock()

    def beater(self, name: str) -> Callable[[], None]:
        self.expect(name)
        return lambda: self.beat(name)

    @property
    def expected(self) -> bool:
        return bool(self._last)

    def stale(self, within: float = STALE_AFTER) -> list[str]:
        now = self._clock()
        with self._lock:
            return sorted(name for name, at in self._last.items() if now - at > within)


HEARTBEATS = Heartbeats()  # this process's loops


class Presence:
    """Holds a consumer on ``queue`` while ``alive()``; lets go of it when not, and takes it again."""

    def __init__(self, url: str, queue: Queue, alive: Callable[[], bool], every: float = 2.0) -> None:
        self.url, self.queue, self.alive, self.every = url, queue, alive, every

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.alive():
                stop.wait(self.every)
                continue
            try:
                self._hold(stop)
            except Exception as exc:  # the broker is away: the readiness check says so meanwhile
                log.warning("presence_lost", queue=self.queue.name, error=repr(exc)[:300])
                stop.wait(self.every)

    def _hold(self, stop: threading.Event) -> None:
        with Connection(self.url, heartbeat=30, connect_timeout=5) as conn:
            conn.connect()
            channel = conn.channel()
            Consumer(channel, queues=[self.queue], no_ack=True, on_message=lambda _message: None).consume()
            while not stop.is_set() and self.alive():
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=self.every)  # nothing is ever sent here: heartbeats flow
                conn.heartbeat_check()
