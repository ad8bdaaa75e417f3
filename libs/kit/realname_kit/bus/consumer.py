"""The AMQP consumer process of a service: kombu, prefetch, batches, retry, dead-lettering with a reason."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from functools import partial
from typing import Any

from kombu import Connection, Consumer, Message, Producer

from realname_kit.bus.processing import Delivery, MessageProcessor, Stopped
from realname_kit.bus.topology import Topology
from realname_kit.logs import get_logger

log = get_logger(__name__)

REASON_HEADER = "x-realname-reason"
QUEUE_HEADER = "x-realname-queue"


class AmqpConsumer:
    """Consumes every queue of one service; each queue's messages go to its ``MessageProcessor``."""

    def __init__(self, url: str, topology: Topology, service: str,
                 processors: Mapping[str, MessageProcessor], *, prefetch: int = 200) -> None:
        self.url, self.topology, self.service = url, topology, service
        self.processors, self.prefetch = processors, prefetch
        self.buffer: dict[str, list[Message]] = {name: [] for name in processors}

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                with Connection(self.url, heartbeat=30, connect_timeout=10,
                                transport_options={"confirm_publish": True}) as conn:
                    conn.connect()
                    backoff = 0.5
                    self.topology.declare(conn, self.service)
                    self._consume(conn, stop)
            except Stopped:
                return
            except (*_connection_errors(), OSError) as exc:
                log.warning("consumer_connection_lost", service=self.service, error=repr(exc),
                            retry_in=backoff)
                for pending in self.buffer.values():
                    pending.clear()  # unacknowledged: the broker redelivers them
                stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)

    def _consume(self, conn: Connection, stop: threading.Event) -> None:
        channel = conn.channel()
        channel.basic_qos(prefetch_size=0, prefetch_count=self.prefetch, a_global=False)
        consumers = [Consumer(channel, queues=[q], on_message=partial(self._collect, name), no_ack=False)
                     for name in self.processors
                     for q in [next(q for q in self.topology.all_queues(self.service) if q.name == name)]]
        for consumer in consumers:
            consumer.consume()
        dead_letters = Producer(conn.channel(), exchange=self.topology.dead_letter_exchange())
        log.info("consumer_started", service=self.service, queues=list(self.processors))
        while not stop.is_set():
            waiting = sum(len(v) for v in self.buffer.values())
            try:
                conn.drain_events(timeout=0.01 if waiting else 1.0)
                if waiting + 1 < self.prefetch:
                    continue
            except socket.timeout:
                conn.heartbeat_check()
            self._flush(conn, dead_letters, stop)
        self._flush(conn, dead_letters, stop)

    def _collect(self, queue: str, message: Message) -> None:
        self.buffer[queue].append(message)

    def _flush(self, conn: Connection, dead_letters: Producer, stop: threading.Event) -> None:
        for queue, messages in self.buffer.items():
            if not messages:
                continue
            batch, self.buffer[queue] = messages, []
            deliveries = [Delivery(m.body if isinstance(m.body, bytes) else m.body.encode(), m) for m in batch]
            outcomes = self.processors[queue].process(deliveries, stop, keepalive=conn.heartbeat_check)
            for outcome in outcomes:
                message: Message = outcome.delivery.tag  # type: ignore[assignment]
                if outcome.dead_reason is not None:
                    self._dead_letter(dead_letters, queue, message, outcome.dead_reason)
                message.ack()

    def _dead_letter(self, producer: Producer, queue: str, message: Message, reason: str) -> None:
        # Published with a confirm before the original is acknowledged: a dead letter is never lost.
        headers = dict(message.headers or {})
        headers.update({REASON_HEADER: reason, QUEUE_HEADER: queue})
        props: dict[str, Any] = message.properties or {}
        producer.publish(message.body, routing_key=queue, headers=headers, delivery_mode=2,
                         content_type=props.get("content_type") or "application/json",
                         content_encoding="utf-8", message_id=props.get("message_id"),
                         type=props.get("type"), correlation_id=props.get("correlation_id"), retry=False)


def _connection_errors() -> tuple[type[BaseException], ...]:
    conn = Connection("amqp://")
    return tuple(conn.connection_errors) + tuple(conn.channel_errors)
