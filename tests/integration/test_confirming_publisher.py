"""ConfirmingPublisher against the real RabbitMQ (REALNAME_AMQP_URL)."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pika
import pytest

from realname_kit.bus.confirming_publisher import ConfirmingPublisher, OutgoingMessage, PublishFailed

pytestmark = pytest.mark.integration

AMQP_URL = os.environ.get("REALNAME_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@dataclass
class Topology:
    """Unique, durable exchange + queue for one test, deleted afterwards."""

    channel: Any
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}.")

    @property
    def exchange(self) -> str:
        return self.prefix + "events"

    @property
    def queue(self) -> str:
        return self.prefix + "inbox"

    def declare(self) -> None:
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self.channel.queue_declare(self.queue, durable=True)
        self.channel.queue_bind(self.queue, self.exchange, routing_key="#")

    def depth(self) -> int:
        return int(self.channel.queue_declare(self.queue, passive=True).method.message_count)

    def delete(self) -> None:
        self.channel.queue_delete(self.queue)
        self.channel.exchange_delete(self.exchange)


@pytest.fixture
def topology() -> Iterator[Topology]:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    topo = Topology(connection.channel())
    topo.declare()
    try:
        yield topo
    finally:
        topo.delete()
        connection.close()


@pytest.fixture
def publisher() -> Iterator[ConfirmingPublisher]:
    with ConfirmingPublisher(AMQP_URL, connection_name="test-confirming-publisher") as pub:
        yield pub


def messages(
    exchange: str, count: int, *, body: bytes = b'{"n": 1}', start: int = 0
) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            exchange=exchange,
            routing_key="enterprise.registered",
            body=body,
            message_id=f"m{start + i}",
            type="enterprise.registered",
            correlation_id=f"c{start + i}",
            headers={"tenant": "acme", "attempt": 1},
            timestamp=1_700_000_000 + i,
        )
        for i in range(count)
    ]


def io_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "confirming-publisher-io"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_batch_returns_only_after_every_message_is_confirmed_and_all_arrive(
    topology: Topology, publisher: ConfirmingPublisher
) -> None:
    publisher.publish(messages(topology.exchange, 5_000))

    assert topology.depth() == 5_000
    method, props, body = topology.channel.basic_get(topology.queue, auto_ack=True)
    assert body == b'{"n": 1}'
    assert method.routing_key == "enterprise.registered"
    assert props.message_id == "m0"
    assert props.type == "enterprise.registered"
    assert props.correlation_id == "c0"
    assert props.headers == {"tenant": "acme", "attempt": 1}
    assert props.content_type == "application/json"
    assert props.timestamp == 1_700_000_000
    assert props.delivery_mode == 2


def test_publishing_to_a_missing_exchange_fails_and_the_next_batch_succeeds(
    topology: Topology, publisher: ConfirmingPublisher
) -> None:
    publisher.publish(messages(topology.exchange, 10))

    started = time.monotonic()
    with pytest.raises(PublishFailed, match="404"):
        publisher.publish(messages(topology.prefix + "missing", 10), timeout=10)
    assert time.monotonic() - started < 5

    publisher.publish(messages(topology.exchange, 20, start=10))
    assert topology.depth() == 30


def test_messages_the_broker_rejects_are_reported_as_nacked(
    topology: Topology, publisher: ConfirmingPublisher
) -> None:
    full = topology.prefix + "full"
    args = {"x-max-length": 2, "x-overflow": "reject-publish"}
    topology.channel.queue_declare(full, durable=True, arguments=args)
    topology.channel.queue_bind(full, topology.exchange, routing_key="#")
    try:
        with pytest.raises(PublishFailed, match="3 of 5 messages nacked"):
            publisher.publish(messages(topology.exchange, 5))
    finally:
        topology.channel.queue_delete(full)
    publisher.publish(messages(topology.exchange, 1))


def test_an_unreachable_broker_fails_quickly_instead_of_hanging() -> None:
    url = f"amqp://guest:guest@127.0.0.1:{closed_port()}/%2F"
    with ConfirmingPublisher(url, connect_timeout=2) as pub:
        started = time.monotonic()
        with pytest.raises(PublishFailed, match="could not connect"):
            pub.publish(messages("any", 1))
        assert time.monotonic() - started < 3
    assert io_threads() == []


def test_a_broker_that_never_answers_fails_within_the_connect_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"amqp://guest:guest@127.0.0.1:{silent.getsockname()[1]}/%2F"
        with ConfirmingPublisher(url, connect_timeout=1) as pub:
            started = time.monotonic()
            with pytest.raises(PublishFailed):
                pub.publish(messages("any", 1))
            assert time.monotonic() - started < 3
    assert io_threads() == []


def test_close_is_idempotent_and_leaves_no_thread_running(topology: Topology) -> None:
    pub = ConfirmingPublisher(AMQP_URL)
    pub.publish(messages(topology.exchange, 3))
    assert len(io_threads()) == 1

    pub.close()
    pub.close()

    assert io_threads() == []
    with pytest.raises(PublishFailed, match="closed"):
        pub.publish(messages(topology.exchange, 1))
    assert topology.depth() == 3


def test_batches_publish_at_thousands_per_second(topology: Topology, publisher: ConfirmingPublisher) -> None:
    total, batch_size = 50_000, 1_000
    batches = [
        messages(topology.exchange, batch_size, body=b"x" * 300, start=n) for n in range(0, total, batch_size)
    ]
    publisher.publish(batches[0][:1])  # connect outside the measurement

    started = time.perf_counter()
    for batch in batches:
        publisher.publish(batch)
    rate = total / (time.perf_counter() - started)

    print(f"\nconfirmed throughput: {rate:,.0f} msg/s ({total} x 300 B, batches of {batch_size})")
    assert topology.depth() == total + 1
    assert rate > 3_000
