"""Publishes spooled card reads as ``card.read`` events, each deleted from the spool only once the broker confirms it.

Delivery is at least once: a read whose confirm was lost with the connection is sent again on the next call,
with the same envelope id (the read id), so the identity service's inbox drops the second copy. An office reads
a few cards a minute, so a pika BlockingConnection waiting for each confirm in turn is fast enough.

Every card is sealed with the reader account's key before it is spooled (``realname_codes.card_seal``): the
spool, the broker and any dead letter hold the read id, the employer and ciphertext, never the card (R4).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from typing import Any

import pika
import pika.exceptions
from pika.adapters.utils.connection_workflow import AMQPConnectorException

from realname_codes.card_seal import CardSeal, is_sealed
from realname_edge.card import CardRecord
from realname_edge.spool import CardSpool, SpooledRead

ROUTING_KEY = EVENT_TYPE = "card.read"
SOURCE = "edge-reader"
_BATCH = 100  # reads taken from the spool at a time; confirmed ones are deleted after each batch

log = logging.getLogger(__name__)


class CardReadPublisher:
    """Not thread-safe towards pika, so every call holds one lock; a failed call leaves the reads spooled."""

    def __init__(self, amqp_url: str, exchange: str, employer_id: str, spool: CardSpool, *, seal_key: str,
                 confirm_timeout: float = 10) -> None:
        self.exchange = exchange
        self.employer_id = employer_id
        self.spool = spool
        self._params = _parameters(amqp_url, employer_id, confirm_timeout)
        self._seal = CardSeal(seal_key, self._params.credentials.username)
        self._seal_plain_backlog()
        self._lock = threading.Lock()
        self._connection: Any = None
        self._channel: Any = None

    def __enter__(self) -> CardReadPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_read(self, card: CardRecord) -> str:
        """Spool the read first (so nothing is lost whatever happens next), then try to publish the backlog."""
        read_id = str(uuid.uuid4())
        self.spool.add(read_id, self._seal.seal(read_id, card.to_event()))
        self.publish_pending()
        return read_id

    def publish_pending(self) -> int:
        """Send every spooled read; returns how many the broker confirmed. Errors are logged, never raised."""
        sent = 0
        with self._lock:
            while batch := self.spool.pending(_BATCH):
                confirmed: list[str] = []
                try:
                    self._publish(batch, confirmed)
                # AMQPConnectorException: a broker that took the TCP connection and never answered the handshake.
                except (pika.exceptions.AMQPError, AMQPConnectorException, OSError) as exc:
                    log.warning("card reads stay spooled, the broker is not reachable: %r", exc)
                    self._disconnect()
                    return sent + len(confirmed)
                finally:
                    self.spool.confirmed(confirmed)
                sent += len(confirmed)
        return sent

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def _seal_plain_backlog(self) -> None:
        """Reads a reader older than sealing left in the spool are sealed in place before anything is sent."""
        plain = [read for read in self.spool.pending(self.spool.count()) if not is_sealed(read.payload)]
        for read in plain:
            self.spool.replace(read.read_id, self._seal.seal(read.read_id, read.payload))
        if plain:
            log.info("%d spooled card reads of an older reader sealed", len(plain))

    def _publish(self, batch: list[SpooledRead], confirmed: list[str]) -> None:
        channel = self._open_channel()
        for read in batch:
            # mandatory: a read no queue takes is refused (UnroutableError) rather than confirmed and lost
            channel.basic_publish(self.exchange, ROUTING_KEY, self.envelope(read),
                                  _properties(read, self._params.credentials.username), mandatory=True)
            confirmed.append(read.read_id)

    def envelope(self, read: SpooledRead) -> bytes:
        """The kit's Envelope shape; its id is the read id, so every re-send of a read is recognisable."""
        data = {**read.payload, "read_id": read.read_id, "employer_id": self.employer_id}
        event = {"id": read.read_id, "type": EVENT_TYPE, "version": 1, "occurred_at": read.read_at,
                 "source": SOURCE, "correlation_id": None, "data": data}
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()

    def _open_channel(self) -> Any:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._disconnect()
        try:
            self._connection = pika.BlockingConnection(self._params)
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


def _parameters(url: str, employer_id: str, timeout: float) -> pika.URLParameters:
    # A broker that stops answering is found by the heartbeat (pika checks every timeout + 5 s); one under a
    # resource alarm by the blocked timeout; an unreachable one by the connect timeouts.
    params = pika.URLParameters(url)
    params.heartbeat = max(1, round(timeout))
    params.blocked_connection_timeout = timeout
    params.socket_timeout = params.stack_timeout = timeout
    params.connection_attempts = 1  # the next publish_pending is the retry
    params.client_properties = {"connection_name": f"edge-reader {employer_id}"}
    return params


def _properties(read: SpooledRead, user_id: str) -> Any:
    # user_id: the broker refuses a message whose user_id is not the connection's user, so the identity
    # service can trust it to name the reader account (and through it the employer) that sent the read.
    return pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, message_id=read.read_id,
                                type=EVENT_TYPE, app_id=SOURCE, content_type="application/json", user_id=user_id)
