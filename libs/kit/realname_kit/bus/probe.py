"""The broker as a web process sees it for readiness and gauges: one connection, reused.

Every ``/readyz`` and every scrape used to open a connection of its own, so whoever called the gateway's
public ``/healthz`` could multiply the broker's connections. One connection per process, opened on first
use and opened again once when it turns out broken, answers them all.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from amqp.exceptions import NotFound
from kombu import Connection

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class QueueState:
    messages: int
    consumers: int


class BrokerProbe:
    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self.url, self.timeout = url, timeout
        self.connections_opened = 0
        self._conn: Connection | None = None
        self._channel: Any = None
        self._lock = threading.Lock()

    def ping(self) -> None:
        self._use(lambda _channel: None)

    def queue_state(self, name: str) -> QueueState | None:
        """Messages ready in ``name`` and its consumers; None when there is no such queue."""
        def declare(channel: Any) -> QueueState | None:
            try:
                _, messages, consumers = channel.queue_declare(queue=name, passive=True)
            except NotFound:
                self._channel = None  # the broker closed the channel with its 404
                return None
            return QueueState(int(messages), int(consumers))
        return self._use(declare)

    def consumers(self, name: str) -> int:
        state = self.queue_state(name)
        return state.consumers if state else 0

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _use(self, call: Callable[[Any], _T]) -> _T:
        with self._lock:
            try:
                return call(self._open())
            except NotFound:
                raise
            except Exception:  # a connection that broke since its last use: open a new one, once
                self._drop()
                return call(self._open())

    def _open(self) -> Any:
        if self._conn is None:
            conn = Connection(self.url, connect_timeout=self.timeout, heartbeat=0,
                              transport_options={"read_timeout": self.timeout, "write_timeout": self.timeout})
            conn.connect()
            self._conn = conn
            self.connections_opened += 1
        if self._channel is None:
            self._channel = self._conn.channel()
        return self._channel

    def _drop(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to close cleanly
                conn.release()
