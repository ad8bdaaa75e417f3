"""Batch publisher with asynchronous publisher confirms on a pika SelectConnection.

All pika calls run on one background IO-loop thread; the caller blocks on an Event
until the broker has acked (or nacked) every message of its batch.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pika

_HEARTBEAT_S = 30
_BLOCKED_TIMEOUT_S = 60.0
_JOIN_GRACE_S = 5.0
# pika's own stack_timeout (= connect_timeout) should fire first; this is only a backstop.
_READY_GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    exchange: str
    routing_key: str
    body: bytes
    message_id: str
    type: str
    correlation_id: str | None = None
    headers: Mapping[str, Any] | None = None
    content_type: str = "application/json"
    timestamp: int | None = None
    priority: int | None = None  # for a queue with x-max-priority (a gate's commands: a revoke overtakes enrols)


class PublishFailed(Exception):
    """Not every message of the batch was confirmed by the broker."""


class _Batch:
    """Confirm bookkeeping of one batch; touched only on the IO thread."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pending: set[int] = set()
        self.low = 0  # every tag below this has been settled already
        self.nacked = 0
        self.error: str | None = None
        self.done = threading.Event()

    def settle(self, tag: int, multiple: bool, ack: bool) -> None:
        if multiple:
            tags = [t for t in range(self.low, tag + 1) if t in self.pending]
            self.low = max(self.low, tag + 1)
        else:
            tags = [tag] if tag in self.pending else []
        self.pending.difference_update(tags)
        if not ack:
            self.nacked += len(tags)
        if not self.pending:
            self.done.set()

    def fail(self, reason: str) -> None:
        if not self.done.is_set():
            self.error = reason
            self.done.set()


class ConfirmingPublisher:
    def __init__(
        self, url: str, *, connection_name: str = "realname-publisher", connect_timeout: float = 10.0
    ) -> None:
        self._params = pika.URLParameters(url)
        self._params.heartbeat = _HEARTBEAT_S
        self._params.blocked_connection_timeout = _BLOCKED_TIMEOUT_S
        self._params.connection_attempts = 1
        self._params.socket_timeout = connect_timeout
        self._params.stack_timeout = connect_timeout
        self._params.client_properties = {"connection_name": connection_name}
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._closed = False
        self._conn: Any = None
        self._thread: threading.Thread | None = None
        # State below is written on the IO thread only.
        self._channel: Any = None
        self._channel_ok = False
        self._next_tag = 1
        self._batch: _Batch | None = None
        self._ready = threading.Event()
        self._ready_error: str | None = None

    def __enter__(self) -> ConfirmingPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float = 30.0) -> None:
        if not messages:
            return
        with self._lock:
            if self._closed:
                raise PublishFailed("publisher is closed")
            self._ensure_ready()
            batch = _Batch(len(messages))
            self._conn.ioloop.add_callback_threadsafe(lambda: self._publish_batch(batch, messages))
            if not batch.done.wait(timeout):
                raise PublishFailed(f"batch of {batch.size} not fully confirmed within {timeout}s")
        if batch.error is not None:
            raise PublishFailed(f"batch of {batch.size} failed: {batch.error}")
        if batch.nacked:
            raise PublishFailed(f"{batch.nacked} of {batch.size} messages nacked by the broker")

    def connect(self) -> None:
        """Connect now rather than at the first publish (a relay shows at start that it can reach the broker)."""
        with self._lock:
            if self._closed:
                raise PublishFailed("publisher is closed")
            self._ensure_ready()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop_loop()

    # -- caller thread -------------------------------------------------------

    def _ensure_ready(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._channel_ok:
            return
        self._ready.clear()
        self._ready_error = None
        if self._thread is not None and self._thread.is_alive():
            conn = self._conn
            conn.ioloop.add_callback_threadsafe(lambda: self._open_channel(conn))
        else:
            self._start_loop()
        if not self._ready.wait(self._connect_timeout + _READY_GRACE_S):
            self._stop_loop()
            raise PublishFailed(f"could not connect within {self._connect_timeout}s")
        if self._ready_error is not None:
            raise PublishFailed(f"could not connect: {self._ready_error}")

    def _start_loop(self) -> None:
        self._stop_loop()
        self._channel_ok = False
        self._conn = pika.SelectConnection(
            self._params,
            on_open_callback=self._open_channel,
            on_open_error_callback=self._on_connection_down,
            on_close_callback=self._on_connection_down,
        )
        self._thread = threading.Thread(
            target=self._run_loop, args=(self._conn,), daemon=True, name="confirming-publisher-io"
        )
        self._thread.start()

    def _stop_loop(self) -> None:
        thread, conn = self._thread, self._conn
        if thread is None:
            return
        if thread.is_alive():
            conn.ioloop.add_callback_threadsafe(lambda: self._shutdown(conn))
            thread.join(self._connect_timeout + _JOIN_GRACE_S)
        self._thread = self._conn = None

    # -- IO thread -----------------------------------------------------------

    def _run_loop(self, conn: Any) -> None:
        try:
            conn.ioloop.start()
        finally:
            conn.ioloop.close()
            # A callback that raised ends the loop too: never leave the caller waiting.
            self._channel_ok = False
            self._signal_down("IO loop stopped")

    @staticmethod
    def _shutdown(conn: Any) -> None:
        if conn.is_open:
            conn.close()  # _on_connection_down stops the loop once closed
        elif not conn.is_closing:
            # close() while still opening trips an assertion inside pika 1.4's workflow.
            conn.ioloop.stop()

    def _open_channel(self, conn: Any) -> None:
        if conn.is_open:
            conn.channel(on_open_callback=self._on_channel_open)
        else:  # lost between the caller's check and this callback
            self._signal_down("connection is not open")

    def _on_channel_open(self, channel: Any) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=self._on_confirm_ok)

    def _on_confirm_ok(self, _frame: Any) -> None:
        self._next_tag = 1  # delivery tags restart with each channel
        self._channel_ok = True
        self._ready.set()

    def _on_channel_closed(self, _channel: Any, reason: Exception) -> None:
        self._channel_ok = False
        self._signal_down(f"channel closed: {reason!r}")

    def _on_connection_down(self, conn: Any, reason: Exception) -> None:
        self._channel_ok = False
        self._signal_down(f"connection lost: {reason!r}")
        conn.ioloop.stop()

    def _signal_down(self, reason: str) -> None:
        if not self._ready.is_set():
            self._ready_error = reason
            self._ready.set()
        if self._batch is not None:
            self._batch.fail(reason)

    def _on_confirm(self, frame: Any) -> None:
        if self._batch is None:
            return
        method = frame.method
        ack = isinstance(method, pika.spec.Basic.Ack)
        self._batch.settle(method.delivery_tag, bool(method.multiple), ack)

    def _publish_batch(self, batch: _Batch, messages: Sequence[OutgoingMessage]) -> None:
        self._batch = batch
        batch.low = self._next_tag
        if not self._channel_ok:
            batch.fail("channel closed before publishing")
            return
        try:
            for msg in messages:
                self._channel.basic_publish(msg.exchange, msg.routing_key, msg.body, _properties(msg))
                batch.pending.add(self._next_tag)
                self._next_tag += 1
        except Exception as exc:  # any pika error here means the batch is lost
            batch.fail(f"publish raised {exc!r}")


def _properties(msg: OutgoingMessage) -> Any:
    return pika.BasicProperties(
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=msg.message_id,
        type=msg.type,
        correlation_id=msg.correlation_id,
        headers=dict(msg.headers) if msg.headers is not None else None,
        content_type=msg.content_type,
        timestamp=msg.timestamp,
        priority=msg.priority,
    )
