"""The AMQP consumer process of a service: kombu, prefetch, batches, retry, dead-lettering with a reason."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from kombu import Connection, Consumer, Message, Producer

from realname_kit.bus.processing import Delivery, MessageProcessor, Stopped
from realname_kit.bus.topology import QueueSpec, Topology
from realname_kit.logs import get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)

REASON_HEADER = "x-realname-reason"
QUEUE_HEADER = "x-realname-queue"
DEAD_AT_HEADER = "x-realname-dead-at"


class AmqpConsumer:
    """Consumes every queue of one service; each queue's messages go to its ``MessageProcessor``."""

    def __init__(self, url: str, topology: Topology, service: str,
                 subscriptions: Sequence[tuple[QueueSpec, MessageProcessor]], *, prefetch: int = 200,
                 max_wait: float = 0.05) -> None:
        self.url, self.topology, self.service, self.prefetch = url, topology, service, prefetch
        # Handle half the prefetch at a time: the broker keeps sending the other half meanwhile.
        self.batch_size = max(1, prefetch // 2)
        self.max_wait = max_wait
        self.queues = {topology.queue_name(spec): topology.queue(spec) for spec, _ in subscriptions}
        # Besides the queues consumed: their dead-letter and wait queues, declared with them.
        self.companion_queues = [q for spec, _ in subscriptions for q in topology.queues_for(spec)[1:]]
        self.processors = {p.queue: p for _, p in subscriptions}
        self.buffer: dict[str, list[Message]] = {name: [] for name in self.processors}

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                with Connection(self.url, heartbeat=30, connect_timeout=10,
                                transport_options={"confirm_publish": True}) as conn:
                    conn.connect()
                    backoff = 0.5
                    self._declare(conn)
                    self._consume(conn, stop)
            except Stopped:
                return
            except _RECOVERABLE as exc:
                log.warning("consumer_connection_lost", service=self.service, error=repr(exc),
                            retry_in=backoff)
                for pending in self.buffer.values():
                    pending.clear()  # unacknowledged: the broker redelivers them
                stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)

    def _consume(self, conn: Connection, stop: threading.Event) -> None:
        channel = conn.channel()
        channel.basic_qos(prefetch_size=0, prefetch_count=self.prefetch, a_global=False)
        consumers = [Consumer(channel, queues=[queue], on_message=partial(self._collect, name), no_ack=False)
                     for name, queue in self.queues.items()]
        for consumer in consumers:
            consumer.consume()
        dead_letters = Producer(conn.channel(), exchange=self.topology.dead_letter_exchange())
        log.info("consumer_started", service=self.service, queues=list(self.processors))
        while not stop.is_set():
            self._fill(conn)
            self._flush(conn, dead_letters, stop)
            conn.heartbeat_check()
        self._flush(conn, dead_letters, stop)

    def _fill(self, conn: Connection) -> None:
        """Receive until a batch is full or its first message has waited ``max_wait`` seconds.

        Waiting for the batch rather than for a lull keeps batches large when the broker delivers
        unevenly under load; one transaction per message would be far slower.
        """
        first_at: float | None = None
        while True:
            waiting = sum(len(v) for v in self.buffer.values())
            if waiting >= self.batch_size:
                return
            if waiting and first_at is None:
                first_at = time.monotonic()
            left = 1.0 if first_at is None else self.max_wait - (time.monotonic() - first_at)
            if left <= 0:
                return
            try:
                conn.drain_events(timeout=left)
            except TimeoutError:
                conn.heartbeat_check()
                if first_at is None:
                    return

    def _declare(self, conn: Connection) -> None:
        channel = conn.default_channel
        for exchange in self.topology.all_exchanges():
            exchange(channel).declare()
        for queue in [*self.queues.values(), *self.companion_queues]:
            queue(channel).declare()

    def _collect(self, queue: str, message: Message) -> None:
        self.buffer[queue].append(message)

    def _flush(self, conn: Connection, dead_letters: Producer, stop: threading.Event) -> None:
        last: Message | None = None
        for queue, batch in self.buffer.items():
            if not batch:
                continue
            deliveries = [Delivery(m.body if isinstance(m.body, bytes) else m.body.encode(), m,
                                   sender=(m.properties or {}).get("user_id"), redeliveries=_redeliveries(m))
                          for m in batch]
            for outcome in self.processors[queue].process(deliveries, stop, keepalive=conn.heartbeat_check):
                if outcome.dead_reason is not None:
                    self._dead_letter(dead_letters, queue, outcome.delivery.tag, outcome.dead_reason)
            if last is None or batch[-1].delivery_tag > last.delivery_tag:
                last = batch[-1]
            batch.clear()
        if last is not None:
            # Every message received so far is handled or dead-lettered (one channel delivers in tag
            # order), so one ack covers them all.
            last.ack(multiple=True)

    def _dead_letter(self, producer: Producer, queue: str, message: Message, reason: str) -> None:
        # Published with a confirm before the original is acknowledged: a dead letter is never lost.
        headers = dict(message.headers or {})
        headers.update({REASON_HEADER: reason, QUEUE_HEADER: queue, DEAD_AT_HEADER: utcnow().isoformat()})
        props: dict[str, Any] = message.properties or {}
        producer.publish(message.body, routing_key=queue, headers=headers, delivery_mode=2,
                         content_type=props.get("content_type") or "application/json",
                         content_encoding="utf-8", message_id=props.get("message_id"),
                         type=props.get("type"), correlation_id=props.get("correlation_id"), retry=False)


def _redeliveries(message: Message) -> int:
    """How often a quorum queue delivered the message before without an acknowledgement."""
    count = (message.headers or {}).get("x-delivery-count", 0)
    return count if isinstance(count, int) else 0


def _connection_errors() -> tuple[type[BaseException], ...]:
    conn = Connection("amqp://")
    return tuple(conn.connection_errors) + tuple(conn.channel_errors)


_RECOVERABLE: tuple[type[BaseException], ...] = (*_connection_errors(), OSError)
