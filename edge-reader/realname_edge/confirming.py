"""Sends spooled messages (``spooling.Spool``) to the broker with publisher confirms; shared by the card reader and
the site bridge. A message leaves the spool only once the broker has confirmed it.

Delivery is at least once: a message whose confirm was lost with the connection is sent again on the next call,
with the same message id, so the consumer's inbox drops the second copy. ``mandatory``: a message no queue takes
is returned (UnroutableError) rather than confirmed and lost; it stays spooled and is tried again later, so nothing
is lost while the platform has no queue for it yet. Every message carries ``user_id`` = the connection's account:
the broker refuses any other, so the platform can trust it to name the sender.

``publish_pending`` makes one attempt (the card reader calls it after each read and from its retry timer);
``run`` is the bridge's publisher thread: it sends when woken, and after a failure waits a growing pause.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions
from pika.adapters.utils.connection_workflow import AMQPConnectorException

from realname_edge.backoff import Backoff
from realname_edge.spooling import Spool, SpooledMessage

_BATCH = 100  # messages taken from the spool at a time; confirmed ones are deleted after each batch

log = logging.getLogger(__name__)


class _NoReturnedBodies(logging.Filter):
    """pika logs a message the broker returned with the start of its body: a sealed card or a punch's photo must
    never reach a log, and ``publish_pending`` already says that a message was kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Published message was returned")


logging.getLogger("pika.adapters.blocking_connection").addFilter(_NoReturnedBodies())

Render = Callable[[SpooledMessage], bytes]  # the body as sent (the card reader wraps its read in an envelope)


class ConfirmingPublisher:
    """Not thread-safe towards pika, so every call holds one lock; a failed call leaves the messages spooled."""

    def __init__(self, amqp_url: str, spool: Spool, *, source: str, connection_name: str,
                 default_exchange: str = "", render: Render | None = None, confirm_timeout: float = 10) -> None:
        self.spool = spool
        self.source = source
        self.default_exchange = default_exchange
        self.params = connection_parameters(amqp_url, connection_name, confirm_timeout)
        self.user_id = self.params.credentials.username
        self._render = render or (lambda message: message.body)
        self._lock = threading.Lock()
        self._connection: Any = None
        self._channel: Any = None

    def __enter__(self) -> ConfirmingPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish_pending(self) -> int | None:
        """Send every spooled message; how many the broker confirmed, or None when an attempt failed (the rest
        stays spooled). Errors are logged, never raised."""
        sent = 0
        with self._lock:
            while batch := self.spool.pending(_BATCH):
                confirmed: list[str] = []
                try:
                    self._publish(batch, confirmed)
                except pika.exceptions.UnroutableError:
                    log.warning("a %s message is kept: no queue takes it yet", batch[len(confirmed)].routing_key)
                    return None
                # AMQPConnectorException: a broker that took the TCP connection and never answered the handshake.
                except (pika.exceptions.AMQPError, AMQPConnectorException, OSError) as exc:
                    log.warning("messages stay spooled, the broker is not reachable: %r", exc)
                    self._disconnect()
                    return None
                finally:
                    self.spool.confirmed(confirmed)
                    sent += len(confirmed)
        return sent

    def run(self, stop: threading.Event, wake: threading.Event, *, every: float = 30.0,
            backoff: Backoff | None = None) -> None:
        """Send whenever woken (and at least ``every`` s) until ``stop``; after a failure, wait a growing pause."""
        pause = backoff or Backoff()
        while not stop.is_set():
            wake.clear()
            if self.publish_pending() is None:
                stop.wait(pause.next_delay())
                continue
            pause.reset()
            wake.wait(every)

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def _publish(self, batch: list[SpooledMessage], confirmed: list[str]) -> None:
        channel = self._open_channel()
        for message in batch:
            channel.basic_publish(message.exchange or self.default_exchange, message.routing_key,
                                  self._render(message), self._properties(message), mandatory=True)
            confirmed.append(message.id)

    def _properties(self, message: SpooledMessage) -> Any:
        return pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, message_id=message.id,
                                    type=message.routing_key, app_id=self.source, content_type="application/json",
                                    user_id=self.user_id)

    def _open_channel(self) -> Any:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._disconnect()
        try:
            self._connection = pika.BlockingConnection(self.params)
        except ValueError as exc:  # pika 1.4 raises this when the peer resets the socket right after the TCP connect
            raise pika.exceptions.AMQPConnectionError(f"connection reset while opening: {exc}") from exc
        self._channel = self._connection.channel()
        self._channel.confirm_delivery()
        return self._channel

    def _disconnect(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):  # it is going away either way
                connection.close()


def connection_parameters(url: str, connection_name: str, timeout: float) -> pika.URLParameters:
    # A broker that stops answering is found by the heartbeat (pika checks every timeout + 5 s); one under a
    # resource alarm by the blocked timeout; an unreachable one by the connect timeouts.
    params = pika.URLParameters(url)
    params.heartbeat = max(1, round(timeout))
    params.blocked_connection_timeout = timeout
    params.socket_timeout = params.stack_timeout = timeout
    params.connection_attempts = 1  # the next attempt is the caller's retry
    params.client_properties = {"connection_name": connection_name}
    return params
